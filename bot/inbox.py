"""Durable update intake: store every update before Telegram is told it arrived.

PTB's Updater confirms a batch (the getUpdates offset) on its next poll, whether
or not the handlers ran; a crash in between loses the batch. Here the poller
stores each raw update in the inbox table first and only then asks for the next
batch, and the worker hands stored updates to the Application, marking each one
handled. After a restart the worker picks up what was stored but not handled; a
redelivered update id is ignored at the door.

An update that cannot be stored or parsed (text with lone surrogates, a shape PTB
refuses) is set aside in the dead-letter table, as it came, and confirmed like the
others: one bad update must never stop the intake.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.clock import Clock
from bot.domain.core import InboxUpdate
from bot.ratelimit import retry_seconds
from storage.dead_letters import DeadLetterRepository
from storage.inbox import InboxRepository

log = logging.getLogger(__name__)

# message_reaction: a 👍 on a notice counts as a confirmation (sent only to group admins);
# chat_join_request: someone asks to join through an invite link with approval.
ALLOWED_UPDATES = [
    "message", "edited_message", "callback_query", "my_chat_member", "chat_member",
    "message_reaction", "chat_join_request",
]
MAX_ATTEMPTS = 3  # an update that brought the process down this often is set aside
PENDING_BATCH = 500  # stored updates read at a time (more than are ever in hand at once)
MAX_UPDATE_ID = 2**62  # beyond any id Telegram gives, and within SQLite's integers


@dataclass(frozen=True)
class Admitted:
    """An update that can be stored and handled."""

    update_id: int
    payload: str
    update: Update


@dataclass(frozen=True)
class Rejected:
    """An update to set aside, with the reason."""

    update_id: int | None
    payload: bytes
    error: str


def admit(item: object, bot: Bot) -> Admitted | Rejected:
    """Check that one raw update (decoded JSON) can be stored and parsed."""
    update_id = update_id_of(item)
    try:
        if update_id is None:
            raise ValueError("no usable update_id")
        payload = json.dumps(item, ensure_ascii=False)
        payload.encode()  # SQLite takes no text with lone surrogates ("\udcff")
        update = Update.de_json(item, bot)  # type: ignore[arg-type]  # a dict: it has an id
        _lane_key(update)
    except Exception as error:  # whatever PTB or the encoder refuses
        return Rejected(update_id, raw_json(item), reason(error))
    return Admitted(update_id, payload, update)


def update_id_of(item: object) -> int | None:
    """The update's id, if it has one the offset can move past."""
    if not isinstance(item, dict):
        return None
    value = item.get("update_id")
    if type(value) is not int or not 0 <= value < MAX_UPDATE_ID:
        return None
    return value


def raw_json(item: object) -> bytes:
    """The update as JSON bytes (surrogates escaped), to keep it as it came."""
    try:
        return json.dumps(item).encode()
    except (ValueError, TypeError, RecursionError):
        return repr(item).encode("utf-8", "backslashreplace")


def reason(error: BaseException) -> str:
    """The error in one short line, for the dead letter and the log."""
    return f"{type(error).__name__}: {error}"[:500]


class Intake:
    """Takes raw updates (from getUpdates or the webhook) into the inbox, and sets aside
    the ones that cannot be stored or parsed."""

    def __init__(
        self,
        bot: Bot,
        inbox: InboxRepository,
        dead_letters: DeadLetterRepository,
        clock: Clock,
        wakeup: asyncio.Event,
        fresh: dict[int, Update] | None = None,
    ) -> None:
        self.bot = bot
        self.inbox = inbox
        self.dead_letters = dead_letters
        self.clock = clock
        self.wakeup = wakeup
        self.fresh = {} if fresh is None else fresh

    async def take(self, items: Sequence[object], source: str) -> int | None:
        """Store a batch and wake the worker; returns the highest update id in it, bad
        ones included (None when no item has one)."""
        admitted: list[Admitted] = []
        highest: int | None = None
        for item in items:
            verdict = admit(item, self.bot)
            if isinstance(verdict, Admitted):
                admitted.append(verdict)
            else:
                await self.set_aside(verdict.update_id, source, verdict.payload, verdict.error)
            if verdict.update_id is not None:
                highest = max(verdict.update_id, highest or 0)
        if admitted:
            rows = [(good.update_id, good.payload) for good in admitted]
            if await self.inbox.store(rows, self.clock.now()):
                for good in admitted:  # spares the worker parsing them again
                    self.fresh[good.update_id] = good.update
                self.wakeup.set()
        return highest

    async def set_aside(
        self, update_id: int | None, source: str, payload: bytes, error: str
    ) -> None:
        """Keep a bad update in the dead letters, and say so once."""
        if await self.dead_letters.add(update_id, source, payload, error, self.clock.now()):
            shown = "without an id" if update_id is None else update_id
            log.error("update %s from %s set aside: %s", shown, source, error)


class InboxPoller:
    """Long-polls getUpdates and stores each batch before confirming it."""

    def __init__(self, intake: Intake, timeout: int = 30) -> None:
        self.intake = intake
        self.bot = intake.bot
        self.timeout = timeout

    async def run(self) -> None:
        """Poll until cancelled; an invalid token ends the bot."""
        last = await self.intake.inbox.last_update_id()
        offset = None if last is None else last + 1
        failures = 0
        webhook_deleted = False
        while True:
            try:
                if not webhook_deleted:  # polling and a webhook exclude each other
                    webhook_deleted = await self.bot.delete_webhook()
                items = await self.fetch(offset)
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
            if not items:
                continue
            highest = await self.intake.take(items, "getUpdates")
            if highest is None:  # nothing to confirm: the same batch would come straight back
                failures += 1
                pause = min(30.0, 0.5 * 2**failures)
                log.warning("getUpdates returned updates without ids; again in %.1fs", pause)
                await asyncio.sleep(pause)
                continue
            offset = highest + 1

    async def fetch(self, offset: int | None) -> list[object]:
        """One getUpdates call, its updates left as raw JSON.

        ``Bot.get_updates`` parses the whole batch, so one update PTB refuses would fail
        every poll; its own transport (``_post``, the call it makes) keeps the same
        request object, timeouts and error mapping.
        """
        result = await self.bot._post(
            "getUpdates",
            {"offset": offset, "timeout": self.timeout, "allowed_updates": ALLOWED_UPDATES},
            read_timeout=self.timeout + 10,
        )
        if not isinstance(result, list):
            raise TelegramError(f"getUpdates returned {type(result).__name__}, not a list")
        return result


class InboxWorker:
    """Hands stored updates to the Application: in order within a chat, chats side by side."""

    def __init__(
        self,
        application: Application,
        inbox: InboxRepository,
        dead_letters: DeadLetterRepository,
        clock: Clock,
        wakeup: asyncio.Event,
        concurrency: int = 16,
    ) -> None:
        self.application = application
        self.inbox = inbox
        self.dead_letters = dead_letters
        self.clock = clock
        self.wakeup = wakeup
        self._slots = asyncio.Semaphore(concurrency)
        self._dispatched = 0  # the highest update id handed to a lane in this process
        self.fresh: dict[int, Update] = {}  # updates parsed already, not yet dispatched
        self._lanes: dict[object, deque[tuple[InboxUpdate, Update]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def count_attempts(self) -> None:
        """At start, before anything new is stored: count one more attempt for the update
        each chat was on when the process stopped. A chat's updates are handled in order,
        so only its oldest pending one can have been in hand; those behind it were waiting
        and are not counted. An update that keeps bringing the process down is then set
        aside instead of being retried forever."""
        heads: dict[object, int] = {}
        for row in await self.inbox.pending(limit=PENDING_BATCH):
            update = await self._parse(row)
            if update is None:
                continue
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
                update = await self._parse(row)
            if update is not None:
                self._enqueue(row, update)
        return len(rows)

    async def _parse(self, row: InboxUpdate) -> Update | None:
        """The stored update as PTB's; one it no longer parses (stored by an older Linli or
        PTB) is set aside instead of stopping the worker."""
        try:
            update = Update.de_json(json.loads(row.payload), self.application.bot)
            hash(_lane_key(update))
        except Exception as error:
            log.error("stored update %s set aside: %s", row.update_id, reason(error))
            await self.dead_letters.add(
                row.update_id, "inbox", row.payload.encode(), reason(error), self.clock.now()
            )
            await self.inbox.mark(row.update_id, "failed", self.clock.now(), reason(error))
            return None
        return update

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

    async def _run_lane(self, key: object, lane: deque[tuple[InboxUpdate, Update]]) -> None:
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
    try:
        return _describe(update)
    except (AttributeError, TypeError):  # a shape PTB took leniently (a member without status)
        return "update"


def _describe(update: Update) -> str:
    message = update.effective_message
    if update.callback_query:
        data = update.callback_query.data
        return f"button {data[:40] if isinstance(data, str) else ''}"
    if message and isinstance(message.text, str) and message.text.startswith("/"):
        return message.text.split()[0][:40]
    if update.my_chat_member:
        return f"bot is now {update.my_chat_member.new_chat_member.status}"
    if update.chat_member:
        return f"member is now {update.chat_member.new_chat_member.status}"
    if message:
        return "message"
    return "update"


def _lane_key(update: Update) -> object:
    if update.effective_chat:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user else 0
