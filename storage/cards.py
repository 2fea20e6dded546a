"""The copies of live cards: where each was sent, and what it shows."""

from __future__ import annotations

from bot.domain.core import CardCopy
from storage.db import Database, Transaction


class CardRepository:
    """Record copies, settle their delivery, and mark what they show."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self,
        tx: Transaction,
        kind: str,
        ref: str,
        chat_id: int,
        outbox_id: int | None,
        shown: str,
        now: float,
    ) -> bool:
        """Record a copy queued for sending; False if that chat has one already."""
        cursor = await tx.execute(
            """INSERT INTO cards (kind, ref, chat_id, outbox_id, shown, created_at)
               VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind, ref, chat_id) DO NOTHING""",
            (kind, ref, chat_id, outbox_id, shown, now),
        )
        return cursor.rowcount == 1

    async def copies(self, reader: Database | Transaction, kind: str, ref: str) -> list[CardCopy]:
        """Every copy of a card, in the order they were sent."""
        rows = await reader.fetch_all(
            "SELECT * FROM cards WHERE kind = ? AND ref = ? ORDER BY id", (kind, ref)
        )
        return [CardCopy.from_row(row) for row in rows]

    async def by_outbox(self, reader: Database | Transaction, outbox_id: int) -> CardCopy | None:
        """The copy an outbox row sends."""
        row = await reader.fetch_one("SELECT * FROM cards WHERE outbox_id = ?", (outbox_id,))
        return None if row is None else CardCopy.from_row(row)

    async def at_message(self, kind: str, chat_id: int, message_id: int) -> CardCopy | None:
        """The copy of a card of this kind that is this message (a reply to it names it)."""
        row = await self.db.fetch_one(
            "SELECT * FROM cards WHERE kind = ? AND chat_id = ? AND message_id = ?",
            (kind, chat_id, message_id),
        )
        return None if row is None else CardCopy.from_row(row)

    async def delivered(self, tx: Transaction, copy_id: int, message_id: int | None) -> None:
        """The copy's message arrived (``None``: it never will)."""
        await tx.execute(
            "UPDATE cards SET message_id = ?, outbox_id = NULL WHERE id = ?", (message_id, copy_id)
        )

    async def mark_dirty(self, tx: Transaction, kind: str, ref: str) -> int:
        """The card changed while some copies were still on their way."""
        cursor = await tx.execute(
            """UPDATE cards SET dirty = 1
               WHERE kind = ? AND ref = ? AND message_id IS NULL AND outbox_id IS NOT NULL""",
            (kind, ref),
        )
        return cursor.rowcount

    async def showing(self, tx: Transaction, copy_id: int, shown: str) -> None:
        """The copy now shows (or was queued to show) ``shown``."""
        await tx.execute("UPDATE cards SET shown = ?, dirty = 0 WHERE id = ?", (shown, copy_id))

    async def forget(self, tx: Transaction, kind: str, ref: str) -> None:
        """Stop keeping a card's copies current (the card's subject is gone)."""
        await tx.execute("DELETE FROM cards WHERE kind = ? AND ref = ?", (kind, ref))
