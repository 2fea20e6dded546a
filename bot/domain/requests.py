"""Help requests, their history, and the drafts of requests not yet made."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, cast

from bot.domain.core import Building, Model, User

RequestState = Literal["open", "claimed", "done", "cancelled"]
Move = Literal["claim", "release", "finish", "cancel"]
# Where a request stands as its resident is told (/status): received (open), in progress
# (claimed), waiting (claimed, waiting on something until a date), done; or cancelled.
Stage = Literal["received", "in_progress", "waiting", "done", "cancelled"]
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
    "waiting",
    "resumed",
    "wait_over",
    "note",
    "reopened",
    "told",
    "answered",
    "undelivered",
]
# Events a resident may read (the last of them is the "last step" of /status): never a
# note, nor the bot's own routing.
PUBLIC_EVENTS = frozenset(
    {"opened", "attached", "claimed", "released", "waiting", "resumed", "wait_over", "done",
     "cancelled", "rated", "reopened"}
)
DraftStage = Literal["question", "choice"]
# The categories a resident may report without their name (the neighbours may be involved).
ANONYMOUS_CATEGORIES = frozenset({"dispute", "safety"})


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
    waiting_until: float | None = None
    waiting_reason: str | None = None
    reopened: int = 0
    done_by: int | None = None
    outage_id: int | None = None  # opened during an outage of its building it is about
    anonymous: bool = False  # the resident's name is shown to no one but the community admins

    @property
    def number(self) -> int:
        """The number residents and volunteers use: #N."""
        return self.id

    @property
    def waiting(self) -> bool:
        """Claimed, and waiting on something until a date (the stale reminder pauses)."""
        return self.state == "claimed" and self.waiting_until is not None

    @property
    def stage(self) -> Stage:
        """Where the request stands, in the words of /status."""
        if self.waiting:
            return "waiting"
        stages: dict[str, Stage] = {"open": "received", "claimed": "in_progress"}
        return stages.get(self.state, cast(Stage, self.state))


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
    internal: bool = False
    source: str | None = None
    anonymous: bool = False  # by the resident of an anonymous request: actor_name withheld


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
    anonymous: bool = False


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


class Lookup(Model):
    """A community admin looked up who sent an anonymous request."""

    id: int
    request_id: int
    admin_id: int
    admin_name: str | None = None
    at: float


@dataclass(frozen=True)
class Identity:
    """What /whois shows a community admin: who sent an anonymous request, and every
    look-up so far (this one included)."""

    request: Request
    building: Building
    resident: User | None
    flat: str | None
    lookups: list[Lookup]


@dataclass(frozen=True)
class Status:
    """What /status shows: the request, its building and its last public step."""

    request: Request
    building: Building
    last: RequestEvent | None
