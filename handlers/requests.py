"""Help requests: /request, /myrequests, /cancel, /open, /claim, /release, /done, /wait,
/note, /status, /whois, and the buttons of request cards, rating rows and building choices."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Awaitable, Callable

from telegram import Chat, ForceReply, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import ButtonData, action_for, parse_button, pattern
from bot.commands import MenuCommand
from bot.context import LinliContext, Services
from bot.domain.core import Prompt
from bot.domain.requests import Attachment, Source, Submission
from bot.errors import InvalidInput
from bot.features import Feature, Wiring
from bot.i18n import N_
from bot.services.requests import CARD, ESCALATE_JOB, PROMPT, STALE_JOB, WAIT_JOB, WAIT_PROMPT
from bot.views import requests as view
from bot.views.common import OutMessage
from handlers.access import actor_of, place_of, refresh_admins
from handlers.common import (
    answer_in_private,
    command_text,
    inline_markup,
    message_key,
    reply,
    show,
)

MENU = [
    MenuCommand("request", N_("Ask the volunteers for help")),
    MenuCommand("myrequests", N_("Your help requests and where they stand")),
    MenuCommand("cancel", N_("Cancel your open request: /cancel N")),
    MenuCommand("open", N_("Open requests you can take")),
    MenuCommand("claim", N_("Take a request: /claim N")),
    MenuCommand("release", N_("Give a request back: /release N")),
    MenuCommand("done", N_("Finish a request: /done N and a note")),
    MenuCommand("wait", N_("A request you took waits: /wait N date reason")),
    MenuCommand("note", N_("An internal note for volunteers: /note N text")),
    MenuCommand("status", N_("Where a request stands: /status N")),
    MenuCommand("whois", N_("Who sent an anonymous request (community admins): /whois N"),
                group=False),
]

_NUMBER = re.compile(r"#?([0-9]{1,9})")


def request_number(text: str, command: str) -> tuple[int, str]:
    """The request number first in a command's text (``12`` or ``#12``), and the rest."""
    parts = text.split(maxsplit=1)
    match = _NUMBER.fullmatch(parts[0]) if parts else None
    if match is None:
        raise InvalidInput(
            N_("Write the request's number after the command, for example: /{command} 12"),
            command=command,
        )
    return int(match.group(1)), parts[1].strip() if len(parts) > 1 else ""


def source_of(message: Message) -> Source:
    """Where a request was asked (its chat and message)."""
    return Source(message.chat.id, message.message_id, message.chat.type == Chat.PRIVATE)


# --- submitting ---------------------------------------------------------------------------


async def request_command(update: Update, context: LinliContext) -> None:
    """/request [category] <text>: ask for help, in the building group or in private."""
    message = update.effective_message
    if update.effective_user is None or message is None:
        return
    service, actor = context.services.requests, actor_of(update)
    buildings = await service.where_to_ask(actor, place_of(update))
    submission = await service.submit(actor, buildings, command_text(update), source_of(message))
    await show_submission(update, context, submission)


async def answer_prompt(update: Update, context: LinliContext, prompt: Prompt) -> None:
    """The message after a bare /request becomes the request's text (or, after Waiting…,
    the reason the request waits)."""
    message = update.effective_message
    if message is None:
        return
    if prompt.step == WAIT_PROMPT:
        await answer_wait_reason(update, context, prompt)
        return
    if not message.text:
        raise InvalidInput(N_("Please write in a few words what you need help with."))
    submission = await context.services.requests.answer(prompt, message.text, source_of(message))
    await show_submission(update, context, submission)


async def show_submission(update: Update, context: LinliContext, submission: Submission) -> None:
    """Say what became of a /request: its number, the building buttons, or the question."""
    t = context.t
    chat, user = update.effective_chat, update.effective_user
    opened = submission.opened
    if opened is not None and opened.request.anonymous and chat is not None and (
        chat.type != Chat.PRIVATE and user is not None
    ):  # the group sees nothing of it: the answer goes to the resident in private
        shown = view.opened(t, opened)
        await context.bot.send_message(user.id, shown.text, parse_mode=ParseMode.HTML)
    elif opened is not None:
        await show(update, context, view.opened(t, opened))
    elif submission.draft_id is not None:
        choice = view.building_choice(t, submission.draft_id, submission.buildings)
        await show(update, context, choice)
    else:
        minutes = round(context.services.settings.requests.question_timeout_minutes)
        text = view.question_text(t, minutes)
        await reply(update, context, text, reply_markup=ForceReply(selective=True))


# --- the resident's commands ----------------------------------------------------------------


async def my_requests(update: Update, context: LinliContext) -> None:
    """/myrequests: your requests and where each one stands."""
    chat = update.effective_chat
    if update.effective_user is None or chat is None:
        return
    lines = await context.services.requests.mine(actor_of(update))
    tz = context.services.settings.community.tz
    await show(update, context, view.mine(context.t, lines, chat.id, tz))


async def cancel(update: Update, context: LinliContext) -> None:
    """/cancel N: cancel your own open request."""
    if update.effective_user is None:
        return
    number, _rest = request_number(command_text(update), "cancel")
    await context.services.requests.cancel(number, actor_of(update))
    await reply(update, context, view.cancelled_text(context.t, number))


# --- the volunteer's commands -----------------------------------------------------------------


async def open_requests(update: Update, context: LinliContext) -> None:
    """/open: the open requests you may take, oldest first."""
    chat = update.effective_chat
    if update.effective_user is None or chat is None:
        return
    service, actor, place = context.services.requests, actor_of(update), place_of(update)
    lines = await service.open_for(actor, place)
    paused = await service.paused_for(actor, place)
    tz = context.services.settings.community.tz
    await show(update, context, view.waiting(context.t, lines, chat.id, paused, tz))


async def claim(update: Update, context: LinliContext) -> None:
    """/claim N: take a request; exactly one volunteer wins."""
    if update.effective_user is None:
        return
    number, _rest = request_number(command_text(update), "claim")
    await fresh_owners(context, number)
    await context.services.requests.claim(number, actor_of(update))
    await reply(update, context, view.claimed_text(context.t, number))


async def release(update: Update, context: LinliContext) -> None:
    """/release N: give a request back; it goes to the volunteers again."""
    if update.effective_user is None:
        return
    number, _rest = request_number(command_text(update), "release")
    await fresh_owners(context, number)
    await context.services.requests.release(number, actor_of(update))
    await reply(update, context, view.released_text(context.t, number))


async def done(update: Update, context: LinliContext) -> None:
    """/done N [note]: finish a request (the volunteer who took it, or an owner)."""
    if update.effective_user is None:
        return
    number, note = request_number(command_text(update), "done")
    await fresh_owners(context, number)
    await context.services.requests.finish(number, actor_of(update), note)
    await reply(update, context, view.done_text(context.t, number))


async def wait(update: Update, context: LinliContext) -> None:
    """/wait N <date> [reason]: the request you took waits until that date."""
    if update.effective_user is None:
        return
    number, rest = request_number(command_text(update), "wait")
    await fresh_owners(context, number)
    request = await context.services.requests.wait_command(
        number, actor_of(update), rest, message_key(update)
    )
    tz = context.services.settings.community.tz
    await reply(update, context, view.waiting_text(context.t, request, tz))


async def note(update: Update, context: LinliContext) -> None:
    """/note N text: an internal note, for the building's volunteers and owners only."""
    if update.effective_user is None:
        return
    number, text = request_number(command_text(update), "note")
    await fresh_owners(context, number)
    await context.services.requests.note(number, actor_of(update), text, message_key(update))
    await reply(update, context, view.note_added_text(context.t, number))


async def status(update: Update, context: LinliContext) -> None:
    """/status N: where a request stands, with its last public step."""
    if update.effective_user is None:
        return
    chat = update.effective_chat
    if chat is None:
        return
    number, _rest = request_number(command_text(update), "status")
    await fresh_owners(context, number)
    shown = await context.services.requests.status(number, actor_of(update))
    tz = context.services.settings.community.tz
    await show(update, context, view.status(context.t, shown, tz, chat.id))


async def whois(update: Update, context: LinliContext) -> None:
    """/whois N: who sent an anonymous request (community admins, in private; logged)."""
    chat = update.effective_chat
    if update.effective_user is None or chat is None:
        return
    if chat.type != Chat.PRIVATE:
        raise InvalidInput(N_("Please ask me /whois in a private chat."))
    number, _rest = request_number(command_text(update), "whois")
    shown = await context.services.requests.whois(number, actor_of(update), message_key(update))
    tz = context.services.settings.community.tz
    await show(update, context, view.whois(context.t, shown, tz))


async def answer_wait_reason(update: Update, context: LinliContext, prompt: Prompt) -> None:
    """The claimer's words after Waiting…: the reason the resident reads."""
    message = update.effective_message
    if message is None or not message.text:
        raise InvalidInput(N_("Please write in a few words why the request waits."))
    request = await context.services.requests.answer_wait(prompt, message.text, message_key(update))
    tz = context.services.settings.community.tz
    await reply(update, context, view.waiting_text(context.t, request, tz))


async def fresh_owners(context: LinliContext, number: int) -> None:
    """Refresh the admin list of the request's group (tracking refreshed only the update's
    own group), so that its owners are recognised in private too."""
    building = await context.services.requests.building_of(number)
    await refresh_admins(context, building.chat_id)


# --- buttons ------------------------------------------------------------------------------


async def button(update: Update, context: LinliContext) -> None:
    """Every button of this feature; the rights are checked again on each press.

    The answer to the press is the outcome (or, through the error handler, the refusal),
    so a volunteer who lost a race for a claim reads who won.
    """
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    pressed = parse_button(query.data, view.FEATURE)
    action = action_for(BUTTONS, pressed)
    await action(update, context, pressed)


async def claim_button(update: Update, context: LinliContext, pressed: ButtonData) -> None:
    """Claim on a card."""
    number = pressed.int_arg()
    await fresh_owners(context, number)
    await context.services.requests.claim(number, actor_of(update))
    await reply(update, context, view.claimed_text(context.t, number))


async def release_button(update: Update, context: LinliContext, pressed: ButtonData) -> None:
    """Give back on the claimer's card."""
    number = pressed.int_arg()
    await fresh_owners(context, number)
    await context.services.requests.release(number, actor_of(update))
    await reply(update, context, view.released_text(context.t, number))


async def done_button(update: Update, context: LinliContext, pressed: ButtonData) -> None:
    """Done on the claimer's card (without a note)."""
    number = pressed.int_arg()
    await fresh_owners(context, number)
    await context.services.requests.finish(number, actor_of(update))
    await reply(update, context, view.done_text(context.t, number))


async def wait_button(update: Update, context: LinliContext, pressed: ButtonData) -> None:
    """Waiting… on the claimer's card: how long (1 day, 3 days, a week)."""
    number = pressed.int_arg()
    await fresh_owners(context, number)
    await context.services.requests.may_wait(number, actor_of(update))
    await answer_in_private(update, context, view.wait_choice(context.t, number))


async def wait_days_button(update: Update, context: LinliContext, pressed: ButtonData) -> None:
    """A number of days: the bot asks why (the next message answers)."""
    number, days = pressed.int_arg(0), pressed.int_arg(1)
    await fresh_owners(context, number)
    until = await context.services.requests.ask_wait_reason(number, actor_of(update), days)
    tz = context.services.settings.community.tz
    await answer_in_private(update, context, view.wait_question(context.t, number, days, until, tz))


async def wait_now_button(update: Update, context: LinliContext, pressed: ButtonData) -> None:
    """Without a reason: the request waits for the days picked."""
    number, days = pressed.int_arg(0), pressed.int_arg(1)
    await fresh_owners(context, number)
    query = update.callback_query
    source = None if query is None else f"press:{query.id}"  # a press handled again: once
    request = await context.services.requests.wait_for_days(
        number, actor_of(update), days, "", source
    )
    tz = context.services.settings.community.tz
    await reply(update, context, view.waiting_text(context.t, request, tz))


async def resume_button(update: Update, context: LinliContext, pressed: ButtonData) -> None:
    """Resume on the claimer's card: the request is in progress again."""
    number = pressed.int_arg()
    await fresh_owners(context, number)
    await context.services.requests.resume(number, actor_of(update))
    await reply(update, context, view.resumed_text(context.t, number))


async def reopen_button(update: Update, context: LinliContext, pressed: ButtonData) -> None:
    """Not fixed on the done message: the resident reopens the request."""
    query = update.callback_query
    number = pressed.int_arg()
    await context.services.requests.reopen(number, actor_of(update))
    await reply(update, context, view.reopened_text(context.t, number))
    if query is not None:
        with contextlib.suppress(BadRequest):  # a message already without buttons
            await query.edit_message_reply_markup(reply_markup=None)


async def details_button(update: Update, context: LinliContext, pressed: ButtonData) -> None:
    """Details: the request's history, sent in the private chat only."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None or chat.type != Chat.PRIVATE:
        raise InvalidInput(N_("This button is no longer valid."))
    number = pressed.int_arg()
    await fresh_owners(context, number)
    history = await context.services.requests.history(number, actor_of(update))
    await query.answer()
    shown = view.history(context.t, history, context.services.settings.community.tz)
    await context.bot.send_message(chat.id, shown.text, parse_mode=ParseMode.HTML)


async def rate_button(update: Update, context: LinliContext, pressed: ButtonData) -> None:
    """A star of the rating row: stored once; the row goes away."""
    query = update.callback_query
    number, stars = pressed.int_arg(0), pressed.int_arg(1)
    await context.services.requests.rate(number, actor_of(update), stars)
    await reply(update, context, view.rated_text(context.t, number))
    if query is not None:
        shown = view.rated(context.t, number, stars)
        with contextlib.suppress(BadRequest):  # a row already gone, or a forged press
            await query.edit_message_text(
                shown.text, parse_mode=ParseMode.HTML, reply_markup=inline_markup(shown)
            )


async def building_button(update: Update, context: LinliContext, pressed: ButtonData) -> None:
    """A building for a private request: the request is opened there."""
    query = update.callback_query
    draft_id, building_id = pressed.int_arg(0), pressed.int_arg(1)
    category = pressed.args[2] if len(pressed.args) > 2 else None
    opened = await context.services.requests.choose(
        draft_id, building_id, actor_of(update), category
    )
    shown = view.opened(context.t, opened)
    if query is None or not opened.created:  # pressed again: the same request
        await show(update, context, shown)
        return
    await query.answer()
    await query.edit_message_text(shown.text, parse_mode=ParseMode.HTML)


# --- plain words offered as a request (handlers.chat makes the offer) ----------------------


async def offer_plain_words(update: Update, context: LinliContext) -> None:
    """Plain words in private: offer to register them as a help request."""
    message = update.effective_message
    if message is None or not message.text:
        return
    service = context.services.requests
    draft_id, category, hidden = await service.offer(
        actor_of(update), message.text, source_of(message)
    )
    await show(update, context, view.offer(context.t, draft_id, message.text, category, hidden))


async def category_button(update: Update, context: LinliContext, pressed: ButtonData) -> None:
    """A category under an offer: draw the offer again with that one ticked."""
    query = update.callback_query
    draft_id, category = pressed.int_arg(0), pressed.args[1] if len(pressed.args) > 1 else ""
    if query is None or category not in view.CATEGORIES:
        raise InvalidInput(N_("This button is no longer valid."))
    draft = await context.services.requests.offered(draft_id, actor_of(update))
    await _redraw_offer(update, context, view.offer(
        context.t, draft_id, draft.text or "", category, draft.anonymous
    ))


async def anonymous_button(update: Update, context: LinliContext, pressed: ButtonData) -> None:
    """«Don't show my name» under an offer (a dispute or a safety report): on or off."""
    draft_id, category = pressed.int_arg(0), pressed.args[1] if len(pressed.args) > 1 else ""
    hidden = pressed.int_arg(2) == 1
    draft = await context.services.requests.hide_name(draft_id, category, hidden, actor_of(update))
    await _redraw_offer(update, context, view.offer(
        context.t, draft_id, draft.text or "", category, draft.anonymous
    ))


async def _redraw_offer(update: Update, context: LinliContext, shown: OutMessage) -> None:
    """The offer drawn again in place (another category, the name hidden or shown)."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    with contextlib.suppress(BadRequest):  # the same button pressed again: nothing changed
        await query.edit_message_text(
            shown.text, parse_mode=ParseMode.HTML, reply_markup=inline_markup(shown)
        )


async def confirm_button(update: Update, context: LinliContext, pressed: ButtonData) -> None:
    """Confirm under an offer: the request is opened, as /request opens it."""
    query = update.callback_query
    draft_id, category = pressed.int_arg(0), pressed.args[1] if len(pressed.args) > 1 else ""
    submission = await context.services.requests.confirm(draft_id, category, actor_of(update))
    if submission.opened is None:
        shown = view.building_choice(context.t, draft_id, submission.buildings, category)
    else:
        shown = view.opened(context.t, submission.opened)
    if query is None or (submission.opened is not None and not submission.opened.created):
        await show(update, context, shown)  # pressed again: the same request
        return
    await query.answer()
    await query.edit_message_text(
        shown.text, parse_mode=ParseMode.HTML, reply_markup=inline_markup(shown)
    )


# --- photos, voice notes, videos and locations (handlers.chat hands them here) -------------


async def media_message(update: Update, context: LinliContext) -> None:
    """A photo, voice note, video or location in private: kept, and the resident asked
    which request it belongs to (once for an album)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    media = attachment_of(message, user.id, context.services.clock.now())
    if media is None:
        return
    kept, open_lines = await context.services.requests.keep_media(actor_of(update), media)
    if kept is not None:
        await show(update, context, view.media_question(context.t, kept.id, open_lines))


def attachment_of(message: Message, user_id: int, now: float) -> Attachment | None:
    """The attachment a message carries (the largest size of a photo), or None."""
    base = {"id": 0, "user_id": user_id, "chat_id": message.chat.id,
            "message_id": message.message_id, "album": message.media_group_id,
            "caption": message.caption or "", "created_at": now}
    if message.photo:
        return Attachment(**base, kind="photo", file_id=message.photo[-1].file_id)
    if message.voice:
        return Attachment(**base, kind="voice", file_id=message.voice.file_id)
    if message.video:
        return Attachment(**base, kind="video", file_id=message.video.file_id)
    if message.location:
        return Attachment(**base, kind="location", latitude=message.location.latitude,
                          longitude=message.location.longitude)
    return None


async def media_new_button(update: Update, context: LinliContext, pressed: ButtonData) -> None:
    """«A new request» under an attachment: the offer, with the caption as its text."""
    query = update.callback_query
    service = context.services.requests
    draft_id, category, text = await service.offer_media(pressed.int_arg(), actor_of(update))
    shown = view.offer(context.t, draft_id, text, category)
    if query is None:
        return
    await query.answer()
    await query.edit_message_text(
        shown.text, parse_mode=ParseMode.HTML, reply_markup=inline_markup(shown)
    )


async def media_to_button(update: Update, context: LinliContext, pressed: ButtonData) -> None:
    """An open request under an attachment: the attachment joins it."""
    query = update.callback_query
    media_id, number = pressed.int_arg(0), pressed.int_arg(1)
    await context.services.requests.attach_media(media_id, number, actor_of(update))
    text = view.media_attached(context.t, number)
    if query is None:
        return
    await query.answer()
    await query.edit_message_text(text, parse_mode=ParseMode.HTML)


BUTTONS: dict[str, Callable[[Update, LinliContext, ButtonData], Awaitable[None]]] = {
    "claim": claim_button,
    "release": release_button,
    "done": done_button,
    "details": details_button,
    "rate": rate_button,
    "building": building_button,
    "offer": category_button,
    "confirm": confirm_button,
    "anon": anonymous_button,
    "mnew": media_new_button,
    "mto": media_to_button,
    "wait": wait_button,
    "waitdays": wait_days_button,
    "waitnow": wait_now_button,
    "resume": resume_button,
    "reopen": reopen_button,
}


# --- wiring -------------------------------------------------------------------------------


def wire(services: Services) -> Wiring:
    """The job kinds and the outbox hook of help requests (the cards' own hook, which
    keeps delivered cards current, is wired by the app with every live card kind)."""
    requests = services.requests
    return Wiring(
        jobs={
            ESCALATE_JOB: requests.escalate,
            STALE_JOB: requests.remind_stale,
            WAIT_JOB: requests.wait_over,
        },
        settled={CARD: requests.card_unreachable},
        expiry={PROMPT: requests.question_expired},
    )


def get_handlers() -> list[BaseHandler[Update, LinliContext, None]]:
    """Handlers of this feature."""
    return [
        CommandHandler("request", request_command),
        CommandHandler("myrequests", my_requests),
        CommandHandler("cancel", cancel),
        CommandHandler("open", open_requests),
        CommandHandler("claim", claim),
        CommandHandler("release", release),
        CommandHandler("done", done),
        CommandHandler("wait", wait),
        CommandHandler("note", note),
        CommandHandler("status", status),
        CommandHandler("whois", whois),
        CallbackQueryHandler(button, pattern=pattern(view.FEATURE)),
    ]


DESCRIPTION = Feature(
    "requests", get_handlers, MENU, prompts={PROMPT: answer_prompt}, wire=wire
)
