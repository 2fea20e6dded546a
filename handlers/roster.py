"""The duty roster: /roster (owners edit it with buttons or text), /duty, /swap, /handover."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import CallbackQuery, Chat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import ButtonData, button_data, parse_button, pattern
from bot.commands import MenuCommand
from bot.context import LinliContext, Services
from bot.domain.core import Building
from bot.domain.roster import Shift
from bot.errors import InvalidInput, NotFound
from bot.features import Feature, Wiring
from bot.i18n import N_
from bot.services.community import Role
from bot.services.roster import (
    WEEKDAYS,
    Duty,
    Occurrence,
    day_code,
    parse_day_code,
    parse_roster_command,
    shift_times,
)
from bot.services.weektime import range_text
from handlers.access import group_building, require_role
from handlers.common import command_text, reply

FEATURE = "roster"
MENU = [
    MenuCommand("duty", N_("Who is on duty now, and who is next")),
    MenuCommand("roster", N_("The weekly duty roster (owners edit it)")),
    MenuCommand("swap", N_("Offer one of your shifts to another volunteer"), group=False),
    MenuCommand("handover", N_("Leave a note for the volunteer who takes over")),
]
PRESETS = [(8 * 60, 12 * 60), (12 * 60, 18 * 60), (18 * 60, 22 * 60), (22 * 60, 8 * 60)]
Row = list[InlineKeyboardButton]


@dataclass
class Screen:
    """What a button press shows: the edited message and a short answer to the press."""

    text: str
    rows: list[Row] = field(default_factory=list)
    toast: str = ""

    @property
    def markup(self) -> InlineKeyboardMarkup | None:
        """The inline keyboard, if there are buttons."""
        return InlineKeyboardMarkup(self.rows) if self.rows else None


def button(label: str, action: str, *args: object) -> InlineKeyboardButton:
    """An inline button of this feature."""
    return InlineKeyboardButton(label, callback_data=button_data(FEATURE, action, *args))


def split_building(text: str, candidates: list[Building]) -> tuple[Building | None, str]:
    """The building named at the start of ``text`` (or the only candidate), and the rest."""
    for building in sorted(candidates, key=lambda b: -len(b.name)):
        if text == building.name or text.startswith(building.name + " "):
            return building, text[len(building.name) :].strip()
    return (candidates[0] if len(candidates) == 1 else None), text


async def my_buildings(
    services: Services, user_id: int, *, residents: bool = False
) -> list[Building]:
    """The buildings a person owns or volunteers for (and lives in, if ``residents``)."""
    buildings = services.community.buildings
    found = await services.community.owned_buildings(user_id)
    found += await buildings.volunteering(user_id)
    if residents:
        found += await buildings.of_user(user_id)
    unique = {building.id: building for building in found}
    return sorted(unique.values(), key=lambda building: building.name)


async def chosen_building(
    update: Update, context: LinliContext, candidates: list[Building], command: str
) -> tuple[Building, str]:
    """The group's building, or in private the one named first (needed if several)."""
    text = command_text(update)
    chat = update.effective_chat
    if chat is not None and chat.type != Chat.PRIVATE:
        return await group_building(update, context), text
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


# --- /roster ---------------------------------------------------------------------------


async def roster(update: Update, context: LinliContext) -> None:
    """/roster [building] [add|remove|assign|unassign|announce …]: the weekly duty roster."""
    user = update.effective_user
    if user is None:
        return
    candidates = await my_buildings(context.services, user.id)
    building, rest = await chosen_building(update, context, candidates, "roster")
    if rest:
        await require_role(update, context, building, Role.OWNER)
        command = parse_roster_command(rest)
        await context.services.roster.run_command(building, command, user.id)
    role = await require_role(update, context, building, Role.VOLUNTEER)
    private = update.effective_chat is not None and update.effective_chat.type == Chat.PRIVATE
    screen = await roster_screen(context, building, editable=private and role >= Role.OWNER)
    prefix = context.t("✅ Done.") + "\n\n" if rest else ""
    await reply(update, context, prefix + screen.text, reply_markup=screen.markup)


async def roster_screen(context: LinliContext, building: Building, *, editable: bool) -> Screen:
    """The week's shifts with their volunteers; owners get the editing buttons."""
    t, services = context.t, context.services
    lines = [t("<b>Duty roster of {building}</b>", building=building.name)]
    week = await services.roster.week(building)
    for item in week:
        names = ", ".join(user.display_name for user in item.volunteers) or t.plain("nobody yet")
        lines.append(t("{shift}: {names}", shift=shift_times(t, item.shift), names=names))
    if not week:
        lines.append(t("No shifts yet."))
    if not editable:
        return Screen("\n".join(lines))
    announce = await services.roster.handover_in_group(building)
    lines.append("\n" + t("Or write, for example: /roster add mon 18:00-22:00 @li @wang"))
    switch = N_("📢 Handover in the group: on") if announce else N_("📢 Handover in the group: off")
    rows = [
        [button(t.plain("➕ Add a shift"), "add", building.id)],
        [button(t.plain("🗑 Remove a shift"), "remove", building.id)],
        [button(t.plain("👥 Assign volunteers"), "assign", building.id)],
        [button(t.plain(switch), "announce", building.id)],
    ]
    return Screen("\n".join(lines), rows)


# --- /duty, /swap, /handover -----------------------------------------------------------


async def duty(update: Update, context: LinliContext) -> None:
    """/duty: who is on duty now and who is next, in this group's building or in yours."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    if chat.type == Chat.PRIVATE:
        buildings = await my_buildings(context.services, user.id, residents=True)
    else:
        buildings = [await group_building(update, context)]
    if not buildings:
        raise NotFound(N_("You do not belong to any building yet."))
    roster_service = context.services.roster
    texts = [await duty_text(context, await roster_service.duty(b)) for b in buildings]
    await reply(update, context, "\n\n".join(texts))


async def duty_text(context: LinliContext, duty: Duty) -> str:
    """Now and next for one building."""
    t = context.t
    lines = [t("<b>{building}</b>", building=duty.building.name)]
    if not duty.next:
        return "\n".join([*lines, t("No roster yet. Owners set it up with /roster.")])
    now = await occurrence_lines(context, duty.now) or t("nobody")
    lines.append(t("On duty now: {people}", people=now))
    lines.append(t("Next: {people}", people=await occurrence_lines(context, duty.next)))
    return "\n".join(lines)


async def occurrence_lines(context: LinliContext, occurrences: list[Occurrence]) -> str:
    """ "Li, Wang (Mon 11-23 18:00–22:00)" for each occurrence, joined."""
    t = context.t
    parts = []
    for occurrence in occurrences:
        names = await context.services.roster.names(occurrence.volunteer_ids)
        names = names or t.plain("nobody")
        parts.append(t.plain("{names} ({shift})", names=names, shift=occurrence.label(t)))
    return t.plain("; ").join(parts)


async def swap(update: Update, context: LinliContext) -> None:
    """/swap [@name]: choose one of your coming shifts to offer to another volunteer."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != Chat.PRIVATE:
        raise InvalidInput(N_("Please use /swap in a private chat with me."))
    words = command_text(update).split()
    target = await context.services.community.find_person(words[0]) if words else None
    shifts = await context.services.roster.coming_shifts(user.id)
    if not shifts:
        raise NotFound(N_("You have no shifts in the next two weeks."))
    t = context.t
    rows = []
    for building, occurrence in shifts:
        label = f"{building.name} {occurrence.label(t)}"
        where = (occurrence.shift.id, day_code(occurrence.day))
        rows.append(
            [button(label, "swapto", *where, target.id)]
            if target
            else [button(label, "swap", *where)]
        )
    text = t("Which of your coming shifts do you want to give away?")
    await reply(update, context, text, reply_markup=InlineKeyboardMarkup(rows))


async def handover(update: Update, context: LinliContext) -> None:
    """/handover <note>: a note for the volunteer who takes over after your shift."""
    user = update.effective_user
    if user is None:
        return
    result = await context.services.roster.write_note(user.id, command_text(update))
    t = context.t
    if not result.handed_over:
        text = t(
            "📝 Noted. The next volunteer gets it when your shift ends ({shift}).",
            shift=result.occurrence.label(t),
        )
    elif result.forwarded_to:
        names = ", ".join(person.display_name for person in result.forwarded_to)
        text = t("📝 Sent to {names}, who took over.", names=names)
    else:
        text = t("📝 Noted, but nobody takes over after this shift.")
    await reply(update, context, text)


# --- buttons ---------------------------------------------------------------------------


async def roster_button(update: Update, context: LinliContext) -> None:
    """Every roster button: parse it, check the presser's rights again, show the result."""
    query = update.callback_query
    if query is None:
        return
    data = parse_button(query.data, FEATURE)
    action = BUTTONS.get(data.action)
    if action is None:
        raise InvalidInput(N_("This button is no longer valid."))
    screen = await action(update, context, data)
    await query.answer(screen.toast or None)
    await show(query, screen)


async def show(query: CallbackQuery, screen: Screen) -> None:
    """Edit the pressed message into the screen (an unchanged screen is fine)."""
    try:
        await query.edit_message_text(screen.text, parse_mode="HTML", reply_markup=screen.markup)
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            raise


async def _owned(update: Update, context: LinliContext, building_id: int) -> Building:
    """The building of a button, for an owner of it only."""
    building = await context.services.community.buildings.by_id(building_id)
    if building is None:
        raise NotFound(N_("This button is no longer valid."))
    await require_role(update, context, building, Role.OWNER)
    return building


async def _owned_shift(
    update: Update, context: LinliContext, shift_id: int
) -> tuple[Building, Shift]:
    """The shift of a button and its building, for an owner of it only."""
    shift = await context.services.roster.repo.shift(shift_id)
    if shift is None:
        raise NotFound(N_("That shift no longer exists."))
    return await _owned(update, context, shift.building_id), shift


async def on_view(update: Update, context: LinliContext, data: ButtonData) -> Screen:
    """Back to the week."""
    building = await _owned(update, context, data.int_arg(0))
    return await roster_screen(context, building, editable=True)


async def on_add(update: Update, context: LinliContext, data: ButtonData) -> Screen:
    """Add a shift: first the weekday."""
    building = await _owned(update, context, data.int_arg(0))
    t = context.t
    days = [button(t.plain(name), "addday", building.id, n) for n, name in enumerate(WEEKDAYS)]
    rows = [days[:4], days[4:], [button(t.plain("« Back"), "view", building.id)]]
    return Screen(t("Which day is the new shift on?"), rows)


async def on_add_day(update: Update, context: LinliContext, data: ButtonData) -> Screen:
    """Add a shift: then the hours."""
    building = await _owned(update, context, data.int_arg(0))
    weekday = _weekday(data.int_arg(1))
    t = context.t
    rows = [
        [button(range_text(start, end), "addshift", building.id, weekday, start, end)]
        for start, end in PRESETS
    ]
    rows.append([button(t.plain("« Back"), "add", building.id)])
    text = t(
        "Which hours on {day}? For other hours write, for example: /roster add {code} 07:30-09:00",
        day=t.plain(WEEKDAYS[weekday]),
        code=("mon", "tue", "wed", "thu", "fri", "sat", "sun")[weekday],
    )
    return Screen(text, rows)


async def on_add_shift(update: Update, context: LinliContext, data: ButtonData) -> Screen:
    """Add a shift with preset hours, then choose its volunteers."""
    building = await _owned(update, context, data.int_arg(0))
    weekday, start, end = _weekday(data.int_arg(1)), data.int_arg(2), data.int_arg(3)
    if (start, end) not in PRESETS:
        raise InvalidInput(N_("This button is no longer valid."))
    user_id = update.effective_user.id if update.effective_user else None
    shift = await context.services.roster.add_shift(building, weekday, start, end, [], user_id)
    screen = await _volunteer_screen(context, building, shift)
    screen.toast = context.t.plain("Shift added.")
    return screen


async def on_remove(update: Update, context: LinliContext, data: ButtonData) -> Screen:
    """Remove a shift: choose which."""
    return await _shift_choice(update, context, data, "drop", N_("Which shift do you remove?"))


async def on_assign(update: Update, context: LinliContext, data: ButtonData) -> Screen:
    """Assign volunteers: choose the shift."""
    return await _shift_choice(update, context, data, "pick", N_("Which shift?"))


async def on_drop(update: Update, context: LinliContext, data: ButtonData) -> Screen:
    """Remove the chosen shift."""
    building, shift = await _owned_shift(update, context, data.int_arg(0))
    await context.services.roster.remove_shift(building, shift.id)
    screen = await roster_screen(context, building, editable=True)
    screen.toast = context.t.plain("Shift removed.")
    return screen


async def on_pick(update: Update, context: LinliContext, data: ButtonData) -> Screen:
    """The volunteers of a shift, to put on or take off."""
    building, shift = await _owned_shift(update, context, data.int_arg(0))
    return await _volunteer_screen(context, building, shift)


async def on_toggle(update: Update, context: LinliContext, data: ButtonData) -> Screen:
    """Put a volunteer on the shift, or take them off."""
    building, shift = await _owned_shift(update, context, data.int_arg(0))
    on = bool(data.int_arg(2)) if len(data.args) > 2 else None
    await context.services.roster.toggle_volunteer(building, shift.id, data.int_arg(1), on)
    return await _volunteer_screen(context, building, shift)


async def on_announce(update: Update, context: LinliContext, data: ButtonData) -> Screen:
    """Turn the group's handover message on or off."""
    building = await _owned(update, context, data.int_arg(0))
    roster_service = context.services.roster
    on = not await roster_service.handover_in_group(building)
    await roster_service.set_handover_in_group(building, on)
    return await roster_screen(context, building, editable=True)


async def on_swap(update: Update, context: LinliContext, data: ButtonData) -> Screen:
    """Swap: who should take the chosen shift."""
    user_id = update.effective_user.id if update.effective_user else 0
    day = parse_day_code(data.args[1] if len(data.args) > 1 else "")
    shift_id = data.int_arg(0)
    building, occurrence, others = await context.services.roster.swap_candidates(
        user_id, shift_id, day
    )
    t = context.t
    rows = [
        [button(user.display_name, "swapto", shift_id, data.args[1], user.id)]
        for user in others[:20]
    ]
    text = t("Who should take {shift} in {building}?", shift=occurrence.label(t),
             building=building.name)
    return Screen(text, rows)


async def on_swap_to(update: Update, context: LinliContext, data: ButtonData) -> Screen:
    """Swap: offer the shift to the chosen volunteer."""
    user_id = update.effective_user.id if update.effective_user else 0
    day = parse_day_code(data.args[1] if len(data.args) > 1 else "")
    roster_service = context.services.roster
    offer = await roster_service.offer_swap(user_id, data.int_arg(0), day, data.int_arg(2))
    _building, occurrence, _giver = await roster_service.swap_summary(offer)
    t = context.t
    text = t(
        "🔁 I asked {name} to take {shift}. I will tell you their answer.",
        name=await roster_service.names([offer.to_user]),
        shift=occurrence.label(t),
    )
    return Screen(text)


async def on_answer(update: Update, context: LinliContext, data: ButtonData) -> Screen:
    """The asked volunteer accepts or declines a swap."""
    user_id = update.effective_user.id if update.effective_user else 0
    roster_service = context.services.roster
    answered = await roster_service.answer_swap(data.int_arg(0), user_id, data.action == "yes")
    building, occurrence, giver = await roster_service.swap_summary(answered)
    t = context.t
    name = giver.display_name if giver else ""
    message = (
        N_("✅ You take {name}'s shift in {building}: {shift}.")
        if answered.status == "accepted"
        else N_("You declined {name}'s shift in {building}: {shift}. They have been told.")
    )
    return Screen(t(message, name=name, building=building.name, shift=occurrence.label(t)))


async def _shift_choice(
    update: Update, context: LinliContext, data: ButtonData, action: str, question: str
) -> Screen:
    """A button for each shift of the building."""
    building = await _owned(update, context, data.int_arg(0))
    t = context.t
    rows = [
        [button(shift_times(t, item.shift), action, item.shift.id)]
        for item in await context.services.roster.week(building)
    ]
    if not rows:
        raise NotFound(N_("No shifts yet."))
    rows.append([button(t.plain("« Back"), "view", building.id)])
    return Screen(t(question), rows)


async def _volunteer_screen(context: LinliContext, building: Building, shift: Shift) -> Screen:
    """Each volunteer of the building as a button: ✅ when on the shift."""
    t, services = context.t, context.services
    on_shift = set(await services.roster.repo.assigned(shift.id))
    rows = [
        [
            button(
                ("✅ " if volunteer.user.id in on_shift else "▫️ ") + volunteer.user.display_name,
                "toggle",
                shift.id,
                volunteer.user.id,
                int(volunteer.user.id not in on_shift),
            )
        ]
        for volunteer in await services.community.buildings.volunteers(building.id)
    ]
    rows.append([button(t.plain("Done"), "view", building.id)])
    text = t(
        "{shift}: tap a volunteer to put them on the shift or take them off.",
        shift=shift_times(t, shift),
    )
    if len(rows) == 1:
        text += "\n" + t(
            "This building has no volunteers yet: add them in the group with /volunteer."
        )
    return Screen(text, rows)


def _weekday(value: int) -> int:
    if not 0 <= value <= 6:
        raise InvalidInput(N_("This button is no longer valid."))
    return value


ButtonAction = Callable[[Update, LinliContext, ButtonData], Awaitable[Screen]]
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
        CallbackQueryHandler(roster_button, pattern=pattern(FEATURE)),
    ]


DESCRIPTION = Feature("roster", get_handlers, MENU, wire=wire)
