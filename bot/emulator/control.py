"""The HTTP control API under /_emu/: drive the emulator from another process or a browser.

JSON in, JSON out. A bad or missing field answers 400 {"error": "..."}.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.emulator.limits import FAULT_KINDS, Faults, RateLimits
from bot.emulator.timeline import ChangeFeed, timeline
from bot.emulator.world import JSON

if TYPE_CHECKING:
    from bot.emulator.server import BotApiEmulator

Action = Callable[["BotApiEmulator", JSON], Any]
KEEPALIVE_SECONDS = 15.0


def _optional_int(value: object) -> int | None:
    return None if value is None else int(str(value))


def add_user(emu: BotApiEmulator, body: JSON) -> Any:
    """POST /_emu/users {user_id, first_name, username?, last_name?, language_code?, started?}."""
    return emu.add_user(
        int(body["user_id"]),
        str(body["first_name"]),
        username=body.get("username"),
        last_name=body.get("last_name"),
        language_code=body.get("language_code", "zh"),
        started=bool(body.get("started", False)),
    )


def add_group(emu: BotApiEmulator, body: JSON) -> Any:
    """POST /_emu/groups {chat_id, title, supergroup?, members?, admins?, creator?, bot_...?}."""
    return emu.add_group(
        int(body["chat_id"]),
        str(body["title"]),
        supergroup=bool(body.get("supergroup", False)),
        members=[int(user_id) for user_id in body.get("members", [])],
        admins=[int(user_id) for user_id in body.get("admins", [])],
        creator=_optional_int(body.get("creator")),
        bot_member=bool(body.get("bot_member", True)),
        bot_admin=bool(body.get("bot_admin", False)),
        bot_can_pin=bool(body.get("bot_can_pin", True)),
        bot_can_manage_tags=bool(body.get("bot_can_manage_tags", False)),
        forum=bool(body.get("forum", False)),
    )


def send(emu: BotApiEmulator, body: JSON) -> Any:
    """POST /_emu/send {user_id, chat_id, text, reply_to_message_id?, message_thread_id?}."""
    return emu.user_sends(
        int(body["user_id"]),
        int(body["chat_id"]),
        str(body["text"]),
        reply_to_message_id=_optional_int(body.get("reply_to_message_id")),
        thread_id=_optional_int(body.get("message_thread_id")),
    )


def forum(emu: BotApiEmulator, body: JSON) -> Any:
    """POST /_emu/forum {chat_id, enabled?}: a supergroup's topics on (or off)."""
    return emu.set_forum(int(body["chat_id"]), bool(body.get("enabled", True)))


def create_forum_topic(emu: BotApiEmulator, body: JSON) -> Any:
    """POST /_emu/createForumTopic {chat_id, user_id, name}: {message_thread_id}."""
    thread_id = emu.create_forum_topic(int(body["chat_id"]), int(body["user_id"]),
                                       str(body["name"]))
    return {"message_thread_id": thread_id}


def close_forum_topic(emu: BotApiEmulator, body: JSON) -> Any:
    """POST /_emu/closeForumTopic {chat_id, message_thread_id}."""
    return emu.close_forum_topic(int(body["chat_id"]), int(body["message_thread_id"]))


def reopen_forum_topic(emu: BotApiEmulator, body: JSON) -> Any:
    """POST /_emu/reopenForumTopic {chat_id, message_thread_id}."""
    return emu.close_forum_topic(int(body["chat_id"]), int(body["message_thread_id"]),
                                 closed=False)


def delete_forum_topic(emu: BotApiEmulator, body: JSON) -> Any:
    """POST /_emu/deleteForumTopic {chat_id, message_thread_id}."""
    emu.delete_forum_topic(int(body["chat_id"]), int(body["message_thread_id"]))
    return {"ok": True}


def send_photo(emu: BotApiEmulator, body: JSON) -> Any:
    """POST /_emu/send_photo {user_id, chat_id, caption?}."""
    return emu.user_sends_photo(int(body["user_id"]), int(body["chat_id"]), body.get("caption"))


def react(emu: BotApiEmulator, body: JSON) -> Any:
    """POST /_emu/react {user_id, chat_id, message_id, emoji: [...], old?: [...]}: the
    message_reaction update, or null when the bot would not get it (not an admin)."""
    return emu.user_reacts(
        int(body["user_id"]), int(body["chat_id"]), int(body["message_id"]),
        [str(e) for e in body["emoji"]], old=[str(e) for e in body.get("old") or []],
    )


def press(emu: BotApiEmulator, body: JSON) -> Any:
    """POST /_emu/press {user_id, chat_id, message_id, data}."""
    query_id = emu.user_presses(
        int(body["user_id"]), int(body["chat_id"]), int(body["message_id"]), str(body["data"])
    )
    return {"callback_query_id": query_id}


def join(emu: BotApiEmulator, body: JSON) -> Any:
    """POST /_emu/join {user_id, chat_id}."""
    return emu.user_joins(int(body["user_id"]), int(body["chat_id"]))


def join_request(emu: BotApiEmulator, body: JSON) -> Any:
    """POST /_emu/join_request {user_id, chat_id, bio?}."""
    return emu.user_requests_to_join(int(body["user_id"]), int(body["chat_id"]), body.get("bio"))


def leave(emu: BotApiEmulator, body: JSON) -> Any:
    """POST /_emu/leave {user_id, chat_id}."""
    return emu.user_leaves(int(body["user_id"]), int(body["chat_id"]))


def bot_added(emu: BotApiEmulator, body: JSON) -> Any:
    """POST /_emu/bot_added {chat_id, by_user_id, as_admin?}."""
    return emu.bot_added(
        int(body["chat_id"]), int(body["by_user_id"]), as_admin=bool(body.get("as_admin"))
    )


def bot_removed(emu: BotApiEmulator, body: JSON) -> Any:
    """POST /_emu/bot_removed {chat_id, by_user_id}."""
    return emu.bot_removed(int(body["chat_id"]), int(body["by_user_id"]))


def promote(emu: BotApiEmulator, body: JSON) -> Any:
    """POST /_emu/promote {chat_id, user_id, admin?}."""
    emu.promote(int(body["chat_id"]), int(body["user_id"]), bool(body.get("admin", True)))
    return {"ok": True}


def bot_rights(emu: BotApiEmulator, body: JSON) -> Any:
    """POST /_emu/bot_rights {chat_id, admin, can_pin}."""
    return emu.set_bot_rights(int(body["chat_id"]), bool(body["admin"]), bool(body["can_pin"]))


def migrate(emu: BotApiEmulator, body: JSON) -> Any:
    """POST /_emu/migrate {chat_id, new_chat_id}."""
    return emu.migrate_to_supergroup(int(body["chat_id"]), int(body["new_chat_id"]))


def block(emu: BotApiEmulator, body: JSON) -> Any:
    """POST /_emu/block {user_id}."""
    return emu.user_blocks_bot(int(body["user_id"]))


def update(emu: BotApiEmulator, body: JSON) -> Any:
    """POST /_emu/update {...any update without update_id...}."""
    return emu.push_update(body)


def faults(emu: BotApiEmulator, body: JSON) -> Any:
    """POST /_emu/faults {rate, kinds?, seed?, methods?, timeout_seconds?}; {} or rate 0: off."""
    if not body or not float(body.get("rate", 0)):
        emu.faults = None
        return {"faults": None}
    methods = body.get("methods")
    emu.faults = Faults(
        rate=float(body["rate"]),
        kinds=tuple(body.get("kinds", FAULT_KINDS)),
        seed=_optional_int(body.get("seed", 1)),
        methods=None if methods is None else frozenset(methods),
        timeout_seconds=float(body.get("timeout_seconds", 6.0)),
    )
    return {"faults": {"rate": emu.faults.rate, "kinds": list(emu.faults.kinds)}}


def limits(emu: BotApiEmulator, body: JSON) -> Any:
    """POST /_emu/limits {global_per_second?, per_chat_per_second?, per_group_per_minute?}.

    {} switches the limits off; a missing field takes Telegram's default.
    """
    if not body:
        emu.rate_limits = None
        return {"limits": None}
    emu.rate_limits = RateLimits(**{key: _optional_int(value) for key, value in body.items()})
    return {"limits": emu.rate_limits.__dict__}


def messages(emu: BotApiEmulator, query: JSON) -> Any:
    """GET /_emu/messages?chat_id=N: what the bot sent there."""
    return [sent.to_json() for sent in emu.sent(int(query["chat_id"]))]


def chat_timeline(emu: BotApiEmulator, query: JSON) -> Any:
    """GET /_emu/timeline?chat_id=N: the users' and the bot's messages there, in order."""
    return timeline(emu.world, int(query["chat_id"]))


def pending(emu: BotApiEmulator, query: JSON) -> Any:
    """GET /_emu/pending."""
    return {"pending": emu.pending_updates()}


def calls(emu: BotApiEmulator, query: JSON) -> Any:
    """GET /_emu/calls?method=...: the Bot API call log."""
    method = query.get("method")
    chosen = emu.calls_to(method) if method else emu.calls
    return [call.to_json() for call in chosen]


def stats(emu: BotApiEmulator, query: JSON) -> Any:
    """GET /_emu/stats: counters and the busiest observed windows."""
    return {
        **emu.stats.to_json(),
        "max_rate_observed": emu.max_rate_observed(),
        "rate_violations": emu.rate_violations(),
    }


def answers(emu: BotApiEmulator, query: JSON) -> Any:
    """GET /_emu/answers: answerCallbackQuery calls by query id."""
    return {
        query_id: {"text": text, "show_alert": alert}
        for query_id, (text, alert) in emu.callback_answers.items()
    }


POST_ACTIONS: dict[str, Action] = {
    "users": add_user,
    "groups": add_group,
    "send": send,
    "forum": forum,
    "createForumTopic": create_forum_topic,
    "closeForumTopic": close_forum_topic,
    "reopenForumTopic": reopen_forum_topic,
    "deleteForumTopic": delete_forum_topic,
    "send_photo": send_photo,
    "react": react,
    "press": press,
    "join": join,
    "join_request": join_request,
    "leave": leave,
    "bot_added": bot_added,
    "bot_removed": bot_removed,
    "promote": promote,
    "bot_rights": bot_rights,
    "migrate": migrate,
    "block": block,
    "update": update,
    "faults": faults,
    "limits": limits,
}
GET_ACTIONS: dict[str, Action] = {
    "messages": messages,
    "timeline": chat_timeline,
    "pending": pending,
    "calls": calls,
    "stats": stats,
    "answers": answers,
}


class ControlApi:
    """Routes /_emu/<action> to the actions above."""

    def __init__(self, emulator: BotApiEmulator) -> None:
        self.emulator = emulator

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes of the control API."""
        return [
            web.get("/_emu/events", self._events),
            web.get("/_emu/files/{file_id}", self._file),
            web.post("/_emu/{action}", self._post),
            web.get("/_emu/{action}", self._get),
        ]

    async def _events(self, request: web.Request) -> web.StreamResponse:
        """GET /_emu/events: server-sent events ("chat", "answer") as things change."""
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        feed = ChangeFeed(self.emulator.world)
        revisions = [{"chat_id": chat, "revision": token} for chat, token in feed.revisions.items()]
        try:
            await response.write(server_event("hello", {"revisions": revisions}))
            while not self.emulator.stopping:
                changes = feed.changes()
                for name, data in changes:
                    await response.write(server_event(name, data))
                # Look again before waiting: a change may have come while the writes yielded.
                if not changes and not await self.emulator.next_activity(KEEPALIVE_SECONDS):
                    await response.write(b": keep-alive\n\n")
        except ConnectionResetError:
            pass  # the page went away
        return response

    async def _file(self, request: web.Request) -> web.Response:
        """GET /_emu/files/ID: the bytes of a file the bot sent (photos on the demo page)."""
        stored = self.emulator.world.files.get(request.match_info["file_id"])
        if stored is None:
            return _error(404, "no such file")
        return web.Response(body=stored.data, content_type=stored.mime_type or None)

    async def _post(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return _error(400, "the body is not JSON")
        if not isinstance(body, dict):
            return _error(400, "the body must be a JSON object")
        return self._run(POST_ACTIONS, request.match_info["action"], body)

    async def _get(self, request: web.Request) -> web.Response:
        return self._run(GET_ACTIONS, request.match_info["action"], dict(request.query))

    def _run(self, actions: dict[str, Action], name: str, body: JSON) -> web.Response:
        action = actions.get(name)
        if action is None:
            return _error(404, f"no control action {name!r}; known: {sorted(actions)}")
        try:
            result = action(self.emulator, body)
        except KeyError as missing:
            return _error(400, f"missing field {missing}")
        except (ValueError, TypeError) as error:
            return _error(400, str(error))
        return web.json_response(result)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def server_event(name: str, data: JSON) -> bytes:
    """One server-sent event."""
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()
