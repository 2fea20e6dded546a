"""The outbox table: messages owed to chats."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from bot.domain.core import OutboxMessage
from storage.db import Database, Transaction


class OutboxRepository:
    """Queue, pick and settle outbox rows."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self,
        tx: Transaction,
        chat_id: int,
        params: dict[str, Any],
        now: float,
        *,
        method: str = "sendMessage",
        kind: str = "",
        ref: str | None = None,
        dedupe_key: str | None = None,
        batch: str | None = None,
        priority: int = 0,
    ) -> int | None:
        """Queue one message; returns its id, or None when ``dedupe_key`` was queued before."""
        cursor = await tx.execute(
            """INSERT INTO outbox (chat_id, method, payload, kind, ref, dedupe_key, batch,
                                   not_before, created_at, priority)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (dedupe_key) DO NOTHING""",
            (
                chat_id,
                method,
                json.dumps(params, ensure_ascii=False),
                kind,
                ref,
                dedupe_key,
                batch,
                now,
                now,
                priority,
            ),
        )
        return cursor.lastrowid if cursor.rowcount else None

    async def heads(self, limit: int) -> Iterator[OutboxMessage]:
        """The next row of each chat, due or not, the highest priority first and then the
        oldest (with ``queued``, how many rows that chat has waiting).

        Only the head of each chat's queue is offered, so a chat's messages keep their
        order (an urgent row goes ahead of the ordinary ones) even when one of them waits
        for a retry. A row's rank is its id less its priority shifted past every id, so
        the smallest rank is the head; the aggregate reads only the index ``outbox_next``,
        and SQLite takes the bare ``id`` from the row of the ``min()``. The models are
        built as the caller goes: a pass under the rate limit often stops after the first.
        """
        rows = await self.db.fetch_all(
            """SELECT o.*, h.queued FROM (
                   SELECT id, count(*) AS queued, min(id - (priority << 42)) AS rank
                   FROM outbox WHERE status = 'pending' GROUP BY chat_id) h
               JOIN outbox o ON o.id = h.id
               ORDER BY h.rank LIMIT ?""",
            (limit,),
        )
        return (OutboxMessage.from_row(row) for row in rows)

    async def mark_sent(
        self, message_id: int | None, row_id: int, now: float, tx: Transaction | None = None
    ) -> None:
        """The message was delivered (in ``tx``, when given, with what follows from it)."""
        await self._write(
            tx,
            """UPDATE outbox SET status = 'sent', sent_at = ?, message_id = ?,
                   attempts = attempts + 1, error = NULL
               WHERE id = ?""",
            (now, message_id, row_id),
        )

    async def mark_failed(
        self, row_id: int, error: str, now: float, tx: Transaction | None = None
    ) -> None:
        """The message can never be delivered."""
        await self._write(
            tx,
            """UPDATE outbox SET status = 'failed', sent_at = ?, error = ?,
                   attempts = attempts + 1 WHERE id = ?""",
            (now, error[:500], row_id),
        )

    async def retry_later(self, row_id: int, error: str, not_before: float) -> None:
        """Try again at ``not_before``."""
        await self.db.write(
            """UPDATE outbox SET attempts = attempts + 1, error = ?, not_before = ?
               WHERE id = ?""",
            (error[:500], not_before, row_id),
        )

    async def postpone(self, row_id: int, not_before: float) -> None:
        """Hold a row back without counting an attempt (a rate limit, not a failure)."""
        await self.db.write("UPDATE outbox SET not_before = ? WHERE id = ?", (not_before, row_id))

    async def leave_thread(
        self, tx: Transaction, chat_id: int, thread_id: int, now: float
    ) -> int:
        """Send a chat's pending rows of a forum topic to its general topic instead (the topic
        is closed or deleted), at once and without counting an attempt."""
        cursor = await tx.execute(
            """UPDATE outbox SET payload = json_remove(payload, '$.message_thread_id'),
                   not_before = min(not_before, ?)
               WHERE chat_id = ? AND status = 'pending'
                 AND json_extract(payload, '$.message_thread_id') = ?""",
            (now, chat_id, thread_id),
        )
        return cursor.rowcount

    async def fail_pending_for_chat(
        self, chat_id: int, error: str, now: float, tx: Transaction | None = None
    ) -> int:
        """Give up on every pending row for a chat the bot can no longer reach."""
        return await self._write(
            tx,
            """UPDATE outbox SET status = 'failed', error = ?, sent_at = ?
               WHERE chat_id = ? AND status = 'pending'""",
            (error, now, chat_id),
        )

    async def _write(self, tx: Transaction | None, sql: str, params: tuple[Any, ...]) -> int:
        if tx is None:
            return await self.db.write(sql, params)
        return (await tx.execute(sql, params)).rowcount

    async def by_ref(self, ref: str) -> list[OutboxMessage]:
        """Every row about one thing (for example the cards of one request)."""
        rows = await self.db.fetch_all("SELECT * FROM outbox WHERE ref = ? ORDER BY id", (ref,))
        return [OutboxMessage.from_row(row) for row in rows]

    async def count_pending(self) -> int:
        """Rows not yet settled."""
        return int(
            await self.db.fetch_value("SELECT count(*) FROM outbox WHERE status = 'pending'")
        )
