"""Help requests: /request, /myrequests, /cancel, /open, /claim, /release, /done, and the
buttons of request cards, rating rows and building choices."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from telegram import Chat, ForceReply, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import ButtonData, button_data, parse_button, pattern
from bot.commands import MenuCommand
from bot.context import LinliContext, Services
from bot.domain.core import Building, Prompt
from bot.domain.requests import RequestEvent, RequestLine
from bot.errors import InvalidInput
from bot.features import Feature, Wiring
from bot.i18n import N_, Html, Translator, html_escape
from bot.services.requests import (
    CARD,
    ESCALATE_JOB,
    PROMPT,
    STALE_JOB,
    History,
    Opened,
    Source,
    Submission,
    category_label,
    state_text,
)
from handlers.access import group_building, refresh_admins
from handlers.common import MAX_TEXT, command_text, reply

MENU = [
    MenuCommand("request", N_("Ask the volunteers for help")),
    MenuCommand("myrequests", N_("Your help requests and where they stand")),
    MenuCommand("cancel", N_("Cancel your open request: /cancel N")),
    MenuCommand("open", N_("Open requests you can take")),
    MenuCommand("claim", N_("Take a request: /claim N")),
    MenuCommand("release", N_("Give a request back: /release N")),
    MenuCommand("done", N_("Finish a request: /done N and a note")),
]

_NUMBER = re.compile(r"#?([0-9]{1,9})")

OPENED = {
    "duty": N_(
        "Request #{number} is registered ({category}). The volunteers on duty in {building} "
        "have it now; I will tell you when one of them takes it."
    ),
    "all": N_(
        "Request #{number} is registered ({category}). Nobody is on duty in {building} right "
        "now, so I have sent it to all its volunteers; I will tell you when one of them takes it."
    ),
    "owners": N_(
        "Request #{number} is registered ({category}). {building} has no volunteer yet, so I "
        "have sent it to the building's owners."
    ),
}
EVENTS = {
    "opened": N_("opened by {who}"),
    "routed:duty": N_("sent to the volunteers on duty ({count})"),
    "routed:all": N_("sent to the volunteers of the building ({count})"),
    "routed:owners": N_("sent to the owners ({count})"),
    "escalated:volunteers": N_("nobody took it yet: sent to every volunteer ({count})"),
    "escalated:owners": N_("still nobody: sent to the owners ({count})"),
    "claimed": N_("taken by {who}"),
    "released": N_("given back by {who}"),
    "done": N_("done by {who}"),
    "cancelled": N_("cancelled by {who}"),
    "rated": N_("rated {detail}⭐ by {who}"),
    "reminded": N_("reminder sent to {who}"),
    "unreachable": N_("could not reach {who} (no private chat with me)"),
}


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
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    service = context.services.requests
    if message.chat.type == Chat.PRIVATE:
        buildings = await service.buildings_of(user.id)
    else:
        buildings = [await group_building(update, context)]
    submission = await service.submit(user.id, buildings, command_text(update), source_of(message))
    await show_submission(update, context, submission)


async def answer_prompt(update: Update, context: LinliContext, prompt: Prompt) -> None:
    """The message after a bare /request becomes the request's text."""
    message = update.effective_message
    if message is None:
        return
    if not message.text:
        raise InvalidInput(N_("Please write in a few words what you need help with."))
    submission = await context.services.requests.answer(prompt, message.text, source_of(message))
    await show_submission(update, context, submission)


async def show_submission(update: Update, context: LinliContext, submission: Submission) -> None:
    """Say what became of a /request: its number, the building buttons, or the question."""
    t = context.t
    if submission.opened is not None:
        await reply(update, context, opened_text(t, submission.opened))
    elif submission.draft_id is not None:
        markup = building_buttons(submission.draft_id, submission.buildings)
        await reply(update, context, t("Which building is this request for?"), reply_markup=markup)
    else:
        minutes = round(context.services.settings.requests.question_timeout_minutes)
        text = t(
            "What do you need help with? Reply to this message with a few words "
            "(I will wait {minutes} minutes).",
            minutes=minutes,
        )
        await reply(update, context, text, reply_markup=ForceReply(selective=True))


def opened_text(t: Translator, opened: Opened) -> str:
    """The answer to a /request: its number, and who has it now."""
    return t(
        OPENED.get(opened.audience, OPENED["all"]),
        number=opened.request.number,
        category=t.plain(category_label(opened.request.category)),
        building=opened.building.name,
    )


def building_buttons(draft_id: int, buildings: list[Building]) -> dict[str, Any]:
    """One button for each building; the payload names the stored draft, not the text."""
    rows = [
        [{"text": b.name, "callback_data": button_data("requests", "building", draft_id, b.id)}]
        for b in buildings
    ]
    return {"inline_keyboard": rows}


# --- the resident's commands ----------------------------------------------------------------


async def my_requests(update: Update, context: LinliContext) -> None:
    """/myrequests: your requests and where each one stands."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    lines = await context.services.requests.mine(user.id)
    t = context.t
    if not lines:
        await reply(update, context, t("You have no requests yet. Ask for help with /request."))
        return
    rows = [t("<b>Your requests</b>")] + [listed(t, line, chat.id) for line in lines]
    await reply(update, context, fit(rows))


async def cancel(update: Update, context: LinliContext) -> None:
    """/cancel N: cancel your own open request."""
    user = update.effective_user
    if user is None:
        return
    number, _rest = request_number(command_text(update), "cancel")
    await context.services.requests.cancel(number, user.id)
    await reply(update, context, context.t("Your request #{number} is cancelled.", number=number))


def fit(lines: list[str]) -> str:
    """Whole lines up to Telegram's limit (cutting inside a line could break its HTML)."""
    kept: list[str] = []
    size = 0
    for line in lines:
        size += len(line) + 1
        if size > MAX_TEXT:
            kept.append("…")
            break
        kept.append(line)
    return "\n".join(kept)


def listed(t: Translator, line: RequestLine, chat_id: int) -> str:
    """One line of a list; the text only where it was asked, or in private."""
    category = t(category_label(line.category))
    state = state_text(t, line.state, line.claimer_name)
    text = f"#{line.number} · {html_escape(line.building_name)} · {category} — {state}"
    if chat_id > 0 or chat_id == line.source_chat_id:
        shown = line.text if len(line.text) <= 80 else line.text[:79] + "…"
        text += "\n    " + html_escape(shown)
    return text


# --- the volunteer's commands -----------------------------------------------------------------


async def open_requests(update: Update, context: LinliContext) -> None:
    """/open: the open requests you may take, oldest first."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    building = None if chat.type == Chat.PRIVATE else await group_building(update, context)
    if building is not None:
        await refresh_admins(context, building.chat_id)
    lines = await context.services.requests.open_for(user.id, building)
    t = context.t
    if not lines:
        await reply(update, context, t("No request is waiting. Thank you for looking!"))
        return
    rows = [t("<b>Open requests</b> (take one with /claim N)")]
    rows += [listed(t, line, chat.id) for line in lines]
    await reply(update, context, fit(rows))


async def claim(update: Update, context: LinliContext) -> None:
    """/claim N: take a request; exactly one volunteer wins."""
    user = update.effective_user
    if user is None:
        return
    number, _rest = request_number(command_text(update), "claim")
    await _fresh_owners(context, number)
    await context.services.requests.claim(number, user.id)
    await reply(update, context, claimed_text(context.t, number))


async def release(update: Update, context: LinliContext) -> None:
    """/release N: give a request back; it goes to the volunteers again."""
    user = update.effective_user
    if user is None:
        return
    number, _rest = request_number(command_text(update), "release")
    await _fresh_owners(context, number)
    await context.services.requests.release(number, user.id)
    await reply(update, context, released_text(context.t, number))


async def done(update: Update, context: LinliContext) -> None:
    """/done N [note]: finish a request (the volunteer who took it, or an owner)."""
    user = update.effective_user
    if user is None:
        return
    number, note = request_number(command_text(update), "done")
    await _fresh_owners(context, number)
    await context.services.requests.finish(number, user.id, note)
    await reply(update, context, done_text(context.t, number))


def claimed_text(t: Translator, number: int) -> str:
    """The answer to a successful claim."""
    return t(
        "You took #{number}. Thank you! When it is done, send /done {number} with a note.",
        number=number,
    )


def released_text(t: Translator, number: int) -> str:
    """The answer to a release."""
    return t("You gave #{number} back. It goes to the other volunteers again.", number=number)


def done_text(t: Translator, number: int) -> str:
    """The answer to a finish."""
    return t("#{number} is done. Thank you for your help!", number=number)


async def _fresh_owners(context: LinliContext, number: int) -> None:
    """Refresh the admin list of the request's group, so that its owners are recognised."""
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
    pressed = parse_button(query.data, "requests")
    action = BUTTONS.get(pressed.action)
    if action is None:
        raise InvalidInput(N_("This button is no longer valid."))
    await action(update, context, pressed)


async def claim_button(update: Update, context: LinliContext, pressed: ButtonData) -> None:
    """Claim on a card."""
    number = pressed.int_arg()
    await _fresh_owners(context, number)
    await context.services.requests.claim(number, _user_id(update))
    await reply(update, context, claimed_text(context.t, number))


async def release_button(update: Update, context: LinliContext, pressed: ButtonData) -> None:
    """Give back on the claimer's card."""
    number = pressed.int_arg()
    await _fresh_owners(context, number)
    await context.services.requests.release(number, _user_id(update))
    await reply(update, context, released_text(context.t, number))


async def done_button(update: Update, context: LinliContext, pressed: ButtonData) -> None:
    """Done on the claimer's card (without a note)."""
    number = pressed.int_arg()
    await _fresh_owners(context, number)
    await context.services.requests.finish(number, _user_id(update))
    await reply(update, context, done_text(context.t, number))


async def details_button(update: Update, context: LinliContext, pressed: ButtonData) -> None:
    """Details: the request's history, sent in the private chat only."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None or chat.type != Chat.PRIVATE:
        raise InvalidInput(N_("This button is no longer valid."))
    number = pressed.int_arg()
    await _fresh_owners(context, number)
    history = await context.services.requests.history(number, _user_id(update))
    await query.answer()
    text = history_text(context, history)
    await context.bot.send_message(chat.id, text, parse_mode=ParseMode.HTML)


async def rate_button(update: Update, context: LinliContext, pressed: ButtonData) -> None:
    """A star of the rating row: stored once; the row goes away."""
    query = update.callback_query
    number, stars = pressed.int_arg(0), pressed.int_arg(1)
    await context.services.requests.rate(number, _user_id(update), stars)
    await reply(update, context, context.t("Thank you for rating #{number}!", number=number))
    if query is not None:
        with contextlib.suppress(BadRequest):  # a row already gone, or a forged press
            await query.edit_message_reply_markup(reply_markup=None)


async def building_button(update: Update, context: LinliContext, pressed: ButtonData) -> None:
    """A building for a private request: the request is opened there."""
    query = update.callback_query
    draft_id, building_id = pressed.int_arg(0), pressed.int_arg(1)
    opened = await context.services.requests.choose(draft_id, building_id, _user_id(update))
    if query is None or not opened.created:  # pressed again: the same request
        await reply(update, context, opened_text(context.t, opened))
        return
    await query.answer()
    await query.edit_message_text(opened_text(context.t, opened), parse_mode=ParseMode.HTML)


BUTTONS: dict[str, Callable[[Update, LinliContext, ButtonData], Awaitable[None]]] = {
    "claim": claim_button,
    "release": release_button,
    "done": done_button,
    "details": details_button,
    "rate": rate_button,
    "building": building_button,
}


def history_text(context: LinliContext, history: History) -> str:
    """A request's card head and its events with their local times."""
    t, tz = context.t, context.services.settings.community.tz
    request = history.request
    claimer = next((e.actor_name for e in reversed(history.events) if e.kind == "claimed"), None)
    lines = [
        t(
            "<b>Request #{number}</b> · {building} · {state}",
            number=request.number,
            building=history.building.name,
            state=Html(state_text(t, request.state, claimer)),
        )
    ]
    for event in history.events:
        when = datetime.fromtimestamp(event.at, tz).strftime("%m-%d %H:%M")
        lines.append(f"{when} — {event_text(t, event)}")
    return fit(lines)


def event_text(t: Translator, event: RequestEvent) -> str:
    """One event in words."""
    audience, _sep, count = event.detail.partition(":")
    message = EVENTS.get(f"{event.kind}:{audience}") or EVENTS.get(event.kind)
    if message is None:
        return event.kind
    text = t(message, who=event.actor_name or "—", count=count, detail=event.detail)
    if event.kind == "done" and event.detail:
        text += ": " + html_escape(event.detail)
    return text


def _user_id(update: Update) -> int:
    user = update.effective_user
    if user is None:
        raise InvalidInput(N_("This button is no longer valid."))
    return user.id


# --- wiring -------------------------------------------------------------------------------


def wire(services: Services) -> Wiring:
    """The job kinds and the outbox hook of help requests."""
    requests = services.requests
    return Wiring(
        jobs={ESCALATE_JOB: requests.escalate, STALE_JOB: requests.remind_stale},
        settled={CARD: requests.card_settled},
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
        CallbackQueryHandler(button, pattern=pattern("requests")),
    ]


DESCRIPTION = Feature(
    "requests", get_handlers, MENU, prompts={PROMPT: answer_prompt}, wire=wire
)
