"""Events with sign-up lists (接龙), waitlists, reminders and attendance.

/event posts an event (one line, or step by step with questions); /events lists what is
coming. The event's buttons (Join, Leave, Help out) and the owners' buttons (Cancel,
attendance) all come through ``on_button``. Handlers gather the Telegram facts (the chat,
the person, fresh admin lists) and build the Actor; the service checks who may.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Chat, ForceReply, Update, User
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import ButtonData, action_for, parse_button, pattern
from bot.commands import MenuCommand
from bot.context import LinliContext, Services
from bot.domain.core import Building, Prompt
from bot.domain.events import Event, EventForm
from bot.domain.events import Role as SignupRole
from bot.errors import InvalidInput, NotAllowed
from bot.features import Feature, Wiring
from bot.i18n import N_, Html
from bot.services.community import REFUSALS, Actor, Role
from bot.services.events import (
    KIND_CANCELLED,
    KIND_PROMOTED,
    KIND_REMINDER,
    LOCATION_STEP,
    PROMPT,
    example_time,
    parse_building_names,
    parse_event_line,
    split_targets,
)
from bot.views import events as views
from bot.views.common import OutMessage
from handlers.access import fresh_admins, group_building
from handlers.common import command_text, inline_markup, message_key, reply, show
from handlers.errors import quoted

MENU = [
    MenuCommand("event", N_("Post an event with a sign-up list (owners)")),
    MenuCommand("events", N_("Coming events")),
]

STOP = ("stop", "停止", "取消")


# --- /event -------------------------------------------------------------------------------


async def event_command(update: Update, context: LinliContext) -> None:
    """/event: post an event on one line, or start the step-by-step form (owners)."""
    chat, user = _chat_and_user(update)
    text = command_text(update)
    if text.lower() in STOP:
        await _stop_form(update, context)
        return
    spec, rest = split_targets(text) if chat.type == Chat.PRIVATE else (None, text)
    buildings = await _targets(update, context, spec)
    events = context.services.events
    if not rest:
        draft = await events.start_form(Actor(user.id), chat.id, buildings)
        await _ask(update, context, draft)
        return
    if not buildings:  # in private, by someone who owns several buildings
        problem = InvalidInput(N_("Say first which buildings the event is for, or all."))
        raise _line_error(context, problem, "all | ")
    form = _parse_line(context, rest, f"{spec} | " if spec else "")
    event = await events.create(Actor(user.id), buildings, form, message_key(update))
    await _posted(update, context, event, buildings)


async def _targets(update: Update, context: LinliContext, spec: str | None) -> list[Building]:
    """The buildings an /event is for; [] in private if not said yet (the service checks
    that the person owns them).

    In a group: its building. In private: the buildings named (or all one owns), or
    the single one a person owns.
    """
    chat, user = _chat_and_user(update)
    community = context.services.community
    actor = Actor(user.id)
    if chat.type != Chat.PRIVATE:
        return await community.scope(actor, chat.id, Role.OWNER)
    names = parse_building_names(spec) if spec is not None else []
    if spec is None or names is None:  # not said, or "all"
        owned = await community.scope(actor, None, Role.OWNER)
        if not owned:
            raise NotAllowed(REFUSALS[Role.OWNER])
        return owned if names is None or len(owned) == 1 else []
    if not names:
        raise InvalidInput(N_("Write the names of the buildings, separated by commas, or all."))
    named = {b.id: b for b in [await community.building_named(name) for name in names]}
    await fresh_admins(update, context, list(named.values()))
    return list(named.values())


def _parse_line(context: LinliContext, text: str, prefix: str) -> EventForm:
    """The one-line form, or a refusal that says what is wrong and shows the whole form."""
    services = context.services
    try:
        return parse_event_line(text, services.clock.now(), services.settings.community.tz)
    except InvalidInput as error:
        raise _line_error(context, error, prefix) from None


def _line_error(context: LinliContext, error: InvalidInput, prefix: str) -> InvalidInput:
    services = context.services
    return InvalidInput(
        views.LINE_FORM,
        problem=Html(context.t(error.message, **quoted(error.params))),
        prefix=prefix,
        time=example_time(services.clock.now(), services.settings.community.tz),
    )


async def _posted(
    update: Update, context: LinliContext, event: Event, buildings: list[Building]
) -> None:
    """Confirm in private; in a group the event's own message is the answer."""
    chat, _user = _chat_and_user(update)
    if chat.type == Chat.PRIVATE:
        await show(update, context, views.posted(context.t, event, buildings))


# --- the step-by-step form ----------------------------------------------------------------


async def _ask(update: Update, context: LinliContext, form: Prompt) -> None:
    """Ask the form's next question (a plain message or a reply answers it)."""
    services = context.services
    owned = await services.community.scope(Actor(form.user_id), None, Role.OWNER)
    example = example_time(services.clock.now(), services.settings.community.tz)
    question = views.question(context.t, form.step, owned, example)
    await reply(update, context, question.text, reply_markup=ForceReply(selective=True))


async def form_answer(update: Update, context: LinliContext, form: Prompt) -> None:
    """An answer to a question of the step-by-step /event form."""
    message = update.effective_message
    events = context.services.events
    if message is None:
        return
    where = message.location
    point = (where.latitude, where.longitude) if where is not None else None
    if message.text is None and (point is None or form.step != LOCATION_STEP):
        raise InvalidInput(N_("Please answer the question of the /event form with text."))
    _chat, user = _chat_and_user(update)
    targets: list[Building] = []
    if form.step == "buildings":
        targets = await _targets(update, context, message.text)
    else:
        await _fresh_admins_of(update, context, form.payload.get("buildings", []))
    answered = await events.answer_form(
        Actor(user.id), form, message.text or "", targets, message.message_id, point
    )
    if isinstance(answered, Event):
        buildings = await events.buildings_of(answered.id)
        await _posted(update, context, answered, buildings)
    else:
        await _ask(update, context, answered)


async def _stop_form(update: Update, context: LinliContext) -> None:
    """/event stop: drop the step-by-step form."""
    chat, user = _chat_and_user(update)
    dropped = await context.services.events.stop_form(Actor(user.id), chat.id)
    await show(update, context, views.form_stopped(context.t, dropped))


# --- /events ------------------------------------------------------------------------------


async def events_command(update: Update, context: LinliContext) -> None:
    """/events: what is coming up (in a group, for its building; in private, for yours)."""
    chat, user = _chat_and_user(update)
    place = None if chat.type == Chat.PRIVATE else chat.id
    listing = await context.services.events.listing(Actor(user.id), place)
    tz = context.services.settings.community.tz
    await show(update, context, views.listing(context.t, listing, tz))


# --- buttons ------------------------------------------------------------------------------


async def on_button(update: Update, context: LinliContext) -> None:
    """Every button of events: Join, Leave, Help out; and the owners' cancel and attendance."""
    query = update.callback_query
    button = parse_button(query.data if query else None, "event")
    action = action_for(BUTTONS, button)
    await action(update, context, button)


async def join_button(update: Update, context: LinliContext, button: ButtonData) -> None:
    """Join: a place on the list, or on the waitlist when it is full."""
    await _sign_up(update, context, button, "guest")


async def help_button(update: Update, context: LinliContext, button: ButtonData) -> None:
    """Help out: volunteers of the building sign up as helpers."""
    await _sign_up(update, context, button, "helper")


async def _sign_up(
    update: Update, context: LinliContext, button: ButtonData, role: SignupRole
) -> None:
    _chat, user = _chat_and_user(update)
    building = await group_building(update, context)
    await context.services.community.resident_seen(building.chat_id, user.id)
    events = context.services.events
    outcome = await events.join(Actor(user.id), button.int_arg(), building, role)
    await show(update, context, views.joined(context.t, outcome))


async def leave_button(update: Update, context: LinliContext, button: ButtonData) -> None:
    """Leave: off the list; the first on the waitlist moves up."""
    _chat, user = _chat_and_user(update)
    building = await group_building(update, context)
    await context.services.events.leave(Actor(user.id), button.int_arg(), building)
    await show(update, context, views.left(context.t))


async def cancel_button(update: Update, context: LinliContext, button: ButtonData) -> None:
    """Cancel #N (from /events): ask the owner to confirm."""
    actor = await _owner_actor(update, context, button.int_arg())
    event = await context.services.events.owned_event(actor, button.int_arg())
    tz = context.services.settings.community.tz
    await _edit(update, views.confirm_cancel(context.t, event, tz))


async def confirm_cancel_button(update: Update, context: LinliContext, button: ButtonData) -> None:
    """Yes, cancel it: the event is cancelled and everyone signed up is told."""
    actor = await _owner_actor(update, context, button.int_arg())
    events = context.services.events
    told = await events.cancel(actor, button.int_arg())
    event = await events.get(button.int_arg())
    await _edit(update, views.cancelled(context.t, event, told))


async def keep_button(update: Update, context: LinliContext, button: ButtonData) -> None:
    """No, keep it."""
    actor = await _owner_actor(update, context, button.int_arg())
    event = await context.services.events.owned_event(actor, button.int_arg())
    await _edit(update, views.kept(context.t, event))


async def sheet_button(update: Update, context: LinliContext, button: ButtonData) -> None:
    """Attendance #N, or another page of the sheet."""
    actor = await _owner_actor(update, context, button.int_arg())
    sheet = await context.services.events.sheet(actor, button.int_arg())
    tz = context.services.settings.community.tz
    await _edit(update, views.sheet(context.t, sheet, tz, button.int_arg(1)))


async def mark_button(update: Update, context: LinliContext, button: ButtonData) -> None:
    """A name on the sheet: flip whether they came."""
    actor = await _owner_actor(update, context, button.int_arg())
    sheet = await context.services.events.mark(actor, button.int_arg(), button.int_arg(1))
    tz = context.services.settings.community.tz
    await _edit(update, views.sheet(context.t, sheet, tz, button.int_arg(2)))


async def save_button(update: Update, context: LinliContext, button: ButtonData) -> None:
    """Save attendance: the event is over; helpers who came earn their points."""
    actor = await _owner_actor(update, context, button.int_arg())
    sheet = await context.services.events.save_attendance(actor, button.int_arg())
    tz = context.services.settings.community.tz
    await _edit(update, views.sheet(context.t, sheet, tz, 0))


async def _edit(update: Update, message: OutMessage) -> None:
    """Answer the press and show the result in the message that was pressed."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    try:
        await query.edit_message_text(
            message.text, parse_mode=ParseMode.HTML, reply_markup=inline_markup(message)
        )
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            raise


BUTTONS: dict[str, Callable[[Update, LinliContext, ButtonData], Awaitable[None]]] = {
    "join": join_button,
    "leave": leave_button,
    "help": help_button,
    "cancel": cancel_button,
    "cancelok": confirm_cancel_button,
    "keep": keep_button,
    "sheet": sheet_button,
    "mark": mark_button,
    "save": save_button,
}


# --- Telegram facts -----------------------------------------------------------------------


def _chat_and_user(update: Update) -> tuple[Chat, User]:
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        raise InvalidInput(N_("This button is no longer valid."))
    return chat, user


async def _owner_actor(update: Update, context: LinliContext, event_id: int) -> Actor:
    """The presser, with the admin lists of the event's groups fresh for the service's check."""
    _chat, user = _chat_and_user(update)
    await fresh_admins(update, context, await context.services.events.buildings_of(event_id))
    return Actor(user.id)




async def _fresh_admins_of(
    update: Update, context: LinliContext, building_ids: list[int]
) -> None:
    repo = context.services.community.buildings
    found = [await repo.by_id(building_id) for building_id in building_ids]
    await fresh_admins(update, context, [b for b in found if b is not None])


# --- wiring -------------------------------------------------------------------------------


def wire(services: Services) -> Wiring:
    """The job kinds and outbox hooks of events (the card's are wired with every card's)."""
    events = services.events
    notes = dict.fromkeys(
        (KIND_PROMOTED, KIND_REMINDER, KIND_CANCELLED), events.private_note_settled
    )
    return Wiring(jobs=events.jobs(), settled=notes, expiry={PROMPT: events.form_expired})


def get_handlers() -> list[BaseHandler[Update, LinliContext, None]]:
    """Handlers of this feature."""
    return [
        CommandHandler("event", event_command),
        CommandHandler("events", events_command),
        CallbackQueryHandler(on_button, pattern=pattern("event")),
    ]


DESCRIPTION = Feature(
    "events", get_handlers, MENU, prompts={PROMPT: form_answer}, wire=wire
)
