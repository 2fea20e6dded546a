"""A community to try commands and buttons on: buildings with their people in every role,
what the bot answered each thing they did, and a snapshot of the state that matters.

Each building has its own group, owner, volunteer, residents and a person to make a
volunteer, so that a test can give every case a fresh building: Telegram lets a bot send
about 20 messages a minute into one group, and PTB's rate limiter keeps to that.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from telegram import Update

from bot.context import LinliContext
from bot.domain.core import Building
from bot.emulator import SentMessage
from bot.errors import LinliError
from tests.harness import ADMIN_ID, Harness

ROLES = ("stranger", "resident", "other_volunteer", "volunteer", "owner", "admin")
STRANGER = 701  # started the bot, belongs to no building
OTHER_VOLUNTEER = 702  # a volunteer of 外楼, not of the building under test
OTHER_OWNER = 703
OTHER_GROUP = -1001000000700
ADMIN = ADMIN_ID
SOMETHING_WENT_WRONG = ("出了点问题", "something went wrong")

# What people do in a building, as far as the bot's state goes: the bookkeeping tables
# (users, chats, the admin cache, the inbox) change with every update and are left out.
STATE = {
    "buildings": "id, chat_id, name",
    "members": "building_id, user_id, skills",  # the volunteers (residents: see below)
    "chats": "id, language, active",
    "outbox": "id, chat_id, method, dedupe_key",  # (but the edits that jobs make: below)
    "jobs": "id, kind, key, due_at",
    "notices": "*",
    "notice_posts": "id, notice_id, building_id, chat_id",
    "notice_confirmations": "*",
    "notice_nudges": "*",
    "notice_nudged": "*",
    "recurring_notices": "*",
    "recurring_notice_buildings": "*",
    "quiet_hours": "*",
    "outages": "*",
    "outage_buildings": "*",
    "requests": "*",
    "request_events": "*",
    "request_drafts": "*",
    "request_identity_lookups": "*",
    "canned_replies": "*",
    "relay_messages": "id, request_id, sender_id, recipient_id, text",
    "shifts": "*",
    "shift_volunteers": "*",
    "swaps": "*",
    "handovers": "*",
    "handover_notes": "*",
    "aways": "*",
    "open_shifts": "*",
    "building_settings": "*",
    "facilities": "*",
    "lockups": "*",
    "bookable": "*",
    "bookings": "*",
    "ledger": "*",
    "rewards": "*",
    "redemptions": "*",
    "events": "*",
    "event_posts": "event_id, building_id",
    "event_signups": "*",
    "event_attendance": "*",
    "event_drafts": "*",
    "prompts": "*",
    "cards": "id, kind, ref, chat_id",
    "hours_activities": "*",
    "hours_attendance": "*",
    "hours_entries": "*",
    "hours_levels": "*",
    "hours_building_settings": "*",
    "hours_certificates": "*",
    "volunteer_applications": "*",
    "building_texts": "*",
    "flats": "*",
    "join_requests": "*",
    "building_topics": "*",
}

# Left out as well: residents, recorded as they speak in a group whatever they say; and
# the edits that stored jobs make a few seconds after a change (a notice's count, an
# event's list), which may land while the next person acts.
ROWS = {
    "members": "WHERE volunteer = 1",
    "outbox": "WHERE kind NOT IN ('notice_count', 'event_card_edit')",
}


@dataclass(frozen=True)
class Place:
    """A building under test and its people."""

    index: int
    name: str
    group: int
    owner: int
    volunteer: int
    resident: int
    neighbour: int  # another resident, whose requests others may act on
    target: int  # a resident an owner makes a volunteer

    def user(self, role: str) -> int:
        """The person who has ``role`` in this building."""
        return {
            "stranger": STRANGER,
            "resident": self.resident,
            "other_volunteer": OTHER_VOLUNTEER,
            "volunteer": self.volunteer,
            "owner": self.owner,
            "admin": ADMIN,
        }[role]

    def username(self, user: int) -> str:
        """The @username of one of its people."""
        return f"u{user}"


@dataclass
class Outcome:
    """What became of one message or press."""

    replies: list[SentMessage]
    answer: str | None = None  # the answer to a press
    error: BaseException | None = None
    edited: str | None = None  # the pressed message, if the press changed it

    @property
    def refused(self) -> bool:
        """The bot said no (a domain refusal, rendered as the reply)."""
        return isinstance(self.error, LinliError)

    @property
    def texts(self) -> list[str]:
        """What the person read."""
        shown = [self.answer] if self.answer else []
        return [m.text for m in self.replies] + shown + ([self.edited] if self.edited else [])


@dataclass
class Community:
    """The harness, its buildings, and the error of each update the bot handled."""

    harness: Harness
    places: list[Place] = field(default_factory=list)
    errors: dict[object, BaseException] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Community({len(self.places)} buildings)"

    async def record(self, update: object, context: LinliContext) -> None:
        """An extra error handler: it only remembers which update raised what."""
        if isinstance(update, Update) and context.error is not None:
            self.errors[key_of(update)] = context.error

    async def building(self, place: Place) -> Building:
        """The stored building of a place."""
        return await self.harness.bot.services.community.building_of_chat(place.group)

    async def says(self, user: int, chat: int, text: str, *, reply_to: int | None = None,
                   watch: tuple[int, ...] = (), thread: int | None = None) -> Outcome:
        """A person writes (in the forum topic ``thread``, when given); returns the bot's new
        messages there (and in ``watch``)."""
        emu = self.harness.emu
        chats = (chat, *watch)
        seen = {c: len(emu.sent(c)) for c in chats}
        message = emu.user_sends(user, chat, text, reply_to_message_id=reply_to,
                                 thread_id=thread)
        await self.harness.settle(30)
        replies = [m for c in chats for m in emu.sent(c)[seen[c]:]]
        return Outcome(replies, error=self.errors.get((chat, message["message_id"])))

    async def presses(self, user: int, chat: int, message_id: int, data: str) -> Outcome:
        """A person presses a button (data may be forged); returns the answer."""
        emu = self.harness.emu
        seen = len(emu.sent(chat))
        edits = _edits(self.harness, chat, message_id)
        query = emu.user_presses(user, chat, message_id, data)
        await self.harness.settle(30)
        answer = emu.callback_answers.get(query, (None, False))[0]
        replies = emu.sent(chat)[seen:]
        edited = None
        if _edits(self.harness, chat, message_id) != edits:
            edited = emu.message(chat, message_id).text
        return Outcome(replies, answer=answer or "", error=self.errors.get(query), edited=edited)

    async def state(self) -> dict[str, list[tuple[Any, ...]]]:
        """The rows that people's actions may change."""
        db = self.harness.db
        return {
            table: [tuple(row) for row in await db.fetch_all(
                f"SELECT {columns} FROM {table} {ROWS.get(table, '')} ORDER BY rowid")]
            for table, columns in STATE.items()
        }


def _edits(harness: Harness, chat: int, message_id: int) -> int | None:
    """How often the bot edited one of its messages (None: not one of its messages)."""
    try:
        return harness.emu.message(chat, message_id).edits
    except KeyError:
        return None


def key_of(update: Update) -> object:
    """How an update is found again: its chat and message, or its button press."""
    if update.callback_query is not None:
        return update.callback_query.id
    message = update.effective_message
    chat = update.effective_chat
    return (chat.id if chat else None, message.message_id if message else None)


class ErrorLog(logging.Handler):
    """Every ERROR the bot logs."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.ERROR)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the message."""
        self.lines.append(f"{record.name}: {record.getMessage()}")


@contextmanager
def logged_errors() -> Iterator[list[str]]:
    """Collect the ERROR lines of every logger while the block runs."""
    handler = ErrorLog([])
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)


async def open_community(harness: Harness) -> Community:
    """The shared people (a stranger, a community admin, the volunteer of 外楼) and the
    observer of errors; buildings are added with ``add_place``."""
    community = Community(harness)
    harness.bot.application.add_error_handler(community.record)
    emu = harness.emu
    for user, name in ((STRANGER, "Lu"), (OTHER_VOLUNTEER, "Wang"), (OTHER_OWNER, "Sun"),
                       (ADMIN, "Admin")):
        emu.add_user(user, name, username=f"u{user}", started=True)
        emu.user_sends(user, user, "/start")
    emu.add_group(OTHER_GROUP, "外楼", supergroup=True, members=[OTHER_VOLUNTEER],
                  admins=[OTHER_OWNER], bot_admin=True)
    emu.user_sends(OTHER_OWNER, OTHER_GROUP, "/setup 外楼")
    emu.user_sends(OTHER_VOLUNTEER, OTHER_GROUP, "大家好")
    await harness.settle()
    services = harness.bot.services
    other = await services.community.building_of_chat(OTHER_GROUP)
    volunteer = await services.users.get(OTHER_VOLUNTEER)
    assert volunteer is not None
    await services.community.add_volunteer(other, volunteer, [])
    return community


async def add_place(community: Community) -> Place:
    """A new building with its group, owner (the group's admin), volunteer and residents."""
    index = len(community.places) + 1
    base = 10_000 + 10 * index
    place = Place(index, f"{index}号楼", -1001000010000 - index,
                  base + 1, base + 2, base + 3, base + 4, base + 5)
    harness, emu = community.harness, community.harness.emu
    people = (place.owner, place.volunteer, place.resident, place.neighbour, place.target)
    for user, role in zip(people, ("Owner", "Vol", "Res", "Nei", "Tgt"), strict=True):
        emu.add_user(user, f"{role}{index}", username=place.username(user), started=True)
        emu.user_sends(user, user, "/start")
    emu.add_group(place.group, place.name, supergroup=True, members=people[1:],
                  admins=[place.owner], bot_admin=True)
    emu.user_sends(place.owner, place.group, f"/setup {place.name}")
    for user in people:  # after /setup (the group's updates are handled in order)
        emu.user_sends(user, place.group, "大家好")
    await harness.settle()
    services = harness.bot.services
    volunteer = await services.users.get(place.volunteer)
    assert volunteer is not None
    await services.community.add_volunteer(await community.building(place), volunteer, [])
    community.places.append(place)
    return place
