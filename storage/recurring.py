"""Recurring notices, their buildings, and the quiet hours of building groups."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.domain.recurring import QuietHours, RecurringNotice
from storage.db import Database, Transaction

Reader = Database | Transaction

_RULES = """
    SELECT r.*, (SELECT group_concat(name, ', ') FROM (
                    SELECT b.name FROM recurring_notice_buildings rb
                    JOIN buildings b ON b.id = rb.building_id
                    WHERE rb.recurring_id = r.id ORDER BY b.name)) AS building_names
    FROM recurring_notices r
"""


class RecurringRepository:
    """Recurring notices and the buildings each goes to."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self,
        tx: Transaction,
        author_id: int,
        origin_chat_id: int,
        text: str,
        pin: bool,
        rule: Mapping[str, Any],
        now: float,
        source_message_id: int | None,
    ) -> int:
        """Store a new, active rule (kind, minute, weekday, day, weeks, anchor)."""
        cursor = await tx.execute(
            """INSERT INTO recurring_notices (author_id, origin_chat_id, text, pin, kind, minute,
                   weekday, day, weeks, anchor, created_at, source_message_id)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (author_id, origin_chat_id, text, int(pin), rule["kind"], rule["minute"],
             rule["weekday"], rule["day"], rule["weeks"], rule["anchor"], now, source_message_id),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def add_building(self, tx: Transaction, recurring_id: int, building_id: int) -> None:
        """One building the rule posts to."""
        await tx.execute(
            """INSERT OR IGNORE INTO recurring_notice_buildings (recurring_id, building_id)
               VALUES (?, ?)""",
            (recurring_id, building_id),
        )

    async def by_source(
        self, tx: Transaction, origin_chat_id: int, source_message_id: int
    ) -> int | None:
        """The rule a command message created, if it was handled before."""
        value = await tx.fetch_value(
            """SELECT id FROM recurring_notices
               WHERE origin_chat_id = ? AND source_message_id = ?""",
            (origin_chat_id, source_message_id),
        )
        return None if value is None else int(value)

    async def get(self, reader: Reader, recurring_id: int) -> RecurringNotice | None:
        """A rule by id."""
        row = await reader.fetch_one(_RULES + " WHERE r.id = ?", (recurring_id,))
        return None if row is None else RecurringNotice.from_row(row)

    async def building_ids(self, reader: Reader, recurring_id: int) -> list[int]:
        """The buildings a rule posts to."""
        rows = await reader.fetch_all(
            "SELECT building_id FROM recurring_notice_buildings WHERE recurring_id = ?",
            (recurring_id,),
        )
        return [int(row[0]) for row in rows]

    async def set_next(self, tx: Transaction, recurring_id: int, next_at: float) -> None:
        """The occurrence planned next."""
        await tx.execute(
            "UPDATE recurring_notices SET next_at = ? WHERE id = ?", (next_at, recurring_id)
        )

    async def stop(self, tx: Transaction, recurring_id: int, user_id: int, now: float) -> bool:
        """Stop an active rule; False if it was stopped already."""
        cursor = await tx.execute(
            """UPDATE recurring_notices SET status = 'stopped', stopped_at = ?, stopped_by = ?
               WHERE id = ? AND status = 'active'""",
            (now, user_id, recurring_id),
        )
        return cursor.rowcount == 1

    async def active_for(
        self, building_ids: Sequence[int], author_id: int | None
    ) -> list[RecurringNotice]:
        """Active rules that post to these buildings or were written by the author, soonest
        first."""
        marks = ",".join("?" for _ in building_ids) or "NULL"
        rows = await self.db.fetch_all(
            _RULES
            + f""" WHERE r.status = 'active' AND (r.author_id = ? OR r.id IN (
                       SELECT recurring_id FROM recurring_notice_buildings
                       WHERE building_id IN ({marks})))
                   ORDER BY r.next_at, r.id LIMIT 20""",
            (author_id if author_id is not None else -1, *building_ids),
        )
        return [RecurringNotice.from_row(row) for row in rows]

    async def active(self) -> list[RecurringNotice]:
        """Every active rule (to mend their chains of jobs at start)."""
        rows = await self.db.fetch_all(_RULES + " WHERE r.status = 'active' ORDER BY r.id")
        return [RecurringNotice.from_row(row) for row in rows]


class QuietHoursRepository:
    """The quiet hours of building groups."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, reader: Reader, building_id: int) -> QuietHours | None:
        """A building's quiet hours; None when it has none."""
        row = await reader.fetch_one(
            "SELECT * FROM quiet_hours WHERE building_id = ?", (building_id,)
        )
        return None if row is None else QuietHours.from_row(row)

    async def set(
        self, tx: Transaction, building_id: int, start: int, end: int, user_id: int, now: float
    ) -> None:
        """Set (or change) a building's quiet hours; the same hours again change nothing."""
        await tx.execute(
            """INSERT INTO quiet_hours (building_id, start_minute, end_minute, set_by, set_at)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (building_id) DO UPDATE SET start_minute = excluded.start_minute,
                   end_minute = excluded.end_minute, set_by = excluded.set_by,
                   set_at = excluded.set_at
               WHERE start_minute <> excluded.start_minute
                  OR end_minute <> excluded.end_minute""",
            (building_id, start, end, user_id, now),
        )

    async def clear(self, tx: Transaction, building_id: int) -> bool:
        """Turn a building's quiet hours off; False if it had none."""
        cursor = await tx.execute("DELETE FROM quiet_hours WHERE building_id = ?", (building_id,))
        return cursor.rowcount == 1
