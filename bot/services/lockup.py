"""Facilities with a closing time and a checklist, lock-up reports, and their escalation.

Each facility has its next check materialised as a job, ``lockup.grace`` after closing
time ("lockup check 3 2026-11-24"). If no report has come by then, the volunteer on
duty is reminded and an escalation job is scheduled for twice the grace; if there is
still no report then, the owners are told. Each check schedules the next closing's
check in its own transaction, and a daily "lockup plan" job repairs the chain after
a long downtime, as the roster does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config import Settings
from bot.domain.bookings import Booking
from bot.domain.core import Building, Job, Prompt
from bot.domain.lockups import (
    Facility,
    FacilityLockup,
    HistoryEntry,
    LastUse,
    Lockup,
    LockupState,
)
from bot.domain.requests import Source
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.i18n import N_
from bot.outbox import Outbox
from bot.scheduler import JobHandler, Scheduler
from bot.services.community import REFUSALS, Actor, Community, Role
from bot.services.people import People
from bot.services.points import PointsService
from bot.services.prompts import Prompts
from bot.services.requests import RequestService
from bot.services.roster import RosterService, schedule_daily_plan
from bot.services.weektime import (
    closing_at,
    closing_reported,
    local_moment,
    next_closing,
    parse_closing,
)
from bot.text import is_blank, tidy
from bot.views import lockup as views
from bot.views.lockup import FACILITY_USAGE
from storage.db import Database, Transaction
from storage.lockups import LockupRepository

CHECK = "lockup check"
ESCALATE = "lockup escalate"
PLAN = "lockup plan"
MAX_NAME = 40
MAX_ITEMS = 10
MAX_ITEM = 40
NOTE_LIMIT = 300  # the report may go out as a photo caption (1024 characters at most)
HISTORY_DAYS = 14

PROMPT = "lockup"  # the feature name of its stored prompt (the report's note)
NOTE_WAIT = 12 * 3600  # how long a finished checklist waits for the note, in seconds
PROBLEM_WAIT = 3600  # how long a Problem press waits for the description
MAX_PROBLEM = 300


class RoomUse(Protocol):
    """The bookings of a room, as the lock-up reads them (``storage.bookings``)."""

    async def last_end(self, facility_id: int, since: float, until: float) -> Booking | None:
        """The approved booking ending last among those starting in [since, until)."""


@dataclass(frozen=True)
class FacilitySpec:
    """What /facility add describes: a name, seven closing times, a checklist."""

    name: str
    closing: list[int | None]
    checklist: list[str]


def parse_facility(text: str) -> FacilitySpec:
    """Parse "name | closing times | item, item, item"; anything malformed is refused."""
    parts = [part.strip() for part in text.split("|")]
    if len(parts) != 3 or is_blank(parts[0]):
        raise InvalidInput(FACILITY_USAGE)
    name, times, items = parts
    closing = parse_closing(times)
    checklist = [item.strip() for item in re.split(r"[,，;；、\n]+", items) if not is_blank(item)]
    if closing is None or not checklist:
        raise InvalidInput(FACILITY_USAGE)
    if len(name) > MAX_NAME or len(checklist) > MAX_ITEMS or max(map(len, checklist)) > MAX_ITEM:
        raise InvalidInput(
            N_("Too long: a name of at most {name} characters, and at most {items} checklist "
               "items of {item} characters each."),
            name=MAX_NAME,
            items=MAX_ITEMS,
            item=MAX_ITEM,
        )
    return FacilitySpec(" ".join(name.split()), closing, checklist)


def lockup_state(lockup: Lockup, now: float, grace: float) -> LockupState:
    """on_time, late, missing (not reported and past the escalation) or open."""
    if lockup.status == "reported":
        return "late" if lockup.late else "on_time"
    if lockup.escalated_at is not None or now > lockup.closing_at + 2 * grace:
        return "missing"
    return "open"


class LockupService:
    """Facilities, the lock-up checklist and report, reminders and escalation."""

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
        prompts: Prompts,
        points: PointsService,
        roster: RosterService,
        requests: RequestService,
        uses: RoomUse,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.outbox = outbox
        self.scheduler = scheduler
        self.community = community
        self.people = people
        self.prompts = prompts
        self.points = points
        self.roster = roster
        self.requests = requests
        self.uses = uses
        self.repo = LockupRepository(db)

    @property
    def tz(self) -> ZoneInfo:
        """The community's time zone: closing times are local to it."""
        return self.config.community.tz

    @property
    def grace(self) -> float:
        """Seconds after closing time before a missing report is chased."""
        return self.config.lockup.grace_minutes * 60.0

    def jobs(self) -> dict[str, JobHandler]:
        """The job kinds of this feature, and what runs each."""
        return {
            CHECK: self._check,
            ESCALATE: self._escalate,
            PLAN: self._plan,
        }

    # --- facilities --------------------------------------------------------------------

    async def add_facility(self, actor: Actor, building: Building, spec: FacilitySpec) -> Facility:
        """Add a facility to a building (its owners) and plan its first lock-up check."""
        await self.community.require(actor, building, Role.OWNER)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            facility = await self.repo.add_facility(
                tx, building.id, spec.name, spec.closing, spec.checklist, actor.user_id, now
            )
            if facility is None:
                raise Conflict(
                    N_("This building already has a facility called «{name}»."), name=spec.name
                )
            await self._schedule_check(tx, facility, now)
            await schedule_daily_plan(self.scheduler, self.config.community.tz, tx, PLAN, now)
        return facility

    async def remove_facility(self, actor: Actor, building: Building, name: str) -> Facility:
        """Stop checking a facility of the building (its lock-up history stays); owners."""
        await self.community.require(actor, building, Role.OWNER)
        facility = await self.named(building, name)
        async with self.db.transaction() as tx:
            if not await self.repo.retire(tx, facility.id):
                raise NotFound(N_("There is no facility called «{name}»."), name=name)
        return facility

    async def facilities(self, building: Building) -> list[Facility]:
        """The building's facilities."""
        return await self.repo.facilities(building.id)

    async def managed_facilities(self, actor: Actor, building: Building) -> list[Facility]:
        """The building's facilities, as its owners manage them."""
        await self.community.require(actor, building, Role.OWNER)
        return await self.facilities(building)

    async def named(self, building: Building, name: str) -> Facility:
        """A facility of the building by name."""
        wanted = " ".join(name.split()).lower()
        for facility in await self.repo.facilities(building.id):
            if facility.name.lower() == wanted:
                return facility
        raise NotFound(N_("There is no facility called «{name}»."), name=name)

    async def facilities_for(self, actor: Actor) -> list[tuple[Building, Facility]]:
        """The facilities a volunteer may lock up: those of every building they serve."""
        buildings = await self.community.buildings.volunteering(actor.user_id)
        if not buildings:
            raise NotAllowed(
                N_("Lock-ups are reported by volunteers, and you are not a volunteer of any "
                   "building.")
            )
        found = []
        for building in buildings:
            found += [(building, f) for f in await self.repo.facilities(building.id)]
        if not found:
            raise NotFound(
                N_("There is no facility to lock up in your buildings. Owners add one "
                   "with /facility.")
            )
        return found

    # --- the checklist -----------------------------------------------------------------

    async def start(self, actor: Actor, facility_id: int) -> FacilityLockup:
        """The lock-up a volunteer is about to report: the closing just past, or the next."""
        user_id = actor.user_id
        building, facility = await self._facility_for(facility_id, actor)
        now = self.clock.now()
        day = closing_reported(facility.closing, now, self.tz)
        moment = None if day is None else await self.expected_closing(facility, day)
        if day is None or moment is None:
            raise NotFound(N_("This facility has no closing time."))
        async with self.db.transaction() as tx:
            lockup = await self.repo.open_lockup(tx, facility.id, day.isoformat(), moment)
        if lockup.status == "reported":
            raise Conflict(
                N_("The lock-up of {facility} was already reported at {time}."),
                facility=facility.name,
                time=views.clock_time(lockup.reported_at or now, self.tz),
            )
        if lockup.status == "awaiting_note" and lockup.user_id != user_id:
            raise Conflict(N_("Another volunteer has ticked everything and is writing the report."))
        if lockup.status == "awaiting_note":  # back after the note's time ran out: wait again
            async with self.db.transaction() as tx:
                await self._ask_note(tx, lockup.id, user_id)
        return FacilityLockup(building, facility, lockup, await self._last_use(facility, day))

    async def tick(
        self, actor: Actor, lockup_id: int, index: int, ticked: bool | None = None
    ) -> FacilityLockup:
        """Tick or untick one checklist item (``ticked``: which of the two, so that a press
        handled twice leaves it as pressed); the last tick makes the lock-up wait for a note."""
        user_id = actor.user_id
        view = await self._view(lockup_id, actor)
        if not 0 <= index < len(view.facility.checklist):
            raise InvalidInput(N_("This button is no longer valid."))
        async with self.db.transaction() as tx:
            if not await self.repo.toggle(tx, lockup_id, index, ticked):
                raise Conflict(N_("This checklist is finished already."))
            if await self.repo.finish_checklist(
                tx, lockup_id, user_id, view.facility.all_ticked
            ):
                await self._ask_note(tx, lockup_id, user_id)
        return await self._view(lockup_id, actor)

    async def _ask_note(
        self, tx: Transaction, lockup_id: int, user_id: int, answered: int | None = None
    ) -> None:
        """The finished checklist waits for the volunteer's next private message: a photo or
        a line of text for the report (``answered``: the message that described a problem,
        which is not the note when it is handled again)."""
        await self.prompts.ask(
            tx, user_id, user_id, PROMPT, "note", {"lockup": lockup_id}, ttl_seconds=NOTE_WAIT,
            answered_message=answered,
        )

    async def note_expired(self, tx: Transaction, prompt: Prompt) -> bool:
        """Nobody sent the note in time: say how to post the report all the same."""
        t = await self.people.translator_for(prompt.chat_id)
        await self.outbox.queue_message(
            tx,
            prompt.chat_id,
            views.note_expired(t),
            kind="lockup_note_expired",
            dedupe_key=f"lockup note {prompt.id}",
        )
        return True

    async def report(
        self, actor: Actor, lockup_id: int, note: str | None, photo: str | None
    ) -> FacilityLockup:
        """Post the lock-up report to the building's group (marked late if it is)."""
        user_id = actor.user_id
        view = await self._view(lockup_id, actor)
        note = tidy(note or "")[:NOTE_LIMIT] or None
        now = self.clock.now()
        late = now > view.lockup.closing_at + self.grace
        async with self.db.transaction() as tx:
            if not await self.repo.report(tx, lockup_id, user_id, now, late, note, photo):
                raise Conflict(N_("This lock-up was reported already."))
            await self.prompts.close(tx, user_id, user_id, PROMPT)
            reported = await self.repo.lockup(lockup_id)
            assert reported is not None
            await self._post_report(tx, FacilityLockup(view.building, view.facility, reported))
            if not late:
                await self._on_lockup_on_time(tx, reported)
        return FacilityLockup(view.building, view.facility, reported)

    async def ask_problem(self, actor: Actor, lockup_id: int) -> FacilityLockup:
        """The volunteer pressed Problem: their next private message describes it."""
        view = await self._view(lockup_id, actor)
        if view.lockup.status == "reported":
            raise Conflict(N_("This lock-up was reported already."))
        async with self.db.transaction() as tx:
            await self.prompts.ask_unless_waiting(
                tx, actor.user_id, actor.user_id, PROMPT, "problem", {"lockup": lockup_id},
                ttl_seconds=PROBLEM_WAIT,
            )
        return view

    async def report_problem(
        self, actor: Actor, lockup_id: int, text: str, source: Source
    ) -> tuple[FacilityLockup, int]:
        """A problem found at lock-up becomes a repair request of the building; the report
        will mention it. Returns the lock-up and the request's number."""
        view = await self._view(lockup_id, actor)
        problem = tidy(text)[:MAX_PROBLEM]
        if not problem:
            raise InvalidInput(N_("Please describe the problem in a line of text."))
        wording = f"{view.facility.name}: {problem}"
        opened = await self.requests.open(view.building, actor, wording, source, "repair")
        async with self.db.transaction() as tx:
            await self.repo.note_problem(tx, lockup_id, problem, opened.request.number)
            if view.lockup.status == "awaiting_note":
                await self._ask_note(tx, lockup_id, actor.user_id, source.message_id)
            else:
                await self.prompts.close(tx, actor.user_id, actor.user_id, PROMPT)
        return await self._view(lockup_id, actor), opened.request.number

    async def history(self, building: Building) -> list[HistoryEntry]:
        """The building's lock-ups of the last two weeks, newest first, with their state."""
        now = self.clock.now()
        facilities = {f.id: f for f in await self.repo.facilities(building.id, active_only=False)}
        lockups = await self.repo.history(building.id, now - HISTORY_DAYS * 86400)
        return [
            HistoryEntry(
                facilities[lockup.facility_id],
                lockup,
                lockup_state(lockup, now, self.grace),
                await self._name_of(lockup.user_id),
            )
            for lockup in lockups
            if lockup.closing_at <= now or lockup.status == "reported"
        ]

    async def _on_lockup_on_time(self, tx: Transaction, report: Lockup) -> None:
        """A lock-up was reported on time: the volunteer earns points, once per lock-up."""
        if report.user_id is None:
            return
        amount = self.config.points.lockup_on_time
        await self.points.award_in(
            tx, report.user_id, amount, "lockup_on_time", f"lockup:{report.id}", report.user_id
        )

    # --- scheduled work ----------------------------------------------------------------

    async def _check(self, tx: Transaction, job: Job) -> None:
        """Grace time after closing: remind the volunteer on duty if nobody has reported."""
        facility = await self.repo.facility(job.data["facility"])
        if facility is None or not facility.active:
            return
        day = date.fromisoformat(job.data["day"])
        closing = closing_at(facility.closing, day, self.tz)
        moment = await self.expected_closing(facility, day)
        if moment is not None and moment + self.grace > job.due_at + 1:
            await self._check_later(tx, facility, day, moment)  # booked past closing time
        elif moment is not None:
            lockup = await self.repo.open_lockup(tx, facility.id, day.isoformat(), moment)
            if lockup.status != "reported":
                await self._remind(tx, job, facility, lockup)
        await self._schedule_check(tx, facility, closing or job.due_at)

    async def _check_later(
        self, tx: Transaction, facility: Facility, day: date, moment: float
    ) -> None:
        """The day's last booking ends after closing time: check after it instead."""
        await self.scheduler.schedule(
            tx,
            CHECK,
            f"{CHECK} {facility.id} {day} {int(moment)}",
            moment + self.grace,
            {"facility": facility.id, "day": str(day)},
        )

    async def expected_closing(self, facility: Facility, day: date) -> float | None:
        """When the lock-up of a day is due: closing time, or the end of the day's last
        booking if that is later."""
        closing = closing_at(facility.closing, day, self.tz)
        if closing is None:
            return None
        last = await self._last_booking(facility.id, day)
        return closing if last is None else max(closing, last.ends_at)

    async def _last_booking(self, facility_id: int, day: date) -> Booking | None:
        since = local_moment(day, 0, self.tz)
        until = local_moment(day + timedelta(days=1), 0, self.tz)
        return await self.uses.last_end(facility_id, since, until)

    async def _last_use(self, facility: Facility, day: date) -> LastUse | None:
        """Who had the room booked last that day, for the volunteer locking up."""
        last = await self._last_booking(facility.id, day)
        if last is None:
            return None
        return LastUse(await self._name_of(last.user_id) or "", last.ends_at)

    async def _escalate(self, tx: Transaction, job: Job) -> None:
        """Twice the grace after closing and still no report: tell the owners."""
        facility = await self.repo.facility(job.data["facility"])
        lockup = await self.repo.lockup(job.data["lockup"])
        if facility is None or lockup is None or lockup.status == "reported":
            return
        building = await self._building(facility.building_id)
        await self.repo.mark(tx, lockup.id, "escalated_at", self.clock.now())
        roster = self.roster
        on_duty = await roster.people_of(await roster.on_duty(building.id, lockup.closing_at))
        names = ", ".join(user.display_name for user in on_duty)
        minutes = int((self.clock.now() - lockup.closing_at) // 60)
        for owner in await roster.owner_ids(building):
            t = await roster.translator_for(owner)
            message = views.missing(t, building, facility, lockup, minutes, names, self.tz)
            await self.outbox.queue_message(
                tx, owner, message, kind="lockup_missing", dedupe_key=f"{job.key} {owner}"
            )

    async def _plan(self, tx: Transaction, job: Job) -> None:
        """Daily: make sure every facility has its next check, and plan tomorrow."""
        now = self.clock.now()
        for facility in await self.repo.facilities():
            await self._schedule_check(tx, facility, now - self.grace)
        await schedule_daily_plan(self.scheduler, self.config.community.tz, tx, PLAN, now)

    async def _remind(self, tx: Transaction, job: Job, facility: Facility, lockup: Lockup) -> None:
        """Remind whoever was on duty at closing time (every volunteer if nobody was)."""
        building = await self._building(facility.building_id)
        roster = self.roster
        people = await roster.on_duty(building.id, lockup.closing_at)
        if not people:
            volunteers = await self.community.buildings.volunteers(building.id)
            people = [volunteer.user.id for volunteer in volunteers]
        await self.repo.mark(tx, lockup.id, "reminded_at", self.clock.now())
        last = await self._last_use(facility, date.fromisoformat(lockup.day))
        for user_id in people:
            t = await roster.translator_for(user_id)
            await self.outbox.queue_message(
                tx, user_id, views.reminder(t, building, facility, lockup, self.tz, last),
                kind="lockup_reminder", dedupe_key=f"{job.key} {user_id}",
            )
        await self.scheduler.schedule(
            tx,
            ESCALATE,
            f"{ESCALATE} {facility.id} {lockup.day}",
            lockup.closing_at + 2 * self.grace,
            {"facility": facility.id, "lockup": lockup.id},
        )

    async def _schedule_check(self, tx: Transaction, facility: Facility, after: float) -> None:
        """The check of the first closing later than ``after``."""
        day = next_closing(facility.closing, after, self.tz)
        moment = None if day is None else closing_at(facility.closing, day, self.tz)
        if day is None or moment is None:
            return
        await self.scheduler.schedule(
            tx,
            CHECK,
            f"{CHECK} {facility.id} {day}",
            moment + self.grace,
            {"facility": facility.id, "day": str(day)},
        )

    # --- the report in the group -------------------------------------------------------

    async def _post_report(self, tx: Transaction, found: FacilityLockup) -> None:
        chat_id = found.building.chat_id
        t = await self.roster.translator_for(chat_id)
        name = await self._name_of(found.lockup.user_id) or ""
        await self.outbox.queue_message(
            tx, chat_id, views.report(t, found, name, self.tz), kind="lockup_report",
            dedupe_key=f"lockup report {found.lockup.id}",
        )

    # --- lookups -----------------------------------------------------------------------

    async def _facility_for(self, facility_id: int, actor: Actor) -> tuple[Building, Facility]:
        """An active facility, for a volunteer of its building.

        Only a volunteer (not an owner above them) locks up: the role ladder of
        ``Community.require`` would let owners in, so this asks for the volunteer role itself.
        """
        facility = await self.repo.facility(facility_id)
        if facility is None or not facility.active:
            raise NotFound(N_("This facility no longer exists."))
        building = await self._building(facility.building_id)
        if not await self.community.buildings.is_volunteer(building.id, actor.user_id):
            raise NotAllowed(REFUSALS[Role.VOLUNTEER])
        return building, facility

    async def _view(self, lockup_id: int, actor: Actor) -> FacilityLockup:
        lockup = await self.repo.lockup(lockup_id)
        if lockup is None:
            raise NotFound(N_("This facility no longer exists."))
        building, facility = await self._facility_for(lockup.facility_id, actor)
        if lockup.status == "awaiting_note" and lockup.user_id != actor.user_id:
            raise Conflict(N_("Another volunteer has ticked everything and is writing the report."))
        last = await self._last_use(facility, date.fromisoformat(lockup.day))
        return FacilityLockup(building, facility, lockup, last)

    async def _name_of(self, user_id: int | None) -> str | None:
        """The display name of the volunteer who reported a lock-up."""
        if user_id is None:
            return None
        people = await self.roster.people_of([user_id])
        return people[0].display_name if people else None

    async def _building(self, building_id: int) -> Building:
        building = await self.community.buildings.by_id(building_id)
        if building is None:
            raise NotFound(N_("This facility no longer exists."))
        return building
