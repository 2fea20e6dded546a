"""The points ledger, rewards and redemptions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.domain.core import Building, Model, User

Reason = Literal[
    "request_done",
    "shift_served",
    "lockup_on_time",
    "event_helped",
    "hazard_reported",
    "award",
    "correction",
    "redemption",
    "redemption_returned",
]
RedemptionStatus = Literal["pending", "approved", "rejected", "expired"]
Decided = Literal["approved", "rejected", "expired"]


class LedgerEntry(Model):
    """One line of the ledger: points earned or spent, with their reason and source."""

    id: int
    user_id: int
    amount: int
    reason: Reason
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
    status: RedemptionStatus
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


@dataclass(frozen=True)
class Award:
    """The outcome of a manual award or correction."""

    volunteer: User
    entry: LedgerEntry
    balance: int
    created: bool  # False: this command was already recorded (a replayed update)


@dataclass(frozen=True)
class Redeemed:
    """The outcome of /redeem."""

    redemption: Redemption
    building: Building
    balance: int
    created: bool  # False: this command was already recorded (a replayed update)


@dataclass(frozen=True)
class Statement:
    """A balance with the latest entries and the open redemptions."""

    balance: int
    entries: list[LedgerEntry]
    redemptions: list[Redemption]
    volunteer: bool = True  # serves a building now


@dataclass(frozen=True)
class Leaderboard:
    """Points earned this month, best first, for a building or the whole community."""

    month: str
    building: Building | None
    standings: list[Standing]
