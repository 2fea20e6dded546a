"""The running bot's heartbeat in the database: `linli status` and `linli restore` read it
to know, from the database alone, whether a bot is running on it.

The bot writes it at start, every ``BEAT_SECONDS`` while it runs, and once more, marked
stopped, when it stops cleanly. A heartbeat older than ``STALE_SECONDS`` that was never
marked stopped is a bot that died (a crash, SIGKILL, a power cut).
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass

from storage.meta import MetaRepository

HEARTBEAT_KEY = "runtime.heartbeat"
BOT_ID_KEY = "runtime.bot_id"
BEAT_SECONDS = 30.0
STALE_SECONDS = 3 * BEAT_SECONDS


@dataclass(frozen=True)
class Heartbeat:
    """The last sign of life of a bot process."""

    at: float
    pid: int
    host: str
    stopped: bool = False

    def running(self, now: float) -> bool:
        """A bot beat recently and has not stopped."""
        return not self.stopped and now - self.at < STALE_SECONDS

    def died(self, now: float) -> bool:
        """The bot stopped beating without stopping cleanly."""
        return not self.stopped and now - self.at >= STALE_SECONDS


async def beat(meta: MetaRepository, now: float, stopped: bool = False) -> None:
    """Record that this process is alive (or has stopped cleanly)."""
    heartbeat = Heartbeat(now, os.getpid(), socket.gethostname(), stopped)
    await meta.put(HEARTBEAT_KEY, json.dumps(asdict(heartbeat)))


async def last_heartbeat(meta: MetaRepository) -> Heartbeat | None:
    """The last heartbeat written to this database, or None if no bot ever ran on it."""
    value = await meta.get(HEARTBEAT_KEY)
    if value is None:
        return None
    try:
        return Heartbeat(**json.loads(value))
    except (ValueError, TypeError):
        return None
