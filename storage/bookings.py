"""Bookable facilities and bookings."""

from __future__ import annotations

import json

from bot.domain.bookings import Bookable, Booking
from storage.db import Database, Transaction

_HOLDING = "status IN ('pending', 'approved')"


class BookingRepository:
    """The booking rules of facilities, and the bookings of their slots."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def set_rules(
        self,
        tx: Transaction,
        facility_id: int,
        hours: list[list[int] | None],
        slot_minutes: int,
        capacity: int,
        approval: bool,
    ) -> None:
        """Make a facility bookable, or change how it is booked."""
        await tx.execute(
            """INSERT INTO bookable (facility_id, hours, slot_minutes, capacity, approval)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (facility_id) DO UPDATE SET hours = excluded.hours,
                   slot_minutes = excluded.slot_minutes, capacity = excluded.capacity,
                   approval = excluded.approval""",
            (facility_id, json.dumps(hours), slot_minutes, capacity, int(approval)),
        )

    async def rules(self, facility_id: int) -> Bookable | None:
        """How a facility is booked; None if it is not bookable."""
        row = await self.db.fetch_one(
            "SELECT * FROM bookable WHERE facility_id = ?", (facility_id,)
        )
        return None if row is None else Bookable.from_row(row)

    async def bookable_in(self, building_ids: list[int]) -> list[Bookable]:
        """The bookable, active facilities of these buildings, by building and name."""
        marks = ",".join("?" * len(building_ids)) or "NULL"
        rows = await self.db.fetch_all(
            f"""SELECT b.* FROM bookable b JOIN facilities f ON f.id = b.facility_id
                WHERE f.active = 1 AND f.building_id IN ({marks})
                ORDER BY f.building_id, f.name""",
            tuple(building_ids),
        )
        return [Bookable.from_row(row) for row in rows]

    async def book(
        self,
        tx: Transaction,
        booking: dict[str, object],
        capacity: int,
    ) -> Booking | None:
        """Take a place in a slot if one is left and this person holds none there: one
        conditional INSERT, so that of two people pressing the last place only one gets it.

        A replay of the same source finds the booking it made. None: full, or already booked.
        """
        cursor = await tx.execute(
            f"""INSERT INTO bookings (facility_id, user_id, starts_at, ends_at, purpose, status,
                                      source, created_at)
                SELECT :facility_id, :user_id, :starts_at, :ends_at, :purpose, :status, :source,
                       :created_at
                WHERE (SELECT COUNT(*) FROM bookings WHERE facility_id = :facility_id
                         AND starts_at = :starts_at AND {_HOLDING}) < :capacity
                  AND NOT EXISTS (SELECT 1 FROM bookings WHERE facility_id = :facility_id
                         AND starts_at = :starts_at AND user_id = :user_id AND {_HOLDING})
                ON CONFLICT (source) DO NOTHING""",
            {**booking, "capacity": capacity},
        )
        if cursor.rowcount == 1:
            return await self._one(tx, "id = ?", cursor.lastrowid)
        if booking.get("source") is not None:
            return await self._one(tx, "source = ?", booking["source"])
        return None

    async def _one(self, tx: Transaction, where: str, value: object) -> Booking | None:
        row = await tx.fetch_one(f"SELECT * FROM bookings WHERE {where}", (value,))
        return None if row is None else Booking.from_row(row)

    async def booking(self, booking_id: int) -> Booking | None:
        """A booking by id."""
        row = await self.db.fetch_one("SELECT * FROM bookings WHERE id = ?", (booking_id,))
        return None if row is None else Booking.from_row(row)

    async def held_by(self, tx: Transaction, user_id: int, since: float, until: float) -> int:
        """How many places this person holds in slots starting in [since, until)."""
        return int(
            await tx.fetch_value(
                f"""SELECT COUNT(*) FROM bookings WHERE user_id = ? AND {_HOLDING}
                    AND starts_at >= ? AND starts_at < ?""",
                (user_id, since, until),
            )
        )

    async def taken(self, facility_id: int, since: float, until: float) -> list[Booking]:
        """The bookings holding places in a facility's slots starting in [since, until)."""
        rows = await self.db.fetch_all(
            f"""SELECT * FROM bookings WHERE facility_id = ? AND {_HOLDING}
                AND starts_at >= ? AND starts_at < ? ORDER BY starts_at, id""",
            (facility_id, since, until),
        )
        return [Booking.from_row(row) for row in rows]

    async def upcoming_of(self, user_id: int, now: float) -> list[Booking]:
        """A person's bookings that still hold a place and have not ended, soonest first."""
        rows = await self.db.fetch_all(
            f"""SELECT * FROM bookings WHERE user_id = ? AND {_HOLDING} AND ends_at > ?
                ORDER BY starts_at, id""",
            (user_id, now),
        )
        return [Booking.from_row(row) for row in rows]

    async def decide(
        self,
        tx: Transaction,
        booking_id: int,
        status: str,
        by: int,
        now: float,
        reason: str | None = None,
        *,
        from_status: tuple[str, ...] = ("pending",),
    ) -> bool:
        """Move a booking on (approve, decline, cancel) if it is still in ``from_status``."""
        marks = ",".join("?" * len(from_status))
        cursor = await tx.execute(
            f"""UPDATE bookings SET status = ?, decided_by = ?, decided_at = ?, reason = ?
                WHERE id = ? AND status IN ({marks})""",
            (status, by, now, reason, booking_id, *from_status),
        )
        return cursor.rowcount == 1

    async def check_in(self, tx: Transaction, booking_id: int, now: float) -> bool:
        """Note that the person came; False if they had checked in already."""
        cursor = await tx.execute(
            """UPDATE bookings SET checked_in_at = ?
               WHERE id = ? AND status = 'approved' AND checked_in_at IS NULL""",
            (now, booking_id),
        )
        return cursor.rowcount == 1

    async def last_end(self, facility_id: int, since: float, until: float) -> Booking | None:
        """The approved booking of a facility ending last among those starting in
        [since, until): who used the room last that day."""
        row = await self.db.fetch_one(
            """SELECT * FROM bookings WHERE facility_id = ? AND status = 'approved'
               AND starts_at >= ? AND starts_at < ? ORDER BY ends_at DESC, id DESC LIMIT 1""",
            (facility_id, since, until),
        )
        return None if row is None else Booking.from_row(row)
