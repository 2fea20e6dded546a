"""Nudges of notices: who has not confirmed, the rounds of reminders, and who they reached."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from bot.domain.core import User
from bot.domain.notices import Confirmer, Nudge, Reminded
from storage.db import Database, Transaction

# Residents known in a post's group (not its admins: the owners) who confirmed no post of
# the notice; the flat they gave, if any.
_UNCONFIRMED = """
    SELECT p.id AS post_id, b.name AS building_name, f.flat AS flat, u.*
    FROM notice_posts p
    JOIN buildings b ON b.id = p.building_id
    JOIN members m ON m.building_id = p.building_id AND m.resident = 1 AND m.left_at IS NULL
    JOIN users u ON u.id = m.user_id
    LEFT JOIN flats f ON f.building_id = p.building_id AND f.user_id = m.user_id
    WHERE p.notice_id = ?
      AND NOT EXISTS (SELECT 1 FROM chat_admins a WHERE a.chat_id = p.chat_id
                      AND a.user_id = m.user_id)
      AND NOT EXISTS (SELECT 1 FROM notice_confirmations c
                      JOIN notice_posts cp ON cp.id = c.post_id
                      WHERE cp.notice_id = p.notice_id AND c.user_id = m.user_id)
"""


class NudgeRepository:
    """Rounds of reminders and the people they reached."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def unconfirmed(
        self, tx: Transaction, notice_id: int, post_ids: Sequence[int]
    ) -> list[Reminded]:
        """Who has not confirmed, in these posts' groups, by post and then by user."""
        marks = ",".join("?" for _ in post_ids) or "NULL"
        rows = await tx.fetch_all(
            _UNCONFIRMED + f" AND p.id IN ({marks}) ORDER BY p.id, u.id",
            (notice_id, *post_ids),
        )
        return [
            Reminded(post_id=row["post_id"], user=User.from_row(row), flat=row["flat"])
            for row in rows
        ]

    async def pending(self, notice_id: int) -> list[Confirmer]:
        """Who has not confirmed a notice, by building and name (what its owners read)."""
        rows = await self.db.fetch_all(
            _UNCONFIRMED + " ORDER BY b.name, u.first_name, u.id", (notice_id,)
        )
        return [
            Confirmer(building_name=row["building_name"], user=User.from_row(row),
                      flat=row["flat"])
            for row in rows
        ]

    async def households(self, notice_id: int) -> dict[str, tuple[int, int]]:
        """Per building where flats are known: households that confirmed, households known."""
        rows = await self.db.fetch_all(
            """SELECT b.name AS building_name, count(DISTINCT f.flat) AS known,
                      count(DISTINCT CASE WHEN EXISTS (
                          SELECT 1 FROM notice_confirmations c
                          JOIN notice_posts cp ON cp.id = c.post_id
                          WHERE cp.notice_id = p.notice_id AND c.user_id = f.user_id)
                      THEN f.flat END) AS confirmed
               FROM notice_posts p
               JOIN buildings b ON b.id = p.building_id
               JOIN flats f ON f.building_id = p.building_id
               JOIN members m ON m.building_id = f.building_id AND m.user_id = f.user_id
                             AND m.left_at IS NULL
               WHERE p.notice_id = ?
               GROUP BY p.id""",
            (notice_id,),
        )
        return {row["building_name"]: (row["confirmed"], row["known"]) for row in rows}

    async def by_source(self, tx: Transaction, source: str) -> Nudge | None:
        """The round a press or a job made, if it was handled before."""
        row = await tx.fetch_one("SELECT * FROM notice_nudges WHERE source = ?", (source,))
        return None if row is None else Nudge.from_row(row)

    async def on_day(self, tx: Transaction, notice_id: int, day: str) -> Nudge | None:
        """The notice's round of that day, if there was one."""
        row = await tx.fetch_one(
            "SELECT * FROM notice_nudges WHERE notice_id = ? AND day = ?", (notice_id, day)
        )
        return None if row is None else Nudge.from_row(row)

    async def add(
        self, tx: Transaction, notice_id: int, day: str, by_user: int | None, source: str,
        at: float,
    ) -> int | None:
        """Start the day's round; None if the notice had one that day (the index decides)."""
        try:
            cursor = await tx.execute(
                """INSERT INTO notice_nudges (notice_id, day, by_user, source, at)
                   VALUES (?, ?, ?, ?, ?)""",
                (notice_id, day, by_user, source, at),
            )
        except sqlite3.IntegrityError as error:
            if "UNIQUE" not in str(error):
                raise
            return None
        return cursor.lastrowid

    async def add_person(
        self, tx: Transaction, nudge_id: int, post_id: int, user_id: int, how: str
    ) -> bool:
        """Record whom the round reminds; False if they were reminded in it already."""
        cursor = await tx.execute(
            """INSERT OR IGNORE INTO notice_nudged (nudge_id, post_id, user_id, how)
               VALUES (?, ?, ?, ?)""",
            (nudge_id, post_id, user_id, how),
        )
        return cursor.rowcount == 1

    async def set_counts(
        self, tx: Transaction, nudge_id: int, in_private: int, in_group: int
    ) -> Nudge:
        """How many the round reached, each way; returns the round."""
        await tx.execute(
            "UPDATE notice_nudges SET in_private = ?, in_group = ? WHERE id = ?",
            (in_private, in_group, nudge_id),
        )
        row = await tx.fetch_one("SELECT * FROM notice_nudges WHERE id = ?", (nudge_id,))
        assert row is not None
        return Nudge.from_row(row)

    async def was_reminded(self, tx: Transaction, post_id: int, user_id: int) -> bool:
        """Whether a private reminder of this post went to the person."""
        value = await tx.fetch_value(
            """SELECT 1 FROM notice_nudged
               WHERE post_id = ? AND user_id = ? AND how = 'private'""",
            (post_id, user_id),
        )
        return value is not None

    async def may_write(self, tx: Transaction, user_id: int) -> bool:
        """Whether the person started the bot and did not block it."""
        value = await tx.fetch_value(
            "SELECT started AND NOT blocked FROM users WHERE id = ?", (user_id,)
        )
        return bool(value)
