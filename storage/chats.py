"""Chats and their migration to supergroups."""

from __future__ import annotations

from bot.domain.core import Chat
from storage.db import Database, Transaction


class ChatRepository:
    """Chats the bot is in."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def upsert(
        self, tx: Transaction, chat_id: int, chat_type: str, title: str | None, now: float
    ) -> None:
        """Record a chat as last seen; writes only when something changed."""
        await tx.execute(
            """INSERT INTO chats (id, type, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (id) DO UPDATE SET type = excluded.type, title = excluded.title,
                   updated_at = excluded.updated_at
               WHERE chats.type IS NOT excluded.type OR chats.title IS NOT excluded.title""",
            (chat_id, chat_type, title, now, now),
        )

    async def get(self, chat_id: int) -> Chat | None:
        """A chat by id."""
        row = await self.db.fetch_one("SELECT * FROM chats WHERE id = ?", (chat_id,))
        return None if row is None else Chat.from_row(row)

    async def set_active(self, tx: Transaction, chat_id: int, active: bool, now: float) -> None:
        """Mark the chat active (bot present) or inactive (bot removed)."""
        await tx.execute(
            "UPDATE chats SET active = ?, updated_at = ? WHERE id = ?", (int(active), now, chat_id)
        )

    async def set_language(self, tx: Transaction, chat_id: int, language: str, now: float) -> None:
        """The chat's own language."""
        await tx.execute(
            "UPDATE chats SET language = ?, updated_at = ? WHERE id = ?", (language, now, chat_id)
        )

    async def is_active(self, chat_id: int) -> bool:
        """False only for a chat known to have removed the bot."""
        active = await self.db.fetch_value("SELECT active FROM chats WHERE id = ?", (chat_id,))
        return active is None or bool(active)

    async def migrate(self, tx: Transaction, old_id: int, new_id: int, now: float) -> None:
        """Move a group to its new supergroup id; every reference follows.

        Foreign keys cascade on ``chats.id``. The new chat may already have a row
        (its first service message can arrive before the old chat's), so that row is
        dropped first, keeping the old row's settings. The outbox, the live cards and the
        prompts hold no foreign key (they may address users who have no chat row) and are
        moved by hand.
        """
        await tx.execute("DELETE FROM chat_admins WHERE chat_id = ?", (new_id,))
        await tx.execute(
            "DELETE FROM chats WHERE id = ? AND EXISTS (SELECT 1 FROM chats WHERE id = ?)",
            (new_id, old_id),
        )
        await tx.execute(
            "UPDATE chats SET id = ?, type = 'supergroup', updated_at = ? WHERE id = ?",
            (new_id, now, old_id),
        )
        await tx.execute(
            "UPDATE outbox SET chat_id = ? WHERE chat_id = ? AND status = 'pending'",
            (new_id, old_id),
        )
        for table in ("cards", "prompts"):  # no foreign keys: private chats have no chat row
            await tx.execute(f"UPDATE {table} SET chat_id = ? WHERE chat_id = ?", (new_id, old_id))
