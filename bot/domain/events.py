"""Events with a sign-up list: the event, its posts, sign-ups and listings."""

from __future__ import annotations

from typing import Literal

from bot.domain.core import Model, User

Role = Literal["guest", "helper"]


class Event(Model):
    """An event with a sign-up list."""

    id: int
    title: str
    place: str
    description: str = ""
    starts_at: float
    capacity: int | None = None
    helpers: int = 0
    status: str = "open"
    created_by: int
    created_at: float
    closed_at: float | None = None

    def limit_for(self, role: Role) -> int | None:
        """How many may be going in this role (None: no limit)."""
        return self.capacity if role == "guest" else self.helpers


class EventPost(Model):
    """The event's message in one building group."""

    event_id: int
    building_id: int
    building_name: str
    chat_id: int
    message_id: int | None = None


class Signup(Model):
    """A place on the list, or on the waitlist."""

    id: int
    event_id: int
    chat_id: int
    role: Role
    status: Literal["going", "waiting"]
    joined_at: float
    user: User


class EventSummary(Model):
    """An event with its counts, for /events."""

    event: Event
    going: int
    waiting: int
    helping: int
