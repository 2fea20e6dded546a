"""Help requests: open, route, claim, release, finish, escalate, rate."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.context import Services


class RequestService:
    """Help requests: open, route, claim, release, finish, escalate, rate."""

    def __init__(self, services: Services) -> None:
        self.services = services
