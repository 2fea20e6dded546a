"""A full disk: SQLite refuses writes (SQLITE_FULL) until space is freed.

The bot does not stop for it. Writes that stand alone are retried with backoff until
they go through; the first refusal is logged once, in one line, and when a write goes
through again the listeners hear how long it lasted (the community admins are told).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
FIRST_PAUSE = 0.5  # seconds before the first retry, doubled for each next one
LONGEST_PAUSE = 30.0

RecoveryListener = Callable[[float], Coroutine[Any, Any, None]]  # called with the outage in seconds


def is_disk_full(error: BaseException) -> bool:
    """Whether SQLite refused a write because the disk (or the page limit) is full."""
    return (
        isinstance(error, sqlite3.OperationalError)
        and getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    )


class DiskSpace:
    """Whether the database's disk is full, as the last write found it."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self.full_since: float | None = None
        self._listeners: list[RecoveryListener] = []
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def full(self) -> bool:
        """Whether the last write was refused for want of space."""
        return self.full_since is not None

    def on_recovered(self, listener: RecoveryListener) -> None:
        """Call ``listener`` (with how long it lasted) each time writes go through again."""
        self._listeners.append(listener)

    def refused(self, error: BaseException) -> None:
        """A write failed: if for want of space, note it (logged once per outage)."""
        if is_disk_full(error) and self.full_since is None:
            self.full_since = self._monotonic()
            log.error(
                "the disk is full: the database refuses writes (%s); Linli keeps running and "
                "retries them until there is space",
                error,
            )

    def wrote(self) -> None:
        """A write went through: if the disk was full, the outage is over."""
        if self.full_since is None:
            return
        seconds = self._monotonic() - self.full_since
        self.full_since = None
        log.warning("the disk has space again: writes go through after %.0fs", seconds)
        for listener in self._listeners:
            task = asyncio.get_running_loop().create_task(listener(seconds))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def retry(self, write: Callable[[], Awaitable[T]]) -> T:
        """Run a write that stands alone; while the disk is full, again with backoff."""
        pause = FIRST_PAUSE
        while True:
            try:
                result = await write()
            except sqlite3.OperationalError as error:
                if not is_disk_full(error):
                    raise
                self.refused(error)
                await asyncio.sleep(pause)
                pause = min(LONGEST_PAUSE, pause * 2)
                continue
            self.wrote()
            return result
