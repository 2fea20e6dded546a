"""Help requests, their history, and the drafts of requests not yet made."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.domain.core import Building, Model

RequestState = Literal["open", "claimed", "done", "cancelled"]
Move = Literal["claim", "release", "finish", "cancel"]
# Who a request was sent to: the volunteers on duty, every volunteer, or the owners.
Audience = Literal["duty", "all", "owners"]
EventKind = Literal[
    "opened",
    "attached",
    "routed",
    "claimed",
    "released",
    "escalated",
    "done",
    "cancelled",
    "rated",
    "reminded",
    "unreachable",
]
DraftStage = Literal["question", "choice"]


class Request(Model):
    """A help request; its id is the number people see (#N)."""

    id: int
    building_id: int
    resident_id: int
    category: str
    text: str
    state: RequestState
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
    media: int = 0  # attachments (photos, voice notes, videos, locations)


class RequestEvent(Model):
    """One change in a request's life."""

    id: int
    request_id: int
    kind: EventKind
    actor_id: int | None = None
    actor_name: str | None = None
    detail: str
    at: float


MediaKind = Literal["photo", "voice", "video", "location"]


class Attachment(Model):
    """A photo, voice note, video or location a resident sent with a request (by file_id)."""

    id: int
    user_id: int
    chat_id: int
    message_id: int
    album: str | None = None
    kind: MediaKind
    file_id: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    caption: str = ""
    request_id: int | None = None
    created_at: float


class RequestDraft(Model):
    """A request not yet made: waiting for its text ('question') or its building ('choice')."""

    id: int
    chat_id: int
    user_id: int
    stage: DraftStage
    building_id: int | None = None
    message_id: int
    text: str | None = None
    created_at: float
    expires_at: float


@dataclass(frozen=True)
class Source:
    """The message that asked for help: a redelivered update finds its request again."""

    chat_id: int
    message_id: int
    private: bool


@dataclass(frozen=True)
class Opened:
    """A request that exists now, and whom it went to."""

    request: Request
    building: Building
    created: bool
    audience: Audience


@dataclass(frozen=True)
class Submission:
    """What became of a /request: opened, waiting for a building, or waiting for the text."""

    opened: Opened | None = None
    draft_id: int | None = None
    buildings: list[Building] = field(default_factory=list)
    asked: bool = False


@dataclass(frozen=True)
class History:
    """A request with its events, for Details."""

    request: Request
    building: Building
    events: list[RequestEvent]
    media: list[Attachment] = field(default_factory=list)
