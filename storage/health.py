"""The reads of `linli status` and /healthz: the bot's own state, from the database alone."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database, Transaction


@dataclass(frozen=True)
class Backlog:
    """How many rows wait, and since when (None when none does)."""

    count: int
    oldest: float | None


@dataclass(frozen=True)
class GroupRights:
    """A building's group and what the bot may do there (None: not known yet)."""

    building: str
    chat_id: int
    rights: str | None


class HealthRepository:
    """Counts and latest times across the inbox, outbox, jobs and groups."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def last_handled(self) -> tuple[int, float] | None:
        """The update handled last: (update_id, handled_at)."""
        row = await self.db.fetch_one(
            "SELECT update_id, handled_at FROM inbox WHERE status = 'handled' "
            "ORDER BY handled_at DESC LIMIT 1"
        )
        return None if row is None else (int(row[0]), float(row[1]))

    async def outbox_backlog(self) -> Backlog:
        """Messages not yet sent."""
        row = await self.db.fetch_one(
            "SELECT count(*), min(created_at) FROM outbox WHERE status = 'pending'"
        )
        return Backlog(int(row[0]), row[1]) if row else Backlog(0, None)

    async def jobs_overdue(self, before: float) -> Backlog:
        """Pending jobs that were due before ``before`` (the oldest by its due time)."""
        row = await self.db.fetch_one(
            "SELECT count(*), min(due_at) FROM jobs WHERE status = 'pending' AND due_at < ?",
            (before,),
        )
        return Backlog(int(row[0]), row[1]) if row else Backlog(0, None)

    async def jobs_missed(self, since: float) -> list[tuple[str, str, float, str | None]]:
        """Jobs recorded as missed or failed since ``since``: (kind, status, when, why)."""
        rows = await self.db.fetch_all(
            "SELECT kind, status, finished_at, error FROM jobs "
            "WHERE status IN ('missed', 'failed') AND finished_at >= ? ORDER BY finished_at DESC",
            (since,),
        )
        return [(str(r[0]), str(r[1]), float(r[2]), r[3]) for r in rows]

    async def group_rights(self) -> list[GroupRights]:
        """Every building's group with the bot's rights there."""
        rows = await self.db.fetch_all(
            "SELECT b.name, b.chat_id, c.bot_rights FROM buildings b "
            "JOIN chats c ON c.id = b.chat_id WHERE c.active = 1 ORDER BY b.name"
        )
        return [GroupRights(str(r[0]), int(r[1]), r[2]) for r in rows]

    async def set_bot_rights(
        self, tx: Transaction, chat_id: int, rights: str | None, now: float
    ) -> None:
        """What Telegram last said the bot may do in a chat."""
        await tx.execute(
            "UPDATE chats SET bot_rights = ?, bot_rights_at = ? WHERE id = ?",
            (rights, now, chat_id),
        )
