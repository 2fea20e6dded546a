"""Events with sign-up lists (接龙), waitlists, reminders and attendance.

/event posts an event (one line, or step by step with questions); /events lists what is
coming. The event's buttons (Join, Leave, Help out) and the owners' buttons (Cancel,
attendance) all come through ``on_button``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import (
    Chat,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
    User,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import ButtonData, button_data, parse_button, pattern
from bot.commands import MenuCommand
from bot.context import LinliContext, Services
from bot.domain.core import Building, Prompt
from bot.domain.events import Event
from bot.errors import InvalidInput, NotAllowed
from bot.features import Feature, Wiring
from bot.i18n import N_, Html
from bot.services.community import Role
from bot.services.events import (
    KIND_CANCELLED,
    KIND_CARD,
    KIND_PROMOTED,
    KIND_REMINDER,
    PROMPT,
    AttendanceSheet,
    EventForm,
    JoinOutcome,
    Listing,
    building_names,
    example_time,
    listing_markup,
    listing_text,
    local_time,
    parse_event_line,
    sheet_markup,
    sheet_text,
    split_targets,
)
from handlers.access import REFUSALS, group_building, require_role, role_of
from handlers.common import command_text, message_key, reply
from handlers.errors import quoted

MENU = [
    MenuCommand("event", N_("Post an event with a sign-up list (owners)")),
    MenuCommand("events", N_("Coming events")),
]

STOP = ("stop", "停止", "取消")

LINE_FORM = N_(
    "{problem}\n\nWrite the event on one line, like this:\n"
    "/event {prefix}{time} | Health check | Community hall | 40 | 2 | Bring your medical card\n"
    "That is: time | title | place | places | helpers | description; the last three may be "
    "left out. Or send /event alone and I will ask step by step."
)
QUESTIONS = {
    "buildings": N_(
        "🗓 Which buildings is the event for? Write their names separated by commas "
        "(for example {names}), or all."
    ),
    "title": N_("🗓 What is the event called? For example: Free health check"),
    "when": N_("🗓 When is it? Write the date and time, for example {time}"),
    "place": N_("🗓 Where is it? For example: Community hall"),
    "capacity": N_("🗓 How many people can come? Write a number, or - for no limit."),
    "helpers": N_("🗓 How many volunteer helpers do you need? Write a number, or 0."),
    "description": N_(
        "🗓 Anything else people should know (what to bring, who it is for)? "
        "Write it, or - for nothing."
    ),
}


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
        draft = await events.start_form(chat.id, user.id, [b.id for b in buildings])
        await _ask(update, context, draft)
        return
    if not buildings:  # in private, by someone who owns several buildings
        problem = InvalidInput(N_("Say first which buildings the event is for, or all."))
        raise _line_error(context, problem, "all | ")
    form = _parse_line(context, rest, f"{spec} | " if spec else "")
    event = await events.create(buildings, form, user.id, message_key(update))
    await _posted(update, context, event, buildings)


async def _targets(update: Update, context: LinliContext, spec: str | None) -> list[Building]:
    """The buildings an /event is for, checked for ownership; [] in private if not said yet.

    In a group: its building. In private: the buildings named (or all one owns), or
    the single one a person owns.
    """
    chat, user = _chat_and_user(update)
    community = context.services.community
    if chat.type != Chat.PRIVATE:
        building = await group_building(update, context)
        await require_role(update, context, building, Role.OWNER)
        return [building]
    owned = await community.owned_buildings(user.id)
    names = building_names(spec) if spec is not None else []
    if spec is None or names is None:  # not said, or "all"
        if not owned:
            raise NotAllowed(REFUSALS[Role.OWNER])
        return owned if names is None or len(owned) == 1 else []
    if not names:
        raise InvalidInput(N_("Write the names of the buildings, separated by commas, or all."))
    buildings = {b.id: b for b in [await community.building_named(name) for name in names]}
    for building in buildings.values():
        await require_role(update, context, building, Role.OWNER)
    return list(buildings.values())


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
        LINE_FORM,
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
        text = context.t(
            "✅ Event #{number} «{title}» is posted in {buildings}.",
            number=event.id,
            title=event.title,
            buildings=", ".join(b.name for b in buildings),
        )
        await reply(update, context, text)


# --- the step-by-step form ----------------------------------------------------------------


async def _ask(update: Update, context: LinliContext, form: Prompt) -> None:
    """Ask the form's next question (a plain message or a reply answers it)."""
    services = context.services
    owned = await services.community.owned_buildings(form.user_id)
    text = context.t(
        QUESTIONS[form.step],
        names=",".join(b.name for b in owned[:2]) or "3号楼,5号楼",
        time=example_time(services.clock.now(), services.settings.community.tz),
    )
    await reply(update, context, text, reply_markup=ForceReply(selective=True))


async def form_answer(update: Update, context: LinliContext, form: Prompt) -> None:
    """An answer to a question of the step-by-step /event form."""
    message = update.effective_message
    events = context.services.events
    if message is None:
        return
    if message.text is None:
        raise InvalidInput(N_("Please answer the question of the /event form with text."))
    targets: list[Building] = []
    if form.step == "buildings":
        targets = await _targets(update, context, message.text)
    else:
        await _require_owner_of(update, context, form.payload.get("buildings", []))
    answered = await events.answer_form(
        form, message.text, [b.id for b in targets], message.message_id
    )
    if isinstance(answered, Event):
        buildings = await events.buildings_of(answered.id)
        await _posted(update, context, answered, buildings)
    else:
        await _ask(update, context, answered)


async def _require_owner_of(update: Update, context: LinliContext, building_ids: list[int]) -> None:
    """Check again that the person owns every building of the form."""
    repo = context.services.community.buildings
    for building_id in building_ids:
        building = await repo.by_id(building_id)
        if building is not None:
            await require_role(update, context, building, Role.OWNER)


async def _stop_form(update: Update, context: LinliContext) -> None:
    """/event stop: drop the step-by-step form."""
    chat, user = _chat_and_user(update)
    if await context.services.events.stop_form(chat.id, user.id):
        await reply(update, context, context.t("The /event form is dropped."))
    else:
        await reply(update, context, context.t("There is no /event form to drop."))


# --- /events ------------------------------------------------------------------------------


async def events_command(update: Update, context: LinliContext) -> None:
    """/events: what is coming up (in a group, for its building; in private, for yours)."""
    buildings, managed = await _listing_scope(update, context)
    services = context.services
    listing = await services.events.listing([b.id for b in buildings], {b.id for b in managed})
    await _show_listing(update, context, listing)


async def _listing_scope(
    update: Update, context: LinliContext
) -> tuple[list[Building], list[Building]]:
    """(the buildings to list, those the person manages)."""
    chat, user = _chat_and_user(update)
    community = context.services.community
    if chat.type != Chat.PRIVATE:
        building = await group_building(update, context)
        owner = await role_of(update, context, building) >= Role.OWNER
        return [building], [building] if owner else []
    owned = await community.owned_buildings(user.id)
    lives_in = await community.buildings.of_user(user.id)
    every = {b.id: b for b in lives_in + owned}
    return list(every.values()), owned


async def _show_listing(update: Update, context: LinliContext, listing: Listing) -> None:
    t, tz = context.t, context.services.settings.community.tz
    await reply(
        update,
        context,
        listing_text(t, listing, tz),
        reply_markup=_keyboard(listing_markup(t, listing)),
    )


# --- buttons ------------------------------------------------------------------------------


async def on_button(update: Update, context: LinliContext) -> None:
    """Every button of events: Join, Leave, Help out; and the owners' cancel and attendance."""
    query = update.callback_query
    button = parse_button(query.data if query else None, "event")
    action = BUTTONS.get(button.action)
    if action is None:
        raise InvalidInput(N_("This button is no longer valid."))
    await action(update, context, button)


async def join_button(update: Update, context: LinliContext, button: ButtonData) -> None:
    """Join: a place on the list, or on the waitlist when it is full."""
    _chat, user = _chat_and_user(update)
    building = await group_building(update, context)
    await context.services.community.resident_seen(building.chat_id, user.id)
    outcome = await context.services.events.join(button.int_arg(), building, user.id, "guest")
    await reply(update, context, _joined(context, outcome))


async def help_button(update: Update, context: LinliContext, button: ButtonData) -> None:
    """Help out: volunteers of the building sign up as helpers."""
    _chat, user = _chat_and_user(update)
    building = await group_building(update, context)
    await require_role(update, context, building, Role.VOLUNTEER)
    outcome = await context.services.events.join(button.int_arg(), building, user.id, "helper")
    await reply(update, context, _joined(context, outcome))


def _joined(context: LinliContext, outcome: JoinOutcome) -> str:
    """What a sign-up press answers."""
    texts = {
        ("guest", "going"): N_("You are on the list: number {position}."),
        ("guest", "waiting"): N_(
            "The list is full. You are number {position} on the waitlist; "
            "I will tell you when a place opens."
        ),
        ("helper", "going"): N_("Thank you! You are helper number {position}."),
        ("helper", "waiting"): N_(
            "There are enough helpers. You are number {position} on the helpers' waitlist."
        ),
    }
    return context.t(texts[(outcome.role, outcome.status)], position=outcome.position)


async def leave_button(update: Update, context: LinliContext, button: ButtonData) -> None:
    """Leave: off the list; the first on the waitlist moves up."""
    _chat, user = _chat_and_user(update)
    building = await group_building(update, context)
    await context.services.events.leave(button.int_arg(), building, user.id)
    await reply(update, context, context.t("You have left the list."))


async def cancel_button(update: Update, context: LinliContext, button: ButtonData) -> None:
    """Cancel #N (from /events): ask the owner to confirm."""
    event = await _owned_event(update, context, button.int_arg())
    t = context.t
    text = t(
        "Cancel <b>{title}</b> ({when})? Everyone signed up will be told.",
        title=event.title,
        when=local_time(t, event.starts_at, context.services.settings.community.tz),
    )
    yes = InlineKeyboardButton(
        t.plain("Yes, cancel it"), callback_data=button_data("event", "cancelok", event.id)
    )
    no = InlineKeyboardButton(
        t.plain("No, keep it"), callback_data=button_data("event", "keep", event.id)
    )
    await _edit(update, text, InlineKeyboardMarkup([[yes, no]]))


async def confirm_cancel_button(update: Update, context: LinliContext, button: ButtonData) -> None:
    """Yes, cancel it: the event is cancelled and everyone signed up is told."""
    event = await _owned_event(update, context, button.int_arg())
    told = await context.services.events.cancel(event.id)
    text = context.t(
        "❌ <b>{title}</b> is cancelled. I am telling the {count} people who signed up.",
        title=event.title,
        count=told,
    )
    await _edit(update, text, None)


async def keep_button(update: Update, context: LinliContext, button: ButtonData) -> None:
    """No, keep it."""
    event = await _owned_event(update, context, button.int_arg())
    text = context.t("Nothing changed: <b>{title}</b> goes ahead.", title=event.title)
    await _edit(update, text, None)


async def sheet_button(update: Update, context: LinliContext, button: ButtonData) -> None:
    """Attendance #N, or another page of the sheet."""
    event = await _owned_event(update, context, button.int_arg())
    sheet = await context.services.events.sheet(event.id)
    await _show_sheet(update, context, sheet, button.int_arg(1))


async def mark_button(update: Update, context: LinliContext, button: ButtonData) -> None:
    """A name on the sheet: flip whether they came."""
    _chat, user = _chat_and_user(update)
    event = await _owned_event(update, context, button.int_arg())
    sheet = await context.services.events.mark(event.id, button.int_arg(1), user.id)
    await _show_sheet(update, context, sheet, button.int_arg(2))


async def save_button(update: Update, context: LinliContext, button: ButtonData) -> None:
    """Save attendance: the event is over; helpers who came earn their points."""
    _chat, user = _chat_and_user(update)
    event = await _owned_event(update, context, button.int_arg())
    sheet = await context.services.events.save_attendance(event.id, user.id)
    await _show_sheet(update, context, sheet, 0)


async def _owned_event(update: Update, context: LinliContext, event_id: int) -> Event:
    """The event, if the person owns every building it is posted in."""
    events = context.services.events
    for building in await events.buildings_of(event_id):
        await require_role(update, context, building, Role.OWNER)
    return await events.get(event_id)


async def _show_sheet(
    update: Update, context: LinliContext, sheet: AttendanceSheet, page: int
) -> None:
    t, tz = context.t, context.services.settings.community.tz
    await _edit(update, sheet_text(t, sheet, tz), _keyboard(sheet_markup(t, sheet, page)))


async def _edit(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Answer the press and show the result in the message that was pressed."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
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


# --- wiring -------------------------------------------------------------------------------


def _chat_and_user(update: Update) -> tuple[Chat, User]:
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        raise InvalidInput(N_("This button is no longer valid."))
    return chat, user


def _keyboard(markup: dict[str, Any] | None) -> InlineKeyboardMarkup | None:
    """An inline keyboard from its Bot API form (as the service builds it for the outbox)."""
    if markup is None:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
            for row in markup["inline_keyboard"]
        ]
    )


def wire(services: Services) -> Wiring:
    """The job kinds and outbox hooks of events."""
    events = services.events
    notes = dict.fromkeys(
        (KIND_PROMOTED, KIND_REMINDER, KIND_CANCELLED), events.private_note_settled
    )
    return Wiring(
        jobs=events.jobs(),
        settled={KIND_CARD: events.card_sent, **notes},
        expiry={PROMPT: events.form_expired},
    )


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
