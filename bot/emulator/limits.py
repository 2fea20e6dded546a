"""Telegram's flood limits as sliding windows, and seeded fault injection."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

FAULT_KINDS = ("500", "timeout", "drop", "429")


@dataclass(frozen=True)
class RateLimits:
    """Limits on message sends and edits; None switches one limit off."""

    global_per_second: int | None = 30
    per_chat_per_second: int | None = 1
    per_group_per_minute: int | None = 20


@dataclass(frozen=True)
class Faults:
    """Fail a share of calls before they take effect.

    `methods=None` means every Bot API method except getUpdates.
    """

    rate: float = 0.2
    kinds: Sequence[str] = FAULT_KINDS
    seed: int | None = 1
    methods: frozenset[str] | set[str] | None = None
    timeout_seconds: float = 6.0

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(FAULT_KINDS)
        if unknown or not self.kinds:
            raise ValueError(f"fault kinds must be some of {FAULT_KINDS}, got {self.kinds!r}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate must be within 0..1, got {self.rate}")


@dataclass(frozen=True)
class Window:
    """One limit: at most `limit` sends within `seconds`, counted for a set of chats."""

    name: str
    limit: int
    seconds: float

    def applies_to(self, chat_id: int) -> bool:
        """Whether sends to this chat count towards this window."""
        return self.name != "per_group_per_minute" or chat_id < 0

    def key(self, chat_id: int) -> int | None:
        """The bucket a send falls in: one per chat, or None for the global window."""
        return None if self.name == "global_per_second" else chat_id


def windows_for(limits: RateLimits | None) -> list[Window]:
    """The active windows of a RateLimits value."""
    if limits is None:
        return []
    candidates = [
        ("global_per_second", limits.global_per_second, 1.0),
        ("per_chat_per_second", limits.per_chat_per_second, 1.0),
        ("per_group_per_minute", limits.per_group_per_minute, 60.0),
    ]
    return [Window(name, limit, seconds) for name, limit, seconds in candidates if limit]


def max_in_window(times: Sequence[float], seconds: float) -> int:
    """The largest number of sorted timestamps that fall within any `seconds`-long window."""
    best = 0
    start = 0
    for end, moment in enumerate(times):
        while moment - times[start] >= seconds:
            start += 1
        best = max(best, end - start + 1)
    return best


class RateLimiter:
    """Accepts a send only if no active window is full, and logs every accepted send."""

    def __init__(self, limits: RateLimits | None) -> None:
        self.limits = limits
        self.log: list[tuple[float, int]] = []
        self.accepted = 0
        self.limited = 0
        self.violations = 0

    def acquire(self, chat_id: int, now: float) -> int | None:
        """Record a send to chat_id and return None, or return retry_after seconds if full."""
        waits = [self._wait(window, chat_id, now) for window in windows_for(self.limits)]
        retry_after = max((wait for wait in waits if wait is not None), default=None)
        if retry_after is not None:
            self.limited += 1
            return retry_after
        self.log.append((now, chat_id))
        self.accepted += 1
        if self.violations_at(now, chat_id):
            self.violations += 1
        return None

    def _recent(self, window: Window, chat_id: int, now: float) -> list[float]:
        key = window.key(chat_id)
        recent: list[float] = []
        for moment, target in reversed(self.log):
            if now - moment >= window.seconds:
                break
            if window.applies_to(target) and (key is None or target == key):
                recent.append(moment)
        recent.reverse()
        return recent

    def _wait(self, window: Window, chat_id: int, now: float) -> int | None:
        if not window.applies_to(chat_id):
            return None
        recent = self._recent(window, chat_id, now)
        if len(recent) < window.limit:
            return None
        frees_at = recent[len(recent) - window.limit] + window.seconds
        return max(1, math.ceil(frees_at - now))

    def violations_at(self, now: float, chat_id: int) -> bool:
        """Whether the sends accepted so far overfill a window that ends at `now`."""
        return any(
            window.applies_to(chat_id) and len(self._recent(window, chat_id, now)) > window.limit
            for window in windows_for(self.limits)
        )

    def max_observed(self) -> dict[str, int]:
        """The busiest window of each kind in the log of accepted sends."""
        times = [moment for moment, _ in self.log]
        by_chat: dict[int, list[float]] = {}
        for moment, chat_id in self.log:
            by_chat.setdefault(chat_id, []).append(moment)
        groups = [moments for chat_id, moments in by_chat.items() if chat_id < 0]
        return {
            "global_per_second": max_in_window(times, 1.0),
            "per_chat_per_second": _max_over(by_chat.values(), 1.0),
            "per_group_per_minute": _max_over(groups, 60.0),
        }

    def exceeded(self) -> list[str]:
        """Each configured limit that the accepted-send log exceeds, described."""
        observed = self.max_observed()
        return [
            f"{window.name}: {observed[window.name]} sends > limit {window.limit}"
            for window in windows_for(self.limits)
            if observed[window.name] > window.limit
        ]


def _max_over(series: Iterable[list[float]], seconds: float) -> int:
    return max((max_in_window(times, seconds) for times in series), default=0)


class FaultInjector:
    """Draws faults from a seeded random generator."""

    def __init__(self, faults: Faults | None) -> None:
        self.injected: Counter[str] = Counter()
        self.faults = faults
        self._random = random.Random(faults.seed if faults else None)

    def configure(self, faults: Faults | None) -> None:
        """Replace the fault settings and reseed the generator."""
        self.faults = faults
        self._random = random.Random(faults.seed if faults else None)

    def draw(self, method: str) -> str | None:
        """The fault kind to inject into this call, or None."""
        faults = self.faults
        if faults is None or faults.rate <= 0 or not self._covers(faults, method):
            return None
        if self._random.random() >= faults.rate:
            return None
        kind = self._random.choice(list(faults.kinds))
        self.injected[kind] += 1
        return kind

    @staticmethod
    def _covers(faults: Faults, method: str) -> bool:
        if faults.methods is None:
            return method.lower() != "getupdates"
        return method.lower() in {name.lower() for name in faults.methods}
