"""Stored prompts: the question each person was asked in a chat, one at a time."""

from __future__ import annotations

import json
from typing import Any

from bot.domain.core import Prompt
from storage.db import Database, Transaction


class PromptRepository:
    """Ask, read, advance and close prompts."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def put(
        self,
        tx: Transaction,
        chat_id: int,
        user_id: int,
        feature: str,
        step: str,
        payload: dict[str, Any],
        now: float,
        expires_at: float,
        answered_message: int | None = None,
    ) -> Prompt:
        """Store the question (replacing any earlier one of the person in that chat)."""
        await tx.execute(
            "DELETE FROM prompts WHERE chat_id = ? AND user_id = ?", (chat_id, user_id)
        )
        row = await tx.fetch_one(
            """INSERT INTO prompts
                   (chat_id, user_id, feature, step, payload, asked_at, expires_at,
                    answered_message)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *""",
            (
                chat_id,
                user_id,
                feature,
                step,
                json.dumps(payload, ensure_ascii=False),
                now,
                expires_at,
                answered_message,
            ),
        )
        return Prompt.from_row(row)

    async def by_id(self, reader: Database | Transaction, prompt_id: int) -> Prompt | None:
        """A prompt by id, if it is still waiting."""
        row = await reader.fetch_one("SELECT * FROM prompts WHERE id = ?", (prompt_id,))
        return None if row is None else Prompt.from_row(row)

    async def get(
        self, reader: Database | Transaction, chat_id: int, user_id: int
    ) -> Prompt | None:
        """The person's prompt in a chat, expired or not."""
        row = await reader.fetch_one(
            "SELECT * FROM prompts WHERE chat_id = ? AND user_id = ?", (chat_id, user_id)
        )
        return None if row is None else Prompt.from_row(row)

    async def delete(self, tx: Transaction, prompt_id: int) -> bool:
        """Drop a prompt; False if it was gone already."""
        cursor = await tx.execute("DELETE FROM prompts WHERE id = ?", (prompt_id,))
        return cursor.rowcount == 1

    async def waiting(self, now: float) -> list[tuple[int, int, float]]:
        """(chat, user, expires_at) of every prompt not expired: the dispatcher's mirror."""
        rows = await self.db.fetch_all(
            "SELECT chat_id, user_id, expires_at FROM prompts WHERE expires_at > ?", (now,)
        )
        return [(row[0], row[1], row[2]) for row in rows]
