"""Notices, their posts in building groups, and residents' confirmations."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from bot.domain.core import User
from bot.domain.notices import ConfirmedBy, Confirmer, Notice, NoticeLine, NoticePost
from storage.db import Database, Transaction

SEND_JOB_PREFIX = "notice send "  # the key of a scheduled notice's job is this plus its id


_POSTS = """
    SELECT p.*, b.name AS building_name, c.active AS chat_active, c.language AS language,
           s.status AS send_status, s.error AS send_error, s.message_id AS sent_message_id,
           q.status AS pin_status, q.error AS pin_failure
    FROM notice_posts p
    JOIN buildings b ON b.id = p.building_id
    JOIN chats c ON c.id = p.chat_id
    LEFT JOIN outbox s ON s.id = p.outbox_id
    LEFT JOIN outbox q ON q.id = p.pin_outbox_id
"""


class NoticeRepository:
    """Notices, posts and confirmations."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- notices -------------------------------------------------------------------------

    async def add(
        self,
        tx: Transaction,
        author_id: int,
        origin_chat_id: int,
        text: str,
        pin: bool,
        send_at: float | None,
        now: float,
        source_message_id: int | None = None,
        *,
        recurring_id: int | None = None,
    ) -> int:
        """Store a new notice: scheduled if it has a time, else sending at once."""
        cursor = await tx.execute(
            """INSERT INTO notices (author_id, origin_chat_id, text, pin, status, send_at,
                                    created_at, source_message_id, recurring_id)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                author_id,
                origin_chat_id,
                text,
                int(pin),
                "sending" if send_at is None else "scheduled",
                send_at,
                now,
                source_message_id,
                recurring_id,
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def by_source(
        self, tx: Transaction, origin_chat_id: int, source_message_id: int
    ) -> int | None:
        """The notice a command message created, if it was handled before."""
        value = await tx.fetch_value(
            "SELECT id FROM notices WHERE origin_chat_id = ? AND source_message_id = ?",
            (origin_chat_id, source_message_id),
        )
        return None if value is None else int(value)

    async def occurrence(self, tx: Transaction, recurring_id: int, at: float) -> int | None:
        """The notice that posted a recurring notice's occurrence at ``at``, if there is one."""
        value = await tx.fetch_value(
            "SELECT id FROM notices WHERE recurring_id = ? AND send_at = ?", (recurring_id, at)
        )
        return None if value is None else int(value)

    async def add_post(
        self, tx: Transaction, notice_id: int, building_id: int, chat_id: int, status: str
    ) -> int:
        """One post of the notice in a building group."""
        cursor = await tx.execute(
            """INSERT INTO notice_posts (notice_id, building_id, chat_id, status)
               VALUES (?, ?, ?, ?)""",
            (notice_id, building_id, chat_id, status),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def get(self, notice_id: int, tx: Transaction | None = None) -> Notice | None:
        """A notice by id (inside a transaction when given one)."""
        reader = tx or self.db
        row = await reader.fetch_one("SELECT * FROM notices WHERE id = ?", (notice_id,))
        return None if row is None else Notice.from_row(row)

    async def start_sending(self, tx: Transaction, notice_id: int, now: float) -> bool:
        """A scheduled notice's time came; False if it was cancelled or already sent."""
        cursor = await tx.execute(
            """UPDATE notices SET status = 'sending', sent_at = ?
               WHERE id = ? AND status = 'scheduled'""",
            (now, notice_id),
        )
        return cursor.rowcount == 1

    async def mark_sending(self, tx: Transaction, notice_id: int, now: float) -> None:
        """A notice sent at once: its posts are being queued now."""
        await tx.execute("UPDATE notices SET sent_at = ? WHERE id = ?", (now, notice_id))

    async def finish(self, tx: Transaction, notice_id: int, now: float) -> bool:
        """Every post has settled: the notice is sent. True for the one caller that closed it."""
        cursor = await tx.execute(
            """UPDATE notices SET status = 'sent', settled_at = ?
               WHERE id = ? AND status = 'sending'
                 AND NOT EXISTS (SELECT 1 FROM notice_posts
                                 WHERE notice_id = ? AND status IN ('scheduled', 'queued'))""",
            (now, notice_id, notice_id),
        )
        return cursor.rowcount == 1

    async def cancel(self, tx: Transaction, notice_id: int) -> bool:
        """Cancel a scheduled notice; False if it was sent or cancelled already."""
        cursor = await tx.execute(
            "UPDATE notices SET status = 'cancelled' WHERE id = ? AND status = 'scheduled'",
            (notice_id,),
        )
        if cursor.rowcount != 1:
            return False
        await tx.execute(
            "UPDATE notice_posts SET status = 'cancelled' WHERE notice_id = ?", (notice_id,)
        )
        return True

    # --- posts ---------------------------------------------------------------------------

    async def posts(self, tx: Transaction, notice_id: int) -> list[NoticePost]:
        """The posts of a notice with their outbox state, by building name."""
        rows = await tx.fetch_all(_POSTS + " WHERE p.notice_id = ? ORDER BY b.name", (notice_id,))
        return [NoticePost.from_row(row) for row in rows]

    async def posts_of_outbox(self, tx: Transaction, outbox_id: int) -> list[NoticePost]:
        """The post whose message or pin is this outbox row."""
        rows = await tx.fetch_all(
            _POSTS + " WHERE p.outbox_id = ? OR p.pin_outbox_id = ?", (outbox_id, outbox_id)
        )
        return [NoticePost.from_row(row) for row in rows]

    async def post(self, tx: Transaction, post_id: int) -> NoticePost | None:
        """One post with its outbox state."""
        row = await tx.fetch_one(_POSTS + " WHERE p.id = ?", (post_id,))
        return None if row is None else NoticePost.from_row(row)

    async def post_at(self, tx: Transaction, chat_id: int, message_id: int) -> NoticePost | None:
        """The post shown in this message of a group, if it is one."""
        row = await tx.fetch_one(
            _POSTS + " WHERE p.chat_id = ? AND coalesce(p.message_id, s.message_id) = ?",
            (chat_id, message_id),
        )
        return None if row is None else NoticePost.from_row(row)

    async def set_queued(self, tx: Transaction, post_id: int, outbox_id: int | None) -> None:
        """The post's message is in the outbox."""
        await tx.execute(
            """UPDATE notice_posts SET status = 'queued', outbox_id = ?, held_until = NULL
               WHERE id = ?""",
            (outbox_id, post_id),
        )

    async def set_held(self, tx: Transaction, post_id: int, until: float) -> None:
        """The post waits for the end of its group's quiet hours."""
        await tx.execute("UPDATE notice_posts SET held_until = ? WHERE id = ?", (until, post_id))

    async def set_pinning(
        self, tx: Transaction, post_id: int, message_id: int | None, pin_outbox_id: int | None
    ) -> None:
        """The message is out and its pin is in the outbox."""
        await tx.execute(
            "UPDATE notice_posts SET message_id = ?, pin_outbox_id = ? WHERE id = ?",
            (message_id, pin_outbox_id, post_id),
        )

    async def set_posted(
        self, tx: Transaction, post_id: int, message_id: int | None, pin_error: str | None
    ) -> None:
        """The message is in the group (pinned, or not with the reason)."""
        await tx.execute(
            """UPDATE notice_posts SET status = 'posted', message_id = ?, pin_error = ?
               WHERE id = ? AND status = 'queued'""",
            (message_id, pin_error, post_id),
        )

    async def set_failed(self, tx: Transaction, post_id: int, error: str) -> None:
        """The message could not be delivered."""
        await tx.execute(
            """UPDATE notice_posts SET status = 'failed', error = ?
               WHERE id = ? AND status IN ('scheduled', 'queued')""",
            (error[:500], post_id),
        )

    async def chat_language(self, tx: Transaction, chat_id: int) -> str | None:
        """The chat's own language (None: the community's)."""
        value = await tx.fetch_value("SELECT language FROM chats WHERE id = ?", (chat_id,))
        return None if value is None else str(value)

    # --- confirmations -------------------------------------------------------------------

    async def confirm(
        self, tx: Transaction, post_id: int, user_id: int, now: float, how: ConfirmedBy
    ) -> bool:
        """Record a confirmation; False if the person had confirmed already.

        The UNIQUE constraint decides, so two presses at the same moment count once. A press
        or a reply after a 👍 keeps the confirmation when the 👍 goes.
        """
        try:
            await tx.execute(
                """INSERT INTO notice_confirmations (post_id, user_id, confirmed_at, confirmed_by)
                   VALUES (?, ?, ?, ?)""",
                (post_id, user_id, now, how),
            )
        except sqlite3.IntegrityError as error:
            if "UNIQUE" not in str(error):
                raise
            if how != "reaction":
                await tx.execute(
                    """UPDATE notice_confirmations SET confirmed_by = ?
                       WHERE post_id = ? AND user_id = ? AND confirmed_by = 'reaction'""",
                    (how, post_id, user_id),
                )
            return False
        return True

    async def withdraw_reaction(self, tx: Transaction, post_id: int, user_id: int) -> bool:
        """Take back a confirmation the person made with a 👍 alone; False if there is none."""
        cursor = await tx.execute(
            """DELETE FROM notice_confirmations
               WHERE post_id = ? AND user_id = ? AND confirmed_by = 'reaction'""",
            (post_id, user_id),
        )
        return cursor.rowcount > 0

    async def count(self, tx: Transaction, post_id: int) -> int:
        """How many people confirmed a post."""
        return int(
            await tx.fetch_value(
                "SELECT count(*) FROM notice_confirmations WHERE post_id = ?", (post_id,)
            )
        )

    # --- what owners read ----------------------------------------------------------------

    async def lines(
        self, building_ids: Sequence[int], author_id: int | None, limit: int
    ) -> list[NoticeLine]:
        """Notices posted (or to be posted) to these buildings or written by the author.

        Scheduled ones first (soonest first), then the most recent others.
        """
        marks = ",".join("?" for _ in building_ids) or "NULL"
        rows = await self.db.fetch_all(
            f"""SELECT n.id, n.author_id, n.text, n.status, n.send_at, n.created_at,
                       count(p.id) AS buildings, min(b.name) AS building_name,
                       (SELECT count(*) FROM notice_confirmations c
                        JOIN notice_posts cp ON cp.id = c.post_id
                        WHERE cp.notice_id = n.id) AS confirmed,
                       sum(p.status = 'posted') AS delivered,
                       max(CASE WHEN p.status = 'scheduled' THEN p.held_until END) AS held_until,
                       j.status AS job_status
                FROM notices n
                JOIN notice_posts p ON p.notice_id = n.id
                JOIN buildings b ON b.id = p.building_id
                LEFT JOIN jobs j ON j.key = '{SEND_JOB_PREFIX}' || n.id
                WHERE n.id IN (SELECT notice_id FROM notice_posts WHERE building_id IN ({marks}))
                   OR n.author_id = ?
                GROUP BY n.id
                ORDER BY n.status = 'scheduled' DESC,
                         CASE WHEN n.status = 'scheduled' THEN n.send_at ELSE -n.created_at END
                LIMIT ?""",
            (*building_ids, author_id if author_id is not None else -1, limit),
        )
        return [NoticeLine.from_row(row) for row in rows]

    async def building_ids(self, notice_id: int) -> list[int]:
        """The buildings a notice goes to."""
        rows = await self.db.fetch_all(
            "SELECT building_id FROM notice_posts WHERE notice_id = ?", (notice_id,)
        )
        return [row[0] for row in rows]

    async def confirmers(self, notice_id: int) -> list[Confirmer]:
        """Who confirmed a notice, by building and then in the order they confirmed."""
        rows = await self.db.fetch_all(
            """SELECT b.name AS building_name, f.flat AS flat, u.* FROM notice_confirmations c
               JOIN notice_posts p ON p.id = c.post_id
               JOIN buildings b ON b.id = p.building_id
               JOIN users u ON u.id = c.user_id
               LEFT JOIN flats f ON f.building_id = p.building_id AND f.user_id = c.user_id
               WHERE p.notice_id = ? ORDER BY b.name, c.confirmed_at, u.id""",
            (notice_id,),
        )
        return [
            Confirmer(building_name=row["building_name"], user=User.from_row(row),
                      flat=row["flat"])
            for row in rows
        ]
