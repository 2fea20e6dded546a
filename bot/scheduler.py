"""Scheduled work as data.

Jobs are rows (``storage/jobs.py``). A JobQueue tick runs what is due: each job's
handler runs inside the transaction that marks the job done, so its effects (rows,
outbox messages, the next occurrence) commit together with "done", and a job never
runs twice. A handler therefore only writes to the database; anything it sends goes
through the outbox. A job found late by more than its grace time (the bot was down)
is recorded as missed and skipped; a kind that keeps a chain going (a recurring notice)
registers an ``on_missed`` handler, run in the transaction that records the miss, to plan
the next one.

PTB's JobQueue drives it with one wake-up job at the earliest due time (moved
earlier whenever a sooner job is stored) and a slow safety tick. Keeping one
APScheduler job instead of one per row makes start-up O(1) whatever the number
of stored jobs, and lets tests drive time with a shiftable clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from telegram.ext import Job as QueuedJob
from telegram.ext import JobQueue

from bot.clock import Clock
from bot.domain.core import Job
from storage.db import Database, Transaction
from storage.jobs import JobRepository
from storage.space import is_disk_full

log = logging.getLogger(__name__)

JobHandler = Callable[[Transaction, Job], Awaitable[None]]


class Scheduler:
    """Registers job kinds, stores jobs, and runs the due ones exactly once."""

    def __init__(self, db: Database, clock: Clock, grace_seconds: int) -> None:
        self.db = db
        self.repo = JobRepository(db)
        self.clock = clock
        self.grace_seconds = grace_seconds
        self._handlers: dict[str, JobHandler] = {}
        self._missed: dict[str, JobHandler] = {}
        self._job_queue: JobQueue[Any] | None = None
        self._wake: QueuedJob[Any] | None = None
        self._wake_at: float | None = None
        self._running = asyncio.Lock()

    def register(self, kind: str, handler: JobHandler) -> None:
        """Say which coroutine runs jobs of ``kind``."""
        self._handlers[kind] = handler

    def on_missed(self, kind: str, handler: JobHandler) -> None:
        """Run ``handler`` when a job of ``kind`` is recorded missed, in that transaction."""
        self._missed[kind] = handler

    async def schedule(
        self,
        tx: Transaction,
        kind: str,
        key: str,
        due_at: float,
        payload: dict[str, Any] | None = None,
        grace_seconds: int | None = None,
    ) -> None:
        """Store a job (or move a pending one) in the caller's transaction."""
        await self.repo.schedule(
            tx, kind, key, due_at, payload or {}, self.clock.now(), grace_seconds
        )
        tx.after_commit(lambda: self._plan(due_at))

    def start(self, job_queue: JobQueue[Any], tick_seconds: float) -> None:
        """Run due work from PTB's JobQueue: a wake-up at the next due time, and a tick."""
        self._job_queue = job_queue
        job_queue.run_repeating(self._on_time, interval=tick_seconds, first=0.0,
                                name="scheduler tick")

    async def _on_time(self, _context: object) -> None:
        async with self._running:
            try:
                while await self.run_due() > 0 and await self.repo.due(self.clock.now(), 1):
                    pass
            except Exception as error:
                if not is_disk_full(error):
                    raise
                # Logged by the database. The jobs stay pending; the next tick (not an
                # immediate wake-up) tries again.
                self._wake_at = None
                return
            self._wake_at = None
            self._plan(await self.repo.next_due_at())

    def _plan(self, due_at: float | None) -> None:
        """Make sure the JobQueue wakes the scheduler by ``due_at``."""
        if due_at is None or self._job_queue is None:
            return
        if self._wake_at is not None and self._wake_at <= due_at:
            return
        if self._wake is not None:
            with contextlib.suppress(JobLookupError):  # it may have fired already
                self._wake.schedule_removal()
        delay = max(0.0, due_at - self.clock.now())
        self._wake = self._job_queue.run_once(self._on_time, when=delay, name="scheduler wake")
        self._wake_at = due_at

    async def cancel(self, tx: Transaction, key: str) -> bool:
        """Cancel a pending job in the caller's transaction."""
        return await self.repo.cancel(tx, key, self.clock.now())

    async def run_due(self, limit: int = 1000) -> int:
        """Run the jobs that are due now (up to ``limit``); returns how many ran."""
        now = self.clock.now()
        ran = 0
        for job in await self.repo.due(now, limit):
            ran += await self._run(job, now)
        return ran

    async def _run(self, job: Job, now: float) -> int:
        grace = self.grace_seconds if job.grace_seconds is None else job.grace_seconds
        late = now - job.due_at
        handler = self._handlers.get(job.kind)
        if late > grace or handler is None:
            reason = "no handler for this kind" if handler is None else f"{late:.0f}s late"
            async with self.db.transaction() as tx:
                missed = self._missed.get(job.kind)
                if await self.repo.settle(tx, job.id, "missed", now, reason) and missed:
                    await missed(tx, job)
            log.warning("job %s (%s) missed: %s", job.key, job.kind, reason)
            return 0
        try:
            async with self.db.transaction() as tx:
                if not await self.repo.settle(tx, job.id, "done", now):
                    return 0
                await handler(tx, job)
        except Exception as error:
            if is_disk_full(error):  # not the job's fault: it stays pending for a later tick
                raise
            log.exception("job %s (%s) failed", job.key, job.kind)
            async with self.db.transaction() as tx:
                await self.repo.settle(tx, job.id, "failed", now, repr(error)[:500])
            return 0
        log.info("job %s (%s) fired %.1fs after its time", job.key, job.kind, late)
        return 1
