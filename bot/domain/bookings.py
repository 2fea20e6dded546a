"""Bookable facilities, their slots, and residents' bookings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Json

from bot.domain.core import Building, Model
from bot.domain.lockups import Facility

BookingStatus = Literal["pending", "approved", "declined", "cancelled"]
HOLDING = ("pending", "approved")  # the statuses that hold a place in a slot


class Bookable(Model):
    """How a facility is booked: opening hours per weekday, slot length, capacity."""

    facility_id: int
    hours: Json[list[list[int] | None]]  # Monday first: [open, close] minutes, or closed
    slot_minutes: int
    capacity: int
    approval: bool = False


class Booking(Model):
    """One resident's booking of one slot."""

    id: int
    facility_id: int
    user_id: int
    starts_at: float
    ends_at: float
    purpose: str | None = None
    status: BookingStatus
    reason: str | None = None
    created_at: float
    decided_by: int | None = None
    decided_at: float | None = None
    checked_in_at: float | None = None

    @property
    def holds(self) -> bool:
        """Whether it holds its place (waiting for approval, or approved)."""
        return self.status in HOLDING


@dataclass(frozen=True)
class Room:
    """A bookable facility with its building and booking rules."""

    building: Building
    facility: Facility
    rules: Bookable


@dataclass(frozen=True)
class Slot:
    """One slot of a day: when it starts and ends, and how many places are taken."""

    starts_at: float
    ends_at: float
    taken: int
    capacity: int
    mine: bool = False

    @property
    def free(self) -> int:
        """Places left."""
        return max(0, self.capacity - self.taken)


@dataclass(frozen=True)
class BookedSlot:
    """A booking with its room and the name of who made it, for lists and cards."""

    booking: Booking
    room: Room
    name: str = ""
