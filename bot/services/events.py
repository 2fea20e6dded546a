"""Events with sign-up lists (接龙), waitlists, reminders and attendance.

An event is posted in one or more building groups and has one list. Who gets a place
is decided by one INSERT … SELECT inside BEGIN IMMEDIATE (``EventRepository.sign_up``),
so two people racing for the last place get one place and one waitlist spot.

The list in the group message is edited live, in batches. Each change schedules a
stored job keyed by the event and the current time window of
``events.list_edit_seconds``; every change in that window lands on the same pending
job, which renders the list as it is when it runs and queues one edit per group
through the outbox. A stored job rather than an outbox row with a dedupe key, because
an outbox row would freeze the text at the first change of the window, while the job
renders the latest list; it survives a restart like any job, and a fixed window
(not a trailing debounce) means a steady stream of presses still shows up every few
seconds instead of never.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from bot.callbacks import button_data
from bot.clock import Clock
from bot.config import Settings
from bot.domain.core import Building, Job, Prompt, User
from bot.domain.events import Event, EventSummary, Signup
from bot.errors import Conflict, InvalidInput, NotFound
from bot.i18n import N_, Html, Translator, html_escape
from bot.outbox import Delivery, Outbox
from bot.scheduler import JobHandler, Scheduler
from bot.services.people import People
from bot.services.points import PointsService
from bot.services.prompts import Prompts
from bot.text import one_line, tidy
from storage.db import Database, Transaction
from storage.events import EventRepository, Reader, Role
from storage.users import UserRepository

if TYPE_CHECKING:
    from bot.config import EventsSettings

MAX_TITLE = 80
MAX_PLACE = 80
MAX_DESCRIPTION = 500
MAX_CAPACITY = 500
MAX_HELPERS = 50
MESSAGE_BUDGET = 3900  # under Telegram's 4096, with room for the footer
MENTIONS_PER_MESSAGE = 30
SHEET_PAGE = 40  # names on one page of the attendance sheet (two a row)
ATTENDANCE_DAYS = 7  # how long after its start /events still offers an event's attendance

JOB_LIST = "event_list"
JOB_REMIND = "event_remind"
JOB_START = "event_start"
PROMPT = "events"  # the feature name of the step-by-step form's stored prompt
LATE_OK = 7 * 24 * 3600  # list edits and the start are still worth doing after downtime

KIND_CARD = "event_card"
KIND_CARD_EDIT = "event_card_edit"
KIND_SHEET = "event_sheet"
KIND_FORM = "event_form"
KIND_GROUP_NOTE = "event_group_note"
KIND_PROMOTED = "event_promoted"
KIND_REMINDER = "event_reminder"
KIND_CANCELLED = "event_cancelled"

QUESTION_MARK = "🗓"  # every question of the step-by-step form starts with it
STEPS = ("buildings", "title", "when", "place", "capacity", "helpers", "description")
ALL_BUILDINGS = ("all", "全部", "所有")
NOTHING = ("", "-", "—", "无", "none", "no")
DATE_TIME = re.compile(
    r"^(?:(?P<year>\d{4})[-/.])?(?P<month>\d{1,2})[-/.](?P<day>\d{1,2})"
    r"\s+(?P<hour>\d{1,2})[:：](?P<minute>\d{2})$"
)

WEEKDAY_FORMATS = (
    N_("{date} (Mon) {time}"),
    N_("{date} (Tue) {time}"),
    N_("{date} (Wed) {time}"),
    N_("{date} (Thu) {time}"),
    N_("{date} (Fri) {time}"),
    N_("{date} (Sat) {time}"),
    N_("{date} (Sun) {time}"),
)


@dataclass(frozen=True)
class Note:
    """A message to the people of an event: one text for private chats, one for groups."""

    kind: str
    private: str
    group: str


PROMOTED = Note(
    KIND_PROMOTED,
    N_("🎉 A place opened up for <b>{title}</b> ({when}): you are now on the list."),
    N_("🎉 {names}: a place opened up for <b>{title}</b> ({when}), you are now on the list."),
)
REMINDER = Note(
    KIND_REMINDER,
    N_("⏰ Reminder: <b>{title}</b> starts {when}, at {place}. See you there!"),
    N_("⏰ Reminder for {names}: <b>{title}</b> starts {when}, at {place}."),
)
CANCELLED = Note(
    KIND_CANCELLED,
    N_("❌ <b>{title}</b> ({when}) is cancelled. Sorry for the change of plans."),
    N_("❌ {names}: <b>{title}</b> ({when}) is cancelled."),
)
NOTES = {note.kind: note for note in (PROMOTED, REMINDER, CANCELLED)}


@dataclass(frozen=True)
class EventForm:
    """A checked event, ready to post."""

    title: str
    starts_at: float
    place: str
    capacity: int | None = None
    helpers: int = 0
    description: str = ""

    def fields(self) -> dict[str, Any]:
        """The columns of the event."""
        return {
            "title": self.title,
            "place": self.place,
            "description": self.description,
            "starts_at": self.starts_at,
            "capacity": self.capacity,
            "helpers": self.helpers,
        }


@dataclass(frozen=True)
class JoinOutcome:
    """Where a sign-up landed."""

    role: Role
    status: Literal["going", "waiting"]
    position: int


@dataclass(frozen=True)
class LeaveOutcome:
    """Who left, and who moved up from the waitlist in their place."""

    left: Signup
    promoted: Signup | None


@dataclass(frozen=True)
class AttendanceSheet:
    """Who was going to an event that has started, and who has been marked present."""

    event: Event
    going: list[Signup]
    present: set[int]


@dataclass(frozen=True)
class Listing:
    """/events: what is coming, what waits for attendance, and which of them one may manage."""

    coming: list[EventSummary]
    awaiting: list[EventSummary]
    manageable: set[int] = field(default_factory=set)


# --- reading what owners write -------------------------------------------------------------


def example_time(now: float, tz: ZoneInfo) -> str:
    """A time a week ahead at 09:00, to show the format."""
    day = datetime.fromtimestamp(now, tz) + timedelta(days=7)
    return day.strftime("%Y-%m-%d") + " 09:00"


def parse_when(text: str, now: float, tz: ZoneInfo) -> float:
    """A local date and time (2026-12-05 09:00; 12-05 09:00 for the next such day) in UTC."""
    text = " ".join(text.split())
    match = DATE_TIME.match(text)
    moment = _local_moment(match, now, tz) if match else None
    if moment is None:
        raise InvalidInput(
            N_("I could not read the time «{text}». Write the date and time like {example}."),
            text=text,
            example=example_time(now, tz),
        )
    if moment <= now:
        raise InvalidInput(
            N_("{text} has already passed. Give a time to come, like {example}."),
            text=text,
            example=example_time(now, tz),
        )
    return moment


def _local_moment(match: re.Match[str], now: float, tz: ZoneInfo) -> float | None:
    """The matched local time; without a year, the next time that date comes round."""
    parts = match.groupdict()
    year = int(parts["year"]) if parts["year"] else datetime.fromtimestamp(now, tz).year
    clock = (int(parts["month"]), int(parts["day"]), int(parts["hour"]), int(parts["minute"]))
    try:
        moment = datetime(year, *clock, tzinfo=tz)
        if not parts["year"] and moment.timestamp() <= now:
            moment = moment.replace(year=year + 1)
    except ValueError:
        return None
    return moment.timestamp()


def parse_title(text: str) -> str:
    """The event's title: required, one line."""
    title = one_line(text)
    if not title:
        raise InvalidInput(N_("The event needs a title, for example: Free health check."))
    if len(title) > MAX_TITLE:
        raise InvalidInput(
            N_("The title is too long: at most {limit} characters."), limit=MAX_TITLE
        )
    return title


def parse_place(text: str) -> str:
    """Where the event is: required, one line."""
    place = one_line(text)
    if not place:
        raise InvalidInput(N_("Say where the event is, for example: Community hall."))
    if len(place) > MAX_PLACE:
        raise InvalidInput(
            N_("The place is too long: at most {limit} characters."), limit=MAX_PLACE
        )
    return place


def parse_capacity(text: str) -> int | None:
    """How many places: a whole number from 1, or nothing for no limit."""
    text = text.strip()
    if text.lower() in NOTHING:
        return None
    if not _whole(text) or not 1 <= int(text) <= MAX_CAPACITY:
        raise InvalidInput(
            N_(
                "The number of places must be a whole number from 1 to {limit}, "
                "for example 40 (or - for no limit)."
            ),
            limit=MAX_CAPACITY,
        )
    return int(text)


def parse_helpers(text: str) -> int:
    """How many volunteer helpers are wanted: a whole number, 0 by default."""
    text = text.strip()
    if text.lower() in NOTHING:
        return 0
    if not _whole(text) or int(text) > MAX_HELPERS:
        raise InvalidInput(
            N_("The number of helpers must be a whole number from 0 to {limit}, for example 2."),
            limit=MAX_HELPERS,
        )
    return int(text)


def _whole(text: str) -> bool:
    """A whole number written in 0-9 ("²" and "١" are digits to str.isdigit, not to int)."""
    return text.isascii() and text.isdigit() and len(text) <= 9


def parse_description(text: str) -> str:
    """An optional description."""
    text = tidy(text)
    if text.lower() in NOTHING:
        return ""
    if len(text) > MAX_DESCRIPTION:
        raise InvalidInput(
            N_("The description is too long: at most {limit} characters."), limit=MAX_DESCRIPTION
        )
    return text


def parse_event_line(text: str, now: float, tz: ZoneInfo) -> EventForm:
    """``time | title | place [| places [| helpers [| description]]]``, each field checked."""
    fields = [part.strip() for part in text.split("|", 5)]
    if len(fields) < 3:
        raise InvalidInput(N_("The event needs at least a time, a title and a place."))
    fields += [""] * (6 - len(fields))
    when, title, place, capacity, helpers, description = fields
    return EventForm(
        title=parse_title(title),
        starts_at=parse_when(when, now, tz),
        place=parse_place(place),
        capacity=parse_capacity(capacity),
        helpers=parse_helpers(helpers),
        description=parse_description(description),
    )


def split_targets(text: str) -> tuple[str | None, str]:
    """Split a leading building list (``3号楼,5号楼 |`` or ``all |``) from the rest.

    A first field that reads as a date and time is not a building list. A text without
    ``|`` that is not a time is taken as the building list alone.
    """
    first, _bar, rest = text.partition("|")
    first = first.strip()
    if not first or DATE_TIME.match(" ".join(first.split())):
        return None, text.strip()
    return first, rest.strip()


def building_names(spec: str) -> list[str] | None:
    """The names in a building list; None means every building one owns."""
    if spec.strip().lower() in ALL_BUILDINGS:
        return None
    return [name.strip() for name in re.split(r"[,，、;；]", spec) if name.strip()]


# --- how events look ----------------------------------------------------------------------


def local_time(t: Translator, moment: float, tz: ZoneInfo) -> str:
    """A time as people read it: 2026-12-05 (Sat) 09:00, in the community's time zone."""
    local = datetime.fromtimestamp(moment, tz)
    return t.plain(
        WEEKDAY_FORMATS[local.weekday()],
        date=local.strftime("%Y-%m-%d"),
        time=local.strftime("%H:%M"),
    )


def mention(user: User) -> Html:
    """A link that notifies the person, with their name."""
    return Html(f'<a href="tg://user?id={user.id}">{html_escape(user.display_name)}</a>')


def _numbered(t: Translator, signups: list[Signup], most: int) -> list[str]:
    lines = [f"{n}. {html_escape(s.user.display_name)}" for n, s in enumerate(signups[:most], 1)]
    if len(signups) > most:
        lines.append(t.in_context("people", "… and {count} more", count=len(signups) - most))
    return lines


def _of(signups: list[Signup], role: str, status: str) -> list[Signup]:
    return [s for s in signups if s.role == role and s.status == status]


def card_text(
    t: Translator,
    event: Event,
    buildings: list[str],
    signups: list[Signup],
    now: float,
    tz: ZoneInfo,
) -> str:
    """The event's message in a group: details, the numbered list, waitlist and helpers."""
    for most in (200, 60, 20, 5):
        text = "\n".join(_card_lines(t, event, buildings, signups, now, tz, most))
        if len(text) <= MESSAGE_BUDGET:
            break
    return text


def _card_lines(
    t: Translator,
    event: Event,
    buildings: list[str],
    signups: list[Signup],
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


def _button(label: str, action: str, *args: object) -> dict[str, str]:
    return {"text": label, "callback_data": button_data("event", action, *args)}


def card_markup(t: Translator, event: Event, now: float) -> dict[str, Any] | None:
    """Join / Leave (and Help out when helpers are wanted) while sign-up is open."""
    if event.status != "open" or event.starts_at <= now:
        return None
    rows = [
        [
            _button(t.plain("✋ Join"), "join", event.id),
            _button(t.plain("Leave"), "leave", event.id),
        ]
    ]
    if event.helpers:
        rows.append([_button(t.plain("🙋 Help out (volunteers)"), "help", event.id)])
    return {"inline_keyboard": rows}


def sheet_text(t: Translator, sheet: AttendanceSheet, tz: ZoneInfo) -> str:
    """The attendance sheet's text: which event, and how many were marked present."""
    event = sheet.event
    head = t(
        "📋 Attendance for <b>{title}</b> (#{number}), {when}",
        title=event.title,
        number=event.id,
        when=local_time(t, event.starts_at, tz),
    )
    if not sheet.going:
        return head + "\n" + t("Nobody was on the list.")
    present, total = len(sheet.present), len(sheet.going)
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


def sheet_markup(t: Translator, sheet: AttendanceSheet, page: int) -> dict[str, Any] | None:
    """A button for each person (✅ came), pages of SHEET_PAGE, and Save."""
    event = sheet.event
    if event.status != "open":
        return None
    pages = max(1, -(-len(sheet.going) // SHEET_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = sheet.going[page * SHEET_PAGE : (page + 1) * SHEET_PAGE]
    buttons = [_mark_button(t, s, s.user.id in sheet.present, page) for s in shown]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    if pages > 1:
        rows.append(
            [
                _button("◀", "sheet", event.id, (page - 1) % pages),
                _button(f"{page + 1}/{pages}", "sheet", event.id, page),
                _button("▶", "sheet", event.id, (page + 1) % pages),
            ]
        )
    rows.append([_button(t.plain("💾 Save attendance"), "save", event.id)])
    return {"inline_keyboard": rows}


def _mark_button(t: Translator, signup: Signup, present: bool, page: int) -> dict[str, str]:
    name = signup.user.display_name[:40]
    if signup.role == "helper":
        name = t.plain("{name} (helper)", name=name)
    label = ("✅ " if present else "▫️ ") + name
    return _button(label, "mark", signup.event_id, signup.user.id, page)


def listing_text(t: Translator, listing: Listing, tz: ZoneInfo) -> str:
    """/events: the coming events with their counts, then those waiting for attendance."""
    if not listing.coming and not listing.awaiting:
        return t("No events are coming up.")
    lines = [t("<b>Coming events</b>")] if listing.coming else []
    lines += [_summary_line(t, summary, tz) for summary in listing.coming]
    if listing.awaiting:
        lines += ["", t("<b>Waiting for attendance</b>")]
        lines += [_summary_line(t, summary, tz) for summary in listing.awaiting]
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


def listing_markup(t: Translator, listing: Listing) -> dict[str, Any] | None:
    """Cancel buttons for the coming events one manages, Attendance for the past ones."""
    rows = [
        [_button(t.plain("Cancel #{number}", number=s.event.id), "cancel", s.event.id)]
        for s in listing.coming
        if s.event.id in listing.manageable
    ]
    rows += [
        [_button(t.plain("Attendance #{number}", number=s.event.id), "sheet", s.event.id, 0)]
        for s in listing.awaiting
        if s.event.id in listing.manageable
    ]
    return {"inline_keyboard": rows[:20]} if rows else None


def _chunks(items: list[Signup], size: int) -> list[list[Signup]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


# --- the rules ----------------------------------------------------------------------------


class EventService:
    """Events with sign-up lists (接龙), waitlists, reminders and attendance."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        config: Settings,
        outbox: Outbox,
        scheduler: Scheduler,
        people: People,
        users: UserRepository,
        prompts: Prompts,
        points: PointsService,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.outbox = outbox
        self.scheduler = scheduler
        self.people = people
        self.users = users
        self.prompts = prompts
        self.points = points
        self.repo = EventRepository(db)

    @property
    def settings(self) -> EventsSettings:
        """The [events] settings."""
        return self.config.events

    @property
    def tz(self) -> ZoneInfo:
        """The community's time zone."""
        return self.config.community.tz

    def now(self) -> float:
        """The current time, UTC seconds."""
        return self.clock.now()

    async def translator_for(self, chat_id: int) -> Translator:
        """The translator for a chat's language."""
        return await self.people.translator_for(chat_id)

    # --- posting --------------------------------------------------------------------------

    async def create(
        self, buildings: list[Building], form: EventForm, by: int, source: str | None = None
    ) -> Event:
        """Post an event in the buildings' groups, with its reminder and its start.

        ``source`` names the command message: handled twice, it finds the event it posted.
        """
        async with self.db.transaction() as tx:
            if source is not None and (seen := await self.repo.by_source(tx, source)):
                return seen
            return await self._create_in(tx, [b.id for b in buildings], form, by, source)

    async def _create_in(
        self,
        tx: Transaction,
        building_ids: list[int],
        form: EventForm,
        by: int,
        source: str | None = None,
    ) -> Event:
        now = self.now()
        if form.starts_at <= now:
            raise InvalidInput(
                N_("{text} has already passed. Give a time to come, like {example}."),
                text=datetime.fromtimestamp(form.starts_at, self.tz).strftime("%Y-%m-%d %H:%M"),
                example=example_time(now, self.tz),
            )
        event = await self.repo.create(tx, form.fields(), building_ids, by, now, source)
        for post in await self.repo.posts(tx, event.id):
            t = await self.translator_for(post.chat_id)
            await self.outbox.queue(
                tx,
                post.chat_id,
                await self._card_text(tx, t, event),
                reply_markup=card_markup(t, event, now),
                kind=KIND_CARD,
                ref=f"event:{event.id}",
                dedupe_key=f"event:{event.id}:card:{post.building_id}",
            )
        await self._schedule(tx, event, now)
        return event

    async def _schedule(self, tx: Transaction, event: Event, now: float) -> None:
        scheduler = self.scheduler
        remind_at = event.starts_at - self.settings.remind_before.total_seconds()
        if self.settings.remind_before_minutes and remind_at > now:
            await scheduler.schedule(
                tx, JOB_REMIND, f"event {event.id} remind", remind_at, {"event": event.id}
            )
        await scheduler.schedule(
            tx,
            JOB_START,
            f"event {event.id} start",
            event.starts_at,
            {"event": event.id},
            grace_seconds=LATE_OK,
        )

    async def buildings_of(self, event_id: int) -> list[Building]:
        """The buildings an event is posted in; refuses an unknown event."""
        posts = await self.repo.posts(self.db, event_id)
        if not posts:
            raise NotFound(N_("There is no event #{number}."), number=event_id)
        return [Building(id=p.building_id, chat_id=p.chat_id, name=p.building_name) for p in posts]

    async def get(self, event_id: int) -> Event:
        """An event by number; refuses an unknown one."""
        event = await self.repo.get(self.db, event_id)
        if event is None:
            raise NotFound(N_("There is no event #{number}."), number=event_id)
        return event

    # --- the list -------------------------------------------------------------------------

    async def join(
        self, event_id: int, building: Building, user_id: int, role: Role
    ) -> JoinOutcome:
        """Sign someone up from a building's group: a place, or the waitlist when full."""
        async with self.db.transaction() as tx:
            event = await self._open_event(tx, event_id, building)
            if role == "helper" and not event.helpers:
                raise InvalidInput(N_("This event asks for no helpers."))
            if not await self.repo.sign_up(
                tx, event.id, user_id, building.chat_id, role, self.now()
            ):
                raise Conflict(N_("You are already on the list of this event."))
            signup = await self.repo.signup(tx, event.id, user_id)
            assert signup is not None
            position = await self.repo.position(tx, signup)
            await self._refresh_soon(tx, event.id)
        return JoinOutcome(signup.role, signup.status, position)

    async def leave(self, event_id: int, building: Building, user_id: int) -> LeaveOutcome:
        """Take someone off the list; the first on the waitlist moves up and is told."""
        async with self.db.transaction() as tx:
            event = await self._open_event(tx, event_id, building)
            left = await self.repo.remove(tx, event.id, user_id)
            if left is None:
                raise NotFound(N_("You are not on the list of this event."))
            promoted = None
            if left.status == "going":
                promoted = await self.repo.promote_next(tx, event.id, left.role)
            if promoted is not None:
                await self._tell(tx, event, [promoted], PROMOTED, f"promoted {promoted.id}")
            await self._refresh_soon(tx, event.id)
        return LeaveOutcome(left, promoted)

    async def _open_event(self, tx: Transaction, event_id: int, building: Building) -> Event:
        """The event, if it is posted in this building and still takes sign-ups."""
        event = await self.repo.get(tx, event_id)
        posts = await self.repo.posts(tx, event_id)
        if event is None or building.id not in {post.building_id for post in posts}:
            raise InvalidInput(N_("This button is no longer valid."))
        if event.status == "cancelled":
            raise Conflict(N_("This event was cancelled."))
        if event.status != "open" or event.starts_at <= self.now():
            raise Conflict(N_("Sign-up for this event is closed."))
        return event

    async def _refresh_soon(self, tx: Transaction, event_id: int) -> None:
        """Have the group messages show the list at the end of the current edit window."""
        window = self.settings.list_edit_seconds
        slot = int(self.now() // window)
        await self.scheduler.schedule(
            tx,
            JOB_LIST,
            f"event {event_id} list {window:g}/{slot}",
            (slot + 1) * window,
            {"event": event_id},
            grace_seconds=LATE_OK,
        )

    async def _card_text(self, tx: Transaction, t: Translator, event: Event) -> str:
        posts = await self.repo.posts(tx, event.id)
        signups = await self.repo.signups(tx, event.id)
        names = [post.building_name for post in posts]
        return card_text(t, event, names, signups, self.now(), self.tz)

    async def show_list(self, tx: Transaction, event_id: int) -> None:
        """Queue an edit of the event's message in every group, as the list is now."""
        event = await self.repo.get(tx, event_id)
        if event is None:
            return
        for post in await self.repo.posts(tx, event_id):
            if post.message_id is None:
                continue
            t = await self.translator_for(post.chat_id)
            params: dict[str, Any] = {
                "message_id": post.message_id,
                "text": await self._card_text(tx, t, event),
                "parse_mode": "HTML",
            }
            markup = card_markup(t, event, self.now())
            if markup is not None:  # an edit without reply_markup removes the buttons
                params["reply_markup"] = markup
            await self.outbox.queue_call(
                tx,
                post.chat_id,
                "editMessageText",
                params,
                kind=KIND_CARD_EDIT,
                ref=f"event:{event_id}",
            )

    # --- telling people -------------------------------------------------------------------

    async def _tell(
        self, tx: Transaction, event: Event, signups: list[Signup], note: Note, tag: str
    ) -> None:
        """Tell people in private if they started the bot, else in one mention message per group."""
        in_groups: dict[int, list[Signup]] = {}
        for signup in signups:
            if signup.user.started and not signup.user.blocked:
                t = await self.translator_for(signup.user.id)
                await self.outbox.queue(
                    tx,
                    signup.user.id,
                    t(note.private, **self._about(t, event)),
                    kind=note.kind,
                    ref=f"event:{event.id}",
                    dedupe_key=f"event:{event.id}:{tag}:{signup.user.id}",
                )
            else:
                in_groups.setdefault(signup.chat_id, []).append(signup)
        for chat_id, people in in_groups.items():
            await self._mention(tx, event, chat_id, people, note, tag)

    async def _mention(
        self,
        tx: Transaction,
        event: Event,
        chat_id: int,
        people: list[Signup],
        note: Note,
        tag: str,
    ) -> None:
        t = await self.translator_for(chat_id)
        for n, chunk in enumerate(_chunks(people, MENTIONS_PER_MESSAGE)):
            names = Html(", ".join(mention(signup.user) for signup in chunk))
            await self.outbox.queue(
                tx,
                chat_id,
                t(note.group, names=names, **self._about(t, event)),
                kind=KIND_GROUP_NOTE,
                ref=f"event:{event.id}",
                dedupe_key=f"event:{event.id}:{tag}:group:{chat_id}:{n}",
            )

    def _about(self, t: Translator, event: Event) -> dict[str, str]:
        return {
            "title": event.title,
            "when": local_time(t, event.starts_at, self.tz),
            "place": event.place,
        }

    async def private_note_settled(self, tx: Transaction, delivery: Delivery) -> None:
        """A private note that can never arrive (the person blocked the bot) goes to the group."""
        note = NOTES.get(delivery.row.kind)
        if delivery.ok or not delivery.chat_gone or note is None or not delivery.row.ref:
            return
        event_id, user_id = int(delivery.row.ref.split(":")[1]), delivery.row.chat_id
        event = await self.repo.get(tx, event_id)
        signup = await self.repo.signup(tx, event_id, user_id)
        if event is not None and signup is not None:
            tag = f"{note.kind} fallback {delivery.row.id}"
            await self._mention(tx, event, signup.chat_id, [signup], note, tag)

    async def card_sent(self, tx: Transaction, delivery: Delivery) -> None:
        """Remember the message id of an event's post, to edit its list later."""
        if not delivery.ok or delivery.message_id is None or not delivery.row.ref:
            return
        event_id = int(delivery.row.ref.split(":")[1])
        await self.repo.set_post_message(tx, event_id, delivery.row.chat_id, delivery.message_id)

    # --- scheduled work -------------------------------------------------------------------

    def jobs(self) -> dict[str, JobHandler]:
        """The job kinds of events, and what runs each."""
        return {
            JOB_LIST: self.list_due,
            JOB_REMIND: self.remind,
            JOB_START: self.started,
        }

    async def list_due(self, tx: Transaction, job: Job) -> None:
        """Job: the batched edit of the list."""
        await self.show_list(tx, int(job.data["event"]))

    async def remind(self, tx: Transaction, job: Job) -> None:
        """Job: remind everyone who has a place, remind_before the start."""
        event = await self.repo.get(tx, int(job.data["event"]))
        if event is None or event.status != "open":
            return
        going = [s for s in await self.repo.signups(tx, event.id) if s.status == "going"]
        await self._tell(tx, event, going, REMINDER, "remind")

    async def started(self, tx: Transaction, job: Job) -> None:
        """Job: at the start, close the sign-up in the groups and send the owner the sheet."""
        event = await self.repo.get(tx, int(job.data["event"]))
        if event is None or event.status != "open":
            return
        await self.show_list(tx, event.id)
        owner = await self.users.get(event.created_by)
        posts = await self.repo.posts(tx, event.id)
        if owner is not None and owner.started and not owner.blocked:
            chat_id = owner.id
        elif posts:
            chat_id = posts[0].chat_id
        else:
            return
        t = await self.translator_for(chat_id)
        sheet = await self._sheet(tx, event)
        await self.outbox.queue(
            tx,
            chat_id,
            sheet_text(t, sheet, self.tz),
            reply_markup=sheet_markup(t, sheet, 0),
            kind=KIND_SHEET,
            ref=f"event:{event.id}",
            dedupe_key=f"event:{event.id}:sheet",
        )

    # --- cancelling -----------------------------------------------------------------------

    async def cancel(self, event_id: int) -> int:
        """Cancel an event that has not started; everyone on the list is told. Returns how many."""
        async with self.db.transaction() as tx:
            event = await self.repo.get(tx, event_id)
            if event is None:
                raise NotFound(N_("There is no event #{number}."), number=event_id)
            if not await self.repo.close(tx, event_id, "cancelled", self.now(), started=False):
                raise Conflict(self._why_closed(event))
            await self.scheduler.cancel(tx, f"event {event_id} remind")
            await self.scheduler.cancel(tx, f"event {event_id} start")
            event = event.model_copy(update={"status": "cancelled"})
            signups = await self.repo.signups(tx, event_id)
            await self._tell(tx, event, signups, CANCELLED, "cancelled")
            await self.show_list(tx, event_id)
        return len(signups)

    def _why_closed(self, event: Event) -> str:
        if event.status == "cancelled":
            return N_("This event was cancelled.")
        if event.status == "done":
            return N_("The attendance of this event is already saved.")
        return N_("This event has already started.")

    # --- attendance -----------------------------------------------------------------------

    async def sheet(self, event_id: int) -> AttendanceSheet:
        """The attendance sheet of an event that has started."""
        event = await self.get(event_id)
        if event.status == "cancelled":
            raise Conflict(N_("This event was cancelled."))
        if event.starts_at > self.now():
            raise Conflict(N_("Attendance can be marked once the event has started."))
        return await self._sheet(self.db, event)

    async def _sheet(self, source: Reader, event: Event) -> AttendanceSheet:
        going = [s for s in await self.repo.signups(source, event.id) if s.status == "going"]
        return AttendanceSheet(event, going, await self.repo.present(source, event.id))

    async def mark(self, event_id: int, user_id: int, by: int) -> AttendanceSheet:
        """Flip whether someone came."""
        await self.sheet(event_id)
        async with self.db.transaction() as tx:
            event = await self.repo.get(tx, event_id)
            if event is None or event.status != "open":
                raise Conflict(N_("The attendance of this event is already saved."))
            if not await self.repo.toggle_present(tx, event_id, user_id, by, self.now()):
                raise NotFound(N_("This person was not on the list."))
        return await self.sheet(event_id)

    async def save_attendance(self, event_id: int, by: int) -> AttendanceSheet:
        """Close the event with its attendance; each helper who came is paid once."""
        event = await self.get(event_id)
        async with self.db.transaction() as tx:
            if not await self.repo.close(tx, event_id, "done", self.now(), started=True):
                raise Conflict(
                    N_("Attendance can be marked once the event has started.")
                    if event.status == "open"
                    else self._why_closed(event)
                )
            for user_id in await self.repo.save_attendance(tx, event_id, by, self.now()):
                await self._on_helped(tx, event_id, user_id, by)
            await self.show_list(tx, event_id)
        return await self.sheet(event_id)

    async def _on_helped(self, tx: Transaction, event_id: int, user_id: int, by: int) -> None:
        """A helper came to the event: pay their points, once per event and helper.

        Called inside the transaction that saves the attendance (the event moves from
        open to done in it, so it cannot run twice; the ledger's source key makes sure).
        """
        points = self.points
        await points.award_in(tx, user_id, self.config.points.event_helped,
                              "event_helped", f"event:{event_id}:{user_id}", by)

    # --- /events --------------------------------------------------------------------------

    async def listing(self, building_ids: list[int], managed: set[int]) -> Listing:
        """Coming events of these buildings; those past, for the ones one manages."""
        now = self.now()
        coming = await self.repo.coming(building_ids, now, limit=20)
        since = now - ATTENDANCE_DAYS * 86400
        awaiting = await self.repo.awaiting_attendance(building_ids, now, since, limit=10)
        posted = await self.repo.post_buildings([s.event.id for s in coming + awaiting])
        manageable = {event_id for event_id, ids in posted.items() if ids <= managed}
        awaiting = [s for s in awaiting if s.event.id in manageable]
        return Listing(coming, awaiting, manageable)

    # --- the step-by-step form ------------------------------------------------------------

    async def start_form(self, chat_id: int, user_id: int, building_ids: list[int]) -> Prompt:
        """Open the form (dropping an earlier one); without buildings it asks for them first."""
        async with self.db.transaction() as tx:
            return await self.prompts.ask(
                tx,
                chat_id,
                user_id,
                PROMPT,
                "title" if building_ids else "buildings",
                {"buildings": building_ids},
                ttl_seconds=self.settings.form_timeout.total_seconds(),
            )

    async def open_form(self, chat_id: int, user_id: int) -> Prompt | None:
        """The form someone has open in a chat, unless it timed out."""
        prompt = await self.prompts.current(chat_id, user_id)
        return prompt if prompt is not None and prompt.feature == PROMPT else None

    async def stop_form(self, chat_id: int, user_id: int) -> bool:
        """Drop someone's form; False if there was none."""
        async with self.db.transaction() as tx:
            return await self.prompts.close(tx, chat_id, user_id, PROMPT)

    async def answer_form(
        self,
        form: Prompt,
        text: str,
        building_ids: list[int] | None = None,
        message_id: int | None = None,
    ) -> Prompt | Event:
        """Take the answer to the current question; the last answer posts the event.

        The form keeps the id of the message that gave the last answer: the same message
        handled again (after a crash) leaves the form as it is, instead of answering the
        next question with it.
        """
        if message_id is not None and message_id <= (form.answered_message or 0):
            return form
        answers = dict(form.payload)
        if form.step == "buildings":
            answers["buildings"] = building_ids or []
        else:
            answers[form.step] = self._answer(form.step, text)
        later = STEPS[STEPS.index(form.step) + 1 :]
        async with self.db.transaction() as tx:
            if not later:
                await self.prompts.close(tx, form.chat_id, form.user_id, PROMPT)
                return await self._create_in(
                    tx, answers["buildings"], _form_of(answers), form.user_id
                )
            return await self.prompts.ask(
                tx,
                form.chat_id,
                form.user_id,
                PROMPT,
                later[0],
                answers,
                ttl_seconds=self.settings.form_timeout.total_seconds(),
                answered_message=message_id,
            )

    def _answer(self, step: str, text: str) -> Any:
        """Check one answer of the form."""
        if step == "when":
            return parse_when(text, self.now(), self.tz)
        checks = {
            "title": parse_title,
            "place": parse_place,
            "capacity": parse_capacity,
            "helpers": parse_helpers,
            "description": parse_description,
        }
        return checks[step](text)

    async def form_expired(self, tx: Transaction, form: Prompt) -> bool:
        """Expiry of a form nobody answered in time: say so."""
        user = await self.users.get(form.user_id)
        t = await self.translator_for(form.chat_id)
        await self.outbox.queue(
            tx,
            form.chat_id,
            t(
                "{name}, the /event form was dropped after {minutes} minutes without an "
                "answer. Send /event to start again.",
                name=user.display_name if user else "",
                minutes=self.settings.form_timeout_minutes,
            ),
            kind=KIND_FORM,
            dedupe_key=f"event:form:{form.id}:timeout",
        )
        return True


def _form_of(answers: dict[str, Any]) -> EventForm:
    return EventForm(
        title=answers["title"],
        starts_at=answers["when"],
        place=answers["place"],
        capacity=answers["capacity"],
        helpers=answers["helpers"],
        description=answers["description"],
    )
