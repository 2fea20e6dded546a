"""In-memory state of the emulated Telegram: users, chats, messages and pending updates.

The user-side actions here (a user sends, presses, joins...) enqueue the updates Telegram
would deliver to the bot. Nothing in this module knows about HTTP.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.formatting import utf16_length

JSON = dict[str, Any]

GROUP_ANONYMOUS_BOT = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
MEMBER_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")
PRESENT_STATUSES = frozenset({"creator", "administrator", "member", "restricted"})
ADMIN_STATUSES = frozenset({"creator", "administrator"})
JOIN_WINDOW_SECONDS = 300  # how long user_chat_id of a join request may be written to
INVITE_LINK = "https://t.me/+EmuLatedJoinLink"
_MENTION = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}")


@dataclass
class UserRecord:
    """A Telegram user (or the bot itself)."""

    user_id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = "zh"
    is_bot: bool = False
    started: bool = False
    blocked: bool = False
    # Groups whose pending join request lets the bot write to this user before Start, and
    # until when (monotonic): Telegram allows it for 5 minutes, until the request is handled.
    join_windows: dict[int, float] = field(default_factory=dict)

    def may_receive(self, now: float) -> bool:
        """Whether the bot may send to this user: they pressed Start, or asked to join a
        group the bot administers a short while ago."""
        return self.started or any(until > now for until in self.join_windows.values())

    def to_json(self) -> JSON:
        """The Bot API User object."""
        user: JSON = {"id": self.user_id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key, value in (
            ("last_name", self.last_name),
            ("username", self.username),
            ("language_code", None if self.is_bot else self.language_code),
        ):
            if value:
                user[key] = value
        return user

    def private_chat_json(self) -> JSON:
        """The Bot API Chat object of the private chat with this user."""
        chat: JSON = {"id": self.user_id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass
class ForumTopic:
    """A topic of a forum supergroup: its thread id is the id of the message that opened it."""

    thread_id: int
    name: str
    icon_color: int = 7322096
    closed: bool = False
    deleted: bool = False


@dataclass
class ChatRecord:
    """A group or supergroup, with each member's status and the bot's own status."""

    chat_id: int
    title: str
    supergroup: bool = False
    members: dict[int, str] = field(default_factory=dict)
    bot_status: str = "member"
    bot_can_pin: bool = True
    migrated_to: int | None = None
    migrated_from: int | None = None
    pinned: list[int] = field(default_factory=list)
    bot_can_manage_tags: bool = False  # the admin right a bot needs for setChatMemberTag
    join_requests: dict[int, int] = field(default_factory=dict)  # user → date of the request
    tags: dict[int, str] = field(default_factory=dict)  # member tags (Bot API 9.5)
    restrictions: dict[int, JSON] = field(default_factory=dict)  # the last permissions set
    is_forum: bool = False  # a supergroup with topics
    topics: dict[int, ForumTopic] = field(default_factory=dict)  # by message_thread_id

    @property
    def kind(self) -> str:
        """The Chat.type: group or supergroup."""
        return "supergroup" if self.supergroup else "group"

    def to_json(self) -> JSON:
        """The Bot API Chat object."""
        chat: JSON = {"id": self.chat_id, "type": self.kind, "title": self.title}
        if self.is_forum:
            chat["is_forum"] = True
        return chat

    def open_topic(self, thread_id: int | None) -> ForumTopic | None:
        """The topic a message goes to (None: the general topic); ValueError if it is gone."""
        if thread_id is None:
            return None
        topic = self.topics.get(thread_id)
        if topic is None or topic.deleted:
            raise ValueError(f"chat {self.chat_id} has no topic {thread_id}")
        return topic

    def status_of(self, user_id: int) -> str:
        """The member status of a user; "left" if they were never in the chat."""
        return self.members.get(user_id, "left")


@dataclass
class StoredFile:
    """A file the bot uploaded or a user sent, retrievable with getFile."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None

    @property
    def file_path(self) -> str:
        """The path under /file/bot<token>/ that serves the bytes."""
        return f"files/{self.file_id}"


@dataclass
class SentMessage:
    """A message the bot sent, kept up to date by edits, deletes and pins."""

    message_id: int
    chat_id: int
    kind: str
    text: str
    date: int
    raw_text: str = ""
    parse_mode: str | None = None
    entities: list[JSON] = field(default_factory=list)
    reply_markup: JSON | None = None
    reply_to_message_id: int | None = None
    edits: int = 0
    edit_date: int | None = None
    deleted: bool = False
    pinned: bool = False
    silent: bool = False  # sent with disable_notification: members got no sound
    pin_silent: bool | None = None  # once pinned: whether the pin spared members a notification
    file_id: str | None = None
    file_unique_id: str | None = None
    file_bytes: bytes | None = field(default=None, repr=False)
    file_name: str | None = None
    mime_type: str | None = None
    location: JSON | None = None  # sendLocation: {"latitude": …, "longitude": …}
    message_thread_id: int | None = None  # the forum topic it went to (None: general)
    sent_at: float = field(default_factory=time.monotonic)

    @property
    def caption(self) -> str | None:
        """The caption of a photo or document (same as text), None for text messages."""
        return None if self.kind == "text" else self.text

    @property
    def button_rows(self) -> list[list[JSON]]:
        """The rows of buttons of the reply markup, inline or not."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [[_as_button(button) for button in row] for row in rows]

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """Every button as (text, callback_data or url or None), row by row."""
        return [
            (str(button.get("text", "")), button.get("callback_data") or button.get("url"))
            for row in self.button_rows
            for button in row
        ]

    def to_json(self) -> JSON:
        """A plain summary for the control API (not a Bot API Message)."""
        return {
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "kind": self.kind,
            "text": self.text,
            "raw_text": self.raw_text,
            "parse_mode": self.parse_mode,
            "entities": self.entities,
            "reply_markup": self.reply_markup,
            "buttons": [list(button) for button in self.buttons],
            "reply_to_message_id": self.reply_to_message_id,
            "message_thread_id": self.message_thread_id,
            "edits": self.edits,
            "deleted": self.deleted,
            "pinned": self.pinned,
            "file_id": self.file_id,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "file_size": len(self.file_bytes) if self.file_bytes is not None else None,
            "date": self.date,
        }


def _as_button(button: object) -> JSON:
    return button if isinstance(button, dict) else {"text": str(button)}


def command_entities(text: str) -> list[JSON]:
    """The entities Telegram adds to a user's text: a leading bot_command and @mentions."""
    entities: list[JSON] = []
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        entities.append({"type": "bot_command", "offset": 0, "length": utf16_length(command)})
    for match in _MENTION.finditer(text):
        offset = utf16_length(text[: match.start()])
        entities.append({"type": "mention", "offset": offset, "length": utf16_length(match[0])})
    return entities


def member_json(
    user: JSON, status: str, *, can_pin: bool = True, can_manage_tags: bool = False,
    tag: str | None = None,
) -> JSON:
    """A Bot API ChatMember object for a status, with every field PTB requires."""
    member: JSON = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(admin_rights(can_pin=can_pin))
        member["can_manage_tags"] = can_manage_tags
    elif status == "kicked":
        member["until_date"] = 0
    elif status == "restricted":
        member.update(restricted_rights())
    if tag and status in ("member", "restricted"):
        member["tag"] = tag
    return member


def admin_rights(*, can_pin: bool) -> JSON:
    """The rights of an administrator as ChatMemberAdministrator fields."""
    return {
        "can_be_edited": False,
        "is_anonymous": False,
        "can_manage_chat": True,
        "can_delete_messages": True,
        "can_manage_video_chats": True,
        "can_restrict_members": True,
        "can_promote_members": False,
        "can_change_info": True,
        "can_invite_users": True,
        "can_post_stories": False,
        "can_edit_stories": False,
        "can_delete_stories": False,
        "can_pin_messages": can_pin,
        "can_manage_topics": False,
    }


def restricted_rights() -> JSON:
    """ChatMemberRestricted fields for a member who may only read."""
    names = [
        "can_change_info",
        "can_invite_users",
        "can_pin_messages",
        "can_send_messages",
        "can_send_polls",
        "can_send_other_messages",
        "can_add_web_page_previews",
        "can_manage_topics",
        "can_send_audios",
        "can_send_documents",
        "can_send_photos",
        "can_send_videos",
        "can_send_video_notes",
        "can_send_voice_notes",
        "can_edit_tag",
        "can_react_to_messages",
    ]
    return {"is_member": True, "until_date": 0, **dict.fromkeys(names, False)}


def update_type(update: JSON) -> str:
    """The kind of an update: the one key besides update_id."""
    return next((key for key in update if key != "update_id"), "")


class World:
    """Everything the emulated Telegram knows, and the updates waiting for the bot."""

    def __init__(
        self, bot: UserRecord, *, privacy_mode: bool = False, first_update_id: int = 1
    ) -> None:
        self.bot = bot
        self.privacy_mode = privacy_mode
        self.users: dict[int, UserRecord] = {}
        self.chats: dict[int, ChatRecord] = {}
        self.user_messages: dict[tuple[int, int], JSON] = {}
        self.sent_messages: dict[int, list[SentMessage]] = {}
        self.files: dict[str, StoredFile] = {}
        self.updates: list[JSON] = []
        self.allowed_updates: frozenset[str] | None = None
        self.open_callback_queries: set[str] = set()
        self.callback_answers: dict[str, tuple[str | None, bool]] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.webhook_url: str | None = None
        self.pinned_in_private: dict[int, list[int]] = {}
        self.on_update: Callable[[], None] | None = None
        self._sent_index: dict[tuple[int, int], SentMessage] = {}
        self._last_message_id: dict[int, int] = {}
        self._update_ids = itertools.count(first_update_id)
        self._file_numbers = itertools.count(1)
        self._query_numbers = itertools.count(1)

    # --- lookups -------------------------------------------------------------------------

    def user(self, user_id: int) -> UserRecord:
        """A known user; ValueError if unknown."""
        if user_id == self.bot.user_id:
            return self.bot
        if user_id not in self.users:
            raise ValueError(f"unknown user {user_id}: call add_user first")
        return self.users[user_id]

    def group(self, chat_id: int) -> ChatRecord:
        """A known group or supergroup; ValueError if unknown."""
        if chat_id not in self.chats:
            raise ValueError(f"unknown group {chat_id}: call add_group first")
        return self.chats[chat_id]

    def chat_json(self, chat_id: int) -> JSON:
        """The Bot API Chat object for a private chat or a group."""
        if chat_id > 0:
            return self.user(chat_id).private_chat_json()
        return self.group(chat_id).to_json()

    def sent(self, chat_id: int) -> list[SentMessage]:
        """The messages the bot sent to a chat, oldest first."""
        return list(self.sent_messages.get(chat_id, []))

    def message(self, chat_id: int, message_id: int) -> SentMessage:
        """One message the bot sent; KeyError if there is none."""
        found = self.find_sent(chat_id, message_id)
        if found is None:
            raise KeyError(f"the bot sent no message {message_id} to chat {chat_id}")
        return found

    def find_sent(self, chat_id: int, message_id: int) -> SentMessage | None:
        """One message the bot sent, or None."""
        return self._sent_index.get((chat_id, message_id))

    def next_message_id(self, chat_id: int) -> int:
        """Reserve the next message id in a chat."""
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    # --- updates -------------------------------------------------------------------------

    def push_update(self, update: JSON) -> JSON:
        """Queue an update for the bot, giving it the next update_id."""
        queued = {"update_id": next(self._update_ids)}
        queued.update((key, value) for key, value in update.items() if key != "update_id")
        self.updates.append(queued)
        if self.on_update is not None:
            self.on_update()
        return queued

    def set_allowed_updates(self, allowed: Iterable[str] | None) -> None:
        """Remember allowed_updates like Telegram: None keeps, [] restores the default."""
        if allowed is None:
            return
        chosen = frozenset(allowed)
        self.allowed_updates = chosen or None

    def is_allowed(self, kind: str) -> bool:
        """Whether updates of this kind reach the bot under the current allowed_updates."""
        if self.allowed_updates is None:
            return kind not in DEFAULT_EXCLUDED_UPDATES
        return kind in self.allowed_updates

    def confirm(self, offset: int | None) -> None:
        """Forget updates confirmed by getUpdates offset (negative: keep only the last ones)."""
        if offset is None or offset == 0:
            return
        if offset < 0:
            self.updates = self.updates[offset:]
        else:
            self.updates = [update for update in self.updates if update["update_id"] >= offset]

    def deliverable(self, limit: int) -> list[JSON]:
        """Up to `limit` pending updates the bot asked for; drops the ones it did not ask for."""
        self.updates = [update for update in self.updates if self.is_allowed(update_type(update))]
        return self.updates[:limit]

    def pending_updates(self) -> int:
        """How many updates the bot will still receive (not confirmed, of allowed kinds)."""
        return sum(1 for update in self.updates if self.is_allowed(update_type(update)))

    def drop_pending_updates(self) -> None:
        """Forget every pending update."""
        self.updates = []

    # --- setting up users and chats ------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = "zh",
        started: bool = False,
    ) -> JSON:
        """Create a user; `started` means they already pressed Start in the private chat."""
        if user_id <= 0 or user_id == self.bot.user_id:
            raise ValueError(f"user ids are positive and not the bot's, got {user_id}")
        self.users[user_id] = UserRecord(
            user_id, first_name, username, last_name, language_code, started=started
        )
        return self.users[user_id].to_json()

    def add_group(
        self,
        chat_id: int,
        title: str,
        *,
        supergroup: bool = False,
        members: Iterable[int] = (),
        admins: Iterable[int] = (),
        creator: int | None = None,
        bot_member: bool = True,
        bot_admin: bool = False,
        bot_can_pin: bool = True,
        bot_can_manage_tags: bool = False,
        forum: bool = False,
    ) -> JSON:
        """Create a group (or supergroup, with topics if ``forum``) with its members, without
        sending any update."""
        if chat_id >= 0:
            raise ValueError(f"group chat ids are negative, got {chat_id}")
        if forum and not supergroup:
            raise ValueError("only a supergroup can have topics")
        chat = ChatRecord(chat_id, title, supergroup=supergroup, bot_can_pin=bot_can_pin,
                          bot_can_manage_tags=bot_can_manage_tags, is_forum=forum)
        for user_id, status in self._initial_statuses(members, admins, creator):
            self.user(user_id)
            chat.members[user_id] = status
        chat.bot_status = ("administrator" if bot_admin else "member") if bot_member else "left"
        self.chats[chat_id] = chat
        if forum:
            self._reserve_general_topic(chat_id)
        return chat.to_json()

    @staticmethod
    def _initial_statuses(
        members: Iterable[int], admins: Iterable[int], creator: int | None
    ) -> list[tuple[int, str]]:
        statuses = [(user_id, "member") for user_id in members]
        statuses += [(user_id, "administrator") for user_id in admins]
        if creator is not None:
            statuses.append((creator, "creator"))
        return statuses

    # --- what users do -------------------------------------------------------------------

    def user_sends(
        self, user_id: int, chat_id: int, text: str, *, reply_to_message_id: int | None = None,
        thread_id: int | None = None,
    ) -> JSON:
        """A user writes text in a private chat (chat_id == user_id) or a group (inside the
        forum topic ``thread_id``, when given)."""
        message = self._user_message(user_id, chat_id, reply_to_message_id, thread_id)
        message["text"] = text
        entities = command_entities(text)
        if entities:
            message["entities"] = entities
        self._deliver_user_message(message)
        return message

    def user_sends_photo(
        self,
        user_id: int,
        chat_id: int,
        caption: str | None = None,
        *,
        data: bytes = b"\x89PNG emulated photo",
        mime_type: str = "image/jpeg",
        album: str | None = None,
    ) -> JSON:
        """A user sends a photo, with an optional caption; ``album`` is the media_group_id
        the photos of one album share."""
        message = self._user_message(user_id, chat_id, None)
        stored = self.store_file(data, "photo.jpg", mime_type)
        message["photo"] = photo_sizes(stored)
        if caption:
            message["caption"] = caption
        if album:
            message["media_group_id"] = album
        self._deliver_user_message(message)
        return message

    def user_sends_other(
        self, user_id: int, chat_id: int, fields: JSON, *, reply_to_message_id: int | None = None
    ) -> JSON:
        """A user sends any other kind of message: ``fields`` are its Bot API fields
        (``{"sticker": …}``, ``{"contact": …}``, ``{"location": …}``, ``forward_origin``)."""
        message = self._user_message(user_id, chat_id, reply_to_message_id)
        message.update(fields)
        self._deliver_user_message(message)
        return message

    def user_sends_voice(self, user_id: int, chat_id: int, caption: str | None = None) -> JSON:
        """A user sends a voice note (or, with kind "video", a short video)."""
        return self._user_media(user_id, chat_id, "voice", caption)

    def user_sends_video(self, user_id: int, chat_id: int, caption: str | None = None) -> JSON:
        """A user sends a short video."""
        return self._user_media(user_id, chat_id, "video", caption)

    def _user_media(self, user_id: int, chat_id: int, kind: str, caption: str | None) -> JSON:
        name, mime = ("voice.ogg", "audio/ogg") if kind == "voice" else ("clip.mp4", "video/mp4")
        stored = self.store_file(f"emulated {kind}".encode(), name, mime)
        fields: JSON = {kind: media_json(stored, kind)}
        if caption:
            fields["caption"] = caption
        return self.user_sends_other(user_id, chat_id, fields)

    def user_sends_location(
        self, user_id: int, chat_id: int, latitude: float, longitude: float
    ) -> JSON:
        """A user shares a location."""
        location = {"latitude": latitude, "longitude": longitude}
        return self.user_sends_other(user_id, chat_id, {"location": location})

    def user_sends_sticker(self, user_id: int, chat_id: int) -> JSON:
        """A user sends a sticker."""
        sticker = {
            "file_id": f"sticker-{next(self._query_numbers)}", "file_unique_id": "stk",
            "type": "regular", "width": 512, "height": 512, "is_animated": False,
            "is_video": False, "emoji": "👍",
        }  # fmt: skip
        return self.user_sends_other(user_id, chat_id, {"sticker": sticker})

    def user_sends_contact(self, user_id: int, chat_id: int, phone: str, first_name: str) -> JSON:
        """A user shares a contact card."""
        contact = {"phone_number": phone, "first_name": first_name}
        return self.user_sends_other(user_id, chat_id, {"contact": contact})

    def user_forwards_from_channel(
        self, user_id: int, chat_id: int, text: str, channel_id: int, title: str
    ) -> JSON:
        """A user forwards a channel post (MessageOriginChannel) with its text."""
        origin = {
            "type": "channel", "date": int(time.time()), "message_id": 7,
            "chat": {"id": channel_id, "type": "channel", "title": title},
        }  # fmt: skip
        return self.user_sends_other(user_id, chat_id, {"text": text, "forward_origin": origin})

    def user_edits(self, user_id: int, chat_id: int, message_id: int, text: str) -> JSON:
        """A user edits a message they sent: an ``edited_message`` update."""
        original = self.user_messages[(chat_id, message_id)]
        if original["from"]["id"] != user_id:
            raise ValueError(f"message {message_id} was not sent by {user_id}")
        edited = {**original, "text": text, "edit_date": int(time.time())}
        self.user_messages[(chat_id, message_id)] = edited
        if chat_id > 0 or self._bot_sees(self.chats[chat_id], edited):
            self.push_update({"edited_message": edited})
        return edited

    def user_reacts(
        self, user_id: int, chat_id: int, message_id: int, emoji: list[str],
        *, old: list[str] | None = None,
    ) -> JSON | None:
        """A user sets their reactions on a message (MessageReactionUpdated). Telegram sends
        it only to a bot that is an admin of the group (and that asked for message_reaction);
        returns the update, or None when the bot does not get it."""
        user = self.user(user_id)
        chat = self.group(chat_id) if chat_id < 0 else None
        reaction: JSON = {
            "chat": self.chat_json(chat_id),
            "message_id": message_id,
            "user": user.to_json(),
            "date": int(time.time()),
            "old_reaction": [{"type": "emoji", "emoji": e} for e in old or []],
            "new_reaction": [{"type": "emoji", "emoji": e} for e in emoji],
        }
        if chat is not None and chat.bot_status != "administrator":
            return None
        return self.push_update({"message_reaction": reaction})

    def _user_message(
        self, user_id: int, chat_id: int, reply_to: int | None, thread_id: int | None = None
    ) -> JSON:
        user = self.user(user_id)
        if chat_id > 0:
            self._enter_private_chat(user, chat_id)
        else:
            self._enter_group(user, self.group(chat_id))
        if thread_id is None and reply_to is not None:
            thread_id = self.thread_of(chat_id, reply_to)  # a reply stays in its topic
        topic = self._writable_topic(user, chat_id, thread_id)
        message: JSON = {
            "message_id": self.next_message_id(chat_id),
            "from": user.to_json(),
            "chat": self.chat_json(chat_id),
            "date": int(time.time()),
        }
        if topic is not None:
            # Telegram marks a topic's messages, and shows the message that opened the topic
            # as the one they answer unless they answer another.
            message.update(message_thread_id=topic.thread_id, is_topic_message=True)
            reply_to = topic.thread_id if reply_to is None else reply_to
        if reply_to is not None:
            message["reply_to_message"] = self.message_json(chat_id, reply_to)
        return message

    def _writable_topic(
        self, user: UserRecord, chat_id: int, thread_id: int | None
    ) -> ForumTopic | None:
        """The topic a user writes in: only in a forum, and a closed one only for admins."""
        if thread_id is None:
            return None
        if chat_id > 0 or not self.group(chat_id).is_forum:
            raise ValueError(f"chat {chat_id} has no topics")
        chat = self.group(chat_id)
        topic = chat.open_topic(thread_id)
        admin = chat.status_of(user.user_id) in ADMIN_STATUSES
        if topic is not None and topic.closed and not admin:
            raise ValueError(f"topic {thread_id} of {chat_id} is closed")
        return topic

    def thread_of(self, chat_id: int, message_id: int) -> int | None:
        """The forum topic a message is in (None: the general topic, or no forum)."""
        sent = self.find_sent(chat_id, message_id)
        if sent is not None:
            return sent.message_thread_id
        return self.user_messages.get((chat_id, message_id), {}).get("message_thread_id")

    def _enter_private_chat(self, user: UserRecord, chat_id: int) -> None:
        """A private message implies Start was pressed; writing again unblocks the bot."""
        if chat_id != user.user_id:
            raise ValueError(f"in a private chat chat_id must equal user_id ({user.user_id})")
        if user.blocked:
            user.blocked = False
            self._push_my_chat_member(user.private_chat_json(), user, "kicked", "member")
        user.started = True

    def _enter_group(self, user: UserRecord, chat: ChatRecord) -> None:
        if chat.migrated_to is not None:
            raise ValueError(f"group {chat.chat_id} was migrated to {chat.migrated_to}")
        if chat.status_of(user.user_id) == "kicked":
            raise ValueError(f"user {user.user_id} is banned from {chat.chat_id}")
        if chat.status_of(user.user_id) == "left":
            chat.members[user.user_id] = "member"

    def _deliver_user_message(self, message: JSON) -> None:
        chat_id = message["chat"]["id"]
        self.user_messages[(chat_id, message["message_id"])] = message
        if chat_id > 0 or self._bot_sees(self.chats[chat_id], message):
            self.push_update({"message": message})

    def _bot_sees(self, chat: ChatRecord, message: JSON) -> bool:
        """Whether a group message reaches the bot (membership, then privacy mode)."""
        if chat.bot_status not in PRESENT_STATUSES:
            return False
        if not self.privacy_mode or chat.bot_status == "administrator":
            return True
        text = str(message.get("text", ""))
        replied = message.get("reply_to_message", {}).get("from", {}).get("id")
        return text.startswith("/") or replied == self.bot.user_id

    def user_presses(self, user_id: int, chat_id: int, message_id: int, data: str) -> str:
        """A user presses an inline button; `data` is not checked against the message."""
        user = self.user(user_id)
        query_id = str(4_000_000_000_000_000_000 + next(self._query_numbers))
        query: JSON = {
            "id": query_id,
            "from": user.to_json(),
            "chat_instance": str(9_000_000_000_000 + abs(chat_id)),
            "message": self.message_json(chat_id, message_id, inaccessible_ok=True),
            "data": data,
        }
        self.open_callback_queries.add(query_id)
        self.push_update({"callback_query": query})
        return query_id

    def user_joins(self, user_id: int, chat_id: int) -> JSON:
        """A user joins a group: a new_chat_members message and a chat_member update."""
        return self._change_membership(user_id, chat_id, "member", "new_chat_members")

    def user_leaves(self, user_id: int, chat_id: int) -> JSON:
        """A user leaves a group: a left_chat_member message and a chat_member update."""
        return self._change_membership(user_id, chat_id, "left", "left_chat_member")

    def _change_membership(
        self, user_id: int, chat_id: int, status: str, field_name: str,
        *, invite_link: JSON | None = None,
    ) -> JSON:
        user, chat = self.user(user_id), self.group(chat_id)
        old = chat.status_of(user_id)
        chat.members[user_id] = status
        if status in PRESENT_STATUSES:  # Telegram drops a pending request of a new member
            chat.join_requests.pop(user_id, None)
            user.join_windows.pop(chat_id, None)
        if status == "left":
            chat.tags.pop(user_id, None)
        message = self._service_message(chat, user.to_json())
        if field_name == "new_chat_members":
            message["new_chat_members"] = [user.to_json()]
            message["new_chat_member"] = user.to_json()
        else:
            message[field_name] = user.to_json()
        self._deliver_service_message(chat, message)
        self._push_chat_member(chat, user, old, status, invite_link=invite_link)
        return message

    def user_requests_to_join(self, user_id: int, chat_id: int, bio: str | None = None) -> JSON:
        """A user opens an invite link that needs approval and asks to join: a
        chat_join_request for a bot that administers the supergroup (with can_invite_users).

        Telegram offers no request to members (their app opens the group) nor to banned
        users, and a second one while the first is pending changes nothing (None then)."""
        user, chat = self.user(user_id), self.group(chat_id)
        if not chat.supergroup:
            raise ValueError(f"join requests need a supergroup; {chat_id} is a basic group")
        status = chat.status_of(user_id)
        if status in PRESENT_STATUSES:
            raise ValueError(f"user {user_id} is a member of {chat_id} already")
        if status == "kicked":
            raise ValueError(f"user {user_id} is banned from {chat_id}")
        if user_id in chat.join_requests:
            return {}
        chat.join_requests[user_id] = int(time.time())
        if chat.bot_status != "administrator":
            return {}
        user.join_windows[chat_id] = time.monotonic() + JOIN_WINDOW_SECONDS
        request: JSON = {
            "chat": chat.to_json(),
            "from": user.to_json(),
            "user_chat_id": user_id,
            "date": chat.join_requests[user_id],
            "invite_link": self.invite_link_json(chat),
        }
        if bio:
            request["bio"] = bio
        return self.push_update({"chat_join_request": request})

    def invite_link_json(self, chat: ChatRecord) -> JSON:
        """The ChatInviteLink (needing approval) that join requests come through."""
        return {
            "invite_link": INVITE_LINK,
            "creator": self._owner_json(chat),
            "creates_join_request": True,
            "is_primary": False,
            "is_revoked": False,
        }

    def settle_join_request(self, chat_id: int, user_id: int, approve: bool) -> None:
        """An admin approved (the user joins: a service message and chat_member) or declined
        a pending join request; the bot may no longer write to them unless they started it."""
        chat, user = self.group(chat_id), self.user(user_id)
        del chat.join_requests[user_id]
        user.join_windows.pop(chat_id, None)
        if approve:
            self._change_membership(user_id, chat_id, "member", "new_chat_members",
                                    invite_link=self.invite_link_json(chat))

    # --- forum topics --------------------------------------------------------------------

    def set_forum(self, chat_id: int, enabled: bool = True) -> JSON:
        """An admin turns a supergroup's topics on (or off)."""
        chat = self.group(chat_id)
        if not chat.supergroup:
            raise ValueError(f"only a supergroup can have topics; {chat_id} is a basic group")
        chat.is_forum = enabled
        if enabled:
            self._reserve_general_topic(chat_id)
        return chat.to_json()

    def _reserve_general_topic(self, chat_id: int) -> None:
        """Message 1 of a forum opened its general topic: a new topic's id is never 1 (and a
        send to message_thread_id 1 finds no topic, as in Telegram)."""
        self._last_message_id[chat_id] = max(self._last_message_id.get(chat_id, 0), 1)

    def create_forum_topic(self, chat_id: int, user_id: int, name: str) -> int:
        """A user opens a topic: a forum_topic_created service message, whose id is the
        topic's message_thread_id. Returns that id."""
        chat, user = self.group(chat_id), self.user(user_id)
        if not chat.is_forum:
            raise ValueError(f"chat {chat_id} has no topics")
        if not 1 <= len(name) <= 128:
            raise ValueError("a topic's name has 1-128 characters")
        message = self._service_message(chat, user.to_json())
        topic = ForumTopic(message["message_id"], name)
        chat.topics[topic.thread_id] = topic
        message.update(message_thread_id=topic.thread_id, is_topic_message=True,
                       forum_topic_created={"name": name, "icon_color": topic.icon_color})
        self._deliver_service_message(chat, message)
        return topic.thread_id

    def close_forum_topic(self, chat_id: int, thread_id: int, closed: bool = True) -> JSON:
        """An admin closes (or reopens) a topic: a forum_topic_closed (reopened) message in it."""
        chat = self.group(chat_id)
        topic = chat.open_topic(thread_id)
        assert topic is not None
        topic.closed = closed
        message = self._service_message(chat, self._owner_json(chat))
        message.update(message_thread_id=thread_id, is_topic_message=True)
        message["forum_topic_closed" if closed else "forum_topic_reopened"] = {}
        self._deliver_service_message(chat, message)
        return message

    def delete_forum_topic(self, chat_id: int, thread_id: int) -> None:
        """An admin deletes a topic with its messages; Telegram sends no update for it."""
        chat = self.group(chat_id)
        topic = chat.open_topic(thread_id)
        assert topic is not None
        topic.deleted = True
        for sent in self.sent_messages.get(chat_id, []):
            if sent.message_thread_id == thread_id:
                sent.deleted = True
        for key, message in list(self.user_messages.items()):
            if key[0] == chat_id and message.get("message_thread_id") == thread_id:
                del self.user_messages[key]

    def promote(self, chat_id: int, user_id: int, admin: bool = True) -> None:
        """Make a member an administrator (or back to a plain member)."""
        user, chat = self.user(user_id), self.group(chat_id)
        old = chat.status_of(user_id)
        if old == "creator":
            raise ValueError(f"user {user_id} created {chat_id}; the creator cannot change")
        chat.members[user_id] = "administrator" if admin else "member"
        self._push_chat_member(chat, user, old, chat.members[user_id])

    def bot_added(self, chat_id: int, by_user_id: int, *, as_admin: bool = False) -> JSON:
        """Someone adds the bot to a group: a my_chat_member update and a service message."""
        user, chat = self.user(by_user_id), self.group(chat_id)
        old = chat.bot_status
        chat.bot_status = "administrator" if as_admin else "member"
        if chat.status_of(by_user_id) == "left":
            chat.members[by_user_id] = "member"
        update = self._push_my_chat_member(chat.to_json(), user, old, chat.bot_status)
        message = self._service_message(chat, user.to_json())
        message["new_chat_members"] = [self.bot.to_json()]
        message["new_chat_member"] = self.bot.to_json()
        self._deliver_service_message(chat, message)
        return update

    def bot_removed(self, chat_id: int, by_user_id: int) -> JSON:
        """Someone removes the bot from a group; later sends there get 403."""
        user, chat = self.user(by_user_id), self.group(chat_id)
        old, chat.bot_status = chat.bot_status, "kicked"
        return self._push_my_chat_member(chat.to_json(), user, old, "kicked")

    def set_bot_rights(self, chat_id: int, admin: bool, can_pin: bool) -> JSON:
        """Change the bot's status and pin right in a group (a my_chat_member update)."""
        chat = self.group(chat_id)
        if chat.bot_status not in PRESENT_STATUSES:
            raise ValueError(f"the bot is not in {chat_id}")
        old = chat.bot_status
        chat.bot_status, chat.bot_can_pin = ("administrator" if admin else "member"), can_pin
        actor = self._owner_json(chat)
        return self._push_my_chat_member(chat.to_json(), actor, old, chat.bot_status)

    def leave(self, chat_id: int) -> None:
        """The bot leaves a group by itself."""
        chat = self.group(chat_id)
        old, chat.bot_status = chat.bot_status, "left"
        self._push_my_chat_member(chat.to_json(), self.bot, old, "left")

    def migrate_to_supergroup(self, chat_id: int, new_chat_id: int) -> JSON:
        """A group becomes a supergroup with a new id; the old id answers with a migrate error."""
        old = self.group(chat_id)
        if new_chat_id in self.chats or new_chat_id > -1_000_000_000_000:
            raise ValueError(f"supergroup ids look like -100xxxxxxxxxx and are new: {new_chat_id}")
        new = ChatRecord(
            new_chat_id,
            old.title,
            supergroup=True,
            members=dict(old.members),
            bot_status=old.bot_status,
            bot_can_pin=old.bot_can_pin,
            migrated_from=chat_id,
        )
        self.chats[new_chat_id] = new
        actor = self._owner_json(old)
        leaving = self._service_message(old, actor)
        leaving["migrate_to_chat_id"] = new_chat_id
        self._deliver_service_message(old, leaving)
        old.migrated_to = new_chat_id
        arriving = self._service_message(new, actor)
        arriving["migrate_from_chat_id"] = chat_id
        self._deliver_service_message(new, arriving)
        return new.to_json()

    def user_blocks_bot(self, user_id: int, *, announce: bool = True) -> JSON:
        """A user blocks the bot; later sends to them get 403 ("Forbidden: bot was blocked
        by the user"). ``announce=False`` is the moment before Telegram's my_chat_member
        update reaches the bot: a send made then meets the 403 unwarned."""
        user = self.user(user_id)
        user.blocked = True
        if not announce:
            return {}
        return self._push_my_chat_member(user.private_chat_json(), user, "member", "kicked")

    # --- helpers for updates -------------------------------------------------------------

    def _owner_json(self, chat: ChatRecord) -> JSON:
        for user_id, status in chat.members.items():
            if status == "creator":
                return self.user(user_id).to_json()
        return dict(GROUP_ANONYMOUS_BOT)

    def _service_message(self, chat: ChatRecord, sender: JSON) -> JSON:
        return {
            "message_id": self.next_message_id(chat.chat_id),
            "from": sender,
            "chat": chat.to_json(),
            "date": int(time.time()),
        }

    def _deliver_service_message(self, chat: ChatRecord, message: JSON) -> None:
        self.user_messages[(chat.chat_id, message["message_id"])] = message
        if chat.bot_status in PRESENT_STATUSES:
            self.push_update({"message": message})

    def _push_chat_member(
        self, chat: ChatRecord, user: UserRecord, old: str, new: str,
        *, invite_link: JSON | None = None,
    ) -> None:
        """Telegram sends chat_member updates only to bots that administer the chat."""
        if chat.bot_status != "administrator":
            return
        change = self._member_change(chat.to_json(), user.to_json(), user, old, new)
        if invite_link is not None:
            change["invite_link"] = invite_link
        self.push_update({"chat_member": change})

    def _push_my_chat_member(
        self, chat: JSON, actor: UserRecord | JSON, old: str, new: str
    ) -> JSON:
        sender = actor.to_json() if isinstance(actor, UserRecord) else actor
        change = self._member_change(chat, sender, self.bot, old, new)
        return self.push_update({"my_chat_member": change})

    def _member_change(
        self, chat: JSON, sender: JSON, subject: UserRecord, old: str, new: str
    ) -> JSON:
        can_pin, can_tag = True, False
        if subject.user_id == self.bot.user_id and chat["id"] in self.chats:
            can_pin = self.chats[chat["id"]].bot_can_pin
            can_tag = self.chats[chat["id"]].bot_can_manage_tags
        user = subject.to_json()
        return {
            "chat": chat,
            "from": sender,
            "date": int(time.time()),
            "old_chat_member": member_json(user, old, can_pin=can_pin, can_manage_tags=can_tag),
            "new_chat_member": member_json(user, new, can_pin=can_pin, can_manage_tags=can_tag),
        }

    # --- messages as Bot API objects -----------------------------------------------------

    def record_sent(self, sent: SentMessage) -> None:
        """Store a message the bot just sent."""
        self.sent_messages.setdefault(sent.chat_id, []).append(sent)
        self._sent_index[(sent.chat_id, sent.message_id)] = sent

    def message_json(self, chat_id: int, message_id: int, *, inaccessible_ok: bool = False) -> JSON:
        """The current Bot API Message for any message in a chat."""
        sent = self.find_sent(chat_id, message_id)
        if sent is not None and not sent.deleted:
            return self.sent_json(sent)
        user_message = self.user_messages.get((chat_id, message_id))
        if user_message is not None:
            return {key: value for key, value in user_message.items() if key != "reply_to_message"}
        if inaccessible_ok:
            return {"chat": self.chat_json(chat_id), "message_id": message_id, "date": 0}
        raise ValueError(f"no message {message_id} in chat {chat_id}")

    def sent_json(self, sent: SentMessage, *, with_reply: bool = True) -> JSON:
        """The Bot API Message for a message the bot sent."""
        message: JSON = {
            "message_id": sent.message_id,
            "from": self.bot.to_json(),
            "chat": self.chat_json(sent.chat_id),
            "date": sent.date,
        }
        if sent.message_thread_id is not None:
            message.update(message_thread_id=sent.message_thread_id, is_topic_message=True)
        text_key = "text" if sent.kind == "text" else "caption"
        if sent.text:
            message[text_key] = sent.text
        if sent.entities:
            message["entities" if sent.kind == "text" else "caption_entities"] = sent.entities
        message.update(self._media_json(sent))
        if sent.reply_markup and "inline_keyboard" in sent.reply_markup:
            message["reply_markup"] = sent.reply_markup
        if sent.edit_date is not None:
            message["edit_date"] = sent.edit_date
        replied = sent.reply_to_message_id or sent.message_thread_id  # a topic's opening
        if with_reply and replied is not None:
            reply = self.message_json(sent.chat_id, replied, inaccessible_ok=True)
            if reply.get("date"):
                message["reply_to_message"] = reply
        return message

    def _media_json(self, sent: SentMessage) -> JSON:
        if sent.location is not None:
            return {"location": sent.location}
        if sent.file_id is None:
            return {}
        stored = self.files[sent.file_id]
        if sent.kind == "photo":
            return {"photo": photo_sizes(stored)}
        if sent.kind in ("voice", "video"):
            return {sent.kind: media_json(stored, sent.kind)}
        document: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.file_name:
            document["file_name"] = stored.file_name
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        return {"document": document}

    def store_file(self, data: bytes, file_name: str | None, mime_type: str | None) -> StoredFile:
        """Keep uploaded bytes under a fresh file_id."""
        number = next(self._file_numbers)
        stored = StoredFile(f"EMUFILE{number:06d}", f"EMU{number:06d}", data, file_name, mime_type)
        self.files[stored.file_id] = stored
        return stored


def media_json(stored: StoredFile, kind: str) -> JSON:
    """The Voice or Video object of a stored file."""
    shown: JSON = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                   "duration": 3, "file_size": len(stored.data)}
    if kind == "video":
        shown.update(width=640, height=360)
    if stored.mime_type:
        shown["mime_type"] = stored.mime_type
    return shown


def photo_sizes(stored: StoredFile) -> list[JSON]:
    """Three PhotoSize objects for one stored photo (Telegram sends several resolutions)."""
    return [
        {
            "file_id": stored.file_id if side == 1280 else f"{stored.file_id}_{side}",
            "file_unique_id": f"{stored.file_unique_id}_{side}",
            "width": side,
            "height": side * 3 // 4,
            "file_size": len(stored.data) * side // 1280,
        }
        for side in (90, 320, 1280)
    ]
