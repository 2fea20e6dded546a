"""Antiflood: new members muted in building groups, and what the guard needs to decide."""

from __future__ import annotations

from bot.domain.core import Mute
from storage.db import Database, Transaction


class MuteRepository:
    """Mutes: at most one active per person and group; lifting one is a conditional UPDATE."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def joined_at(self, chat_id: int, user_id: int) -> float | None:
        """When the bot first saw the person as a member of the group's building."""
        value = await self.db.fetch_value(
            """SELECT m.joined_at FROM members m JOIN buildings b ON b.id = m.building_id
               WHERE b.chat_id = ? AND m.user_id = ? AND m.left_at IS NULL""",
            (chat_id, user_id),
        )
        return None if value is None else float(value)

    async def can_restrict(self, chat_id: int) -> bool:
        """A supergroup where the bot is an admin (restrictChatMember works only there)."""
        value = await self.db.fetch_value(
            """SELECT count(*) FROM chats WHERE id = ? AND type = 'supergroup'
               AND bot_rights IN ('admin', 'admin_cannot_pin')""",
            (chat_id,),
        )
        return bool(value)

    async def add(
        self, tx: Transaction, chat_id: int, user_id: int, reason: str, now: float
    ) -> Mute | None:
        """Record a mute; None if the person is muted in that group already."""
        row = await tx.fetch_one(
            """INSERT INTO mutes (chat_id, user_id, reason, muted_at) VALUES (?, ?, ?, ?)
               ON CONFLICT DO NOTHING RETURNING *""",
            (chat_id, user_id, reason, now),
        )
        return None if row is None else Mute.from_row(row)

    async def get(self, mute_id: int) -> Mute | None:
        """A mute by id."""
        row = await self.db.fetch_one("SELECT * FROM mutes WHERE id = ?", (mute_id,))
        return None if row is None else Mute.from_row(row)

    async def lift(self, tx: Transaction, mute_id: int, by: int, now: float) -> Mute | None:
        """Active → lifted; None if it was lifted already."""
        row = await tx.fetch_one(
            """UPDATE mutes SET unmuted_by = ?, unmuted_at = ?
               WHERE id = ? AND unmuted_at IS NULL RETURNING *""",
            (by, now, mute_id),
        )
        return None if row is None else Mute.from_row(row)
