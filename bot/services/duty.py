"""The two small questions the roster and help requests ask each other.

Requests are routed to whoever is on duty (the roster answers); a handover lists the
requests still open (requests answer). Each service takes the other as one of these
protocols, so the roster is built first and neither imports the other's service.
"""

from __future__ import annotations

from typing import Protocol

from bot.domain.requests import RequestLine


class DutyRoster(Protocol):
    """Who is on duty."""

    async def on_duty(self, building_id: int, at: float) -> list[int]:
        """The user ids of the volunteers on duty in a building at a moment."""
        ...


class UnfinishedRequests(Protocol):
    """The requests a handover lists."""

    async def unfinished(self, building_id: int) -> list[RequestLine]:
        """The requests of a building still open or claimed, oldest first."""
        ...
