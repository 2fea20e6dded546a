"""Dead letters: updates set aside, kept as they came, for an operator to look at."""

from __future__ import annotations

from bot.domain.core import DeadLetter
from storage.db import Database


class DeadLetterRepository:
    """Set updates aside, count and list them, and mark them as looked at."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self, update_id: int | None, source: str, payload: bytes, error: str, now: float
    ) -> bool:
        """Keep a bad update; False when this update id was set aside already (a redelivery)."""
        changed = await self.db.write(
            """INSERT INTO dead_letters (update_id, source, payload, error, received_at)
               VALUES (?, ?, ?, ?, ?) ON CONFLICT (update_id) DO NOTHING""",
            (update_id, source, payload, error, now),
        )
        return changed > 0

    async def count(self) -> tuple[int, int]:
        """How many dead letters there are, and how many of them nobody has looked at."""
        row = await self.db.fetch_one(
            "SELECT count(*), count(*) FILTER (WHERE seen_at IS NULL) FROM dead_letters"
        )
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def latest(self, limit: int = 5) -> list[DeadLetter]:
        """The newest dead letters first."""
        rows = await self.db.fetch_all(
            """SELECT id, update_id, source, error, received_at, seen_at FROM dead_letters
               ORDER BY id DESC LIMIT ?""",
            (limit,),
        )
        return [DeadLetter.from_row(row) for row in rows]

    async def acknowledge(self, now: float) -> int:
        """Mark every dead letter as looked at; returns how many were new."""
        return await self.db.write(
            "UPDATE dead_letters SET seen_at = ? WHERE seen_at IS NULL", (now,)
        )
