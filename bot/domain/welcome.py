"""Group care: a building's welcome and rules, residents' flats, and join requests."""

from __future__ import annotations

from typing import Literal

from bot.domain.core import Model

TextKind = Literal["welcome", "rules"]
JoinState = Literal["asking", "waiting", "approved", "declined", "expired", "member"]
OPEN_STATES = ("asking", "waiting")


class BuildingText(Model):
    """The welcome or the rules of a building, as the owner wrote them (placeholders kept)."""

    building_id: int
    kind: TextKind
    text: str
    set_by: int
    updated_at: float


class Flat(Model):
    """Where a resident lives in a building (楼号-房号), as they told the bot."""

    building_id: int
    user_id: int
    flat: str
    name: str = ""
    recorded_at: float


class JoinRequest(Model):
    """Someone asked to join a building's group through an invite link with approval."""

    id: int
    building_id: int
    user_id: int
    user_chat_id: int
    state: JoinState
    flat: str | None = None
    name: str | None = None
    decided_by: int | None = None
    created_at: float
    decided_at: float | None = None

    @property
    def is_open(self) -> bool:
        """Still asking the applicant, or waiting for the owners."""
        return self.state in OPEN_STATES
