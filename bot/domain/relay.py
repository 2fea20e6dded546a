"""Canned replies a building keeps ready, and messages relayed between a request's
volunteer and its resident."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.core import Building, Model
from bot.domain.requests import Request


class CannedReply(Model):
    """A short answer of a building, sent to a resident with one button."""

    id: int
    building_id: int
    title: str
    text: str
    created_by: int | None = None
    source: str | None = None
    created_at: float


class RelayedMessage(Model):
    """One message relayed through the bot; ``message_id`` is the recipient's copy."""

    id: int
    request_id: int
    sender_id: int
    recipient_id: int
    text: str
    outbox_id: int | None = None
    message_id: int | None = None
    failed: bool = False
    created_at: float


@dataclass(frozen=True)
class Shelf:
    """A building's canned replies, as /replies lists them."""

    building: Building
    replies: list[CannedReply] = field(default_factory=list)


@dataclass(frozen=True)
class Relayed:
    """A message relayed: its request, and whether it went to the resident."""

    request: Request
    to_resident: bool
