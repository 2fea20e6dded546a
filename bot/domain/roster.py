"""The duty roster: shifts, swaps, handover notes and handovers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from bot.domain.core import Building, Model, User
from bot.domain.events import EventSummary
from bot.domain.lockups import Facility
from bot.errors import InvalidInput
from bot.i18n import N_

SwapStatus = Literal["offered", "accepted", "declined", "withdrawn"]
RosterAction = Literal["add", "remove", "assign", "unassign", "announce", "digest"]
OpenReason = Literal["away", "removed", "cant"]
OpenStatus = Literal["open", "taken", "cancelled"]
# The hours an owner picks with buttons (other hours: the text form of /roster).
PRESET_HOURS = ((8 * 60, 12 * 60), (12 * 60, 18 * 60), (18 * 60, 22 * 60), (22 * 60, 8 * 60))
DAY_CODE = re.compile(r"^\d{8}$")


def day_code(day: date) -> str:
    """A date as it goes into a button ("20261124")."""
    return day.strftime("%Y%m%d")


def parse_day_code(code: str) -> date:
    """The date of a button's "20261124"; a forged one is refused."""
    try:
        if not DAY_CODE.match(code):
            raise ValueError(code)
        return date(int(code[:4]), int(code[4:6]), int(code[6:]))
    except ValueError:
        raise InvalidInput(N_("This button is no longer valid.")) from None


class Shift(Model):
    """A weekly shift of a building (end_minute <= start_minute: it ends the next day)."""

    id: int
    building_id: int
    weekday: int
    start_minute: int
    end_minute: int
    valid_from: str | None = None  # first local date it occurs on (None: always)
    valid_until: str | None = None  # last local date (None: no end)


class Assignment(Model):
    """A volunteer on a shift: from a date, until a date, every week or every other week."""

    user_id: int
    from_day: str | None = None
    until_day: str | None = None
    every_weeks: int = 1

    def on(self, day: date) -> bool:
        """Whether the volunteer is on the shift's occurrence of this date."""
        text = day.isoformat()
        if self.from_day is not None and text < self.from_day:
            return False
        if self.until_day is not None and text > self.until_day:
            return False
        if self.every_weeks == 1 or self.from_day is None:
            return True
        anchor = date.fromisoformat(self.from_day)
        weeks = ((day - timedelta(days=day.weekday())) - (anchor - timedelta(
            days=anchor.weekday()))).days // 7
        return weeks % self.every_weeks == 0


class Swap(Model):
    """One occurrence of a shift, offered by one volunteer to another."""

    id: int
    shift_id: int
    day: str
    from_user: int
    to_user: int
    status: SwapStatus
    created_at: float
    decided_at: float | None = None


class HandoverNote(Model):
    """What an outgoing volunteer wrote for the next one."""

    shift_id: int
    day: str
    user_id: int
    note: str
    written_at: float
    delivered_at: float | None = None


class Handover(Model):
    """The end of one occurrence, once it ran: who took over."""

    shift_id: int
    day: str
    incoming: str
    handed_at: float

    @property
    def incoming_ids(self) -> list[int]:
        """The user ids of the volunteers who took over."""
        return [int(part) for part in self.incoming.split()]


class Away(Model):
    """A volunteer's period away: local dates, first and last day inclusive."""

    id: int
    user_id: int
    starts_on: str
    ends_on: str
    note: str = ""
    set_by: int | None = None
    created_at: float

    def covers(self, day: date) -> bool:
        """Whether the volunteer is away on this local date."""
        return self.starts_on <= day.isoformat() <= self.ends_on


class OpenShift(Model):
    """One seat of one occurrence left without its volunteer, offered to the others."""

    id: int
    shift_id: int
    day: str
    user_id: int
    reason: OpenReason
    status: OpenStatus = "open"
    taken_by: int | None = None
    taken_at: float | None = None
    created_at: float


@dataclass(frozen=True)
class Occurrence:
    """One shift on one date, with the volunteers of that date (swaps, aways and taken open
    shifts applied); ``covering``: (taker, whose seat) pairs; ``open_seats``: seats nobody
    took yet."""

    shift: Shift
    day: date
    starts_at: float
    ends_at: float
    volunteer_ids: tuple[int, ...]
    covering: tuple[tuple[int, int], ...] = ()
    open_seats: int = 0


@dataclass(frozen=True)
class OpenShiftView:
    """An open shift with its building, occurrence and the people it names."""

    open_shift: OpenShift
    building: Building
    occurrence: Occurrence
    vacated_by: User | None
    taker: User | None
    started: bool


@dataclass(frozen=True)
class AwayResult:
    """A period away that was set, and the shifts of it that are now open."""

    away: Away
    user: User
    opened: list[Occurrence]


@dataclass(frozen=True)
class RosterShift:
    """A shift of the weekly roster with its volunteers."""

    shift: Shift
    volunteers: list[User]


@dataclass(frozen=True)
class Week:
    """A building's weekly roster as its owners see it."""

    building: Building
    shifts: list[RosterShift]
    handover_in_group: bool
    digest_at: tuple[int, int] | None = None  # the weekly digest's weekday and minute


@dataclass(frozen=True)
class Duty:
    """Who is on duty in a building now, and who comes next (``people``: their names)."""

    building: Building
    now: list[Occurrence]
    next: list[Occurrence]
    people: dict[int, User] = field(default_factory=dict)


@dataclass(frozen=True)
class ShiftVolunteers:
    """A shift with the building's volunteers, and which of them are on it."""

    building: Building
    shift: Shift
    volunteers: list[User]
    on_shift: frozenset[int]


@dataclass(frozen=True)
class SwapChoice:
    """One of a volunteer's coming shifts that they may give away."""

    building: Building
    occurrence: Occurrence


@dataclass(frozen=True)
class SwapCandidates:
    """A coming shift of the volunteer, and who could take it."""

    building: Building
    occurrence: Occurrence
    others: list[User]


@dataclass(frozen=True)
class SwapSummary:
    """A swap with its building, date and both volunteers."""

    swap: Swap
    building: Building
    occurrence: Occurrence
    giver: User | None
    taker: User | None


@dataclass(frozen=True)
class NoteResult:
    """Where a /handover note went: kept for the end of the shift, or sent on already."""

    occurrence: Occurrence
    handed_over: bool
    forwarded_to: list[User]


@dataclass(frozen=True)
class OpenRequest:
    """A request still open or claimed, as the incoming volunteer sees it at a handover."""

    number: int
    text: str
    claimed_by: str | None = None


@dataclass(frozen=True)
class Note:
    """A handover note with its writer's name, as the incoming volunteer reads it."""

    writer: int
    name: str
    text: str


@dataclass(frozen=True)
class CalendarEvent:
    """An event someone signed up for, as their calendar file shows it."""

    id: int
    title: str
    place: str
    starts_at: float
    role: str  # guest or helper


@dataclass(frozen=True)
class CalendarShift:
    """One coming occurrence in a calendar file, with the names of its volunteers."""

    building: Building
    occurrence: Occurrence
    names: list[str]


@dataclass(frozen=True)
class DutyCalendar:
    """What /calendar puts in the file: the person's coming shifts (or, for owners, the
    whole rota of their buildings) and the events they signed up for."""

    shifts: list[CalendarShift]
    events: list[CalendarEvent]
    whole_rota: bool


@dataclass(frozen=True)
class Digest:
    """A building's coming week for its group: who is on duty each day, the requests still
    open, the coming events and the facilities' closing times."""

    building: Building
    days: list[tuple[date, list[Occurrence]]]
    people: dict[int, User]
    open_requests: int
    events: list[EventSummary]
    facilities: list[Facility]
    gap_hours: float | None = None  # hours of the week with nobody on duty


@dataclass(frozen=True)
class Coverage:
    """The hours of a building's coming weeks with nobody on duty: the gaps, and a grid of
    each day's hours with the share of each hour that someone covers (0 to 1)."""

    building: Building
    days: list[date]
    grid: list[list[float]]
    gaps: list[tuple[float, float]]

    @property
    def gap_hours(self) -> float:
        """How many hours nobody is on duty, to a tenth."""
        return round(sum(end - start for start, end in self.gaps) / 3600, 1)
