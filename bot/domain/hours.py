"""Service hours: check-in windows, attendance, the hours ledger, star levels, certificates
and volunteers' applications; and the pure rules of counting (rounding, levels)."""

from __future__ import annotations

import math
from typing import Literal

from bot.domain.core import Building, Model, User

Kind = Literal["recorded", "makeup"]
Origin = Literal["event", "shift", "request", "makeup", "correction"]
AttendanceStatus = Literal["in", "out", "no_checkout", "confirmed"]


class Activity(Model):
    """A check-in window: an event, from a little before its start to its end."""

    id: int
    ref: str
    title: str
    organiser_id: int
    code: str
    opens_at: float
    starts_at: float
    ends_at: float
    closed_at: float | None = None

    @property
    def length_minutes(self) -> int:
        """The activity's length: no attendance counts more."""
        return max(0, round((self.ends_at - self.starts_at) / 60))

    @property
    def event_id(self) -> int | None:
        """The event it belongs to."""
        kind, _colon, number = self.ref.partition(":")
        return int(number) if kind == "event" and number.isdigit() else None

    def is_open(self, now: float) -> bool:
        """Whether the code is valid now."""
        return self.opens_at <= now <= self.ends_at


class Attendance(Model):
    """One volunteer's check-in (and check-out) at an activity."""

    id: int
    activity_id: int
    user_id: int
    building_id: int | None = None
    checked_in_at: float
    checked_out_at: float | None = None
    status: AttendanceStatus


class HoursEntry(Model):
    """One line of the hours ledger (minutes; a correction names the entry it corrects)."""

    id: int
    user_id: int
    minutes: int
    kind: Kind
    origin: Origin
    content: str
    served_at: float
    year: int
    month: str
    building_id: int | None = None
    corrects: int | None = None
    cap_minutes: int | None = None
    source: str
    made_by: int | None = None
    created_at: float


class ServiceLine(Model):
    """An entry as a certificate or /hours shows it: with its corrections added in."""

    entry: HoursEntry
    minutes: int  # the entry and every correction of it


class Totals(Model):
    """Minutes of hours, recorded and make-up."""

    recorded: int = 0
    makeup: int = 0

    @property
    def total(self) -> int:
        """Both kinds together."""
        return self.recorded + self.makeup


class StarLevel(Model):
    """Where a volunteer stands: the stars reached and the hours the next one needs."""

    stars: int
    next_at_hours: int | None  # None: the highest level is reached
    missing_minutes: int


class HoursSummary(Model):
    """What /hours shows one volunteer."""

    user: User
    year: int
    this_year: Totals
    all_time: Totals
    latest: list[ServiceLine]
    level: StarLevel


class HoursStanding(Model):
    """A volunteer's hours served in a month, for a ranking."""

    user: User
    minutes: int


class HoursLeaderboard(Model):
    """Hours served this month, most first, for a building or the whole community."""

    month: str
    building: Building | None
    standings: list[HoursStanding]


class Certificate(Model):
    """A certificate as issued: its number, the period and the totals it printed."""

    number: str
    user_id: int
    year: int
    total_minutes: int
    recorded_minutes: int
    makeup_minutes: int
    entries: int
    source: str
    issued_at: float


class Application(Model):
    """A resident's request to be a volunteer of their building."""

    id: int
    building_id: int
    user_id: int
    skills: str = ""
    status: Literal["pending", "approved", "declined"]
    source: str
    decided_by: int | None = None
    created_at: float
    decided_at: float | None = None

    @property
    def skill_list(self) -> list[str]:
        """The skills they offer."""
        return self.skills.split()


def credited_minutes(seconds: float, step: int, minimum: int, cap: int | None) -> int:
    """The minutes an attendance counts: to the nearest whole step (a half step rounds up),
    nothing under ``minimum`` minutes, never more than ``cap``."""
    served = max(0.0, seconds) / 60
    if served < minimum:
        return 0
    counted = math.floor(served / step + 0.5) * step
    if cap is not None:
        counted = min(counted, (cap // step) * step if cap >= step else cap)
    return max(0, counted)


def star_level(minutes: int, thresholds: list[int]) -> StarLevel:
    """The stars for these minutes (thresholds in hours, rising) and what the next needs."""
    stars = sum(1 for hours in thresholds if minutes >= hours * 60)
    if stars >= len(thresholds):
        return StarLevel(stars=stars, next_at_hours=None, missing_minutes=0)
    following = thresholds[stars]
    return StarLevel(stars=stars, next_at_hours=following,
                     missing_minutes=following * 60 - minutes)


def hours_text(minutes: int) -> str:
    """Minutes as hours people read: 90 → "1.5", 120 → "2", 20 → "0.33"."""
    value = round(minutes / 60, 2)
    return f"{value:g}" if value != int(value) else str(int(value))


EARTH_RADIUS_M = 6_371_008.8  # the mean radius


def distance_m(here: tuple[float, float], there: tuple[float, float]) -> float:
    """Metres between two (latitude, longitude) points on the earth (haversine)."""
    lat1, lon1 = map(math.radians, here)
    lat2, lon2 = map(math.radians, there)
    a = math.sin((lat2 - lat1) / 2) ** 2 + \
        math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))
