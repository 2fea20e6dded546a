"""Events, their posts in building groups, the sign-up list, attendance, and /event forms."""

from __future__ import annotations

from typing import Any

from bot.domain.core import User
from bot.domain.events import Event, EventPost, EventStatus, EventSummary, Role, Signup
from storage.db import Database, Row, Transaction

Reader = Database | Transaction  # reads inside a transaction see its own writes


SIGNUP_COLUMNS = """s.id, s.event_id, s.chat_id, s.role, s.status, s.joined_at,
    u.id AS user_id, u.first_name, u.last_name, u.username, u.language_code, u.started,
    u.blocked"""


def _signup(row: Row) -> Signup:
    user = User(
        id=row["user_id"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        username=row["username"],
        language_code=row["language_code"],
        started=bool(row["started"]),
        blocked=bool(row["blocked"]),
    )
    return Signup(
        id=row["id"],
        event_id=row["event_id"],
        chat_id=row["chat_id"],
        role=row["role"],
        status=row["status"],
        joined_at=row["joined_at"],
        user=user,
    )


class EventRepository:
    """Events and everything hanging off them."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- events and posts -----------------------------------------------------------------

    async def create(
        self,
        tx: Transaction,
        fields: dict[str, Any],
        building_ids: list[int],
        by: int,
        now: float,
        source: str | None = None,
    ) -> Event:
        """Store an event (title, place, description, starts_at, capacity, helpers, where it is
        on the map) and its posts."""
        cursor = await tx.execute(
            """INSERT INTO events (title, place, description, starts_at, capacity, helpers,
                                   latitude, longitude, created_by, created_at, source)
               VALUES (:title, :place, :description, :starts_at, :capacity, :helpers,
                       :latitude, :longitude, :by, :now, :source)""",
            {"latitude": None, "longitude": None, **fields, "by": by, "now": now,
             "source": source},
        )
        event_id = cursor.lastrowid
        await tx.execute_many(
            "INSERT INTO event_posts (event_id, building_id) VALUES (?, ?)",
            [(event_id, building_id) for building_id in building_ids],
        )
        event = await self.get(tx, int(event_id or 0))
        assert event is not None
        return event

    async def by_source(self, reader: Reader, source: str) -> Event | None:
        """The event a command message posted, if it was handled before."""
        row = await reader.fetch_one("SELECT * FROM events WHERE source = ?", (source,))
        return None if row is None else Event.from_row(row)

    async def get(self, source: Reader, event_id: int) -> Event | None:
        """An event by id."""
        row = await source.fetch_one("SELECT * FROM events WHERE id = ?", (event_id,))
        return None if row is None else Event.from_row(row)

    async def posts(self, source: Reader, event_id: int) -> list[EventPost]:
        """Where the event is posted, one building group each, by building name."""
        rows = await source.fetch_all(
            """SELECT p.event_id, p.building_id, b.name AS building_name, b.chat_id
               FROM event_posts p JOIN buildings b ON b.id = p.building_id
               WHERE p.event_id = ? ORDER BY b.name""",
            (event_id,),
        )
        return [EventPost.from_row(row) for row in rows]

    async def post_buildings(self, event_ids: list[int]) -> dict[int, set[int]]:
        """The buildings each event is posted in."""
        if not event_ids:
            return {}
        marks = ",".join("?" * len(event_ids))
        rows = await self.db.fetch_all(
            f"SELECT event_id, building_id FROM event_posts WHERE event_id IN ({marks})",
            tuple(event_ids),
        )
        found: dict[int, set[int]] = {}
        for row in rows:
            found.setdefault(row[0], set()).add(row[1])
        return found

    async def close(
        self, tx: Transaction, event_id: int, status: EventStatus, now: float, *, started: bool
    ) -> bool:
        """Move an open event to ``status``: before its start (cancel) or after it (done).

        One conditional UPDATE: of two owners pressing at once, one wins.
        """
        timing = "starts_at <= ?" if started else "starts_at > ?"
        cursor = await tx.execute(
            f"""UPDATE events SET status = ?, closed_at = ?
                WHERE id = ? AND status = 'open' AND {timing}""",
            (status, now, event_id, now),
        )
        return cursor.rowcount == 1

    async def coming(self, building_ids: list[int], now: float, limit: int) -> list[EventSummary]:
        """Open events of these buildings that have not started, soonest first."""
        return await self._summaries(building_ids, "e.starts_at > ?", (now,), "ASC", limit)

    async def awaiting_attendance(
        self, building_ids: list[int], now: float, since: float, limit: int
    ) -> list[EventSummary]:
        """Events of these buildings that started after ``since`` and have no attendance yet."""
        return await self._summaries(
            building_ids, "e.starts_at <= ? AND e.starts_at > ?", (now, since), "DESC", limit
        )

    async def _summaries(
        self,
        building_ids: list[int],
        when: str,
        when_params: tuple[float, ...],
        order: str,
        limit: int,
    ) -> list[EventSummary]:
        if not building_ids:
            return []
        marks = ",".join("?" * len(building_ids))
        rows = await self.db.fetch_all(
            f"""SELECT e.*,
                   (SELECT count(*) FROM event_signups s WHERE s.event_id = e.id
                      AND s.role = 'guest' AND s.status = 'going') AS n_going,
                   (SELECT count(*) FROM event_signups s WHERE s.event_id = e.id
                      AND s.status = 'waiting') AS n_waiting,
                   (SELECT count(*) FROM event_signups s WHERE s.event_id = e.id
                      AND s.role = 'helper' AND s.status = 'going') AS n_helping
                FROM events e
                WHERE e.status = 'open' AND {when} AND e.id IN
                    (SELECT event_id FROM event_posts WHERE building_id IN ({marks}))
                ORDER BY e.starts_at {order} LIMIT ?""",
            (*when_params, *building_ids, limit),
        )
        return [
            EventSummary(
                event=Event.from_row(row),
                going=row["n_going"],
                waiting=row["n_waiting"],
                helping=row["n_helping"],
            )
            for row in rows
        ]

    # --- the list -------------------------------------------------------------------------

    async def sign_up(
        self, tx: Transaction, event_id: int, user_id: int, chat_id: int, role: Role, now: float
    ) -> bool:
        """Put someone on the list, or on the waitlist when it is full; False if already on it.

        One INSERT … SELECT counts the places taken and inserts in the same statement,
        inside BEGIN IMMEDIATE: two people racing for the last place cannot both get it.
        The event must be open and not started.
        """
        cursor = await tx.execute(
            """INSERT INTO event_signups (event_id, user_id, chat_id, role, status, joined_at)
               SELECT e.id, :user, :chat, :role,
                   CASE WHEN (CASE :role WHEN 'guest' THEN e.capacity ELSE e.helpers END) IS NULL
                          OR (SELECT count(*) FROM event_signups s
                              WHERE s.event_id = e.id AND s.role = :role AND s.status = 'going')
                             < (CASE :role WHEN 'guest' THEN e.capacity ELSE e.helpers END)
                        THEN 'going' ELSE 'waiting' END,
                   :now
               FROM events e WHERE e.id = :event AND e.status = 'open' AND e.starts_at > :now
               ON CONFLICT (event_id, user_id) DO NOTHING""",
            {"event": event_id, "user": user_id, "chat": chat_id, "role": role, "now": now},
        )
        return cursor.rowcount == 1

    async def signup(self, source: Reader, event_id: int, user_id: int) -> Signup | None:
        """Someone's place on an event's list."""
        row = await source.fetch_one(
            f"""SELECT {SIGNUP_COLUMNS} FROM event_signups s JOIN users u ON u.id = s.user_id
                WHERE s.event_id = ? AND s.user_id = ?""",
            (event_id, user_id),
        )
        return None if row is None else _signup(row)

    async def signups(self, source: Reader, event_id: int) -> list[Signup]:
        """Everyone on the list and the waitlist, in the order they signed up."""
        rows = await source.fetch_all(
            f"""SELECT {SIGNUP_COLUMNS} FROM event_signups s JOIN users u ON u.id = s.user_id
                WHERE s.event_id = ? ORDER BY s.id""",
            (event_id,),
        )
        return [_signup(row) for row in rows]

    async def position(self, source: Reader, signup: Signup) -> int:
        """1-based place of a sign-up among those of its role and status."""
        return int(
            await source.fetch_value(
                """SELECT count(*) FROM event_signups
                   WHERE event_id = ? AND role = ? AND status = ? AND id <= ?""",
                (signup.event_id, signup.role, signup.status, signup.id),
            )
        )

    async def remove(self, tx: Transaction, event_id: int, user_id: int) -> Signup | None:
        """Take someone off the list; returns their place, or None if they were not on it."""
        signup = await self.signup(tx, event_id, user_id)
        if signup is not None:
            await tx.execute("DELETE FROM event_signups WHERE id = ?", (signup.id,))
        return signup

    async def events_of(self, tx: Transaction, user_id: int) -> list[int]:
        """The open events someone is on the list of (or waiting for)."""
        rows = await tx.fetch_all(
            """SELECT s.event_id FROM event_signups s JOIN events e ON e.id = s.event_id
               WHERE s.user_id = ? AND e.status = 'open' ORDER BY s.event_id""",
            (user_id,),
        )
        return [int(row["event_id"]) for row in rows]

    async def promote_next(self, tx: Transaction, event_id: int, role: Role) -> Signup | None:
        """Move the first on the waitlist up, if a place of that role is free; returns them."""
        row = await tx.fetch_one(
            """UPDATE event_signups SET status = 'going'
               WHERE id = (SELECT id FROM event_signups WHERE event_id = :event
                           AND role = :role AND status = 'waiting' ORDER BY id LIMIT 1)
                 AND (SELECT count(*) FROM event_signups WHERE event_id = :event
                      AND role = :role AND status = 'going')
                     < (SELECT CASE :role WHEN 'guest' THEN coalesce(capacity, 1e9)
                               ELSE helpers END FROM events WHERE id = :event)
               RETURNING user_id""",
            {"event": event_id, "role": role},
        )
        return None if row is None else await self.signup(tx, event_id, row["user_id"])

    # --- attendance -----------------------------------------------------------------------

    async def toggle_present(
        self, tx: Transaction, event_id: int, user_id: int, by: int, now: float
    ) -> bool:
        """Flip whether someone who was going came; False if they were not going."""
        cursor = await tx.execute(
            """INSERT INTO event_attendance (event_id, user_id, role, present, marked_by,
                                             marked_at)
               SELECT event_id, user_id, role, 1, ?, ? FROM event_signups
               WHERE event_id = ? AND user_id = ? AND status = 'going'
               ON CONFLICT (event_id, user_id) DO UPDATE SET present = 1 - present,
                   marked_by = excluded.marked_by, marked_at = excluded.marked_at""",
            (by, now, event_id, user_id),
        )
        return cursor.rowcount == 1

    async def present(self, source: Reader, event_id: int) -> set[int]:
        """Who has been marked as present."""
        rows = await source.fetch_all(
            "SELECT user_id FROM event_attendance WHERE event_id = ? AND present = 1",
            (event_id,),
        )
        return {row[0] for row in rows}

    async def save_attendance(
        self, tx: Transaction, event_id: int, by: int, now: float
    ) -> list[int]:
        """Record the unmarked as absent and mark the helpers who came; returns those helpers."""
        await tx.execute(
            """INSERT INTO event_attendance (event_id, user_id, role, present, marked_by,
                                             marked_at)
               SELECT event_id, user_id, role, 0, ?, ? FROM event_signups
               WHERE event_id = ? AND status = 'going'
               ON CONFLICT (event_id, user_id) DO NOTHING""",
            (by, now, event_id),
        )
        rows = await tx.fetch_all(
            """UPDATE event_attendance SET helped = 1
               WHERE event_id = ? AND role = 'helper' AND present = 1 AND helped = 0
               RETURNING user_id""",
            (event_id,),
        )
        return sorted(row[0] for row in rows)
