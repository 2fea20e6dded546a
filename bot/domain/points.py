"""The points ledger, rewards and redemptions."""

from __future__ import annotations

from bot.domain.core import Model, User


class LedgerEntry(Model):
    """One line of the ledger: points earned or spent, with their reason and source."""

    id: int
    user_id: int
    amount: int
    reason: str
    note: str = ""
    source: str
    made_by: int | None = None
    created_at: float


class Reward(Model):
    """Something a shop donated, with what it costs and how many are left."""

    id: int
    building_id: int | None = None
    name: str
    shop: str
    cost: int
    stock: int
    monthly_limit: bool = False
    active: bool = True


class Redemption(Model):
    """A volunteer's claim on a reward: points held until an owner decides."""

    id: int
    reward_id: int
    user_id: int
    building_id: int
    cost: int
    status: str
    month: str | None = None
    request_key: str
    voucher: str | None = None
    decided_by: int | None = None
    created_at: float
    expires_at: float
    decided_at: float | None = None
    reward_name: str
    shop: str


class Standing(Model):
    """A volunteer's points earned in a period, for a ranking."""

    user: User
    points: int


