"""The Bot API methods the emulator answers, applied to a World.

Each method validates first, then asks the rate limiter, then changes state, so a refused
call (400, 403, 429) never leaves a trace in the world.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.formatting import EntityParseError, parse_html
from bot.emulator.limits import RateLimiter
from bot.emulator.world import (
    ADMIN_STATUSES,
    JSON,
    PRESENT_STATUSES,
    ChatRecord,
    SentMessage,
    StoredFile,
    World,
    member_json,
)

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_TEXT_LIMIT = 200
TAG_LIMIT = 16
BUTTON_ACTIONS = frozenset(
    {
        "callback_data",
        "url",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "callback_game",
        "pay",
        "web_app",
        "copy_text",
    }
)
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
NO_PIN_RIGHTS = "Bad Request: not enough rights to manage pinned messages in the chat"
THREAD_NOT_FOUND = "message thread not found"  # a deleted topic, or one that never was
TOPIC_CLOSED = "TOPIC_CLOSED"


class ApiError(Exception):
    """A Bot API error answer: HTTP status, description and optional parameters."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def envelope(self) -> JSON:
        """The JSON body Telegram answers with."""
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(what: str) -> ApiError:
    """A 400 error with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {what}")


@dataclass
class Upload:
    """A file part of a multipart request."""

    file_name: str | None
    mime_type: str | None
    data: bytes


@dataclass
class ApiRequest:
    """The decoded parameters and file parts of one Bot API call."""

    params: dict[str, Any]
    uploads: dict[str, Upload] = field(default_factory=dict)

    def integer(self, name: str) -> int:
        """A required integer parameter."""
        value = self.optional_integer(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def optional_integer(self, name: str) -> int | None:
        """An integer parameter, or None if absent."""
        value = self.params.get(name)
        if value is None or value == "":
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def number(self, name: str) -> float:
        """A required float parameter."""
        value = self.params.get(name)
        try:
            return float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def text(self, name: str) -> str:
        """A string parameter, "" if absent."""
        value = self.params.get(name)
        return "" if value is None else str(value)

    def optional_text(self, name: str) -> str | None:
        """A string parameter, or None if absent."""
        value = self.params.get(name)
        return None if value is None else str(value)

    def flag(self, name: str) -> bool:
        """A boolean parameter, False if absent."""
        return self.params.get(name) in (True, 1, "true", "True", "1")

    def structured(self, name: str) -> Any:
        """A JSON parameter (object or array), decoding it if it came as a string."""
        value = self.params.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value


@dataclass
class Formatted:
    """A text or caption after parse_mode was applied."""

    text: str
    entities: list[JSON]
    raw: str
    parse_mode: str | None


Handler = Callable[[ApiRequest], Any]


class BotApi:
    """Answers Bot API calls (except getUpdates, which needs to wait) against a World."""

    def __init__(self, world: World, limiter: RateLimiter) -> None:
        self.world = world
        self.limiter = limiter
        self.handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "logOut": self.answer_true,
            "close": self.answer_true,
            "deleteWebhook": self.delete_webhook,
            "setWebhook": self.set_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "sendMessage": self.send_message,
            "sendPhoto": self.send_photo,
            "sendDocument": self.send_document,
            "sendVoice": self.send_voice,
            "sendVideo": self.send_video,
            "sendLocation": self.send_location,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "getChat": self.get_chat,
            "getChatMember": self.get_chat_member,
            "getChatAdministrators": self.get_chat_administrators,
            "getChatMemberCount": self.get_chat_member_count,
            "pinChatMessage": self.pin_chat_message,
            "restrictChatMember": self.restrict_chat_member,
            "unpinChatMessage": self.unpin_chat_message,
            "unpinAllChatMessages": self.unpin_all_chat_messages,
            "leaveChat": self.leave_chat,
            "approveChatJoinRequest": self.approve_chat_join_request,
            "declineChatJoinRequest": self.decline_chat_join_request,
            "setChatMemberTag": self.set_chat_member_tag,
            "sendChatAction": self.send_chat_action,
            "getFile": self.get_file,
        }
        self._names = {name.lower(): name for name in [*self.handlers, "getUpdates"]}

    def canonical(self, method: str) -> str | None:
        """The Bot API spelling of a method (names are case-insensitive), None if unknown."""
        return self._names.get(method.lower())

    def call(self, method: str, request: ApiRequest) -> Any:
        """Run one method and return its result, or raise ApiError."""
        handler = self.handlers.get(self.canonical(method) or "")
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        return handler(request)

    # --- bot and webhook -----------------------------------------------------------------

    def get_me(self, request: ApiRequest) -> JSON:
        """getMe."""
        me = self.world.bot.to_json()
        me.update(
            can_join_groups=True,
            can_read_all_group_messages=not self.world.privacy_mode,
            supports_inline_queries=False,
        )
        return me

    def answer_true(self, request: ApiRequest) -> bool:
        """Methods that only need to succeed."""
        return True

    def delete_webhook(self, request: ApiRequest) -> bool:
        """deleteWebhook, honouring drop_pending_updates."""
        self.world.webhook_url = None
        if request.flag("drop_pending_updates"):
            self.world.drop_pending_updates()
        return True

    def set_webhook(self, request: ApiRequest) -> bool:
        """setWebhook: only records the URL (the emulator never pushes to it)."""
        self.world.webhook_url = request.text("url") or None
        if request.flag("drop_pending_updates"):
            self.world.drop_pending_updates()
        return True

    def get_webhook_info(self, request: ApiRequest) -> JSON:
        """getWebhookInfo."""
        return {
            "url": self.world.webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": self.world.pending_updates(),
        }

    # --- commands ------------------------------------------------------------------------

    def _commands_key(self, request: ApiRequest) -> tuple[str, str]:
        scope = request.structured("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        key = str(scope["type"])
        for part in ("chat_id", "user_id"):
            if part in scope:
                key += f":{scope[part]}"
        return key, request.text("language_code")

    def set_my_commands(self, request: ApiRequest) -> bool:
        """setMyCommands, stored per (scope, language_code)."""
        commands = request.structured("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            name = str(command.get("command", "")) if isinstance(command, dict) else ""
            if not (1 <= len(name) <= 32 and name.replace("_", "a").isalnum()):
                raise bad_request("BOT_COMMAND_INVALID")
            if name != name.lower() or not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_INVALID")
        self.world.commands[self._commands_key(request)] = commands
        return True

    def get_my_commands(self, request: ApiRequest) -> list[JSON]:
        """getMyCommands."""
        return self.world.commands.get(self._commands_key(request), [])

    def delete_my_commands(self, request: ApiRequest) -> bool:
        """deleteMyCommands."""
        self.world.commands.pop(self._commands_key(request), None)
        return True

    # --- chats and the checks Telegram makes before a send -------------------------------

    def _chat_id(self, request: ApiRequest) -> int:
        value = request.params.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, str) and value.startswith("@"):
            for user in self.world.users.values():
                if user.username and user.username.lower() == value[1:].lower():
                    return user.user_id
            raise bad_request("chat not found")
        try:
            chat_id = int(value)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        if chat_id not in self.world.users and chat_id not in self.world.chats:
            raise bad_request("chat not found")
        return chat_id

    def _chat(self, request: ApiRequest, *, sending: bool) -> int:
        """The chat of a call, after the 400/403 checks Telegram makes."""
        chat_id = self._chat_id(request)
        if chat_id > 0:
            user = self.world.users[chat_id]
            if sending and user.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if sending and not user.may_receive(time.monotonic()):
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            return chat_id
        chat = self.world.chats[chat_id]
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        if chat.bot_status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.kind} chat")
        if chat.bot_status not in PRESENT_STATUSES:
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.kind} chat")
        return chat_id

    def _acquire(self, chat_id: int) -> None:
        retry_after = self.limiter.acquire(chat_id, time.monotonic())
        if retry_after is not None:
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )

    def _formatted(self, request: ApiRequest, name: str, *, caption: bool) -> Formatted:
        raw = request.text(name)
        mode = request.optional_text("parse_mode") or None
        entities_name = "caption_entities" if caption else "entities"
        entities: list[JSON] = request.structured(entities_name) or []
        text = raw
        if mode is not None and mode.lower() == "html":
            try:
                text, entities = parse_html(raw)
            except EntityParseError as error:
                raise bad_request(f"can't parse entities: {error}") from None
        if caption and len(text) > CAPTION_LIMIT:
            raise bad_request("message caption is too long")
        if not caption and len(text) > MESSAGE_LIMIT:
            raise bad_request("message is too long")
        if not caption and not text.strip():
            raise bad_request("message text is empty")
        return Formatted(text, entities, raw, mode)

    def _reply_markup(self, request: ApiRequest) -> JSON | None:
        try:
            markup = request.structured("reply_markup")
        except ApiError:
            raise bad_request("can't parse reply keyboard markup JSON object") from None
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            _check_inline_keyboard(markup["inline_keyboard"])
        return markup

    def _reply_to(self, request: ApiRequest, chat_id: int) -> int | None:
        reply_to = request.optional_integer("reply_to_message_id")
        allow_missing = request.flag("allow_sending_without_reply")
        parameters = request.structured("reply_parameters")
        if isinstance(parameters, dict):
            reply_to = int(parameters["message_id"])
            allow_missing = bool(parameters.get("allow_sending_without_reply"))
        if reply_to is None or self._exists(chat_id, reply_to):
            return reply_to
        if allow_missing:
            return None
        raise bad_request("message to be replied not found")

    def _thread(self, request: ApiRequest, chat_id: int, reply_to: int | None) -> int | None:
        """The forum topic a send goes to: message_thread_id, else the topic of the message
        it answers. A deleted topic (or the general one, id 1) is not found; a closed one
        takes posts only from admins who may manage topics, which the bot is not."""
        thread_id = request.optional_integer("message_thread_id")
        chat = self.world.chats.get(chat_id)
        if chat is None or not chat.is_forum:
            if thread_id is not None and chat is not None:
                raise bad_request(THREAD_NOT_FOUND)
            return None  # a private chat: the emulator has no topics there
        if thread_id is None and reply_to is not None:
            thread_id = self.world.thread_of(chat_id, reply_to)
        if thread_id is None:
            return None
        topic = chat.topics.get(thread_id)
        if topic is None or topic.deleted:
            raise bad_request(THREAD_NOT_FOUND)
        if topic.closed:
            raise bad_request(TOPIC_CLOSED)
        return thread_id

    def _exists(self, chat_id: int, message_id: int) -> bool:
        sent = self.world.find_sent(chat_id, message_id)
        if sent is not None:
            return not sent.deleted
        return (chat_id, message_id) in self.world.user_messages

    # --- sending -------------------------------------------------------------------------

    def send_message(self, request: ApiRequest) -> JSON:
        """sendMessage."""
        chat_id = self._chat(request, sending=True)
        formatted = self._formatted(request, "text", caption=False)
        return self._send(request, chat_id, "text", formatted, None)

    def send_photo(self, request: ApiRequest) -> JSON:
        """sendPhoto: a multipart upload, a file_id, or a URL."""
        return self._send_file(request, "photo")

    def send_voice(self, request: ApiRequest) -> JSON:
        """sendVoice: a multipart upload, a file_id, or a URL."""
        return self._send_file(request, "voice")

    def send_video(self, request: ApiRequest) -> JSON:
        """sendVideo: a multipart upload, a file_id, or a URL."""
        return self._send_file(request, "video")

    def send_location(self, request: ApiRequest) -> JSON:
        """sendLocation: a point on the map (no text)."""
        chat_id = self._chat(request, sending=True)
        point = {"latitude": request.number("latitude"), "longitude": request.number("longitude")}
        if not (-90 <= point["latitude"] <= 90 and -180 <= point["longitude"] <= 180):
            raise bad_request("wrong latitude or longitude")
        sent = self._send(request, chat_id, "location", Formatted("", [], "", None), None)
        stored = self.world.find_sent(chat_id, sent["message_id"])
        assert stored is not None
        stored.location = point
        return self.world.sent_json(stored)

    def send_document(self, request: ApiRequest) -> JSON:
        """sendDocument: a multipart upload, a file_id, or a URL."""
        return self._send_file(request, "document")

    def _send_file(self, request: ApiRequest, kind: str) -> JSON:
        chat_id = self._chat(request, sending=True)
        media = self._input_file(request, kind)
        formatted = self._formatted(request, "caption", caption=True)
        return self._send(request, chat_id, kind, formatted, media)

    def _send(
        self,
        request: ApiRequest,
        chat_id: int,
        kind: str,
        formatted: Formatted,
        media: StoredFile | Upload | None,
    ) -> JSON:
        markup = self._reply_markup(request)
        if chat_id in self.world.chats:
            _check_private_only(markup)
        reply_to = self._reply_to(request, chat_id)
        thread_id = self._thread(request, chat_id, reply_to)
        self._acquire(chat_id)
        stored = self._store(media)
        sent = SentMessage(
            message_id=self.world.next_message_id(chat_id),
            chat_id=chat_id,
            kind=kind,
            text=formatted.text,
            date=int(time.time()),
            raw_text=formatted.raw,
            parse_mode=formatted.parse_mode,
            entities=formatted.entities,
            reply_markup=markup,
            reply_to_message_id=reply_to,
            silent=request.flag("disable_notification"),
            message_thread_id=thread_id,
        )
        if stored is not None:
            sent.file_id, sent.file_unique_id = stored.file_id, stored.file_unique_id
            sent.file_bytes, sent.file_name = stored.data, stored.file_name
            sent.mime_type = stored.mime_type
        self.world.record_sent(sent)
        return self.world.sent_json(sent)

    def _store(self, media: StoredFile | Upload | None) -> StoredFile | None:
        if isinstance(media, Upload):
            return self.world.store_file(media.data, media.file_name, media.mime_type)
        return media

    def _input_file(self, request: ApiRequest, kind: str) -> StoredFile | Upload:
        """The file of a send: an Upload is stored only once the send is accepted."""
        value = request.params.get(kind)
        upload = request.uploads.get(kind)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = request.uploads.get(value.removeprefix("attach://"))
        if upload is not None:
            if not upload.data:
                raise bad_request("file must be non-empty")
            return upload
        if not isinstance(value, str) or not value:
            raise bad_request(f"there is no {kind} in the request")
        known = self.world.files.get(value.split("_")[0])
        if known is not None:
            return known
        if value.startswith(("http://", "https://")):
            return Upload(value.rsplit("/", 1)[-1], None, b"")
        raise bad_request("wrong file identifier/HTTP URL specified")

    # --- editing and deleting ------------------------------------------------------------

    def _editable(self, request: ApiRequest) -> SentMessage:
        if request.params.get("inline_message_id"):
            raise bad_request("inline messages are not emulated")
        chat_id = self._chat(request, sending=True)
        message_id = request.integer("message_id")
        sent = self.world.find_sent(chat_id, message_id)
        if sent is None and (chat_id, message_id) in self.world.user_messages:
            raise bad_request("message can't be edited")
        if sent is None or sent.deleted:
            raise bad_request("message to edit not found")
        return sent

    def _apply_edit(
        self, sent: SentMessage, formatted: Formatted | None, markup: JSON | None
    ) -> JSON:
        unchanged_text = formatted is None or (
            formatted.text == sent.text and formatted.entities == sent.entities
        )
        if unchanged_text and markup == sent.reply_markup:
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        self._acquire(sent.chat_id)
        if formatted is not None:
            sent.text, sent.entities = formatted.text, formatted.entities
            sent.raw_text, sent.parse_mode = formatted.raw, formatted.parse_mode
        sent.reply_markup = markup
        sent.edits += 1
        sent.edit_date = int(time.time())
        return self.world.sent_json(sent)

    def edit_message_text(self, request: ApiRequest) -> JSON:
        """editMessageText; without reply_markup the inline keyboard is removed."""
        sent = self._editable(request)
        if sent.kind != "text":
            raise bad_request("there is no text in the message to edit")
        formatted = self._formatted(request, "text", caption=False)
        return self._apply_edit(sent, formatted, self._inline_markup(request))

    def edit_message_caption(self, request: ApiRequest) -> JSON:
        """editMessageCaption."""
        sent = self._editable(request)
        if sent.kind == "text":
            raise bad_request("there is no caption in the message to edit")
        formatted = self._formatted(request, "caption", caption=True)
        return self._apply_edit(sent, formatted, self._inline_markup(request))

    def edit_message_reply_markup(self, request: ApiRequest) -> JSON:
        """editMessageReplyMarkup."""
        sent = self._editable(request)
        return self._apply_edit(sent, None, self._inline_markup(request))

    def _inline_markup(self, request: ApiRequest) -> JSON | None:
        markup = self._reply_markup(request)
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        return markup

    def delete_message(self, request: ApiRequest) -> bool:
        """deleteMessage: the bot's own messages, or others' where it is an admin."""
        chat_id = self._chat(request, sending=False)
        message_id = request.integer("message_id")
        sent = self.world.find_sent(chat_id, message_id)
        if sent is not None and not sent.deleted:
            sent.deleted = True
            return True
        if sent is None and (chat_id, message_id) in self.world.user_messages:
            if chat_id < 0 and self.world.chats[chat_id].bot_status != "administrator":
                raise bad_request("message can't be deleted")
            del self.world.user_messages[(chat_id, message_id)]
            return True
        raise bad_request("message to delete not found")

    # --- callback queries ----------------------------------------------------------------

    def answer_callback_query(self, request: ApiRequest) -> bool:
        """answerCallbackQuery: each query can be answered once."""
        query_id = request.text("callback_query_id")
        if query_id not in self.world.open_callback_queries:
            raise bad_request(QUERY_TOO_OLD.removeprefix("Bad Request: "))
        text = request.optional_text("text")
        if text is not None and len(text) > CALLBACK_TEXT_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        self.world.open_callback_queries.discard(query_id)
        self.world.callback_answers[query_id] = (text, request.flag("show_alert"))
        return True

    # --- chat information ----------------------------------------------------------------

    def get_chat(self, request: ApiRequest) -> JSON:
        """getChat, as a ChatFullInfo."""
        chat_id = self._chat(request, sending=False)
        chat = self.world.chat_json(chat_id)
        chat.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return chat

    def get_chat_member(self, request: ApiRequest) -> JSON:
        """getChatMember."""
        chat_id = self._chat(request, sending=False)
        user_id = request.integer("user_id")
        if user_id != self.world.bot.user_id and user_id not in self.world.users:
            raise bad_request("user not found")
        user = self.world.user(user_id).to_json()
        if chat_id > 0:
            return member_json(user, "member")
        chat = self.world.chats[chat_id]
        if user_id == self.world.bot.user_id:
            return member_json(user, chat.bot_status, can_pin=chat.bot_can_pin,
                               can_manage_tags=chat.bot_can_manage_tags)
        member = member_json(user, chat.status_of(user_id), tag=chat.tags.get(user_id))
        if member["status"] == "restricted":  # what restrictChatMember set last
            allowed = chat.restrictions.get(user_id, {})
            member.update({key: bool(allowed[key]) for key in member if key in allowed})
        return member

    def get_chat_administrators(self, request: ApiRequest) -> list[JSON]:
        """getChatAdministrators: the creator first, then admins, then the bot if admin."""
        chat_id = self._chat(request, sending=False)
        if chat_id > 0:
            raise bad_request("there are no administrators in the private chat")
        chat = self.world.chats[chat_id]
        admins = sorted(
            (status != "creator", user_id)
            for user_id, status in chat.members.items()
            if status in ADMIN_STATUSES
        )
        result = [
            member_json(self.world.user(user_id).to_json(), chat.members[user_id])
            for _, user_id in admins
        ]
        if chat.bot_status == "administrator":
            bot = self.world.bot.to_json()
            result.append(member_json(bot, "administrator", can_pin=chat.bot_can_pin,
                                      can_manage_tags=chat.bot_can_manage_tags))
        return result

    def get_chat_member_count(self, request: ApiRequest) -> int:
        """getChatMemberCount (the bot included)."""
        chat_id = self._chat(request, sending=False)
        if chat_id > 0:
            return 2
        chat = self.world.chats[chat_id]
        present = sum(1 for status in chat.members.values() if status in PRESENT_STATUSES)
        return present + 1

    # --- pins ----------------------------------------------------------------------------

    def _pin_chat(self, request: ApiRequest) -> int:
        chat_id = self._chat(request, sending=True)
        if chat_id < 0:
            chat = self.world.chats[chat_id]
            if chat.bot_status != "administrator" or not chat.bot_can_pin:
                raise bad_request(NO_PIN_RIGHTS.removeprefix("Bad Request: "))
        return chat_id

    def _pinned(self, chat_id: int) -> list[int]:
        if chat_id < 0:
            return self.world.chats[chat_id].pinned
        return self.world.pinned_in_private.setdefault(chat_id, [])

    def restrict_chat_member(self, request: ApiRequest) -> bool:
        """restrictChatMember: supergroups only, by an admin bot with can_restrict_members;
        not on an administrator. Permissions that allow sending lift the restriction."""
        chat_id = self._chat(request, sending=False)
        if chat_id > 0 or not self.world.chats[chat_id].supergroup:
            raise bad_request("method is available only for supergroups")
        chat = self.world.chats[chat_id]
        if chat.bot_status != "administrator":
            raise bad_request("not enough rights to restrict/unrestrict chat member")
        user_id = request.integer("user_id")
        if user_id not in self.world.users:
            raise bad_request("user not found")
        status = chat.status_of(user_id)
        if status == "creator":
            raise bad_request("can't remove chat owner")
        if status == "administrator":
            raise bad_request("user is an administrator of the chat")
        permissions = request.structured("permissions")
        if not isinstance(permissions, dict):
            raise bad_request("can't parse permissions JSON object")
        if status in ("member", "restricted"):
            chat.members[user_id] = (
                "member" if permissions.get("can_send_messages") else "restricted"
            )
        chat.restrictions[user_id] = permissions
        return True

    def pin_chat_message(self, request: ApiRequest) -> bool:
        """pinChatMessage: needs can_pin_messages in groups."""
        chat_id = self._pin_chat(request)
        message_id = request.integer("message_id")
        if not self._exists(chat_id, message_id):
            raise bad_request("message to pin not found")
        pinned = self._pinned(chat_id)
        if message_id in pinned:
            pinned.remove(message_id)
        pinned.append(message_id)
        self._mark_pinned(chat_id, message_id, True)
        sent = self.world.find_sent(chat_id, message_id)
        if sent is not None:  # Telegram never notifies about a pin in a private chat
            sent.pin_silent = chat_id > 0 or request.flag("disable_notification")
        return True

    def unpin_chat_message(self, request: ApiRequest) -> bool:
        """unpinChatMessage: a given message, or the most recently pinned one."""
        chat_id = self._pin_chat(request)
        pinned = self._pinned(chat_id)
        message_id = request.optional_integer("message_id")
        if message_id is None and pinned:
            message_id = pinned[-1]
        if message_id is None or message_id not in pinned:
            raise bad_request("message to unpin not found")
        pinned.remove(message_id)
        self._mark_pinned(chat_id, message_id, False)
        return True

    def unpin_all_chat_messages(self, request: ApiRequest) -> bool:
        """unpinAllChatMessages."""
        chat_id = self._pin_chat(request)
        pinned = self._pinned(chat_id)
        for message_id in pinned:
            self._mark_pinned(chat_id, message_id, False)
        pinned.clear()
        return True

    def _mark_pinned(self, chat_id: int, message_id: int, pinned: bool) -> None:
        sent = self.world.find_sent(chat_id, message_id)
        if sent is not None:
            sent.pinned = pinned

    # --- join requests and member tags ---------------------------------------------------

    def _administered(self, request: ApiRequest) -> tuple[ChatRecord, int]:
        """The group of a call that needs the bot to be an admin there, and the user_id."""
        chat_id = self._chat(request, sending=False)
        if chat_id > 0:
            raise bad_request("chat member status can't be changed in private chats")
        user_id = request.integer("user_id")
        if user_id not in self.world.users:
            raise bad_request("user not found")
        chat = self.world.chats[chat_id]
        if chat.bot_status != "administrator":
            raise bad_request("CHAT_ADMIN_REQUIRED")
        return chat, user_id

    def _pending_request(self, request: ApiRequest) -> tuple[ChatRecord, int]:
        chat, user_id = self._administered(request)
        if chat.status_of(user_id) in PRESENT_STATUSES:
            raise bad_request("USER_ALREADY_PARTICIPANT")
        if user_id not in chat.join_requests:
            raise bad_request("HIDE_REQUESTER_MISSING")
        return chat, user_id

    def approve_chat_join_request(self, request: ApiRequest) -> bool:
        """approveChatJoinRequest: the user joins (a chat_member update with the link)."""
        chat, user_id = self._pending_request(request)
        self.world.settle_join_request(chat.chat_id, user_id, approve=True)
        return True

    def decline_chat_join_request(self, request: ApiRequest) -> bool:
        """declineChatJoinRequest."""
        chat, user_id = self._pending_request(request)
        self.world.settle_join_request(chat.chat_id, user_id, approve=False)
        return True

    def set_chat_member_tag(self, request: ApiRequest) -> bool:
        """setChatMemberTag (Bot API 9.5): a regular member's tag, 0-16 characters without
        emoji; the bot needs the can_manage_tags right. No tag removes it."""
        chat, user_id = self._administered(request)
        if not chat.bot_can_manage_tags:
            raise bad_request("not enough rights to manage member tags")
        status = chat.status_of(user_id)
        if status not in ("member", "restricted"):
            raise bad_request("USER_NOT_PARTICIPANT" if status not in PRESENT_STATUSES
                              else "can't change the tag of a chat administrator")
        tag = request.text("tag")
        if len(tag) > TAG_LIMIT or any(_is_emoji(char) for char in tag):
            raise bad_request("TAG_INVALID")
        if tag:
            chat.tags[user_id] = tag
        else:
            chat.tags.pop(user_id, None)
        return True

    # --- the rest ------------------------------------------------------------------------

    def leave_chat(self, request: ApiRequest) -> bool:
        """leaveChat."""
        chat_id = self._chat(request, sending=False)
        if chat_id > 0:
            raise bad_request("chat member status can't be changed in private chats")
        self.world.leave(chat_id)
        return True

    def send_chat_action(self, request: ApiRequest) -> bool:
        """sendChatAction."""
        self._chat(request, sending=True)
        if not request.text("action"):
            raise bad_request("action is empty")
        return True

    def get_file(self, request: ApiRequest) -> JSON:
        """getFile; the bytes are served under /file/bot<token>/<file_path>."""
        stored = self.world.files.get(request.text("file_id").split("_")[0])
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": request.text("file_id"),
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }


# Reply keyboard buttons Telegram refuses outside a private chat, with its words for each.
PRIVATE_ONLY_BUTTONS = {
    "request_location": "location can be requested in a private chats only",
    "request_contact": "phone number can be requested in a private chats only",
}


def _check_private_only(markup: JSON | None) -> None:
    """A reply keyboard that asks for the location or the phone number, sent to a group."""
    rows = (markup or {}).get("keyboard")
    buttons = [b for row in rows if isinstance(row, list) for b in row] \
        if isinstance(rows, list) else []
    for button in buttons:
        for asks, refusal in PRIVATE_ONLY_BUTTONS.items():
            if isinstance(button, dict) and button.get(asks):
                raise bad_request(refusal)


def _is_emoji(char: str) -> bool:
    """Pictographs and dingbats, which Telegram refuses in a member tag."""
    code = ord(char)
    return code >= 0x1F000 or 0x2600 <= code <= 0x27BF or code in (0xFE0F, 0x200D)


def _check_inline_keyboard(rows: object) -> None:
    """Telegram's checks on an inline keyboard: button texts, callback_data size, URLs."""
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('can\'t parse inline keyboard markup: field "inline_keyboard" is wrong')
    for row in rows:
        for button in row:
            _check_button(button)


def _check_button(button: object) -> None:
    if not isinstance(button, dict) or not str(button.get("text", "")):
        raise bad_request("can't parse inline keyboard button: Text must be non-empty")
    if "callback_data" in button:
        size = len(str(button["callback_data"]).encode("utf-8"))
        if not 1 <= size <= 64:
            raise bad_request("BUTTON_DATA_INVALID")
    elif "url" in button:
        url = str(button["url"])
        if not url.startswith(("http://", "https://", "tg://")) or len(url) < 8:
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
    elif not BUTTON_ACTIONS & button.keys():
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
