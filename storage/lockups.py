"""Facilities that a volunteer closes (the study room), and their lock-up reports."""

from __future__ import annotations

import json
import sqlite3

from bot.domain.lockups import Facility, Lockup
from storage.db import Database, Transaction


class LockupRepository:
    """Facilities and lock-ups."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add_facility(
        self,
        tx: Transaction,
        building_id: int,
        name: str,
        closing: list[int | None],
        checklist: list[str],
        by: int | None,
        now: float,
    ) -> Facility | None:
        """Add a facility; None if the building has an active one of that name already."""
        try:
            cursor = await tx.execute(
                """INSERT INTO facilities (building_id, name, closing, checklist, created_by,
                                           created_at)
                   VALUES (?, ?, ?, ?, ?, ?)""",
                (
                    building_id,
                    name,
                    json.dumps(closing),
                    json.dumps(checklist, ensure_ascii=False),
                    by,
                    now,
                ),
            )
        except sqlite3.IntegrityError:
            return None
        row = await tx.fetch_one("SELECT * FROM facilities WHERE id = ?", (cursor.lastrowid,))
        return Facility.from_row(row)

    async def retire(self, tx: Transaction, facility_id: int) -> bool:
        """Stop checking a facility (its history stays); False if it was retired already."""
        cursor = await tx.execute(
            "UPDATE facilities SET active = 0 WHERE id = ? AND active = 1", (facility_id,)
        )
        return cursor.rowcount == 1

    async def facility(self, facility_id: int) -> Facility | None:
        """A facility by id."""
        row = await self.db.fetch_one("SELECT * FROM facilities WHERE id = ?", (facility_id,))
        return None if row is None else Facility.from_row(row)

    async def facilities(
        self, building_id: int | None = None, *, active_only: bool = True
    ) -> list[Facility]:
        """The facilities of a building (or of every building), by name."""
        rows = await self.db.fetch_all(
            """SELECT * FROM facilities WHERE (? IS NULL OR building_id = ?)
               AND (active = 1 OR ? = 0) ORDER BY building_id, name""",
            (building_id, building_id, int(active_only)),
        )
        return [Facility.from_row(row) for row in rows]

    async def open_lockup(
        self, tx: Transaction, facility_id: int, day: str, closing_at: float
    ) -> Lockup:
        """The lock-up of a facility and day, created when first needed; a later expected
        closing (a booking that ends after closing time) moves an open one on."""
        await tx.execute(
            """INSERT INTO lockups (facility_id, day, closing_at) VALUES (?, ?, ?)
               ON CONFLICT (facility_id, day) DO UPDATE
               SET closing_at = max(closing_at, excluded.closing_at) WHERE status = 'open'""",
            (facility_id, day, closing_at),
        )
        row = await tx.fetch_one(
            "SELECT * FROM lockups WHERE facility_id = ? AND day = ?", (facility_id, day)
        )
        return Lockup.from_row(row)

    async def lockup(self, lockup_id: int) -> Lockup | None:
        """A lock-up by id."""
        row = await self.db.fetch_one("SELECT * FROM lockups WHERE id = ?", (lockup_id,))
        return None if row is None else Lockup.from_row(row)

    async def toggle(
        self, tx: Transaction, lockup_id: int, index: int, ticked: bool | None = None
    ) -> bool:
        """Tick or untick one item (flip it, or set it as ``ticked`` says) while the
        checklist is open; False once it is not."""
        flip, tick = ticked is None, bool(ticked)
        cursor = await tx.execute(
            """UPDATE lockups
               SET ticked = CASE WHEN :flip THEN (ticked | :bit) - (ticked & :bit)
                                 WHEN :tick THEN ticked | :bit
                                 ELSE ticked & ~:bit END
               WHERE id = :id AND status = 'open'""",
            {"bit": 1 << index, "id": lockup_id, "flip": flip, "tick": tick},
        )
        return cursor.rowcount == 1

    async def finish_checklist(
        self, tx: Transaction, lockup_id: int, user_id: int, all_ticked: int
    ) -> bool:
        """Everything is ticked: the lock-up waits for this volunteer's note (one winner)."""
        cursor = await tx.execute(
            """UPDATE lockups SET status = 'awaiting_note', user_id = ?
               WHERE id = ? AND status = 'open' AND ticked = ?""",
            (user_id, lockup_id, all_ticked),
        )
        return cursor.rowcount == 1

    async def awaiting_note(self, user_id: int) -> Lockup | None:
        """The lock-up whose note this volunteer's next private message is."""
        row = await self.db.fetch_one(
            """SELECT * FROM lockups WHERE user_id = ? AND status = 'awaiting_note'
               ORDER BY id DESC LIMIT 1""",
            (user_id,),
        )
        return None if row is None else Lockup.from_row(row)

    async def report(
        self,
        tx: Transaction,
        lockup_id: int,
        user_id: int,
        at: float,
        late: bool,
        note: str | None,
        photo: str | None,
    ) -> bool:
        """Record the report of a lock-up this volunteer finished; False if it was reported."""
        cursor = await tx.execute(
            """UPDATE lockups SET status = 'reported', reported_at = ?, late = ?, note = ?,
                   photo = ?
               WHERE id = ? AND user_id = ? AND status = 'awaiting_note'""",
            (at, int(late), note, photo, lockup_id, user_id),
        )
        return cursor.rowcount == 1

    async def note_problem(
        self, tx: Transaction, lockup_id: int, problem: str, request_id: int
    ) -> None:
        """Keep the problem noted with a lock-up, and the repair request it became."""
        await tx.execute(
            "UPDATE lockups SET problem = ?, problem_request = ? WHERE id = ?",
            (problem, request_id, lockup_id),
        )

    async def mark(self, tx: Transaction, lockup_id: int, column: str, now: float) -> None:
        """Note when the volunteer was reminded or the owners were told."""
        if column not in ("reminded_at", "escalated_at"):
            raise ValueError(column)
        await tx.execute(f"UPDATE lockups SET {column} = ? WHERE id = ?", (now, lockup_id))

    async def history(self, building_id: int, since: float) -> list[Lockup]:
        """The lock-ups of a building's facilities that closed since ``since``, newest first."""
        rows = await self.db.fetch_all(
            """SELECT l.* FROM lockups l JOIN facilities f ON f.id = l.facility_id
               WHERE f.building_id = ? AND l.closing_at >= ?
               ORDER BY l.closing_at DESC, f.name""",
            (building_id, since),
        )
        return [Lockup.from_row(row) for row in rows]
