"""Outages: water, power or a lift out in some buildings for a while."""

from __future__ import annotations

from typing import Literal

from bot.domain.core import Model

OutageKind = Literal["water", "power", "lift"]
OutageStatus = Literal["planned", "ended"]


class Outage(Model):
    """An announced outage; "planned" until the end time passes or an owner ends it."""

    id: int
    kind: OutageKind
    starts_at: float
    ends_at: float
    reason: str = ""
    author_id: int
    origin_chat_id: int
    notice_id: int | None = None
    status: OutageStatus
    ended_at: float | None = None
    ended_by: int | None = None
    created_at: float
    building_names: str = ""  # "3号楼, 5号楼", when read for a list

    def on_at(self, moment: float) -> bool:
        """Whether the outage is going on at ``moment``."""
        return self.status == "planned" and self.starts_at <= moment < self.ends_at
