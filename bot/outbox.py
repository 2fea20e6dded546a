"""The outbox: every message that must not be lost, sent at Telegram's pace.

Features queue messages inside the transaction that caused them (``Outbox.queue``).
``OutboxSender`` drains the table: it paces itself under Telegram's limits, retries
429, 5xx and network errors with backoff, follows a group to its supergroup, and
gives up for good on a chat that is gone. Rows are marked sent one by one, so a
restart resumes where it stopped. A row is settled (sent or failed for good) in one
transaction with its ``on_settled`` hooks, so a crash never leaves a row settled while
what follows from it (a notice's post, its summary) is not.

A row has a priority: the sender takes the highest-priority row that may go first, in a
chat and across chats, always under the same limits. ``URGENT`` is an emergency's: quiet
hours and any other holding back of ordinary messages must let it through.

A row can carry a file that does not fit in its JSON (a chart): its parameters name it,
``{"_files": {"photo": "stats_chart:7"}}``, and the sender asks the source registered for
that prefix (``on_file``) for the bytes just before the call.

A row may go to a forum topic (``message_thread_id`` in its parameters). When Telegram
answers that the topic is closed or deleted, that chat's pending rows for the topic are sent
to the general topic instead, and the ``on_topic_gone`` hooks learn of it in the same
transaction (``bot.services.topics`` forgets the topic and tells the owners once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import Bot, InputFile
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.clock import Clock
from bot.config import OutboxSettings
from bot.domain.core import OutboxMessage
from bot.ratelimit import SendLimiter, flood_waits_of, retry_seconds
from bot.views.common import OutMessage
from storage.chats import ChatRepository
from storage.db import Database, Transaction
from storage.outbox import OutboxRepository
from storage.users import UserRepository

log = logging.getLogger(__name__)

# Chats looked at in one pass. Telegram takes 30 messages a second, so a pass can send
# only a few; reading every pending chat each time would cost more than the sending.
HEADS_PER_PASS = 200


@dataclass(frozen=True)
class Delivery:
    """How one outbox row ended: sent, or failed for good with a reason."""

    row: OutboxMessage
    ok: bool
    message_id: int | None = None
    error: str | None = None
    chat_gone: bool = False


# Runs in the transaction that settles the row: it writes through ``tx`` only.
SettledHook = Callable[[Transaction, Delivery], Awaitable[None]]
# Reads a referenced file: "prefix:key" -> (bytes, file name); LookupError if there is none.
FileSource = Callable[[str], Awaitable[tuple[bytes, str]]]
FILES = "_files"  # the parameter that names a row's files: {"photo": "prefix:key"}
ORDINARY = 0
URGENT = 10  # an emergency: ahead of every ordinary row, and never held by quiet hours
THREAD = "message_thread_id"  # the forum topic a row goes to
# Runs in the transaction that sends a gone topic's rows to the general topic:
# (tx, chat_id, thread_id, Telegram's words).
TopicGoneHook = Callable[[Transaction, int, int, str], Awaitable[None]]
# What Telegram answers for a topic that is deleted (or never was) and for a closed one.
TOPIC_GONE = ("message thread not found", "topic_closed", "topic_deleted")


class Outbox:
    """Queue messages in the caller's transaction; the sender is woken on commit."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.repo = OutboxRepository(db)
        self.clock = clock
        self.wakeup = asyncio.Event()

    async def queue(
        self,
        tx: Transaction,
        chat_id: int,
        text: str,
        *,
        reply_markup: dict[str, Any] | None = None,
        reply_to: int | None = None,
        kind: str = "",
        ref: str | None = None,
        dedupe_key: str | None = None,
        batch: str | None = None,
        priority: int = ORDINARY,
        **extra: Any,
    ) -> int | None:
        """Queue an HTML text message; returns the row id (None if ``dedupe_key`` was seen)."""
        params: dict[str, Any] = {"text": text, "parse_mode": "HTML", **extra}
        if reply_markup is not None:
            params["reply_markup"] = reply_markup
        return await self.queue_call(
            tx,
            chat_id,
            "sendMessage",
            _replying(params, reply_to),
            kind=kind,
            ref=ref,
            dedupe_key=dedupe_key,
            batch=batch,
            priority=priority,
        )

    async def queue_message(
        self,
        tx: Transaction,
        chat_id: int,
        message: OutMessage,
        *,
        reply_to: int | None = None,
        kind: str = "",
        ref: str | None = None,
        dedupe_key: str | None = None,
        batch: str | None = None,
        priority: int = ORDINARY,
    ) -> int | None:
        """Queue a view's message (text or photo with its buttons); returns the row id."""
        return await self.queue_call(
            tx,
            chat_id,
            message.method,
            _replying(message.send_params(), reply_to),
            kind=kind,
            ref=ref,
            dedupe_key=dedupe_key,
            batch=batch,
            priority=priority,
        )

    async def queue_edit(
        self,
        tx: Transaction,
        chat_id: int,
        message_id: int,
        message: OutMessage,
        *,
        kind: str = "",
        ref: str | None = None,
        dedupe_key: str | None = None,
    ) -> int | None:
        """Queue an edit of a sent message so that it shows ``message``."""
        return await self.queue_call(
            tx,
            chat_id,
            message.edit_method,
            message.edit_params(message_id),
            kind=kind,
            ref=ref,
            dedupe_key=dedupe_key,
        )

    async def queue_call(
        self,
        tx: Transaction,
        chat_id: int,
        method: str,
        params: dict[str, Any],
        *,
        kind: str = "",
        ref: str | None = None,
        dedupe_key: str | None = None,
        batch: str | None = None,
        files: dict[str, str] | None = None,
        priority: int = ORDINARY,
    ) -> int | None:
        """Queue any Bot API call addressed to a chat (an edit, a pin, a photo by file id).

        ``files`` names uploads by reference, {"photo": "prefix:key"}: a source registered
        with ``OutboxSender.on_file`` reads them when the row is sent. A higher ``priority``
        goes ahead of every lower row still waiting, in its chat and overall.
        """
        if files:
            params = {**params, FILES: files}
        row_id = await self.repo.add(
            tx,
            chat_id,
            params,
            self.clock.now(),
            method=method,
            kind=kind,
            ref=ref,
            dedupe_key=dedupe_key,
            batch=batch,
            priority=priority,
        )
        tx.after_commit(self.wakeup.set)
        return row_id


def topic_gone(error: str) -> bool:
    """Whether Telegram's answer says the forum topic of a send is closed or deleted."""
    text = error.lower()
    return any(words in text for words in TOPIC_GONE)


def _replying(params: dict[str, Any], reply_to: int | None) -> dict[str, Any]:
    """A send's parameters, as a reply to ``reply_to`` when given (sent anyway if that
    message is gone)."""
    if reply_to is None:
        return params
    return {**params, "reply_parameters": {"message_id": reply_to,
                                           "allow_sending_without_reply": True}}


class OutboxSender:
    """The task that drains the outbox through the Bot API."""

    def __init__(
        self,
        db: Database,
        bot: Bot,
        outbox: Outbox,
        settings: OutboxSettings,
        clock: Clock,
        *,
        migrate_chat: Callable[[int, int], Awaitable[None]],
        concurrency: int = 8,
    ) -> None:
        self.repo = outbox.repo
        self.migrate_chat = migrate_chat  # Community.migrate_chat: rows and caches follow
        self.chats = ChatRepository(db)
        self.users = UserRepository(db)
        self.db = db
        self.bot = bot
        self.outbox = outbox
        self.settings = settings
        self.clock = clock
        self.limiter = SendLimiter(
            settings.global_per_second,
            settings.per_chat_per_second,
            settings.per_group_per_minute,
            floods=flood_waits_of(bot),
        )
        self._slots = asyncio.Semaphore(concurrency)
        self._in_flight: set[int] = set()  # one message per chat at a time keeps their order
        self._tasks: set[asyncio.Task[None]] = set()
        self._hooks: dict[str, list[SettledHook]] = {}
        self._files: dict[str, FileSource] = {}
        self._topic_hooks: list[TopicGoneHook] = []
        self._stopping = False
        self._running = False
        self._settled_since_read: set[int] = set()
        self._held_back = False  # the last pass left rows that a finished send may free
        self._pass = asyncio.Lock()

    def on_settled(self, kind: str, hook: SettledHook) -> None:
        """Run ``hook`` when a row of this kind is sent or fails for good, in the transaction
        that settles the row (a hook that raises is undone alone, and logged)."""
        self._hooks.setdefault(kind, []).append(hook)

    def on_file(self, prefix: str, source: FileSource) -> None:
        """Let rows name files "prefix:key" that ``source`` reads when the row is sent."""
        self._files[prefix] = source

    def on_topic_gone(self, hook: TopicGoneHook) -> None:
        """Run ``hook`` when a forum topic a row went to is closed or deleted."""
        self._topic_hooks.append(hook)

    async def run(self) -> None:
        """Send until stopped."""
        self._running = True
        try:
            while not self._stopping:
                self.outbox.wakeup.clear()  # before looking, so that no wake-up is lost
                wait = await self.send_due()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.outbox.wakeup.wait(), timeout=wait)
        finally:
            self._running = False

    async def send_due(self) -> float:
        """Dispatch every row that may go now; return how long to wait before looking again."""
        async with self._pass:  # one pass at a time reads the heads and dispatches
            return await self._dispatch_pass()

    async def _dispatch_pass(self) -> float:
        self.limiter.count_held(len(self._in_flight))
        gate = self.limiter.global_delay()
        if gate > 0:  # nothing may go yet: spare the read
            return gate
        next_look = 5.0
        # A send that settles while the heads are read may still show as pending in them;
        # remembering what settled since then keeps it from going out twice.
        self._settled_since_read.clear()
        self._held_back = False
        for row in await self.repo.heads(limit=HEADS_PER_PASS):
            gate = self.limiter.global_delay()
            if self._stopping or gate > 0:  # nothing more may go now: look again then
                next_look = min(next_look, gate) if gate > 0 else next_look
                break
            delay = self._hold_back(row)
            if delay is None:
                await self._slots.acquire()  # then decide again, on fresh facts
                delay = self._hold_back(row)
                if delay is not None:
                    self._slots.release()
            if delay is not None:
                next_look = min(next_look, delay) if delay > 0 else next_look
                self._held_back = self._held_back or delay <= 0
                continue
            self._held_back = self._held_back or row.queued > 1
            self.limiter.record(row.chat_id)
            self._in_flight.add(row.chat_id)
            task = asyncio.create_task(self._deliver(row))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return max(0.005, next_look)

    def _hold_back(self, row: OutboxMessage) -> float | None:
        """None if the row may go now; else how long it waits (0: busy or already settled)."""
        if row.chat_id in self._in_flight or row.id in self._settled_since_read:
            return 0.0
        delay = max(row.not_before - self.clock.now(), self.limiter.delay(row.chat_id))
        return delay if delay > 0 else None

    async def drain(self, timeout: float = 30.0) -> None:
        """Send until nothing is pending (for tests, the CLI and shutdown)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if self._running:  # the loop sends; only one may read the heads at a time
                if await self.repo.count_pending() == 0 and not self._tasks:
                    return
                await asyncio.sleep(0.02)
                continue
            wait = await self.send_due()
            if self._tasks:
                await asyncio.wait(
                    set(self._tasks), timeout=min(wait, 0.5), return_when=asyncio.FIRST_COMPLETED
                )
            elif await self.repo.count_pending() == 0:
                return
            else:
                await asyncio.sleep(min(wait, 0.5))
        raise TimeoutError("the outbox did not drain in time")

    async def stop(self) -> None:
        """Start no more sends, and let the ones under way finish and settle their rows.

        A send that reached Telegram must be marked sent before the database closes,
        or it would go out again after the restart.
        """
        self._stopping = True
        self.outbox.wakeup.set()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=30)

    async def _deliver(self, row: OutboxMessage) -> None:
        """Send one row and settle it."""
        sent = False
        try:
            sent = await self._attempt(row)
        except Exception:  # never let one row kill the sender
            log.exception("outbox row %s: unexpected error", row.id)
            await self.repo.retry_later(row.id, "internal error", self.clock.now() + 30)
        finally:
            self._settled_since_read.add(row.id)
            self._in_flight.discard(row.chat_id)
            self._slots.release()
            if self._held_back or not sent:  # else nothing new can be due: no need to look
                self.outbox.wakeup.set()

    async def _attempt(self, row: OutboxMessage) -> bool:
        """Send one row and settle it; True if it was delivered."""
        params = await self._with_files(row)
        if params is None:
            return False
        try:
            # Bot API method names are case-insensitive; the lower-case name keeps PTB from
            # warning that a typed method exists (the row holds plain JSON parameters).
            result = await self.bot.do_api_request(row.method.lower(), api_kwargs=params)
        except RetryAfter as error:
            seconds = retry_seconds(error.retry_after)
            self.limiter.block(seconds, row.chat_id)
            await self.repo.postpone(row.id, self.clock.now() + seconds)
            log.warning(
                "outbox row %s to %s: flood limit, retry in %ss", row.id, row.chat_id, seconds
            )
        except ChatMigrated as error:
            await self._follow_migration(row, error.new_chat_id)
        except Forbidden as error:
            await self._chat_gone(row, str(error))
        except BadRequest as error:
            await self._bad_request(row, error)
        except (NetworkError, TelegramError) as error:
            await self._retry(row, str(error) or type(error).__name__)
        else:
            message_id = result.get("message_id") if isinstance(result, dict) else None
            await self._sent(row, message_id)
            log.debug(
                "sent %s to chat %s (outbox %s, %s)",
                row.method,
                row.chat_id,
                row.id,
                row.kind or "message",
            )
            return True
        return False

    async def _with_files(self, row: OutboxMessage) -> dict[str, Any] | None:
        """The row's parameters with its named files read; None if reading settled the row
        (a file that does not exist fails it, any other error retries it later)."""
        params = row.params
        for field, ref in (params.pop(FILES, None) or {}).items():
            source = self._files.get(str(ref).split(":", 1)[0])
            try:
                if source is None:
                    raise LookupError(ref)
                content, name = await source(str(ref))
            except LookupError:
                await self._fail(row, f"no file {ref}")
                return None
            except Exception as error:
                log.exception("outbox row %s: could not read the file %s", row.id, ref)
                await self._retry(row, f"file {ref}: {error!r}")
                return None
            params[field] = InputFile(content, filename=name)
        return params

    async def _retry(self, row: OutboxMessage, error: str) -> None:
        if row.attempts + 1 >= self.settings.max_attempts:
            await self._fail(row, f"gave up after {row.attempts + 1} attempts: {error}")
            return
        backoff = min(300.0, 2.0**row.attempts) * random.uniform(0.5, 1.0)
        await self.repo.retry_later(row.id, error, self.clock.now() + backoff)
        log.warning(
            "outbox row %s to %s failed (%s); retry in %.1fs", row.id, row.chat_id, error, backoff
        )

    async def _bad_request(self, row: OutboxMessage, error: BadRequest) -> None:
        text = str(error)
        if "not modified" in text.lower():  # an edit that was already applied
            await self._sent(row, None)
        elif "chat not found" in text.lower():
            await self._chat_gone(row, text)
        elif row.params.get(THREAD) is not None and topic_gone(text):
            await self._leave_topic(row, int(row.params[THREAD]), text)
        else:
            await self._fail(row, text)

    async def _chat_gone(self, row: OutboxMessage, error: str) -> None:
        """The bot cannot write there any more: fail the row, and the rest for that group."""
        now = self.clock.now()

        async def settle(tx: Transaction) -> None:
            if row.chat_id < 0:
                await self.chats.set_active(tx, row.chat_id, False, now)
                await self.repo.fail_pending_for_chat(row.chat_id, error, now, tx)
            else:
                await self.users.set_started(tx, row.chat_id, False, now)
            await self.repo.mark_failed(row.id, error, now, tx)

        log.warning("outbox row %s to %s failed for good: %s", row.id, row.chat_id, error)
        await self._settle(Delivery(row, ok=False, error=error, chat_gone=True), settle)

    async def _leave_topic(self, row: OutboxMessage, thread_id: int, error: str) -> None:
        """The row's topic is closed or deleted: it and the chat's other rows for that topic
        go to the general topic, now."""
        now = self.clock.now()
        log.warning("outbox row %s to %s: topic %s is gone (%s); sending to the general topic",
                    row.id, row.chat_id, thread_id, error)

        async def leave() -> None:
            async with self.db.transaction() as tx:
                await self.repo.leave_thread(tx, row.chat_id, thread_id, now)
                for hook in self._topic_hooks:
                    try:
                        async with tx.savepoint():
                            await hook(tx, row.chat_id, thread_id, error)
                    except Exception:
                        log.exception("topic hook for chat %s failed", row.chat_id)

        await self.db.space.retry(leave)

    async def _follow_migration(self, row: OutboxMessage, new_chat_id: int) -> None:
        await self.migrate_chat(row.chat_id, new_chat_id)
        log.info("chat %s moved to supergroup %s; outbox follows", row.chat_id, new_chat_id)

    async def _sent(self, row: OutboxMessage, message_id: int | None) -> None:
        now = self.clock.now()

        async def settle(tx: Transaction) -> None:
            await self.repo.mark_sent(message_id, row.id, now, tx)

        await self._settle(Delivery(row, ok=True, message_id=message_id), settle)

    async def _fail(self, row: OutboxMessage, error: str) -> None:
        now = self.clock.now()

        async def settle(tx: Transaction) -> None:
            await self.repo.mark_failed(row.id, error, now, tx)

        log.warning("outbox row %s to %s failed for good: %s", row.id, row.chat_id, error)
        await self._settle(Delivery(row, ok=False, error=error), settle)

    async def _settle(
        self, delivery: Delivery, mark: Callable[[Transaction], Awaitable[None]]
    ) -> None:
        """Mark the row and run its hooks in one transaction: both happen, or neither.
        On a full disk, again with backoff until there is space."""
        await self.db.space.retry(lambda: self._settle_once(delivery, mark))

    async def _settle_once(
        self, delivery: Delivery, mark: Callable[[Transaction], Awaitable[None]]
    ) -> None:
        async with self.db.transaction() as tx:
            await mark(tx)
            for hook in self._hooks.get(delivery.row.kind, []):
                try:
                    async with tx.savepoint():
                        await hook(tx, delivery)
                except Exception:
                    log.exception("outbox hook for %s failed", delivery.row.kind)
