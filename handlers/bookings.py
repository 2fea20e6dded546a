"""Booking the study room and the hall: /book with its buttons, /bookings, and the owners'
Approve / Decline."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import ButtonData, action_for, parse_button, pattern
from bot.commands import MenuCommand
from bot.context import LinliContext, Services
from bot.domain.core import Prompt
from bot.errors import InvalidInput
from bot.features import Feature, Wiring
from bot.i18n import N_
from bot.services.bookings import PROMPT
from bot.services.community import Actor
from bot.views import bookings as views
from bot.views.common import OutMessage
from handlers.access import actor_of, owner_actor, place_of
from handlers.common import command_text, message_key, show
from handlers.roster import edit_in_place

FEATURE = views.FEATURE
MENU = [
    MenuCommand("book", N_("Book the study room or the hall"), group=False),
    MenuCommand("bookings", N_("Your bookings, with a button to cancel")),
]


async def book(update: Update, context: LinliContext) -> None:
    """/book [room date time purpose]: the rooms, then days and slots as buttons."""
    if place_of(update) is not None:
        raise InvalidInput(N_("Please use /book in a private chat with me."))
    actor = actor_of(update)
    service, t = context.services.bookings, context.t
    text = command_text(update)
    rooms = await service.rooms_for(actor)
    if not text:
        if len(rooms) > 1:
            await show(update, context, views.rooms(t, rooms))
        else:
            await show(update, context, views.days(t, rooms[0], service.days(rooms[0])))
        return
    name, day, minute, purpose = _typed(context, text, [r.facility.name for r in rooms])
    room = await service.named_room(actor, name)
    found = await service.book(actor, room.facility.id, service.moment(day, minute),
                               message_key(update), purpose)
    await show(update, context, views.booked(t, found, service.tz))


def _typed(
    context: LinliContext, text: str, names: list[str]
) -> tuple[str, date, int, str]:
    """The room's name (the longest that starts the text), the date, the time, the purpose."""
    for name in sorted(names, key=len, reverse=True):
        if text.lower().startswith(name.lower()):
            day, minute, purpose = context.services.bookings.when(text[len(name):].strip())
            return name, day, minute, purpose
    raise InvalidInput(views.BOOK_USAGE)


async def bookings(update: Update, context: LinliContext) -> None:
    """/bookings: mine with Cancel buttons; /bookings 2026-12-05: everyone's (owners)."""
    service, t = context.services.bookings, context.t
    text = command_text(update)
    if text:
        actor = await owner_actor(update, context)
        day = service.day_of(text)
        found = await service.of_day(actor, place_of(update), day)
        await show(update, context, views.of_day(t, day, found, service.tz))
        return
    if place_of(update) is not None:
        raise InvalidInput(N_("Please use /bookings in a private chat with me."))
    await show(update, context, views.mine(t, await service.mine(actor_of(update)), service.tz))


Action = Callable[[Update, LinliContext, Actor, ButtonData], Awaitable[OutMessage]]


async def on_room(update: Update, context: LinliContext, actor: Actor, data: ButtonData
                  ) -> OutMessage:
    """A room chosen: its days."""
    service = context.services.bookings
    room = await service.resident_room(actor, data.int_arg(0))
    return views.days(context.t, room, service.days(room))


async def on_day(update: Update, context: LinliContext, actor: Actor, data: ButtonData
                 ) -> OutMessage:
    """A day chosen: its slots."""
    service = context.services.bookings
    try:
        day = datetime.strptime(data.args[1], "%Y%m%d").date()
    except (IndexError, ValueError):
        raise InvalidInput(N_("This button is no longer valid.")) from None
    room, slots = await service.grid(actor, data.int_arg(0), day)
    return views.slots(context.t, room, day, slots, service.tz)


async def on_take(update: Update, context: LinliContext, actor: Actor, data: ButtonData
                  ) -> OutMessage:
    """A free slot tapped: booked (or asked)."""
    service = context.services.bookings
    query = update.callback_query
    source = None if query is None else f"press:{query.id}"
    found = await service.book(actor, data.int_arg(0), data.int_arg(1) * 60.0, source)
    return views.booked(context.t, found, service.tz)


async def on_cancel(update: Update, context: LinliContext, actor: Actor, data: ButtonData
                    ) -> OutMessage:
    """Cancel one of my bookings; the list again."""
    service = context.services.bookings
    found = await service.cancel(actor, data.int_arg(0))
    rest = await service.mine(actor)
    listed = views.mine(context.t, rest, service.tz)
    note = views.cancelled(context.t, found, service.tz).text
    return OutMessage(note + "\n\n" + listed.text, listed.buttons)


async def on_approve(update: Update, context: LinliContext, actor: Actor, data: ButtonData
                     ) -> OutMessage:
    """An owner approves."""
    service = context.services.bookings
    found = await service.decide(actor, data.int_arg(0), approve=True)
    return views.owner_decided(context.t, found, service.tz)


async def on_decline(update: Update, context: LinliContext, actor: Actor, data: ButtonData
                     ) -> OutMessage:
    """An owner pressed Decline: ask the reason (or decline without one)."""
    found = await context.services.bookings.ask_reason(actor, data.int_arg(0))
    return views.reason_asked(context.t, found)


async def on_no_reason(update: Update, context: LinliContext, actor: Actor, data: ButtonData
                       ) -> OutMessage:
    """Decline without a reason."""
    service = context.services.bookings
    found = await service.decide(actor, data.int_arg(0), approve=False)
    return views.owner_decided(context.t, found, service.tz)


async def on_here(update: Update, context: LinliContext, actor: Actor, data: ButtonData
                  ) -> OutMessage:
    """ "I'm here" on the reminder."""
    service = context.services.bookings
    return views.checked_in(context.t, await service.check_in(actor, data.int_arg(0)), service.tz)


BUTTONS: dict[str, Action] = {
    "room": on_room, "day": on_day, "take": on_take, "cancel": on_cancel,
    "approve": on_approve, "decline": on_decline, "nowhy": on_no_reason, "here": on_here,
}

BUTTON_ACTIONS = (*BUTTONS, "noop")


async def booking_button(update: Update, context: LinliContext) -> None:
    """Every booking button; the service checks again who presses and whether they may."""
    query = update.callback_query
    if query is None:
        return
    data = parse_button(query.data, FEATURE)
    if data.action == "noop":
        await query.answer(context.t.plain("This slot cannot be booked."))
        return
    action = action_for(BUTTONS, data)
    actor = await owner_actor(update, context)
    shown = await action(update, context, actor, data)
    await query.answer()
    await edit_in_place(query, shown)


async def decline_reason(update: Update, context: LinliContext, prompt: Prompt) -> None:
    """The owner's next private message after Decline: the reason."""
    message = update.effective_message
    if message is None or not message.text:
        raise InvalidInput(N_("Please send the reason as one line of text."))
    service = context.services.bookings
    found = await service.decide(
        Actor(prompt.user_id), int(prompt.payload["booking"]), approve=False, reason=message.text
    )
    await show(update, context, views.owner_decided(context.t, found, service.tz))


def wire(services: Services) -> Wiring:
    """The reminder before a booking."""
    bookings = services.bookings
    return Wiring(jobs=bookings.jobs(), expiry={PROMPT: bookings.reason_expired})


def get_handlers() -> list[BaseHandler[Update, LinliContext, None]]:
    """Handlers of this feature."""
    return [
        CommandHandler("book", book),
        CommandHandler("bookings", bookings),
        CallbackQueryHandler(booking_button, pattern=pattern(FEATURE)),
    ]


DESCRIPTION = Feature(
    "booking", get_handlers, MENU, prompts={PROMPT: decline_reason}, wire=wire
)
