"""Small values the bot keeps about itself (the ``meta`` table), such as a generated secret."""

from __future__ import annotations

from collections.abc import Callable

from storage.db import Database


class MetaRepository:
    """Named values that survive restarts."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, key: str) -> str | None:
        """The stored value, or None."""
        value = await self.db.fetch_value("SELECT value FROM meta WHERE key = ?", (key,))
        return None if value is None else str(value)

    async def get_or_create(self, key: str, make: Callable[[], str]) -> tuple[str, bool]:
        """The stored value, or a new one from ``make`` stored now; True when it is new."""
        async with self.db.transaction() as tx:
            value = await tx.fetch_value("SELECT value FROM meta WHERE key = ?", (key,))
            if value is not None:
                return str(value), False
            value = make()
            await tx.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))
            return value, True

    async def put(self, key: str, value: str) -> None:
        """Store a value on its own (waiting out a full disk, as every standalone write)."""
        await self.db.write(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
