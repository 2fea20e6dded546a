"""Service hours: /checkin, /checkout, /hours (and its add, correct and announce), /certificate,
/verify, /apply, the buttons of check-in messages, event cards, codes and applications, and
the location a volunteer shares to check in."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from telegram import Chat, InputFile, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import action_for, parse_button, pattern
from bot.commands import MenuCommand
from bot.context import LinliContext, Services
from bot.domain.core import Prompt
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.features import Feature, Wiring
from bot.i18n import N_
from bot.reports.certificate import render
from bot.services.community import REFUSALS, Actor, Role
from bot.services.events import KIND_CARD
from bot.services.hours import CORRECT_USAGE, MAKEUP_USAGE, PROMPT, CheckIn, LocationAsked
from bot.views import hours as views
from bot.views import points as points_views
from handlers.access import fresh_admins, group_building, refresh_admins
from handlers.chat import menu_keyboard
from handlers.common import command_text, message_key, named_person, reply, show

MENU = [
    MenuCommand("checkin", N_("Check in at an activity: /checkin 123456")),
    MenuCommand("checkout", N_("Check out of the activity you checked in to")),
    MenuCommand("hours", N_("Your service hours and star level")),
    MenuCommand("certificate", N_("A PDF of your year's service hours: /certificate 2026"),
                group=False),
    MenuCommand("verify", N_("Check a certificate's number: /verify LL2026-…")),
    MenuCommand("apply", N_("Ask to be a volunteer of your building: /apply repair health"),
                private=False),
]
HOURS_USAGE = N_(
    "Write /hours for your own hours, /hours @user for a volunteer's (owners), "
    "/hours add @user 2 reason, /hours correct 12 1.5 reason, or /hours announce on|off."
)
ANNOUNCE_WORDS = {"on": True, "开": True, "开启": True, "off": False, "关": False, "关闭": False}


def _actor(update: Update) -> Actor:
    user = update.effective_user
    if user is None:
        raise NotAllowed(REFUSALS[Role.RESIDENT])
    return Actor(user.id)


def _private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == Chat.PRIVATE


async def _fresh_owners(update: Update, context: LinliContext, volunteer_id: int) -> None:
    """The admin lists of the buildings a volunteer serves, fresh (owners' rights rest on
    them)."""
    served = await context.services.community.buildings.volunteering(volunteer_id)
    await fresh_admins(update, context, served)




# --- check-in and check-out ------------------------------------------------------------------


async def checkin(update: Update, context: LinliContext) -> None:
    """/checkin <code>: check in at an activity; alone, an organiser's open codes."""
    service, tz = context.services.hours, context.services.settings.community.tz
    code = command_text(update)
    if not code:
        if not _private(update):
            raise InvalidInput(N_("Check in with the code the organiser shows: "
                                  "/checkin 123456"))
        await show(update, context, views.organised(context.t, await service.organised(
            _actor(update)), tz))
        return
    done = await service.check_in_code(_actor(update), code)
    if isinstance(done, LocationAsked) and _private(update):
        return  # the question, with its location button, is on its way to this chat
    await reply(update, context, _checked_in(update, context, done))


def _checked_in(update: Update, context: LinliContext, done: CheckIn | LocationAsked) -> str:
    """A check-in done, or the location asked for in private."""
    if isinstance(done, LocationAsked):
        return views.location_wanted(context.t, done, private=_private(update))
    return views.checked_in(context.t, done, context.services.settings.community.tz)


async def location_answer(update: Update, context: LinliContext, prompt: Prompt) -> None:
    """The volunteer's answer to "share your location": checked in when near the event."""
    message = update.effective_message
    service = context.services.hours
    if message is None:
        return
    if message.location is None or message.forward_origin is not None:
        activity = await service.activity(service.waiting_for(prompt))
        raise InvalidInput(N_("Press «📍 Share my location» below to check in to «{title}»: "
                              "your own location, not a forwarded one."), title=activity.title)
    here = (message.location.latitude, message.location.longitude)
    done = await service.check_in_here(_actor(update), service.waiting_for(prompt), here)
    await reply(update, context, _checked_in(update, context, done),
                reply_markup=await menu_keyboard(update, context))


async def checkout(update: Update, context: LinliContext) -> None:
    """/checkout: check out of the activity one checked in to."""
    done = await context.services.hours.check_out(_actor(update))
    minimum = context.services.settings.hours.minimum_minutes
    await reply(update, context, views.checked_out(context.t, done, minimum))


# --- /hours ----------------------------------------------------------------------------------


async def hours(update: Update, context: LinliContext) -> None:
    """/hours [@user | add … | correct … | announce on|off]."""
    words = command_text(update).split(maxsplit=1)
    action = HOURS_ACTIONS.get(words[0].lower()) if words else None
    if action is not None:
        await reply(update, context, await action(update, context,
                                                  words[1] if len(words) > 1 else ""))
        return
    if words and not words[0].startswith("@"):
        raise InvalidInput(HOURS_USAGE)
    me = _actor(update)
    person = await named_person(update, context, words[0], HOURS_USAGE) if words else \
        await context.services.users.get(me.user_id)
    if person is None:
        raise NotAllowed(REFUSALS[Role.RESIDENT])
    await _fresh_owners(update, context, person.id)
    shown = await context.services.hours.summary(me, person)
    tz = context.services.settings.community.tz
    await reply(update, context, views.summary(context.t, shown, tz, own=person.id == me.user_id))


async def _add(update: Update, context: LinliContext, text: str) -> str:
    """/hours add @user <hours> <reason>."""
    words = text.split(maxsplit=2)
    if len(words) < 2:
        raise InvalidInput(MAKEUP_USAGE)
    if not words[0].startswith("@"):
        words = ["", *words]  # a reply names the person
    volunteer = await named_person(update, context, words[0] or None, MAKEUP_USAGE)
    if len(words) < 3:
        raise InvalidInput(MAKEUP_USAGE)
    await _fresh_owners(update, context, volunteer.id)
    result = await context.services.hours.add_makeup(
        _actor(update), volunteer, words[1], words[2], f"makeup:{message_key(update)}")
    return views.made(context.t, result, context.services.settings.community.tz)


async def _correct(update: Update, context: LinliContext, text: str) -> str:
    """/hours correct <entry> <hours> <reason>."""
    words = text.split(maxsplit=2)
    number = words[0].lstrip("#") if words else ""
    if len(words) < 3 or not (number.isascii() and number.isdigit() and len(number) < 12):
        raise InvalidInput(CORRECT_USAGE)
    service = context.services.hours
    volunteer_id = await service.entry_volunteer(int(number))
    if volunteer_id is not None:
        await _fresh_owners(update, context, volunteer_id)
    result = await service.correct(_actor(update), int(number), words[1], words[2],
                                   f"correction:{message_key(update)}")
    return views.made(context.t, result, context.services.settings.community.tz)


async def _announce(update: Update, context: LinliContext, text: str) -> str:
    """/hours announce on|off, in the building's group (owners)."""
    building = await group_building(update, context)
    on = ANNOUNCE_WORDS.get(text.strip().lower())
    if on is None:
        raise InvalidInput(N_("Write /hours announce on or /hours announce off."))
    await context.services.hours.set_announce(_actor(update), building, on)
    return views.announce_set(context.t, building, on)


HoursAction = Callable[[Update, LinliContext, str], Awaitable[str]]
HOURS_ACTIONS: dict[str, HoursAction] = {
    "add": _add, "补录": _add,
    "correct": _correct, "更正": _correct,
    "announce": _announce, "通报": _announce,
}  # fmt: skip


# --- certificates ----------------------------------------------------------------------------


async def certificate(update: Update, context: LinliContext) -> None:
    """/certificate [year]: the PDF of a year's service hours, in private."""
    message = update.effective_message
    if message is None or not _private(update):
        raise InvalidInput(N_("The certificate is personal: ask for it with /certificate in a "
                              "private chat with me."))
    service = context.services.hours
    year = service.year(command_text(update))
    issued = await service.certificate(_actor(update), year, f"certificate:{message_key(update)}")
    tz = context.services.settings.community.tz
    pdf = await asyncio.to_thread(render, context.t, issued, tz)  # a second for 1,000 lines
    await message.reply_document(
        InputFile(pdf, filename=f"linli-hours-{year}.pdf"),
        caption=views.certificate_caption(context.t, issued), parse_mode=ParseMode.HTML)


async def verify(update: Update, context: LinliContext) -> None:
    """/verify <number>: whether a certificate is genuine (anyone)."""
    number = command_text(update)
    if not number:
        raise InvalidInput(N_("Write the certificate's number: /verify LL2026-1A2B3C4D"))
    found = await context.services.hours.verify(number)
    tz = context.services.settings.community.tz
    await reply(update, context, views.verification(context.t, found, tz))


# --- applying ----------------------------------------------------------------------------------


async def apply(update: Update, context: LinliContext) -> None:
    """/apply [skills]: a resident asks to be a volunteer of the group's building."""
    building = await group_building(update, context)
    result = await context.services.hours.apply(
        _actor(update), building, command_text(update).split(), f"apply:{message_key(update)}")
    await reply(update, context, views.applied(context.t, result))


# --- buttons ---------------------------------------------------------------------------------


async def button(update: Update, context: LinliContext) -> None:
    """Check in / Check out (in private or on the event's card), Show the code again,
    Confirm, Approve / Decline, post the ranking by hours.

    Rights are checked again in the service on every press; a refusal becomes the alert.
    """
    query = update.callback_query
    if query is None:
        return
    pressed = parse_button(query.data, views.FEATURE)
    action = action_for(BUTTON_ACTIONS, pressed)
    await reply(update, context, await action(update, context, pressed.int_arg()),
                alert=pressed.action == "code")  # the code: an alert only the presser sees


async def _in(update: Update, context: LinliContext, activity_id: int) -> str:
    done = await context.services.hours.check_in(_actor(update), activity_id)
    return _checked_in(update, context, done)


async def _out(update: Update, context: LinliContext, activity_id: int) -> str:
    done = await context.services.hours.check_out(_actor(update), activity_id)
    minimum = context.services.settings.hours.minimum_minutes
    return views.checked_out(context.t, done, minimum)


async def _code(update: Update, context: LinliContext, activity_id: int) -> str:
    activity = await context.services.hours.show_code(_actor(update), activity_id)
    return views.code_alert(context.t, activity, context.services.settings.community.tz)


async def _confirm(update: Update, context: LinliContext, attendance_id: int) -> str:
    done = await context.services.hours.confirm(_actor(update), attendance_id)
    volunteer = await context.services.users.get(done.attendance.user_id)
    name = volunteer.display_name if volunteer else str(done.attendance.user_id)
    return views.confirmed(context.t, done, name)


async def _decide(update: Update, context: LinliContext, application_id: int,
                  approve: bool) -> str:
    service = context.services.hours
    building = await service.application_building(application_id)
    if building is not None:
        await refresh_admins(context, building.chat_id)
    decided = await service.decide(_actor(update), application_id, approve)
    resident = await context.services.users.get(decided.user_id)
    return views.decided(context.t, decided, resident.display_name if resident else "")


async def _approve(update: Update, context: LinliContext, application_id: int) -> str:
    return await _decide(update, context, application_id, approve=True)


async def _decline(update: Update, context: LinliContext, application_id: int) -> str:
    return await _decide(update, context, application_id, approve=False)


async def _post(update: Update, context: LinliContext, building_id: int) -> str:
    """An owner posts the building's ranking by hours (from /leaderboard hours) in its group."""
    building = await context.services.community.buildings.by_id(building_id)
    if building is None:
        raise NotFound(N_("This button is no longer valid."))
    await fresh_admins(update, context, [building])
    posted = await context.services.hours.post_leaderboard(_actor(update), building)
    return points_views.posted_answer(context.t, building, posted)


ButtonAction = Callable[[Update, LinliContext, int], Awaitable[str]]
BUTTON_ACTIONS: dict[str, ButtonAction] = {
    "in": _in, "out": _out, "code": _code, "confirm": _confirm,
    "approve": _approve, "decline": _decline, "post": _post,
}


def wire(services: Services) -> Wiring:
    """The jobs that open check-in windows and close them; the hook that plans an event's
    window when its card reaches a group (the events code stays as it is); at every start,
    the windows that opened meanwhile."""
    hours_service = services.hours
    return Wiring(jobs=hours_service.jobs(), settled={KIND_CARD: hours_service.event_posted},
                  expiry={PROMPT: hours_service.location_expired},
                  on_start=hours_service.catch_up)


def get_handlers() -> list[BaseHandler[Update, LinliContext, None]]:
    """Handlers of this feature."""
    return [
        CommandHandler("checkin", checkin),
        CommandHandler("checkout", checkout),
        CommandHandler("hours", hours),
        CommandHandler("certificate", certificate),
        CommandHandler("verify", verify),
        CommandHandler("apply", apply),
        CallbackQueryHandler(button, pattern=pattern(views.FEATURE)),
    ]


DESCRIPTION = Feature("hours", get_handlers, MENU, prompts={PROMPT: location_answer}, wire=wire)
