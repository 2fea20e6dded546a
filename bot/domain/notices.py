"""Notices, their posts in each group, and who confirmed them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bot.domain.core import Model, User

NoticeStatus = Literal["scheduled", "sending", "sent", "cancelled"]
# scheduled: waiting for the notice's time; queued: in the outbox; posted: in the group
PostStatus = Literal["scheduled", "queued", "posted", "failed", "cancelled"]
JobStatus = Literal["pending", "done", "missed", "cancelled", "failed"]
# how a confirmation was made: only one made by the 👍 alone is taken back with the 👍
ConfirmedBy = Literal["button", "reply", "reaction"]


class Notice(Model):
    """What an owner wrote, to be posted to one or more building groups."""

    id: int
    author_id: int
    origin_chat_id: int
    text: str
    pin: bool
    urgent: bool = False  # an emergency: ahead of every other message, with notification
    status: NoticeStatus
    send_at: float | None = None
    created_at: float
    sent_at: float | None = None
    settled_at: float | None = None


class NoticePost(Model):
    """One notice in one building group, with the state of its outbox rows."""

    id: int
    notice_id: int
    building_id: int
    building_name: str
    chat_id: int
    chat_active: bool
    language: str | None = None
    status: PostStatus
    outbox_id: int | None = None
    pin_outbox_id: int | None = None
    message_id: int | None = None
    error: str | None = None
    pin_error: str | None = None
    send_status: str | None = None  # the sendMessage row: pending | sent | failed
    send_error: str | None = None
    sent_message_id: int | None = None
    pin_status: str | None = None  # the pinChatMessage row
    pin_failure: str | None = None

    @property
    def posted_message_id(self) -> int | None:
        """The message in the group, known from the post or from its sent outbox row."""
        return self.message_id or self.sent_message_id


class NoticeLine(Model):
    """A notice as /notices lists it."""

    id: int
    author_id: int
    text: str
    status: NoticeStatus
    send_at: float | None = None
    created_at: float
    buildings: int
    building_name: str
    confirmed: int
    delivered: int
    job_status: JobStatus | None = None
    held_until: float | None = None  # the last of its posts held by quiet hours goes then
    urgent: bool = False  # an emergency


class Confirmer(Model):
    """Someone who confirmed a notice, in which building."""

    building_name: str
    user: User
    flat: str | None = None  # where they live, if they told the bot (a join request)


class Confirmations(Model):
    """Who confirmed a notice, and how many residents each of its buildings has."""

    notice_id: int
    people: list[Confirmer]  # by building, then in the order they confirmed
    residents: dict[str, int]  # building name -> residents known
    # residents known who have not confirmed, by building
    pending: list[Confirmer] = Field(default_factory=list)
    # building name -> (households that confirmed, households known), where flats are known
    households: dict[str, tuple[int, int]] = Field(default_factory=dict)


class Reminded(Model):
    """A resident of a notice's building who has not confirmed it, and whether the bot may
    write to them in private."""

    post_id: int
    user: User
    flat: str | None = None

    @property
    def in_private(self) -> bool:
        """Started the bot and did not block it: the reminder goes to their private chat."""
        return self.user.started and not self.user.blocked


class Nudge(Model):
    """One round of reminders of a notice: how many in private, how many in a group."""

    id: int
    notice_id: int
    day: str
    by_user: int | None = None
    source: str
    at: float
    in_private: int
    in_group: int
