"""What recurring notices and quiet hours look like: the answers to /notice every … and
/quiet, the lines of /notices, and the word that a post waits for the quiet hours."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.callbacks import button_data
from bot.domain.core import Building
from bot.domain.recurring import QuietHours, RecurringNotice
from bot.i18n import Translator, html_escape
from bot.services.weektime import clock_text, range_text
from bot.views.common import Button, OutMessage, building_names, local_time
from bot.views.roster import WEEKDAYS

FEATURE = "notice"  # the buttons are the notices' own: notice:stop:<recurring id>
PREVIEW = 40


def rule_text(t: Translator, rule: RecurringNotice) -> str:
    """"every Mon 09:00", "every 2 weeks, Mon 09:00", "every day 08:00", "day 31 …"."""
    time = clock_text(rule.minute)
    if rule.kind == "daily":
        return t("every day {time}", time=time)
    if rule.kind == "monthly":
        return t("every month on day {day}, {time}", day=rule.day, time=time)
    weekday = t(WEEKDAYS[rule.weekday or 0])
    if rule.weeks > 1:
        return t("every {weeks} weeks, {weekday} {time}", weeks=rule.weeks, weekday=weekday,
                 time=time)
    return t("every {weekday} {time}", weekday=weekday, time=time)


def created(
    t: Translator,
    rule: RecurringNotice,
    tz: ZoneInfo,
    buildings: Sequence[Building],
    holds: Sequence[tuple[Building, float]] = (),
) -> OutMessage:
    """The answer to /notice every …: the rule, where, and the first time."""
    lines = [
        t(
            "🔁 Recurring notice 🔁{id}: {rule}, to {names}. The first goes out at {time}. "
            "See or stop it with /notices.",
            id=rule.id,
            rule=rule_text(t, rule),
            names=building_names(buildings),
            time=local_time(t, rule.next_at or 0.0, tz),
        )
    ]
    lines += held_lines(t, holds, tz)
    return OutMessage("\n".join(lines))


def held_lines(t: Translator, holds: Sequence[tuple[Building, float]], tz: ZoneInfo) -> list[str]:
    """One line for each end of quiet hours that holds a post."""
    ends: dict[float, list[Building]] = {}
    for building, until in holds:
        ends.setdefault(until, []).append(building)
    return [
        t("Quiet hours in {names}: it will go out there at {time}.",
          names=building_names(held), time=local_time(t, until, tz))
        for until, held in sorted(ends.items())
    ]


def held(t: Translator, holds: Sequence[tuple[Building, float]], tz: ZoneInfo) -> OutMessage:
    """Said to the owner whose notice waits for the end of quiet hours."""
    return OutMessage("\n".join(held_lines(t, holds, tz)))


def held_state(t: Translator, until: float, tz: ZoneInfo) -> str:
    """A notice in /notices that waits for the end of quiet hours."""
    return t("waiting for the end of quiet hours, {time}",
             time=local_time(t, until, tz, weekday=False))


def rule_line(t: Translator, rule: RecurringNotice, tz: ZoneInfo) -> str:
    """A recurring notice in /notices: its number, rule, next time, buildings, first words."""
    preview = " ".join(rule.text.split())
    preview = preview if len(preview) <= PREVIEW else preview[:PREVIEW] + "…"
    state = t("next {time}", time=local_time(t, rule.next_at or 0.0, tz, weekday=False))
    return (
        f"🔁{rule.id} · {rule_text(t, rule)} · {state} · {html_escape(rule.building_names)}"
        f"\n{html_escape(preview)}"
    )


def stop_button(t: Translator, rule: RecurringNotice) -> Button:
    """«Stop 🔁N»."""
    return Button(t.plain("Stop 🔁{id}", id=rule.id), button_data(FEATURE, "stop", rule.id))


def stopped_alert(t: Translator, rule: RecurringNotice) -> str:
    """The answer to «Stop»."""
    return t.plain("Recurring notice 🔁{id} is stopped.", id=rule.id)


# --- /quiet ---------------------------------------------------------------------------------


def quiet(t: Translator, building: Building, hours: QuietHours | None) -> OutMessage:
    """/quiet: the building's quiet hours, and how to change them."""
    if hours is None:
        text = t("{name} has no quiet hours. An owner sets them with /quiet 22:00-07:00.",
                 name=building.name)
    else:
        text = t(
            "Quiet hours of {name}: {range}. Notices, event reminders and the weekly digest "
            "that fall inside go out at the end. Owners: /quiet 22:00-07:00 or /quiet off.",
            name=building.name,
            range=range_text(hours.start_minute, hours.end_minute),
        )
    return OutMessage(text)


def quiet_set(t: Translator, building: Building, hours: tuple[int, int] | None) -> OutMessage:
    """The answer to /quiet 22:00-07:00 or /quiet off."""
    if hours is None:
        return OutMessage(t("Quiet hours of {name} are off.", name=building.name))
    return OutMessage(
        t(
            "Quiet hours of {name}: {range}, every day. Notices, event reminders and the "
            "weekly digest that fall inside will go out at the end; shift reminders and "
            "emergencies are not held.",
            name=building.name,
            range=range_text(*hours),
        )
    )
