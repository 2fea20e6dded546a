"""The figures of a month, and the lines of the spreadsheet export."""

from __future__ import annotations

from pydantic import Field, Json

from bot.domain.core import Model
from bot.domain.lockups import Lockup


class RequestCounts(Model):
    """The requests opened in the month in one building, by what became of them."""

    building_id: int
    opened: int = 0
    done: int = 0
    cancelled: int = 0
    still_open: int = 0  # open or claimed
    waiting: int = 0  # claimed and waiting on something until a date (among still_open)
    reopened: int = 0  # times residents reopened them ("not fixed")
    claimed_in_time: int = 0  # first claimed within the escalation time
    needed_claim: int = 0  # not cancelled before anyone took them
    ratings: int = 0
    rating_sum: int = 0


class RequestTimes(Model):
    """How long the month's requests of one building took: seconds to claim, to finish."""

    building_id: int
    claim: list[float] = Field(default_factory=list)
    finish: list[float] = Field(default_factory=list)


class PeopleCounts(Model):
    """The people of a building (or of several: building_id None) at the end of the month."""

    building_id: int | None = None
    people: int = 0
    volunteers: int = 0


class LockupCounts(Model):
    """The month's lock-ups of one building's facilities."""

    building_id: int
    on_time: int = 0
    late: int = 0
    missing: int = 0


class EventCounts(Model):
    """The month's events posted in one building (None: distinct over several), and the
    sign-ups made in its group."""

    building_id: int | None = None
    events: int = 0
    signups: int = 0
    attended: int = 0


class PointCounts(Model):
    """Points earned by a building's volunteers (None: by any of them) and points redeemed."""

    building_id: int | None = None
    earned: int = 0
    redeemed: int = 0


class HoursCounts(Model):
    """Hours served in the month for a building (None: for several together), and how many
    of its volunteers were active (an hours entry or a check-in in the month)."""

    building_id: int | None = None
    minutes: int = 0
    active: int = 0


class BookingCounts(Model):
    """A bookable facility of a building with its bookings whose slot started in the month:
    approved, declined and cancelled, the place-seconds the approved ones held, and the
    approved ones that ended with nobody checked in."""

    facility_id: int
    building_id: int
    facility_name: str
    hours: Json[list[list[int] | None]]  # the facility's opening hours, as in ``Bookable``
    capacity: int
    approved: int = 0
    declined: int = 0
    cancelled: int = 0
    booked_seconds: float = 0
    unchecked: int = 0


class DayCount(Model):
    """How many requests of a category were opened on one day of the month (1 = the 1st)."""

    day: int
    category: str
    requests: int


class RequestLine(Model):
    """A request of the month as the spreadsheet lists it."""

    id: int
    building_name: str
    category: str
    state: str
    resident_name: str | None = None  # None for an anonymous request
    anonymous: bool = False
    claimer_name: str | None = None
    text: str
    note: str | None = None
    rating: int | None = None
    private: bool
    created_at: float
    first_claim_at: float | None = None
    done_at: float | None = None


class HistoryLine(Model):
    """One event in a request's life, for the spreadsheet."""

    request_id: int
    kind: str
    actor_name: str | None = None
    detail: str
    at: float
    building_name: str = ""
    anonymous: bool = False  # by the resident of an anonymous request (actor_name withheld)


class VolunteerLine(Model):
    """A volunteer of a building with the month's work and points."""

    building_name: str
    user_id: int
    name: str
    username: str | None = None
    skills: str = ""
    done: int = 0
    earned: int = 0
    redeemed: int = 0
    balance: int = 0


class SignupLine(Model):
    """An event of the month with one of its sign-ups (none: person_name is None)."""

    event_id: int
    title: str
    place: str
    starts_at: float
    status: str
    capacity: int | None = None
    buildings: str
    person_name: str | None = None
    building_name: str | None = None
    role: str | None = None
    signup_status: str | None = None
    joined_at: float | None = None
    present: bool | None = None


class LockupLine(Lockup):
    """A lock-up of the month with its building, facility and who reported it."""

    building_name: str
    facility_name: str
    user_name: str | None = None


class HoursLine(Model):
    """An hours entry of the month, for the spreadsheet (a correction names its entry)."""

    id: int
    served_at: float
    volunteer_name: str
    building_name: str | None = None
    origin: str
    kind: str
    minutes: int
    content: str
    corrects: int | None = None


class BookingLine(Model):
    """A booking whose slot started in the month, for the spreadsheet."""

    id: int
    starts_at: float
    ends_at: float
    facility_name: str
    building_name: str
    resident_name: str
    status: str
    purpose: str | None = None
    checked_in_at: float | None = None
