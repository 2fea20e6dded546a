"""Facilities and the lock-up report: /facility, /lockup with its checklist, /lockups."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import parse_button, pattern
from bot.commands import MenuCommand
from bot.context import LinliContext, Services
from bot.domain.core import Prompt
from bot.domain.requests import Source
from bot.errors import InvalidInput, NotFound
from bot.features import Feature, Wiring
from bot.i18n import N_
from bot.services.bookings import parse_bookable
from bot.services.community import Actor, Role
from bot.services.lockup import PROMPT, parse_facility
from bot.views import bookings as booking_views
from bot.views import lockup as views
from bot.views.common import OutMessage
from bot.views.lockup import FACILITY_USAGE
from handlers.access import owner_actor, place_of
from handlers.common import show
from handlers.roster import chosen_building, edit_in_place

FEATURE = "lockup"
MENU = [
    MenuCommand("facility", N_("Facilities to lock up, with closing times (owners)")),
    MenuCommand("lockup", N_("Report the lock-up of a facility, with its checklist"), group=False),
    MenuCommand("lockups", N_("Recent lock-ups: on time, late or missing")),
]


async def facility(update: Update, context: LinliContext) -> None:
    """/facility [add name | times | checklist] [remove name] [book name | hours | …]: a
    building's facilities, and which of them residents may book."""
    actor = await owner_actor(update, context)
    building, rest = await chosen_building(update, context, actor, Role.OWNER, "facility")
    action, _space, details = rest.partition(" ")
    service = context.services.lockup
    if action.lower() == "add":
        await service.add_facility(actor, building, parse_facility(details))
    elif action.lower() == "remove":
        await service.remove_facility(actor, building, details)
    elif action.lower() == "book":
        spec = parse_bookable(details)
        room = await context.services.bookings.make_bookable(actor, building, spec)
        await show(update, context, booking_views.bookable(context.t, room))
        return
    elif action:
        raise InvalidInput(FACILITY_USAGE)
    found = await service.managed_facilities(actor, building)
    await show(update, context, views.facilities(context.t, building, found, done=bool(action)))


async def lockup(update: Update, context: LinliContext) -> None:
    """/lockup: the checklist of the facility you close, as buttons to tick."""
    if place_of(update) is not None or update.effective_user is None:
        raise InvalidInput(N_("Please use /lockup in a private chat with me."))
    actor = await owner_actor(update, context)
    service = context.services.lockup
    choices = await service.facilities_for(actor)
    if len(choices) > 1:
        await show(update, context, views.facility_choice(context.t, choices))
        return
    found = await service.start(actor, choices[0][1].id)
    await show(update, context, views.checklist(context.t, found, service.tz))


async def lockup_button(update: Update, context: LinliContext) -> None:
    """Lock-up buttons: choose the facility, tick an item, post without a note."""
    query = update.callback_query
    if query is None:
        return
    data = parse_button(query.data, FEATURE)
    actor = await owner_actor(update, context)
    service, t = context.services.lockup, context.t
    if data.action == "start":
        shown = views.checklist(t, await service.start(actor, data.int_arg(0)), service.tz)
    elif data.action == "tick":
        ticked = bool(data.int_arg(2)) if len(data.args) > 2 else None
        found = await service.tick(actor, data.int_arg(0), data.int_arg(1), ticked)
        shown = views.checklist(t, found, service.tz)
    elif data.action == "post":
        found = await service.report(actor, data.int_arg(0), None, None)
        shown = views.reported(t, found, service.tz)
    elif data.action == "problem":
        await service.ask_problem(actor, data.int_arg(0))
        shown = views.problem_asked(t)
    else:
        raise InvalidInput(N_("This button is no longer valid."))
    await query.answer()
    await edit_in_place(query, shown)


async def lockup_note(update: Update, context: LinliContext, prompt: Prompt) -> None:
    """A finished checklist waits for the volunteer's next private message: the report's note
    (or, after Problem, the problem's description)."""
    message = update.effective_message
    if message is None:
        return
    if prompt.step == "problem":
        await lockup_problem(update, context, prompt)
        return
    if not message.photo and not message.text:
        raise InvalidInput(
            N_("Please send a photo or a line of text for the report, or press 📤 Post.")
        )
    photo = message.photo[-1].file_id if message.photo else None
    note = message.caption if message.photo else message.text
    service = context.services.lockup
    actor = Actor(prompt.user_id)  # the prompt is answered in the private chat of its asker
    found = await service.report(actor, int(prompt.payload["lockup"]), note, photo)
    await show(update, context, views.reported(context.t, found, service.tz))


async def lockup_problem(update: Update, context: LinliContext, prompt: Prompt) -> None:
    """The problem found at lock-up, in the volunteer's words: a repair request."""
    message = update.effective_message
    if message is None or not message.text:
        raise InvalidInput(N_("Please describe the problem in a line of text."))
    service = context.services.lockup
    source = Source(message.chat.id, message.message_id, private=True)
    found, number = await service.report_problem(
        Actor(prompt.user_id), int(prompt.payload["lockup"]), message.text, source
    )
    shown = views.checklist(context.t, found, service.tz)
    text = views.problem_noted(context.t, number) + "\n\n" + shown.text
    await show(update, context, OutMessage(text, shown.buttons))


async def lockups(update: Update, context: LinliContext) -> None:
    """/lockups: the lock-ups of the last two weeks: on time, late or missing."""
    actor = await owner_actor(update, context)
    buildings = await context.services.community.scope(actor, place_of(update), Role.VOLUNTEER)
    if not buildings:
        raise NotFound(N_("You are not an owner or a volunteer of any building."))
    service = context.services.lockup
    found = [(building, await service.history(building)) for building in buildings]
    await show(update, context, views.histories(context.t, found, service.tz))


def wire(services: Services) -> Wiring:
    """The lock-up job kinds: checks after closing time, escalations, the daily plan."""
    lockup = services.lockup
    return Wiring(jobs=lockup.jobs(), expiry={PROMPT: lockup.note_expired})


def get_handlers() -> list[BaseHandler[Update, LinliContext, None]]:
    """Handlers of this feature."""
    return [
        CommandHandler("facility", facility),
        CommandHandler("lockup", lockup),
        CommandHandler("lockups", lockups),
        CallbackQueryHandler(lockup_button, pattern=pattern(FEATURE)),
    ]


DESCRIPTION = Feature(
    "lockup", get_handlers, MENU, prompts={PROMPT: lockup_note}, wire=wire
)
