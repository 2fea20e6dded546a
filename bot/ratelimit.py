"""Telegram's sending limits, kept on our side so that 429s stay rare.

A 429 names a wait (``retry_after``) that holds for every message to that chat, whichever
path sent the one refused: a handler's direct reply and the outbox share one
``FloodWaits``, kept by the bot's rate limiter and read by the outbox's pacing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram import Bot
from telegram._utils.types import JSONDict
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, ExtBot

log = logging.getLogger("bot.messages")

# A reply lost to a network blip leaves a person unanswered after their change was made
# (and PTB retries only 429s): such calls are tried again, a few times, soon.
NETWORK_RETRIES = 4
NETWORK_PAUSE = 0.25  # seconds before the first retry, doubled for each next one
# PTB's AIORateLimiter halts *every* call for retry_after plus this after any 429.
PTB_HALT_EXTRA = 0.1


class FloodWaits:
    """The flood waits Telegram asked for, per chat and overall (chat None)."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._until: dict[int | None, float] = {}

    def block(self, seconds: float, chat_id: int | None = None) -> None:
        """Hold back one chat (or everything, for ``None``) for ``seconds``."""
        until = self._monotonic() + seconds
        self._until[chat_id] = max(self._until.get(chat_id, 0.0), until)
        if len(self._until) > 10_000:
            self._forget_past()

    def remaining(self, chat_id: int | None = None) -> float:
        """Seconds until a message to ``chat_id`` may go as far as flood waits go (0: now);
        for ``None``, the overall wait only."""
        until = self._until.get(None, 0.0)
        if chat_id is not None:
            until = max(until, self._until.get(chat_id, 0.0))
        return max(0.0, until - self._monotonic())

    def _forget_past(self) -> None:
        now = self._monotonic()
        for chat_id in [chat for chat, until in self._until.items() if until <= now]:
            del self._until[chat_id]


class SendLimiter:
    """Sliding windows for the overall, per-chat and per-group limits.

    ``delay(chat_id)`` says how long to wait before a message to that chat may go;
    ``record(chat_id)`` books a send. A small margin keeps us under the server's
    own count, which starts when the request arrives, not when we dispatch it.
    """

    def __init__(
        self,
        global_per_second: float = 30,
        per_chat_per_second: float = 1,
        per_group_per_minute: int = 20,
        margin: float = 0.03,
        monotonic: Callable[[], float] = time.monotonic,
        floods: FloodWaits | None = None,
    ) -> None:
        self.global_limit = max(1, int(global_per_second * (1 - margin)))
        # Spacing the messages evenly, rather than in bursts that fill the window, keeps
        # the server's count (taken on arrival, with network jitter) under the limit too.
        self.global_interval = 1.0 / (global_per_second * (1 - margin))
        self._next_slot = float("-inf")
        self.chat_interval = (1 / per_chat_per_second) * (1 + margin)
        self.group_limit = per_group_per_minute
        self.group_window = 60 * (1 + margin)
        self._monotonic = monotonic
        self._global: deque[float] = deque()
        self._last_by_chat: dict[int, float] = {}
        self._groups: dict[int, deque[float]] = {}
        self.floods = floods or FloodWaits(monotonic)
        self._halted = False

    def global_delay(self) -> float:
        """Seconds until any message may go (0 when one may go now)."""
        now = self._monotonic()
        self._expire(now)
        waits = [0.0, self._next_slot - now, self.floods.remaining()]
        if len(self._global) >= self.global_limit:
            waits.append(self._global[0] + 1.0 - now)
        return max(waits)

    def count_held(self, held: int) -> None:
        """Book the ``held`` sends that an overall flood wait kept back, once it is over.

        They all reach the server the moment the wait ends; paced as if they had not, the
        next second would carry them on top of a full second's worth, draw another 429,
        and so another halt of everything: a broadcast would go on at half speed.
        """
        if self.floods.remaining() > 0:
            self._halted = True
            return
        if not self._halted:
            return
        self._halted = False
        now = self._monotonic()
        for _ in range(held):
            self._global.append(now)
        self._next_slot = max(self._next_slot, now) + held * self.global_interval

    def delay(self, chat_id: int) -> float:
        """Seconds until a message to ``chat_id`` is allowed (0 when it is now)."""
        now = self._monotonic()
        waits = [self.global_delay()]
        last = self._last_by_chat.get(chat_id)
        if last is not None:
            waits.append(last + self.chat_interval - now)
        group = self._groups.get(chat_id)
        while group and group[0] <= now - self.group_window:  # only this group's window
            group.popleft()
        if chat_id < 0 and group and len(group) >= self.group_limit:
            waits.append(group[0] + self.group_window - now)
        waits.append(self.floods.remaining(chat_id))
        return max(waits)

    def record(self, chat_id: int) -> None:
        """Book one message to ``chat_id`` now."""
        now = self._monotonic()
        self._global.append(now)
        # Slots follow each other at the interval, and a late dispatch may catch up by one
        # slot, so the pace holds even though each pass takes a little time; the window
        # above still caps any second at the limit.
        self._next_slot = max(now - self.global_interval, self._next_slot) + self.global_interval
        self._last_by_chat[chat_id] = now
        if chat_id < 0:
            self._groups.setdefault(chat_id, deque()).append(now)

    def block(self, seconds: float, chat_id: int | None = None) -> None:
        """Hold back one chat (or everything, for ``None``) after a 429."""
        self.floods.block(seconds, chat_id)

    def _expire(self, now: float) -> None:
        while self._global and self._global[0] <= now - 1.0:
            self._global.popleft()
        if len(self._last_by_chat) > 10_000:
            stale = [
                chat for chat, at in self._last_by_chat.items() if at < now - self.group_window
            ]
            for chat in stale:
                self._last_by_chat.pop(chat, None)
                self._groups.pop(chat, None)


def retry_seconds(retry_after: int | float | timedelta) -> float:
    """PTB gives a 429's retry_after as seconds or as a timedelta."""
    if isinstance(retry_after, timedelta):
        return retry_after.total_seconds()
    return float(retry_after)


class LoggingRateLimiter(AIORateLimiter):
    """PTB's rate limiter that also writes one log line for each message sent or failed,
    and keeps the flood waits.

    Every Bot API call passes through the rate limiter, so this is the one place that
    sees the replies of handlers and the messages of the outbox alike: each 429 is
    recorded in ``floods``, and a call to a chat waits out that chat's flood wait first.
    (PTB's own pause after a 429 ends as soon as any other call finishes.)
    """

    def __init__(self, max_retries: int = 0, floods: FloodWaits | None = None) -> None:
        super().__init__(max_retries=max_retries)
        self.floods = floods or FloodWaits()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """Send through the limiter and log the outcome of message calls."""
        logged = endpoint.lower().startswith(("send", "edit"))
        chat_id = _chat_of(data)
        if endpoint.lower() != "getupdates":
            await self._wait_out_flood(chat_id)
        try:
            result = await self._with_retries(
                self._recording_floods(callback, chat_id), args, kwargs, endpoint, data,
                rate_limit_args,
            )
        except TelegramError as error:
            if _answer_too_late(endpoint, error):  # the handler goes on with the rest
                log.info("the answer to button %s came too late", data.get("callback_query_id"))
                return True
            if logged:
                log.info("%s to chat %s failed: %s", endpoint, data.get("chat_id"), error)
            raise
        if logged:
            log.info("%s to chat %s done", endpoint, data.get("chat_id"))
        return result

    async def _with_retries(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """PTB's limiter (which retries 429s), with network errors and 5xx retried too.

        Never for getUpdates, which has its own loop. As with any retry, a call that timed
        out after it reached Telegram may take effect twice: a repeated reply is the lesser
        harm than none.
        """
        retries = 0 if endpoint.lower() == "getupdates" else NETWORK_RETRIES
        for attempt in range(retries):
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except BadRequest:
                raise
            except NetworkError as error:
                log.debug("%s failed (%s); again in a moment", endpoint, error)
                await asyncio.sleep(NETWORK_PAUSE * 2**attempt)
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )


    async def _wait_out_flood(self, chat_id: int | None) -> None:
        wait = self.floods.remaining(chat_id)
        if wait > 0:
            log.debug("chat %s waits %.1fs for a flood limit", chat_id, wait)
            await asyncio.sleep(wait)

    def _recording_floods(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        chat_id: int | None,
    ) -> Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]]:
        """The call, with each 429 it meets recorded for its chat (overall, if it has none)."""

        async def call(*args: Any, **kwargs: Any) -> bool | JSONDict | list[JSONDict]:
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                seconds = retry_seconds(error.retry_after)
                self.floods.block(seconds, chat_id)
                self.floods.block(seconds + PTB_HALT_EXTRA, None)  # PTB halts every call
                log.warning("flood limit for chat %s: wait %ss", chat_id or "(all)", seconds)
                raise

        return call


def flood_waits_of(bot: Bot) -> FloodWaits:
    """The flood waits the bot's rate limiter keeps (a fresh record for a bot without one)."""
    limiter = bot.rate_limiter if isinstance(bot, ExtBot) else None
    return limiter.floods if isinstance(limiter, LoggingRateLimiter) else FloodWaits()


def _chat_of(data: dict[str, Any]) -> int | None:
    """The chat a call is addressed to, when it has a numeric one."""
    try:
        return int(data["chat_id"])
    except (KeyError, TypeError, ValueError):
        return None


def _answer_too_late(endpoint: str, error: TelegramError) -> bool:
    """Telegram waits for the answer to a button press only a few seconds: after a restart
    it refuses the answer, which is no reason to leave the press's work undone."""
    return (
        endpoint.lower() == "answercallbackquery"
        and isinstance(error, BadRequest)
        and "query is too old" in str(error).lower()
    )
