"""Events with sign-up lists (接龙), waitlists, reminders and attendance."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.context import Services


class EventService:
    """Events with sign-up lists (接龙), waitlists, reminders and attendance."""

    def __init__(self, services: Services) -> None:
        self.services = services
