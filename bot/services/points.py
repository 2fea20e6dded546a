"""The points ledger, rewards from local shops, and redemptions."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.context import Services


class PointsService:
    """The points ledger, rewards from local shops, and redemptions."""

    def __init__(self, services: Services) -> None:
        self.services = services
