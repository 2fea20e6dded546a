"""The duty roster: weekly shifts, who is on duty, swaps, shift reminders and handovers.

Scheduled work is stored jobs. Each shift has its next reminder ("duty remind 12
2026-11-24") and its next handover ("duty handover 12 2026-11-24") materialised as a
job; a job that runs schedules the following week's in the same transaction. A daily
"roster plan" job (with a long grace) puts back any link of that chain that was lost,
for example a job recorded as missed while the bot was down for longer than the grace.
Job keys are unique, so planning twice never makes two jobs for one occurrence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.cards import LiveCards
from bot.clock import Clock
from bot.config import Settings
from bot.domain.core import Building, Job, User
from bot.domain.hours import credited_minutes
from bot.domain.roster import (
    PRESET_HOURS,
    Away,
    AwayResult,
    CalendarShift,
    Coverage,
    Digest,
    Duty,
    DutyCalendar,
    Note,
    NoteResult,
    Occurrence,
    OpenReason,
    OpenRequest,
    OpenShift,
    OpenShiftView,
    RosterAction,
    RosterShift,
    Shift,
    ShiftVolunteers,
    Swap,
    SwapCandidates,
    SwapChoice,
    SwapSummary,
    Week,
)
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.i18n import N_, Translator, translator
from bot.outbox import Outbox
from bot.scheduler import JobHandler, Scheduler
from bot.services.community import Actor, Community, Role
from bot.services.duty import UnfinishedRequests, WorkHours
from bot.services.people import People
from bot.services.points import PointsService
from bot.services.quiet import QuietHoursService
from bot.services.weektime import (
    WeeklySlot,
    first_day_after,
    local_date,
    local_moment,
    parse_clock,
    parse_days,
    parse_range,
    parse_weekday,
)
from bot.text import tidy
from bot.views import roster as views
from bot.views.common import OutMessage
from storage.db import Database, Transaction
from storage.events import EventRepository
from storage.lockups import LockupRepository
from storage.roster import RosterRepository
from storage.users import UserRepository

PLAN_MINUTE = 3 * 60  # the daily planning job runs at 03:00 local time
PLAN_GRACE = 365 * 24 * 3600  # it repairs the chains, so it runs however late it is
NOTE_LIMIT = 1000
LATE_NOTE_WINDOW = 12 * 3600  # a /handover note may still follow a shift this long after it
SWAP_WINDOW_DAYS = 14
MAX_SWAP_CHOICES = 12

REMIND = "duty remind"
HANDOVER = "duty handover"
PLAN = "roster plan"
OFFER = "duty offer"  # "duty offer 7 48": open shift 7 offered 48 hours ahead
OPEN_ALERT = "duty open alert"  # "duty open alert 7": still open, the owners hear
OPEN_CARD = "open_shift"  # the live card kind of an offer (ref "7:48": shift 7, round 48)
MAX_AWAY_DAYS = 180
COVERAGE_WEEKS = (1, 8)  # /coverage's default and longest span, in weeks
DIGEST = "duty digest"  # "duty digest 3 2026-12-06": building 3's digest of that Sunday
DIGEST_DEFAULT = (6, 19 * 60)  # Sunday 19:00
DIGEST_EVENTS = 10
CALENDAR_WEEKS = 8  # how far ahead /calendar's file reaches
REMOVED_HORIZON = 7 * 86400  # a volunteer taken off a shift leaves this week's seats open

ROSTER_USAGE = N_(
    "Write it like this:\n"
    "/roster add mon 18:00-22:00 @li @wang\n"
    "/roster remove mon 18:00-22:00\n"
    "/roster assign mon 18:00-22:00 @zhao\n"
    "/roster unassign mon 18:00-22:00 @li\n"
    "/roster announce on (or off): post handovers in the group\n"
    "/roster digest on sun 19:00 (or off): the weekly digest in the group\n"
    "From a date on: /roster from 2026-12-15 add mon 18:00-22:00 @li\n"
    "Weekdays only: /roster add weekdays 09:00-12:00 @zhao; "
    "alternate weeks: /roster add sat 09:00-12:00 @wang alternate"
)
ALTERNATE = frozenset({"alternate", "biweekly", "fortnightly", "隔周"})
WEEKDAYS_ONLY = frozenset({"weekdays", "workdays", "工作日"})
BAD_BUTTON = N_("This button is no longer valid.")
AWAY_USAGE = N_(
    "Write it like this: /away 2026-12-10 2026-12-20 visiting my daughter\n"
    "(the first and the last day away; the note is optional). /back ends it early."
)


@dataclass(frozen=True)
class RosterSlot(WeeklySlot):
    """A shift's weekly slot that occurs only from ``valid_from`` to ``valid_until``."""

    valid_from: date | None = None
    valid_until: date | None = None

    def on(self, day: date) -> bool:
        """Whether an occurrence starts on this local date."""
        if self.valid_from is not None and day < self.valid_from:
            return False
        if self.valid_until is not None and day > self.valid_until:
            return False
        return super().on(day)

    def next_day(
        self, after: float, tz: ZoneInfo, *, lead: float = 0.0, at_end: bool = False
    ) -> date:
        """The first day whose start (minus ``lead``), or end, is later than ``after``; for a
        shift that has ended, a day after its end (on which it does not occur)."""
        if self.valid_from is not None:
            after = max(after, local_moment(self.valid_from, 0, tz) - 2 * 86400)

        def moment(day: date) -> float | None:
            if not self.on(day):
                return None
            return self.ends_at(day, tz) if at_end else self.starts_at(day, tz) - lead

        found = first_day_after(after, moment, tz)
        if found is not None:
            return found
        return (self.valid_until or local_date(after, tz)) + timedelta(days=1)


def slot_of(shift: Shift) -> RosterSlot:
    """The weekly time range of a shift, with the dates it occurs between."""
    return RosterSlot(
        shift.weekday,
        shift.start_minute,
        shift.end_minute,
        date.fromisoformat(shift.valid_from) if shift.valid_from else None,
        date.fromisoformat(shift.valid_until) if shift.valid_until else None,
    )


def apply_swaps(assigned: Iterable[int], swaps: Iterable[Swap]) -> list[int]:
    """The volunteers of one occurrence: the weekly ones with that day's accepted swaps."""
    people = list(assigned)
    for swap in swaps:
        if swap.from_user in people and swap.to_user not in people:
            people[people.index(swap.from_user)] = swap.to_user
    return people


@dataclass(frozen=True)
class RosterCommand:
    """The compact text form: ``add mon 18:00-22:00 @li @wang``."""

    action: RosterAction
    weekday: int = 0
    start: int = 0
    end: int = 0
    usernames: tuple[str, ...] = ()
    switch: bool = False
    at: tuple[int, int] | None = None  # digest: its weekday and minute (None: off)
    weekdays: tuple[int, ...] = ()  # every weekday the command is for (``weekday``: the first)
    from_day: date | None = None  # the change holds from this date on
    every_weeks: int = 1  # 2: the volunteers are on it every other week


def parse_roster_command(text: str) -> RosterCommand:
    """Parse the text form of /roster; anything malformed is refused with the usage."""
    words = text.split()
    from_day = None
    if words and words[0].lower() == "from":
        from_day = parse_day(words[1]) if len(words) > 1 else None
        if from_day is None:
            raise InvalidInput(ROSTER_USAGE)
        words = words[2:]
    action = words[0].lower() if words else ""
    if from_day is not None and action not in ("add", "remove", "assign", "unassign"):
        raise InvalidInput(ROSTER_USAGE)
    if action == "announce" and len(words) == 2 and words[1].lower() in ("on", "off"):
        return RosterCommand("announce", switch=words[1].lower() == "on")
    if action == "digest":
        return parse_digest(words[1:])
    if action not in ("add", "remove", "assign", "unassign") or len(words) < 3:
        raise InvalidInput(ROSTER_USAGE)
    days = [0, 1, 2, 3, 4] if words[1].lower() in WEEKDAYS_ONLY else parse_days(words[1])
    rest = [word for word in words[2:] if word.lower() not in ALTERNATE]
    every = 2 if len(rest) < len(words) - 2 else 1
    usernames = tuple(word.lstrip("@") for word in rest if word.startswith("@"))
    times = parse_range("".join(word for word in rest if not word.startswith("@")))
    if not days or times is None:
        raise InvalidInput(ROSTER_USAGE)
    if action in ("assign", "unassign") and not usernames:
        raise InvalidInput(ROSTER_USAGE)
    if every == 2 and action not in ("add", "assign"):
        raise InvalidInput(ROSTER_USAGE)
    kind: RosterAction = action  # type: ignore[assignment]  # one of the four, checked above
    return RosterCommand(
        kind, days[0], times[0], times[1], usernames,
        weekdays=tuple(days), from_day=from_day, every_weeks=every,
    )


def parse_digest(words: list[str]) -> RosterCommand:
    """``on [sun 19:00]`` or ``off``."""
    switch = words[0].lower() if words else ""
    if switch == "off" and len(words) == 1:
        return RosterCommand("digest")
    if switch != "on" or len(words) not in (1, 3):
        raise InvalidInput(ROSTER_USAGE)
    weekday, minute = DIGEST_DEFAULT
    if len(words) == 3:
        day, clock = parse_weekday(words[1]), parse_clock(words[2])
        if day is None or clock is None:
            raise InvalidInput(ROSTER_USAGE)
        weekday, minute = day, clock
    return RosterCommand("digest", switch=True, at=(weekday, minute))


def parse_weeks(text: str) -> int:
    """/coverage's number of weeks: none for the default, else 1 to the longest."""
    default, longest = COVERAGE_WEEKS
    if not text.strip():
        return default
    word = text.strip()
    if not word.isascii() or not word.isdigit() or len(word) > 2:
        raise InvalidInput(N_("Write /coverage, or /coverage 4 for the next 4 weeks "
                              "(at most {weeks})."), weeks=longest)
    weeks = int(text.strip())
    if not 1 <= weeks <= longest:
        raise InvalidInput(N_("Write /coverage, or /coverage 4 for the next 4 weeks "
                              "(at most {weeks})."), weeks=longest)
    return weeks


def _overlap(spans: list[tuple[float, float]], start: float, end: float) -> float:
    """Seconds of [start, end) inside the spans."""
    return sum(max(0.0, min(end, until) - max(start, since)) for since, until in spans)


@dataclass(frozen=True)
class AwayCommand:
    """The text form of /away: ``[@name] 2026-12-10 2026-12-20 [note]``."""

    username: str | None
    first: date
    last: date
    note: str = ""


def parse_day(word: str) -> date | None:
    """A date written 2026-12-10; None if it is not one."""
    try:
        return date.fromisoformat(word) if len(word) == 10 else None
    except ValueError:
        return None


def parse_away_command(text: str) -> AwayCommand:
    """Parse /away's text; a single date is one day away. Malformed: the usage."""
    words = text.split()
    username = words.pop(0).lstrip("@") if words and words[0].startswith("@") else None
    first = parse_day(words[0]) if words else None
    if first is None:
        raise InvalidInput(AWAY_USAGE)
    last = parse_day(words[1]) if len(words) > 1 else None
    rest = words[2:] if last is not None else words[1:]
    return AwayCommand(username, first, last or first, " ".join(rest))


async def schedule_daily_plan(
    scheduler: Scheduler, tz: ZoneInfo, tx: Transaction, kind: str, after: float
) -> None:
    """The next daily planning job of ``kind`` at 03:00 local ("roster plan 2026-11-24").

    One a day, whoever asks for it: the key is the date. Its long grace makes it run
    however late the bot comes back, to repair the chains of jobs.
    """
    day = first_day_after(after, lambda d: local_moment(d, PLAN_MINUTE, tz), tz)
    assert day is not None
    due = local_moment(day, PLAN_MINUTE, tz)
    await scheduler.schedule(tx, kind, f"{kind} {day}", due, grace_seconds=PLAN_GRACE)


class RosterService:
    """The duty roster, who is on duty, swaps, reminders and handovers."""

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
        points: PointsService,
        requests: UnfinishedRequests,
        hours: WorkHours,
        cards: LiveCards,
        quiet: QuietHoursService | None = None,
    ) -> None:
        self.db = db
        self.quiet = quiet  # holds the weekly digest in quiet hours (not shift reminders)
        self.clock = clock
        self.config = config
        self.outbox = outbox
        self.scheduler = scheduler
        self.community = community
        self.people = people
        self.users = users
        self.points = points
        self.requests = requests
        self.hours = hours
        self.cards = cards
        self.repo = RosterRepository(db)
        cards.register(OPEN_CARD, self._render_offer, send_kind="open_shift",
                       edit_kind="open_shift_edit")

    @property
    def tz(self) -> ZoneInfo:
        """The community's time zone: every shift time is local to it."""
        return self.config.community.tz

    @property
    def remind_before(self) -> float:
        """Seconds between a shift reminder and the start of the shift."""
        return self.config.duty.remind_before_minutes * 60.0

    def jobs(self) -> dict[str, JobHandler]:
        """The job kinds of this feature, and what runs each."""
        return {
            REMIND: self._remind,
            HANDOVER: self._handover,
            PLAN: self._plan,
            OFFER: self._offer,
            OPEN_ALERT: self._open_alert,
            DIGEST: self._digest,
        }

    def today(self) -> date:
        """The community's local date now."""
        return datetime.fromtimestamp(self.clock.now(), self.tz).date()

    # --- the weekly roster -------------------------------------------------------------

    async def week(self, building: Building) -> list[RosterShift]:
        """The building's shifts in weekly order, each with its volunteers."""
        today = self.today().isoformat()
        return [
            RosterShift(shift, await self.people_of(await self.repo.assigned(shift.id, today)))
            for shift in await self.repo.shifts(building.id)
            if shift.valid_until is None or shift.valid_until >= today
        ]

    async def week_for(self, actor: Actor, building: Building) -> tuple[Week, Role]:
        """The week as a volunteer (or an owner) of the building sees it, and their role."""
        role = await self.community.require(actor, building, Role.VOLUNTEER)
        return await self._week(building), role

    async def managed(self, actor: Actor, building_id: int) -> Week:
        """The week of a building named by a button, for its owners only."""
        building = await self._building(building_id, BAD_BUTTON)
        await self.community.require(actor, building, Role.OWNER)
        return await self._week(building)

    async def shifts_to_pick(self, actor: Actor, building_id: int) -> Week:
        """The week, for an owner choosing one of its shifts; refused if it has none."""
        week = await self.managed(actor, building_id)
        if not week.shifts:
            raise NotFound(N_("No shifts yet."))
        return week

    async def shift_volunteers(self, actor: Actor, shift_id: int) -> ShiftVolunteers:
        """A shift with every volunteer of its building, for its owners."""
        building, shift = await self._managed_shift(actor, shift_id)
        volunteers = await self.community.buildings.volunteers(building.id)
        on_shift = frozenset(await self.repo.assigned(shift.id))
        return ShiftVolunteers(building, shift, [v.user for v in volunteers], on_shift)

    async def building_of_shift(self, shift_id: int) -> Building:
        """The building a shift (named by a button) belongs to."""
        shift = await self.repo.shift(shift_id)
        if shift is None:
            raise NotFound(N_("That shift no longer exists."))
        return await self._building(shift.building_id, N_("That shift no longer exists."))

    async def add_shift(
        self,
        actor: Actor,
        building: Building,
        weekday: int,
        start: int,
        end: int,
        volunteers: list[User],
        *,
        from_day: date | None = None,
        every_weeks: int = 1,
    ) -> Shift:
        """Add a shift (or take the existing one with these times) and put volunteers on it;
        from a date on (a new shift starts then), every week or every other week."""
        await self.community.require(actor, building, Role.OWNER)
        await self._require_volunteers(building, volunteers)
        now = self.clock.now()
        anchor = self._anchor(from_day, every_weeks)
        async with self.db.transaction() as tx:
            shift, created = await self.repo.add_shift(
                tx, building.id, weekday, start, end, actor.user_id, now
            )
            if created and from_day is not None:
                await self.repo.set_shift_dates(tx, shift.id, from_day.isoformat(), None)
                shift = shift.model_copy(update={"valid_from": from_day.isoformat()})
            elif shift.valid_until is not None:  # added again: it goes on
                await self.repo.set_shift_dates(tx, shift.id, shift.valid_from, None)
                shift = shift.model_copy(update={"valid_until": None})
                created = True
            for user in volunteers:
                await self.repo.assign(tx, shift.id, user.id, anchor, every_weeks)
            if created:
                await self._plan_shift(tx, shift, now)
                await self._schedule_plan(tx, now)
        return shift

    async def add_preset_shift(
        self, actor: Actor, building_id: int, weekday: int, start: int, end: int
    ) -> ShiftVolunteers:
        """Add a shift with hours chosen by a button (only the presets are offered)."""
        building = (await self.managed(actor, building_id)).building
        if not 0 <= weekday <= 6 or (start, end) not in PRESET_HOURS:
            raise InvalidInput(BAD_BUTTON)
        shift = await self.add_shift(actor, building, weekday, start, end, [])
        return await self.shift_volunteers(actor, shift.id)

    async def remove_shift(self, actor: Actor, building: Building, shift_id: int) -> Shift:
        """Remove a shift of the building and its coming jobs."""
        await self.community.require(actor, building, Role.OWNER)
        shift = await self.shift_of(building, shift_id)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            if not await self.repo.remove_shift(tx, shift.id):
                raise NotFound(N_("That shift no longer exists."))
            for key in self._next_keys(shift, now):
                await self.scheduler.cancel(tx, key)
        return shift

    async def toggle_volunteer(
        self,
        actor: Actor,
        building: Building,
        shift_id: int,
        user_id: int,
        on: bool | None = None,
    ) -> bool:
        """Put a volunteer on the shift, or take them off (``on``: which of the two, so that
        a press handled twice leaves it as pressed); True if they are on it now."""
        await self.community.require(actor, building, Role.OWNER)
        shift = await self.shift_of(building, shift_id)
        async with self.db.transaction() as tx:
            if on is not True and user_id in await self.repo.assigned(shift.id):
                await self._open_removed_seats(tx, building, shift, user_id)
                await self.repo.unassign(tx, shift.id, user_id)
                return False
            if on is False:
                return False
            if not await self.community.buildings.is_volunteer(building.id, user_id):
                raise NotFound(N_("That person is not a volunteer of this building."))
            await self.repo.assign(tx, shift.id, user_id)
        return True

    async def run_command(self, actor: Actor, building: Building, command: RosterCommand) -> None:
        """Carry out the text form of /roster, for an owner of the building."""
        await self.community.require(actor, building, Role.OWNER)
        if command.action == "announce":
            await self.set_handover_in_group(actor, building, command.switch)
            return
        if command.action == "digest":
            await self.set_digest(actor, building, command.at)
            return
        if command.from_day is not None and command.from_day < self.today():
            raise InvalidInput(N_("That date is in the past: a change holds from today on."))
        people = [await self.community.find_person(name) for name in command.usernames]
        await self._require_volunteers(building, people)
        shifts = []
        if command.action != "add":  # every named shift must exist before anything changes
            for weekday in command.weekdays or (command.weekday,):
                shifts.append(await self._shift_at(building, weekday, command))
        for weekday in command.weekdays or (command.weekday,):
            if command.action == "add":
                await self.add_shift(
                    actor, building, weekday, command.start, command.end, people,
                    from_day=command.from_day, every_weeks=command.every_weeks,
                )
        for shift in shifts:
            await self._change_shift(actor, building, shift, command, people)

    async def _change_shift(
        self,
        actor: Actor,
        building: Building,
        shift: Shift,
        command: RosterCommand,
        people: list[User],
    ) -> None:
        """remove, assign or unassign one shift, now or from ``command.from_day``."""
        since = command.from_day
        if command.action == "remove" and since is None:
            await self.remove_shift(actor, building, shift.id)
            return
        async with self.db.transaction() as tx:
            if command.action == "remove" and since is not None:
                last = (since - timedelta(days=1)).isoformat()
                await self.repo.set_shift_dates(tx, shift.id, shift.valid_from, last)
                return
            for user in people:
                if command.action == "assign":
                    await self.repo.assign(
                        tx, shift.id, user.id, self._anchor(since, command.every_weeks),
                        command.every_weeks,
                    )
                elif since is not None:
                    last = (since - timedelta(days=1)).isoformat()
                    await self.repo.unassign_from(tx, shift.id, user.id, last)
                elif user.id in await self.repo.assigned(shift.id):
                    await self._open_removed_seats(tx, building, shift, user.id)
                    await self.repo.unassign(tx, shift.id, user.id)

    def _anchor(self, since: date | None, every_weeks: int) -> str | None:
        """From when an assignment holds: the date asked, or today for alternate weeks (the
        week they count from)."""
        if since is not None:
            return since.isoformat()
        return self.today().isoformat() if every_weeks > 1 else None

    async def shift_of(self, building: Building, shift_id: int) -> Shift:
        """A shift of this building (a button may name a shift that is gone or elsewhere)."""
        shift = await self.repo.shift(shift_id)
        if shift is None or shift.building_id != building.id:
            raise NotFound(N_("That shift no longer exists."))
        return shift

    async def handover_in_group(self, building: Building) -> bool:
        """Whether handovers are announced in the building's group."""
        return await self.repo.handover_in_group(building.id)

    async def set_handover_in_group(self, actor: Actor, building: Building, on: bool) -> None:
        """Turn the "duty passes from A to B" message in the group on or off (owners)."""
        await self.community.require(actor, building, Role.OWNER)
        async with self.db.transaction() as tx:
            await self.repo.set_handover_in_group(tx, building.id, on)

    # --- who is on duty ----------------------------------------------------------------

    async def occurrence(self, shift: Shift, day: date) -> Occurrence:
        """One date of a shift, with that date's volunteers."""
        slot = slot_of(shift)
        assigned = [a.user_id for a in await self.repo.assignments(shift.id) if a.on(day)]
        swaps = await self.repo.accepted_swaps(shift.id, day.isoformat())
        people = apply_swaps(assigned, swaps)
        covering: list[tuple[int, int]] = []
        open_seats = 0
        for seat in await self.repo.open_shifts_of(shift.id, day.isoformat()):
            if seat.user_id in people:
                people.remove(seat.user_id)
            if seat.status == "taken" and seat.taken_by is not None:
                if seat.taken_by not in people:
                    people.append(seat.taken_by)
                covering.append((seat.taken_by, seat.user_id))
            else:
                open_seats += 1
        away = await self.repo.away_on(day.isoformat())
        return Occurrence(
            shift,
            day,
            slot.starts_at(day, self.tz),
            slot.ends_at(day, self.tz),
            tuple(p for p in people if p not in away),
            tuple(pair for pair in covering if pair[0] not in away),
            open_seats,
        )

    async def occurrences_at(self, building_id: int, at: float) -> list[Occurrence]:
        """The occurrences under way at a moment, earliest start first."""
        found = [
            await self.occurrence(shift, day)
            for shift in await self.repo.shifts(building_id)
            for day in slot_of(shift).covering(at, self.tz)
        ]
        return sorted(found, key=lambda occurrence: occurrence.starts_at)

    async def next_occurrences(self, building_id: int, after: float) -> list[Occurrence]:
        """The occurrences that start first after a moment (several if they start together)."""
        starts = [
            (slot_of(shift).next_day(after, self.tz), shift)
            for shift in await self.repo.shifts(building_id)
        ]
        moments = [
            (slot_of(shift).starts_at(day, self.tz), shift, day)
            for day, shift in starts
            if slot_of(shift).on(day)
        ]
        if not moments:
            return []
        first = min(moment for moment, _shift, _day in moments)
        return [
            await self.occurrence(shift, day)
            for moment, shift, day in moments
            if moment == first
        ]

    async def on_duty(self, building_id: int, at: float) -> list[int]:
        """The user ids of the volunteers on duty in a building at a moment (swaps applied).

        An empty list when nobody is: the caller decides the fallback.
        """
        people: dict[int, None] = {}
        for occurrence in await self.occurrences_at(building_id, at):
            people.update(dict.fromkeys(occurrence.volunteer_ids))
        away = await self.repo.away_on(datetime.fromtimestamp(at, self.tz).date().isoformat())
        return [user_id for user_id in people if user_id not in away]

    async def duty(self, building: Building) -> Duty:
        """Who is on duty now and who is next, with their names."""
        now = self.clock.now()
        current = await self.occurrences_at(building.id, now)
        coming = await self.next_occurrences(building.id, now)
        ids = dict.fromkeys(u for o in [*current, *coming] for u in o.volunteer_ids)
        ids.update(dict.fromkeys(gone for o in [*current, *coming] for _u, gone in o.covering))
        people = {user.id: user for user in await self.people_of(ids)}
        return Duty(building, current, coming, people)

    # --- swaps -------------------------------------------------------------------------

    async def coming_shifts(self, actor: Actor) -> list[SwapChoice]:
        """The volunteer's shifts of the next two weeks that have not started, soonest first;
        refused if there are none."""
        now = self.clock.now()
        until = now + SWAP_WINDOW_DAYS * 86400
        found = []
        for building in await self.community.buildings.volunteering(actor.user_id):
            for shift in await self.repo.shifts(building.id):
                for day in slot_of(shift).starting_between(now, until, self.tz):
                    occurrence = await self.occurrence(shift, day)
                    if actor.user_id in occurrence.volunteer_ids:
                        found.append(SwapChoice(building, occurrence))
        if not found:
            raise NotFound(N_("You have no shifts in the next two weeks."))
        found.sort(key=lambda choice: choice.occurrence.starts_at)
        return found[:MAX_SWAP_CHOICES]

    async def swap_candidates(self, actor: Actor, shift_id: int, day: date) -> SwapCandidates:
        """The volunteers who could take one of the actor's coming shifts."""
        building, occurrence = await self._own_coming(actor, shift_id, day)
        volunteers = await self.community.buildings.volunteers(building.id)
        others = [v.user for v in volunteers if v.user.id not in occurrence.volunteer_ids]
        if not others:
            raise NotFound(
                N_("There is no other volunteer in {building} to swap with."),
                building=building.name,
            )
        return SwapCandidates(building, occurrence, others)

    async def offer_swap(self, actor: Actor, shift_id: int, day: date, to_user: int) -> Swap:
        """Offer one of the actor's coming shifts to another volunteer; they are asked with
        buttons."""
        candidates = await self.swap_candidates(actor, shift_id, day)
        if not any(user.id == to_user for user in candidates.others):
            raise InvalidInput(
                N_("That person cannot take this shift: they are not a volunteer of {building} "
                   "or are on it already."),
                building=candidates.building.name,
            )
        async with self.db.transaction() as tx:
            swap = await self.repo.offer_swap(
                tx, shift_id, day.isoformat(), actor.user_id, to_user, self.clock.now()
            )
            summary = await self._summary(swap, candidates.building, candidates.occurrence)
            t = await self.translator_for(swap.to_user)
            await self.outbox.queue_message(
                tx, swap.to_user, views.swap_offer(t, summary), kind="swap_offer",
                ref=f"swap:{swap.id}",
            )
        return swap

    async def answer_swap(self, actor: Actor, swap_id: int, accept: bool) -> Swap:
        """The asked volunteer accepts or declines; only an accepted swap changes that date."""
        swap = await self.repo.swap(swap_id)
        if swap is None or swap.to_user != actor.user_id:
            raise NotAllowed(N_("This offer was made to someone else."))
        shift = await self.repo.shift(swap.shift_id)
        if shift is None:
            raise NotFound(N_("That shift no longer exists."))
        building = await self._building(shift.building_id)
        await self.community.require(actor, building, Role.VOLUNTEER)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            # Read inside the transaction: another accepted swap of this date cannot slip in.
            occurrence = await self.occurrence(shift, date.fromisoformat(swap.day))
            if accept:
                self._check_swap_still_possible(swap, occurrence)
            status = "accepted" if accept else "declined"
            if not await self.repo.decide_swap(tx, swap.id, actor.user_id, status, now):
                raise Conflict(N_("This offer was already answered or withdrawn."))
            summary = await self._summary(swap, building, occurrence)
            await self._tell_swap_answer(tx, summary, accept)
        decided = await self.repo.swap(swap.id)
        assert decided is not None
        return decided

    async def swap_summary(self, swap: Swap) -> SwapSummary:
        """A swap with its building, its date's occurrence and both volunteers."""
        shift = await self.repo.shift(swap.shift_id)
        if shift is None:
            raise NotFound(N_("That shift no longer exists."))
        occurrence = await self.occurrence(shift, date.fromisoformat(swap.day))
        return await self._summary(swap, await self._building(shift.building_id), occurrence)

    async def _summary(
        self, swap: Swap, building: Building, occurrence: Occurrence
    ) -> SwapSummary:
        giver, taker = await self.users.get(swap.from_user), await self.users.get(swap.to_user)
        return SwapSummary(swap, building, occurrence, giver, taker)

    # --- aways and open shifts ---------------------------------------------------------

    async def set_away(
        self, actor: Actor, user: User, first: date, last: date, note: str = ""
    ) -> AwayResult:
        """A volunteer is away from ``first`` to ``last`` (local dates, inclusive): routing
        skips them and their shifts of the period are offered to the others. Owners may set
        it for a volunteer of their building."""
        buildings = await self._away_buildings(actor, user)
        today = self.today()
        if last < first:
            raise InvalidInput(N_("The away period ends before it starts."))
        if first < today:
            raise InvalidInput(
                N_("That period is in the past: the first day away is today or later.")
            )
        if (last - first).days >= MAX_AWAY_DAYS:
            raise InvalidInput(N_("An away period is at most {days} days."), days=MAX_AWAY_DAYS)
        note = tidy(note)[:NOTE_LIMIT]
        now = self.clock.now()
        async with self.db.transaction() as tx:
            mine = await self._own_occurrences(buildings, user.id, first, last)
            away = await self.repo.add_away(
                tx, user.id, first.isoformat(), last.isoformat(), note, actor.user_id, now
            )
            for building, occurrence in mine:
                await self._open_seat(tx, building, occurrence, user.id, "away")
        return AwayResult(away, user, [occurrence for _building, occurrence in mine])

    async def come_back(self, actor: Actor, user: User) -> int:
        """End a volunteer's aways early; their seats nobody took yet are theirs again.
        Returns how many open shifts were withdrawn."""
        await self._away_buildings(actor, user)
        today = self.today()
        now = self.clock.now()
        withdrawn = 0
        async with self.db.transaction() as tx:
            changed = await self.repo.end_aways(
                tx, user.id, today.isoformat(), (today - timedelta(days=1)).isoformat()
            )
            for seat in await self.repo.open_seats_of(user.id, today.isoformat()):
                shift = await self.repo.shift(seat.shift_id)
                if shift is None or seat.reason == "removed":
                    continue
                occurrence = await self.occurrence(shift, date.fromisoformat(seat.day))
                if occurrence.starts_at > now and await self.repo.cancel_open_shift(tx, seat.id):
                    withdrawn += 1
                    await self._touch_offer(tx, seat.id)
            if not changed and not withdrawn:
                raise NotFound(N_("{name} is not away."), name=user.display_name)
        return withdrawn

    async def aways_of(self, user_id: int) -> list[Away]:
        """A volunteer's periods away from today on."""
        return await self.repo.aways(user_id, self.today().isoformat())

    async def cant_make_it(self, actor: Actor, shift_id: int, day: date) -> OpenShiftView:
        """A volunteer cannot come to one of their coming shifts: it is offered to the others."""
        mine = [
            seat
            for seat in await self.repo.open_shifts_of(shift_id, day.isoformat())
            if seat.user_id == actor.user_id
        ]
        if not mine:  # a press handled twice finds the seat it opened
            building, occurrence = await self._own_coming(actor, shift_id, day)
            async with self.db.transaction() as tx:
                await self._open_seat(tx, building, occurrence, actor.user_id, "cant")
            return await self.cant_make_it(actor, shift_id, day)
        return await self.open_shift_view(mine[0])

    async def take_open_shift(self, actor: Actor, open_id: int) -> OpenShiftView:
        """The first volunteer to press "Take this shift" gets it (one conditional update);
        every offer card then says who took it, and the owners are told."""
        seat = await self.repo.open_shift(open_id)
        if seat is None:
            raise NotFound(BAD_BUTTON)
        shown = await self.open_shift_view(seat)
        await self.community.require(actor, shown.building, Role.VOLUNTEER)
        if not await self.community.buildings.is_volunteer(shown.building.id, actor.user_id):
            raise NotAllowed(N_("Only the volunteers of {building} can take its shifts."),
                             building=shown.building.name)
        self._check_takeable(actor, shown)
        async with self.db.transaction() as tx:
            if not await self.repo.take_open_shift(tx, open_id, actor.user_id, self.clock.now()):
                raced = await self.repo.open_shift(open_id)
                assert raced is not None
                self._check_takeable(actor, await self.open_shift_view(raced))
                raise Conflict(N_("This shift is no longer open."))
            await self._touch_offer(tx, open_id)
            taken = await self.open_shift_view(await self._seat(open_id))
            for owner in await self.owner_ids(taken.building):
                t = await self.translator_for(owner)
                await self.outbox.queue_message(
                    tx, owner, views.open_shift_taken(t, taken), kind="open_shift_owner",
                    dedupe_key=f"open {open_id} taken {owner}",
                )
        return taken

    async def open_shift_view(self, seat: OpenShift) -> OpenShiftView:
        """An open shift with its building, its occurrence and the people it names."""
        shift = await self.repo.shift(seat.shift_id)
        if shift is None:
            raise NotFound(N_("That shift no longer exists."))
        building = await self._building(shift.building_id)
        occurrence = await self.occurrence(shift, date.fromisoformat(seat.day))
        vacated = await self.users.get(seat.user_id)
        taker = await self.users.get(seat.taken_by) if seat.taken_by is not None else None
        started = occurrence.starts_at <= self.clock.now()
        return OpenShiftView(seat, building, occurrence, vacated, taker, started)

    def _check_takeable(self, actor: Actor, shown: OpenShiftView) -> None:
        """Refuse a take that cannot stand, saying why."""
        seat = shown.open_shift
        if seat.status == "taken":
            name = shown.taker.display_name if shown.taker else "?"
            raise Conflict(N_("{name} already took this shift."), name=name)
        if seat.status == "cancelled":
            raise Conflict(N_("This shift is no longer open: its volunteer is back."))
        if shown.started:
            raise Conflict(N_("This shift has already started."))
        if actor.user_id == seat.user_id:
            raise Conflict(N_("This is the shift you gave up; /back if you can make it."))
        if actor.user_id in shown.occurrence.volunteer_ids:
            raise Conflict(N_("You are on this shift already."))

    async def _seat(self, open_id: int) -> OpenShift:
        seat = await self.repo.open_shift(open_id)
        if seat is None:
            raise NotFound(BAD_BUTTON)
        return seat

    async def _away_buildings(self, actor: Actor, user: User) -> list[Building]:
        """The buildings the volunteer serves; someone else must own one of them."""
        buildings = await self.community.buildings.volunteering(user.id)
        if not buildings:
            raise NotFound(
                N_("{name} is not a volunteer of any building."), name=user.display_name
            )
        if actor.user_id != user.id:
            refusal: NotAllowed | None = None
            for building in buildings:
                try:
                    await self.community.require(actor, building, Role.OWNER)
                    return buildings
                except NotAllowed as error:
                    refusal = error
            assert refusal is not None
            raise refusal
        return buildings

    async def _own_occurrences(
        self, buildings: list[Building], user_id: int, first: date, last: date
    ) -> list[tuple[Building, Occurrence]]:
        """The volunteer's occurrences starting on the dates from ``first`` to ``last`` that
        have not started yet."""
        now = self.clock.now()
        found = []
        for building in buildings:
            for shift in await self.repo.shifts(building.id):
                slot = slot_of(shift)
                day = first
                while day <= last:
                    if slot.on(day):
                        occurrence = await self.occurrence(shift, day)
                        if user_id in occurrence.volunteer_ids and occurrence.starts_at > now:
                            found.append((building, occurrence))
                    day += timedelta(days=1)
        found.sort(key=lambda pair: pair[1].starts_at)
        return found

    async def _open_seat(
        self,
        tx: Transaction,
        building: Building,
        occurrence: Occurrence,
        user_id: int,
        reason: OpenReason,
    ) -> None:
        """Open a volunteer's seat of a coming occurrence and plan its offers and alert."""
        seat = await self.repo.open_seat(
            tx, occurrence.shift.id, occurrence.day.isoformat(), user_id, reason,
            self.clock.now(),
        )
        if seat is None:
            return
        now, start = self.clock.now(), occurrence.starts_at
        rounds = sorted(set(self.config.duty.offer_hours), reverse=True)
        late = [hours for hours in rounds if start - hours * 3600 <= now]
        for hours in rounds:
            due = start - hours * 3600
            if due > now or (late and hours == late[-1]):
                await self.scheduler.schedule(
                    tx, OFFER, f"{OFFER} {seat.id} {hours}", max(due, now),
                    {"open": seat.id, "round": hours},
                )
        alert = max(now, start - self.config.duty.open_alert_hours * 3600)
        await self.scheduler.schedule(
            tx, OPEN_ALERT, f"{OPEN_ALERT} {seat.id}", alert, {"open": seat.id}
        )

    async def _offer(self, tx: Transaction, job: Job) -> None:
        """One round of offers: every other volunteer of the building gets the card."""
        seat = await self.repo.open_shift(job.data["open"])
        if seat is None or seat.status != "open":
            return
        shown = await self.open_shift_view(seat)
        if shown.started:
            return
        away = await self.repo.away_on(seat.day)
        taken = set(shown.occurrence.volunteer_ids) | away | {seat.user_id}
        for volunteer in await self.community.buildings.volunteers(shown.building.id):
            if volunteer.user.id in taken:
                continue
            await self.cards.send(
                tx, OPEN_CARD, f"{seat.id}:{job.data['round']}", volunteer.user.id,
                dedupe_key=f"{job.key} {volunteer.user.id}",
            )

    async def _open_alert(self, tx: Transaction, job: Job) -> None:
        """Shortly before the shift, still open: the owners hear of it."""
        seat = await self.repo.open_shift(job.data["open"])
        if seat is None or seat.status != "open":
            return
        shown = await self.open_shift_view(seat)
        if shown.started:
            return
        for owner in await self.owner_ids(shown.building):
            t = await self.translator_for(owner)
            await self.outbox.queue_message(
                tx, owner, views.open_shift_alert(t, shown), kind="open_shift_owner",
                dedupe_key=f"{job.key} {owner}",
            )

    async def _touch_offer(self, tx: Transaction, open_id: int) -> None:
        """Every offer card of this open shift, of every round, shows its state now."""
        for hours in sorted(set(self.config.duty.offer_hours)):
            await self.cards.touch(tx, OPEN_CARD, f"{open_id}:{hours}")

    async def _render_offer(self, tx: Transaction, ref: str, chat_id: int) -> OutMessage | None:
        """The live card's render: open shift ``ref`` as the volunteer in ``chat_id`` sees it."""
        seat = await self.repo.open_shift(int(ref.split(":")[0]))
        if seat is None:
            return None
        t = await self.translator_for(chat_id)
        return views.open_shift_card(t, await self.open_shift_view(seat), chat_id)

    async def _open_removed_seats(
        self, tx: Transaction, building: Building, shift: Shift, user_id: int
    ) -> None:
        """A volunteer taken off a shift: the coming week's occurrences they were on are
        offered (later weeks are the owners' to staff, /coverage shows them)."""
        now = self.clock.now()
        for day in slot_of(shift).starting_between(now, now + REMOVED_HORIZON, self.tz):
            occurrence = await self.occurrence(shift, day)
            if user_id in occurrence.volunteer_ids:
                await self._open_seat(tx, building, occurrence, user_id, "removed")

    # --- coverage gaps -----------------------------------------------------------------

    async def coverage(self, actor: Actor, place: int | None, weeks_text: str) -> list[Coverage]:
        """The coming weeks' hours with nobody on duty, for each building the actor owns
        (here, in a group), from tomorrow on."""
        weeks = parse_weeks(weeks_text)
        buildings = await self.community.scope(actor, place, Role.OWNER)
        if not buildings:
            raise NotAllowed(N_("Only owners see the coverage gaps: the group's admins."))
        first = local_date(self.clock.now(), self.tz) + timedelta(days=1)
        return [await self.coverage_of(building, first, weeks * 7) for building in buildings]

    async def coverage_of(self, building: Building, first: date, days: int) -> Coverage:
        """One building's coverage of ``days`` local days from ``first``."""
        dates = [first + timedelta(days=n) for n in range(days)]
        start = local_moment(first, 0, self.tz)
        end = local_moment(first + timedelta(days=days), 0, self.tz)
        covered = await self._covered(building.id, start, end)
        gaps, at = [], start
        for since, until in covered:
            if since > at:
                gaps.append((at, since))
            at = max(at, until)
        if at < end:
            gaps.append((at, end))
        grid = []
        for day in dates:
            hours = []
            for hour in range(24):
                cell = local_moment(day, hour * 60, self.tz)
                hours.append(_overlap(covered, cell, cell + 3600) / 3600)
            grid.append(hours)
        return Coverage(building, dates, grid, gaps)

    async def _covered(
        self, building_id: int, start: float, end: float
    ) -> list[tuple[float, float]]:
        """The merged intervals of [start, end) with someone on duty."""
        spans = []
        for shift in await self.repo.shifts(building_id):
            for day in slot_of(shift).starting_between(start - 86400, end, self.tz):
                occurrence = await self.occurrence(shift, day)
                if occurrence.volunteer_ids:
                    since, until = max(start, occurrence.starts_at), min(end, occurrence.ends_at)
                    if since < until:
                        spans.append((since, until))
        merged: list[tuple[float, float]] = []
        for since, until in sorted(spans):
            if merged and since <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], until))
            else:
                merged.append((since, until))
        return merged

    # --- the weekly digest -------------------------------------------------------------

    async def set_digest(
        self, actor: Actor, building: Building, at: tuple[int, int] | None
    ) -> None:
        """Turn the group's weekly digest on at a local weekday and time, or off (owners)."""
        await self.community.require(actor, building, Role.OWNER)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            before = await self.repo.digest_at(building.id)
            if before is not None:
                await self.scheduler.cancel(tx, self._digest_key(building.id, before, now))
            await self.repo.set_digest(tx, building.id, at)
            if at is not None:
                await self._schedule_digest(tx, building.id, at, now)
                await self._schedule_plan(tx, now)

    async def digest(self, building: Building) -> Digest:
        """The coming seven days of a building, from tomorrow, for its group."""
        now = self.clock.now()
        first = local_date(now, self.tz) + timedelta(days=1)
        days = [first + timedelta(days=n) for n in range(7)]
        shifts = await self.repo.shifts(building.id)
        week = [
            (day, [await self.occurrence(s, day) for s in shifts if slot_of(s).on(day)])
            for day in days
        ]
        ids = dict.fromkeys(u for _day, found in week for o in found for u in o.volunteer_ids)
        people = {user.id: user for user in await self.people_of(ids)}
        until = local_moment(days[-1] + timedelta(days=1), 0, self.tz)
        events = [
            summary
            for summary in await EventRepository(self.db).coming([building.id], now, DIGEST_EVENTS)
            if summary.event.starts_at < until
        ]
        facilities = await LockupRepository(self.db).facilities(building.id)
        requests = len(await self.requests.unfinished(building.id))
        gaps = (await self.coverage_of(building, first, 7)).gap_hours
        return Digest(building, week, people, requests, events, facilities, gaps)

    async def _digest(self, tx: Transaction, job: Job) -> None:
        """Post the weekly digest in the group, and plan next week's (if it is still on)."""
        building = await self.community.buildings.by_id(job.data["building"])
        if building is None:
            return
        at = await self.repo.digest_at(building.id)
        if at is None or at != (job.data["weekday"], job.data["minute"]):
            return  # turned off, or moved: the job of the new time posts it
        t = await self.translator_for(building.chat_id)
        message = views.digest(t, await self.digest(building), self.tz)
        if self.quiet is not None:
            await self.quiet.post(tx, building.id, building.chat_id, message,
                                  kind="duty_digest", dedupe_key=job.key)
        else:
            await self.outbox.queue_message(tx, building.chat_id, message, kind="duty_digest",
                                            dedupe_key=job.key)
        await self._schedule_digest(tx, building.id, at, job.due_at)

    def _digest_key(self, building_id: int, at: tuple[int, int], after: float) -> str:
        """The key of a building's next digest job after a moment."""
        return f"{DIGEST} {building_id} {self._digest_day(at, after)}"

    def _digest_day(self, at: tuple[int, int], after: float) -> date:
        weekday, minute = at
        day = first_day_after(
            after,
            lambda d: local_moment(d, minute, self.tz) if d.weekday() == weekday else None,
            self.tz,
        )
        assert day is not None
        return day

    async def _schedule_digest(
        self, tx: Transaction, building_id: int, at: tuple[int, int], after: float
    ) -> None:
        day = self._digest_day(at, after)
        await self.scheduler.schedule(
            tx, DIGEST, f"{DIGEST} {building_id} {day}", local_moment(day, at[1], self.tz),
            {"building": building_id, "weekday": at[0], "minute": at[1]},
        )

    # --- calendar files ----------------------------------------------------------------

    async def calendar(self, actor: Actor) -> DutyCalendar:
        """The person's coming shifts and the events they signed up for; an owner gets the
        whole rota of their buildings. Refused when nothing is coming."""
        now = self.clock.now()
        until = now + CALENDAR_WEEKS * 7 * 86400
        owned = await self.community.scope(actor, None, Role.OWNER)
        whole = bool(owned)
        buildings = owned or await self.community.buildings.volunteering(actor.user_id)
        shifts = []
        for building in buildings:
            for shift in await self.repo.shifts(building.id):
                for day in slot_of(shift).starting_between(now, until, self.tz):
                    occurrence = await self.occurrence(shift, day)
                    if whole or actor.user_id in occurrence.volunteer_ids:
                        people = await self.people_of(occurrence.volunteer_ids)
                        names = [person.display_name for person in people]
                        shifts.append(CalendarShift(building, occurrence, names))
        shifts.sort(key=lambda item: item.occurrence.starts_at)
        events = await self.repo.signed_up_events(actor.user_id, now)
        if not shifts and not events:
            raise NotFound(
                N_("Nothing is coming: no shifts of yours in the next {weeks} weeks and no "
                   "events you signed up for."),
                weeks=CALENDAR_WEEKS,
            )
        return DutyCalendar(shifts, events, whole)

    # --- handover notes ----------------------------------------------------------------

    async def write_note(self, actor: Actor, note: str) -> NoteResult:
        """Keep a /handover note for the end of the volunteer's shift, or send it on."""
        note = tidy(note)
        if not note:
            raise InvalidInput(
                N_("Write the note after the command, for example: "
                   "/handover the tap in flat 302 is fixed, key is with the guard")
            )
        if len(note) > NOTE_LIMIT:
            raise InvalidInput(
                N_("The note is too long: at most {limit} characters."), limit=NOTE_LIMIT
            )
        occurrence = await self._note_occurrence(actor.user_id)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            day = occurrence.day.isoformat()
            await self.repo.save_note(tx, occurrence.shift.id, day, actor.user_id, note, now)
            handover = await self.repo.handover(occurrence.shift.id, day)
            if handover is None:
                return NoteResult(occurrence, False, [])
            await self._pass_notes(tx, occurrence, handover.incoming_ids)
        return NoteResult(occurrence, True, await self.people_of(handover.incoming_ids))

    # --- scheduled work ----------------------------------------------------------------

    async def _remind(self, tx: Transaction, job: Job) -> None:
        """A volunteer's shift starts soon: tell them, and plan next week's reminder."""
        shift = await self.repo.shift(job.data["shift"])
        if shift is None:
            return
        occurrence = await self.occurrence(shift, date.fromisoformat(job.data["day"]))
        building = await self._building(shift.building_id)
        for user_id in occurrence.volunteer_ids:
            t = await self.translator_for(user_id)
            await self.outbox.queue_message(
                tx, user_id, views.duty_reminder(t, building, occurrence), kind="duty_reminder",
                dedupe_key=f"{job.key} {user_id}",
            )
        await self._schedule_reminder(tx, shift, job.due_at)

    async def _handover(self, tx: Transaction, job: Job) -> None:
        """A shift ends: hand over to the next volunteers, and plan next week's handover."""
        shift = await self.repo.shift(job.data["shift"])
        if shift is None:
            return
        outgoing = await self.occurrence(shift, date.fromisoformat(job.data["day"]))
        incoming = await self.next_occurrences(shift.building_id, outgoing.ends_at - 1)
        incoming_ids = list(dict.fromkeys(u for o in incoming for u in o.volunteer_ids))
        taking_over = [u for u in incoming_ids if u not in outgoing.volunteer_ids]
        day, now = outgoing.day.isoformat(), self.clock.now()
        if await self.repo.record_handover(tx, shift.id, day, taking_over, now):
            building = await self._building(shift.building_id)
            if taking_over:
                await self._hand_over(tx, job, building, outgoing, incoming, taking_over)
            if outgoing.volunteer_ids and incoming_ids and set(incoming_ids) != set(
                outgoing.volunteer_ids
            ):
                await self._announce_handover(tx, job, building, outgoing, incoming_ids)
            await self._on_shift_served(tx, building, outgoing)
        await self._schedule_handover(tx, shift, job.due_at)

    async def _plan(self, tx: Transaction, job: Job) -> None:
        """Daily: make sure every shift has its next reminder and handover, and plan tomorrow."""
        now = self.clock.now()
        for shift in await self.repo.shifts():
            await self._plan_shift(tx, shift, now)
        for building_id, weekday, minute in await self.repo.digests():
            await self._schedule_digest(tx, building_id, (weekday, minute), now)
        await self._schedule_plan(tx, now)

    async def _on_shift_served(
        self, tx: Transaction, building: Building, occurrence: Occurrence
    ) -> None:
        """A shift occurrence ended and was handed over: each volunteer on it earns points,
        and service hours for its length rounded by the hours' rule (``hours.count_shifts``).

        Called once for each occurrence, inside the handover job's transaction; the
        ledgers' source key (shift, date, volunteer) makes sure it pays once.
        """
        amount = self.config.points.shift_served
        day = occurrence.day.isoformat()
        rule = self.config.hours
        length = occurrence.ends_at - occurrence.starts_at
        minutes = credited_minutes(length, rule.step_minutes, rule.minimum_minutes,
                                   round(length / 60))
        content = views.shift_hours_content(translator(self.config.community.language),
                                            building, occurrence)
        for user_id in occurrence.volunteer_ids:
            source = f"shift:{occurrence.shift.id}:{day}:{user_id}"
            await self.points.award_in(tx, user_id, amount, "shift_served", source, None)
            await self.hours.record_work_in(tx, user_id, "shift", minutes, content,
                                            occurrence.starts_at, source, building.id)

    async def _open_requests(self, building_id: int) -> list[OpenRequest]:
        """The requests still open or claimed in the building, for a handover."""
        return [
            OpenRequest(line.id, line.text, line.claimer_name)
            for line in await self.requests.unfinished(building_id)
        ]

    # --- planning ----------------------------------------------------------------------

    async def _plan_shift(self, tx: Transaction, shift: Shift, after: float) -> None:
        """Materialise the next reminder and the next handover of a shift."""
        await self._schedule_reminder(tx, shift, after)
        await self._schedule_handover(tx, shift, after)

    async def _schedule_reminder(self, tx: Transaction, shift: Shift, after: float) -> None:
        slot = slot_of(shift)
        day = slot.next_day(after, self.tz, lead=self.remind_before)
        if not slot.on(day):
            return  # the shift has ended
        due = slot.starts_at(day, self.tz) - self.remind_before
        await self.scheduler.schedule(
            tx, REMIND, f"{REMIND} {shift.id} {day}", due, {"shift": shift.id, "day": str(day)}
        )

    async def _schedule_handover(self, tx: Transaction, shift: Shift, after: float) -> None:
        slot = slot_of(shift)
        day = slot.next_day(after, self.tz, at_end=True)
        if not slot.on(day):
            return  # the shift has ended
        await self.scheduler.schedule(
            tx,
            HANDOVER,
            f"{HANDOVER} {shift.id} {day}",
            slot.ends_at(day, self.tz),
            {"shift": shift.id, "day": str(day)},
        )

    async def _schedule_plan(self, tx: Transaction, after: float) -> None:
        await schedule_daily_plan(self.scheduler, self.config.community.tz, tx, PLAN, after)

    def _next_keys(self, shift: Shift, after: float) -> list[str]:
        """The keys of a shift's next reminder and handover jobs."""
        slot = slot_of(shift)
        remind = slot.next_day(after, self.tz, lead=self.remind_before)
        handover = slot.next_day(after, self.tz, at_end=True)
        return [f"{REMIND} {shift.id} {remind}", f"{HANDOVER} {shift.id} {handover}"]

    # --- messages ----------------------------------------------------------------------

    async def translator_for(self, chat_id: int) -> Translator:
        """The translator for a chat's language (the community's unless the chat chose)."""
        return await self.people.translator_for(chat_id)

    async def owner_ids(self, building: Building) -> list[int]:
        """Who hears about swaps and missing lock-ups: the group's admins, else the admins."""
        admins, _fetched = await self.community.buildings.admins(building.chat_id)
        return admins or list(self.config.community.admins)

    async def _hand_over(
        self,
        tx: Transaction,
        job: Job,
        building: Building,
        outgoing: Occurrence,
        incoming: list[Occurrence],
        taking_over: list[int],
    ) -> None:
        """The incoming volunteers get the notes and the open requests; the outgoing a thanks."""
        notes = await self._notes(tx, outgoing)
        requests = await self._open_requests(building.id)
        outgoing_people = await self.people_of(outgoing.volunteer_ids)
        for user_id in taking_over:
            t = await self.translator_for(user_id)
            shift = next(o for o in incoming if user_id in o.volunteer_ids)
            message = views.handover_incoming(t, building, outgoing_people, shift, notes, requests)
            await self.outbox.queue_message(
                tx, user_id, message, kind="handover", dedupe_key=f"{job.key} in {user_id}"
            )
        wrote = {note.writer for note in notes}
        incoming_people = await self.people_of(taking_over)
        for user in outgoing_people:
            if user.id in wrote:
                continue
            t = await self.translator_for(user.id)
            await self.outbox.queue_message(
                tx, user.id, views.handover_thanks(t, building, incoming_people),
                kind="handover", dedupe_key=f"{job.key} out {user.id}",
            )

    async def _notes(self, tx: Transaction, occurrence: Occurrence) -> list[Note]:
        """An occurrence's undelivered notes with their writers' names, now delivered."""
        notes = await self.repo.take_notes(
            tx, occurrence.shift.id, occurrence.day.isoformat(), self.clock.now()
        )
        found = []
        for note in notes:
            writer = await self.users.get(note.user_id)
            name = writer.display_name if writer else str(note.user_id)
            found.append(Note(note.user_id, name, note.note))
        return found

    async def _pass_notes(self, tx: Transaction, occurrence: Occurrence, to: list[int]) -> None:
        """Send a note written after the handover on to those who took over."""
        building = await self._building(occurrence.shift.building_id)
        for note in await self._notes(tx, occurrence):
            for user_id in to:
                t = await self.translator_for(user_id)
                await self.outbox.queue_message(
                    tx, user_id, views.late_note(t, note, building, occurrence),
                    kind="handover_note",
                )

    async def _announce_handover(
        self,
        tx: Transaction,
        job: Job,
        building: Building,
        outgoing: Occurrence,
        incoming_ids: list[int],
    ) -> None:
        """ "Duty passes from A to B" in the group, if the owners turned it on."""
        if not await self.repo.handover_in_group(building.id):
            return
        t = await self.translator_for(building.chat_id)
        message = views.duty_passes(
            t, await self.people_of(outgoing.volunteer_ids), await self.people_of(incoming_ids)
        )
        await self.outbox.queue_message(
            tx, building.chat_id, message, kind="handover", dedupe_key=f"{job.key} group"
        )

    async def _tell_swap_answer(
        self, tx: Transaction, summary: SwapSummary, accepted: bool
    ) -> None:
        """The offering volunteer hears the answer; the owners hear of an accepted swap."""
        swap = summary.swap
        t = await self.translator_for(swap.from_user)
        await self.outbox.queue_message(
            tx, swap.from_user, views.swap_answer(t, summary, accepted), kind="swap_answer"
        )
        if not accepted:
            return
        for owner in await self.owner_ids(summary.building):
            t = await self.translator_for(owner)
            await self.outbox.queue_message(
                tx, owner, views.swap_for_owners(t, summary), kind="swap_owner",
                dedupe_key=f"swap {swap.id} owner {owner}",
            )

    # --- checks ------------------------------------------------------------------------

    async def _require_volunteers(self, building: Building, people: list[User]) -> None:
        for user in people:
            if not await self.community.buildings.is_volunteer(building.id, user.id):
                raise InvalidInput(
                    N_("{name} is not a volunteer of {building}. Add them in the group with "
                       "/volunteer first."),
                    name=user.display_name,
                    building=building.name,
                )

    async def _shift_at(self, building: Building, weekday: int, command: RosterCommand) -> Shift:
        for shift in await self.repo.shifts(building.id):
            if (shift.weekday, shift.start_minute, shift.end_minute) == (
                weekday,
                command.start,
                command.end,
            ):
                return shift
        raise NotFound(N_("There is no such shift. /roster shows the week."))

    async def _own_coming(
        self, actor: Actor, shift_id: int, day: date
    ) -> tuple[Building, Occurrence]:
        """One of the actor's own shifts that has not started yet."""
        shift = await self.repo.shift(shift_id)
        if shift is None or not slot_of(shift).on(day):
            raise NotFound(N_("That shift no longer exists."))
        building = await self._building(shift.building_id)
        await self.community.require(actor, building, Role.VOLUNTEER)
        occurrence = await self.occurrence(shift, day)
        if actor.user_id not in occurrence.volunteer_ids:
            raise NotAllowed(N_("This is not your shift."))
        if occurrence.starts_at <= self.clock.now():
            raise Conflict(N_("This shift has already started."))
        return building, occurrence

    async def _managed_shift(self, actor: Actor, shift_id: int) -> tuple[Building, Shift]:
        """A shift named by a button and its building, for the building's owners."""
        building = await self.building_of_shift(shift_id)
        await self.community.require(actor, building, Role.OWNER)
        return building, await self.shift_of(building, shift_id)

    def _check_swap_still_possible(self, swap: Swap, occurrence: Occurrence) -> None:
        if occurrence.starts_at <= self.clock.now():
            raise Conflict(N_("This shift has already started."))
        if swap.from_user not in occurrence.volunteer_ids or swap.to_user in (
            occurrence.volunteer_ids
        ):
            raise Conflict(N_("The shift has changed since this offer; it no longer applies."))

    async def _note_occurrence(self, user_id: int) -> Occurrence:
        """The user's shift under way (ending first), else the one that ended last, lately."""
        now = self.clock.now()
        mine = []
        for building in await self.community.buildings.volunteering(user_id):
            for shift in await self.repo.shifts(building.id):
                slot = slot_of(shift)
                since = now - LATE_NOTE_WINDOW - 26 * 3600
                for day in slot.starting_between(since, now, self.tz):
                    occurrence = await self.occurrence(shift, day)
                    if user_id in occurrence.volunteer_ids:
                        mine.append(occurrence)
        under_way = [o for o in mine if o.starts_at <= now < o.ends_at]
        if under_way:
            return min(under_way, key=lambda o: o.ends_at)
        ended = [o for o in mine if o.ends_at <= now < o.ends_at + LATE_NOTE_WINDOW]
        if ended:
            return max(ended, key=lambda o: o.ends_at)
        raise NotFound(
            N_("You are not on duty now, and no shift of yours ended in the last 12 hours. "
               "Write /handover during your shift or soon after it.")
        )

    # --- lookups -----------------------------------------------------------------------

    async def _week(self, building: Building) -> Week:
        return Week(
            building,
            await self.week(building),
            await self.handover_in_group(building),
            await self.repo.digest_at(building.id),
        )

    async def _building(
        self, building_id: int, missing: str = N_("That shift no longer exists.")
    ) -> Building:
        building = await self.community.buildings.by_id(building_id)
        if building is None:
            raise NotFound(missing)
        return building

    async def people_of(self, user_ids: Iterable[int]) -> list[User]:
        """The users of these ids that the bot knows, in order."""
        users = [await self.users.get(user_id) for user_id in user_ids]
        return [user for user in users if user is not None]
