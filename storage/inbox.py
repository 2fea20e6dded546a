"""The inbox: every update stored before Telegram is told it arrived."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.core import InboxUpdate
from storage.db import Database


class InboxRepository:
    """Store updates, hand them out in order, and mark them handled."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def store(self, updates: Sequence[tuple[int, str]], now: float) -> int:
        """Store raw updates (update id, JSON text), ignoring redeliveries; returns how many
        were new."""
        if not updates:
            return 0
        return await self.db.write_many(
            """INSERT INTO inbox (update_id, payload, received_at) VALUES (?, ?, ?)
               ON CONFLICT (update_id) DO NOTHING""",
            [(update_id, payload, now) for update_id, payload in updates],
        )

    async def pending(self, limit: int = 100, after: int = 0) -> list[InboxUpdate]:
        """Updates not yet handled, in the order Telegram sent them (those past ``after``)."""
        rows = await self.db.fetch_all(
            """SELECT update_id, payload, status, attempts FROM inbox
               WHERE status = 'pending' AND update_id > ? ORDER BY update_id LIMIT ?""",
            (after, limit),
        )
        return [InboxUpdate.from_row(row) for row in rows]

    async def count_attempts(self, update_ids: list[int]) -> None:
        """Count one more attempt for these updates (those in hand when the process stopped)."""
        await self.db.write_many(
            "UPDATE inbox SET attempts = attempts + 1 WHERE update_id = ?",
            [(update_id,) for update_id in update_ids],
        )

    async def mark(self, update_id: int, status: str, now: float, error: str | None = None) -> None:
        """Settle an update as handled or failed."""
        await self.db.write(
            "UPDATE inbox SET status = ?, handled_at = ?, error = ? WHERE update_id = ?",
            (status, now, error, update_id),
        )

    async def last_update_id(self) -> int | None:
        """The highest update id stored, to resume getUpdates after a restart."""
        value = await self.db.fetch_value("SELECT max(update_id) FROM inbox")
        return None if value is None else int(value)

    async def prune(self, before: float) -> int:
        """Forget handled updates older than ``before``; the newest row always stays."""
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                """DELETE FROM inbox WHERE status != 'pending' AND handled_at < ?
                   AND update_id < (SELECT max(update_id) FROM inbox)""",
                (before,),
            )
            return cursor.rowcount
