"""The duty roster, shifts, swaps, handovers, facilities and lock-ups."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.context import Services


class RosterService:
    """The duty roster, shifts, swaps, handovers, facilities and lock-ups."""

    def __init__(self, services: Services) -> None:
        self.services = services
