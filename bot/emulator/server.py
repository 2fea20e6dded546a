"""The emulator's HTTP server: Bot API endpoints, the control API, and the in-process driver."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web

from bot.emulator.control import ControlApi
from bot.emulator.limits import FaultInjector, Faults, RateLimiter, RateLimits
from bot.emulator.methods import ApiError, ApiRequest, BotApi, Upload
from bot.emulator.world import JSON, SentMessage, UserRecord, World

T = TypeVar("T")

# Free-text parameters keep the posted string: a text "123" or "true" is not JSON.
RAW_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "title",
        "description",
        "short_description",
        "name",
        "action",
        "custom_title",
        "language_code",
        "file_id",
        "photo",
        "document",
        "emoji",
        "query",
        "secret_token",
        "ip_address",
        "question",
        "explanation",
        "address",
        "sticker",
        "tag",
    }
)
CONFLICT_OTHER_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
MAX_BODY_BYTES = 64 * 1024 * 1024


@dataclass
class ApiCall:
    """One Bot API call as the emulator saw it, the method in its Bot API spelling.

    status is None while the call runs or if the client went away, 0 for a dropped connection.
    """

    method: str
    params: JSON
    time: float
    status: int | None = None
    error: str | None = None

    def to_json(self) -> JSON:
        """A JSON-ready summary."""
        return {
            "method": self.method,
            "params": self.params,
            "time": self.time,
            "status": self.status,
            "error": self.error,
        }

    def summary(self) -> str:
        """One line for assertion messages."""
        shown = {key: value for key, value in self.params.items() if key != "reply_markup"}
        outcome = f"{self.status} {self.error}" if self.error else str(self.status)
        return f"{self.method}({json.dumps(shown, ensure_ascii=False)[:160]}) -> {outcome}"


@dataclass
class EmulatorStats:
    """Counters over the emulator's life."""

    accepted_sends: int
    rate_limited: int
    faults_injected: int
    faults_by_kind: dict[str, int] = field(default_factory=dict)
    violations: int = 0
    calls: int = 0

    def to_json(self) -> JSON:
        """A JSON-ready copy."""
        return dict(self.__dict__)


class Signal:
    """Wakes every current waiter on notify()."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Wake the waiters."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> bool:
        """Wait up to timeout seconds for the next notify(); False if none came."""
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True


def decode_form_value(name: str, value: str) -> Any:
    """A form value as PTB meant it: JSON where it parses, except free-text fields."""
    if name in RAW_STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


async def read_api_request(request: web.Request) -> ApiRequest:
    """The parameters of a call from its query string and JSON, form or multipart body."""
    params: dict[str, Any] = {
        name: decode_form_value(name, value) for name, value in request.query.items()
    }
    uploads: dict[str, Upload] = {}
    if request.content_type == "application/json":
        params.update(await _json_body(request))
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                data = value.file.read()
                uploads[name] = Upload(value.filename, value.content_type, data)
            else:
                text = value if isinstance(value, str) else bytes(value).decode("utf-8")
                params[name] = decode_form_value(name, text)
    return ApiRequest(params, uploads)


async def _json_body(request: web.Request) -> JSON:
    body = await request.read()
    if not body.strip():
        return {}
    try:
        decoded = json.loads(body)
    except ValueError:
        raise ApiError(400, "Bad Request: can't parse JSON object") from None
    if not isinstance(decoded, dict):
        raise ApiError(400, "Bad Request: JSON object expected")
    return decoded


def describe_params(request: ApiRequest) -> JSON:
    """The parameters for the call log, with uploads shown by name and size."""
    described = dict(request.params)
    for name, upload in request.uploads.items():
        described[name] = f"<upload {upload.file_name} {len(upload.data)} bytes>"
    return described


class BotApiEmulator:
    """A local Telegram Bot API server that PTB talks to, driven from the user's side.

    privacy_mode: in groups where the bot is not an admin, only commands and replies to the
    bot reach it, as with BotFather's default. first_update_id: start above the ids of an
    earlier run when the bot keeps its getUpdates offset across emulator restarts.
    The in-process methods must be called from the event loop's thread.
    """

    def __init__(
        self,
        token: str = "123:abc",
        *,
        rate_limits: RateLimits | None = None,
        faults: Faults | None = None,
        bot_id: int = 7000000001,
        bot_first_name: str = "Linli",
        bot_username: str = "linli_bot",
        privacy_mode: bool = False,
        first_update_id: int = 1,
    ) -> None:
        self.token = token
        bot = UserRecord(bot_id, bot_first_name, bot_username, is_bot=True, language_code=None)
        self.world = World(bot, privacy_mode=privacy_mode, first_update_id=first_update_id)
        self.world.on_update = self._on_update
        self.calls: list[ApiCall] = []
        self._limiter = RateLimiter(rate_limits)
        self._injector = FaultInjector(faults)
        self.api = BotApi(self.world, self._limiter)
        self._updates = Signal()
        self._activity = Signal()
        self._stopping = asyncio.Event()
        self._poll_generation = 0
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._port = 0

    # --- lifecycle -----------------------------------------------------------------------

    async def start(
        self, host: str = "127.0.0.1", port: int = 0, routes: Iterable[web.AbstractRouteDef] = ()
    ) -> None:
        """Serve on host:port (port 0 picks a free port), with extra routes (the demo page)."""
        self._updates, self._activity, self._stopping = Signal(), Signal(), asyncio.Event()
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_bot_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_routes(ControlApi(self).routes())
        app.router.add_routes(routes)
        self._runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self._host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """End waiting long polls and held responses, then close the server."""
        self._stopping.set()
        self._updates.notify()
        self._activity.notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def stopping(self) -> bool:
        """Whether stop() was called."""
        return self._stopping.is_set()

    async def next_activity(self, timeout: float) -> bool:
        """Wait up to timeout seconds for the next Bot API call or update; False if none came."""
        return await self._activity.wait(timeout)

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return self._port

    @property
    def url(self) -> str:
        """The server root, e.g. http://127.0.0.1:PORT (the control API is under /_emu/)."""
        return f"http://{self._host}:{self._port}"

    @property
    def base_url(self) -> str:
        """What ApplicationBuilder().base_url() wants; PTB appends the token and method."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """What ApplicationBuilder().base_file_url() wants."""
        return f"{self.url}/file/bot"

    # --- limits, faults and statistics --------------------------------------------------

    @property
    def rate_limits(self) -> RateLimits | None:
        """The flood limits in force (None: off)."""
        return self._limiter.limits

    @rate_limits.setter
    def rate_limits(self, limits: RateLimits | None) -> None:
        self._limiter.limits = limits

    @property
    def faults(self) -> Faults | None:
        """The fault injection in force (None: off)."""
        return self._injector.faults

    @faults.setter
    def faults(self, faults: Faults | None) -> None:
        self._injector.configure(faults)

    @property
    def stats(self) -> EmulatorStats:
        """Accepted sends, 429s from the limits, injected faults, and limit violations."""
        return EmulatorStats(
            accepted_sends=self._limiter.accepted,
            rate_limited=self._limiter.limited,
            faults_injected=sum(self._injector.injected.values()),
            faults_by_kind=dict(self._injector.injected),
            violations=self._limiter.violations,
            calls=len(self.calls),
        )

    def max_rate_observed(self) -> dict[str, int]:
        """The busiest window of each limit kind in the log of accepted sends."""
        return self._limiter.max_observed()

    def rate_violations(self) -> list[str]:
        """The configured limits the accepted sends exceeded (empty when all is well)."""
        return self._limiter.exceeded()

    # --- HTTP handlers -------------------------------------------------------------------

    async def _handle_bot_api(self, request: web.Request) -> web.StreamResponse:
        call = ApiCall(request.match_info["method"], {}, time.monotonic())
        self.calls.append(call)
        try:
            return await self._answer(request, call)
        except ApiError as error:
            return self._refuse(call, error)
        except asyncio.CancelledError:
            call.error = call.error or "the client closed the connection"
            raise
        finally:
            self._activity.notify()

    async def _answer(self, request: web.Request, call: ApiCall) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            raise ApiError(401, "Unauthorized")
        canonical = self.api.canonical(call.method)
        if canonical is None:
            raise ApiError(404, "Not Found: method not found")
        call.method = canonical
        api_request = await read_api_request(request)
        call.params = describe_params(api_request)
        fault = self._injector.draw(call.method)
        if fault is not None:
            return await self._inject(fault, request, call)
        if call.method == "getUpdates":
            result: Any = await self._get_updates(api_request)
        else:
            result = self.api.call(call.method, api_request)
        call.status = 200
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _refuse(call: ApiCall, error: ApiError) -> web.Response:
        call.status, call.error = error.code, error.description
        return web.json_response(error.envelope(), status=error.code)

    async def _inject(self, kind: str, request: web.Request, call: ApiCall) -> web.Response:
        """Fail a call before it takes effect."""
        if kind == "429":
            raise ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        if kind == "timeout":
            call.status, call.error = 500, "held, then Internal Server Error (timeout fault)"
            held = self.faults.timeout_seconds if self.faults else 6.0
            await self._sleep_unless_stopping(held)
        if kind == "drop" and request.transport is not None:
            call.status, call.error = 0, "connection dropped (fault)"
            request.transport.close()
            return web.Response(status=500)
        raise ApiError(500, "Internal Server Error")

    async def _sleep_unless_stopping(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _get_updates(self, request: ApiRequest) -> list[JSON]:
        """getUpdates with long polling; a newer poll ends an older one with 409."""
        if self.world.webhook_url:
            raise ApiError(409, CONFLICT_WEBHOOK)
        self.world.set_allowed_updates(request.structured("allowed_updates"))
        self.world.confirm(request.optional_integer("offset"))
        limit = min(max(request.optional_integer("limit") or 100, 1), 100)
        timeout = max(0.0, float(request.params.get("timeout") or 0))
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates.notify()
        deadline = time.monotonic() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, CONFLICT_OTHER_POLL)
            batch = self.world.deliverable(limit)
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self._stopping.is_set():
                return batch
            await self._updates.wait(remaining)

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").envelope(), status=401)
        file_id = request.match_info["path"].removeprefix("files/").split("_")[0]
        stored = self.world.files.get(file_id)
        if stored is None:
            return web.json_response(ApiError(404, "Not Found").envelope(), status=404)
        return web.Response(body=stored.data, content_type=stored.mime_type or None)

    def _on_update(self) -> None:
        self._updates.notify()
        self._activity.notify()

    # --- the user's side (each call queues the updates Telegram would send) -------------

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
        return self.world.add_user(
            user_id,
            first_name,
            username=username,
            last_name=last_name,
            language_code=language_code,
            started=started,
        )

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
        """Create a group with its members and the bot's status (a supergroup with topics if
        ``forum``); sends no update."""
        return self.world.add_group(
            chat_id,
            title,
            supergroup=supergroup,
            members=members,
            admins=admins,
            creator=creator,
            bot_member=bot_member,
            bot_admin=bot_admin,
            bot_can_pin=bot_can_pin,
            bot_can_manage_tags=bot_can_manage_tags,
            forum=forum,
        )

    def set_forum(self, chat_id: int, enabled: bool = True) -> JSON:
        """An admin turns a supergroup's topics on (or off)."""
        return self.world.set_forum(chat_id, enabled)

    def create_forum_topic(self, chat_id: int, user_id: int, name: str) -> int:
        """A user opens a topic; returns its message_thread_id."""
        return self.world.create_forum_topic(chat_id, user_id, name)

    def close_forum_topic(self, chat_id: int, thread_id: int, closed: bool = True) -> JSON:
        """An admin closes (or reopens) a topic."""
        return self.world.close_forum_topic(chat_id, thread_id, closed)

    def delete_forum_topic(self, chat_id: int, thread_id: int) -> None:
        """An admin deletes a topic (no update reaches the bot)."""
        self.world.delete_forum_topic(chat_id, thread_id)

    def user_sends(
        self, user_id: int, chat_id: int, text: str, *, reply_to_message_id: int | None = None,
        thread_id: int | None = None,
    ) -> JSON:
        """A user writes in a private chat (chat_id == user_id) or a group (in a topic)."""
        return self.world.user_sends(
            user_id, chat_id, text, reply_to_message_id=reply_to_message_id, thread_id=thread_id
        )

    def user_sends_photo(
        self, user_id: int, chat_id: int, caption: str | None = None, *, album: str | None = None
    ) -> JSON:
        """A user sends a photo with an optional caption (one of an album, if named)."""
        return self.world.user_sends_photo(user_id, chat_id, caption, album=album)

    def user_sends_voice(self, user_id: int, chat_id: int, caption: str | None = None) -> JSON:
        """A user sends a voice note."""
        return self.world.user_sends_voice(user_id, chat_id, caption)

    def user_sends_video(self, user_id: int, chat_id: int, caption: str | None = None) -> JSON:
        """A user sends a short video."""
        return self.world.user_sends_video(user_id, chat_id, caption)

    def user_sends_location(
        self, user_id: int, chat_id: int, latitude: float, longitude: float
    ) -> JSON:
        """A user shares a location."""
        return self.world.user_sends_location(user_id, chat_id, latitude, longitude)

    def user_sends_other(
        self, user_id: int, chat_id: int, fields: JSON, *, reply_to_message_id: int | None = None
    ) -> JSON:
        """A user sends another kind of message, given its Bot API fields."""
        return self.world.user_sends_other(
            user_id, chat_id, fields, reply_to_message_id=reply_to_message_id
        )

    def user_sends_sticker(self, user_id: int, chat_id: int) -> JSON:
        """A user sends a sticker."""
        return self.world.user_sends_sticker(user_id, chat_id)

    def user_sends_contact(self, user_id: int, chat_id: int, phone: str, first_name: str) -> JSON:
        """A user shares a contact card."""
        return self.world.user_sends_contact(user_id, chat_id, phone, first_name)

    def user_forwards_from_channel(
        self, user_id: int, chat_id: int, text: str, channel_id: int, title: str
    ) -> JSON:
        """A user forwards a channel post."""
        return self.world.user_forwards_from_channel(user_id, chat_id, text, channel_id, title)

    def user_edits(self, user_id: int, chat_id: int, message_id: int, text: str) -> JSON:
        """A user edits one of their messages."""
        return self.world.user_edits(user_id, chat_id, message_id, text)

    def user_reacts(
        self, user_id: int, chat_id: int, message_id: int, emoji: list[str],
        *, old: list[str] | None = None,
    ) -> JSON | None:
        """A user sets reactions on a message; None when the bot does not receive it."""
        return self.world.user_reacts(user_id, chat_id, message_id, emoji, old=old)

    def user_presses(self, user_id: int, chat_id: int, message_id: int, data: str) -> str:
        """A user presses an inline button (data may be forged); returns the query id."""
        return self.world.user_presses(user_id, chat_id, message_id, data)

    def user_joins(self, user_id: int, chat_id: int) -> JSON:
        """A user joins a group; returns the service message."""
        return self.world.user_joins(user_id, chat_id)

    def user_requests_to_join(
        self, user_id: int, chat_id: int, bio: str | None = None
    ) -> JSON:
        """A user asks to join a supergroup through an invite link that needs approval."""
        return self.world.user_requests_to_join(user_id, chat_id, bio)

    def user_leaves(self, user_id: int, chat_id: int) -> JSON:
        """A user leaves a group; returns the service message."""
        return self.world.user_leaves(user_id, chat_id)

    def bot_added(self, chat_id: int, by_user_id: int, *, as_admin: bool = False) -> JSON:
        """Someone adds the bot to a group; returns the my_chat_member update."""
        return self.world.bot_added(chat_id, by_user_id, as_admin=as_admin)

    def bot_removed(self, chat_id: int, by_user_id: int) -> JSON:
        """Someone removes the bot from a group; returns the my_chat_member update."""
        return self.world.bot_removed(chat_id, by_user_id)

    def promote(self, chat_id: int, user_id: int, admin: bool = True) -> None:
        """Make a member an administrator, or demote them."""
        self.world.promote(chat_id, user_id, admin)

    def set_bot_rights(self, chat_id: int, admin: bool, can_pin: bool) -> JSON:
        """Change the bot's admin status and pin right; returns the my_chat_member update."""
        return self.world.set_bot_rights(chat_id, admin, can_pin)

    def migrate_to_supergroup(self, chat_id: int, new_chat_id: int) -> JSON:
        """Upgrade a group to a supergroup with a new id; returns the new chat."""
        return self.world.migrate_to_supergroup(chat_id, new_chat_id)

    def user_blocks_bot(self, user_id: int, *, announce: bool = True) -> JSON:
        """A user blocks the bot; returns the my_chat_member update (none yet when not
        ``announce``: the bot has not heard of the block)."""
        return self.world.user_blocks_bot(user_id, announce=announce)

    def push_update(self, update: JSON) -> JSON:
        """Queue a hand-made update; it gets the next update_id."""
        return self.world.push_update(update)

    # --- reading what the bot did --------------------------------------------------------

    def sent(self, chat_id: int) -> list[SentMessage]:
        """The messages the bot sent to a chat, oldest first (deleted ones flagged)."""
        return self.world.sent(chat_id)

    def message(self, chat_id: int, message_id: int) -> SentMessage:
        """One message the bot sent; KeyError if none."""
        return self.world.message(chat_id, message_id)

    def pending_updates(self) -> int:
        """Updates the bot has not confirmed yet (of the kinds it asked for)."""
        return self.world.pending_updates()

    def calls_to(self, method: str) -> list[ApiCall]:
        """The calls of one Bot API method (case-insensitive)."""
        return [call for call in self.calls if call.method.lower() == method.lower()]

    @property
    def callback_answers(self) -> dict[str, tuple[str | None, bool]]:
        """answerCallbackQuery calls: query id -> (text, show_alert)."""
        return self.world.callback_answers

    @property
    def commands(self) -> dict[tuple[str, str], list[JSON]]:
        """setMyCommands registrations keyed by (scope, language_code)."""
        return self.world.commands

    async def wait_for(
        self, condition: Callable[[], T], timeout: float = 5.0, *, what: str = "the condition"
    ) -> T:
        """Wait until condition() is truthy and return it; AssertionError with context if not."""
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(self._timeout_report(what, timeout))
            await self._activity.wait(min(remaining, 0.05))

    async def wait_for_message(
        self, chat_id: int, contains: str | None = None, timeout: float = 5.0
    ) -> SentMessage:
        """Wait for a message the bot sends to chat_id after this call, optionally matching."""
        seen = len(self.world.sent_messages.get(chat_id, []))

        def newest() -> SentMessage | None:
            for sent in self.world.sent_messages.get(chat_id, [])[seen:]:
                if contains is None or contains in sent.text:
                    return sent
            return None

        matching = f" containing {contains!r}" if contains else ""
        what = f"a new message in chat {chat_id}{matching}"
        found = await self.wait_for(newest, timeout, what=what)
        assert found is not None
        return found

    def _timeout_report(self, what: str, timeout: float) -> str:
        lines = [f"timed out after {timeout}s waiting for {what}"]
        lines.append(f"pending updates: {self.pending_updates()}")
        lines.append("last Bot API calls:")
        calls = [call for call in self.calls if call.method.lower() != "getupdates"]
        lines += [f"  {call.summary()}" for call in calls[-10:]] or ["  (none)"]
        return "\n".join(lines)
