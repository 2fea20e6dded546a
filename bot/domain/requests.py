"""Help requests, their history, and the drafts of requests not yet made."""

from __future__ import annotations

from bot.domain.core import Model


class Request(Model):
    """A help request; its id is the number people see (#N)."""

    id: int
    building_id: int
    resident_id: int
    category: str
    text: str
    state: str
    claimer_id: int | None = None
    source_chat_id: int
    source_message_id: int
    private: bool
    note: str | None = None
    rating: int | None = None
    routing: int
    version: int
    created_at: float
    claimed_at: float | None = None
    done_at: float | None = None
    updated_at: float

    @property
    def number(self) -> int:
        """The number residents and volunteers use: #N."""
        return self.id


class RequestLine(Request):
    """A request as listed, with its building's name and the claimer's name."""

    building_name: str
    claimer_name: str | None = None


class RequestEvent(Model):
    """One change in a request's life."""

    id: int
    request_id: int
    kind: str
    actor_id: int | None = None
    actor_name: str | None = None
    detail: str
    at: float


class RequestDraft(Model):
    """A request not yet made: waiting for its text ('question') or its building ('choice')."""

    id: int
    chat_id: int
    user_id: int
    stage: str
    building_id: int | None = None
    message_id: int
    text: str | None = None
    created_at: float
    expires_at: float


