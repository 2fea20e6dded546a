"""The duty roster: shifts and their volunteers, swaps, handovers and their notes."""

from __future__ import annotations

import sqlite3

from bot.domain.roster import (
    Assignment,
    Away,
    CalendarEvent,
    Handover,
    HandoverNote,
    OpenShift,
    Shift,
    Swap,
)
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

    async def assigned(self, shift_id: int, today: str | None = None) -> list[int]:
        """The volunteers on a shift (from ``today`` on, if given), in the order they were
        added."""
        return [a.user_id for a in await self.assignments(shift_id, today)]

    async def assignments(self, shift_id: int, today: str | None = None) -> list[Assignment]:
        """A shift's volunteers with their dates and weeks, not ended before ``today``."""
        rows = await self.db.fetch_all(
            """SELECT user_id, from_day, until_day, every_weeks FROM shift_volunteers
               WHERE shift_id = ? AND (? IS NULL OR until_day IS NULL OR until_day >= ?)
               ORDER BY rowid""",
            (shift_id, today, today),
        )
        return [Assignment.from_row(row) for row in rows]

    async def assign(
        self,
        tx: Transaction,
        shift_id: int,
        user_id: int,
        from_day: str | None = None,
        every_weeks: int = 1,
    ) -> bool:
        """Put a volunteer on a shift (from a date, every week or every other week); False if
        they were on it already as asked."""
        try:
            cursor = await tx.execute(
                """INSERT INTO shift_volunteers (shift_id, user_id, from_day, every_weeks)
                   VALUES (?, ?, ?, ?)
                   ON CONFLICT DO UPDATE SET from_day = excluded.from_day, until_day = NULL,
                       every_weeks = excluded.every_weeks
                   WHERE until_day IS NOT NULL OR every_weeks != excluded.every_weeks
                      OR (excluded.from_day IS NOT NULL
                          AND coalesce(from_day, '') != excluded.from_day)""",
                (shift_id, user_id, from_day, every_weeks),
            )
        except sqlite3.IntegrityError:
            raise NotFound(N_("That shift no longer exists.")) from None
        return cursor.rowcount == 1

    async def unassign_from(self, tx: Transaction, shift_id: int, user_id: int, last: str) -> bool:
        """Take a volunteer off a shift after the date ``last``; False if they were not on it."""
        cursor = await tx.execute(
            """UPDATE shift_volunteers SET until_day = ?
               WHERE shift_id = ? AND user_id = ? AND (until_day IS NULL OR until_day > ?)""",
            (last, shift_id, user_id, last),
        )
        return cursor.rowcount == 1

    async def set_shift_dates(
        self, tx: Transaction, shift_id: int, valid_from: str | None, valid_until: str | None
    ) -> None:
        """Set when a shift starts and stops occurring."""
        await tx.execute(
            "UPDATE shifts SET valid_from = ?, valid_until = ? WHERE id = ?",
            (valid_from, valid_until, shift_id),
        )

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

    # --- aways -------------------------------------------------------------------------

    async def add_away(
        self,
        tx: Transaction,
        user_id: int,
        starts_on: str,
        ends_on: str,
        note: str,
        by: int,
        now: float,
    ) -> Away:
        """Record a period away."""
        cursor = await tx.execute(
            """INSERT INTO aways (user_id, starts_on, ends_on, note, set_by, created_at)
               VALUES (?, ?, ?, ?, ?, ?)""",
            (user_id, starts_on, ends_on, note, by, now),
        )
        row = await tx.fetch_one("SELECT * FROM aways WHERE id = ?", (cursor.lastrowid,))
        return Away.from_row(row)

    async def aways(self, user_id: int, from_day: str) -> list[Away]:
        """A volunteer's periods away that end on or after a date, soonest first."""
        rows = await self.db.fetch_all(
            "SELECT * FROM aways WHERE user_id = ? AND ends_on >= ? ORDER BY starts_on",
            (user_id, from_day),
        )
        return [Away.from_row(row) for row in rows]

    async def away_on(self, day: str) -> set[int]:
        """The users away on a local date."""
        rows = await self.db.fetch_all(
            "SELECT DISTINCT user_id FROM aways WHERE starts_on <= ? AND ends_on >= ?",
            (day, day),
        )
        return {row[0] for row in rows}

    async def end_aways(self, tx: Transaction, user_id: int, today: str, yesterday: str) -> int:
        """End a volunteer's aways: one under way now ends yesterday, coming ones are dropped;
        returns how many changed."""
        dropped = await tx.execute(
            "DELETE FROM aways WHERE user_id = ? AND starts_on >= ?", (user_id, today)
        )
        cut = await tx.execute(
            "UPDATE aways SET ends_on = ? WHERE user_id = ? AND ends_on >= ?",
            (yesterday, user_id, today),
        )
        return dropped.rowcount + cut.rowcount

    # --- open shifts -------------------------------------------------------------------

    async def open_seat(
        self, tx: Transaction, shift_id: int, day: str, user_id: int, reason: str, now: float
    ) -> OpenShift | None:
        """Open a volunteer's seat of an occurrence (again, if it was cancelled); None if it
        is open or taken already."""
        cursor = await tx.execute(
            """INSERT INTO open_shifts (shift_id, day, user_id, reason, created_at)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (shift_id, day, user_id) DO UPDATE SET status = 'open',
                   reason = excluded.reason, created_at = excluded.created_at
               WHERE status = 'cancelled'""",
            (shift_id, day, user_id, reason, now),
        )
        if cursor.rowcount != 1:
            return None
        row = await tx.fetch_one(
            "SELECT * FROM open_shifts WHERE shift_id = ? AND day = ? AND user_id = ?",
            (shift_id, day, user_id),
        )
        return OpenShift.from_row(row)

    async def open_shift(self, open_id: int) -> OpenShift | None:
        """An open shift by id."""
        row = await self.db.fetch_one(
            "SELECT * FROM open_shifts WHERE id = ?", (open_id,)
        )
        return None if row is None else OpenShift.from_row(row)

    async def open_shifts_of(self, shift_id: int, day: str) -> list[OpenShift]:
        """The open (or taken) seats of one occurrence, in the order they were opened."""
        rows = await self.db.fetch_all(
            """SELECT * FROM open_shifts WHERE shift_id = ? AND day = ?
               AND status != 'cancelled' ORDER BY id""",
            (shift_id, day),
        )
        return [OpenShift.from_row(row) for row in rows]

    async def open_seats_of(self, user_id: int, from_day: str) -> list[OpenShift]:
        """A volunteer's seats still open, from a date on."""
        rows = await self.db.fetch_all(
            """SELECT * FROM open_shifts WHERE user_id = ? AND day >= ? AND status = 'open'
               ORDER BY day, id""",
            (user_id, from_day),
        )
        return [OpenShift.from_row(row) for row in rows]

    async def take_open_shift(
        self, tx: Transaction, open_id: int, user_id: int, now: float
    ) -> bool:
        """The one conditional update of a race: True for the single winner."""
        cursor = await tx.execute(
            """UPDATE open_shifts SET status = 'taken', taken_by = ?, taken_at = ?
               WHERE id = ? AND status = 'open'""",
            (user_id, now, open_id),
        )
        return cursor.rowcount == 1

    async def cancel_open_shift(self, tx: Transaction, open_id: int) -> bool:
        """The seat's volunteer is back: the offer no longer stands."""
        cursor = await tx.execute(
            "UPDATE open_shifts SET status = 'cancelled' WHERE id = ? AND status = 'open'",
            (open_id,),
        )
        return cursor.rowcount == 1

    # --- calendar ----------------------------------------------------------------------

    async def signed_up_events(self, user_id: int, now: float) -> list[CalendarEvent]:
        """The open events someone is going to (not waiting for) that have not started."""
        rows = await self.db.fetch_all(
            """SELECT e.id, e.title, e.place, e.starts_at, s.role FROM events e
               JOIN event_signups s ON s.event_id = e.id
               WHERE s.user_id = ? AND s.status = 'going' AND e.status = 'open'
               AND e.starts_at > ? ORDER BY e.starts_at""",
            (user_id, now),
        )
        return [CalendarEvent(row[0], row[1], row[2], row[3], row[4]) for row in rows]

    # --- the weekly digest -------------------------------------------------------------

    async def digest_at(self, building_id: int) -> tuple[int, int] | None:
        """When the building's weekly digest goes out (weekday, minute); None: off."""
        row = await self.db.fetch_one(
            "SELECT weekday, minute FROM digest_settings WHERE building_id = ?", (building_id,)
        )
        return None if row is None else (row[0], row[1])

    async def digests(self) -> list[tuple[int, int, int]]:
        """Every building with the digest on: (building, weekday, minute)."""
        rows = await self.db.fetch_all("SELECT building_id, weekday, minute FROM digest_settings")
        return [(row[0], row[1], row[2]) for row in rows]

    async def set_digest(
        self, tx: Transaction, building_id: int, at: tuple[int, int] | None
    ) -> None:
        """Turn the weekly digest on at a weekday and minute, or off (None)."""
        if at is None:
            await tx.execute("DELETE FROM digest_settings WHERE building_id = ?", (building_id,))
            return
        await tx.execute(
            """INSERT INTO digest_settings (building_id, weekday, minute) VALUES (?, ?, ?)
               ON CONFLICT (building_id) DO UPDATE SET weekday = excluded.weekday,
                   minute = excluded.minute""",
            (building_id, *at),
        )
