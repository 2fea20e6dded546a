"""Canned replies and relayed messages."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.relay import CannedReply, RelayedMessage
from storage.db import Database, Transaction


class RelayRepository:
    """A building's canned replies, and the copies of relayed messages."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- canned replies ------------------------------------------------------------------

    async def add_canned(
        self,
        tx: Transaction,
        building_id: int,
        title: str,
        text: str,
        created_by: int,
        source: str | None,
        now: float,
    ) -> CannedReply | None:
        """Keep a canned reply; None if the building has one of that title already."""
        row = await tx.fetch_one(
            """INSERT INTO canned_replies (building_id, title, text, created_by, source,
                                           created_at)
               VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (building_id, title) DO NOTHING RETURNING *""",
            (building_id, title, text, created_by, source, now),
        )
        return None if row is None else CannedReply.from_row(row)

    async def canned_from(self, tx: Transaction, source: str) -> CannedReply | None:
        """The canned reply a command added (a replay finds it again)."""
        row = await tx.fetch_one("SELECT * FROM canned_replies WHERE source = ?", (source,))
        return None if row is None else CannedReply.from_row(row)

    async def remove_canned(self, tx: Transaction, building_id: int, title: str) -> bool:
        """Remove a canned reply by title; False if there is none."""
        cursor = await tx.execute(
            "DELETE FROM canned_replies WHERE building_id = ? AND title = ?", (building_id, title)
        )
        return cursor.rowcount == 1

    async def canned(self, canned_id: int) -> CannedReply | None:
        """A canned reply by id."""
        row = await self.db.fetch_one("SELECT * FROM canned_replies WHERE id = ?", (canned_id,))
        return None if row is None else CannedReply.from_row(row)

    async def canned_of(self, building_ids: Sequence[int]) -> list[CannedReply]:
        """The canned replies of some buildings, by building and title."""
        if not building_ids:
            return []
        marks = ", ".join("?" for _ in building_ids)
        rows = await self.db.fetch_all(
            f"SELECT * FROM canned_replies WHERE building_id IN ({marks}) "
            "ORDER BY building_id, title",
            tuple(building_ids),
        )
        return [CannedReply.from_row(row) for row in rows]

    async def count_canned(self, tx: Transaction, building_id: int) -> int:
        """How many canned replies a building keeps."""
        return int(await tx.fetch_value(
            "SELECT count(*) FROM canned_replies WHERE building_id = ?", (building_id,)
        ))

    # --- relayed messages ------------------------------------------------------------------

    async def add_message(
        self,
        tx: Transaction,
        request_id: int,
        sender_id: int,
        recipient_id: int,
        text: str,
        outbox_id: int | None,
        now: float,
    ) -> int:
        """Record a relayed message queued as ``outbox_id``."""
        cursor = await tx.execute(
            """INSERT INTO relay_messages (request_id, sender_id, recipient_id, text,
                                           outbox_id, created_at)
               VALUES (?, ?, ?, ?, ?, ?)""",
            (request_id, sender_id, recipient_id, text, outbox_id, now),
        )
        return int(cursor.lastrowid or 0)

    async def by_outbox(self, tx: Transaction, outbox_id: int) -> RelayedMessage | None:
        """The relayed message an outbox row sends."""
        row = await tx.fetch_one("SELECT * FROM relay_messages WHERE outbox_id = ?", (outbox_id,))
        return None if row is None else RelayedMessage.from_row(row)

    async def settled(
        self, tx: Transaction, message_id: int, copy_id: int | None, failed: bool
    ) -> None:
        """The relayed message arrived as ``copy_id``, or failed for good."""
        await tx.execute(
            "UPDATE relay_messages SET message_id = ?, failed = ?, outbox_id = NULL WHERE id = ?",
            (copy_id, int(failed), message_id),
        )

    async def copy_at(self, chat_id: int, message_id: int) -> RelayedMessage | None:
        """The relayed message whose copy is this message of the recipient's chat."""
        row = await self.db.fetch_one(
            "SELECT * FROM relay_messages WHERE recipient_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        return None if row is None else RelayedMessage.from_row(row)
