"""Events with sign-up lists (接龙), waitlists, reminders and attendance.

An event is posted in one or more building groups and has one list. Who gets a place
is decided by one INSERT … SELECT inside BEGIN IMMEDIATE (``EventRepository.sign_up``),
so two people racing for the last place get one place and one waitlist spot.

The event's message in each group is a live card (``bot.cards``, ref = the event id),
one copy per group. A change to the list touches the card; its copies are edited in
batches, one edit per window of ``events.list_edit_seconds`` showing the list as it is
when the window ends, so a steady stream of presses still shows up every few seconds
and stays under Telegram's edit limits. Cancelling, the start and the saved attendance
show at once.

Every state-changing method takes the ``Actor`` and checks their role here.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from bot.cards import LiveCards
from bot.clock import Clock
from bot.config import Settings
from bot.domain.core import Building, Job, Prompt
from bot.domain.events import (
    AttendanceSheet,
    Event,
    EventForm,
    JoinOutcome,
    LeaveOutcome,
    Listing,
    Role,
    Signup,
)
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.i18n import N_, Translator
from bot.outbox import Delivery, Outbox
from bot.scheduler import JobHandler, Scheduler
from bot.services.community import REFUSALS, Actor, Community
from bot.services.community import Role as Rights
from bot.services.people import People
from bot.services.points import PointsService
from bot.services.prompts import Prompts
from bot.services.quiet import QuietHoursService
from bot.services.topics import TopicsService
from bot.text import one_line, tidy
from bot.views import events as views
from bot.views.common import OutMessage, Rows
from storage.db import Database, Transaction
from storage.events import EventRepository, Reader
from storage.users import UserRepository

if TYPE_CHECKING:
    from bot.config import EventsSettings

MAX_TITLE = 80
MAX_PLACE = 80
MAX_DESCRIPTION = 500
MAX_CAPACITY = 500
MAX_HELPERS = 50
MENTIONS_PER_MESSAGE = 30
ATTENDANCE_DAYS = 7  # how long after its start /events still offers an event's attendance

CARD = "event"  # the live card of an event's list; its outbox rows keep the ref event:<id>
JOB_REMIND = "event_remind"
JOB_START = "event_start"
PROMPT = "events"  # the feature name of the step-by-step form's stored prompt
LATE_OK = 7 * 24 * 3600  # the start is still worth doing after downtime

KIND_CARD = "event_card"
KIND_CARD_EDIT = "event_card_edit"
KIND_SHEET = "event_sheet"
KIND_FORM = "event_form"
KIND_GROUP_NOTE = "event_group_note"
KIND_PROMOTED = "event_promoted"
KIND_REMINDER = "event_reminder"
KIND_CANCELLED = "event_cancelled"

# The outbox kind of each note in private; a note that cannot arrive goes to the group.
NOTE_KINDS: dict[views.NoteKind, str] = {
    "promoted": KIND_PROMOTED,
    "reminder": KIND_REMINDER,
    "cancelled": KIND_CANCELLED,
}
NOTE_OF_KIND = {kind: note for note, kind in NOTE_KINDS.items()}

STEPS = ("buildings", "title", "when", "place", "location", "capacity", "helpers", "description")
LOCATION_STEP = "location"  # asked only while the check-in's location check is on
ALL_BUILDINGS = ("all", "全部", "所有")
NOTHING = ("", "-", "—", "无", "none", "no")
DATE_TIME = re.compile(
    r"^(?:(?P<year>\d{4})[-/.])?(?P<month>\d{1,2})[-/.](?P<day>\d{1,2})"
    r"\s+(?P<hour>\d{1,2})[:：](?P<minute>\d{2})$"
)


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


def parse_point(text: str, point: tuple[float, float] | None) -> tuple[float, float] | None:
    """The answer to "where is it on the map": a shared location, or - to skip."""
    if point is not None:
        latitude, longitude = point
        if -90 <= latitude <= 90 and -180 <= longitude <= 180:
            return point
    elif text.strip().lower() in NOTHING:
        return None
    raise InvalidInput(
        N_("Send the place's location (📎 → Location), or - to skip the location check.")
    )


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


def parse_building_names(spec: str) -> list[str] | None:
    """The names in a building list; None means every building one owns."""
    if spec.strip().lower() in ALL_BUILDINGS:
        return None
    return [name.strip() for name in re.split(r"[,，、;；]", spec) if name.strip()]


class CardRows(Protocol):
    """Buttons another feature adds to an event's card while they apply (the check-in's)."""

    async def card_rows(self, tx: Transaction, event: Event, t: Translator) -> Rows:
        """The rows to show under the event's own buttons now (none: ())."""
        ...


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
        community: Community,
        cards: LiveCards,
        people: People,
        users: UserRepository,
        prompts: Prompts,
        points: PointsService,
        extra_rows: CardRows | None = None,
        quiet: QuietHoursService | None = None,
        topics: TopicsService | None = None,
    ) -> None:
        self.db = db
        self.topics = topics  # None: every card in the general topic (unit tests)
        self.quiet = quiet  # holds reminders in the group during its quiet hours
        self.clock = clock
        self.config = config
        self.outbox = outbox
        self.scheduler = scheduler
        self.community = community
        self.cards = cards
        self.people = people
        self.users = users
        self.prompts = prompts
        self.points = points
        self.extra_rows = extra_rows
        self.repo = EventRepository(db)
        cards.register(
            CARD,
            self._card,
            send_kind=KIND_CARD,
            edit_kind=KIND_CARD_EDIT,
            batch_seconds=self.settings.list_edit_seconds,
        )

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

    # --- rights ---------------------------------------------------------------------------

    async def _require_owner(self, actor: Actor, buildings: list[Building]) -> None:
        """Refuse unless the actor owns every one of the buildings."""
        for building in buildings:
            await self.community.require(actor, building, Rights.OWNER)

    async def _require_owner_of_ids(self, actor: Actor, building_ids: list[int]) -> None:
        found = [await self.community.buildings.by_id(building_id) for building_id in building_ids]
        await self._require_owner(actor, [building for building in found if building is not None])

    async def owned_event(self, actor: Actor, event_id: int) -> Event:
        """The event, if the actor owns every building it is posted in."""
        await self._require_owner(actor, await self.buildings_of(event_id))
        return await self.get(event_id)

    # --- posting --------------------------------------------------------------------------

    async def create(
        self, actor: Actor, buildings: list[Building], form: EventForm, source: str | None = None
    ) -> Event:
        """Post an event in the buildings' groups (the actor owns them all), with its
        reminder and its start.

        ``source`` names the command message: handled twice, it finds the event it posted.
        """
        if not buildings:
            raise InvalidInput(N_("Say first which buildings the event is for, or all."))
        await self._require_owner(actor, buildings)
        async with self.db.transaction() as tx:
            if source is not None and (seen := await self.repo.by_source(tx, source)):
                return seen
            return await self._create_in(tx, [b.id for b in buildings], form, actor, source)

    async def _create_in(
        self,
        tx: Transaction,
        building_ids: list[int],
        form: EventForm,
        actor: Actor,
        source: str | None = None,
    ) -> Event:
        now = self.now()
        if form.starts_at <= now:
            raise InvalidInput(
                N_("{text} has already passed. Give a time to come, like {example}."),
                text=datetime.fromtimestamp(form.starts_at, self.tz).strftime("%Y-%m-%d %H:%M"),
                example=example_time(now, self.tz),
            )
        event = await self.repo.create(tx, form.fields(), building_ids, actor.user_id, now, source)
        for post in await self.repo.posts(tx, event.id):
            card = await self._card(tx, str(event.id), post.chat_id)
            await self.cards.send(
                tx,
                CARD,
                str(event.id),
                post.chat_id,
                None if card is None else await self._in_topic(tx, post.chat_id, card),
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
        self, actor: Actor, event_id: int, building: Building, role: Role
    ) -> JoinOutcome:
        """Sign the actor up from a building's group: a place, or the waitlist when full.

        Anyone who sees the card may join; only the building's volunteers may help out.
        """
        needed = Rights.VOLUNTEER if role == "helper" else Rights.STRANGER
        await self.community.require(actor, building, needed)
        async with self.db.transaction() as tx:
            event = await self._open_event(tx, event_id, building)
            if role == "helper" and not event.helpers:
                raise InvalidInput(N_("This event asks for no helpers."))
            if not await self.repo.sign_up(
                tx, event.id, actor.user_id, building.chat_id, role, self.now()
            ):
                raise Conflict(N_("You are already on the list of this event."))
            signup = await self.repo.signup(tx, event.id, actor.user_id)
            assert signup is not None
            position = await self.repo.position(tx, signup)
            await self.cards.touch(tx, CARD, str(event.id))
        return JoinOutcome(signup.role, signup.status, position)

    async def leave(self, actor: Actor, event_id: int, building: Building) -> LeaveOutcome:
        """Take the actor off the list; the first on the waitlist moves up and is told."""
        async with self.db.transaction() as tx:
            event = await self._open_event(tx, event_id, building)
            left = await self.repo.remove(tx, event.id, actor.user_id)
            if left is None:
                raise NotFound(N_("You are not on the list of this event."))
            promoted = None
            if left.status == "going":
                promoted = await self.repo.promote_next(tx, event.id, left.role)
            if promoted is not None:
                await self._tell(tx, event, [promoted], "promoted", f"promoted {promoted.id}")
            await self.cards.touch(tx, CARD, str(event.id))
        return LeaveOutcome(left, promoted)

    async def withdraw_all(self, tx: Transaction, user_id: int) -> int:
        """/forgetme, in its transaction: off every open event's list, as Leave would (the
        first waiting moves up and is told; the cards drop the name)."""
        event_ids = await self.repo.events_of(tx, user_id)
        for event_id in event_ids:
            event = await self.repo.get(tx, event_id)
            left = await self.repo.remove(tx, event_id, user_id)
            if event is None or left is None:
                continue
            promoted = None
            if left.status == "going" and event.starts_at > self.now():
                promoted = await self.repo.promote_next(tx, event_id, left.role)
            if promoted is not None:
                await self._tell(tx, event, [promoted], "promoted", f"promoted {promoted.id}")
            await self.cards.touch(tx, CARD, str(event_id))
        return len(event_ids)

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

    async def _card(self, tx: Transaction, ref: str, chat_id: int) -> OutMessage | None:
        """The live card: the event and its list as the group sees them now."""
        event = await self.repo.get(tx, int(ref))
        if event is None:
            return None
        posts = await self.repo.posts(tx, event.id)
        signups = await self.repo.signups(tx, event.id)
        t = await self.translator_for(chat_id)
        names = [post.building_name for post in posts]
        extra = await self.extra_rows.card_rows(tx, event, t) if self.extra_rows else ()
        return views.card(t, event, names, signups, self.now(), self.tz, extra)

    async def _in_topic(self, tx: Transaction, chat_id: int, message: OutMessage) -> OutMessage:
        """A message to a group as it goes there: in the topic chosen for events, if any."""
        if self.topics is None:
            return message
        return await self.topics.in_topic(tx, chat_id, "events", message)

    async def _show_now(self, tx: Transaction, event_id: int) -> None:
        """Edit the event's cards at once (a copy still on its way catches up on delivery)."""
        await self.cards.touch(tx, CARD, str(event_id))
        await self.cards.refresh(tx, CARD, str(event_id))

    # --- telling people -------------------------------------------------------------------

    async def _tell(
        self,
        tx: Transaction,
        event: Event,
        signups: list[Signup],
        note: views.NoteKind,
        tag: str,
    ) -> None:
        """Tell people in private if they started the bot, else in one mention message per group."""
        in_groups: dict[int, list[Signup]] = {}
        for signup in signups:
            if signup.user.started and not signup.user.blocked:
                t = await self.translator_for(signup.user.id)
                await self.outbox.queue_message(
                    tx,
                    signup.user.id,
                    views.private_note(t, note, event, self.tz),
                    kind=NOTE_KINDS[note],
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
        note: views.NoteKind,
        tag: str,
    ) -> None:
        t = await self.translator_for(chat_id)
        for n, chunk in enumerate(_chunks(people, MENTIONS_PER_MESSAGE)):
            message = await self._in_topic(
                tx, chat_id, views.group_note(t, note, event, self.tz, [s.user for s in chunk])
            )
            key = f"event:{event.id}:{tag}:group:{chat_id}:{n}"
            if note == "reminder" and self.quiet is not None:
                await self.quiet.post_to_chat(tx, chat_id, message, kind=KIND_GROUP_NOTE,
                                              ref=f"event:{event.id}", dedupe_key=key)
                continue
            await self.outbox.queue_message(
                tx, chat_id, message, kind=KIND_GROUP_NOTE, ref=f"event:{event.id}",
                dedupe_key=key,
            )

    async def private_note_settled(self, tx: Transaction, delivery: Delivery) -> None:
        """A private note that can never arrive (the person blocked the bot) goes to the group."""
        note = NOTE_OF_KIND.get(delivery.row.kind)
        if delivery.ok or not delivery.chat_gone or note is None or not delivery.row.ref:
            return
        event_id, user_id = int(delivery.row.ref.split(":")[1]), delivery.row.chat_id
        event = await self.repo.get(tx, event_id)
        signup = await self.repo.signup(tx, event_id, user_id)
        if event is not None and signup is not None:
            tag = f"{delivery.row.kind} fallback {delivery.row.id}"
            await self._mention(tx, event, signup.chat_id, [signup], note, tag)

    # --- scheduled work -------------------------------------------------------------------

    def jobs(self) -> dict[str, JobHandler]:
        """The job kinds of events, and what runs each."""
        return {JOB_REMIND: self.remind, JOB_START: self.started}

    async def remind(self, tx: Transaction, job: Job) -> None:
        """Job: remind everyone who has a place, remind_before the start."""
        event = await self.repo.get(tx, int(job.data["event"]))
        if event is None or event.status != "open":
            return
        going = [s for s in await self.repo.signups(tx, event.id) if s.status == "going"]
        await self._tell(tx, event, going, "reminder", "remind")

    async def started(self, tx: Transaction, job: Job) -> None:
        """Job: at the start, close the sign-up in the groups and send the owner the sheet."""
        event = await self.repo.get(tx, int(job.data["event"]))
        if event is None or event.status != "open":
            return
        await self._show_now(tx, event.id)
        owner = await self.users.get(event.created_by)
        posts = await self.repo.posts(tx, event.id)
        if owner is not None and owner.started and not owner.blocked:
            chat_id = owner.id
        elif posts:
            chat_id = posts[0].chat_id
        else:
            return
        t = await self.translator_for(chat_id)
        await self.outbox.queue_message(
            tx,
            chat_id,
            views.sheet(t, await self._sheet(tx, event), self.tz, 0),
            kind=KIND_SHEET,
            ref=f"event:{event.id}",
            dedupe_key=f"event:{event.id}:sheet",
        )

    # --- cancelling -----------------------------------------------------------------------

    async def cancel(self, actor: Actor, event_id: int) -> int:
        """Cancel an event that has not started (the actor owns its buildings); everyone on
        the list is told. Returns how many."""
        event = await self.owned_event(actor, event_id)
        async with self.db.transaction() as tx:
            if not await self.repo.close(tx, event_id, "cancelled", self.now(), started=False):
                raise Conflict(self._why_closed(event))
            await self.scheduler.cancel(tx, f"event {event_id} remind")
            await self.scheduler.cancel(tx, f"event {event_id} start")
            event = event.model_copy(update={"status": "cancelled"})
            signups = await self.repo.signups(tx, event_id)
            await self._tell(tx, event, signups, "cancelled", "cancelled")
            await self._show_now(tx, event_id)
        return len(signups)

    def _why_closed(self, event: Event) -> str:
        if event.status == "cancelled":
            return N_("This event was cancelled.")
        if event.status == "done":
            return N_("The attendance of this event is already saved.")
        return N_("This event has already started.")

    # --- attendance -----------------------------------------------------------------------

    async def sheet(self, actor: Actor, event_id: int) -> AttendanceSheet:
        """The attendance sheet of an event that has started (for the owners)."""
        event = await self.owned_event(actor, event_id)
        return await self._started_sheet(event)

    async def _started_sheet(self, event: Event) -> AttendanceSheet:
        if event.status == "cancelled":
            raise Conflict(N_("This event was cancelled."))
        if event.starts_at > self.now():
            raise Conflict(N_("Attendance can be marked once the event has started."))
        return await self._sheet(self.db, event)

    async def _sheet(self, source: Reader, event: Event) -> AttendanceSheet:
        going = [s for s in await self.repo.signups(source, event.id) if s.status == "going"]
        return AttendanceSheet(event, going, await self.repo.present(source, event.id))

    async def mark(self, actor: Actor, event_id: int, user_id: int) -> AttendanceSheet:
        """Flip whether someone came."""
        await self.sheet(actor, event_id)
        async with self.db.transaction() as tx:
            event = await self.repo.get(tx, event_id)
            if event is None or event.status != "open":
                raise Conflict(N_("The attendance of this event is already saved."))
            if not await self.repo.toggle_present(
                tx, event_id, user_id, actor.user_id, self.now()
            ):
                raise NotFound(N_("This person was not on the list."))
        return await self._started_sheet(await self.get(event_id))

    async def save_attendance(self, actor: Actor, event_id: int) -> AttendanceSheet:
        """Close the event with its attendance; each helper who came is paid once."""
        event = await self.owned_event(actor, event_id)
        by = actor.user_id
        async with self.db.transaction() as tx:
            if not await self.repo.close(tx, event_id, "done", self.now(), started=True):
                raise Conflict(
                    N_("Attendance can be marked once the event has started.")
                    if event.status == "open"
                    else self._why_closed(event)
                )
            for user_id in await self.repo.save_attendance(tx, event_id, by, self.now()):
                await self._on_helped(tx, event_id, user_id, by)
            await self._show_now(tx, event_id)
        return await self._started_sheet(await self.get(event_id))

    async def _on_helped(self, tx: Transaction, event_id: int, user_id: int, by: int) -> None:
        """A helper came to the event: pay their points, once per event and helper.

        Called inside the transaction that saves the attendance (the event moves from
        open to done in it, so it cannot run twice; the ledger's source key makes sure).
        """
        points = self.points
        await points.award_in(tx, user_id, self.config.points.event_helped,
                              "event_helped", f"event:{event_id}:{user_id}", by)

    # --- /events --------------------------------------------------------------------------

    async def listing(self, actor: Actor, place: int | None) -> Listing:
        """Coming events of the group's building (in private: of one's buildings); those
        past, for the ones one manages."""
        buildings = await self.community.scope(actor, place, Rights.STRANGER)
        managed = {b.id for b in buildings if await self._manages(actor, b)}
        building_ids = [b.id for b in buildings]
        now = self.now()
        coming = await self.repo.coming(building_ids, now, limit=20)
        since = now - ATTENDANCE_DAYS * 86400
        awaiting = await self.repo.awaiting_attendance(building_ids, now, since, limit=10)
        posted = await self.repo.post_buildings([s.event.id for s in coming + awaiting])
        manageable = {event_id for event_id, ids in posted.items() if ids <= managed}
        awaiting = [s for s in awaiting if s.event.id in manageable]
        return Listing(coming, awaiting, manageable)

    async def _manages(self, actor: Actor, building: Building) -> bool:
        return await self.community.role_in(actor.user_id, building) >= Rights.OWNER

    # --- the step-by-step form ------------------------------------------------------------

    async def start_form(self, actor: Actor, chat_id: int, buildings: list[Building]) -> Prompt:
        """Open the form (dropping an earlier one); without buildings it asks for them first."""
        await self._require_owner(actor, buildings)
        if not buildings and not await self.community.scope(actor, None, Rights.OWNER):
            raise NotAllowed(REFUSALS[Rights.OWNER])
        async with self.db.transaction() as tx:
            return await self.prompts.ask(
                tx,
                chat_id,
                actor.user_id,
                PROMPT,
                "title" if buildings else "buildings",
                {"buildings": [b.id for b in buildings]},
                ttl_seconds=self.settings.form_timeout.total_seconds(),
            )

    async def open_form(self, chat_id: int, user_id: int) -> Prompt | None:
        """The form someone has open in a chat, unless it timed out."""
        prompt = await self.prompts.current(chat_id, user_id)
        return prompt if prompt is not None and prompt.feature == PROMPT else None

    async def stop_form(self, actor: Actor, chat_id: int) -> bool:
        """Drop the actor's form; False if there was none."""
        async with self.db.transaction() as tx:
            return await self.prompts.close(tx, chat_id, actor.user_id, PROMPT)

    async def answer_form(
        self,
        actor: Actor,
        form: Prompt,
        text: str,
        buildings: list[Building] | None = None,
        message_id: int | None = None,
        point: tuple[float, float] | None = None,
    ) -> Prompt | Event:
        """Take the answer to the current question (``point``: a shared location); the last
        answer posts the event.

        The actor must own the form's buildings, checked again at every answer. The form
        keeps the id of the message that gave the last answer: the same message handled
        again (after a crash) leaves the form as it is, instead of answering the next
        question with it.
        """
        if actor.user_id != form.user_id:
            raise NotAllowed(REFUSALS[Rights.OWNER])
        if message_id is not None and message_id <= (form.answered_message or 0):
            return form
        answers = dict(form.payload)
        if form.step == "buildings":
            await self._require_owner(actor, buildings or [])
            answers["buildings"] = [b.id for b in buildings or []]
        else:
            await self._require_owner_of_ids(actor, answers.get("buildings", []))
            answers[form.step] = self._answer(form.step, text, point)
        later = [step for step in STEPS[STEPS.index(form.step) + 1 :] if self._asks(step)]
        async with self.db.transaction() as tx:
            if not later:
                await self.prompts.close(tx, form.chat_id, form.user_id, PROMPT)
                return await self._create_in(tx, answers["buildings"], _form_of(answers), actor)
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

    def _asks(self, step: str) -> bool:
        """Whether the form asks this step (the map's place only with the location check)."""
        return step != LOCATION_STEP or self.config.hours.location_radius_m > 0

    def _answer(self, step: str, text: str, point: tuple[float, float] | None = None) -> Any:
        """Check one answer of the form."""
        if step == "when":
            return parse_when(text, self.now(), self.tz)
        if step == LOCATION_STEP:
            return parse_point(text, point)
        if point is not None:
            raise InvalidInput(N_("Please answer the question of the /event form with text."))
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
        await self.outbox.queue_message(
            tx,
            form.chat_id,
            views.form_expired(
                t, user.display_name if user else "", self.settings.form_timeout_minutes
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
        point=_point_of(answers.get(LOCATION_STEP)),
    )


def _point_of(stored: Any) -> tuple[float, float] | None:
    """The map point as the form's payload keeps it (a JSON list), or None."""
    return (float(stored[0]), float(stored[1])) if stored else None
