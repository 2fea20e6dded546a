"""Help requests, their events, and the drafts of requests not yet made."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.requests import (
    Attachment,
    Lookup,
    Request,
    RequestDraft,
    RequestEvent,
    RequestLine,
)
from storage.db import Database, Transaction

# Every change of state bumps ``version`` (what the resident is told is deduplicated by it).
_CHANGED = "version = version + 1, updated_at = :now"
_NOT_WAITING = "waiting_until = NULL, waiting_reason = NULL"


# An event's actor as others read it: the resident of an anonymous request is withheld here,
# so that no view can show the name by mistake (``anonymous`` tells the view to say «a
# resident of 3号楼» instead).
_BY_HIDDEN = "(r.anonymous = 1 AND coalesce(e.actor_id = r.resident_id, 0))"
_ACTOR = f"""CASE WHEN {_BY_HIDDEN} THEN NULL
               ELSE trim(u.first_name || ' ' || coalesce(u.last_name, '')) END AS actor_name,
             {_BY_HIDDEN} AS anonymous"""
_EVENTS = f"""SELECT e.*, {_ACTOR}
              FROM request_events e JOIN requests r ON r.id = e.request_id
              LEFT JOIN users u ON u.id = e.actor_id"""


_LINE = """SELECT r.*, b.name AS building_name,
                  trim(u.first_name || ' ' || coalesce(u.last_name, '')) AS claimer_name,
                  (SELECT count(*) FROM request_media m WHERE m.request_id = r.id) AS media
           FROM requests r JOIN buildings b ON b.id = r.building_id
           LEFT JOIN users u ON u.id = r.claimer_id"""


class RequestRepository:
    """Requests: each change of state is one conditional UPDATE that says whether it won."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def insert(
        self,
        tx: Transaction,
        *,
        building_id: int,
        resident_id: int,
        category: str,
        text: str,
        source_chat_id: int,
        source_message_id: int,
        private: bool,
        now: float,
        outage_id: int | None = None,
        anonymous: bool = False,
    ) -> tuple[Request, bool]:
        """Store a new request; a source seen before returns its request and False.

        Looked up first: an INSERT that meets the UNIQUE source would use up a number.
        """
        seen = await self.by_source(tx, source_chat_id, source_message_id)
        if seen is not None:
            return seen, False
        row = await tx.fetch_one(
            """INSERT INTO requests (building_id, resident_id, category, text, source_chat_id,
                                     source_message_id, private, created_at, updated_at,
                                     outage_id, anonymous)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               RETURNING *""",
            (
                building_id,
                resident_id,
                category,
                text,
                source_chat_id,
                source_message_id,
                int(private),
                now,
                now,
                outage_id,
                int(anonymous),
            ),
        )
        assert row is not None
        return Request.from_row(row), True

    async def by_source(
        self, tx: Transaction, chat_id: int, message_id: int
    ) -> Request | None:
        """The request a message opened, if it opened one (a replayed update finds it)."""
        row = await tx.fetch_one(
            "SELECT * FROM requests WHERE source_chat_id = ? AND source_message_id = ?",
            (chat_id, message_id),
        )
        return None if row is None else Request.from_row(row)

    async def opened_since(self, tx: Transaction, resident_id: int, since: float) -> int:
        """How many requests the resident opened after ``since`` (read in the transaction
        that inserts the next one, so that two at once cannot both pass a limit)."""
        value = await tx.fetch_value(
            "SELECT count(*) FROM requests WHERE resident_id = ? AND created_at > ?",
            (resident_id, since),
        )
        return int(value or 0)

    async def get(self, number: int, tx: Transaction | None = None) -> Request | None:
        """A request by number, read inside ``tx`` when given."""
        sql, params = "SELECT * FROM requests WHERE id = ?", (number,)
        row = await (tx.fetch_one(sql, params) if tx else self.db.fetch_one(sql, params))
        return None if row is None else Request.from_row(row)

    async def claim(self, tx: Transaction, number: int, volunteer_id: int, now: float) -> bool:
        """open → claimed; False if someone else moved it first."""
        cursor = await tx.execute(
            f"""UPDATE requests SET state = 'claimed', claimer_id = :who, claimed_at = :now,
                    {_CHANGED}
                WHERE id = :id AND state = 'open'""",
            {"who": volunteer_id, "now": now, "id": number},
        )
        return cursor.rowcount == 1

    async def release(self, tx: Transaction, number: int, claimer_id: int, now: float) -> bool:
        """claimed → open, routed anew; False unless ``claimer_id`` still holds it."""
        cursor = await tx.execute(
            f"""UPDATE requests SET state = 'open', claimer_id = NULL, claimed_at = NULL,
                    routing = routing + 1, {_NOT_WAITING}, {_CHANGED}
                WHERE id = :id AND state = 'claimed' AND claimer_id = :claimer""",
            {"now": now, "id": number, "claimer": claimer_id},
        )
        return cursor.rowcount == 1

    async def finish(
        self, tx: Transaction, number: int, claimer_id: int, note: str | None, now: float
    ) -> bool:
        """claimed → done with a note; False unless ``claimer_id`` still holds it."""
        cursor = await tx.execute(
            f"""UPDATE requests SET state = 'done', note = :note, done_at = :now,
                    done_by = claimer_id, {_NOT_WAITING}, {_CHANGED}
                WHERE id = :id AND state = 'claimed' AND claimer_id = :claimer""",
            {"note": note, "now": now, "id": number, "claimer": claimer_id},
        )
        return cursor.rowcount == 1

    async def cancel(self, tx: Transaction, number: int, resident_id: int, now: float) -> bool:
        """open → cancelled, by the resident who asked; False otherwise."""
        cursor = await tx.execute(
            f"""UPDATE requests SET state = 'cancelled', {_CHANGED}
                WHERE id = :id AND state = 'open' AND resident_id = :resident""",
            {"now": now, "id": number, "resident": resident_id},
        )
        return cursor.rowcount == 1

    async def withdraw_all(self, tx: Transaction, resident_id: int, now: float) -> list[Request]:
        """open or claimed → cancelled, every request of the resident (/forgetme); returns
        them as they were before (who had claimed them)."""
        rows = await tx.fetch_all(
            "SELECT * FROM requests WHERE resident_id = ? AND state IN ('open', 'claimed')",
            (resident_id,),
        )
        await tx.execute(
            f"""UPDATE requests SET state = 'cancelled', {_CHANGED}
                WHERE resident_id = :resident AND state IN ('open', 'claimed')""",
            {"now": now, "resident": resident_id},
        )
        return [Request.from_row(row) for row in rows]

    async def involving(self, tx: Transaction, user_id: int) -> list[int]:
        """The numbers of the requests someone asked or handled."""
        rows = await tx.fetch_all(
            """SELECT id FROM requests WHERE resident_id = ? OR claimer_id = ? OR done_by = ?
               ORDER BY id""",
            (user_id, user_id, user_id),
        )
        return [int(row["id"]) for row in rows]

    async def claimed_by(self, tx: Transaction, volunteer_id: int) -> list[int]:
        """The numbers of the requests a volunteer holds (claimed, not done)."""
        rows = await tx.fetch_all(
            "SELECT id FROM requests WHERE claimer_id = ? AND state = 'claimed' ORDER BY id",
            (volunteer_id,),
        )
        return [int(row["id"]) for row in rows]

    async def rate(
        self, tx: Transaction, number: int, resident_id: int, stars: int, now: float
    ) -> bool:
        """Store the resident's rating of a done request, once."""
        cursor = await tx.execute(
            """UPDATE requests SET rating = :stars, updated_at = :now
               WHERE id = :id AND state = 'done' AND resident_id = :resident
                 AND rating IS NULL""",
            {"stars": stars, "now": now, "id": number, "resident": resident_id},
        )
        return cursor.rowcount == 1

    async def add_event(
        self,
        tx: Transaction,
        number: int,
        kind: str,
        actor_id: int | None,
        now: float,
        detail: str = "",
        *,
        source: str | None = None,
        internal: bool = False,
    ) -> bool:
        """Record one change of a request; False if its ``source`` was recorded before."""
        cursor = await tx.execute(
            """INSERT OR IGNORE INTO request_events
                   (request_id, kind, actor_id, detail, at, source, internal)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            (number, kind, actor_id, detail, now, source, int(internal)),
        )
        return cursor.rowcount == 1

    async def seen_source(self, tx: Transaction, source: str) -> bool:
        """Whether a command with this source already changed a request (a replay)."""
        found = await tx.fetch_value(
            "SELECT count(*) FROM request_events WHERE source = ?", (source,)
        )
        return bool(found)

    async def events(self, number: int, *, internal: bool = True) -> list[RequestEvent]:
        """A request's history, oldest first, with the names of who acted; without the
        internal notes unless ``internal``."""
        hidden = "" if internal else "AND e.internal = 0"
        rows = await self.db.fetch_all(
            f"{_EVENTS} WHERE e.request_id = ? {hidden} ORDER BY e.id",
            (number,),
        )
        return [RequestEvent.from_row(row) for row in rows]

    async def wait(
        self,
        tx: Transaction,
        number: int,
        claimer_id: int,
        until: float,
        reason: str | None,
        now: float,
    ) -> bool:
        """claimed → waiting until a date (again: a new date); False unless ``claimer_id``
        holds it."""
        cursor = await tx.execute(
            f"""UPDATE requests SET waiting_until = :until, waiting_reason = :reason, {_CHANGED}
                WHERE id = :id AND state = 'claimed' AND claimer_id = :claimer""",
            {"until": until, "reason": reason, "now": now, "id": number, "claimer": claimer_id},
        )
        return cursor.rowcount == 1

    async def resume(self, tx: Transaction, number: int, claimer_id: int, now: float) -> bool:
        """waiting → claimed; False unless it waits and ``claimer_id`` holds it."""
        cursor = await tx.execute(
            f"""UPDATE requests SET {_NOT_WAITING}, {_CHANGED}
                WHERE id = :id AND state = 'claimed' AND claimer_id = :claimer
                  AND waiting_until IS NOT NULL""",
            {"now": now, "id": number, "claimer": claimer_id},
        )
        return cursor.rowcount == 1

    async def end_wait(self, tx: Transaction, number: int, version: int, now: float) -> bool:
        """The waiting date came: claimed again, if nothing moved it since (``version``)."""
        cursor = await tx.execute(
            f"""UPDATE requests SET {_NOT_WAITING}, {_CHANGED}
                WHERE id = :id AND state = 'claimed' AND version = :version
                  AND waiting_until IS NOT NULL""",
            {"now": now, "id": number, "version": version},
        )
        return cursor.rowcount == 1

    async def reopen(
        self, tx: Transaction, number: int, resident_id: int, since: float, now: float
    ) -> bool:
        """done → open again (routed anew), by its resident, if it was done after ``since``."""
        cursor = await tx.execute(
            f"""UPDATE requests SET state = 'open', claimer_id = NULL, claimed_at = NULL,
                    done_at = NULL, note = NULL, rating = NULL, routing = routing + 1,
                    reopened = reopened + 1, {_CHANGED}
                WHERE id = :id AND state = 'done' AND resident_id = :resident
                  AND done_at >= :since""",
            {"now": now, "id": number, "resident": resident_id, "since": since},
        )
        return cursor.rowcount == 1

    async def last_public_event(self, number: int, kinds: Sequence[str]) -> RequestEvent | None:
        """The latest event of these kinds that is not internal (the last step a resident
        may read)."""
        marks = ", ".join("?" for _ in kinds)
        row = await self.db.fetch_one(
            f"""{_EVENTS} WHERE e.request_id = ? AND e.internal = 0 AND e.kind IN ({marks})
                ORDER BY e.id DESC LIMIT 1""",
            (number, *kinds),
        )
        return None if row is None else RequestEvent.from_row(row)

    async def first_event(self, number: int, kind: str) -> RequestEvent | None:
        """The first event of a kind (for example how a request was first routed)."""
        row = await self.db.fetch_one(
            """SELECT e.*, NULL AS actor_name FROM request_events e
               WHERE e.request_id = ? AND e.kind = ? ORDER BY e.id LIMIT 1""",
            (number, kind),
        )
        return None if row is None else RequestEvent.from_row(row)

    async def of_resident(self, resident_id: int, limit: int) -> list[RequestLine]:
        """A resident's requests, newest first."""
        rows = await self.db.fetch_all(
            f"{_LINE} WHERE r.resident_id = ? ORDER BY r.id DESC LIMIT ?", (resident_id, limit)
        )
        return [RequestLine.from_row(row) for row in rows]

    async def open_in(self, building_ids: Sequence[int], limit: int) -> list[RequestLine]:
        """The open requests of some buildings, oldest first."""
        if not building_ids:
            return []
        marks = ", ".join("?" for _ in building_ids)
        rows = await self.db.fetch_all(
            f"{_LINE} WHERE r.state = 'open' AND r.building_id IN ({marks}) ORDER BY r.id LIMIT ?",
            (*building_ids, limit),
        )
        return [RequestLine.from_row(row) for row in rows]

    async def waiting_in(self, building_ids: Sequence[int], limit: int) -> list[RequestLine]:
        """The waiting requests of some buildings, the soonest date first."""
        if not building_ids:
            return []
        marks = ", ".join("?" for _ in building_ids)
        rows = await self.db.fetch_all(
            f"{_LINE} WHERE r.state = 'claimed' AND r.waiting_until IS NOT NULL "
            f"AND r.building_id IN ({marks}) ORDER BY r.waiting_until, r.id LIMIT ?",
            (*building_ids, limit),
        )
        return [RequestLine.from_row(row) for row in rows]

    async def unfinished_in(self, building_id: int, limit: int) -> list[RequestLine]:
        """The requests of a building still open or claimed, oldest first."""
        rows = await self.db.fetch_all(
            f"{_LINE} WHERE r.state IN ('open', 'claimed') AND r.building_id = ? "
            "ORDER BY r.id LIMIT ?",
            (building_id, limit),
        )
        return [RequestLine.from_row(row) for row in rows]

    # --- attachments -------------------------------------------------------------------

    async def add_media(self, tx: Transaction, media: Attachment) -> tuple[Attachment, bool]:
        """Keep an attachment (once per message); returns it and whether it is the first of
        its album (or has none): only that one is asked about."""
        await tx.execute(
            """INSERT OR IGNORE INTO request_media (user_id, chat_id, message_id, album, kind,
                   file_id, latitude, longitude, caption, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (media.user_id, media.chat_id, media.message_id, media.album, media.kind,
             media.file_id, media.latitude, media.longitude, media.caption, media.created_at),
        )
        row = await tx.fetch_one(
            "SELECT * FROM request_media WHERE chat_id = ? AND message_id = ?",
            (media.chat_id, media.message_id),
        )
        assert row is not None
        kept = Attachment.from_row(row)
        if kept.album is None:
            return kept, True
        first = await tx.fetch_value(
            "SELECT min(id) FROM request_media WHERE chat_id = ? AND album = ?",
            (kept.chat_id, kept.album),
        )
        return kept, first == kept.id

    async def media(self, media_id: int) -> Attachment | None:
        """An attachment by id."""
        row = await self.db.fetch_one("SELECT * FROM request_media WHERE id = ?", (media_id,))
        return None if row is None else Attachment.from_row(row)

    async def album_size(self, tx: Transaction, chat_id: int, album: str) -> int:
        """How many attachments of an album are kept."""
        return int(await tx.fetch_value(
            "SELECT count(*) FROM request_media WHERE chat_id = ? AND album = ?", (chat_id, album)
        ))

    async def attach(
        self, tx: Transaction, chat_id: int, message_id: int, request_id: int
    ) -> list[Attachment]:
        """Give the attachment of this message, and the rest of its album, to a request;
        returns those newly attached, in the order they were sent."""
        row = await tx.fetch_one(
            "SELECT album FROM request_media WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        if row is None:
            return []
        album = row["album"]
        where = "chat_id = ? AND " + ("album = ?" if album else "message_id = ?")
        params = (chat_id, album if album else message_id)
        rows = await tx.fetch_all(
            f"SELECT * FROM request_media WHERE {where} AND request_id IS NULL "
            "ORDER BY message_id",
            params,
        )
        await tx.execute(
            f"UPDATE request_media SET request_id = ? WHERE {where} AND request_id IS NULL",
            (request_id, *params),
        )
        return [Attachment.from_row(r).model_copy(update={"request_id": request_id})
                for r in rows]

    async def media_of(self, request_id: int, tx: Transaction | None = None) -> list[Attachment]:
        """A request's attachments, in the order they were sent."""
        rows = await (tx or self.db).fetch_all(
            "SELECT * FROM request_media WHERE request_id = ? ORDER BY message_id", (request_id,)
        )
        return [Attachment.from_row(row) for row in rows]

    # --- drafts --------------------------------------------------------------------------

    async def add_choice(
        self,
        tx: Transaction,
        *,
        chat_id: int,
        user_id: int,
        message_id: int,
        text: str,
        now: float,
        expires_at: float,
        anonymous: bool = False,
    ) -> int:
        """Keep a request's text while its author picks the building; returns the draft id."""
        await tx.execute("DELETE FROM request_drafts WHERE expires_at <= ?", (now,))
        cursor = await tx.execute(
            """INSERT INTO request_drafts (chat_id, user_id, stage, message_id, text,
                                           created_at, expires_at, anonymous)
               VALUES (?, ?, 'choice', ?, ?, ?, ?, ?)""",
            (chat_id, user_id, message_id, text, now, expires_at, int(anonymous)),
        )
        return int(cursor.lastrowid or 0)

    async def draft(self, draft_id: int) -> RequestDraft | None:
        """A draft by id."""
        row = await self.db.fetch_one("SELECT * FROM request_drafts WHERE id = ?", (draft_id,))
        return None if row is None else RequestDraft.from_row(row)

    async def hide_name(self, tx: Transaction, draft_id: int, user_id: int, hidden: bool) -> bool:
        """Set a draft's «Don't show my name» (to a value: a press handled again sets the
        same); False unless the draft is this person's."""
        cursor = await tx.execute(
            "UPDATE request_drafts SET anonymous = ? WHERE id = ? AND user_id = ?",
            (int(hidden), draft_id, user_id),
        )
        return cursor.rowcount == 1

    # --- who sent an anonymous request ---------------------------------------------------

    async def log_lookup(
        self, tx: Transaction, number: int, admin_id: int, now: float, source: str | None
    ) -> None:
        """Record that a community admin looked up who sent request #N (once per command)."""
        await tx.execute(
            """INSERT OR IGNORE INTO request_identity_lookups (request_id, admin_id, at, source)
               VALUES (?, ?, ?, ?)""",
            (number, admin_id, now, source),
        )

    async def lookups(self, tx: Transaction, number: int) -> list[Lookup]:
        """Every look-up of who sent request #N, oldest first, with the admins' names."""
        rows = await tx.fetch_all(
            """SELECT l.*, trim(u.first_name || ' ' || coalesce(u.last_name, '')) AS admin_name
               FROM request_identity_lookups l LEFT JOIN users u ON u.id = l.admin_id
               WHERE l.request_id = ? ORDER BY l.id""",
            (number,),
        )
        return [Lookup.from_row(row) for row in rows]
