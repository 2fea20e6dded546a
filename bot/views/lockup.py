"""Facilities and lock-ups as people see them: the facility list, the checklist to tick, the
report in the group, reminders, escalations and the recent history.

Pure functions of domain values; times are shown in the community's time zone ``tz``.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.callbacks import button_data
from bot.domain.core import Building
from bot.domain.lockups import Facility, FacilityLockup, HistoryEntry, LastUse, Lockup
from bot.i18n import N_, Translator
from bot.services.weektime import clock_text, local_datetime
from bot.views.common import Button, OutMessage, fit, keyboard
from bot.views.roster import WEEKDAYS, paragraphs

FEATURE = "lockup"
MAX_HISTORY = 30
STATES = {
    "on_time": N_("✅ on time"),
    "late": N_("⚠️ late"),
    "missing": N_("❌ missing"),
    "open": N_("⏳ not reported yet"),
}
FACILITY_USAGE = N_(
    "Write it like this:\n"
    "/facility add study room | mon-fri 21:00 sat 18:00 | windows closed, lights off, "
    "door locked\n"
    "(name | closing times | checklist). A time without days is for every day.\n"
    "/facility remove study room"
)


def button(label: str, action: str, *args: object) -> Button:
    """A button of this feature."""
    return Button(label, button_data(FEATURE, action, *args))


def clock_time(moment: float, tz: ZoneInfo) -> str:
    """ "21:04" in the community's time zone."""
    return local_datetime(moment, tz).strftime("%H:%M")


def closing_text(t: Translator, closing: Sequence[int | None]) -> str:
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


def facilities(
    t: Translator, building: Building, found: Sequence[Facility], *, done: bool = False
) -> OutMessage:
    """The building's facilities with closing times and checklists, and how to add one."""
    lines = [t("<b>Facilities of {building}</b>", building=building.name)]
    for item in found:
        lines.append(
            t("{name}: closes {times}", name=item.name, times=closing_text(t, item.closing))
        )
        lines.append(t("Checklist: {items}", items=", ".join(item.checklist)))
    text = "\n".join([*lines, "", t(FACILITY_USAGE)])
    return OutMessage((t("✅ Done.") + "\n\n" if done else "") + text)


def facility_choice(t: Translator, choices: Sequence[tuple[Building, Facility]]) -> OutMessage:
    """Which facility the volunteer locks up, when they serve several."""
    rows = [[button(f"{b.name} · {f.name}", "start", f.id)] for b, f in choices]
    return OutMessage(t("Which facility do you lock up?"), keyboard(*rows))


def checklist(t: Translator, found: FacilityLockup, tz: ZoneInfo) -> OutMessage:
    """The checklist as buttons; once all is ticked, the request for a photo or a line."""
    facility, lockup = found.facility, found.lockup
    header = t(
        "🔒 <b>{facility}</b>, {building}: closing time {day} {time}.",
        facility=facility.name,
        building=found.building.name,
        day=lockup.day[5:],
        time=clock_time(lockup.closing_at, tz),
    )
    header = "\n".join(filter(None, [header, last_use(t, found.last_use, tz),
                                      problem_line(t, lockup)]))
    problem = [button(t.plain("⚠️ Report a problem"), "problem", lockup.id)]
    if lockup.status == "awaiting_note":
        text = t(
            "All checked. Now send me a photo or a line of text for the report, or post it "
            "without one."
        )
        return OutMessage(
            f"{header}\n{text}",
            keyboard([button(t.plain("📤 Post"), "post", lockup.id)], problem),
        )
    rows = [
        [
            button(
                ("☑ " if lockup.is_ticked(n) else "☐ ") + label,
                "tick",
                lockup.id,
                n,
                int(not lockup.is_ticked(n)),
            )
        ]
        for n, label in enumerate(facility.checklist)
    ]
    return OutMessage(
        header + "\n" + t("Tick each item as you check it:"), keyboard(*rows, problem)
    )


def problem_line(t: Translator, lockup: Lockup) -> str:
    """ "⚠️ Problem: the window is broken (repair request #12)", once one is noted."""
    if lockup.problem is None:
        return ""
    return t("⚠️ Problem: {problem} (repair request #{number})", problem=lockup.problem,
             number=lockup.problem_request or 0)


def problem_asked(t: Translator) -> OutMessage:
    """The volunteer pressed Problem: the description comes next."""
    return OutMessage(t("What is wrong? Describe it in one line (for example: the window "
                        "of the study room is broken). It becomes a repair request."))


def problem_noted(t: Translator, number: int) -> str:
    """The problem became a request."""
    return t("🛠 Repair request #{number} is open; the volunteers on duty have it.",
             number=number)


def reported(t: Translator, found: FacilityLockup, tz: ZoneInfo) -> OutMessage:
    """What the volunteer is told once the report is posted."""
    text = t(
        "✅ Thank you! The report is posted in the group of {building}.",
        building=found.building.name,
    )
    if found.lockup.late:
        closes = clock_time(found.lockup.closing_at, tz)
        text += "\n" + t("It is marked late: closing time was {time}.", time=closes)
    return OutMessage(text)


def report(t: Translator, found: FacilityLockup, name: str, tz: ZoneInfo) -> OutMessage:
    """The report as the group sees it: with the volunteer's photo, if they sent one."""
    lockup, facility = found.lockup, found.facility
    lines = [
        t(
            "🔒 {facility} is locked up. {name}, {time}.",
            facility=facility.name,
            name=name,
            time=clock_time(lockup.reported_at or lockup.closing_at, tz),
        )
    ]
    lines += [t("☑ {item}", item=item) for item in facility.checklist]
    if lockup.late:
        lines.append(
            t("⚠️ Late: closing time was {time}.", time=clock_time(lockup.closing_at, tz))
        )
    if lockup.note:
        lines.append(t("💬 {note}", note=lockup.note))
    lines.append(problem_line(t, lockup))
    return OutMessage("\n".join(filter(None, lines)), photo=lockup.photo)


def reminder(
    t: Translator,
    building: Building,
    facility: Facility,
    lockup: Lockup,
    tz: ZoneInfo,
    last: LastUse | None = None,
) -> OutMessage:
    """To the volunteer on duty: nobody has reported the lock-up after the grace time."""
    text = t(
        "🔒 {facility} in {building} closed at {time}, and nobody has reported the "
        "lock-up yet. Please check it and report with /lockup.",
        facility=facility.name,
        building=building.name,
        time=clock_time(lockup.closing_at, tz),
    )
    return OutMessage("\n".join(filter(None, [text, last_use(t, last, tz)])))


def last_use(t: Translator, last: LastUse | None, tz: ZoneInfo) -> str:
    """The line a volunteer locking up reads: who had the room booked last, until when."""
    if last is None:
        return ""
    return t("Last booked by {name} until {time}.", name=last.name,
             time=clock_time(last.ends_at, tz))


def missing(
    t: Translator,
    building: Building,
    facility: Facility,
    lockup: Lockup,
    minutes: int,
    on_duty: str,
    tz: ZoneInfo,
) -> OutMessage:
    """To the owners: still no report, twice the grace time after closing."""
    return OutMessage(
        t(
            "🚨 Nobody has reported the lock-up of {facility} in {building}. It closed at "
            "{time}, {minutes} minutes ago. On duty: {names}.",
            facility=facility.name,
            building=building.name,
            time=clock_time(lockup.closing_at, tz),
            minutes=minutes,
            names=on_duty or "—",
        )
    )


def note_expired(t: Translator) -> OutMessage:
    """The finished checklist stopped waiting for its photo or note."""
    return OutMessage(
        t("I stopped waiting for the photo or note of the lock-up. Send /lockup to post "
          "the report.")
    )


def history_text(
    t: Translator, building: Building, entries: Sequence[HistoryEntry], tz: ZoneInfo
) -> str:
    """One building's recent lock-ups, one line each."""
    lines = [t("<b>Lock-ups of {building}</b>", building=building.name)]
    lines += [history_line(t, entry, tz) for entry in entries[:MAX_HISTORY]]
    if len(lines) == 1:
        lines.append(t("None in the last two weeks."))
    return "\n".join(lines)


def history_line(t: Translator, entry: HistoryEntry, tz: ZoneInfo) -> str:
    """ "11-24 study room: ✅ on time, 21:04, Li"."""
    lockup = entry.lockup
    line = t(
        "{day} {facility}: {state}",
        day=lockup.day[5:],
        facility=entry.facility.name,
        state=t.plain(STATES[entry.state]),
    )
    if lockup.reported_at is not None and lockup.user_id is not None:
        line += t(
            ", {time}, {name}", time=clock_time(lockup.reported_at, tz), name=entry.reporter or ""
        )
    return line


def histories(
    t: Translator, found: Sequence[tuple[Building, Sequence[HistoryEntry]]], tz: ZoneInfo
) -> OutMessage:
    """/lockups: the recent lock-ups of each building (a community admin's many, cut to
    fit)."""
    return OutMessage(fit(t, paragraphs([history_text(t, b, entries, tz) for b, entries in found])))
