"""Scheduled online backups of the database, and putting one back (`linli restore`).

A backup is a stored job (``backup``): when it falls due, the job plans the next one in
its own transaction and, once that has committed, the copy runs in a worker thread with
SQLite's online backup API while the bot goes on. Each copy is written under a temporary
name, checked with ``PRAGMA integrity_check``, and only then given its final name; the
oldest past ``backup.keep`` are removed. Every run leaves one log line and its outcome in
``meta`` (for `linli status`); a failed one is told to the community admins in private.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.clock import Clock
from bot.config import Settings
from bot.domain.core import Job
from bot.heartbeat import last_heartbeat
from bot.outbox import Outbox
from bot.scheduler import JobHandler, Scheduler
from bot.services.people import People
from storage.db import (
    Database,
    Transaction,
    checkpoint,
    copy_database,
    database_file_problem,
    integrity_problem,
    schema_version_of,
)
from storage.meta import MetaRepository
from storage.migrate import latest_version
from storage.users import UserRepository

log = logging.getLogger(__name__)

BACKUP_KIND = "backup"
FAILED_KIND = "backup_failed"
LAST_BACKUP_KEY = "backup.last"
_NAME = re.compile(r"^linli-\d{8}T\d{6}Z\.db$")


@dataclass(frozen=True)
class BackupRecord:
    """The outcome of one scheduled backup."""

    at: float
    ok: bool
    path: str | None = None
    size: int | None = None
    error: str | None = None

    def to_json(self) -> str:
        """As kept in ``meta``."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, value: str | None) -> BackupRecord | None:
        """From ``meta``; None when there is none (or it cannot be read)."""
        try:
            return cls(**json.loads(value)) if value else None
        except (ValueError, TypeError):
            return None


class BackupFailed(Exception):
    """The copy was written but is not sound."""


def backup_name(moment: float) -> str:
    """The file name of a backup taken at ``moment`` (UTC, so that names sort by time)."""
    return datetime.fromtimestamp(moment, UTC).strftime("linli-%Y%m%dT%H%M%SZ.db")


def backups_in(folder: Path) -> list[Path]:
    """Linli's backups in a folder, oldest first (other files are never touched)."""
    return sorted(path for path in folder.iterdir() if _NAME.match(path.name))


class Backups:
    """Plans, takes, checks and prunes the scheduled backups."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        config: Settings,
        outbox: Outbox,
        scheduler: Scheduler,
        people: People,
        users: UserRepository,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.outbox = outbox
        self.scheduler = scheduler
        self.people = people
        self.users = users
        self.meta = MetaRepository(db)
        self._running: set[asyncio.Task[BackupRecord]] = set()

    def jobs(self) -> dict[str, JobHandler]:
        """The job kind this service runs."""
        return {BACKUP_KIND: self._due}

    async def plan(self) -> None:
        """At start: make sure the next backup is stored (the first one right away)."""
        settings = self.config.backup
        if settings.folder is None or await self.scheduler.repo.pending_of_kind(BACKUP_KIND):
            return
        last = await self.last()
        now = self.clock.now()
        due = now if last is None else max(now, last.at + settings.every.total_seconds())
        async with self.db.transaction() as tx:
            await self._schedule(tx, due)

    async def last(self) -> BackupRecord | None:
        """The outcome of the latest scheduled backup."""
        return BackupRecord.from_json(await self.meta.get(LAST_BACKUP_KEY))

    async def idle(self) -> None:
        """Wait for a backup under way (before the database closes, and in tests)."""
        while self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    async def _schedule(self, tx: Transaction, due: float) -> None:
        # A backup late by up to a whole period still runs: better late than skipped.
        grace = int(self.config.backup.every.total_seconds())
        await self.scheduler.schedule(tx, BACKUP_KIND, f"backup {due:.0f}", due,
                                      grace_seconds=grace)

    async def _due(self, tx: Transaction, job: Job) -> None:
        """The job: plan the next one, and take this one once the transaction commits."""
        every = self.config.backup.every.total_seconds()
        now = self.clock.now()
        following = job.due_at + every
        await self._schedule(tx, following if following > now else now + every)
        tx.after_commit(self._start)

    def _start(self) -> None:
        task = asyncio.create_task(self.take(), name="backup")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def take(self) -> BackupRecord:
        """Take one backup now, check it, prune the old ones, and record the outcome."""
        folder = self.config.backup.folder
        assert folder is not None
        now = self.clock.now()
        target = folder / backup_name(now)
        partial = target.with_name(target.name + ".partial")
        try:
            await self.db.backup_to(partial)
            problem = await asyncio.to_thread(integrity_problem, partial)
            if problem is not None:
                raise BackupFailed(f"the copy failed its integrity check: {problem}")
            partial.replace(target)
            removed = self._prune(folder)
            record = BackupRecord(now, True, str(target), target.stat().st_size)
            log.info("backup written to %s (%d bytes, integrity ok; %d old one(s) removed)",
                     target, record.size, len(removed))
        except Exception as error:  # any failure is reported, and the bot goes on
            partial.unlink(missing_ok=True)
            reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
            record = BackupRecord(now, False, str(target), error=reason)
            log.error("backup to %s failed: %s", folder, reason)
            await self._tell_admins(record)
        await self.meta.put(LAST_BACKUP_KEY, record.to_json())
        return record

    def _prune(self, folder: Path) -> list[Path]:
        """Remove the oldest backups past ``backup.keep``."""
        old = backups_in(folder)[: -self.config.backup.keep]
        for path in old:
            path.unlink(missing_ok=True)
        return old

    async def _tell_admins(self, failed: BackupRecord) -> None:
        """Each community admin hears in private, in their own language."""
        good = await self.last()
        async with self.db.transaction() as tx:
            for admin_id in self.config.community.admins:
                admin = await self.users.get(admin_id)
                if admin is not None and admin.blocked:
                    continue
                t = await self.people.translator_for(admin_id)
                last_good = (
                    self._when(good.at) if good is not None and good.ok else t("never")
                )
                text = t(
                    "⚠️ The scheduled backup of my database failed: {reason}\n"
                    "The last good backup is from {when}. Please look at the backup folder "
                    "on my server ({folder}): it must exist, be writable and have free space.",
                    reason=failed.error or "?", when=last_good,
                    folder=str(self.config.backup.folder),
                )
                key = f"backup failed {failed.at:.0f} {admin_id}"
                await self.outbox.queue(tx, admin_id, text, kind=FAILED_KIND, dedupe_key=key)

    def _when(self, moment: float) -> str:
        return datetime.fromtimestamp(moment, self.config.community.tz).strftime("%Y-%m-%d %H:%M")


class RestoreRefused(Exception):
    """`linli restore` will not replace the database; the message says why."""


@dataclass(frozen=True)
class Restored:
    """What `linli restore` did."""

    version: int
    kept: Path | None  # where the replaced database now is


async def restore(database: Path, source: Path, now: float) -> Restored:
    """Put the backup ``source`` in place of ``database``, keeping the replaced file.

    Refused while a bot is running on the database, and for a file that is not a sound
    Linli database no newer than this Linli.
    """
    problem = await asyncio.to_thread(_backup_problem, source)
    if problem is not None:
        raise RestoreRefused(f"{source} {problem}")
    if await asyncio.to_thread(database.exists):
        await _refuse_if_running(database, now)
    kept = await asyncio.to_thread(_swap, database, source, now)
    return Restored(await asyncio.to_thread(schema_version_of, database), kept)


def _backup_problem(source: Path) -> str | None:
    """Why ``source`` cannot be restored, or None."""
    if not source.is_file():
        return "does not exist"
    problem = database_file_problem(source, latest_version()) or integrity_problem(source)
    if problem is None and schema_version_of(source) == 0:
        return "is not a Linli database (it has no Linli schema)"
    return problem


def _swap(database: Path, source: Path, now: float) -> Path | None:
    """Move the database aside (its log folded in first), then copy the backup in its place."""
    kept = None
    if database.exists():
        checkpoint(database)
        stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = database.with_name(f"{database.name}.replaced-{stamp}")
        database.replace(kept)
        for suffix in ("-wal", "-shm"):
            Path(str(database) + suffix).unlink(missing_ok=True)
    copy_database(source, database)
    return kept


async def _refuse_if_running(database: Path, now: float) -> None:
    if database_file_problem(database, latest_version()) is not None:
        return  # not a database we could read: nothing runs on it
    db = await Database.open(database)
    try:
        heartbeat = await last_heartbeat(MetaRepository(db))
    except Exception:  # a database without the meta table yet
        heartbeat = None
    finally:
        await db.close()
    if heartbeat is not None and heartbeat.running(now):
        raise RestoreRefused(
            f"a bot is running on {database} (process {heartbeat.pid} on {heartbeat.host}, "
            f"alive {now - heartbeat.at:.0f}s ago): stop it first (systemctl stop linli)"
        )
