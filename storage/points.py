"""The points ledger, rewards and redemptions.

The ledger is append-only. Every write that two people could race for is one
conditional statement: an entry goes in only if the balance stays at or above zero
and its source is new; a reservation takes stock only while some is left; a decision
moves a redemption only while it is pending.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from bot.domain.core import User
from bot.domain.points import Decided, LedgerEntry, Redemption, Reward, Standing
from storage.db import Database, Params, Transaction
from storage.errors import MonthlyLimitReached

Reader = Database | Transaction


REWARD_FIELDS = ("name", "shop", "cost", "stock", "monthly_limit")

_REDEMPTION = """SELECT r.*, w.name AS reward_name, w.shop AS shop
                 FROM redemptions r JOIN rewards w ON w.id = r.reward_id"""

# Points earned, for rankings: spending and its returns are not work.
_EARNED = "reason NOT IN ('redemption', 'redemption_returned')"


class PointsRepository:
    """SQL of the points ledger, the reward catalogue and the redemptions."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- ledger ---------------------------------------------------------------------------

    async def add_entry(
        self,
        tx: Transaction,
        user_id: int,
        amount: int,
        reason: str,
        source: str,
        made_by: int | None,
        now: float,
        note: str = "",
    ) -> bool:
        """Append an entry unless its source already paid or the balance would go below zero.

        The balance check and the insert are one statement, so no interleaving can
        overdraw an account. False means nothing was written.
        """
        cursor = await tx.execute(
            """INSERT INTO ledger (user_id, amount, reason, note, source, made_by, created_at)
               SELECT ?, ?, ?, ?, ?, ?, ?
               WHERE (SELECT coalesce(sum(amount), 0) FROM ledger WHERE user_id = ?) + ? >= 0
               ON CONFLICT (source) DO NOTHING""",
            (user_id, amount, reason, note, source, made_by, now, user_id, amount),
        )
        return cursor.rowcount == 1

    async def entry_by_source(self, reader: Reader, source: str) -> LedgerEntry | None:
        """The entry a source paid, if it did."""
        row = await reader.fetch_one("SELECT * FROM ledger WHERE source = ?", (source,))
        return None if row is None else LedgerEntry.from_row(row)

    async def balance(self, reader: Reader, user_id: int) -> int:
        """The sum of a person's entries."""
        value = await reader.fetch_value(
            "SELECT coalesce(sum(amount), 0) FROM ledger WHERE user_id = ?", (user_id,)
        )
        return int(value)

    async def entries(self, user_id: int, limit: int) -> list[LedgerEntry]:
        """A person's latest entries, newest first."""
        rows = await self.db.fetch_all(
            "SELECT * FROM ledger WHERE user_id = ? ORDER BY id DESC LIMIT ?", (user_id, limit)
        )
        return [LedgerEntry.from_row(row) for row in rows]

    async def has_entries(self, user_id: int) -> bool:
        """Whether the person ever earned or spent points."""
        row = await self.db.fetch_one("SELECT 1 FROM ledger WHERE user_id = ? LIMIT 1", (user_id,))
        return row is not None

    async def earned(
        self, start: float, end: float, building_id: int | None, limit: int
    ) -> list[Standing]:
        """Points earned in [start, end) by person, best first (one building's volunteers,
        or everyone)."""
        where = "m.volunteer = 1 AND m.building_id = ?" if building_id is not None else "1"
        joined = "JOIN members m ON m.user_id = l.user_id" if building_id is not None else ""
        params: list[Any] = [start, end]
        if building_id is not None:
            params.append(building_id)
        rows = await self.db.fetch_all(
            f"""SELECT u.*, sum(l.amount) AS points FROM ledger l
                JOIN users u ON u.id = l.user_id {joined}
                WHERE l.{_EARNED} AND l.created_at >= ? AND l.created_at < ? AND {where}
                GROUP BY l.user_id HAVING sum(l.amount) > 0
                ORDER BY points DESC, u.first_name, u.id LIMIT ?""",
            (*params, limit),
        )
        return [Standing(user=User.from_row(row), points=row["points"]) for row in rows]

    # --- rewards --------------------------------------------------------------------------

    async def add_reward(
        self,
        tx: Transaction,
        building_id: int | None,
        fields: dict[str, Any],
        by: int,
        now: float,
        source: str | None = None,
    ) -> Reward:
        """Add a reward to the catalogue."""
        cursor = await tx.execute(
            """INSERT INTO rewards (building_id, name, shop, cost, stock, monthly_limit,
                                    created_by, created_at, updated_at, source)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                building_id,
                fields["name"],
                fields["shop"],
                fields["cost"],
                fields["stock"],
                int(fields["monthly_limit"]),
                by,
                now,
                now,
                source,
            ),
        )
        reward = await self.reward(tx, int(cursor.lastrowid or 0))
        assert reward is not None
        return reward

    async def reward_by_source(self, reader: Reader, source: str) -> Reward | None:
        """The reward a command message added, if it was handled before."""
        row = await reader.fetch_one("SELECT * FROM rewards WHERE source = ?", (source,))
        return None if row is None else Reward.from_row(row)

    async def reward(self, reader: Reader, reward_id: int) -> Reward | None:
        """A reward by number, retired or not."""
        row = await reader.fetch_one("SELECT * FROM rewards WHERE id = ?", (reward_id,))
        return None if row is None else Reward.from_row(row)

    async def update_reward(
        self, tx: Transaction, reward_id: int, field: str, value: Any, now: float
    ) -> bool:
        """Change one field of an active reward; False if it is retired or unknown."""
        if field not in REWARD_FIELDS:
            raise ValueError(f"not a reward field: {field}")
        cursor = await tx.execute(
            f"UPDATE rewards SET {field} = ?, updated_at = ? WHERE id = ? AND active = 1",
            (value, now, reward_id),
        )
        return cursor.rowcount == 1

    async def retire_reward(self, tx: Transaction, reward_id: int, now: float) -> bool:
        """Take a reward out of the catalogue; False if it already was."""
        cursor = await tx.execute(
            "UPDATE rewards SET active = 0, updated_at = ? WHERE id = ? AND active = 1",
            (now, reward_id),
        )
        return cursor.rowcount == 1

    async def catalogue(self, building_ids: list[int] | None) -> list[Reward]:
        """Active rewards of these buildings and of the whole community (None: all)."""
        sql = "SELECT * FROM rewards WHERE active = 1"
        params: Params = ()
        if building_ids is not None:
            marks = ", ".join("?" for _ in building_ids) or "NULL"
            sql += f" AND (building_id IS NULL OR building_id IN ({marks}))"
            params = tuple(building_ids)
        rows = await self.db.fetch_all(sql + " ORDER BY id", params)
        return [Reward.from_row(row) for row in rows]

    async def reserve(self, tx: Transaction, reward_id: int) -> bool:
        """Take one item of stock; False when none is left. Racing for the last: one wins."""
        cursor = await tx.execute(
            "UPDATE rewards SET stock = stock - 1 WHERE id = ? AND stock > 0 AND active = 1",
            (reward_id,),
        )
        return cursor.rowcount == 1

    async def restock(self, tx: Transaction, reward_id: int) -> None:
        """Put back one item a redemption had reserved."""
        await tx.execute("UPDATE rewards SET stock = stock + 1 WHERE id = ?", (reward_id,))

    # --- redemptions ----------------------------------------------------------------------

    async def add_redemption(
        self,
        tx: Transaction,
        reward: Reward,
        user_id: int,
        building_id: int,
        month: str | None,
        request_key: str,
        now: float,
        expires_at: float,
    ) -> Redemption | None:
        """Record a pending redemption; None if this request was already recorded.

        A second one of a monthly reward in the same month is refused by the
        database's unique index, so two racing requests cannot both pass.
        """
        try:
            cursor = await tx.execute(
                """INSERT INTO redemptions (reward_id, user_id, building_id, cost, month,
                                            request_key, created_at, expires_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (request_key) DO NOTHING""",
                (reward.id, user_id, building_id, reward.cost, month, request_key, now, expires_at),
            )
        except sqlite3.IntegrityError as error:
            if "redemptions.month" not in str(error) and "one_a_month" not in str(error):
                raise
            raise MonthlyLimitReached(reward.id) from None
        if cursor.rowcount != 1:
            return None
        return await self.redemption(tx, int(cursor.lastrowid or 0))

    async def redemption(self, reader: Reader, redemption_id: int) -> Redemption | None:
        """A redemption by number, with its reward's name and shop."""
        row = await reader.fetch_one(f"{_REDEMPTION} WHERE r.id = ?", (redemption_id,))
        return None if row is None else Redemption.from_row(row)

    async def redemption_by_key(self, reader: Reader, request_key: str) -> Redemption | None:
        """The redemption a command asked for, if it was recorded."""
        row = await reader.fetch_one(f"{_REDEMPTION} WHERE r.request_key = ?", (request_key,))
        return None if row is None else Redemption.from_row(row)

    async def decide(
        self,
        tx: Transaction,
        redemption_id: int,
        status: Decided,
        by: int | None,
        now: float,
        voucher: str | None = None,
    ) -> bool:
        """Move a pending redemption to its outcome; False if someone decided first."""
        cursor = await tx.execute(
            """UPDATE redemptions SET status = ?, decided_by = ?, decided_at = ?, voucher = ?
               WHERE id = ? AND status = 'pending'""",
            (status, by, now, voucher, redemption_id),
        )
        return cursor.rowcount == 1

    async def open_redemptions(self, user_id: int, since: float) -> list[Redemption]:
        """A person's pending redemptions, and the approved ones since ``since``."""
        rows = await self.db.fetch_all(
            f"""{_REDEMPTION} WHERE r.user_id = ?
                AND (r.status = 'pending' OR (r.status = 'approved' AND r.decided_at >= ?))
                ORDER BY r.id DESC LIMIT 10""",
            (user_id, since),
        )
        return [Redemption.from_row(row) for row in rows]
