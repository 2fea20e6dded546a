"""Users the bot has seen."""

from __future__ import annotations

from bot.domain.core import User
from storage.db import Database, Transaction


class UserRepository:
    """Users by Telegram id and username."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def upsert(
        self,
        tx: Transaction,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
        now: float,
    ) -> None:
        """Record a user as last seen (names change; started/blocked do not). A person the
        bot was asked to forget keeps no names until they press Start again."""
        await tx.execute(
            """INSERT INTO users (id, first_name, last_name, username, language_code,
                                  created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (id) DO UPDATE SET first_name = excluded.first_name,
                   last_name = excluded.last_name, username = excluded.username,
                   language_code = excluded.language_code, updated_at = excluded.updated_at
               WHERE users.forgotten_at IS NULL
                 AND (users.first_name IS NOT excluded.first_name
                      OR users.last_name IS NOT excluded.last_name
                      OR users.username IS NOT excluded.username
                      OR users.language_code IS NOT excluded.language_code)""",
            (user_id, first_name, last_name, username, language_code, now, now),
        )

    async def set_started(self, tx: Transaction, user_id: int, started: bool, now: float) -> None:
        """Whether the bot may write to the user in private (Start pressed, not blocked).
        Start pressed again after /forgetme: the bot may know the person's names again."""
        await tx.execute(
            """UPDATE users SET started = ?, blocked = ?, updated_at = ?,
                   forgotten_at = CASE WHEN ? THEN NULL ELSE forgotten_at END
               WHERE id = ?""",
            (int(started), int(not started), now, int(started), user_id),
        )

    async def get(self, user_id: int) -> User | None:
        """A user by id."""
        row = await self.db.fetch_one("SELECT * FROM users WHERE id = ?", (user_id,))
        return None if row is None else User.from_row(row)

    async def by_username(self, username: str) -> User | None:
        """A user by @username, case-insensitive, without the @."""
        row = await self.db.fetch_one(
            "SELECT * FROM users WHERE lower(username) = lower(?) ORDER BY updated_at DESC",
            (username.lstrip("@"),),
        )
        return None if row is None else User.from_row(row)

    async def forgotten_ids(self) -> list[int]:
        """The people /forgetme forgot (who have not pressed Start since)."""
        rows = await self.db.fetch_all("SELECT id FROM users WHERE forgotten_at IS NOT NULL")
        return [int(row["id"]) for row in rows]
