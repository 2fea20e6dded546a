"""A calendar month in the community's time zone, and its bounds as UTC unix seconds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")


@dataclass(frozen=True, order=True)
class Month:
    """One month, such as 2026-11."""

    year: int
    number: int

    @classmethod
    def of(cls, moment: float, tz: ZoneInfo) -> Month:
        """The month a moment falls in, in the time zone ``tz``."""
        local = datetime.fromtimestamp(moment, tz)
        return cls(local.year, local.month)

    @classmethod
    def parse(cls, text: str) -> Month | None:
        """2026-11 (also 2026/11, 2026.11, 2026年11月); None if it is not a month."""
        found = _MONTH.match(text.strip())
        if found is None:
            return None
        year, number = int(found[1]), int(found[2])
        return cls(year, number) if 1 <= number <= 12 and 2000 <= year <= 2999 else None

    @property
    def key(self) -> str:
        """'YYYY-MM', as the month is named in commands, job keys and files."""
        return f"{self.year:04d}-{self.number:02d}"

    @property
    def first_day(self) -> date:
        """The 1st of the month."""
        return date(self.year, self.number, 1)

    def next(self) -> Month:
        """The month after this one."""
        return Month(self.year + self.number // 12, self.number % 12 + 1)

    def previous(self) -> Month:
        """The month before this one."""
        return Month(self.year - (self.number == 1), (self.number - 2) % 12 + 1)

    def start(self, tz: ZoneInfo) -> float:
        """Local midnight at the start of the 1st, as UTC unix seconds."""
        return _local_midnight(self.first_day, tz)

    def end(self, tz: ZoneInfo) -> float:
        """Local midnight at the start of the next month, as UTC unix seconds."""
        return self.next().start(tz)

    def days(self, tz: ZoneInfo) -> list[tuple[float, float]]:
        """Each local day of the month as [start, end) in UTC unix seconds (DST-proof)."""
        day, last = self.first_day, self.next().first_day
        bounds = []
        while day < last:
            following = day + timedelta(days=1)
            bounds.append((_local_midnight(day, tz), _local_midnight(following, tz)))
            day = following
        return bounds

    def at(self, day: int, hour: int, tz: ZoneInfo) -> float:
        """A local time on a day of this month, as UTC unix seconds."""
        return datetime.combine(date(self.year, self.number, day), time(hour), tz).timestamp()


def _local_midnight(day: date, tz: ZoneInfo) -> float:
    return datetime.combine(day, time(0), tz).timestamp()
