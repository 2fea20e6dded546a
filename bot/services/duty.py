"""The small questions the roster, help requests and service hours ask each other.

Requests are routed to whoever is on duty (the roster answers); a handover lists the
requests still open (requests answer). Each service takes the other as one of these
protocols, so the roster is built first and neither imports the other's service. A shift
served and a request done may count service hours: both take the hours service as
``WorkHours``, built before them.
"""

from __future__ import annotations

from typing import Protocol

from bot.domain.requests import RequestLine
from storage.db import Transaction


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


class WorkHours(Protocol):
    """Service hours for work other features see done."""

    async def record_work_in(
        self, tx: Transaction, user_id: int, origin: str, minutes: int, content: str,
        served_at: float, source: str, building_id: int | None = None,
    ) -> bool:
        """Hours for a shift served or a request done, in the caller's transaction, once
        per source; nothing when the config turns that kind off."""
        ...
