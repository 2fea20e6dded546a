"""Every text and keyboard of service hours: check-in messages, /hours, make-up entries,
star levels, certificates and their verification, volunteers' applications."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.callbacks import button_data
from bot.domain.core import Building, User
from bot.domain.hours import (
    Activity,
    Application,
    Attendance,
    HoursEntry,
    HoursLeaderboard,
    HoursSummary,
    ServiceLine,
    StarLevel,
    hours_text,
)
from bot.i18n import Translator
from bot.views.common import Button, OutMessage, Rows, fit, keyboard, local_time, mention
from bot.views.points import MEDALS

if TYPE_CHECKING:
    from bot.services.hours import (
        Applied,
        CheckIn,
        CheckOut,
        IssuedCertificate,
        LocationAsked,
        MakeUp,
        Verification,
    )

FEATURE = "hours"
BUTTONS = ("in", "out", "code", "confirm", "approve", "decline", "post")
MOST_CONFIRM_BUTTONS = 20


def hours(minutes: int) -> str:
    """Minutes as hours people read (1.5)."""
    return hours_text(minutes)


def _clock(moment: float, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(moment, tz).strftime("%H:%M")


def _date(moment: float, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(moment, tz).strftime("%Y-%m-%d")


def stars(count: int) -> str:
    """The star level as stars."""
    return "★" * count if count else "—"


# --- check-in -------------------------------------------------------------------------------


def code_message(t: Translator, activity: Activity, tz: ZoneInfo) -> OutMessage:
    """The organiser's message: the code to show, and a button to see it again."""
    text = "\n".join([
        t("🔑 Check-in for <b>{title}</b> is open.", title=activity.title),
        t("Code: <code>{code}</code>", code=activity.code),
        t("Valid until {time}. Show it to the volunteers: they send /checkin and the code.",
          time=local_time(t, activity.ends_at, tz)),
    ])
    return OutMessage(text, keyboard([
        Button(t.plain("🔑 Show the code again"), button_data(FEATURE, "code", activity.id))]))


def code_alert(t: Translator, activity: Activity, tz: ZoneInfo) -> str:
    """The code again, as a button's answer (HTML, as every answer: ``reply`` strips it)."""
    return t("Code {code} for «{title}», valid until {time}.", code=activity.code,
                   title=activity.title, time=_clock(activity.ends_at, tz))


def organised(t: Translator, activities: Sequence[Activity], tz: ZoneInfo) -> OutMessage:
    """/checkin alone, for an organiser: the codes of their open windows."""
    if not activities:
        return OutMessage(t("Check in with the code the organiser shows: /checkin 123456"))
    lines = [t("<b>Your check-in codes</b>")]
    lines += [t("{title}: <code>{code}</code> ({start} to {end})", title=a.title, code=a.code,
                start=local_time(t, a.opens_at, tz), end=_clock(a.ends_at, tz))
              for a in activities]
    return OutMessage(fit(t, lines))


def checkin_invitation(t: Translator, activity: Activity, tz: ZoneInfo) -> OutMessage:
    """A volunteer's private message when the window opens: Check in / Check out."""
    text = "\n".join([
        t("📍 <b>{title}</b> starts {when}.", title=activity.title,
          when=local_time(t, activity.starts_at, tz)),
        t("When you are there, press Check in (or send /checkin and the organiser's code); "
          "press Check out when you leave. Your service hours count from these."),
    ])
    return OutMessage(text, keyboard([
        Button(t.plain("✅ Check in"), button_data(FEATURE, "in", activity.id)),
        Button(t.plain("👋 Check out"), button_data(FEATURE, "out", activity.id)),
    ]))


def card_rows(t: Translator, activity: Activity) -> Rows:
    """The check-in's buttons on the event's card in the group, while the window is open;
    anyone sees them, the service decides who may."""
    return keyboard(
        [Button(t.plain("✅ Check in"), button_data(FEATURE, "in", activity.id)),
         Button(t.plain("👋 Check out"), button_data(FEATURE, "out", activity.id))],
        [Button(t.plain("🔑 Check-in code (organiser)"),
                button_data(FEATURE, "code", activity.id))],
    )


def metres(distance: float) -> str:
    """A distance as people read it: 120, 1,450."""
    return f"{round(distance):,}"


def location_question(t: Translator, activity: Activity, radius_m: int) -> OutMessage:
    """In private: share your location to check in (a reply keyboard button that asks the
    app for it; Telegram offers it in private chats only)."""
    text = t("📍 To check in to «{title}», share your location with the button below: you "
             "need to be within {radius} m of the event.", title=activity.title,
             radius=radius_m)
    share = {"text": t.plain("📍 Share my location"), "request_location": True}
    return OutMessage(text, extra={"reply_markup": {
        "keyboard": [[share]], "resize_keyboard": True, "one_time_keyboard": True}})


def location_wanted(t: Translator, asked: LocationAsked, private: bool) -> str:
    """The answer to a check-in that waits for the location (asked in the private chat)."""
    if private:
        return t("📍 Share your location with the button below to check in to «{title}».",
                 title=asked.activity.title)
    return t("📍 I sent you a message in private: share your location there to check in to "
             "«{title}».", title=asked.activity.title)


def location_expired(t: Translator, activity: Activity) -> str:
    """The location question ran out: nothing was recorded."""
    return t("I stopped waiting for your location: you are not checked in to «{title}». "
             "Check in again when you are there.", title=activity.title)


def checked_in(t: Translator, done: CheckIn, tz: ZoneInfo) -> str:
    """After a check-in."""
    return t("✅ Checked in to «{title}» at {time}. Check out when you leave.",
             title=done.activity.title, time=_clock(done.attendance.checked_in_at, tz))


def checked_out(t: Translator, done: CheckOut, minimum: int) -> str:
    """After a check-out: the hours it counted."""
    if not done.minutes:
        return t("👋 Checked out of «{title}». Under {minutes} minutes counts no hours.",
                 title=done.activity.title, minutes=minimum)
    text = t("👋 Checked out of «{title}»: {hours} service hours recorded. Thank you!",
             title=done.activity.title, hours=hours(done.minutes))
    if done.level:
        text += "\n" + t("🌟 You are now a {stars} volunteer!", stars=stars(done.level))
    return text


def no_checkout_message(
    t: Translator, activity: Activity, missing: Sequence[tuple[Attendance, User]], tz: ZoneInfo
) -> OutMessage:
    """To the organiser at the end: who did not check out, with a Confirm button each."""
    lines = [t("⏱ «{title}» is over. These volunteers did not check out; their attendance "
               "was closed at the end. Confirm those who stayed to the end:",
               title=activity.title)]
    lines += [t("• {name}: checked in at {time}", name=mention(user),
                time=_clock(attendance.checked_in_at, tz)) for attendance, user in missing]
    buttons = [[Button(t.plain("Confirm {name}", name=user.display_name[:30]),
                       button_data(FEATURE, "confirm", attendance.id))]
               for attendance, user in missing[:MOST_CONFIRM_BUTTONS]]
    return OutMessage(fit(t, lines), keyboard(*buttons))


def confirmed(t: Translator, done: CheckOut, name: str) -> str:
    """The organiser's answer to Confirm."""
    return t("Confirmed: {hours} hours for {name}.", hours=hours(done.minutes), name=name)


# --- the record -----------------------------------------------------------------------------


def entry_line(t: Translator, line: ServiceLine, tz: ZoneInfo, numbered: bool) -> str:
    """One entry: date, content, hours, and whether it is make-up."""
    entry = line.entry
    mark = t(" (make-up)") if entry.kind == "makeup" else ""
    corrected = t(" (corrected)") if line.minutes != entry.minutes else ""
    number = f"#{entry.id} " if numbered else ""
    return t("{number}{date} {content}: {hours} h{mark}{corrected}", number=number,
             date=_date(entry.served_at, tz), content=entry.content, hours=hours(line.minutes),
             mark=mark, corrected=corrected)


def summary(t: Translator, shown: HoursSummary, tz: ZoneInfo, own: bool) -> str:
    """/hours: the year and all time, recorded and make-up, the latest entries, the level."""
    year, total = shown.this_year, shown.all_time
    head = t("<b>Your service hours</b>") if own else \
        t("<b>Service hours of {name}</b>", name=shown.user.display_name)
    lines = [
        head,
        t("{year}: {total} h (recorded {recorded}, make-up {makeup})", year=shown.year,
          total=hours(year.total), recorded=hours(year.recorded), makeup=hours(year.makeup)),
        t("All time: {total} h (recorded {recorded}, make-up {makeup})",
          total=hours(total.total), recorded=hours(total.recorded), makeup=hours(total.makeup)),
        level_line(t, shown.level),
    ]
    if shown.latest:
        lines += ["", t("Latest entries:")]
        lines += [entry_line(t, line, tz, numbered=not own) for line in shown.latest]
    else:
        lines += ["", t("No hours yet: check in at an event with /checkin and its code.")]
    if own:
        lines += ["", t("A certificate of this year's hours: /certificate")]
    return fit(t, lines)


def level_line(t: Translator, level: StarLevel) -> str:
    """The stars reached and what the next level needs."""
    if level.next_at_hours is None:
        return t("Star level: {stars} (the highest)", stars=stars(level.stars))
    return t("Star level: {stars}; {missing} more hours to {next} stars ({at} h)",
             stars=stars(level.stars), missing=hours(level.missing_minutes),
             next=level.stars + 1, at=level.next_at_hours)


def entry_note(t: Translator, entry: HoursEntry, total: int) -> str:
    """To the volunteer: an owner added or corrected their hours."""
    if entry.origin == "correction":
        text = t("Your service hours were corrected by {hours} h: {reason}",
                 hours=("+" if entry.minutes > 0 else "") + hours(entry.minutes),
                 reason=entry.content)
    elif entry.kind == "makeup":
        text = t("{hours} make-up service hours were added for you: {reason}",
                 hours=hours(entry.minutes), reason=entry.content)
    else:
        text = t("{hours} service hours were recorded for «{content}».",
                 hours=hours(entry.minutes), content=entry.content)
    return text + "\n" + t("Your service hours in all: {hours} h.", hours=hours(total))


def made(t: Translator, result: MakeUp, tz: ZoneInfo) -> str:
    """The owner's answer after /hours add or /hours correct."""
    name = result.volunteer.display_name
    if not result.created:
        return t("This was already recorded. {name} has {hours} service hours.", name=name,
                 hours=hours(result.all_time.total))
    return "\n".join([
        t("Recorded for {name}:", name=name),
        entry_line(t, result.line, tz, numbered=True),
        t("{name} has {hours} service hours in all.", name=name,
          hours=hours(result.all_time.total)),
    ])


def level_congratulation(t: Translator, level: int, now: StarLevel) -> str:
    """To a volunteer who reached a new star level."""
    return t("🌟 Congratulations! Your service hours make you a {stars} volunteer "
             "(level {level}).", stars=stars(level), level=level) + "\n" + level_line(t, now)


def level_group_note(t: Translator, volunteer: User, level: int) -> str:
    """The building group's short note, when its owners turned it on."""
    return t("🌟 {name} is now a {stars} volunteer. Thank you for your service!",
             name=volunteer.display_name, stars=stars(level))


def announce_set(t: Translator, building: Building, on: bool) -> str:
    """After /hours announce on|off."""
    if on:
        return t("{building}'s group will hear when a volunteer reaches a new star level.",
                 building=building.name)
    return t("{building}'s group will not hear of star levels.", building=building.name)


# --- certificates ---------------------------------------------------------------------------


def certificate_caption(t: Translator, issued: IssuedCertificate) -> str:
    """The caption of the PDF."""
    cert = issued.certificate
    return t("📄 Your service record for {year}: {hours} h. Verification number: "
             "<code>{number}</code> (anyone can check it with /verify).", year=cert.year,
             hours=hours(cert.total_minutes), number=cert.number)


def verification(t: Translator, found: Verification, tz: ZoneInfo) -> str:
    """/verify: what the certificate says, and whether the record still says so."""
    cert = found.certificate
    lines = [
        t("✅ Certificate {number} is genuine.", number=cert.number),
        t("Volunteer: {name}", name=found.volunteer.display_name),
        t("Period: {year}", year=cert.year),
        t("Service hours: {total} (recorded {recorded}, make-up {makeup}) in {entries} "
          "entries", total=hours(cert.total_minutes), recorded=hours(cert.recorded_minutes),
          makeup=hours(cert.makeup_minutes), entries=cert.entries),
        t("Issued: {date}", date=_date(cert.issued_at, tz)),
    ]
    if found.now_total != cert.total_minutes:
        lines.append(t("Since then the record of {year} changed: it now counts {hours} h.",
                       year=cert.year, hours=hours(found.now_total)))
    return "\n".join(lines)


# --- applications ---------------------------------------------------------------------------


def application_card(
    t: Translator, application: Application, resident: User, building: Building
) -> OutMessage:
    """To the owners: a resident asks to volunteer, with Approve / Decline."""
    lines = [t("🙋 {name} asks to be a volunteer of {building}.", name=mention(resident),
               building=building.name)]
    if application.skills:
        lines.append(t("Skills: {skills}", skills=application.skills))
    return OutMessage("\n".join(lines), keyboard([
        Button(t.plain("✅ Approve"), button_data(FEATURE, "approve", application.id)),
        Button(t.plain("Decline"), button_data(FEATURE, "decline", application.id)),
    ]))


def applied(t: Translator, result: Applied) -> str:
    """The resident's answer after /apply."""
    if result.owners_told or not result.created:
        return t("🙋 Thank you! The owners of {building} will look at your request to "
                 "volunteer; I will tell you their answer.", building=result.building.name)
    return t("🙋 Your request to volunteer in {building} is stored, but none of its owners "
             "has started a private chat with me yet. Ask them to press Start.",
             building=result.building.name)


def application_outcome(t: Translator, application: Application, building: Building) -> str:
    """To the resident: the owners' answer."""
    if application.status == "approved":
        return t("🎉 Welcome! You are now a volunteer of {building}. /help shows what "
                 "volunteers can do.", building=building.name)
    return t("Your request to volunteer in {building} was declined this time. Thank you for "
             "offering.", building=building.name)


def decided(t: Translator, application: Application, name: str) -> str:
    """The owner's answer to Approve / Decline."""
    if application.status == "approved":
        return t("Approved: {name} is now a volunteer.", name=name)
    return t("Declined: {name} is told.", name=name)


# --- the ranking -----------------------------------------------------------------------------


def leaderboard(
    t: Translator, board: HoursLeaderboard, place: str, posts: Sequence[Building] = ()
) -> OutMessage:
    """/leaderboard hours, with a 'post it' button for each group this person may post it in."""
    return OutMessage(leaderboard_text(t, board, place), keyboard(*(
        [Button(t.plain("📣 Post the ranking in {building}", building=building.name),
                button_data(FEATURE, "post", building.id))]
        for building in posts)))


def leaderboard_text(t: Translator, board: HoursLeaderboard, place: str) -> str:
    """The month's ranking by service hours."""
    year, month = board.month.split("-")
    lines = [t("⏳ <b>Service hours of the month</b>: {place}, {year}-{month}",
               place=place, year=year, month=int(month))]
    for rank, standing in enumerate(board.standings, start=1):
        badge = MEDALS[rank - 1] if rank <= len(MEDALS) else f"{rank}."
        lines.append(t("{badge} {name} — {hours} h", badge=badge,
                       name=standing.user.display_name, hours=hours(standing.minutes)))
    if not board.standings:
        lines.append(t("No service hours this month yet."))
    else:
        lines.append(t("Thank you for helping your neighbours!"))
    return "\n".join(lines)
