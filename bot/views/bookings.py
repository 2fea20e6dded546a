"""Booking as people see it: the rooms, the days and the slots as buttons, a booking's
confirmation, the owners' approval request, the resident's answer, reminders and lists.

Pure functions of domain values; times are shown in the community's time zone ``tz``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from bot.callbacks import button_data
from bot.domain.bookings import BookedSlot, Room, Slot
from bot.i18n import N_, Translator
from bot.services.weektime import clock_text
from bot.views.common import WEEKDAY_FORMATS, Button, OutMessage, fit, keyboard, local_time
from bot.views.lockup import clock_time
from bot.views.roster import WEEKDAYS

FEATURE = "booking"
DAYS_PER_ROW = 3
SLOTS_PER_ROW = 3
MAX_LISTED = 50
BOOKABLE_USAGE = N_(
    "Write it like this:\n"
    "/facility book study room | mon-fri 16:00-21:00 sat 09:00-12:00 | 60 | 20 | auto\n"
    "(name | opening hours | slot minutes | people per slot | auto or approval). The "
    "facility must exist (/facility add)."
)
BOOK_USAGE = N_(
    "Write it like this: /book study room 2026-12-05 16:00 homework club\n"
    "(the room, the date, the slot's start, and what it is for if you like), or just /book "
    "and choose with the buttons."
)
STATUS = {
    "pending": N_("⏳ waiting for approval"),
    "approved": N_("✅ booked"),
    "declined": N_("❌ declined"),
    "cancelled": N_("cancelled"),
}


def button(label: str, action: str, *args: object) -> Button:
    """A button of this feature."""
    return Button(label, button_data(FEATURE, action, *args))


def day_code(day: date) -> str:
    """ "20261205", as a button carries a date."""
    return day.strftime("%Y%m%d")


def _slot_time(booked: BookedSlot, tz: ZoneInfo, t: Translator) -> str:
    booking = booked.booking
    return f"{local_time(t, booking.starts_at, tz)}–{clock_time(booking.ends_at, tz)}"


def _hours_text(t: Translator, room: Room) -> str:
    """ "Mon 16:00–21:00, Tue 16:00–21:00"."""
    parts = []
    for day, opening in enumerate(room.rules.hours):
        if opening is not None:
            parts.append(f"{t.plain(WEEKDAYS[day])} {clock_text(opening[0])}–"
                         f"{clock_text(opening[1])}")
    return ", ".join(parts)


def bookable(t: Translator, room: Room) -> OutMessage:
    """What an owner is told once a facility is bookable."""
    lines = [
        t("✅ Done. {facility} ({building}) can be booked with /book.",
          facility=room.facility.name, building=room.building.name),
        t("Open: {hours}", hours=_hours_text(t, room)),
        t("Slots of {minutes} minutes, {capacity} people each.",
          minutes=room.rules.slot_minutes, capacity=room.rules.capacity),
        t("Each booking needs an owner's approval.") if room.rules.approval
        else t("Bookings are confirmed at once."),
    ]
    return OutMessage("\n".join(lines))


def rooms(t: Translator, found: Sequence[Room]) -> OutMessage:
    """Which room to book."""
    rows = [[button(f"{r.building.name} · {r.facility.name}", "room", r.facility.id)]
            for r in found]
    return OutMessage(t("Which room would you like to book?"), keyboard(*rows))


def days(t: Translator, room: Room, found: Sequence[date]) -> OutMessage:
    """The coming days the room is open, as buttons."""
    if not found:
        return OutMessage(t("{facility} has no free day in the coming weeks.",
                            facility=room.facility.name))
    labels = [
        button(t.plain(WEEKDAY_FORMATS[day.weekday()], date=day.strftime("%m-%d"), time="")
               .strip(), "day", room.facility.id, day_code(day))
        for day in found
    ]
    rows = [labels[n:n + DAYS_PER_ROW] for n in range(0, len(labels), DAYS_PER_ROW)]
    text = t("📅 <b>{facility}</b> ({building}). Which day?", facility=room.facility.name,
             building=room.building.name)
    return OutMessage(text, keyboard(*rows))


def slots(t: Translator, room: Room, day: date, found: Sequence[Slot], tz: ZoneInfo) -> OutMessage:
    """The slots of a day: a free one books with one tap; full ones say so."""
    labels = []
    for slot in found:
        start = clock_time(slot.starts_at, tz)
        if slot.mine:
            labels.append(button(t.plain("{time} ✓ yours", time=start), "noop"))
        elif slot.free:
            label = t.plain("{time} ({free} free)", time=start, free=slot.free)
            labels.append(button(label, "take", room.facility.id, int(slot.starts_at // 60)))
        else:
            labels.append(button(t.plain("{time} full", time=start), "noop"))
    rows = [labels[n:n + SLOTS_PER_ROW] for n in range(0, len(labels), SLOTS_PER_ROW)]
    rows.append([button(t.plain("‹ Other days"), "room", room.facility.id)])
    text = t("📅 <b>{facility}</b>, {day}. Tap a time to book it.",
             facility=room.facility.name,
             day=t.plain(WEEKDAY_FORMATS[day.weekday()], date=day.isoformat(), time="").strip())
    if room.rules.approval:
        text += "\n" + t("An owner approves each booking; you will be told.")
    return OutMessage(text, keyboard(*rows))


def booked(t: Translator, found: BookedSlot, tz: ZoneInfo) -> OutMessage:
    """What the resident is told after booking."""
    when = _slot_time(found, tz, t)
    room = found.room
    if found.booking.status == "pending":
        text = t("⏳ Asked: {facility}, {when}. An owner will approve it; I will tell you.",
                 facility=room.facility.name, when=when)
    else:
        text = t("✅ Booked: {facility}, {when}.", facility=room.facility.name, when=when)
    text += "\n" + t("/bookings lists your bookings, with a button to cancel.")
    return OutMessage(text)


def approval_request(t: Translator, found: BookedSlot, tz: ZoneInfo) -> OutMessage:
    """What each owner gets for a booking that needs approval."""
    booking = found.booking
    lines = [
        t("📅 <b>Booking request</b>: {facility} ({building})", facility=found.room.facility.name,
          building=found.room.building.name),
        t("Who: {name}", name=found.name),
        t("When: {when}", when=_slot_time(found, tz, t)),
    ]
    if booking.purpose:
        lines.append(t("For: {purpose}", purpose=booking.purpose))
    rows = [[button(t.plain("✅ Approve"), "approve", booking.id),
             button(t.plain("❌ Decline"), "decline", booking.id)]]
    return OutMessage("\n".join(lines), keyboard(*rows))


def reason_asked(t: Translator, found: BookedSlot) -> OutMessage:
    """An owner pressed Decline: the reason comes next."""
    return OutMessage(
        t("Why is it declined? Send me one line, and I will tell {name}.", name=found.name),
        keyboard([button(t.plain("Decline without a reason"), "nowhy", found.booking.id)]),
    )


def owner_decided(t: Translator, found: BookedSlot, tz: ZoneInfo) -> OutMessage:
    """What the owner sees once they decided (the request message is edited to it)."""
    key = "approved" if found.booking.status == "approved" else "declined"
    lines = [
        t("📅 {facility}: {name}, {when}", facility=found.room.facility.name, name=found.name,
          when=_slot_time(found, tz, t)),
        t(STATUS[key]),
    ]
    if found.booking.reason:
        lines.append(t("Reason: {reason}", reason=found.booking.reason))
    return OutMessage("\n".join(lines))


def decided(t: Translator, found: BookedSlot, tz: ZoneInfo) -> OutMessage:
    """What the resident is told when an owner decided."""
    when = _slot_time(found, tz, t)
    facility = found.room.facility.name
    if found.booking.status == "approved":
        return OutMessage(t("✅ Your booking of {facility}, {when}, is approved.",
                            facility=facility, when=when))
    text = t("❌ Sorry, your booking of {facility}, {when}, was declined.",
             facility=facility, when=when)
    if found.booking.reason:
        text += "\n" + t("Reason: {reason}", reason=found.booking.reason)
    return OutMessage(text)


def reminder(t: Translator, found: BookedSlot, tz: ZoneInfo, check_in: bool) -> OutMessage:
    """Before an approved booking starts (with check-in on: the "I'm here" button)."""
    text = t("⏰ Reminder: you booked {facility} ({building}), {when}.",
             facility=found.room.facility.name, building=found.room.building.name,
             when=_slot_time(found, tz, t))
    if not check_in:
        return OutMessage(text)
    text += "\n" + t("When you arrive, press «I'm here».")
    return OutMessage(text, keyboard([button(t.plain("✅ I'm here"), "here", found.booking.id)]))


def checked_in(t: Translator, found: BookedSlot, tz: ZoneInfo) -> OutMessage:
    """After "I'm here"."""
    return OutMessage(t("✅ Welcome! Checked in: {facility}, {when}.",
                        facility=found.room.facility.name, when=_slot_time(found, tz, t)))


def cancelled(t: Translator, found: BookedSlot, tz: ZoneInfo) -> OutMessage:
    """A booking was cancelled."""
    return OutMessage(t("Cancelled: {facility}, {when}.", facility=found.room.facility.name,
                        when=_slot_time(found, tz, t)))


def mine(t: Translator, found: Sequence[BookedSlot], tz: ZoneInfo) -> OutMessage:
    """A person's coming bookings, each with a Cancel button."""
    if not found:
        return OutMessage(t("You have no bookings. /book books a room."))
    lines = [t("<b>Your bookings</b>")]
    rows = []
    for item in found[:MAX_LISTED]:
        lines.append(t("{facility}, {when}: {status}", facility=item.room.facility.name,
                       when=_slot_time(item, tz, t), status=t.plain(STATUS[item.booking.status])))
        label = t.plain("Cancel {facility} {time}", facility=item.room.facility.name,
                        time=local_time(t, item.booking.starts_at, tz, weekday=False)[5:])
        rows.append([button(label, "cancel", item.booking.id)])
    return OutMessage(fit(t, lines), keyboard(*rows))


def of_day(t: Translator, day: date, found: Sequence[BookedSlot], tz: ZoneInfo) -> OutMessage:
    """Everyone's bookings of one day, for owners."""
    if not found:
        return OutMessage(t("No bookings on {day}.", day=day.isoformat()))
    lines = [t("<b>Bookings on {day}</b>", day=day.isoformat())]
    for item in found:
        booking = item.booking
        line = t("{start}–{end} {facility}: {name} ({status})",
                 start=clock_time(booking.starts_at, tz), end=clock_time(booking.ends_at, tz),
                 facility=item.room.facility.name, name=item.name,
                 status=t.plain(STATUS[booking.status]))
        if booking.purpose:
            line += " · " + t("For: {purpose}", purpose=booking.purpose)
        lines.append(line)
    return OutMessage(fit(t, lines))

