"""Welcome and rules texts, flats, and join requests."""

from __future__ import annotations

from bot.domain.welcome import BuildingText, Flat, JoinRequest, JoinState, TextKind
from storage.db import Database, Transaction


class WelcomeRepository:
    """The rows of group care."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- texts ----------------------------------------------------------------------------

    async def set_text(
        self, tx: Transaction, building_id: int, kind: TextKind, text: str, by: int, now: float
    ) -> None:
        """Store (or replace) a building's welcome or rules."""
        await tx.execute(
            """INSERT INTO building_texts (building_id, kind, text, set_by, updated_at)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (building_id, kind) DO UPDATE SET text = excluded.text,
                   set_by = excluded.set_by, updated_at = excluded.updated_at
               WHERE building_texts.text IS NOT excluded.text""",
            (building_id, kind, text, by, now),
        )

    async def text(
        self, building_id: int, kind: TextKind, tx: Transaction | None = None
    ) -> BuildingText | None:
        """A building's welcome or rules, if the owners wrote them."""
        row = await (tx or self.db).fetch_one(
            "SELECT * FROM building_texts WHERE building_id = ? AND kind = ?", (building_id, kind)
        )
        return None if row is None else BuildingText.from_row(row)

    # --- flats ----------------------------------------------------------------------------

    async def record_flat(
        self, tx: Transaction, building_id: int, user_id: int, flat: str, name: str, now: float
    ) -> None:
        """Remember where a resident lives (the latest answer wins)."""
        await tx.execute(
            """INSERT INTO flats (building_id, user_id, flat, name, recorded_at)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (building_id, user_id) DO UPDATE SET flat = excluded.flat,
                   name = excluded.name, recorded_at = excluded.recorded_at""",
            (building_id, user_id, flat, name, now),
        )

    async def flat_of(self, building_id: int, user_id: int) -> Flat | None:
        """Where a resident lives in a building, if they said."""
        row = await self.db.fetch_one(
            "SELECT * FROM flats WHERE building_id = ? AND user_id = ?", (building_id, user_id)
        )
        return None if row is None else Flat.from_row(row)

    async def flat_text(self, building_id: int, user_id: int) -> str | None:
        """The flat alone, for a name on a card ("张伟 (3-502)")."""
        found = await self.flat_of(building_id, user_id)
        return found.flat if found else None

    # --- join requests --------------------------------------------------------------------

    async def open_request(
        self, building_id: int, user_id: int, tx: Transaction | None = None
    ) -> JoinRequest | None:
        """The person's open join request for a building."""
        row = await (tx or self.db).fetch_one(
            """SELECT * FROM join_requests WHERE building_id = ? AND user_id = ?
                   AND state IN ('asking', 'waiting')""",
            (building_id, user_id),
        )
        return None if row is None else JoinRequest.from_row(row)

    async def add_request(
        self, tx: Transaction, building_id: int, user_id: int, user_chat_id: int, now: float
    ) -> JoinRequest:
        """A new join request, asking the applicant."""
        cursor = await tx.execute(
            """INSERT INTO join_requests (building_id, user_id, user_chat_id, state, created_at)
               VALUES (?, ?, ?, 'asking', ?)""",
            (building_id, user_id, user_chat_id, now),
        )
        found = await self.get(int(cursor.lastrowid or 0), tx)
        assert found is not None
        return found

    async def get(self, request_id: int, tx: Transaction | None = None) -> JoinRequest | None:
        """A join request by number."""
        row = await (tx or self.db).fetch_one(
            "SELECT * FROM join_requests WHERE id = ?", (request_id,)
        )
        return None if row is None else JoinRequest.from_row(row)

    async def set_flat(self, tx: Transaction, request_id: int, flat: str) -> None:
        """The applicant's flat."""
        await tx.execute(
            "UPDATE join_requests SET flat = ? WHERE id = ? AND state = 'asking'",
            (flat, request_id),
        )

    async def answered(self, tx: Transaction, request_id: int, name: str) -> bool:
        """The applicant's name: the request now waits for the owners (False if it was not
        asking any more)."""
        cursor = await tx.execute(
            """UPDATE join_requests SET name = ?, state = 'waiting'
               WHERE id = ? AND state = 'asking' AND flat IS NOT NULL""",
            (name, request_id),
        )
        return cursor.rowcount == 1

    async def decide(
        self,
        tx: Transaction,
        request_id: int,
        state: JoinState,
        by: int | None,
        now: float,
        *,
        from_states: tuple[str, ...] = ("waiting",),
    ) -> bool:
        """Close an open request; the one conditional update that picks a single decision."""
        marks = ", ".join("?" for _ in from_states)
        cursor = await tx.execute(
            f"""UPDATE join_requests SET state = ?, decided_by = ?, decided_at = ?
                WHERE id = ? AND state IN ({marks})""",
            (state, by, now, request_id, *from_states),
        )
        return cursor.rowcount == 1
