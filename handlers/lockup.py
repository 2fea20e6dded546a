"""Facilities and the lock-up report: /facility, /lockup with its checklist, /lockups."""

from __future__ import annotations

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import button_data, parse_button, pattern
from bot.commands import MenuCommand
from bot.context import LinliContext, Services
from bot.domain.core import Building, Prompt
from bot.domain.lockups import Facility, Lockup
from bot.errors import InvalidInput, NotFound
from bot.features import Feature, Wiring
from bot.i18n import N_, Translator
from bot.services.community import Role
from bot.services.lockup import FACILITY_USAGE, PROMPT, LockupView, parse_facility
from bot.services.roster import WEEKDAYS
from bot.services.weektime import clock_text
from handlers.access import group_building, require_role
from handlers.common import reply
from handlers.roster import Screen, chosen_building, my_buildings, show

FEATURE = "lockup"
MENU = [
    MenuCommand("facility", N_("Facilities to lock up, with closing times (owners)")),
    MenuCommand("lockup", N_("Report the lock-up of a facility, with its checklist"), group=False),
    MenuCommand("lockups", N_("Recent lock-ups: on time, late or missing")),
]
STATES = {
    "on_time": N_("✅ on time"),
    "late": N_("⚠️ late"),
    "missing": N_("❌ missing"),
    "open": N_("⏳ not reported yet"),
}


def button(label: str, action: str, *args: object) -> InlineKeyboardButton:
    """An inline button of this feature."""
    return InlineKeyboardButton(label, callback_data=button_data(FEATURE, action, *args))


def closing_text(t: Translator, closing: list[int | None]) -> str:
    """ "Mon–Fri 21:00, Sat 18:00": runs of days with the same closing time."""
    parts, day = [], 0
    while day < 7:
        last = day
        while last + 1 < 7 and closing[last + 1] == closing[day]:
            last += 1
        minute = closing[day]
        if minute is not None:
            days = t.plain(WEEKDAYS[day])
            if last > day:
                days += "–" + t.plain(WEEKDAYS[last])
            parts.append(f"{days} {clock_text(minute)}")
        day = last + 1
    return ", ".join(parts)


# --- /facility -------------------------------------------------------------------------


async def facility(update: Update, context: LinliContext) -> None:
    """/facility [add name | times | checklist] [remove name]: a building's facilities."""
    user = update.effective_user
    if user is None:
        return
    candidates = await my_buildings(context.services, user.id)
    building, rest = await chosen_building(update, context, candidates, "facility")
    await require_role(update, context, building, Role.OWNER)
    action, _space, details = rest.partition(" ")
    lockup = context.services.lockup
    if action.lower() == "add":
        await lockup.add_facility(building, parse_facility(details), user.id)
    elif action.lower() == "remove":
        await lockup.remove_facility(building, details)
    elif action:
        raise InvalidInput(FACILITY_USAGE)
    prefix = context.t("✅ Done.") + "\n\n" if action else ""
    await reply(update, context, prefix + await facilities_text(context, building))


async def facilities_text(context: LinliContext, building: Building) -> str:
    """The building's facilities with closing times and checklists, and how to add one."""
    t = context.t
    lines = [t("<b>Facilities of {building}</b>", building=building.name)]
    for item in await context.services.lockup.facilities(building):
        lines.append(
            t("{name}: closes {times}", name=item.name, times=closing_text(t, item.closing))
        )
        lines.append(t("Checklist: {items}", items=", ".join(item.checklist)))
    return "\n".join([*lines, "", t(FACILITY_USAGE)])


# --- /lockup ---------------------------------------------------------------------------


async def lockup(update: Update, context: LinliContext) -> None:
    """/lockup: the checklist of the facility you close, as buttons to tick."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != Chat.PRIVATE:
        raise InvalidInput(N_("Please use /lockup in a private chat with me."))
    choices = await context.services.lockup.facilities_for(user.id)
    if len(choices) > 1:
        rows = [[button(f"{b.name} · {f.name}", "start", f.id)] for b, f in choices]
        text = context.t("Which facility do you lock up?")
        await reply(update, context, text, reply_markup=InlineKeyboardMarkup(rows))
        return
    view = await context.services.lockup.start(choices[0][1].id, user.id)
    screen = checklist_screen(context, view)
    await reply(update, context, screen.text, reply_markup=screen.markup)


def checklist_screen(context: LinliContext, view: LockupView) -> Screen:
    """The checklist as buttons; once all is ticked, the request for a photo or a line."""
    t, facility, item = context.t, view.facility, view.lockup
    closes = context.services.lockup.local_time(item.closing_at)
    header = t(
        "🔒 <b>{facility}</b>, {building}: closing time {day} {time}.",
        facility=facility.name,
        building=view.building.name,
        day=item.day[5:],
        time=closes,
    )
    if item.status == "awaiting_note":
        text = t(
            "All checked. Now send me a photo or a line of text for the report, or post it "
            "without one."
        )
        return Screen(f"{header}\n{text}", [[button(t.plain("📤 Post"), "post", item.id)]])
    rows = [
        [button(("☑ " if item.is_ticked(n) else "☐ ") + label, "tick", item.id, n,
                int(not item.is_ticked(n)))]
        for n, label in enumerate(facility.checklist)
    ]
    return Screen(header + "\n" + t("Tick each item as you check it:"), rows)


async def lockup_button(update: Update, context: LinliContext) -> None:
    """Lock-up buttons: choose the facility, tick an item, post without a note."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    data = parse_button(query.data, FEATURE)
    service = context.services.lockup
    if data.action == "start":
        view = await service.start(data.int_arg(0), user.id)
    elif data.action == "tick":
        ticked = bool(data.int_arg(2)) if len(data.args) > 2 else None
        view = await service.tick(data.int_arg(0), data.int_arg(1), user.id, ticked)
    elif data.action == "post":
        view = await service.report(data.int_arg(0), user.id, None, None)
        await query.answer()
        await show(query, Screen(reported_text(context, view)))
        return
    else:
        raise InvalidInput(N_("This button is no longer valid."))
    await query.answer()
    await show(query, checklist_screen(context, view))


async def lockup_note(update: Update, context: LinliContext, prompt: Prompt) -> None:
    """A finished checklist waits for the volunteer's next private message: the report's note."""
    message = update.effective_message
    if message is None:
        return
    if not message.photo and not message.text:
        raise InvalidInput(
            N_("Please send a photo or a line of text for the report, or press 📤 Post.")
        )
    photo = message.photo[-1].file_id if message.photo else None
    note = message.caption if message.photo else message.text
    lockup_id = int(prompt.payload["lockup"])
    view = await context.services.lockup.report(lockup_id, prompt.user_id, note, photo)
    await reply(update, context, reported_text(context, view))


def reported_text(context: LinliContext, view: LockupView) -> str:
    """What the volunteer is told once the report is posted."""
    t = context.t
    text = t("✅ Thank you! The report is posted in the group of {building}.",
             building=view.building.name)
    if view.lockup.late:
        closes = context.services.lockup.local_time(view.lockup.closing_at)
        text += "\n" + t("It is marked late: closing time was {time}.", time=closes)
    return text


# --- /lockups --------------------------------------------------------------------------


async def lockups(update: Update, context: LinliContext) -> None:
    """/lockups: the lock-ups of the last two weeks: on time, late or missing."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    if chat.type == Chat.PRIVATE:
        buildings = await my_buildings(context.services, user.id)
    else:
        buildings = [await group_building(update, context)]
    if not buildings:
        raise NotFound(N_("You are not an owner or a volunteer of any building."))
    for building in buildings:
        await require_role(update, context, building, Role.VOLUNTEER)
    texts = [await history_text(context, building) for building in buildings]
    await reply(update, context, "\n\n".join(texts))


async def history_text(context: LinliContext, building: Building) -> str:
    """One building's recent lock-ups, one line each."""
    t, services = context.t, context.services
    lines = [t("<b>Lock-ups of {building}</b>", building=building.name)]
    for item, entry, state in (await services.lockup.history(building))[:30]:
        lines.append(await history_line(context, item, entry, state))
    if len(lines) == 1:
        lines.append(t("None in the last two weeks."))
    return "\n".join(lines)


async def history_line(context: LinliContext, item: Facility, entry: Lockup, state: str) -> str:
    """ "11-24 study room: ✅ on time, 21:04, Li"."""
    t, services = context.t, context.services
    line = t("{day} {facility}: {state}", day=entry.day[5:], facility=item.name,
             state=t.plain(STATES[state]))
    if entry.reported_at is not None and entry.user_id is not None:
        line += t(
            ", {time}, {name}",
            time=services.lockup.local_time(entry.reported_at),
            name=await services.roster.names([entry.user_id]),
        )
    return line


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
