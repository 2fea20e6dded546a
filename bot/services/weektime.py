"""Weekly times in the community's time zone: parsing, and turning them into UTC moments.

Pure functions, no I/O. A weekly slot is a weekday (0 = Monday) and minutes after
local midnight; a moment is UTC unix seconds. Local times go through ``zoneinfo``, so
a shift at 18:00 stays at 18:00 on the wall clock across a daylight-saving change.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

T = TypeVar("T")
DAY_MINUTES = 24 * 60
WEEKDAY_WORDS = {
    **{name: n for n, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{
        name: n
        for n, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    **{f"周{c}": n for n, c in enumerate("一二三四五六日")},
    **{f"週{c}": n for n, c in enumerate("一二三四五六日")},
    **{f"星期{c}": n for n, c in enumerate("一二三四五六日")},
    "周天": 6,
    "週天": 6,
    "星期天": 6,
}
EVERY_DAY = {"daily", "everyday", "每天", "每日"}
_CLOCK = re.compile(r"^(\d{1,2})[:：](\d{2})$")
_RANGE = re.compile(r"^(\d{1,2}[:：]\d{2})\s*[-–~～至到]\s*(\d{1,2}[:：]\d{2})$")


def parse_weekday(word: str) -> int | None:
    """0-6 for "mon", "Monday", "周一", "星期一"; None for anything else."""
    return WEEKDAY_WORDS.get(word.strip().lower())


def parse_clock(text: str, *, allow_24: bool = False) -> int | None:
    """Minutes after midnight for "18:00" (and "24:00" if allowed); None if malformed."""
    match = _CLOCK.match(text.strip())
    if not match:
        return None
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not allow_24)):
        return None
    return (hours * 60 + minutes) % DAY_MINUTES


def parse_range(text: str) -> tuple[int, int] | None:
    """(start, end) minutes for "18:00-22:00"; an end at or before the start is the next day."""
    match = _RANGE.match(text.strip())
    if not match:
        return None
    start, end = parse_clock(match[1]), parse_clock(match[2], allow_24=True)
    if start is None or end is None or start == end:
        return None
    return start, end


def parse_days(word: str) -> list[int] | None:
    """The weekdays of "mon", "mon-fri" (wrapping past Sunday), "daily"/"每天"; None if unknown."""
    word = word.strip().lower()
    if word in EVERY_DAY:
        return list(range(7))
    single = parse_weekday(word)
    if single is not None:
        return [single]
    parts = re.split(r"[-–~～至到]", word)
    if len(parts) != 2:
        return None
    first, last = parse_weekday(parts[0]), parse_weekday(parts[1])
    if first is None or last is None:
        return None
    return [(first + n) % 7 for n in range((last - first) % 7 + 1)]


def parse_weekly(text: str, value: Callable[[str], T | None]) -> list[T | None] | None:
    """Seven values (Monday first) from "mon-fri <value> sat <value>", each word read by
    ``value`` or as days.

    A value with no days before it is for every day. None if anything is malformed.
    """
    week: list[T | None] = [None] * 7
    pending: list[int] = []
    for token in filter(None, re.split(r"[\s,，;；、]+", text.strip())):
        found = value(token)
        if found is not None:
            for day in pending or range(7):
                week[day] = found
            pending = []
            continue
        days = parse_days(token)
        if days is None:
            return None
        pending += days
    if pending or all(entry is None for entry in week):
        return None
    return week


def parse_closing(text: str) -> list[int | None] | None:
    """Seven closing minutes (Monday first, None: no closing) from "mon-fri 21:00 sat 18:00"."""
    return parse_weekly(text, parse_clock)


def clock_text(minute: int) -> str:
    """"18:00" for 1080."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def range_text(start: int, end: int) -> str:
    """"22:00–02:00"."""
    return f"{clock_text(start)}–{clock_text(end)}"


def local_moment(day: date, minute: int, tz: ZoneInfo) -> float:
    """The UTC moment of a local date and time (a time in a DST gap moves forward)."""
    clock = time(minute // 60, minute % 60)
    return datetime.combine(day, clock, tzinfo=tz).timestamp()


def local_date(moment: float, tz: ZoneInfo) -> date:
    """The local date of a moment."""
    return datetime.fromtimestamp(moment, tz).date()


def local_datetime(moment: float, tz: ZoneInfo) -> datetime:
    """The local date and time of a moment."""
    return datetime.fromtimestamp(moment, tz)


def first_day_after(
    after: float, moment_of: Callable[[date], float | None], tz: ZoneInfo, weeks: int = 2
) -> date | None:
    """The first local date whose ``moment_of(day)`` is later than ``after``.

    ``moment_of`` returns None for days that do not count (another weekday, closed).
    The search starts two days early, for moments that lie after midnight of their day
    or before a reminder lead time.
    """
    start = local_date(after, tz) - timedelta(days=2)
    for offset in range(7 * weeks + 3):
        day = start + timedelta(days=offset)
        moment = moment_of(day)
        if moment is not None and moment > after:
            return day
    return None


@dataclass(frozen=True)
class WeeklySlot:
    """A weekly time range: a weekday and start/end minutes (end <= start: the next day)."""

    weekday: int
    start: int
    end: int

    @property
    def crosses_midnight(self) -> bool:
        """Whether it ends on the next day."""
        return self.end <= self.start

    def starts_at(self, day: date, tz: ZoneInfo) -> float:
        """The moment the occurrence of ``day`` starts."""
        return local_moment(day, self.start, tz)

    def ends_at(self, day: date, tz: ZoneInfo) -> float:
        """The moment the occurrence of ``day`` ends."""
        return local_moment(day + timedelta(days=int(self.crosses_midnight)), self.end, tz)

    def on(self, day: date) -> bool:
        """Whether an occurrence starts on this local date."""
        return day.weekday() == self.weekday

    def covering(self, at: float, tz: ZoneInfo) -> list[date]:
        """The days whose occurrence is under way at ``at`` (start <= at < end)."""
        today = local_date(at, tz)
        days = (today - timedelta(days=1), today)
        return [
            day
            for day in days
            if self.on(day) and self.starts_at(day, tz) <= at < self.ends_at(day, tz)
        ]

    def starting_between(self, since: float, until: float, tz: ZoneInfo) -> list[date]:
        """The days whose occurrence starts in [since, until)."""
        first, last = local_date(since, tz), local_date(until, tz)
        count = (last - first).days + 1
        days = (first + timedelta(days=n) for n in range(count))
        return [d for d in days if self.on(d) and since <= self.starts_at(d, tz) < until]

    def next_day(
        self, after: float, tz: ZoneInfo, *, lead: float = 0.0, at_end: bool = False
    ) -> date:
        """The first day whose start (minus ``lead``), or end, is later than ``after``."""

        def moment(day: date) -> float | None:
            if not self.on(day):
                return None
            return self.ends_at(day, tz) if at_end else self.starts_at(day, tz) - lead

        found = first_day_after(after, moment, tz)
        assert found is not None  # a weekly slot occurs every week
        return found


def closing_at(closing: list[int | None], day: date, tz: ZoneInfo) -> float | None:
    """The moment a facility closes on a local date; None if it does not close that day."""
    minute = closing[day.weekday()]
    return None if minute is None else local_moment(day, minute, tz)


def next_closing(closing: list[int | None], after: float, tz: ZoneInfo) -> date | None:
    """The day of the first closing later than ``after``; None if it never closes."""
    return first_day_after(after, lambda day: closing_at(closing, day, tz), tz)


def closing_reported(
    closing: list[int | None], at: float, tz: ZoneInfo, window: float = 12 * 3600
) -> date | None:
    """The closing day a lock-up made at ``at`` belongs to.

    The closing that passed less than ``window`` ago (a late report), else the next one
    (an early or on-time report). None if the facility never closes.
    """
    previous = next_closing(closing, at - window, tz)
    if previous is not None:
        moment = closing_at(closing, previous, tz)
        if moment is not None and moment <= at:
            return previous
    return next_closing(closing, at, tz)
