"""What outages look like: the notice that announces one, the reminder and the "restored"
post in the groups, the answer to /outage, the board of /outages, and the line on a help
request's card."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.callbacks import button_data
from bot.domain.core import Building
from bot.domain.outages import Outage, OutageKind
from bot.i18n import N_, Translator, html_escape
from bot.views.common import Button, OutMessage, fit, local_time

FEATURE = "outage"
BUTTONS = ("restored",)

KINDS: dict[OutageKind, str] = {
    "water": N_("🚱 Water outage"),
    "power": N_("🔌 Power cut"),
    "lift": N_("🛗 Lift out of service"),
}
REMINDERS: dict[OutageKind, str] = {
    "water": N_("⏰ Reminder: the water is off from {start} to {end}. Please store some water."),
    "power": N_("⏰ Reminder: the power is off from {start} to {end}. Please charge your phone."),
    "lift": N_("⏰ Reminder: the lift is out of service from {start} to {end}."),
}
RESTORED: dict[OutageKind, str] = {
    "water": N_("✅ The water is back on."),
    "power": N_("✅ The power is back on."),
    "lift": N_("✅ The lift is working again."),
}
CALLED_OFF: dict[OutageKind, str] = {
    "water": N_("✅ The water outage planned for {time} is called off."),
    "power": N_("✅ The power cut planned for {time} is called off."),
    "lift": N_("✅ The lift outage planned for {time} is called off."),
}
DURING: dict[OutageKind, str] = {
    "water": N_("🚱 During the water outage ({start}–{end})."),
    "power": N_("🔌 During the power cut ({start}–{end})."),
    "lift": N_("🛗 During the lift outage ({start}–{end})."),
}


def _clock(moment: float, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(moment, tz).strftime("%H:%M")


def span(t: Translator, outage: Outage, tz: ZoneInfo) -> str:
    """"2026-12-03 (Thu) 08:00–12:00" (the end with its date when it is another day)."""
    start = local_time(t, outage.starts_at, tz)
    same_day = (
        datetime.fromtimestamp(outage.starts_at, tz).date()
        == datetime.fromtimestamp(outage.ends_at - 1, tz).date()
    )
    end = _clock(outage.ends_at, tz) if same_day else local_time(t, outage.ends_at, tz)
    return f"{start}–{end}"


def announcement(t: Translator, outage: Outage, tz: ZoneInfo) -> str:
    """The text of the notice that announces an outage (plain text: the notice escapes it)."""
    lines = [
        t.plain("{kind}: {names}", kind=t.plain(KINDS[outage.kind]), names=outage.building_names),
        t.plain("🕗 {span}", span=span(t, outage, tz)),
    ]
    if outage.reason:
        lines.append(t.plain("Reason: {reason}", reason=outage.reason))
    return "\n".join(lines)


def reminder(t: Translator, outage: Outage, tz: ZoneInfo) -> OutMessage:
    """Posted in each group shortly before the outage starts."""
    text = t(REMINDERS[outage.kind], start=_clock(outage.starts_at, tz),
             end=_clock(outage.ends_at, tz))
    if outage.reason:
        text += "\n" + t("Reason: {reason}", reason=outage.reason)
    return OutMessage(text)


def restored(t: Translator, outage: Outage, tz: ZoneInfo) -> OutMessage:
    """Posted in each group when the outage is over (or called off before it began)."""
    if outage.ended_at is not None and outage.ended_at < outage.starts_at:
        return OutMessage(t(CALLED_OFF[outage.kind], time=span(t, outage, tz)))
    return OutMessage(t(RESTORED[outage.kind]))


def restored_button(t: Translator, outage_id: int) -> Button:
    """✅ Restored #N: an owner says the outage is over."""
    return Button(t.plain("✅ Restored #{id}", id=outage_id),
                  button_data(FEATURE, "restored", outage_id))


def created(
    t: Translator, outage: Outage, tz: ZoneInfo, remind_at: float | None
) -> OutMessage:
    """The answer to /outage: what was stored and posted, what comes next, and the button."""
    lines = [
        t("Outage #{id} is announced: {kind} in {names}, {span}.", id=outage.id,
          kind=t.plain(KINDS[outage.kind]), names=outage.building_names,
          span=span(t, outage, tz)),
    ]
    if remind_at is not None:
        lines.append(t("The groups are reminded at {time}.", time=local_time(t, remind_at, tz)))
    lines.append(
        t("At {time} I post that it is restored; press ✅ Restored if it is over sooner.",
          time=local_time(t, outage.ends_at, tz))
    )
    return OutMessage("\n".join(lines), ((restored_button(t, outage.id),),))


def board(
    t: Translator,
    entries: Sequence[tuple[Building, Sequence[Outage]]],
    endable: frozenset[int],
    tz: ZoneInfo,
    now: float,
) -> OutMessage:
    """/outages: the outages now and coming, building by building."""
    if not entries:
        return OutMessage(t("No outages now or coming."))
    lines = [t("<b>Outages now and coming</b>")]
    shown: list[int] = []
    for building, outages in entries:
        lines.append("")
        lines.append(f"<b>{html_escape(building.name)}</b>")
        for outage in outages:
            lines.append(_board_line(t, outage, tz, now))
            if outage.id in endable and outage.id not in shown:
                shown.append(outage.id)
    buttons = tuple((restored_button(t, outage_id),) for outage_id in shown[:20])
    return OutMessage(fit(t, lines), buttons)


def _board_line(t: Translator, outage: Outage, tz: ZoneInfo, now: float) -> str:
    when = span(t, outage, tz)
    kind = t.plain(KINDS[outage.kind])
    if outage.starts_at <= now:
        line = t("#{id} {kind} · now, until {end}", id=outage.id, kind=kind,
                 end=_clock(outage.ends_at, tz))
    else:
        line = t("#{id} {kind} · {span}", id=outage.id, kind=kind, span=when)
    if outage.reason:
        line += " · " + t("Reason: {reason}", reason=outage.reason)
    return line


def ended_alert(t: Translator, outage: Outage) -> str:
    """The answer to ✅ Restored."""
    return t.plain("Outage #{id} is over: I am telling the groups.", id=outage.id)


def during(t: Translator, outage: Outage, tz: ZoneInfo) -> str:
    """The line on a help request's card opened during an outage it is about."""
    return t(DURING[outage.kind], start=_clock(outage.starts_at, tz),
             end=_clock(outage.ends_at, tz))
