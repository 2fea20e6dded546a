"""Scheduled work, stored as rows."""

from __future__ import annotations

import json
from typing import Any

from bot.domain.core import Job
from storage.db import Database, Transaction


class JobRepository:
    """Schedule, cancel, pick and settle jobs."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def schedule(
        self,
        tx: Transaction,
        kind: str,
        key: str,
        due_at: float,
        payload: dict[str, Any],
        now: float,
        grace_seconds: int | None = None,
    ) -> None:
        """Create the job ``key``, or move it to a new time if it is still pending."""
        await tx.execute(
            """INSERT INTO jobs (kind, key, due_at, payload, grace_seconds, created_at)
               VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (key) DO UPDATE SET due_at = excluded.due_at,
                   payload = excluded.payload, grace_seconds = excluded.grace_seconds
               WHERE jobs.status = 'pending'""",
            (kind, key, due_at, json.dumps(payload, ensure_ascii=False), grace_seconds, now),
        )

    async def cancel(self, tx: Transaction, key: str, now: float) -> bool:
        """Cancel a pending job; False if it was not pending."""
        cursor = await tx.execute(
            """UPDATE jobs SET status = 'cancelled', finished_at = ?
               WHERE key = ? AND status = 'pending'""",
            (now, key),
        )
        return cursor.rowcount == 1

    async def due(self, now: float, limit: int) -> list[Job]:
        """Pending jobs whose time has come, earliest first."""
        rows = await self.db.fetch_all(
            "SELECT * FROM jobs WHERE status = 'pending' AND due_at <= ? ORDER BY due_at LIMIT ?",
            (now, limit),
        )
        return [Job.from_row(row) for row in rows]

    async def settle(
        self, tx: Transaction, job_id: int, status: str, now: float, error: str | None = None
    ) -> bool:
        """Close a pending job as done, missed or failed; False if someone closed it first."""
        cursor = await tx.execute(
            """UPDATE jobs SET status = ?, finished_at = ?, error = ?
               WHERE id = ? AND status = 'pending'""",
            (status, now, error, job_id),
        )
        return cursor.rowcount == 1

    async def next_due_at(self) -> float | None:
        """When the earliest pending job is due."""
        value = await self.db.fetch_value("SELECT min(due_at) FROM jobs WHERE status = 'pending'")
        return None if value is None else float(value)

    async def get(self, key: str) -> Job | None:
        """A job by key."""
        row = await self.db.fetch_one("SELECT * FROM jobs WHERE key = ?", (key,))
        return None if row is None else Job.from_row(row)

    async def count_pending(self) -> int:
        """Jobs still to run."""
        return int(await self.db.fetch_value("SELECT count(*) FROM jobs WHERE status = 'pending'"))

    async def pending_of_kind(self, kind: str) -> Job | None:
        """The earliest pending job of a kind."""
        row = await self.db.fetch_one(
            "SELECT * FROM jobs WHERE kind = ? AND status = 'pending' ORDER BY due_at LIMIT 1",
            (kind,),
        )
        return None if row is None else Job.from_row(row)
