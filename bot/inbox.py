"""Durable update intake: store every update before Telegram is told it arrived.

PTB's Updater confirms a batch (the getUpdates offset) on its next poll, whether
or not the handlers ran; a crash in between loses the batch. Here the poller
stores each raw update in the inbox table first and only then asks for the next
batch, and the worker hands stored updates to the Application, marking each one
handled. After a restart the worker picks up what was stored but not handled; a
redelivered update id is ignored at the door.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Sequence

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.clock import Clock
from bot.domain.core import InboxUpdate
from bot.ratelimit import retry_seconds
from storage.inbox import InboxRepository

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member", "chat_member"]
MAX_ATTEMPTS = 3  # an update that brought the process down this often is set aside
PENDING_BATCH = 500  # stored updates read at a time (more than are ever in hand at once)


class InboxPoller:
    """Long-polls getUpdates and stores each batch before confirming it."""

    def __init__(
        self,
        bot: Bot,
        inbox: InboxRepository,
        clock: Clock,
        wakeup: asyncio.Event,
        timeout: int = 30,
        fresh: dict[int, Update] | None = None,
    ) -> None:
        self.bot = bot
        self.fresh = {} if fresh is None else fresh
        self.inbox = inbox
        self.clock = clock
        self.wakeup = wakeup
        self.timeout = timeout

    async def run(self) -> None:
        """Poll until cancelled; an invalid token ends the bot."""
        last = await self.inbox.last_update_id()
        offset = None if last is None else last + 1
        failures = 0
        webhook_deleted = False
        while True:
            try:
                if not webhook_deleted:  # polling and a webhook exclude each other
                    webhook_deleted = await self.bot.delete_webhook()
                updates = await self.bot.get_updates(
                    offset=offset,
                    timeout=self.timeout,
                    allowed_updates=ALLOWED_UPDATES,
                    read_timeout=self.timeout + 10,
                )
                failures = 0
            except InvalidToken:
                log.error("Telegram refused the bot token; stopping")
                raise
            except RetryAfter as error:
                await asyncio.sleep(retry_seconds(error.retry_after))
                continue
            except (Conflict, NetworkError, TelegramError) as error:
                failures += 1
                pause = min(30.0, 0.5 * 2**failures)
                log.warning("getUpdates failed (%s); again in %.1fs", error, pause)
                await asyncio.sleep(pause)
                continue
            if updates:
                offset = await self.store(updates)

    async def store(self, updates: Sequence[Update]) -> int:
        """Store a batch and wake the worker; returns the next offset."""
        new = await self.inbox.store([update.to_dict() for update in updates], self.clock.now())
        if new:
            for update in updates:  # spares the worker parsing them again
                self.fresh[update.update_id] = update
            self.wakeup.set()
        return max(update.update_id for update in updates) + 1


class InboxWorker:
    """Hands stored updates to the Application: in order within a chat, chats side by side."""

    def __init__(
        self,
        application: Application,
        inbox: InboxRepository,
        clock: Clock,
        wakeup: asyncio.Event,
        concurrency: int = 16,
    ) -> None:
        self.application = application
        self.inbox = inbox
        self.clock = clock
        self.wakeup = wakeup
        self._slots = asyncio.Semaphore(concurrency)
        self._dispatched = 0  # the highest update id handed to a lane in this process
        self.fresh: dict[int, Update] = {}  # updates parsed already, not yet dispatched
        self._lanes: dict[int, deque[tuple[InboxUpdate, Update]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def count_attempts(self) -> None:
        """At start, before anything new is stored: count one more attempt for the update
        each chat was on when the process stopped. A chat's updates are handled in order,
        so only its oldest pending one can have been in hand; those behind it were waiting
        and are not counted. An update that keeps bringing the process down is then set
        aside instead of being retried forever."""
        heads: dict[int, int] = {}
        for row in await self.inbox.pending(limit=PENDING_BATCH):
            update = Update.de_json(json.loads(row.payload), self.application.bot)
            self.fresh[row.update_id] = update  # spares dispatching parsing it again
            heads.setdefault(_lane_key(update), row.update_id)
        await self.inbox.count_attempts(list(heads.values()))

    async def run(self) -> None:
        """Dispatch stored updates until cancelled."""
        while True:
            if not await self.dispatch_pending():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wakeup.wait(), timeout=5)
            self.wakeup.clear()

    async def dispatch_pending(self) -> int:
        """Hand every stored, not yet dispatched update to its chat's lane; returns how many."""
        rows = await self.inbox.pending(limit=PENDING_BATCH, after=self._dispatched)
        if not rows:
            return 0
        self._dispatched = rows[-1].update_id
        for row in rows:
            update = self.fresh.pop(row.update_id, None)
            if row.attempts >= MAX_ATTEMPTS:
                log.error("update %s failed %d times; set aside", row.update_id, row.attempts)
                await self.inbox.mark(
                    row.update_id, "failed", self.clock.now(), "too many attempts"
                )
                continue
            if update is None:  # not parsed yet (beyond the first batch of a restart)
                update = Update.de_json(json.loads(row.payload), self.application.bot)
            self._enqueue(row, update)
        return len(rows)

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until every stored update has been handled (tests and shutdown)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            await self.dispatch_pending()
            if self._tasks:
                await asyncio.wait(set(self._tasks), timeout=max(0.0, deadline - loop.time()))
            elif not await self.inbox.pending(limit=1):
                return
            else:
                await asyncio.sleep(0.01)
        raise TimeoutError("updates are still being handled")

    async def stop(self) -> None:
        """Let the lanes finish what they hold."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=10)

    def _enqueue(self, row: InboxUpdate, update: Update) -> None:
        key = _lane_key(update)
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = deque()
            task = asyncio.create_task(self._run_lane(key, lane))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        lane.append((row, update))

    async def _run_lane(self, key: int, lane: deque[tuple[InboxUpdate, Update]]) -> None:
        try:
            while lane:
                row, update = lane[0]
                async with self._slots:
                    await self._handle(row, update)
                lane.popleft()
        finally:
            self._lanes.pop(key, None)

    async def _handle(self, row: InboxUpdate, update: Update) -> None:
        started = time.perf_counter()
        try:
            await self.application.process_update(update)
        except Exception as error:  # PTB's error handlers did not take it
            log.exception("update %s failed", row.update_id)
            await self.inbox.mark(row.update_id, "failed", self.clock.now(), repr(error)[:500])
            return
        await self.inbox.mark(row.update_id, "handled", self.clock.now())
        log.info(
            "handled update %s (chat %s, %s) in %.0f ms",
            row.update_id,
            update.effective_chat.id if update.effective_chat else "-",
            describe(update),
            (time.perf_counter() - started) * 1000,
        )


def describe(update: Update) -> str:
    """A few words saying what the update is, for the log (never its full text)."""
    message = update.effective_message
    if update.callback_query:
        return f"button {(update.callback_query.data or '')[:40]}"
    if message and message.text and message.text.startswith("/"):
        return message.text.split()[0][:40]
    if update.my_chat_member:
        return f"bot is now {update.my_chat_member.new_chat_member.status}"
    if update.chat_member:
        return f"member is now {update.chat_member.new_chat_member.status}"
    if message:
        return "message"
    return "update"


def _lane_key(update: Update) -> int:
    if update.effective_chat:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user else 0
