"""How events look: the sign-up card in a group, the attendance sheet, /events, the notes
to the people on a list, and the replies of the /event command and its buttons.

Pure functions of domain values; the service decides who sees which, and when.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal
from zoneinfo import ZoneInfo

from bot.callbacks import button_data
from bot.domain.core import Building, User
from bot.domain.events import AttendanceSheet, Event, EventSummary, JoinOutcome, Listing, Signup
from bot.i18n import N_, Html, Translator, html_escape
from bot.views.common import (
    Button,
    OutMessage,
    Rows,
    building_names,
    keyboard,
    local_time,
    mention,
)

MESSAGE_BUDGET = 3900  # under Telegram's 4096, with room for the footer
SHEET_PAGE = 40  # names on one page of the attendance sheet (two a row)

NoteKind = Literal["promoted", "reminder", "cancelled"]

# What the people on a list are told: in private, or with a mention in their group.
PRIVATE_NOTES: dict[NoteKind, str] = {
    "promoted": N_("🎉 A place opened up for <b>{title}</b> ({when}): you are now on the list."),
    "reminder": N_("⏰ Reminder: <b>{title}</b> starts {when}, at {place}. See you there!"),
    "cancelled": N_("❌ <b>{title}</b> ({when}) is cancelled. Sorry for the change of plans."),
}
GROUP_NOTES: dict[NoteKind, str] = {
    "promoted": N_(
        "🎉 {names}: a place opened up for <b>{title}</b> ({when}), you are now on the list."
    ),
    "reminder": N_("⏰ Reminder for {names}: <b>{title}</b> starts {when}, at {place}."),
    "cancelled": N_("❌ {names}: <b>{title}</b> ({when}) is cancelled."),
}

LINE_FORM = N_(
    "{problem}\n\nWrite the event on one line, like this:\n"
    "/event {prefix}{time} | Health check | Community hall | 40 | 2 | Bring your medical card\n"
    "That is: time | title | place | places | helpers | description; the last three may be "
    "left out. Or send /event alone and I will ask step by step."
)
QUESTIONS = {
    "buildings": N_(
        "🗓 Which buildings is the event for? Write their names separated by commas "
        "(for example {names}), or all."
    ),
    "title": N_("🗓 What is the event called? For example: Free health check"),
    "when": N_("🗓 When is it? Write the date and time, for example {time}"),
    "place": N_("🗓 Where is it? For example: Community hall"),
    "location": N_(
        "🗓 Where is it on the map? Send the place's location (📎 → Location): volunteers "
        "then check in only when they are there. Or - to skip."
    ),
    "capacity": N_("🗓 How many people can come? Write a number, or - for no limit."),
    "helpers": N_("🗓 How many volunteer helpers do you need? Write a number, or 0."),
    "description": N_(
        "🗓 Anything else people should know (what to bring, who it is for)? "
        "Write it, or - for nothing."
    ),
}
JOINED = {
    ("guest", "going"): N_("You are on the list: number {position}."),
    ("guest", "waiting"): N_(
        "The list is full. You are number {position} on the waitlist; "
        "I will tell you when a place opens."
    ),
    ("helper", "going"): N_("Thank you! You are helper number {position}."),
    ("helper", "waiting"): N_(
        "There are enough helpers. You are number {position} on the helpers' waitlist."
    ),
}


def _button(label: str, action: str, *args: object) -> Button:
    return Button(label, data=button_data("event", action, *args))


# --- the card in the groups -----------------------------------------------------------------


def card(
    t: Translator,
    event: Event,
    buildings: Sequence[str],
    signups: Sequence[Signup],
    now: float,
    tz: ZoneInfo,
    extra: Rows = (),
) -> OutMessage:
    """The event's message in a group: details, the list, and its buttons while it is open
    (then ``extra``: the check-in's, while its window is open)."""
    return OutMessage(card_text(t, event, buildings, signups, now, tz),
                      card_buttons(t, event, now) + extra)


def card_text(
    t: Translator,
    event: Event,
    buildings: Sequence[str],
    signups: Sequence[Signup],
    now: float,
    tz: ZoneInfo,
) -> str:
    """The card's text: details, the numbered list, waitlist and helpers."""
    for most in (200, 60, 20, 5):
        text = "\n".join(_card_lines(t, event, buildings, signups, now, tz, most))
        if len(text) <= MESSAGE_BUDGET:
            break
    return text


def _card_lines(
    t: Translator,
    event: Event,
    buildings: Sequence[str],
    signups: Sequence[Signup],
    now: float,
    tz: ZoneInfo,
    most: int,
) -> list[str]:
    lines = [
        t("📅 <b>{title}</b> · #{number}", title=event.title, number=event.id),
        t("🕘 {when}", when=local_time(t, event.starts_at, tz)),
        t("📍 {place}", place=event.place),
    ]
    if len(buildings) > 1:
        lines.append(t("🏠 For: {buildings}", buildings=", ".join(buildings)))
    if event.description:
        lines.append(html_escape(event.description))
    going = _of(signups, "guest", "going")
    lines += ["", _signed_up_line(t, event, len(going)), *_numbered(t, going, most)]
    waiting = _of(signups, "guest", "waiting")
    if waiting:
        lines += ["", t("Waitlist:"), *_numbered(t, waiting, most)]
    if event.helpers:
        helping = _of(signups, "helper", "going")
        lines += ["", t("🙋 Helpers: {count}/{wanted}", count=len(helping), wanted=event.helpers)]
        lines += _numbered(t, helping, most)
        spare = _of(signups, "helper", "waiting")
        if spare:
            lines += [t("Helpers waiting:"), *_numbered(t, spare, most)]
    return [*lines, "", _status_line(t, event, len(going), now)]


def _of(signups: Sequence[Signup], role: str, status: str) -> list[Signup]:
    return [s for s in signups if s.role == role and s.status == status]


def _numbered(t: Translator, signups: list[Signup], most: int) -> list[str]:
    lines = [f"{n}. {html_escape(s.user.display_name)}" for n, s in enumerate(signups[:most], 1)]
    if len(signups) > most:
        lines.append(t.in_context("people", "… and {count} more", count=len(signups) - most))
    return lines


def _signed_up_line(t: Translator, event: Event, going: int) -> str:
    if event.capacity is None:
        return t("Signed up: {count}", count=going)
    return t("Signed up: {count}/{capacity}", count=going, capacity=event.capacity)


def _status_line(t: Translator, event: Event, going: int, now: float) -> str:
    if event.status == "cancelled":
        return t("❌ This event is cancelled.")
    if event.status == "done":
        return t("✅ This event is over. Thank you, everyone!")
    if event.starts_at <= now:
        return t("Sign-up is closed.")
    if event.capacity is not None and going >= event.capacity:
        return t("The list is full: Join puts you on the waitlist.")
    return t("Press Join to sign up.")


def card_buttons(t: Translator, event: Event, now: float) -> tuple[tuple[Button, ...], ...]:
    """Join / Leave (and Help out when helpers are wanted) while sign-up is open."""
    if event.status != "open" or event.starts_at <= now:
        return ()
    sign_up = [
        _button(t.plain("✋ Join"), "join", event.id),
        _button(t.plain("Leave"), "leave", event.id),
    ]
    helping = [_button(t.plain("🙋 Help out (volunteers)"), "help", event.id)]
    return keyboard(sign_up, helping if event.helpers else [])


# --- the notes to the people on the list ------------------------------------------------------


def private_note(t: Translator, kind: NoteKind, event: Event, tz: ZoneInfo) -> OutMessage:
    """A note to one person on the list, in their private chat."""
    return OutMessage(t(PRIVATE_NOTES[kind], **_about(t, event, tz)))


def group_note(
    t: Translator, kind: NoteKind, event: Event, tz: ZoneInfo, people: Sequence[User]
) -> OutMessage:
    """The same note in a group, mentioning those who cannot be told in private."""
    names = Html(", ".join(mention(user) for user in people))
    return OutMessage(t(GROUP_NOTES[kind], names=names, **_about(t, event, tz)))


def _about(t: Translator, event: Event, tz: ZoneInfo) -> dict[str, str]:
    return {"title": event.title, "when": local_time(t, event.starts_at, tz), "place": event.place}


# --- the attendance sheet ---------------------------------------------------------------------


def sheet(t: Translator, attendance: AttendanceSheet, tz: ZoneInfo, page: int) -> OutMessage:
    """The owner's attendance sheet: a button for each person, pages, and Save."""
    return OutMessage(sheet_text(t, attendance, tz), sheet_buttons(t, attendance, page))


def sheet_text(t: Translator, attendance: AttendanceSheet, tz: ZoneInfo) -> str:
    """The sheet's text: which event, and how many were marked present."""
    event = attendance.event
    head = t(
        "📋 Attendance for <b>{title}</b> (#{number}), {when}",
        title=event.title,
        number=event.id,
        when=local_time(t, event.starts_at, tz),
    )
    if not attendance.going:
        return head + "\n" + t("Nobody was on the list.")
    present, total = len(attendance.present), len(attendance.going)
    if event.status == "done":
        return head + "\n" + t("Saved: {present} of {total} came.", present=present, total=total)
    return (
        head
        + "\n"
        + t(
            "Press the names of those who came, then Save. Marked so far: {present} of {total}.",
            present=present,
            total=total,
        )
    )


def sheet_buttons(
    t: Translator, attendance: AttendanceSheet, page: int
) -> tuple[tuple[Button, ...], ...]:
    """A button for each person (✅ came), pages of SHEET_PAGE, and Save."""
    event = attendance.event
    if event.status != "open":
        return ()
    pages = max(1, -(-len(attendance.going) // SHEET_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = attendance.going[page * SHEET_PAGE : (page + 1) * SHEET_PAGE]
    names = [_mark_button(t, s, s.user.id in attendance.present, page) for s in shown]
    rows = [names[i : i + 2] for i in range(0, len(names), 2)]
    if pages > 1:
        rows.append(
            [
                _button("◀", "sheet", event.id, (page - 1) % pages),
                _button(f"{page + 1}/{pages}", "sheet", event.id, page),
                _button("▶", "sheet", event.id, (page + 1) % pages),
            ]
        )
    rows.append([_button(t.plain("💾 Save attendance"), "save", event.id)])
    return keyboard(*rows)


def _mark_button(t: Translator, signup: Signup, present: bool, page: int) -> Button:
    name = signup.user.display_name[:40]
    if signup.role == "helper":
        name = t.plain("{name} (helper)", name=name)
    label = ("✅ " if present else "▫️ ") + name
    return _button(label, "mark", signup.event_id, signup.user.id, page)


# --- /events ----------------------------------------------------------------------------------


def listing(t: Translator, found: Listing, tz: ZoneInfo) -> OutMessage:
    """/events: the list, with Cancel and Attendance buttons for those one manages."""
    return OutMessage(listing_text(t, found, tz), listing_buttons(t, found))


def listing_text(t: Translator, found: Listing, tz: ZoneInfo) -> str:
    """The coming events with their counts, then those waiting for attendance."""
    if not found.coming and not found.awaiting:
        return t("No events are coming up.")
    lines = [t("<b>Coming events</b>")] if found.coming else []
    lines += [_summary_line(t, summary, tz) for summary in found.coming]
    if found.awaiting:
        lines += ["", t("<b>Waiting for attendance</b>")]
        lines += [_summary_line(t, summary, tz) for summary in found.awaiting]
    while len("\n".join(lines)) > MESSAGE_BUDGET:  # whole lines only: a cut tag breaks HTML
        lines.pop()
    return "\n".join(lines)


def _summary_line(t: Translator, summary: EventSummary, tz: ZoneInfo) -> str:
    event = summary.event
    line = t(
        "#{number} <b>{title}</b> — {when}, {place}",
        number=event.id,
        title=event.title,
        when=local_time(t, event.starts_at, tz),
        place=event.place,
    )
    line += " — " + _signed_up_line(t, event, summary.going)
    if summary.waiting:
        line += t(" ({count} waiting)", count=summary.waiting)
    return line


def listing_buttons(t: Translator, found: Listing) -> tuple[tuple[Button, ...], ...]:
    """Cancel buttons for the coming events one manages, Attendance for the past ones."""
    rows = [
        [_button(t.plain("Cancel #{number}", number=s.event.id), "cancel", s.event.id)]
        for s in found.coming
        if s.event.id in found.manageable
    ]
    rows += [
        [_button(t.plain("Attendance #{number}", number=s.event.id), "sheet", s.event.id, 0)]
        for s in found.awaiting
        if s.event.id in found.manageable
    ]
    return keyboard(*rows[:20])


# --- replies to /event and the buttons ------------------------------------------------------


def question(t: Translator, step: str, owned: Sequence[Building], example: str) -> OutMessage:
    """A question of the step-by-step /event form."""
    names = ",".join(b.name for b in owned[:2]) or "3号楼,5号楼"
    return OutMessage(t(QUESTIONS[step], names=names, time=example))


def posted(t: Translator, event: Event, buildings: Sequence[Building]) -> OutMessage:
    """The confirmation in private that the event is posted."""
    return OutMessage(
        t(
            "✅ Event #{number} «{title}» is posted in {buildings}.",
            number=event.id,
            title=event.title,
            buildings=building_names(buildings, most=len(buildings)),
        )
    )


def form_stopped(t: Translator, dropped: bool) -> OutMessage:
    """/event stop."""
    if dropped:
        return OutMessage(t("The /event form is dropped."))
    return OutMessage(t("There is no /event form to drop."))


def form_expired(t: Translator, name: str, minutes: int) -> OutMessage:
    """A form nobody answered in time."""
    return OutMessage(
        t(
            "{name}, the /event form was dropped after {minutes} minutes without an "
            "answer. Send /event to start again.",
            name=name,
            minutes=minutes,
        )
    )


def joined(t: Translator, outcome: JoinOutcome) -> OutMessage:
    """What a sign-up press answers."""
    return OutMessage(t(JOINED[(outcome.role, outcome.status)], position=outcome.position))


def left(t: Translator) -> OutMessage:
    """What Leave answers."""
    return OutMessage(t("You have left the list."))


def confirm_cancel(t: Translator, event: Event, tz: ZoneInfo) -> OutMessage:
    """Cancel #N asks the owner to confirm."""
    return OutMessage(
        t(
            "Cancel <b>{title}</b> ({when})? Everyone signed up will be told.",
            title=event.title,
            when=local_time(t, event.starts_at, tz),
        ),
        keyboard(
            [
                _button(t.plain("Yes, cancel it"), "cancelok", event.id),
                _button(t.plain("No, keep it"), "keep", event.id),
            ]
        ),
    )


def cancelled(t: Translator, event: Event, told: int) -> OutMessage:
    """The event is cancelled and the people on its list are being told."""
    return OutMessage(
        t(
            "❌ <b>{title}</b> is cancelled. I am telling the {count} people who signed up.",
            title=event.title,
            count=told,
        )
    )


def kept(t: Translator, event: Event) -> OutMessage:
    """No, keep it."""
    return OutMessage(t("Nothing changed: <b>{title}</b> goes ahead.", title=event.title))
