"""Buildings, their members (residents and volunteers), and their cached Telegram admins."""

from __future__ import annotations

import sqlite3

from bot.domain.core import Building, User, Volunteer
from bot.errors import Conflict
from bot.i18n import N_
from storage.db import Database, Transaction


class BuildingRepository:
    """Buildings and who belongs to them."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def register(
        self, tx: Transaction, chat_id: int, name: str, by: int, now: float
    ) -> tuple[Building, bool]:
        """Register the chat as a building, or rename it; returns (building, created)."""
        existing = await tx.fetch_one("SELECT * FROM buildings WHERE chat_id = ?", (chat_id,))
        try:
            if existing is None:
                await tx.execute(
                    """INSERT INTO buildings (chat_id, name, created_by, created_at, updated_at)
                       VALUES (?, ?, ?, ?, ?)""",
                    (chat_id, name, by, now, now),
                )
            else:
                await tx.execute(
                    "UPDATE buildings SET name = ?, updated_at = ? WHERE chat_id = ?",
                    (name, now, chat_id),
                )
        except sqlite3.IntegrityError:
            raise Conflict(
                N_("Another group is already registered as «{name}». Choose another name."),
                name=name,
            ) from None
        row = await tx.fetch_one("SELECT * FROM buildings WHERE chat_id = ?", (chat_id,))
        return Building.from_row(row), existing is None

    async def by_chat(self, chat_id: int) -> Building | None:
        """The building whose group this is."""
        row = await self.db.fetch_one("SELECT * FROM buildings WHERE chat_id = ?", (chat_id,))
        return None if row is None else Building.from_row(row)

    async def by_id(self, building_id: int) -> Building | None:
        """A building by id."""
        row = await self.db.fetch_one("SELECT * FROM buildings WHERE id = ?", (building_id,))
        return None if row is None else Building.from_row(row)

    async def by_name(self, name: str) -> Building | None:
        """A building by its exact name (case-insensitive for Latin letters)."""
        row = await self.db.fetch_one(
            "SELECT * FROM buildings WHERE lower(name) = lower(?)", (name.strip(),)
        )
        return None if row is None else Building.from_row(row)

    async def all(self, active_only: bool = True) -> list[Building]:
        """Every building (whose group still has the bot), by name."""
        rows = await self.db.fetch_all(
            """SELECT b.* FROM buildings b JOIN chats c ON c.id = b.chat_id
               WHERE c.active = 1 OR ? = 0 ORDER BY b.name""",
            (int(active_only),),
        )
        return [Building.from_row(row) for row in rows]

    async def of_user(self, user_id: int) -> list[Building]:
        """The buildings a person lives in or volunteers for."""
        rows = await self.db.fetch_all(
            """SELECT b.* FROM buildings b JOIN members m ON m.building_id = b.id
               WHERE m.user_id = ? AND m.left_at IS NULL ORDER BY b.name""",
            (user_id,),
        )
        return [Building.from_row(row) for row in rows]

    async def owned_by(self, user_id: int) -> list[Building]:
        """The buildings whose group the person administers (as last fetched)."""
        rows = await self.db.fetch_all(
            """SELECT b.* FROM buildings b JOIN chat_admins a ON a.chat_id = b.chat_id
               WHERE a.user_id = ? ORDER BY b.name""",
            (user_id,),
        )
        return [Building.from_row(row) for row in rows]

    async def add_resident(
        self, tx: Transaction, building_id: int, user_id: int, now: float
    ) -> None:
        """Record a member of the group as a resident (again, if they had left)."""
        await tx.execute(
            """INSERT INTO members (building_id, user_id, resident, joined_at)
               VALUES (?, ?, 1, ?)
               ON CONFLICT (building_id, user_id) DO UPDATE SET resident = 1, left_at = NULL
               WHERE members.resident = 0 OR members.left_at IS NOT NULL""",
            (building_id, user_id, now),
        )

    async def resident_left(
        self, tx: Transaction, building_id: int, user_id: int, now: float
    ) -> None:
        """The person left the group."""
        await tx.execute(
            "UPDATE members SET left_at = ? WHERE building_id = ? AND user_id = ?",
            (now, building_id, user_id),
        )

    async def set_volunteer(
        self, tx: Transaction, building_id: int, user_id: int, skills: list[str], now: float
    ) -> None:
        """Make the person a volunteer of the building with these skills."""
        await tx.execute(
            """INSERT INTO members (building_id, user_id, resident, volunteer, skills, joined_at)
               VALUES (?, ?, 0, 1, ?, ?)
               ON CONFLICT (building_id, user_id) DO UPDATE SET volunteer = 1,
                   skills = excluded.skills""",
            (building_id, user_id, " ".join(skills), now),
        )

    async def unset_volunteer(self, tx: Transaction, building_id: int, user_id: int) -> bool:
        """Remove the volunteer role; False if they were not a volunteer."""
        cursor = await tx.execute(
            """UPDATE members SET volunteer = 0, skills = ''
               WHERE building_id = ? AND user_id = ? AND volunteer = 1""",
            (building_id, user_id),
        )
        return cursor.rowcount == 1

    async def is_volunteer(self, building_id: int, user_id: int) -> bool:
        """Whether the person volunteers for the building."""
        value = await self.db.fetch_value(
            "SELECT volunteer FROM members WHERE building_id = ? AND user_id = ?",
            (building_id, user_id),
        )
        return bool(value)

    async def volunteers(self, building_id: int) -> list[Volunteer]:
        """The building's volunteers, by name."""
        rows = await self.db.fetch_all(
            """SELECT u.*, m.skills AS member_skills FROM members m JOIN users u ON u.id = m.user_id
               WHERE m.building_id = ? AND m.volunteer = 1 ORDER BY u.first_name, u.id""",
            (building_id,),
        )
        return [
            Volunteer(
                building_id=building_id,
                user=User.from_row(row),
                skills=row["member_skills"].split(),
            )
            for row in rows
        ]

    async def volunteering(self, user_id: int) -> list[Building]:
        """The buildings a person volunteers for."""
        rows = await self.db.fetch_all(
            """SELECT b.* FROM buildings b JOIN members m ON m.building_id = b.id
               WHERE m.user_id = ? AND m.volunteer = 1 ORDER BY b.name""",
            (user_id,),
        )
        return [Building.from_row(row) for row in rows]

    async def residents_count(self, building_id: int) -> int:
        """How many residents the bot knows in the building."""
        return int(
            await self.db.fetch_value(
                """SELECT count(*) FROM members
               WHERE building_id = ? AND resident = 1 AND left_at IS NULL""",
                (building_id,),
            )
        )

    async def admins(self, chat_id: int) -> tuple[list[int], float | None]:
        """The cached admins of a group and when they were fetched (None: never)."""
        rows = await self.db.fetch_all(
            "SELECT user_id, fetched_at FROM chat_admins WHERE chat_id = ?", (chat_id,)
        )
        if not rows:
            return [], None
        return [row[0] for row in rows], min(row[1] for row in rows)

    async def store_admins(self, chat_id: int, user_ids: list[int], now: float) -> None:
        """Replace the cached admins of a group."""
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM chat_admins WHERE chat_id = ?", (chat_id,))
            await tx.execute_many(
                "INSERT INTO chat_admins (chat_id, user_id, fetched_at) VALUES (?, ?, ?)",
                [(chat_id, user_id, now) for user_id in user_ids],
            )
