"""Time as the bot sees it. Tests and the demo swap in a clock they control."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the time."""

    def now(self) -> float:
        """Unix seconds, UTC."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> float:
        """Unix seconds, UTC."""
        return time.time()


class FakeClock:
    """A clock that moves only when told to, for tests of scheduled work."""

    def __init__(self, start: float | datetime | None = None) -> None:
        if isinstance(start, datetime):
            start = start.timestamp()
        self._now = time.time() if start is None else float(start)

    def now(self) -> float:
        """Unix seconds, UTC."""
        return self._now

    def advance(self, delta: float | timedelta) -> None:
        """Move time forward."""
        seconds = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
        self._now += seconds

    def set(self, moment: datetime) -> None:
        """Jump to a moment (never backwards)."""
        self._now = max(self._now, moment.timestamp())


class ShiftableClock:
    """Real time plus an offset that tests (and the demo) can push forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        """Unix seconds, UTC."""
        return time.time() + self.offset

    def advance(self, delta: float | timedelta) -> None:
        """Jump forward."""
        self.offset += delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
