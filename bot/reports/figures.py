"""A month's figures for a set of buildings, building by building and in total, and the
text that shows them.

What each figure means (the office counts it the same way every month):

- people known and volunteers: members of the building group who had joined by the end
  of the month and not left (a volunteer added by name counts as known); the share is
  volunteers / people known.
- requests: those opened in the month, by what became of them (still open = open or
  claimed). Time to claim runs from the request to its first claim; time to finish from
  the request to done. "Claimed in time": first claimed within ``requests.escalate_after``,
  out of the requests that needed a volunteer (all but those cancelled unclaimed).
- rating: the average of the ratings given to the month's requests.
- lock-ups: closing days of the month that are due, as /lockups tells them.
- events: events of the month posted in the building (not cancelled); sign-ups: places
  taken (waitlist not counted) in the building's group; took part: marked present.
- points earned: by the building's volunteers in the month (spending not counted);
  redeemed: the points of the rewards its owners handed out in the month.
- hours given: service hours served in the month (corrections counted in) for the building,
  or for none of them by one of its volunteers; volunteers active: those with an hours
  entry or a check-in in the month, out of the volunteers counted above.

- bookings, for each bookable facility of a building: the approved bookings whose slot
  started in the month, and beside them those declined and cancelled.
- use of open hours: booked place-hours ÷ offered place-hours. Booked: the length of each
  approved booking's slot (one place each). Offered: the facility's opening hours on every
  day of the month, on the community's wall clock, times its capacity (the rules as they
  are now; a month not over yet is offered whole). Shown as a percentage.
- no-shows: approved bookings that have ended with nobody checked in ("I'm here"); only
  counted, and only shown, when ``booking.check_in`` is on.

Totals count a person, an event and a volunteer's points once, even when they belong to
several of the buildings. Facilities belong to one building: the total lists none.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from pydantic import Field

from bot.clock import Clock
from bot.config import Settings
from bot.domain.core import Building, Model
from bot.domain.hours import hours_text
from bot.domain.stats import (
    BookingCounts,
    EventCounts,
    HoursCounts,
    LockupCounts,
    PeopleCounts,
    PointCounts,
    RequestCounts,
    RequestTimes,
)
from bot.errors import NotFound
from bot.i18n import N_, Translator, html_escape
from bot.reports.month import Month
from bot.services.requests import CATEGORIES
from bot.services.weektime import DAY_MINUTES, local_moment
from storage.db import Database
from storage.stats import StatsRepository

MAX_MESSAGE = 4000  # under Telegram's 4096, with room for the header
ROOM_INDENT = "     "  # a facility's second line sits under its name


class Figures(Model):
    """The month's figures of one building, or of several together."""

    people: int = 0
    volunteers: int = 0
    opened: int = 0
    done: int = 0
    cancelled: int = 0
    still_open: int = 0
    waiting: int = 0
    reopened: int = 0
    median_claim: float | None = None  # seconds
    median_finish: float | None = None
    claimed_in_time: int = 0
    needed_claim: int = 0
    ratings: int = 0
    rating_sum: int = 0
    lockups_on_time: int = 0
    lockups_late: int = 0
    lockups_missing: int = 0
    events: int = 0
    signups: int = 0
    attended: int = 0
    points_earned: int = 0
    points_redeemed: int = 0
    hours_minutes: int = 0  # hours given, in minutes
    active_volunteers: int = 0

    @property
    def volunteer_share(self) -> float | None:
        """Volunteers among the people known."""
        return self.volunteers / self.people if self.people else None

    @property
    def active_share(self) -> float | None:
        """Volunteers active in the month among the volunteers."""
        return self.active_volunteers / self.volunteers if self.volunteers else None

    @property
    def in_time_share(self) -> float | None:
        """Requests first claimed within the escalation time, among those that needed it."""
        return self.claimed_in_time / self.needed_claim if self.needed_claim else None

    @property
    def average_rating(self) -> float | None:
        """The average rating (1 to 5 stars)."""
        return self.rating_sum / self.ratings if self.ratings else None


class RoomFigures(Model):
    """The month's bookings of one bookable facility (see the module's docstring)."""

    facility: str
    booked: int = 0  # approved
    declined: int = 0
    cancelled: int = 0
    booked_seconds: float = 0  # place-seconds
    offered_seconds: float = 0  # place-seconds
    no_shows: int | None = None  # None: check-in is off

    @property
    def use_rate(self) -> float | None:
        """Booked place-hours ÷ offered place-hours."""
        return self.booked_seconds / self.offered_seconds if self.offered_seconds else None


class BuildingFigures(Model):
    """A building, its figures, and its bookable facilities'."""

    building: Building
    figures: Figures
    rooms: list[RoomFigures] = Field(default_factory=list)


class MonthStats(Model):
    """Everything /stats, the chart and the summary sheet show for one month."""

    month: str
    buildings: list[BuildingFigures]
    total: Figures
    by_day: dict[str, list[int]]  # category -> requests opened on each day of the month
    claim_minutes: list[float]  # minutes to the first claim, of every request claimed
    escalate_minutes: float


@dataclass(frozen=True)
class _Parts:
    """The repository's answers, by building id."""

    counts: dict[int, RequestCounts]
    times: dict[int, RequestTimes]
    people: dict[int, PeopleCounts]
    lockups: dict[int, LockupCounts]
    events: dict[int, EventCounts]
    points: dict[int, PointCounts]
    hours: dict[int, HoursCounts]
    rooms: dict[int, list[RoomFigures]]


class StatsReader:
    """Works out a month's figures from the database (no Telegram, no rights: callers check)."""

    def __init__(self, db: Database, settings: Settings, clock: Clock) -> None:
        self.repo = StatsRepository(db)
        self.settings = settings
        self.clock = clock

    @property
    def escalate_seconds(self) -> float:
        """The time within which a request should be claimed."""
        return self.settings.requests.escalate_after.total_seconds()

    @property
    def missing_after(self) -> float:
        """Seconds after closing time when an unreported lock-up counts as missing."""
        return 2 * self.settings.lockup.grace_minutes * 60.0

    async def figures(self, buildings: Sequence[Building], month: Month) -> MonthStats:
        """The month's figures of each building and in total."""
        if not buildings:
            raise NotFound(N_("No building is registered yet."))
        tz = self.settings.community.tz
        ids = [building.id for building in buildings]
        start, end = month.start(tz), month.end(tz)
        parts = await self._parts(ids, month, start, end)
        rows = [
            BuildingFigures(
                building=building,
                figures=_building_figures(building.id, parts),
                rooms=parts.rooms.get(building.id, []),
            )
            for building in buildings
        ]
        claims = [seconds for times in parts.times.values() for seconds in times.claim]
        return MonthStats(
            month=month.key,
            buildings=rows,
            total=await self._total(ids, start, end, rows, parts),
            by_day=await self._by_day(ids, month),
            claim_minutes=[seconds / 60 for seconds in claims],
            escalate_minutes=self.escalate_seconds / 60,
        )

    async def _total(
        self, ids: list[int], start: float, end: float, rows: list[BuildingFigures], parts: _Parts
    ) -> Figures:
        """The buildings together: counts add up, but people, events and the volunteers'
        points are counted once, and the medians are over every request."""
        people = await self.repo.people_total(ids, end)
        hours = await self.repo.hours_total(ids, start, end)
        times = parts.times.values()
        return _sum([row.figures for row in rows]).model_copy(
            update={
                "people": people.people,
                "volunteers": people.volunteers,
                "median_claim": _median([seconds for x in times for seconds in x.claim]),
                "median_finish": _median([seconds for x in times for seconds in x.finish]),
                "events": await self.repo.events_total(ids, start, end),
                "points_earned": await self.repo.points_earned_total(ids, start, end),
                "hours_minutes": hours.minutes,
                "active_volunteers": hours.active,
            }
        )

    async def _parts(self, ids: list[int], month: Month, start: float, end: float) -> _Parts:
        repo, now = self.repo, self.clock.now()
        first, following = month.first_day.isoformat(), month.next().first_day.isoformat()
        return _Parts(
            counts=_by_building(await repo.request_counts(ids, start, end, self.escalate_seconds)),
            times=_by_building(await repo.request_times(ids, start, end)),
            people=_by_building(await repo.people(ids, end)),
            lockups=_by_building(
                await repo.lockups(ids, first, following, now, self.missing_after)
            ),
            events=_by_building(await repo.events(ids, start, end)),
            points=_by_building(await repo.points(ids, start, end)),
            hours=_by_building(await repo.hours(ids, start, end)),
            rooms=self._rooms(await repo.bookings(ids, start, end, now), month),
        )

    def _rooms(self, counts: list[BookingCounts], month: Month) -> dict[int, list[RoomFigures]]:
        """Each building's bookable facilities with their month of bookings."""
        tz, check_in = self.settings.community.tz, self.settings.booking.check_in
        rooms: dict[int, list[RoomFigures]] = {}
        for count in counts:
            rooms.setdefault(count.building_id, []).append(RoomFigures(
                facility=count.facility_name,
                booked=count.approved,
                declined=count.declined,
                cancelled=count.cancelled,
                booked_seconds=count.booked_seconds,
                offered_seconds=open_seconds(count.hours, month, tz) * count.capacity,
                no_shows=count.unchecked if check_in else None,
            ))
        return rooms

    async def _by_day(self, ids: list[int], month: Month) -> dict[str, list[int]]:
        """Requests opened on each day of the month, by category (in CATEGORIES' order)."""
        days = month.days(self.settings.community.tz)
        by_day: dict[str, list[int]] = {}
        for count in await self.repo.requests_by_day(ids, days):
            code = count.category if count.category in CATEGORIES else "other"
            by_day.setdefault(code, [0] * len(days))[count.day - 1] += count.requests
        return {code: by_day[code] for code in CATEGORIES if code in by_day}


class _PerBuilding(Protocol):
    @property
    def building_id(self) -> int | None: ...


_Row = TypeVar("_Row", bound=_PerBuilding)


def _by_building(rows: list[_Row]) -> dict[int, _Row]:
    return {row.building_id or 0: row for row in rows}


def _building_figures(building_id: int, parts: _Parts) -> Figures:
    """One building's figures from the repository's answers."""
    counts = parts.counts.get(building_id, RequestCounts(building_id=building_id))
    times = parts.times.get(building_id, RequestTimes(building_id=building_id))
    people = parts.people.get(building_id, PeopleCounts(building_id=building_id))
    lockups = parts.lockups.get(building_id, LockupCounts(building_id=building_id))
    events = parts.events.get(building_id, EventCounts(building_id=building_id))
    points = parts.points.get(building_id, PointCounts(building_id=building_id))
    hours = parts.hours.get(building_id, HoursCounts(building_id=building_id))
    return Figures(
        **counts.model_dump(exclude={"building_id"}),
        people=people.people,
        volunteers=people.volunteers,
        median_claim=_median(times.claim),
        median_finish=_median(times.finish),
        lockups_on_time=lockups.on_time,
        lockups_late=lockups.late,
        lockups_missing=lockups.missing,
        events=events.events,
        signups=events.signups,
        attended=events.attended,
        points_earned=points.earned,
        points_redeemed=points.redeemed,
        hours_minutes=hours.minutes,
        active_volunteers=hours.active,
    )


def open_seconds(hours: list[list[int] | None], month: Month, tz: ZoneInfo) -> float:
    """Seconds a facility is open in the month: each day's [open, close) on the local wall
    clock (Monday first in ``hours``), so a day that changes to or from summer time counts
    what the clock on the wall shows passing."""
    total, day, following = 0.0, month.first_day, month.next().first_day
    while day < following:
        opening = hours[day.weekday()]
        if opening is not None:
            total += _wall(day, opening[1], tz) - _wall(day, opening[0], tz)
        day += timedelta(days=1)
    return total


def _wall(day: date, minute: int, tz: ZoneInfo) -> float:
    """The moment of a local time of a day; 24:00 is the next midnight."""
    return local_moment(day + timedelta(days=minute // DAY_MINUTES), minute % DAY_MINUTES, tz)


def _sum(figures: list[Figures]) -> Figures:
    """Figures added up field by field (medians are left out: they do not add)."""
    counted = [name for name, info in Figures.model_fields.items() if info.annotation is int]
    return Figures(**{name: sum(getattr(f, name) for f in figures) for name in counted})


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


# --- texts ---------------------------------------------------------------------------------


def duration_text(t: Translator, seconds: float | None) -> str:
    """A duration in words: 8 min, 2.5 h, 3.0 days; a dash when there is none."""
    if seconds is None:
        return "—"
    minutes = seconds / 60
    if minutes < 1:
        return t("under a minute")
    if minutes < 90:
        return t("{minutes} min", minutes=round(minutes))
    if minutes < 36 * 60:
        return t("{hours} h", hours=f"{minutes / 60:.1f}")
    return t("{days} days", days=f"{minutes / 1440:.1f}")


def minutes_text(minutes: float) -> str:
    """A setting in minutes as a number: whole from one minute, never rounded to 0."""
    return str(round(minutes)) if minutes >= 1 else f"{minutes:.2g}"


def share_text(share: float | None) -> str:
    """A share as a percentage, or a dash."""
    return "—" if share is None else f"{share:.0%}"


def figures_text(t: Translator, name: str, f: Figures, escalate_minutes: float) -> str:
    """One building's (or the total's) figures as a block of HTML lines."""
    rating = "—" if f.average_rating is None else f"{f.average_rating:.1f}"
    return "\n".join(
        [
            f"<b>{html_escape(name)}</b>",
            t("👥 People known: {people} · volunteers: {volunteers} ({share})",
              people=f.people, volunteers=f.volunteers, share=share_text(f.volunteer_share)),
            t("🆘 Requests opened: {opened} · done: {done} · cancelled: {cancelled} · "
              "still open: {still_open}",
              opened=f.opened, done=f.done, cancelled=f.cancelled, still_open=f.still_open),
            t("⏳ Waiting on something: {waiting} · reopened as not fixed: {reopened}",
              waiting=f.waiting, reopened=f.reopened),
            t("⏱ Median time to claim: {claim} · to finish: {finish}",
              claim=duration_text(t, f.median_claim), finish=duration_text(t, f.median_finish)),
            t("⚡ Claimed within {minutes} min: {share} ({claimed} of {requests})",
              minutes=minutes_text(escalate_minutes), share=share_text(f.in_time_share),
              claimed=f.claimed_in_time, requests=f.needed_claim),
            t.plural("⭐ Average rating: {rating} ({count} rating)",
                     "⭐ Average rating: {rating} ({count} ratings)", f.ratings, rating=rating),
            t("🔒 Lock-ups on time: {on_time} · late: {late} · missing: {missing}",
              on_time=f.lockups_on_time, late=f.lockups_late, missing=f.lockups_missing),
            t("🎉 Events: {events} · sign-ups: {signups} · took part: {attended}",
              events=f.events, signups=f.signups, attended=f.attended),
            t("🪙 Points earned: {earned} · redeemed: {redeemed}",
              earned=f.points_earned, redeemed=f.points_redeemed),
            t("⏳ Hours given: {hours} h · volunteers active: {active} of {volunteers} "
              "({share})",
              hours=hours_text(f.hours_minutes), active=f.active_volunteers,
              volunteers=f.volunteers, share=share_text(f.active_share)),
        ]
    )


def place_hours(seconds: float) -> str:
    """Place-seconds as place-hours people read ("24", "7.5")."""
    return hours_text(round(seconds / 60))


def room_text(t: Translator, room: RoomFigures) -> str:
    """A bookable facility's month: two lines (no-shows only when check-in is on)."""
    counts = t("📅 {facility}: bookings {booked} · declined {declined} · cancelled {cancelled}",
               facility=room.facility, booked=room.booked, declined=room.declined,
               cancelled=room.cancelled)
    use = {"share": share_text(room.use_rate), "booked": place_hours(room.booked_seconds),
           "offered": place_hours(room.offered_seconds)}
    if room.no_shows is None:
        rate = t("use of open hours {share} ({booked} of {offered} place-hours)", **use)
    else:
        rate = t("use of open hours {share} ({booked} of {offered} place-hours) · "
                 "no-shows {no_shows}", no_shows=room.no_shows, **use)
    return f"{counts}\n{ROOM_INDENT}{rate}"


def building_text(t: Translator, row: BuildingFigures, escalate_minutes: float) -> str:
    """A building's block: its figures, then each bookable facility's month."""
    lines = [figures_text(t, row.building.name, row.figures, escalate_minutes)]
    lines += [room_text(t, room) for room in row.rooms]
    return "\n".join(lines)


def report_messages(t: Translator, stats: MonthStats) -> list[str]:
    """The figures as messages under Telegram's limit: a header, each building, the total."""
    blocks = [building_text(t, row, stats.escalate_minutes) for row in stats.buildings]
    if len(stats.buildings) > 1:
        blocks.append(figures_text(t, t.plain("Total"), stats.total, stats.escalate_minutes))
    header = t("📊 <b>Figures for {month}</b>", month=stats.month)
    messages = [header]
    for block in blocks:
        if len(messages[-1]) + 2 + len(block) > MAX_MESSAGE:
            messages.append(block)
        else:
            messages[-1] += "\n\n" + block
    return messages


FigureRow = tuple[str, int | float | None, bool]  # label, value, whether it is a share


def figure_rows(t: Translator, f: Figures) -> list[FigureRow]:
    """The figures as (label, value, is a share) rows, for the summary sheet."""
    minutes = None if f.median_claim is None else round(f.median_claim / 60, 1)
    hours = None if f.median_finish is None else round(f.median_finish / 3600, 2)
    rating = None if f.average_rating is None else round(f.average_rating, 2)
    rows: list[tuple[str, int | float | None]] = [
        (N_("People known"), f.people),
        (N_("Volunteers"), f.volunteers),
        (N_("Volunteer share"), f.volunteer_share),
        (N_("Requests opened"), f.opened),
        (N_("Requests done"), f.done),
        (N_("Requests cancelled"), f.cancelled),
        (N_("Requests still open"), f.still_open),
        (N_("Requests waiting on something"), f.waiting),
        (N_("Reopenings (not fixed)"), f.reopened),
        (N_("Median minutes to claim"), minutes),
        (N_("Median hours to finish"), hours),
        (N_("Share claimed in time"), f.in_time_share),
        (N_("Average rating"), rating),
        (N_("Ratings"), f.ratings),
        (N_("Lock-ups on time"), f.lockups_on_time),
        (N_("Lock-ups late"), f.lockups_late),
        (N_("Lock-ups missing"), f.lockups_missing),
        (N_("Events"), f.events),
        (N_("Sign-ups"), f.signups),
        (N_("Took part"), f.attended),
        (N_("Points earned"), f.points_earned),
        (N_("Points redeemed"), f.points_redeemed),
        (N_("Hours given"), round(f.hours_minutes / 60, 2)),
        (N_("Volunteers active"), f.active_volunteers),
        (N_("Share of volunteers active"), f.active_share),
    ]
    shares = (N_("Volunteer share"), N_("Share claimed in time"), N_("Share of volunteers active"))
    return [(t.plain(label), value, label in shares) for label, value in rows]
