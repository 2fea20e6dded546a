"""The duty roster as people see it: the week, its editing screens, /duty, swaps, handovers.

Pure functions of domain values; the service decides who gets which, the handlers show them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event

from bot.callbacks import button_data
from bot.domain.core import Building, User
from bot.domain.roster import (
    PRESET_HOURS,
    AwayResult,
    Coverage,
    Digest,
    Duty,
    DutyCalendar,
    Note,
    NoteResult,
    Occurrence,
    OpenRequest,
    OpenShiftView,
    Shift,
    ShiftVolunteers,
    SwapCandidates,
    SwapChoice,
    SwapSummary,
    Week,
    day_code,
)
from bot.i18n import N_, Html, Translator
from bot.services.weektime import clock_text, range_text
from bot.views.common import Button, OutMessage, fit, keyboard, local_time

FEATURE = "roster"
WEEKDAYS = [N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun")]
WEEKDAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_SWAP_PARTNERS = 20
MAX_HANDOVER_REQUESTS = 20


def button(label: str, action: str, *args: object) -> Button:
    """A button of this feature."""
    return Button(label, button_data(FEATURE, action, *args))


def shift_times(t: Translator, shift: Shift) -> str:
    """ "Mon 18:00–22:00" in the reader's language."""
    return f"{t.plain(WEEKDAYS[shift.weekday])} {range_text(shift.start_minute, shift.end_minute)}"


def occurrence_label(t: Translator, occurrence: Occurrence) -> str:
    """ "Mon 11-30 18:00–22:00" in the reader's language."""
    shift = occurrence.shift
    weekday = t.plain(WEEKDAYS[shift.weekday])
    return f"{weekday} {occurrence.day:%m-%d} {range_text(shift.start_minute, shift.end_minute)}"


def shift_hours_content(t: Translator, building: Building, occurrence: Occurrence) -> str:
    """What a served shift's hours entry says it was (the certificate prints it)."""
    shift = occurrence.shift
    return t.plain("Duty shift {times}, {building}", building=building.name,
                   times=range_text(shift.start_minute, shift.end_minute))


def _validity(t: Translator, shift: Shift) -> str:
    """ " (from 2026-12-15)", " (until 2026-12-14)", or nothing for a shift without dates."""
    if shift.valid_from and shift.valid_until:
        return t(" (from {first} to {last})", first=shift.valid_from, last=shift.valid_until)
    if shift.valid_from:
        return t(" (from {first})", first=shift.valid_from)
    if shift.valid_until:
        return t(" (until {last})", last=shift.valid_until)
    return ""


def names(people: Sequence[User]) -> str:
    """ "Li, Wang"."""
    return ", ".join(person.display_name for person in people)


# --- the week and its editing screens -------------------------------------------------------


def week_card(t: Translator, week: Week, *, editable: bool, done: bool = False) -> OutMessage:
    """The week's shifts with their volunteers; owners (in private) get the editing buttons."""
    lines = [t("<b>Duty roster of {building}</b>", building=week.building.name)]
    for item in week.shifts:
        people = names(item.volunteers) or t.plain("nobody yet")
        lines.append(t("{shift}: {names}", shift=shift_times(t, item.shift), names=people)
                     + _validity(t, item.shift))
    if not week.shifts:
        lines.append(t("No shifts yet."))
    if week.digest_at is not None:
        weekday, minute = week.digest_at
        lines.append(t("Weekly digest in the group: {day} {time}",
                       day=t.plain(WEEKDAYS[weekday]), time=clock_text(minute)))
    prefix = t("✅ Done.") + "\n\n" if done else ""
    if not editable:
        return OutMessage(prefix + "\n".join(lines))
    lines.append("\n" + t("Or write, for example: /roster add mon 18:00-22:00 @li @wang"))
    switch = (
        N_("📢 Handover in the group: on")
        if week.handover_in_group
        else N_("📢 Handover in the group: off")
    )
    building_id = week.building.id
    rows = keyboard(
        [button(t.plain("➕ Add a shift"), "add", building_id)],
        [button(t.plain("🗑 Remove a shift"), "remove", building_id)],
        [button(t.plain("👥 Assign volunteers"), "assign", building_id)],
        [button(t.plain(switch), "announce", building_id)],
    )
    return OutMessage(prefix + "\n".join(lines), rows)


def pick_day(t: Translator, building: Building) -> OutMessage:
    """Adding a shift: first the weekday."""
    days = [button(t.plain(name), "addday", building.id, n) for n, name in enumerate(WEEKDAYS)]
    rows = keyboard(days[:4], days[4:], [button(t.plain("« Back"), "view", building.id)])
    return OutMessage(t("Which day is the new shift on?"), rows)


def pick_hours(t: Translator, building: Building, weekday: int) -> OutMessage:
    """Adding a shift: then the hours, from the presets."""
    rows = [
        [button(range_text(start, end), "addshift", building.id, weekday, start, end)]
        for start, end in PRESET_HOURS
    ]
    rows.append([button(t.plain("« Back"), "add", building.id)])
    text = t(
        "Which hours on {day}? For other hours write, for example: /roster add {code} 07:30-09:00",
        day=t.plain(WEEKDAYS[weekday]),
        code=WEEKDAY_CODES[weekday],
    )
    return OutMessage(text, keyboard(*rows))


def shift_to_remove(t: Translator, week: Week) -> OutMessage:
    """Removing a shift: which one."""
    return _pick_shift(t, week, "drop", N_("Which shift do you remove?"))


def shift_to_staff(t: Translator, week: Week) -> OutMessage:
    """Assigning volunteers: to which shift."""
    return _pick_shift(t, week, "pick", N_("Which shift?"))


def _pick_shift(t: Translator, week: Week, action: str, question: str) -> OutMessage:
    """A button for each shift of the week (``action``: what pressing one does)."""
    rows = [[button(shift_times(t, item.shift), action, item.shift.id)] for item in week.shifts]
    rows.append([button(t.plain("« Back"), "view", week.building.id)])
    return OutMessage(t(question), keyboard(*rows))


def shift_added(t: Translator) -> str:
    """The answer to the press that added a shift."""
    return t.plain("Shift added.")


def shift_removed(t: Translator) -> str:
    """The answer to the press that removed a shift."""
    return t.plain("Shift removed.")


def shift_volunteers(t: Translator, choice: ShiftVolunteers) -> OutMessage:
    """Each volunteer of the building as a button: ✅ when on the shift."""
    shift = choice.shift
    rows = [
        [
            button(
                ("✅ " if person.id in choice.on_shift else "▫️ ") + person.display_name,
                "toggle",
                shift.id,
                person.id,
                int(person.id not in choice.on_shift),
            )
        ]
        for person in choice.volunteers
    ]
    rows.append([button(t.plain("Done"), "view", choice.building.id)])
    text = t(
        "{shift}: tap a volunteer to put them on the shift or take them off.",
        shift=shift_times(t, shift),
    )
    if not choice.volunteers:
        text += "\n" + t(
            "This building has no volunteers yet: add them in the group with /volunteer."
        )
    return OutMessage(text, keyboard(*rows))


# --- /duty ----------------------------------------------------------------------------------


def duty_text(t: Translator, duty: Duty) -> str:
    """Now and next for one building."""
    lines = [t("<b>{building}</b>", building=duty.building.name)]
    if not duty.next:
        return "\n".join([*lines, t("No roster yet. Owners set it up with /roster.")])
    now = _occurrences(t, duty, duty.now) or t("nobody")
    lines.append(t("On duty now: {people}", people=now))
    lines.append(t("Next: {people}", people=_occurrences(t, duty, duty.next)))
    return "\n".join(lines)


def duties(t: Translator, found: Sequence[Duty]) -> OutMessage:
    """/duty: now and next in each building (a community admin's many, cut to fit)."""
    return OutMessage(fit(t, paragraphs([duty_text(t, duty) for duty in found])))


def paragraphs(blocks: Sequence[str]) -> list[str]:
    """Blocks as ``fit`` takes lines: joined, they are apart by an empty line, and what does
    not fit is counted in whole blocks."""
    return [block if n == 0 else "\n" + block for n, block in enumerate(blocks)]


def _occurrences(t: Translator, duty: Duty, occurrences: Sequence[Occurrence]) -> str:
    """ "Li, Wang (Mon 11-23 18:00–22:00)" for each occurrence, joined."""
    parts = []
    for occurrence in occurrences:
        covering = dict(occurrence.covering)
        people = [
            _covering(t, duty, u, covering.get(u))
            for u in occurrence.volunteer_ids
            if u in duty.people
        ]
        if occurrence.open_seats:
            people.append(t.plain("open shift: nobody yet"))
        who = ", ".join(people) or t.plain("nobody")
        parts.append(t.plain("{names} ({shift})", names=who, shift=occurrence_label(t, occurrence)))
    return t.plain("; ").join(parts)


def _covering(t: Translator, duty: Duty, user_id: int, instead_of: int | None) -> str:
    """ "Zhao", or "Zhao (for Li)" when Zhao took Li's seat."""
    name = duty.people[user_id].display_name
    if instead_of is None or instead_of not in duty.people:
        return name
    return t.plain("{name} (for {other})", name=name, other=duty.people[instead_of].display_name)


# --- swaps ----------------------------------------------------------------------------------


def swap_choices(t: Translator, choices: Sequence[SwapChoice], to: User | None) -> OutMessage:
    """/swap: the volunteer's coming shifts, to give one away (to ``to``, if named)."""
    rows = []
    for choice in choices:
        label = f"{choice.building.name} {occurrence_label(t, choice.occurrence)}"
        where = (choice.occurrence.shift.id, day_code(choice.occurrence.day))
        rows.append(
            [button(label, "swapto", *where, to.id)] if to else [button(label, "swap", *where)]
        )
    return OutMessage(t("Which of your coming shifts do you want to give away?"), keyboard(*rows))


def swap_partners(t: Translator, candidates: SwapCandidates) -> OutMessage:
    """Who should take the chosen shift."""
    occurrence = candidates.occurrence
    where = (occurrence.shift.id, day_code(occurrence.day))
    rows = [
        [button(user.display_name, "swapto", *where, user.id)]
        for user in candidates.others[:MAX_SWAP_PARTNERS]
    ]
    text = t(
        "Who should take {shift} in {building}?",
        shift=occurrence_label(t, occurrence),
        building=candidates.building.name,
    )
    return OutMessage(text, keyboard(*rows))


def swap_offered(t: Translator, summary: SwapSummary) -> OutMessage:
    """The offering volunteer's screen once the offer is out."""
    return OutMessage(
        t(
            "🔁 I asked {name} to take {shift}. I will tell you their answer.",
            name=summary.taker.display_name if summary.taker else "",
            shift=occurrence_label(t, summary.occurrence),
        )
    )


def swap_answered(t: Translator, summary: SwapSummary) -> OutMessage:
    """The asked volunteer's screen once they answered."""
    message = (
        N_("✅ You take {name}'s shift in {building}: {shift}.")
        if summary.swap.status == "accepted"
        else N_("You declined {name}'s shift in {building}: {shift}. They have been told.")
    )
    return OutMessage(
        t(
            message,
            name=summary.giver.display_name if summary.giver else "",
            building=summary.building.name,
            shift=occurrence_label(t, summary.occurrence),
        )
    )


def swap_offer(t: Translator, summary: SwapSummary) -> OutMessage:
    """The offer as the asked volunteer gets it, with Accept and Decline."""
    text = t(
        "🔁 {name} asks you to take their shift in {building}: {shift}.\nOnly this date changes.",
        name=summary.giver.display_name if summary.giver else "",
        building=summary.building.name,
        shift=occurrence_label(t, summary.occurrence),
    )
    swap_id = summary.swap.id
    rows = keyboard(
        [button(t.plain("✅ Accept"), "yes", swap_id), button(t.plain("❌ Decline"), "no", swap_id)]
    )
    return OutMessage(text, rows)


def swap_answer(t: Translator, summary: SwapSummary, accepted: bool) -> OutMessage:
    """The answer as the offering volunteer hears it."""
    message = (
        N_("✅ {name} accepted: they take your shift in {building}, {shift}.")
        if accepted
        else N_("❌ {name} declined to take your shift in {building}, {shift}.")
    )
    return OutMessage(
        t(
            message,
            name=summary.taker.display_name if summary.taker else "",
            building=summary.building.name,
            shift=occurrence_label(t, summary.occurrence),
        )
    )


def swap_for_owners(t: Translator, summary: SwapSummary) -> OutMessage:
    """An accepted swap, as the building's owners hear of it."""
    return OutMessage(
        t(
            "🔁 Swap in {building}: {taker} takes {giver}'s shift {shift} (this date only).",
            building=summary.building.name,
            taker=summary.taker.display_name if summary.taker else "",
            giver=summary.giver.display_name if summary.giver else "",
            shift=occurrence_label(t, summary.occurrence),
        )
    )


# --- reminders and handovers ----------------------------------------------------------------


def duty_reminder(t: Translator, building: Building, occurrence: Occurrence) -> OutMessage:
    """A volunteer's shift starts soon."""
    return OutMessage(
        t(
            "⏰ Your duty in {building} starts soon: {shift}.\n"
            "When it ends, you can leave a note for the next volunteer: "
            "/handover followed by the note.",
            building=building.name,
            shift=occurrence_label(t, occurrence),
        ),
        keyboard([button(t("I can't make it"), "cant", occurrence.shift.id,
                         day_code(occurrence.day))]),
    )


def handover_incoming(
    t: Translator,
    building: Building,
    outgoing: Sequence[User],
    shift: Occurrence,
    notes: Sequence[Note],
    requests: Sequence[OpenRequest],
) -> OutMessage:
    """The incoming volunteer's handover: who they follow, the notes, the open requests."""
    text = t(
        "🔄 Handover in {building}: you take over from {names}.\nYour shift: {shift}",
        building=building.name,
        names=names(outgoing) or "—",
        shift=occurrence_label(t, shift),
    )
    text += "".join(t("\n\n📝 {name}: {note}", name=n.name, note=n.text) for n in notes)
    return OutMessage(text + _requests_text(t, requests))


def _requests_text(t: Translator, requests: Sequence[OpenRequest]) -> str:
    if not requests:
        return t("\n\nNo requests are open or claimed.")
    lines = [t("\n\nRequests still open or claimed:")]
    for request in requests[:MAX_HANDOVER_REQUESTS]:
        line = t("#{number} {text}", number=request.number, text=request.text[:80])
        if request.claimed_by:
            line += t(" (claimed by {name})", name=request.claimed_by)
        lines.append(line)
    return "\n".join(lines)


def handover_thanks(t: Translator, building: Building, incoming: Sequence[User]) -> OutMessage:
    """The outgoing volunteer (who left no note) is thanked and asked for one."""
    return OutMessage(
        t(
            "✅ Your shift in {building} is over. Thank you!\n{names} takes over. "
            "To leave them a note, write /handover followed by the note.",
            building=building.name,
            names=names(incoming),
        )
    )


def late_note(t: Translator, note: Note, building: Building, shift: Occurrence) -> OutMessage:
    """A note written after the handover, sent on to those who took over."""
    return OutMessage(
        t(
            "📝 A handover note from {name} ({building}, {shift}):\n{note}",
            name=note.name,
            building=building.name,
            shift=occurrence_label(t, shift),
            note=note.text,
        )
    )


def duty_passes(t: Translator, before: Sequence[User], after: Sequence[User]) -> OutMessage:
    """ "Duty passes from A to B", in the group."""
    return OutMessage(
        t("🔄 Duty passes from {before} to {after}.", before=names(before), after=names(after))
    )


def note_result(t: Translator, result: NoteResult) -> OutMessage:
    """What the writer of a /handover note is told."""
    if not result.handed_over:
        text = t(
            "📝 Noted. The next volunteer gets it when your shift ends ({shift}).",
            shift=occurrence_label(t, result.occurrence),
        )
    elif result.forwarded_to:
        text = t("📝 Sent to {names}, who took over.", names=names(result.forwarded_to))
    else:
        text = t("📝 Noted, but nobody takes over after this shift.")
    return OutMessage(text)


# --- aways and open shifts ------------------------------------------------------------------


def away_menu(t: Translator) -> OutMessage:
    """/away alone: the usual periods as buttons, and the text form."""
    return OutMessage(
        t("Away for how long? While you are away, requests skip you and your shifts are "
          "offered to the other volunteers."),
        keyboard(
            [button(t("Today"), "away", "today"), button(t("This week"), "away", "week")],
            [button(t("Until a date…"), "away", "until")],
        ),
    )


def away_until(t: Translator) -> OutMessage:
    """The "until a date" button: the text form."""
    return OutMessage(
        t("Write the first and the last day away, for example:\n"
          "/away 2026-12-10 2026-12-20 visiting my daughter")
    )


def away_set(t: Translator, result: AwayResult, own: bool) -> OutMessage:
    """An away was recorded: the period and the shifts now offered to others."""
    away = result.away
    if own:
        lines = [t("✅ You are away from {first} to {last}. Requests skip you meanwhile; "
                   "/back ends it early.", first=away.starts_on, last=away.ends_on)]
    else:
        lines = [t("✅ {name} is away from {first} to {last}.", name=result.user.display_name,
                   first=away.starts_on, last=away.ends_on)]
    if result.opened:
        lines.append(t("These shifts are offered to the other volunteers:"))
        lines += [f"• {occurrence_label(t, o)}" for o in result.opened]
    else:
        lines.append(t("No shift falls in that period."))
    return OutMessage(fit(t, lines))


def back_done(t: Translator, name: str, withdrawn: int, own: bool) -> OutMessage:
    """/back: the away ended; the shifts nobody took are theirs again."""
    first = t("Welcome back!") if own else t("{name} is back.", name=name)
    rest = t("Open shifts withdrawn: {count}.", count=withdrawn) if withdrawn else ""
    return OutMessage("\n".join(line for line in (first, rest) if line))


def open_shift_card(t: Translator, shown: OpenShiftView, viewer: int) -> OutMessage:
    """The offer card a volunteer gets: open with its button, then who took it."""
    seat = shown.open_shift
    where = Html(t(
        "{building}: {shift}", building=shown.building.name,
        shift=occurrence_label(t, shown.occurrence),
    ))
    if seat.status == "taken":
        if seat.taken_by == viewer:
            return OutMessage(t("✅ You took this shift. Thank you!\n{shift}", shift=where))
        name = shown.taker.display_name if shown.taker else "?"
        return OutMessage(t("This shift was taken by {name}.\n{shift}", name=name, shift=where))
    if seat.status == "cancelled":
        return OutMessage(t("This shift is no longer open: its volunteer is back.\n{shift}",
                            shift=where))
    if shown.started:
        return OutMessage(t("This shift has started.\n{shift}", shift=where))
    who = shown.vacated_by.display_name if shown.vacated_by else "?"
    return OutMessage(
        t("🙋 An open shift: {name} cannot come.\n{shift}\nCan you take it?",
          name=who, shift=where),
        keyboard([button(t("Take this shift"), "take", seat.id)]),
    )


def open_shift_taken_toast(t: Translator, shown: OpenShiftView) -> str:
    """The answer to the winning press."""
    return t.plain("You took the shift: {shift}.", shift=occurrence_label(t, shown.occurrence))


def cant_done(t: Translator, shown: OpenShiftView) -> OutMessage:
    """The reminder after "I can't make it": the shift is offered to the others."""
    return OutMessage(
        t("Thank you for saying so. Your shift {shift} in {building} is offered to the other "
          "volunteers; the owners hear if nobody takes it.",
          shift=occurrence_label(t, shown.occurrence), building=shown.building.name)
    )


def open_shift_taken(t: Translator, shown: OpenShiftView) -> OutMessage:
    """The owners hear who took an open shift."""
    taker = shown.taker.display_name if shown.taker else "?"
    who = shown.vacated_by.display_name if shown.vacated_by else "?"
    return OutMessage(
        t("{taker} took the open shift {shift} in {building} (for {name}).", taker=taker,
          shift=occurrence_label(t, shown.occurrence), building=shown.building.name, name=who)
    )


def open_shift_alert(t: Translator, shown: OpenShiftView) -> OutMessage:
    """The owners hear of a shift still open shortly before it starts."""
    who = shown.vacated_by.display_name if shown.vacated_by else "?"
    return OutMessage(
        t("⚠️ Nobody has taken the open shift {shift} in {building} (left by {name}). "
          "It starts soon: /roster to assign someone.",
          shift=occurrence_label(t, shown.occurrence), building=shown.building.name, name=who)
    )


# --- calendar files -------------------------------------------------------------------------


def calendar_file(
    t: Translator,
    calendar: DutyCalendar,
    tz: ZoneInfo,
    *,
    shift_alarm_minutes: int,
    event_alarm_minutes: int,
    now: float,
) -> bytes:
    """/calendar's .ics: local times with the zone's VTIMEZONE, and UIDs that stay the same
    when the file is made again, so a calendar app updates its entries instead of adding."""
    ical = Calendar()
    ical.add("prodid", "-//Linli//duty roster//EN")
    ical.add("version", "2.0")
    ical.add("x-wr-calname", t.plain("Linli duty"))
    stamp = datetime.fromtimestamp(now, tz)
    for item in calendar.shifts:
        occurrence = item.occurrence
        entry = Event()
        entry.add("uid", f"shift-{occurrence.shift.id}-{occurrence.day.isoformat()}@linli")
        entry.add("dtstamp", stamp)
        entry.add("dtstart", datetime.fromtimestamp(occurrence.starts_at, tz))
        entry.add("dtend", datetime.fromtimestamp(occurrence.ends_at, tz))
        if calendar.whole_rota:
            who = ", ".join(item.names) or t.plain("nobody")
            summary = t.plain("Duty {building}: {names}", building=item.building.name, names=who)
        else:
            summary = t.plain("Duty in {building}", building=item.building.name)
        entry.add("summary", summary)
        if not calendar.whole_rota:
            entry.add_component(_alarm(summary, shift_alarm_minutes))
        ical.add_component(entry)
    for event in calendar.events:
        entry = Event()
        entry.add("uid", f"event-{event.id}@linli")
        entry.add("dtstamp", stamp)
        entry.add("dtstart", datetime.fromtimestamp(event.starts_at, tz))
        entry.add("duration", timedelta(hours=2))
        entry.add("summary", event.title)
        entry.add("location", event.place)
        if event.role == "helper":
            entry.add("description", t.plain("You signed up to help."))
        entry.add_component(_alarm(event.title, event_alarm_minutes))
        ical.add_component(entry)
    ical.add_missing_timezones()
    return bytes(ical.to_ical())


def _alarm(summary: str, minutes: int) -> Alarm:
    """A reminder that many minutes before the start."""
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", timedelta(minutes=-minutes))
    return alarm


def calendar_caption(t: Translator, calendar: DutyCalendar) -> str:
    """The caption of the .ics file."""
    if calendar.whole_rota:
        return t("📅 The rota of your buildings ({shifts} shifts) and your events ({events}). "
                 "Open the file to add it to your calendar; a new file updates it.",
                 shifts=len(calendar.shifts), events=len(calendar.events))
    return t("📅 Your coming shifts ({shifts}) and events ({events}), with reminders. Open "
             "the file to add them to your calendar; a new file updates them.",
             shifts=len(calendar.shifts), events=len(calendar.events))


# --- the weekly digest ----------------------------------------------------------------------


def digest(t: Translator, found: Digest, tz: ZoneInfo) -> OutMessage:
    """The group's weekly digest: who is on duty each day, open requests, coming events,
    the facilities' closing times."""
    from bot.views.lockup import closing_text  # lockup's views import this module

    lines = [t("🗓 <b>{building}: the coming week</b>", building=found.building.name)]
    for day, occurrences in found.days:
        parts = []
        for occurrence in occurrences:
            people = [found.people[u] for u in occurrence.volunteer_ids if u in found.people]
            who = names(people) or t.plain("nobody")
            if occurrence.open_seats:
                who = t.plain("{names}, open shift", names=who) if people else t.plain(
                    "open shift: nobody yet")
            shift = occurrence.shift
            parts.append(f"{range_text(shift.start_minute, shift.end_minute)} {who}")
        shown = t.plain("; ").join(parts) or t.plain("nobody on duty")
        lines.append(t("{day}: {shifts}", day=f"{t.plain(WEEKDAYS[day.weekday()])} {day:%m-%d}",
                       shifts=shown))
    lines.append("")
    lines.append(t("Requests still open: {count}", count=found.open_requests))
    if found.gap_hours is not None:
        lines.append(t("Hours with nobody on duty: {hours}", hours=f"{found.gap_hours:g}"))
    if found.events:
        lines.append(t("Coming events:"))
        for summary in found.events:
            event = summary.event
            lines.append(t("• {when} {title} ({place})", title=event.title, place=event.place,
                           when=local_time(t, event.starts_at, tz)))
    if found.facilities:
        lines.append(t("Closing times:"))
        for facility in found.facilities:
            lines.append(t("• {name}: {times}", name=facility.name,
                           times=closing_text(t, facility.closing)))
    return OutMessage(fit(t, lines))



# --- coverage gaps --------------------------------------------------------------------------

MAX_GAP_LINES = 12


def coverage_text(t: Translator, found: Sequence[Coverage], tz: ZoneInfo) -> OutMessage:
    """/coverage: for each building the hours with nobody on duty, and the gaps."""
    blocks = []
    for item in found:
        first, last = item.days[0], item.days[-1]
        lines = [t("<b>{building}</b>: {hours} hours with nobody on duty from {first} to "
                   "{last}", building=item.building.name, hours=f"{item.gap_hours:g}",
                   first=f"{first:%m-%d}", last=f"{last:%m-%d}")]
        for start, end in item.gaps[:MAX_GAP_LINES]:
            lines.append(t("• {start} – {end}", start=local_time(t, start, tz),
                           end=local_time(t, end, tz)))
        if len(item.gaps) > MAX_GAP_LINES:
            lines.append(t("… and {count} more gaps", count=len(item.gaps) - MAX_GAP_LINES))
        if not item.gaps:
            lines.append(t("Every hour is covered."))
        blocks.append("\n".join(lines))
    return OutMessage(fit(t, paragraphs(blocks)))


def coverage_caption(t: Translator) -> str:
    """The caption of the coverage picture."""
    return t("Red: hours with nobody on duty. Green: covered.")
