"""Quiet hours of a building group: scheduled posts that fall inside wait for the end.

Held: notices (at once, scheduled and recurring), event reminders in the group and the
weekly digest. Not held: shift reminders and handovers, help requests and their
escalations (someone needs help now), the attendance sheet at an event's start, answers to
what someone just did in the group, and anything marked urgent (``urgent=True``: an
emergency). A held post is
a stored release job ("notice release <post> <until>", "quiet release <key> <until>"), so it
survives a restart; at its time it looks at the quiet hours again (they may have moved).
Quiet hours turned off or changed do not move posts already held.
"""

from __future__ import annotations

import re
from typing import Any

from bot.clock import Clock
from bot.config import Settings
from bot.domain.core import Building, Job
from bot.domain.recurring import QuietHours
from bot.errors import InvalidInput
from bot.i18n import N_
from bot.outbox import Outbox
from bot.scheduler import Scheduler
from bot.services.community import Actor, Community, Role
from bot.services.recurrence import quiet_until
from bot.services.weektime import parse_clock
from bot.views.common import OutMessage
from storage.db import Database, Transaction
from storage.recurring import QuietHoursRepository

RELEASE_JOB = "quiet.release"
LATE_GRACE_SECONDS = 86_400  # a held post is still worth posting a day late
OFF_WORDS = {"off", "关", "關", "关闭", "關閉"}
_RANGE = re.compile(r"^(\S+?)\s*[-–~～至到]\s*(\S+)$")

FORM = N_(
    "Write the quiet hours like this: /quiet 22:00-07:00 (or /quiet off). Notices, event "
    "reminders and the weekly digest that fall inside wait until the end."
)
EQUAL_ENDS = N_(
    "Quiet hours from {time} to {time} would never end. Give two different times, for "
    "example: /quiet 22:00-07:00"
)


def read_quiet(text: str) -> tuple[int, int] | None:
    """(start, end) minutes of ``22:00-07:00``; None for ``off``. Refuses anything else."""
    text = text.strip()
    if text.lower() in OFF_WORDS:
        return None
    match = _RANGE.match(text)
    start = parse_clock(match[1]) if match else None
    end = parse_clock(match[2], allow_24=True) if match else None
    if start is None or end is None:
        raise InvalidInput(FORM)
    if start == end:
        raise InvalidInput(EQUAL_ENDS, time=match[1] if match else "")
    return start, end


class QuietHoursService:
    """Set and read a building's quiet hours, and hold posts that fall inside them."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        config: Settings,
        outbox: Outbox,
        scheduler: Scheduler,
        community: Community,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.outbox = outbox
        self.scheduler = scheduler
        self.community = community
        self.repo = QuietHoursRepository(db)

    async def get(self, building: Building) -> QuietHours | None:
        """A building's quiet hours (anyone in its group may see them)."""
        return await self.repo.get(self.db, building.id)

    async def set(self, actor: Actor, building: Building, hours: tuple[int, int] | None) -> None:
        """Set a building's quiet hours, or turn them off (None); owners only."""
        await self.community.require(actor, building, Role.OWNER)
        async with self.db.transaction() as tx:
            if hours is None:
                await self.repo.clear(tx, building.id)
            else:
                await self.repo.set(tx, building.id, *hours, actor.user_id, self.clock.now())

    async def held_until(
        self, tx: Transaction, building_id: int, at: float, urgent: bool = False
    ) -> float | None:
        """When a post to the building at ``at`` may go out, if quiet hours hold it back."""
        if urgent:
            return None
        hours = await self.repo.get(tx, building_id)
        if hours is None:
            return None
        return quiet_until(hours.start_minute, hours.end_minute, at, self.config.community.tz)

    async def post(
        self,
        tx: Transaction,
        building_id: int,
        chat_id: int,
        message: OutMessage,
        *,
        kind: str,
        dedupe_key: str,
        ref: str | None = None,
    ) -> None:
        """Queue a group post now, or at the end of the quiet hours it falls in."""
        await self._post(tx, building_id, chat_id, message.method, message.send_params(),
                         kind, dedupe_key, ref)

    async def post_to_chat(
        self, tx: Transaction, chat_id: int, message: OutMessage, *, kind: str,
        dedupe_key: str, ref: str | None = None,
    ) -> None:
        """``post`` for a group known by its chat (a group that is no building is not held)."""
        building = await self.community.buildings.by_chat(chat_id)
        if building is None:
            await self.outbox.queue_message(tx, chat_id, message, kind=kind, ref=ref,
                                            dedupe_key=dedupe_key)
            return
        await self.post(tx, building.id, chat_id, message, kind=kind, dedupe_key=dedupe_key,
                        ref=ref)

    async def _post(
        self, tx: Transaction, building_id: int, chat_id: int, method: str,
        params: dict[str, Any], kind: str, dedupe_key: str, ref: str | None,
    ) -> None:
        until = await self.held_until(tx, building_id, self.clock.now())
        if until is None:
            await self.outbox.queue_call(tx, chat_id, method, params, kind=kind, ref=ref,
                                         dedupe_key=dedupe_key)
            return
        payload = {"building": building_id, "chat": chat_id, "method": method,
                   "params": params, "kind": kind, "dedupe_key": dedupe_key, "ref": ref}
        await self.scheduler.schedule(tx, RELEASE_JOB, f"quiet release {dedupe_key} {int(until)}",
                                      until,
                                      payload, grace_seconds=LATE_GRACE_SECONDS)

    async def release(self, tx: Transaction, job: Job) -> None:
        """Job: a held group post's quiet hours are over (held again if they moved)."""
        data = job.data
        await self._post(tx, int(data["building"]), int(data["chat"]), str(data["method"]),
                         dict(data["params"]), str(data["kind"]), str(data["dedupe_key"]),
                         data.get("ref"))
