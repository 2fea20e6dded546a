"""The core domain values: people, chats, buildings, and the rows of the plumbing
(outbox, inbox, jobs, prompts, live cards). Frozen models, free of SQL and Telegram."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Json


class Model(BaseModel):
    """Base of every row model: immutable, built from sqlite rows."""

    model_config = ConfigDict(frozen=True)

    @classmethod
    def from_row(cls, row: Any) -> Any:
        """Build the model from a sqlite3.Row (or any mapping)."""
        return cls.model_validate({key: row[key] for key in row.keys()})  # noqa: SIM118 - a Row iterates values


class User(Model):
    """A Telegram user the bot has seen."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    started: bool = False
    blocked: bool = False
    forgotten_at: float | None = None  # /forgetme erased the names: "a former resident"

    @property
    def forgotten(self) -> bool:
        """The person asked the bot to forget them (and has not come back with /start)."""
        return self.forgotten_at is not None

    @property
    def display_name(self) -> str:
        """The name people know them by."""
        full = " ".join(part for part in (self.first_name, self.last_name) if part)
        return full or (f"@{self.username}" if self.username else str(self.id))


class Chat(Model):
    """A chat the bot is in."""

    id: int
    type: str
    title: str | None = None
    language: str | None = None
    active: bool = True

    @property
    def is_group(self) -> bool:
        """Groups and supergroups."""
        return self.type in ("group", "supergroup")


class Building(Model):
    """A building of the community, with its group chat."""

    id: int
    chat_id: int
    name: str


class OutboxMessage(Model):
    """A message owed to a chat."""

    id: int
    chat_id: int
    method: str
    payload: str
    kind: str
    ref: str | None = None
    batch: str | None = None
    status: str
    attempts: int
    not_before: float
    created_at: float
    sent_at: float | None = None
    message_id: int | None = None
    error: str | None = None
    priority: int = 0  # higher goes first; URGENT (an emergency) is never held back
    queued: int = 1  # in a queue read: how many rows this chat has waiting, this one included

    @property
    def params(self) -> dict[str, Any]:
        """The Bot API parameters, chat_id included."""
        params: dict[str, Any] = json.loads(self.payload)
        params["chat_id"] = self.chat_id
        return params


class InboxUpdate(Model):
    """A stored Telegram update."""

    update_id: int
    payload: str
    status: str
    attempts: int


class DeadLetter(Model):
    """An update set aside because the bot could not store or parse it."""

    id: int
    update_id: int | None
    source: str
    error: str
    received_at: float
    seen_at: float | None = None


class Job(Model):
    """A piece of scheduled work."""

    id: int
    kind: str
    key: str
    due_at: float
    payload: str
    status: str
    grace_seconds: int | None = None

    @property
    def data(self) -> dict[str, Any]:
        """The job's parameters."""
        data: dict[str, Any] = json.loads(self.payload)
        return data


class Member(Model):
    """A person's place in a building: resident, volunteer, or both."""

    building_id: int
    user_id: int
    resident: bool
    volunteer: bool
    skills: str = ""
    left_at: float | None = None

    @property
    def skill_list(self) -> list[str]:
        """The volunteer's skills."""
        return self.skills.split()


class Volunteer(Model):
    """A volunteer of a building, with who they are."""

    building_id: int
    user: User
    skills: list[str]




class Prompt(Model):
    """A question the bot asked someone in a chat: their next message there answers it."""

    id: int
    chat_id: int
    user_id: int
    feature: str
    step: str
    payload: Json[dict[str, Any]]
    asked_at: float
    expires_at: float
    answered_message: int | None = None


class CardCopy(Model):
    """One delivered (or queued) copy of a live card."""

    id: int
    kind: str
    ref: str
    chat_id: int
    outbox_id: int | None = None
    message_id: int | None = None
    shown: str = ""
    dirty: bool = False


class Mute(Model):
    """A new member muted in a building group for a flood or a link, until an owner lifts it."""

    id: int
    chat_id: int
    user_id: int
    reason: Literal["burst", "link"]
    muted_at: float
    unmuted_by: int | None = None
    unmuted_at: float | None = None
