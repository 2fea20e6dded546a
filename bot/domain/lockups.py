"""Facilities with closing times and checklists, and their lock-ups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Json

from bot.domain.core import Building, Model

LockupStatus = Literal["open", "awaiting_note", "reported"]
LockupState = Literal["on_time", "late", "missing", "open"]  # as the history shows it


class Facility(Model):
    """A room of a building with a closing time for each weekday and a checklist."""

    id: int
    building_id: int
    name: str
    closing: Json[list[int | None]]
    checklist: Json[list[str]]
    active: bool = True

    @property
    def all_ticked(self) -> int:
        """The bit mask of a checklist with every item ticked."""
        return (1 << len(self.checklist)) - 1


class Lockup(Model):
    """The lock-up of one facility on one closing day."""

    id: int
    facility_id: int
    day: str
    closing_at: float
    status: LockupStatus
    ticked: int
    user_id: int | None = None
    reported_at: float | None = None
    late: bool = False
    note: str | None = None
    photo: str | None = None
    reminded_at: float | None = None
    escalated_at: float | None = None
    problem: str | None = None  # noted with the report; it became a repair request
    problem_request: int | None = None

    def is_ticked(self, index: int) -> bool:
        """Whether checklist item ``index`` is ticked."""
        return bool(self.ticked >> index & 1)


@dataclass(frozen=True)
class LastUse:
    """Who had the room booked last on a closing day, and until when."""

    name: str
    ends_at: float


@dataclass(frozen=True)
class FacilityLockup:
    """A lock-up with its facility and building, for showing and posting."""

    building: Building
    facility: Facility
    lockup: Lockup
    last_use: LastUse | None = None


@dataclass(frozen=True)
class HistoryEntry:
    """One lock-up of a building's recent history, with its state and who reported it."""

    facility: Facility
    lockup: Lockup
    state: LockupState
    reporter: str | None = None
