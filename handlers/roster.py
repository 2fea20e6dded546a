"""The duty roster: /roster (owners edit it with buttons or text), /duty, /swap, /handover."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from telegram import CallbackQuery, InputFile, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import ButtonData, action_for, parse_button, pattern
from bot.commands import MenuCommand
from bot.context import LinliContext, Services
from bot.domain.core import Building, User
from bot.domain.roster import parse_day_code
from bot.errors import InvalidInput, NotFound
from bot.features import Feature, Wiring
from bot.i18n import N_
from bot.reports.coverage import render_coverage
from bot.services.community import Actor, Role
from bot.services.roster import parse_away_command, parse_roster_command
from bot.views import roster as views
from bot.views.common import OutMessage
from handlers.access import owner_actor, place_of
from handlers.common import command_text, inline_markup, show

FEATURE = "roster"
MENU = [
    MenuCommand("duty", N_("Who is on duty now, and who is next")),
    MenuCommand("roster", N_("The weekly duty roster (owners edit it)")),
    MenuCommand("swap", N_("Offer one of your shifts to another volunteer"), group=False),
    MenuCommand("handover", N_("Leave a note for the volunteer who takes over")),
    MenuCommand("away", N_("Say you are away: requests skip you, your shifts are offered"),
                group=False),
    MenuCommand("back", N_("End your away early"), group=False),
    MenuCommand("coverage", N_("The coming hours with nobody on duty (owners)")),
    MenuCommand("calendar", N_("Your coming shifts and events as a calendar file"),
                group=False),
]


@dataclass(frozen=True)
class Screen:
    """What a button press shows: the edited message and a short answer to the press."""

    message: OutMessage
    toast: str = ""


# --- who is asking, and where ----------------------------------------------------------






def split_building(text: str, candidates: list[Building]) -> tuple[Building | None, str]:
    """The building named at the start of ``text`` (or the only candidate), and the rest."""
    for building in sorted(candidates, key=lambda b: -len(b.name)):
        if text == building.name or text.startswith(building.name + " "):
            return building, text[len(building.name) :].strip()
    return (candidates[0] if len(candidates) == 1 else None), text


async def chosen_building(
    update: Update, context: LinliContext, actor: Actor, needed: Role, command: str
) -> tuple[Building, str]:
    """The group's building (for someone with the role ``needed``), or in private the one of
    the buildings they serve that is named first (needed if several); and the rest."""
    text, place = command_text(update), place_of(update)
    candidates = await context.services.community.scope(
        actor, place, needed if place is not None else Role.VOLUNTEER
    )
    if place is not None:
        return candidates[0], text
    building, rest = split_building(text, candidates)
    if building is not None:
        return building, rest
    if not candidates:
        raise NotFound(N_("You are not an owner or a volunteer of any building."))
    raise InvalidInput(
        N_("You serve several buildings: put the building's name first, for example "
           "/{command} {name}"),
        command=command,
        name=candidates[0].name,
    )


# --- /roster, /duty, /swap, /handover --------------------------------------------------


async def roster(update: Update, context: LinliContext) -> None:
    """/roster [building] [add|remove|assign|unassign|announce …]: the weekly duty roster."""
    actor = await owner_actor(update, context)
    service = context.services.roster
    needed = Role.VOLUNTEER
    text = command_text(update)
    if text and place_of(update) is not None:
        needed = Role.OWNER  # a change in the group: the owners' refusal, as in private
    building, rest = await chosen_building(update, context, actor, needed, "roster")
    if rest:
        await service.run_command(actor, building, parse_roster_command(rest))
    week, role = await service.week_for(actor, building)
    editable = place_of(update) is None and role >= Role.OWNER
    card = views.week_card(context.t, week, editable=editable, done=bool(rest))
    await show(update, context, card)


async def duty(update: Update, context: LinliContext) -> None:
    """/duty: who is on duty now and who is next, in this group's building or in yours."""
    actor = await owner_actor(update, context)
    buildings = await context.services.community.scope(actor, place_of(update), Role.RESIDENT)
    if not buildings:
        raise NotFound(N_("You do not belong to any building yet."))
    found = [await context.services.roster.duty(building) for building in buildings]
    await show(update, context, views.duties(context.t, found))


async def swap(update: Update, context: LinliContext) -> None:
    """/swap [@name]: choose one of your coming shifts to offer to another volunteer."""
    if place_of(update) is not None:
        raise InvalidInput(N_("Please use /swap in a private chat with me."))
    actor = await owner_actor(update, context)
    words = command_text(update).split()
    target = await context.services.community.find_person(words[0]) if words else None
    shifts = await context.services.roster.coming_shifts(actor)
    await show(update, context, views.swap_choices(context.t, shifts, target))


async def handover(update: Update, context: LinliContext) -> None:
    """/handover <note>: a note for the volunteer who takes over after your shift."""
    actor = await owner_actor(update, context)
    result = await context.services.roster.write_note(actor, command_text(update))
    await show(update, context, views.note_result(context.t, result))


async def away(update: Update, context: LinliContext) -> None:
    """/away [@name] <first day> [last day] [note]: away, or buttons for the usual periods."""
    if place_of(update) is not None:
        raise InvalidInput(N_("Please use /away in a private chat with me."))
    actor = await owner_actor(update, context)
    text = command_text(update)
    if not text:
        await show(update, context, views.away_menu(context.t))
        return
    command = parse_away_command(text)
    user = await away_person(context, actor, command.username)
    result = await context.services.roster.set_away(
        actor, user, command.first, command.last, command.note
    )
    await show(update, context, views.away_set(context.t, result, own=user.id == actor.user_id))


async def back(update: Update, context: LinliContext) -> None:
    """/back [@name]: end an away early."""
    if place_of(update) is not None:
        raise InvalidInput(N_("Please use /back in a private chat with me."))
    actor = await owner_actor(update, context)
    words = command_text(update).split()
    user = await away_person(context, actor, words[0] if words else None)
    withdrawn = await context.services.roster.come_back(actor, user)
    own = user.id == actor.user_id
    await show(update, context, views.back_done(context.t, user.display_name, withdrawn, own))


async def calendar(update: Update, context: LinliContext) -> None:
    """/calendar: an .ics file of your coming shifts and events (owners: the whole rota)."""
    message = update.effective_message
    if message is None or place_of(update) is not None:
        raise InvalidInput(N_("Please use /calendar in a private chat with me."))
    actor = await owner_actor(update, context)
    service = context.services.roster
    found = await service.calendar(actor)
    settings = context.services.settings
    ics = views.calendar_file(
        context.t, found, service.tz,
        shift_alarm_minutes=settings.duty.remind_before_minutes,
        event_alarm_minutes=settings.events.remind_before_minutes,
        now=context.services.clock.now(),
    )
    await message.reply_document(
        InputFile(ics, filename="linli-duty.ics"),
        caption=views.calendar_caption(context.t, found),
        parse_mode=ParseMode.HTML,
    )


async def coverage(update: Update, context: LinliContext) -> None:
    """/coverage [weeks]: the hours of the coming weeks with nobody on duty, as text and as a
    week grid picture (owners)."""
    message = update.effective_message
    if message is None:
        return
    actor = await owner_actor(update, context)
    service = context.services.roster
    found = await service.coverage(actor, place_of(update), command_text(update))
    await show(update, context, views.coverage_text(context.t, found, service.tz))
    picture = await asyncio.to_thread(render_coverage, found, context.t)
    await message.reply_photo(
        InputFile(picture, filename="linli-coverage.png"),
        caption=views.coverage_caption(context.t),
        parse_mode=ParseMode.HTML,
    )


async def away_person(context: LinliContext, actor: Actor, username: str | None) -> User:
    """The person named (an owner setting it for a volunteer), else the actor."""
    if username:
        return await context.services.community.find_person(username)
    user = await context.services.users.get(actor.user_id)
    if user is None:
        raise NotFound(N_("Please send /start to me first."))
    return user


# --- buttons ---------------------------------------------------------------------------


async def roster_button(update: Update, context: LinliContext) -> None:
    """Every roster button: parse it, let the service check the presser's rights again, and
    show the result in place."""
    query = update.callback_query
    if query is None:
        return
    data = parse_button(query.data, FEATURE)
    action = action_for(BUTTONS, data)
    screen = await action(context, await owner_actor(update, context), data)
    await query.answer(screen.toast or None)
    await edit_in_place(query, screen.message)


async def edit_in_place(query: CallbackQuery, message: OutMessage) -> None:
    """Edit the pressed message into a view's message (an unchanged screen is fine)."""
    try:
        await query.edit_message_text(
            message.text, parse_mode=ParseMode.HTML, reply_markup=inline_markup(message)
        )
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            raise


async def on_view(context: LinliContext, actor: Actor, data: ButtonData) -> Screen:
    """Back to the week."""
    week = await context.services.roster.managed(actor, data.int_arg(0))
    return Screen(views.week_card(context.t, week, editable=True))


async def on_add(context: LinliContext, actor: Actor, data: ButtonData) -> Screen:
    """Add a shift: first the weekday."""
    week = await context.services.roster.managed(actor, data.int_arg(0))
    return Screen(views.pick_day(context.t, week.building))


async def on_add_day(context: LinliContext, actor: Actor, data: ButtonData) -> Screen:
    """Add a shift: then the hours."""
    week = await context.services.roster.managed(actor, data.int_arg(0))
    weekday = data.int_arg(1)
    if not 0 <= weekday <= 6:
        raise InvalidInput(N_("This button is no longer valid."))
    return Screen(views.pick_hours(context.t, week.building, weekday))


async def on_add_shift(context: LinliContext, actor: Actor, data: ButtonData) -> Screen:
    """Add a shift with preset hours, then choose its volunteers."""
    hours = (data.int_arg(1), data.int_arg(2), data.int_arg(3))
    choice = await context.services.roster.add_preset_shift(actor, data.int_arg(0), *hours)
    return Screen(views.shift_volunteers(context.t, choice), views.shift_added(context.t))


async def on_remove(context: LinliContext, actor: Actor, data: ButtonData) -> Screen:
    """Remove a shift: choose which."""
    week = await context.services.roster.shifts_to_pick(actor, data.int_arg(0))
    return Screen(views.shift_to_remove(context.t, week))


async def on_assign(context: LinliContext, actor: Actor, data: ButtonData) -> Screen:
    """Assign volunteers: choose the shift."""
    week = await context.services.roster.shifts_to_pick(actor, data.int_arg(0))
    return Screen(views.shift_to_staff(context.t, week))


async def on_drop(context: LinliContext, actor: Actor, data: ButtonData) -> Screen:
    """Remove the chosen shift."""
    service = context.services.roster
    building = await service.building_of_shift(data.int_arg(0))
    await service.remove_shift(actor, building, data.int_arg(0))
    week = await service.managed(actor, building.id)
    card = views.week_card(context.t, week, editable=True)
    return Screen(card, views.shift_removed(context.t))


async def on_pick(context: LinliContext, actor: Actor, data: ButtonData) -> Screen:
    """The volunteers of a shift, to put on or take off."""
    choice = await context.services.roster.shift_volunteers(actor, data.int_arg(0))
    return Screen(views.shift_volunteers(context.t, choice))


async def on_toggle(context: LinliContext, actor: Actor, data: ButtonData) -> Screen:
    """Put a volunteer on the shift, or take them off."""
    service = context.services.roster
    shift_id = data.int_arg(0)
    on = bool(data.int_arg(2)) if len(data.args) > 2 else None
    building = await service.building_of_shift(shift_id)
    await service.toggle_volunteer(actor, building, shift_id, data.int_arg(1), on)
    choice = await service.shift_volunteers(actor, shift_id)
    return Screen(views.shift_volunteers(context.t, choice))


async def on_announce(context: LinliContext, actor: Actor, data: ButtonData) -> Screen:
    """Turn the group's handover message on or off."""
    service = context.services.roster
    week = await service.managed(actor, data.int_arg(0))
    await service.set_handover_in_group(actor, week.building, not week.handover_in_group)
    week = await service.managed(actor, week.building.id)
    return Screen(views.week_card(context.t, week, editable=True))


async def on_swap(context: LinliContext, actor: Actor, data: ButtonData) -> Screen:
    """Swap: who should take the chosen shift."""
    day = parse_day_code(data.args[1] if len(data.args) > 1 else "")
    candidates = await context.services.roster.swap_candidates(actor, data.int_arg(0), day)
    return Screen(views.swap_partners(context.t, candidates))


async def on_swap_to(context: LinliContext, actor: Actor, data: ButtonData) -> Screen:
    """Swap: offer the shift to the chosen volunteer."""
    day = parse_day_code(data.args[1] if len(data.args) > 1 else "")
    service = context.services.roster
    offer = await service.offer_swap(actor, data.int_arg(0), day, data.int_arg(2))
    return Screen(views.swap_offered(context.t, await service.swap_summary(offer)))


async def on_answer(context: LinliContext, actor: Actor, data: ButtonData) -> Screen:
    """The asked volunteer accepts or declines a swap."""
    service = context.services.roster
    answered = await service.answer_swap(actor, data.int_arg(0), data.action == "yes")
    return Screen(views.swap_answered(context.t, await service.swap_summary(answered)))


async def on_away(context: LinliContext, actor: Actor, data: ButtonData) -> Screen:
    """/away's buttons: today, this week (to Sunday), or the text form for a date."""
    period = data.args[0] if data.args else ""
    if period == "until":
        return Screen(views.away_until(context.t))
    service = context.services.roster
    today = service.today()
    if period not in ("today", "week"):
        raise InvalidInput(N_("This button is no longer valid."))
    last = today if period == "today" else today + timedelta(days=6 - today.weekday())
    user = await away_person(context, actor, None)
    result = await service.set_away(actor, user, today, last)
    return Screen(views.away_set(context.t, result, own=True))


async def on_take(context: LinliContext, actor: Actor, data: ButtonData) -> Screen:
    """Take this shift: the first press wins; the card then says so."""
    taken = await context.services.roster.take_open_shift(actor, data.int_arg(0))
    card = views.open_shift_card(context.t, taken, actor.user_id)
    return Screen(card, views.open_shift_taken_toast(context.t, taken))


async def on_cant(context: LinliContext, actor: Actor, data: ButtonData) -> Screen:
    """I can't make it (on the reminder): the shift is offered to the others."""
    day = parse_day_code(data.args[1] if len(data.args) > 1 else "")
    shown = await context.services.roster.cant_make_it(actor, data.int_arg(0), day)
    return Screen(views.cant_done(context.t, shown))


ButtonAction = Callable[[LinliContext, Actor, ButtonData], Awaitable[Screen]]
BUTTONS: dict[str, ButtonAction] = {
    "view": on_view,
    "add": on_add,
    "addday": on_add_day,
    "addshift": on_add_shift,
    "remove": on_remove,
    "drop": on_drop,
    "assign": on_assign,
    "pick": on_pick,
    "toggle": on_toggle,
    "announce": on_announce,
    "swap": on_swap,
    "swapto": on_swap_to,
    "yes": on_answer,
    "no": on_answer,
    "away": on_away,
    "take": on_take,
    "cant": on_cant,
}


def wire(services: Services) -> Wiring:
    """The roster's job kinds: shift reminders, handovers and the daily plan."""
    return Wiring(jobs=services.roster.jobs())


def get_handlers() -> list[BaseHandler[Update, LinliContext, None]]:
    """Handlers of this feature."""
    return [
        CommandHandler("roster", roster),
        CommandHandler("duty", duty),
        CommandHandler("swap", swap),
        CommandHandler("handover", handover),
        CommandHandler("away", away),
        CommandHandler("back", back),
        CommandHandler("calendar", calendar),
        CommandHandler("coverage", coverage),
        CallbackQueryHandler(roster_button, pattern=pattern(FEATURE)),
    ]


DESCRIPTION = Feature("roster", get_handlers, MENU, wire=wire)
