"""Volunteer service hours (志愿服务时长): check-in and check-out at events, the hours
ledger apart from points, make-up hours and corrections, star levels, certificates that
anyone can verify, and residents who ask to become volunteers.

A check-in window is open from ``hours.checkin_before_minutes`` before an event's start
to its end (events have a start only: the end is ``hours.event_length_minutes`` later).
Hours do not touch the events code: when an event's card reaches a group (an outbox hook
on the events' card kind), a stored job is planned for the window's opening, one per event;
at every start, windows that should have opened meanwhile are opened. While a window is
open the event's card shows Check in / Check out and the organiser's code (the events
service asks ``card_rows``); opening and closing it touch the card.

With ``hours.location_radius_m`` on and an event placed on the map, a check-in (by code or
button) first asks the volunteer in private to share their location (a stored prompt), and
is recorded only within the radius.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.cards import LiveCards
from bot.clock import Clock
from bot.config import HoursSettings, Settings
from bot.domain.core import Building, Job, Prompt, User
from bot.domain.events import Event
from bot.domain.hours import (
    Activity,
    Application,
    Attendance,
    Certificate,
    HoursLeaderboard,
    HoursSummary,
    Kind,
    ServiceLine,
    Totals,
    credited_minutes,
    distance_m,
    star_level,
)
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.i18n import N_, Translator
from bot.outbox import Delivery, Outbox
from bot.reports.month import Month
from bot.scheduler import JobHandler, Scheduler
from bot.services.community import SKILL, Actor, Community, Role
from bot.services.events import CARD as EVENT_CARD
from bot.services.people import People
from bot.services.prompts import Prompts
from bot.text import one_line
from bot.views import hours as views
from bot.views.common import Rows
from storage.db import Database, Transaction
from storage.hours import HoursRepository
from storage.users import UserRepository

JOB_OPEN = "hours_open"
JOB_CLOSE = "hours_close"
PROMPT = "hours"  # the stored prompt that waits for a volunteer's location
WHERE_STEP = "location"
WHERE_WAIT = 15 * 60  # how long the location question waits
LATE_OK = 365 * 86400  # a late opening or close still does the right thing
LATEST = 8  # entries on /hours
LEADERBOARD_SIZE = 10
MAX_REASON = 200
HOURS = re.compile(r"^[+-]?\d{1,4}(?:\.\d)?$", re.ASCII)  # 2, 1.5, -1: tenths at most
MAX_SKILLS = 10
MAKEUP_USAGE = N_("Write it like this: /hours add @user 2 reason (hours, up to one decimal).")
CORRECT_USAGE = N_(
    "Write it like this: /hours correct 12 1.5 reason (the entry's number, the right hours)."
)
NOT_ORGANISER = N_("Only the event's organiser and the owners of its buildings may do this.")
NOT_SERVED = N_("Only the owners of a building this volunteer serves may do this.")
NOT_ON_LIST = N_(
    "Only the volunteers and helpers on the list of «{title}» can check in. Sign up on the "
    "event first."
)


@dataclass(frozen=True)
class CheckIn:
    """A check-in as recorded."""

    activity: Activity
    attendance: Attendance


@dataclass(frozen=True)
class LocationAsked:
    """A check-in that waits for the volunteer's location (asked in private)."""

    activity: Activity
    radius_m: int


@dataclass(frozen=True)
class CheckOut:
    """A check-out, and the minutes it counted (0: under the minimum)."""

    activity: Activity
    attendance: Attendance
    minutes: int
    level: int | None  # a star level reached by it


@dataclass(frozen=True)
class MakeUp:
    """A make-up entry or a correction as recorded (or found again after a replay)."""

    volunteer: User
    line: ServiceLine
    created: bool
    all_time: Totals


@dataclass(frozen=True)
class IssuedCertificate:
    """What a certificate prints."""

    certificate: Certificate
    volunteer: User
    lines: list[ServiceLine]
    community: str
    buildings: list[str]


@dataclass(frozen=True)
class Verification:
    """A certificate found by its number, and whether the ledger still says the same."""

    certificate: Certificate
    volunteer: User
    now_total: int


@dataclass(frozen=True)
class Applied:
    """An application as stored, and how many owners were told."""

    application: Application
    building: Building
    owners_told: int
    created: bool


def parse_hours(text: str, usage: str) -> int:
    """Hours as written (2, 1.5, 0.5) in minutes; anything else is refused with ``usage``."""
    text = text.strip().replace("，", ".").replace(",", ".")
    if not HOURS.match(text):
        raise InvalidInput(usage)
    return round(float(text) * 60)


def month_of(moment: float, tz: ZoneInfo) -> tuple[int, str]:
    """The year and 'YYYY-MM' of a moment, in community time."""
    local = datetime.fromtimestamp(moment, tz)
    return local.year, local.strftime("%Y-%m")


class HoursService:
    """Check-in windows, attendance, the hours ledger, levels and certificates."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        config: Settings,
        outbox: Outbox,
        scheduler: Scheduler,
        community: Community,
        people: People,
        users: UserRepository,
        cards: LiveCards,
        prompts: Prompts,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.outbox = outbox
        self.scheduler = scheduler
        self.community = community
        self.people = people
        self.users = users
        self.cards = cards
        self.prompts = prompts
        self.repo = HoursRepository(db)

    @property
    def settings(self) -> HoursSettings:
        """The [hours] section of the config."""
        return self.config.hours

    @property
    def tz(self) -> ZoneInfo:
        """The community's time zone."""
        return self.config.community.tz

    # --- check-in windows -----------------------------------------------------------------

    def jobs(self) -> dict[str, JobHandler]:
        """The job kinds of hours, and what runs each."""
        return {JOB_OPEN: self.open_event, JOB_CLOSE: self.close}

    async def event_posted(self, tx: Transaction, delivery: Delivery) -> None:
        """Outbox hook: an event's card reached a group, so the event exists: plan the
        opening of its check-in window (one job per event, whatever the number of groups)."""
        ref = delivery.row.ref or ""
        if not delivery.ok or not ref.startswith("event:"):
            return
        event_id = int(ref.split(":")[1])
        starts_at = await self.repo.event_start(tx, event_id)
        if starts_at is None:
            return
        opens_at = starts_at - self.settings.checkin_before_minutes * 60
        await self.scheduler.schedule(tx, JOB_OPEN, f"hours open event {event_id}", opens_at,
                                      {"event": event_id}, grace_seconds=LATE_OK)

    async def open_event(self, tx: Transaction, job: Job) -> None:
        """Job: an event's check-in window opens (unless it was cancelled or is over)."""
        await self.open_windows(tx, int(job.data["event"]))

    async def catch_up(self) -> None:
        """At every start: open the windows that opened while no job could (a write only
        when there is one)."""
        if await self._due_events():
            async with self.db.transaction() as tx:
                await self.open_windows(tx)

    async def _due_events(self, event_id: int | None = None) -> list[Any]:
        before = self.settings.checkin_before_minutes * 60
        length = self.settings.event_length_minutes * 60
        return await self.repo.events_to_open(self.clock.now(), before, length, event_id)

    async def open_windows(self, tx: Transaction, event_id: int | None = None) -> None:
        """Open the check-in window of every event (or of one) whose window is open now."""
        for row in await self._due_events(event_id):
            await self._open_window(tx, row["id"], row["title"], row["starts_at"],
                                    row["created_by"])

    async def _open_window(
        self, tx: Transaction, event_id: int, title: str, starts_at: float, organiser: int
    ) -> None:
        """Store the window with a fresh code; the organiser gets the code, each volunteer
        on the list a private message with Check in / Check out."""
        opens_at = starts_at - self.settings.checkin_before_minutes * 60
        activity = await self.repo.add_activity(tx, {
            "ref": f"event:{event_id}", "title": title, "organiser_id": organiser,
            "code": await self._fresh_code(tx, opens_at), "opens_at": opens_at,
            "starts_at": starts_at,
            "ends_at": starts_at + self.settings.event_length_minutes * 60,
            "created_at": self.clock.now(),
        })
        if activity is None:
            return
        await self.scheduler.schedule(tx, JOB_CLOSE, f"hours close {activity.id}",
                                      activity.ends_at, {"activity": activity.id},
                                      grace_seconds=LATE_OK)
        await self._show_on_card(tx, event_id)
        owner = await self.users.get(organiser)
        if owner is not None and owner.started and not owner.blocked:
            t = await self.people.translator_for(owner.id)
            await self.outbox.queue_message(tx, owner.id, views.code_message(t, activity, self.tz),
                                            kind="hours_code",
                                            dedupe_key=f"hours:{activity.id}:code")
        for user, _building in await self.repo.eligible(tx, event_id):
            if user.started and not user.blocked:
                t = await self.people.translator_for(user.id)
                await self.outbox.queue_message(
                    tx, user.id, views.checkin_invitation(t, activity, self.tz),
                    kind="hours_invite", dedupe_key=f"hours:{activity.id}:invite:{user.id}")

    async def _show_on_card(self, tx: Transaction, event_id: int) -> None:
        """Edit the event's cards at once: the check-in buttons appear or go."""
        await self.cards.touch(tx, EVENT_CARD, str(event_id))
        await self.cards.refresh(tx, EVENT_CARD, str(event_id))

    async def card_rows(self, tx: Transaction, event: Event, t: Translator) -> Rows:
        """The check-in's buttons on an event's card, while its window is open."""
        activity = await self.repo.activity_by_ref(tx, f"event:{event.id}")
        if activity is None or activity.closed_at is not None or event.status == "cancelled" \
                or not activity.is_open(self.clock.now()):
            return ()
        return views.card_rows(t, activity)

    async def _fresh_code(self, tx: Transaction, opens_at: float) -> str:
        """Six digits no window open at the same time holds."""
        while True:
            code = f"{secrets.randbelow(1_000_000):06d}"
            if not await self.repo.code_in_use(tx, code, opens_at):
                return code

    async def activity(self, activity_id: int) -> Activity:
        """A check-in window by number."""
        found = await self.repo.activity(self.db, activity_id)
        if found is None:
            raise NotFound(N_("This button is no longer valid."))
        return found

    async def organised(self, actor: Actor) -> list[Activity]:
        """The windows open now (or soon) of the events someone organises."""
        return await self.repo.open_for(actor.user_id, self.clock.now())

    async def show_code(self, actor: Actor, activity_id: int) -> Activity:
        """The code again, for the organiser or an owner of the event's buildings."""
        activity = await self.activity(activity_id)
        await self._require_organiser(actor, activity)
        return activity

    async def _require_organiser(self, actor: Actor, activity: Activity) -> None:
        if actor.user_id == activity.organiser_id or self.community.is_admin(actor.user_id):
            return
        event_id = activity.event_id
        for building_id in await self.repo.event_buildings(event_id) if event_id else []:
            building = await self.community.buildings.by_id(building_id)
            if building is not None and \
                    await self.community.role_in(actor.user_id, building) >= Role.OWNER:
                return
        raise NotAllowed(NOT_ORGANISER)

    # --- checking in and out --------------------------------------------------------------

    async def check_in_code(self, actor: Actor, code: str) -> CheckIn | LocationAsked:
        """Check in with the code the organiser shows."""
        code = code.strip()
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            raise InvalidInput(N_("The check-in code has six digits, for example: /checkin 123456"))
        now = self.clock.now()
        found = await self.repo.by_code(self.db, code, now)
        if not found:
            raise NotFound(N_("No activity has the code {code}. Check it with the organiser."),
                           code=code)
        return await self._check_in(actor, found[0], by_code=True)

    async def check_in(self, actor: Actor, activity_id: int) -> CheckIn | LocationAsked:
        """Check in with a button (of the private message, or of the event's card)."""
        return await self._check_in(actor, await self.activity(activity_id), by_code=False)

    async def _check_in(
        self, actor: Actor, activity: Activity, *, by_code: bool
    ) -> CheckIn | LocationAsked:
        building_id = await self._may_check_in(actor, activity, by_code=by_code)
        if await self._place_of(activity) is not None:
            return await self._ask_location(actor, activity)
        return await self._record_check_in(actor, activity, building_id)

    async def check_in_here(
        self, actor: Actor, activity_id: int, here: tuple[float, float]
    ) -> CheckIn:
        """The location the volunteer shared: within the radius of the event, the check-in
        is recorded (and the question closed); farther, it is refused with the distance."""
        activity = await self.activity(activity_id)
        building_id = await self._may_check_in(actor, activity, by_code=False)
        place = await self._place_of(activity)
        if place is not None:
            distance, radius = distance_m(here, place), self.settings.location_radius_m
            if distance > radius:
                raise Conflict(N_("You are {distance} m from «{title}»: check-in works within "
                                  "{radius} m of it. Share your location again when you are "
                                  "there."), distance=views.metres(distance),
                               title=activity.title, radius=radius)
        return await self._record_check_in(actor, activity, building_id)

    async def _may_check_in(self, actor: Actor, activity: Activity, *, by_code: bool) -> int | None:
        """Refuse outside the window, someone not on the list, and a second check-in; the
        building the volunteer serves the event for."""
        now = self.clock.now()
        if now < activity.opens_at:
            raise Conflict(N_("Check-in for «{title}» opens at {time}."), title=activity.title,
                           time=self._clock_time(activity.opens_at))
        if now > activity.ends_at or activity.closed_at is not None:
            raise Conflict(N_("The check-in of «{title}» is over: the code has expired."),
                           title=activity.title)
        building_id = await self._eligible_building(activity, actor.user_id, by_code)
        attendance = await self.repo.attendance(self.db, activity.id, actor.user_id)
        if attendance is not None:
            self._refuse_again(activity, attendance)
        return building_id

    def _refuse_again(self, activity: Activity, attendance: Attendance) -> None:
        if attendance.status != "in":
            raise Conflict(N_("You already checked out of «{title}»."), title=activity.title)
        raise Conflict(N_("You already checked in to «{title}» at {time}."),
                       title=activity.title, time=self._clock_time(attendance.checked_in_at))

    async def _record_check_in(
        self, actor: Actor, activity: Activity, building_id: int | None
    ) -> CheckIn:
        """Store the check-in (once: a race or a replay finds it there) and stop waiting for
        a location."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            created = await self.repo.check_in(tx, activity.id, actor.user_id, building_id, now)
            attendance = await self.repo.attendance(tx, activity.id, actor.user_id)
            await self.prompts.close(tx, actor.user_id, actor.user_id, PROMPT)
        assert attendance is not None
        if not created:
            self._refuse_again(activity, attendance)
        return CheckIn(activity, attendance)

    async def _place_of(self, activity: Activity) -> tuple[float, float] | None:
        """Where a check-in must be made, when the location check is on and the event is on
        the map."""
        if self.settings.location_radius_m <= 0 or activity.event_id is None:
            return None
        return await self.repo.event_point(self.db, activity.event_id)

    async def _ask_location(self, actor: Actor, activity: Activity) -> LocationAsked:
        """Ask in private for the volunteer's location; the answer comes to ``check_in_here``."""
        user = await self.users.get(actor.user_id)
        if user is None or not user.started or user.blocked:
            raise Conflict(N_("Checking in to «{title}» needs your location. Start a private "
                              "chat with me (open it and press Start), then check in again."),
                           title=activity.title)
        radius = self.settings.location_radius_m
        t = await self.people.translator_for(user.id)
        async with self.db.transaction() as tx:
            await self.prompts.ask(tx, user.id, user.id, PROMPT, WHERE_STEP,
                                   {"activity": activity.id}, ttl_seconds=WHERE_WAIT)
            await self.outbox.queue_message(tx, user.id,
                                            views.location_question(t, activity, radius),
                                            kind="hours_where")
        return LocationAsked(activity, radius)

    def waiting_for(self, prompt: Prompt) -> int:
        """The activity a location question is about."""
        return int(prompt.payload["activity"])

    async def location_expired(self, tx: Transaction, prompt: Prompt) -> bool:
        """Expiry of a location question nobody answered: say that nothing was recorded."""
        activity = await self.repo.activity(tx, self.waiting_for(prompt))
        if activity is None:
            return False
        t = await self.people.translator_for(prompt.chat_id)
        await self.outbox.queue(tx, prompt.chat_id, views.location_expired(t, activity),
                                kind="hours_where_expired", dedupe_key=f"prompt {prompt.id}")
        return True

    async def _eligible_building(
        self, activity: Activity, user_id: int, by_code: bool = True
    ) -> int | None:
        """The building someone serves the event for; refused if they are not on its list."""
        event_id = activity.event_id
        eligible = await self.repo.eligible(self.db, event_id) if event_id is not None else []
        for user, building_id in eligible:
            if user.id == user_id:
                return building_id
        if not by_code:
            raise NotAllowed(NOT_ON_LIST, title=activity.title)
        raise NotAllowed(
            N_("This code is for «{title}», and you are not on its list as a volunteer or "
               "helper. Sign up on the event first."),
            title=activity.title,
        )

    async def check_out(self, actor: Actor, activity_id: int | None = None) -> CheckOut:
        """Check out (of the activity named, or of the one you are checked in to)."""
        now = self.clock.now()
        activity: Activity | None
        if activity_id is not None:
            activity = await self.activity(activity_id)
            attendance = await self.repo.attendance(self.db, activity.id, actor.user_id)
        else:
            open_ones = await self.repo.checked_in(self.db, actor.user_id)
            attendance = open_ones[-1] if open_ones else None
            activity = await self.activity(attendance.activity_id) if attendance else None
        if attendance is None or activity is None:
            raise Conflict(N_("You have not checked in, so there is nothing to check out of. "
                              "Check in first with /checkin and the code."))
        if attendance.status != "in":
            raise Conflict(N_("You already checked out of «{title}»."), title=activity.title)
        out_at = min(now, activity.ends_at)
        async with self.db.transaction() as tx:
            if not await self.repo.check_out(tx, attendance.id, out_at, "out"):
                raise Conflict(N_("You already checked out of «{title}»."), title=activity.title)
            minutes = await self._record_attendance(tx, activity, attendance, out_at, None)
            level = await self._levels_in(tx, actor.user_id)
            closed = await self.repo.attendance_by_id(tx, attendance.id)
        assert closed is not None
        return CheckOut(activity, closed, minutes, level)

    async def _record_attendance(
        self, tx: Transaction, activity: Activity, attendance: Attendance, out_at: float,
        by: int | None,
    ) -> int:
        """The hours entry of a closed attendance (none under the minimum); its minutes."""
        minutes = credited_minutes(out_at - attendance.checked_in_at, self.settings.step_minutes,
                                   self.settings.minimum_minutes, activity.length_minutes)
        if minutes > 0:
            await self._add(tx, attendance.user_id, minutes, "recorded", "event", activity.title,
                            attendance.checked_in_at, f"attendance:{attendance.id}", by,
                            building_id=attendance.building_id, cap=activity.length_minutes)
        return minutes

    async def close(self, tx: Transaction, job: Job) -> None:
        """Job: the end of an activity."""
        await self.close_activity(tx, int(job.data["activity"]))

    async def close_activity(self, tx: Transaction, activity_id: int) -> None:
        """Close every attendance without a check-out at the end, marked "no check-out", and
        ask the organiser to confirm them (once)."""
        activity = await self.repo.activity(tx, activity_id)
        if activity is None or not await self.repo.close_activity(tx, activity.id,
                                                                  self.clock.now()):
            return
        if activity.event_id is not None:
            await self._show_on_card(tx, activity.event_id)
        missing = await self.repo.still_in(tx, activity.id)
        for attendance in missing:
            await self.repo.check_out(tx, attendance.id, activity.ends_at, "no_checkout")
        if not missing:
            return
        people = [await self.users.get(a.user_id) for a in missing]
        named = [(a, p) for a, p in zip(missing, people, strict=True) if p is not None]
        owner = await self.users.get(activity.organiser_id)
        if owner is None or not owner.started or owner.blocked:
            return
        t = await self.people.translator_for(owner.id)
        await self.outbox.queue_message(tx, owner.id,
                                        views.no_checkout_message(t, activity, named, self.tz),
                                        kind="hours_no_checkout",
                                        dedupe_key=f"hours:{activity.id}:no_checkout")

    async def confirm(self, actor: Actor, attendance_id: int) -> CheckOut:
        """The organiser confirms an attendance closed without a check-out: it counts to
        the end of the activity."""
        attendance = await self.repo.attendance_by_id(self.db, attendance_id)
        if attendance is None:
            raise NotFound(N_("This button is no longer valid."))
        activity = await self.activity(attendance.activity_id)
        await self._require_organiser(actor, activity)
        async with self.db.transaction() as tx:
            if not await self.repo.confirm(tx, attendance.id):
                raise Conflict(N_("This attendance is already confirmed."))
            minutes = await self._record_attendance(tx, activity, attendance, activity.ends_at,
                                                    actor.user_id)
            level = await self._levels_in(tx, attendance.user_id)
            if minutes:
                await self._tell_entry(tx, attendance.user_id, f"attendance:{attendance.id}")
        return CheckOut(activity, attendance, minutes, level)

    # --- the ledger -----------------------------------------------------------------------

    async def _add(
        self, tx: Transaction, user_id: int, minutes: int, kind: Kind, origin: str,
        content: str, served_at: float, source: str, by: int | None, *,
        building_id: int | None = None, cap: int | None = None, corrects: int | None = None,
    ) -> bool:
        year, month = month_of(served_at, self.tz)
        return await self.repo.add_entry(tx, {
            "user_id": user_id, "minutes": minutes, "kind": kind, "origin": origin,
            "content": content, "served_at": served_at, "year": year, "month": month,
            "building_id": building_id, "corrects": corrects, "cap_minutes": cap,
            "source": source, "made_by": by, "created_at": self.clock.now(),
        })

    async def record_work_in(
        self, tx: Transaction, user_id: int, origin: str, minutes: int, content: str,
        served_at: float, source: str, building_id: int | None = None,
    ) -> bool:
        """Hours for a shift served or a request done, in the caller's transaction, once per
        source (off in the config: nothing). For features that count hours of their own."""
        enabled = {"shift": self.settings.count_shifts,
                   "request": self.settings.count_requests}.get(origin, False)
        if not enabled or minutes <= 0:
            return False
        added = await self._add(tx, user_id, minutes, "recorded", origin, content, served_at,
                                source, None, building_id=building_id, cap=minutes)
        if added:
            await self._levels_in(tx, user_id)
        return added

    async def add_makeup(
        self, actor: Actor, volunteer: User, hours: str, reason: str, source: str
    ) -> MakeUp:
        """Make-up hours for work outside the bot, marked as such, within the monthly limit."""
        minutes = parse_hours(hours, MAKEUP_USAGE)
        reason = self._reason(reason, MAKEUP_USAGE)
        building = await self._require_serving_owner(actor, volunteer.id)
        if minutes <= 0:
            raise InvalidInput(N_("Make-up hours must be more than 0. To take hours off, "
                                  "correct an entry: /hours correct 12 1.5 reason."))
        limit = round(self.settings.makeup_max_hours * 60)
        if minutes > limit:
            raise InvalidInput(N_("At most {hours} make-up hours at once."),
                               hours=views.hours(limit))
        now = self.clock.now()
        _year, month = month_of(now, self.tz)
        async with self.db.transaction() as tx:
            created = False
            if await self.repo.entry_by_source(tx, source) is None:
                used = await self.repo.month_makeup(tx, volunteer.id, month)
                monthly = round(self.settings.makeup_monthly_hours * 60)
                if used + minutes > monthly:
                    raise Conflict(
                        N_("{name} has {used} make-up hours this month; the limit is {limit}, "
                           "so at most {left} more."),
                        name=volunteer.display_name, used=views.hours(used),
                        limit=views.hours(monthly), left=views.hours(max(0, monthly - used)))
                created = await self._add(tx, volunteer.id, minutes, "makeup", "makeup", reason,
                                          now, source, actor.user_id, building_id=building.id)
                await self._levels_in(tx, volunteer.id)
                await self._tell_entry(tx, volunteer.id, source)
            return await self._made(tx, volunteer, source, created)

    async def correct(
        self, actor: Actor, entry_id: int, hours: str, reason: str, source: str
    ) -> MakeUp:
        """A correction: a new entry that brings an entry to the right hours (never an edit)."""
        minutes = parse_hours(hours, CORRECT_USAGE)
        reason = self._reason(reason, CORRECT_USAGE)
        line = await self.repo.line(self.db, entry_id)
        if line is None:
            raise NotFound(N_("There is no hours entry #{number}."), number=entry_id)
        volunteer = await self.users.get(line.entry.user_id)
        assert volunteer is not None
        await self._require_serving_owner(actor, volunteer.id)
        self._check_correction(line, minutes)
        async with self.db.transaction() as tx:
            created = False
            if await self.repo.entry_by_source(tx, source) is None:
                current = await self.repo.line(tx, entry_id)
                assert current is not None
                if current.minutes == minutes:
                    raise Conflict(N_("Entry #{number} already counts {hours} hours."),
                                   number=entry_id, hours=views.hours(minutes))
                entry = current.entry
                created = await self._add(tx, entry.user_id, minutes - current.minutes,
                                          entry.kind, "correction", reason, entry.served_at,
                                          source, actor.user_id, building_id=entry.building_id,
                                          corrects=entry.id)
                await self._levels_in(tx, entry.user_id)
                await self._tell_entry(tx, entry.user_id, source)
            return await self._made(tx, volunteer, source, created)

    async def entry_volunteer(self, entry_id: int) -> int | None:
        """Whose entry this is (None: no such entry)."""
        line = await self.repo.line(self.db, entry_id)
        return None if line is None else line.entry.user_id

    def _check_correction(self, line: ServiceLine, minutes: int) -> None:
        if minutes < 0:
            raise InvalidInput(N_("Hours cannot be below 0: write the right hours, 0 to cancel "
                                  "an entry."))
        cap = line.entry.cap_minutes
        if cap is not None and minutes > cap:
            raise InvalidInput(N_("«{content}» lasted {hours} hours: an entry cannot count more."),
                               content=line.entry.content, hours=views.hours(cap))
        limit = round(self.settings.makeup_max_hours * 60)
        if line.entry.kind == "makeup" and minutes > limit:
            raise InvalidInput(N_("At most {hours} make-up hours at once."),
                               hours=views.hours(limit))

    def _reason(self, reason: str, usage: str) -> str:
        reason = one_line(reason)
        if not reason:
            raise InvalidInput(usage)
        if len(reason) > MAX_REASON:
            raise InvalidInput(N_("The reason is too long: at most {limit} characters."),
                               limit=MAX_REASON)
        return reason

    async def _made(
        self, tx: Transaction, volunteer: User, source: str, created: bool
    ) -> MakeUp:
        entry = await self.repo.entry_by_source(tx, source)
        assert entry is not None
        line = await self.repo.line(tx, entry.corrects or entry.id)
        assert line is not None
        return MakeUp(volunteer, line, created, await self.repo.totals(tx, volunteer.id))

    async def _require_serving_owner(self, actor: Actor, volunteer_id: int) -> Building:
        """A building the volunteer serves that the actor owns (community admins: any)."""
        serving = await self.community.buildings.volunteering(volunteer_id)
        for building in serving:
            if await self.community.role_in(actor.user_id, building) >= Role.OWNER:
                return building
        raise NotAllowed(NOT_SERVED)

    async def _tell_entry(self, tx: Transaction, user_id: int, source: str) -> None:
        """Tell the volunteer of an entry someone else made for them."""
        volunteer = await self.users.get(user_id)
        entry = await self.repo.entry_by_source(tx, source)
        if volunteer is None or entry is None or not volunteer.started or volunteer.blocked:
            return
        t = await self.people.translator_for(user_id)
        total = (await self.repo.totals(tx, user_id)).total
        await self.outbox.queue(tx, user_id, views.entry_note(t, entry, total),
                                kind="hours_entry", dedupe_key=f"hours entry {source}")

    # --- levels ---------------------------------------------------------------------------

    async def _levels_in(self, tx: Transaction, user_id: int) -> int | None:
        """Record the star levels the volunteer's hours reach; congratulate on a new one (and
        tell the groups that asked). Returns the new level, if any."""
        total = (await self.repo.totals(tx, user_id)).total
        stars = star_level(total, self.settings.star_levels).stars
        reached = [level for level in range(1, stars + 1)
                   if await self.repo.reach_level(tx, user_id, level, self.clock.now())]
        if not reached:
            return None
        level = max(reached)
        volunteer = await self.users.get(user_id)
        if volunteer is None:
            return level
        if volunteer.started and not volunteer.blocked:
            t = await self.people.translator_for(user_id)
            await self.outbox.queue(tx, user_id, views.level_congratulation(
                t, level, star_level(total, self.settings.star_levels)),
                kind="hours_level", dedupe_key=f"hours level {user_id} {level}")
        for building in await self.community.buildings.volunteering(user_id):
            if await self.repo.announces(tx, building.id):
                t = await self.people.translator_for(building.chat_id)
                await self.outbox.queue(tx, building.chat_id,
                                        views.level_group_note(t, volunteer, level),
                                        kind="hours_level_note",
                                        dedupe_key=f"hours level {user_id} {level} {building.id}")
        return level

    async def set_announce(self, actor: Actor, building: Building, on: bool) -> None:
        """Owners: whether the group hears of its volunteers' new star levels."""
        await self.community.require(actor, building, Role.OWNER)
        async with self.db.transaction() as tx:
            await self.repo.set_announce(tx, building.id, on)

    # --- what people see ------------------------------------------------------------------

    async def summary(self, actor: Actor, person: User) -> HoursSummary:
        """/hours: a volunteer's year and all time, latest entries and star level (their
        own; owners: the volunteers of their buildings)."""
        if person.id != actor.user_id:
            await self._require_serving_owner(actor, person.id)
        year, _month = month_of(self.clock.now(), self.tz)
        all_time = await self.repo.totals(self.db, person.id)
        return HoursSummary(
            user=person, year=year,
            this_year=await self.repo.totals(self.db, person.id, year),
            all_time=all_time, latest=await self.repo.latest(person.id, LATEST),
            level=star_level(all_time.total, self.settings.star_levels),
        )

    async def leaderboard(self, building: Building | None) -> HoursLeaderboard:
        """/leaderboard hours: this month's ranking by hours served, of a building's
        volunteers or of the whole community."""
        month = Month.of(self.clock.now(), self.tz)
        standings = await self.repo.standings(month.start(self.tz), month.end(self.tz),
                                              building.id if building else None,
                                              LEADERBOARD_SIZE)
        return HoursLeaderboard(month=month.key, building=building, standings=standings)

    async def post_leaderboard(self, actor: Actor, building: Building) -> bool:
        """An owner posts the building's ranking by hours in its group; False if this very
        ranking was already posted (a second press, a replay)."""
        await self.community.require(actor, building, Role.OWNER)
        board = await self.leaderboard(building)
        t = await self.people.translator_for(building.chat_id)
        text = views.leaderboard_text(t, board, building.name)
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        async with self.db.transaction() as tx:
            row = await self.outbox.queue(
                tx, building.chat_id, text, kind="hours_leaderboard",
                dedupe_key=f"hours leaderboard {building.id} {digest}")
        return row is not None

    def year(self, text: str) -> int:
        """The year of /certificate: this one by default."""
        this_year, _month = month_of(self.clock.now(), self.tz)
        text = text.strip()
        if not text:
            return this_year
        if not (len(text) == 4 and text.isascii() and text.isdigit()) or \
                not 2000 <= int(text) <= this_year:
            raise InvalidInput(N_("Write a year from 2000 to {year}, for example: "
                                  "/certificate {year}"), year=this_year)
        return int(text)

    async def certificate(self, actor: Actor, year: int, source: str) -> IssuedCertificate:
        """Issue (or, for a replayed command, find again) a certificate of a year's hours."""
        volunteer = await self.users.get(actor.user_id)
        if volunteer is None:
            raise NotFound(N_("You have no service hours in {year}."), year=year)
        async with self.db.transaction() as tx:
            lines = [line for line in await self.repo.year_lines(tx, volunteer.id, year)
                     if line.minutes > 0]
            if not lines:
                raise NotFound(N_("You have no service hours in {year}."), year=year)
            found = await self.repo.certificate_by_source(tx, source)
            if found is None:
                totals = await self.repo.totals(tx, volunteer.id, year)
                number = f"LL{year}-{secrets.token_hex(4).upper()}"
                await self.repo.add_certificate(tx, {
                    "number": number, "user_id": volunteer.id, "year": year,
                    "total_minutes": totals.total, "recorded_minutes": totals.recorded,
                    "makeup_minutes": totals.makeup, "entries": len(lines), "source": source,
                    "issued_at": self.clock.now(),
                })
                found = await self.repo.certificate(tx, number)
            assert found is not None
        buildings = [b.name for b in await self.community.buildings.volunteering(volunteer.id)]
        return IssuedCertificate(found, volunteer, lines, self.config.community.name, buildings)

    async def verify(self, number: str) -> Verification:
        """A certificate by its number, with what the ledger says of that year now."""
        number = number.strip().upper()
        found = await self.repo.certificate(self.db, number) if number else None
        if found is None:
            raise NotFound(N_("No certificate has the number {number}. Check it on the "
                              "certificate."), number=number or "—")
        volunteer = await self.users.get(found.user_id)
        assert volunteer is not None
        now_total = (await self.repo.totals(self.db, found.user_id, found.year)).total
        return Verification(found, volunteer, now_total)

    # --- volunteers who apply -------------------------------------------------------------

    async def apply(
        self, actor: Actor, building: Building, skills: list[str], source: str
    ) -> Applied:
        """A resident asks to be a volunteer of their building; its owners decide."""
        if any(not SKILL.match(skill) for skill in skills) or len(skills) > MAX_SKILLS:
            raise InvalidInput(N_("Skills are single words, at most 10 of them, for example: "
                                  "/apply repair health"))
        role = await self.community.require(actor, building, Role.RESIDENT)
        async with self.db.transaction() as tx:
            again = await self.repo.application_by_source(tx, source)
            if again is not None:
                return Applied(again, building, 0, created=False)
            if role == Role.VOLUNTEER or await self.community.buildings.is_volunteer(
                    building.id, actor.user_id):
                raise Conflict(N_("You are already a volunteer of {building}."),
                               building=building.name)
            application = await self.repo.apply(tx, building.id, actor.user_id, " ".join(skills),
                                                source, self.clock.now())
            if application is None:
                raise Conflict(N_("You already asked to volunteer in {building}: its owners "
                                  "will decide."), building=building.name)
            told = await self._ask_owners(tx, application, building)
        return Applied(application, building, told, created=True)

    async def _ask_owners(self, tx: Transaction, application: Application,
                          building: Building) -> int:
        admins, _fetched = await self.community.buildings.admins(building.chat_id)
        resident = await self.users.get(application.user_id)
        told = 0
        for owner_id in dict.fromkeys([*admins, *self.config.community.admins]):
            owner = await self.users.get(owner_id)
            if owner is None or not owner.started or owner.blocked or resident is None:
                continue
            t = await self.people.translator_for(owner.id)
            await self.outbox.queue_message(
                tx, owner.id, views.application_card(t, application, resident, building),
                kind="hours_application",
                dedupe_key=f"application:{application.id}:{owner.id}")
            told += 1
        return told

    async def application_building(self, application_id: int) -> Building | None:
        """The building an application is for."""
        application = await self.repo.application(self.db, application_id)
        if application is None:
            return None
        return await self.community.buildings.by_id(application.building_id)

    async def decide(self, actor: Actor, application_id: int, approve: bool) -> Application:
        """An owner of the building approves (the resident becomes a volunteer) or declines."""
        application = await self.repo.application(self.db, application_id)
        building = await self.community.buildings.by_id(application.building_id) \
            if application else None
        if application is None or building is None:
            raise NotFound(N_("This button is no longer valid."))
        await self.community.require(actor, building, Role.OWNER)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            status = "approved" if approve else "declined"
            if not await self.repo.decide(tx, application.id, status, actor.user_id, now):
                raise Conflict(N_("This application was already decided."))
            if approve:
                await self.community.buildings.set_volunteer(
                    tx, building.id, application.user_id, application.skill_list, now)
            decided = await self.repo.application(tx, application.id)
            assert decided is not None
            resident = await self.users.get(application.user_id)
            if resident is not None and resident.started and not resident.blocked:
                t = await self.people.translator_for(resident.id)
                await self.outbox.queue(tx, resident.id,
                                        views.application_outcome(t, decided, building),
                                        kind="hours_application_outcome",
                                        dedupe_key=f"application:{application.id}:outcome")
        return decided

    def _clock_time(self, moment: float) -> str:
        return datetime.fromtimestamp(moment, self.tz).strftime("%H:%M")
