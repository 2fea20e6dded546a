"""Notices to building groups, their confirmations, and scheduled notices."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.context import Services


class NoticeService:
    """Notices to building groups, their confirmations, and scheduled notices."""

    def __init__(self, services: Services) -> None:
        self.services = services
