"""The duty roster: shifts and their volunteers, swaps, handovers and their notes."""

from __future__ import annotations

import sqlite3

from bot.domain.roster import Handover, HandoverNote, Shift, Swap
from bot.errors import Conflict, NotFound
from bot.i18n import N_
from storage.db import Database, Transaction


class RosterRepository:
    """Shifts, their volunteers, swaps, handovers and building roster settings."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- shifts ------------------------------------------------------------------------

    async def add_shift(
        self,
        tx: Transaction,
        building_id: int,
        weekday: int,
        start: int,
        end: int,
        by: int | None,
        now: float,
    ) -> tuple[Shift, bool]:
        """The shift with these times, created if new; returns (shift, created)."""
        cursor = await tx.execute(
            """INSERT INTO shifts (building_id, weekday, start_minute, end_minute,
                                   created_by, created_at)
               VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (building_id, weekday, start_minute, end_minute) DO NOTHING""",
            (building_id, weekday, start, end, by, now),
        )
        row = await tx.fetch_one(
            """SELECT * FROM shifts WHERE building_id = ? AND weekday = ?
               AND start_minute = ? AND end_minute = ?""",
            (building_id, weekday, start, end),
        )
        return Shift.from_row(row), cursor.rowcount == 1

    async def remove_shift(self, tx: Transaction, shift_id: int) -> bool:
        """Delete a shift with its volunteers, swaps and notes; False if it was gone."""
        cursor = await tx.execute("DELETE FROM shifts WHERE id = ?", (shift_id,))
        return cursor.rowcount == 1

    async def shift(self, shift_id: int) -> Shift | None:
        """A shift by id."""
        row = await self.db.fetch_one("SELECT * FROM shifts WHERE id = ?", (shift_id,))
        return None if row is None else Shift.from_row(row)

    async def shifts(self, building_id: int | None = None) -> list[Shift]:
        """The shifts of a building (or of every building), in weekly order."""
        rows = await self.db.fetch_all(
            """SELECT * FROM shifts WHERE ? IS NULL OR building_id = ?
               ORDER BY building_id, weekday, start_minute, end_minute""",
            (building_id, building_id),
        )
        return [Shift.from_row(row) for row in rows]

    # --- who is on a shift -------------------------------------------------------------

    async def assigned(self, shift_id: int) -> list[int]:
        """The volunteers on a shift every week, in the order they were added."""
        rows = await self.db.fetch_all(
            "SELECT user_id FROM shift_volunteers WHERE shift_id = ? ORDER BY rowid",
            (shift_id,),
        )
        return [row[0] for row in rows]

    async def assign(self, tx: Transaction, shift_id: int, user_id: int) -> bool:
        """Put a volunteer on a shift; False if they were on it already."""
        try:
            cursor = await tx.execute(
                """INSERT INTO shift_volunteers (shift_id, user_id) VALUES (?, ?)
                   ON CONFLICT DO NOTHING""",
                (shift_id, user_id),
            )
        except sqlite3.IntegrityError:
            raise NotFound(N_("That shift no longer exists.")) from None
        return cursor.rowcount == 1

    async def unassign(self, tx: Transaction, shift_id: int, user_id: int) -> bool:
        """Take a volunteer off a shift; False if they were not on it."""
        cursor = await tx.execute(
            "DELETE FROM shift_volunteers WHERE shift_id = ? AND user_id = ?", (shift_id, user_id)
        )
        return cursor.rowcount == 1

    # --- swaps -------------------------------------------------------------------------

    async def offer_swap(
        self, tx: Transaction, shift_id: int, day: str, from_user: int, to_user: int, now: float
    ) -> Swap:
        """Offer an occurrence to another volunteer; an earlier open offer of it is withdrawn."""
        await tx.execute(
            """UPDATE swaps SET status = 'withdrawn', decided_at = ?
               WHERE shift_id = ? AND day = ? AND from_user = ? AND status = 'offered'""",
            (now, shift_id, day, from_user),
        )
        try:
            cursor = await tx.execute(
                """INSERT INTO swaps (shift_id, day, from_user, to_user, created_at)
                   VALUES (?, ?, ?, ?, ?)""",
                (shift_id, day, from_user, to_user, now),
            )
        except sqlite3.IntegrityError:
            raise Conflict(N_("That shift no longer exists.")) from None
        row = await tx.fetch_one("SELECT * FROM swaps WHERE id = ?", (cursor.lastrowid,))
        return Swap.from_row(row)

    async def swap(self, swap_id: int) -> Swap | None:
        """A swap by id."""
        row = await self.db.fetch_one("SELECT * FROM swaps WHERE id = ?", (swap_id,))
        return None if row is None else Swap.from_row(row)

    async def decide_swap(
        self, tx: Transaction, swap_id: int, to_user: int, status: str, now: float
    ) -> bool:
        """Accept or decline an open offer made to ``to_user``; False if it was not open."""
        cursor = await tx.execute(
            """UPDATE swaps SET status = ?, decided_at = ?
               WHERE id = ? AND to_user = ? AND status = 'offered'""",
            (status, now, swap_id, to_user),
        )
        return cursor.rowcount == 1

    async def accepted_swaps(self, shift_id: int, day: str) -> list[Swap]:
        """The accepted swaps of one occurrence, in the order they were made."""
        rows = await self.db.fetch_all(
            """SELECT * FROM swaps WHERE shift_id = ? AND day = ? AND status = 'accepted'
               ORDER BY id""",
            (shift_id, day),
        )
        return [Swap.from_row(row) for row in rows]

    # --- handovers ---------------------------------------------------------------------

    async def save_note(
        self, tx: Transaction, shift_id: int, day: str, user_id: int, note: str, now: float
    ) -> None:
        """Store (or replace) a volunteer's note for the end of an occurrence; the same note
        again (a /handover handled twice) changes nothing, so it is not delivered twice."""
        await tx.execute(
            """INSERT INTO handover_notes (shift_id, day, user_id, note, written_at)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (shift_id, day, user_id) DO UPDATE SET note = excluded.note,
                   written_at = excluded.written_at, delivered_at = NULL
               WHERE note != excluded.note""",
            (shift_id, day, user_id, note, now),
        )

    async def take_notes(
        self, tx: Transaction, shift_id: int, day: str, now: float
    ) -> list[HandoverNote]:
        """The undelivered notes of an occurrence, marked delivered."""
        rows = await tx.fetch_all(
            """SELECT * FROM handover_notes WHERE shift_id = ? AND day = ?
               AND delivered_at IS NULL ORDER BY written_at""",
            (shift_id, day),
        )
        await tx.execute(
            """UPDATE handover_notes SET delivered_at = ?
               WHERE shift_id = ? AND day = ? AND delivered_at IS NULL""",
            (now, shift_id, day),
        )
        return [HandoverNote.from_row(row) for row in rows]

    async def record_handover(
        self, tx: Transaction, shift_id: int, day: str, incoming: list[int], now: float
    ) -> bool:
        """Record that an occurrence was handed over; False if it was already."""
        cursor = await tx.execute(
            """INSERT INTO handovers (shift_id, day, incoming, handed_at) VALUES (?, ?, ?, ?)
               ON CONFLICT DO NOTHING""",
            (shift_id, day, " ".join(map(str, incoming)), now),
        )
        return cursor.rowcount == 1

    async def handover(self, shift_id: int, day: str) -> Handover | None:
        """The handover of an occurrence, if it ran."""
        row = await self.db.fetch_one(
            "SELECT * FROM handovers WHERE shift_id = ? AND day = ?", (shift_id, day)
        )
        return None if row is None else Handover.from_row(row)

    # --- settings ----------------------------------------------------------------------

    async def handover_in_group(self, building_id: int) -> bool:
        """Whether handovers are announced in the building's group."""
        value = await self.db.fetch_value(
            "SELECT handover_in_group FROM building_settings WHERE building_id = ?",
            (building_id,),
        )
        return bool(value)

    async def set_handover_in_group(self, tx: Transaction, building_id: int, on: bool) -> None:
        """Turn the group's handover announcements on or off."""
        await tx.execute(
            """INSERT INTO building_settings (building_id, handover_in_group) VALUES (?, ?)
               ON CONFLICT (building_id) DO UPDATE SET
                   handover_in_group = excluded.handover_in_group""",
            (building_id, int(on)),
        )
