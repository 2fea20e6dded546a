"""Outages and the buildings each is in."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.outages import Outage
from storage.db import Database, Transaction

Reader = Database | Transaction

_OUTAGES = """
    SELECT o.*, (SELECT group_concat(name, ', ') FROM (
                    SELECT b.name FROM outage_buildings ob
                    JOIN buildings b ON b.id = ob.building_id
                    WHERE ob.outage_id = o.id ORDER BY b.name)) AS building_names
    FROM outages o
"""


class OutageRepository:
    """Outages, their buildings, and their end."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self,
        tx: Transaction,
        *,
        kind: str,
        starts_at: float,
        ends_at: float,
        reason: str,
        author_id: int,
        origin_chat_id: int,
        now: float,
        source_message_id: int | None,
    ) -> int:
        """Store a new, planned outage."""
        cursor = await tx.execute(
            """INSERT INTO outages (kind, starts_at, ends_at, reason, author_id, origin_chat_id,
                   created_at, source_message_id)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            (kind, starts_at, ends_at, reason, author_id, origin_chat_id, now, source_message_id),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def add_building(self, tx: Transaction, outage_id: int, building_id: int) -> None:
        """One building the outage is in."""
        await tx.execute(
            "INSERT OR IGNORE INTO outage_buildings (outage_id, building_id) VALUES (?, ?)",
            (outage_id, building_id),
        )

    async def set_notice(self, tx: Transaction, outage_id: int, notice_id: int) -> None:
        """The notice that announced the outage."""
        await tx.execute("UPDATE outages SET notice_id = ? WHERE id = ?", (notice_id, outage_id))

    async def by_source(
        self, tx: Transaction, origin_chat_id: int, source_message_id: int
    ) -> int | None:
        """The outage a command message created, if it was handled before."""
        value = await tx.fetch_value(
            "SELECT id FROM outages WHERE origin_chat_id = ? AND source_message_id = ?",
            (origin_chat_id, source_message_id),
        )
        return None if value is None else int(value)

    async def get(self, reader: Reader, outage_id: int) -> Outage | None:
        """An outage by id."""
        row = await reader.fetch_one(_OUTAGES + " WHERE o.id = ?", (outage_id,))
        return None if row is None else Outage.from_row(row)

    async def building_ids(self, reader: Reader, outage_id: int) -> list[int]:
        """The buildings an outage is in."""
        rows = await reader.fetch_all(
            "SELECT building_id FROM outage_buildings WHERE outage_id = ? ORDER BY building_id",
            (outage_id,),
        )
        return [int(row[0]) for row in rows]

    async def end(
        self, tx: Transaction, outage_id: int, user_id: int | None, now: float
    ) -> bool:
        """planned -> ended; False if it had ended already (the button and the end time race)."""
        cursor = await tx.execute(
            """UPDATE outages SET status = 'ended', ended_at = ?, ended_by = ?
               WHERE id = ? AND status = 'planned'""",
            (now, user_id, outage_id),
        )
        return cursor.rowcount == 1

    async def coming(self, building_ids: Sequence[int], now: float) -> list[Outage]:
        """Planned outages of these buildings that have not ended yet, soonest first."""
        marks = ",".join("?" for _ in building_ids) or "NULL"
        rows = await self.db.fetch_all(
            _OUTAGES
            + f""" WHERE o.status = 'planned' AND o.ends_at > ? AND o.id IN (
                       SELECT outage_id FROM outage_buildings WHERE building_id IN ({marks}))
                   ORDER BY o.starts_at, o.id LIMIT 50""",
            (now, *building_ids),
        )
        return [Outage.from_row(row) for row in rows]

    async def on_in(self, reader: Reader, building_id: int, now: float) -> list[Outage]:
        """The outages going on now in a building, the earliest first."""
        rows = await reader.fetch_all(
            _OUTAGES
            + """ JOIN outage_buildings ob ON ob.outage_id = o.id AND ob.building_id = ?
                  WHERE o.status = 'planned' AND o.starts_at <= ? AND o.ends_at > ?
                  ORDER BY o.starts_at, o.id""",
            (building_id, now, now),
        )
        return [Outage.from_row(row) for row in rows]
