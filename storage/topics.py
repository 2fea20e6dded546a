"""The forum topics chosen for each kind of post in a building's group."""

from __future__ import annotations

from bot.domain.topics import TopicChoice, TopicKind
from storage.db import Database, Transaction

Reader = Database | Transaction


class TopicRepository:
    """Which topic (message_thread_id) each kind of post goes to, per building."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def choices(self, reader: Reader, building_id: int) -> list[TopicChoice]:
        """A building's chosen topics, by kind."""
        rows = await reader.fetch_all(
            "SELECT * FROM building_topics WHERE building_id = ? ORDER BY kind", (building_id,)
        )
        return [TopicChoice.from_row(row) for row in rows]

    async def thread(self, reader: Reader, chat_id: int, kind: TopicKind) -> int | None:
        """The topic a kind of post goes to in a building's group; None: the general topic."""
        value = await reader.fetch_value(
            """SELECT t.thread_id FROM building_topics t
               JOIN buildings b ON b.id = t.building_id
               WHERE b.chat_id = ? AND t.kind = ?""",
            (chat_id, kind),
        )
        return None if value is None else int(value)

    async def choose(
        self, tx: Transaction, building_id: int, kind: TopicKind, thread_id: int,
        name: str | None, user_id: int, now: float,
    ) -> None:
        """Post this kind in that topic from now on (the same topic again changes nothing)."""
        await tx.execute(
            """INSERT INTO building_topics (building_id, kind, thread_id, name, set_by, set_at)
               VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (building_id, kind) DO UPDATE SET thread_id = excluded.thread_id,
                   name = excluded.name, set_by = excluded.set_by, set_at = excluded.set_at
               WHERE thread_id <> excluded.thread_id
                  OR coalesce(name, '') <> coalesce(excluded.name, '')""",
            (building_id, kind, thread_id, name, user_id, now),
        )

    async def clear(self, tx: Transaction, building_id: int, kind: TopicKind) -> bool:
        """Post this kind in the general topic again; False if it was there already."""
        cursor = await tx.execute(
            "DELETE FROM building_topics WHERE building_id = ? AND kind = ?", (building_id, kind)
        )
        return cursor.rowcount == 1

    async def drop_thread(
        self, tx: Transaction, chat_id: int, thread_id: int
    ) -> list[TopicChoice]:
        """Forget a topic of a group for every kind that used it; returns what was forgotten
        (nothing when an earlier post found it gone first)."""
        rows = await tx.fetch_all(
            """DELETE FROM building_topics WHERE thread_id = ? AND building_id IN (
                   SELECT id FROM buildings WHERE chat_id = ?)
               RETURNING *""",
            (thread_id, chat_id),
        )
        return [TopicChoice.from_row(row) for row in rows]
