"""A blocking client for the control API, for tests that drive a bot in another process."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from typing import Any

from bot.emulator.limits import FAULT_KINDS

JSON = dict[str, Any]


class EmulatorClientError(RuntimeError):
    """The control API refused a request."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


class EmulatorClient:
    """Drives a running BotApiEmulator over HTTP with urllib only (no event loop needed)."""

    def __init__(self, base: str, *, timeout: float = 10.0) -> None:
        self.base = base.rstrip("/").removesuffix("/bot")
        self.timeout = timeout

    def _request(self, path: str, body: JSON | None = None, query: JSON | None = None) -> Any:
        url = f"{self.base}/_emu/{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            message = error.read().decode("utf-8", "replace")
            raise EmulatorClientError(error.code, message) from None

    # --- the user's side ---------------------------------------------------------------

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
        """Create a user."""
        body = {"user_id": user_id, "first_name": first_name, "username": username}
        body.update(last_name=last_name, language_code=language_code, started=started)
        result: JSON = self._request("users", body)
        return result

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
    ) -> JSON:
        """Create a group."""
        body: JSON = {"chat_id": chat_id, "title": title, "supergroup": supergroup}
        body.update(members=list(members), admins=list(admins), creator=creator)
        body.update(bot_member=bot_member, bot_admin=bot_admin, bot_can_pin=bot_can_pin,
                    bot_can_manage_tags=bot_can_manage_tags)
        result: JSON = self._request("groups", body)
        return result

    def user_sends(
        self, user_id: int, chat_id: int, text: str, *, reply_to_message_id: int | None = None
    ) -> JSON:
        """A user writes a message; returns it."""
        body = {"user_id": user_id, "chat_id": chat_id, "text": text}
        result: JSON = self._request("send", {**body, "reply_to_message_id": reply_to_message_id})
        return result

    def user_sends_photo(self, user_id: int, chat_id: int, caption: str | None = None) -> JSON:
        """A user sends a photo; returns the message."""
        body = {"user_id": user_id, "chat_id": chat_id, "caption": caption}
        result: JSON = self._request("send_photo", body)
        return result

    def user_reacts(
        self, user_id: int, chat_id: int, message_id: int, emoji: Sequence[str],
        *, old: Sequence[str] = (),
    ) -> JSON | None:
        """A user changes their reactions from ``old`` to ``emoji``; the update, or None when
        the bot does not receive it."""
        body = {"user_id": user_id, "chat_id": chat_id, "message_id": message_id}
        result: JSON | None = self._request("react", {**body, "emoji": list(emoji),
                                                      "old": list(old)})
        return result

    def user_presses(self, user_id: int, chat_id: int, message_id: int, data: str) -> str:
        """A user presses an inline button; returns the callback query id."""
        body = {"user_id": user_id, "chat_id": chat_id, "message_id": message_id, "data": data}
        return str(self._request("press", body)["callback_query_id"])

    def user_joins(self, user_id: int, chat_id: int) -> JSON:
        """A user joins a group."""
        result: JSON = self._request("join", {"user_id": user_id, "chat_id": chat_id})
        return result

    def user_requests_to_join(self, user_id: int, chat_id: int, bio: str | None = None) -> JSON:
        """A user asks to join a supergroup through an invite link that needs approval."""
        body = {"user_id": user_id, "chat_id": chat_id, "bio": bio}
        result: JSON = self._request("join_request", body)
        return result

    def user_leaves(self, user_id: int, chat_id: int) -> JSON:
        """A user leaves a group."""
        result: JSON = self._request("leave", {"user_id": user_id, "chat_id": chat_id})
        return result

    def bot_added(self, chat_id: int, by_user_id: int, *, as_admin: bool = False) -> JSON:
        """Someone adds the bot to a group."""
        body = {"chat_id": chat_id, "by_user_id": by_user_id, "as_admin": as_admin}
        result: JSON = self._request("bot_added", body)
        return result

    def bot_removed(self, chat_id: int, by_user_id: int) -> JSON:
        """Someone removes the bot from a group."""
        body = {"chat_id": chat_id, "by_user_id": by_user_id}
        result: JSON = self._request("bot_removed", body)
        return result

    def promote(self, chat_id: int, user_id: int, admin: bool = True) -> None:
        """Make a member an administrator, or demote them."""
        self._request("promote", {"chat_id": chat_id, "user_id": user_id, "admin": admin})

    def set_bot_rights(self, chat_id: int, admin: bool, can_pin: bool) -> JSON:
        """Change the bot's admin status and pin right."""
        body = {"chat_id": chat_id, "admin": admin, "can_pin": can_pin}
        result: JSON = self._request("bot_rights", body)
        return result

    def migrate_to_supergroup(self, chat_id: int, new_chat_id: int) -> JSON:
        """Upgrade a group to a supergroup."""
        body = {"chat_id": chat_id, "new_chat_id": new_chat_id}
        result: JSON = self._request("migrate", body)
        return result

    def user_blocks_bot(self, user_id: int) -> JSON:
        """A user blocks the bot."""
        result: JSON = self._request("block", {"user_id": user_id})
        return result

    def push_update(self, update: JSON) -> JSON:
        """Queue a hand-made update."""
        result: JSON = self._request("update", update)
        return result

    # --- limits and faults -------------------------------------------------------------

    def set_faults(
        self,
        rate: float,
        kinds: Sequence[str] = FAULT_KINDS,
        seed: int | None = 1,
        methods: Iterable[str] | None = None,
        timeout_seconds: float = 6.0,
    ) -> None:
        """Switch fault injection on (rate 0 switches it off)."""
        body: JSON = {"rate": rate, "kinds": list(kinds), "seed": seed}
        body.update(methods=None if methods is None else list(methods))
        self._request("faults", {**body, "timeout_seconds": timeout_seconds})

    def clear_faults(self) -> None:
        """Switch fault injection off."""
        self._request("faults", {})

    def set_limits(
        self,
        global_per_second: int | None = 30,
        per_chat_per_second: int | None = 1,
        per_group_per_minute: int | None = 20,
    ) -> None:
        """Switch Telegram's flood limits on (None leaves one limit off)."""
        body = {"global_per_second": global_per_second, "per_chat_per_second": per_chat_per_second}
        self._request("limits", {**body, "per_group_per_minute": per_group_per_minute})

    def clear_limits(self) -> None:
        """Switch the flood limits off."""
        self._request("limits", {})

    # --- reading what the bot did ------------------------------------------------------

    def messages(self, chat_id: int) -> list[JSON]:
        """The messages the bot sent to a chat (see SentMessage.to_json)."""
        result: list[JSON] = self._request("messages", query={"chat_id": chat_id})
        return result

    def pending(self) -> int:
        """Updates the bot has not confirmed yet."""
        return int(self._request("pending")["pending"])

    def calls(self, method: str | None = None) -> list[JSON]:
        """The Bot API call log, optionally of one method."""
        result: list[JSON] = self._request("calls", query={"method": method} if method else None)
        return result

    def stats(self) -> JSON:
        """Counters, the busiest observed windows and any limit violations."""
        result: JSON = self._request("stats")
        return result

    def callback_answers(self) -> JSON:
        """answerCallbackQuery calls by query id."""
        result: JSON = self._request("answers")
        return result

    def wait_for_message(
        self, chat_id: int, contains: str | None = None, timeout: float = 5.0
    ) -> JSON:
        """Poll until the bot sends a new message to chat_id (matching `contains`)."""
        seen = len(self.messages(chat_id))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages(chat_id)[seen:]:
                if contains is None or contains in str(message["text"]):
                    return message
            time.sleep(0.05)
        wanted = f" containing {contains!r}" if contains else ""
        raise AssertionError(f"no new message{wanted} in chat {chat_id} within {timeout}s")
