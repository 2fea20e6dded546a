"""Events with a sign-up list: the event, its posts, sign-ups and listings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from bot.domain.core import Model, User

Role = Literal["guest", "helper"]
EventStatus = Literal["open", "cancelled", "done"]  # done: the attendance is saved
SignupStatus = Literal["going", "waiting"]


class Event(Model):
    """An event with a sign-up list."""

    id: int
    title: str
    place: str
    description: str = ""
    starts_at: float
    capacity: int | None = None
    helpers: int = 0
    status: EventStatus = "open"
    created_by: int
    created_at: float
    closed_at: float | None = None
    latitude: float | None = None  # the place on the map, if the owner gave it
    longitude: float | None = None

    @property
    def point(self) -> tuple[float, float] | None:
        """Where it is on the map (latitude, longitude), if known."""
        if self.latitude is None or self.longitude is None:
            return None
        return self.latitude, self.longitude

    def limit_for(self, role: Role) -> int | None:
        """How many may be going in this role (None: no limit)."""
        return self.capacity if role == "guest" else self.helpers


class EventPost(Model):
    """The event's message in one building group (the message itself is a live card)."""

    event_id: int
    building_id: int
    building_name: str
    chat_id: int


class Signup(Model):
    """A place on the list, or on the waitlist."""

    id: int
    event_id: int
    chat_id: int
    role: Role
    status: SignupStatus
    joined_at: float
    user: User


class EventSummary(Model):
    """An event with its counts, for /events."""

    event: Event
    going: int
    waiting: int
    helping: int


@dataclass(frozen=True)
class EventForm:
    """A checked event, ready to post."""

    title: str
    starts_at: float
    place: str
    capacity: int | None = None
    helpers: int = 0
    description: str = ""
    point: tuple[float, float] | None = None  # latitude, longitude

    def fields(self) -> dict[str, Any]:
        """The columns of the event."""
        latitude, longitude = self.point or (None, None)
        return {
            "latitude": latitude,
            "longitude": longitude,
            "title": self.title,
            "place": self.place,
            "description": self.description,
            "starts_at": self.starts_at,
            "capacity": self.capacity,
            "helpers": self.helpers,
        }


@dataclass(frozen=True)
class JoinOutcome:
    """Where a sign-up landed."""

    role: Role
    status: SignupStatus
    position: int


@dataclass(frozen=True)
class LeaveOutcome:
    """Who left, and who moved up from the waitlist in their place."""

    left: Signup
    promoted: Signup | None


@dataclass(frozen=True)
class AttendanceSheet:
    """Who was going to an event that has started, and who has been marked present."""

    event: Event
    going: list[Signup]
    present: set[int]


@dataclass(frozen=True)
class Listing:
    """/events: what is coming, what waits for attendance, and which of them one may manage."""

    coming: list[EventSummary]
    awaiting: list[EventSummary]
    manageable: set[int] = field(default_factory=set)
