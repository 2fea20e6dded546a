"""The running bot: Application, inbox poller and worker, outbox sender, scheduler tick.

PTB's ``run_polling`` is not used: its Updater confirms updates before they are
handled (see ``bot.inbox``). This module starts and stops the same parts in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import signal
from collections.abc import Coroutine
from typing import Any

from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.app import LinliApplication, build_application, open_services, start_features
from bot.clock import Clock, SystemClock
from bot.commands import register_menus
from bot.config import Settings, redact_url
from bot.context import Services
from bot.heartbeat import BEAT_SECONDS, beat
from bot.inbox import InboxPoller, InboxWorker, Intake
from bot.status import StatusContext, status_json
from bot.views.help import shared_menus
from bot.webhook import WebhookServer, webhook_secret
from storage.dead_letters import DeadLetterRepository
from storage.meta import MetaRepository

log = logging.getLogger(__name__)

INBOX_KEEP_SECONDS = 7 * 24 * 3600


class Runtime:
    """Starts, runs and stops one bot process."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.application: LinliApplication = build_application(settings)
        self.wakeup = asyncio.Event()
        self.worker: InboxWorker | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._webhook: WebhookServer | None = None
        self._stopped = asyncio.Event()

    @property
    def services(self) -> Services:
        """The services of the running bot."""
        services = self.application.bot_data.services
        if services is None:
            raise RuntimeError("the bot is not started")
        return services

    async def start(self) -> None:
        """Open the database, connect to the Bot API, and start every loop."""
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        app = self.application
        services = await open_services(self.settings, self.clock, app)
        app.bot_data.services = services
        await beat(MetaRepository(services.db), self.clock.now())
        await start_features(services)
        await self._connect()
        await app.start()
        log.info("connected as @%s to %s%s", app.bot.username,
                 _host(self.settings.telegram.api_url), _through(self.settings))
        try:
            await register_menus(
                app.bot, shared_menus(services.menu), self.settings.community.language
            )
        except TelegramError as error:
            log.warning("could not register the command menus: %s", error)
        self.worker = InboxWorker(
            app, services.inbox, DeadLetterRepository(services.db), self.clock, self.wakeup
        )
        await self.worker.count_attempts()
        self._spawn(self.worker.run(), "inbox worker")
        self._spawn(services.sender.run(), "outbox sender")
        await self._start_intake(services)
        if app.job_queue is not None:
            services.scheduler.start(app.job_queue, self.settings.scheduling.tick_seconds)
            app.job_queue.run_repeating(self._prune_inbox, interval=3600, first=60,
                                        name="inbox prune")
            app.job_queue.run_repeating(self._beat, interval=BEAT_SECONDS, first=BEAT_SECONDS,
                                        name="heartbeat")
        log.info("Linli is running (%s)", self.settings.telegram.mode)

    async def _connect(self) -> None:
        """Initialize the Application (getMe), waiting out network trouble; a bad token is fatal."""
        for attempt in itertools.count():
            try:
                await self.application.initialize()
                return
            except InvalidToken:
                raise
            except NetworkError as error:
                pause = min(30.0, 0.5 * 2**attempt)
                log.warning("cannot reach the Bot API (%s); again in %.1fs", error, pause)
                await asyncio.sleep(pause)

    async def stop(self) -> None:
        """Stop taking updates, finish what is under way, and close the database."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        app = self.application
        if self._webhook is not None:
            await self._webhook.stop()
        for task in self._tasks:
            if task.get_name() == "inbox poller":
                task.cancel()
        if self.worker is not None:
            await self.worker.stop()
        services = app.bot_data.services
        if services is not None:
            await services.sender.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if app.running:
            await app.stop()
        with contextlib.suppress(RuntimeError):  # never initialized
            await app.shutdown()
        await app.bot.shutdown()  # its HTTP sessions, opened even when getMe never answered
        if services is not None:
            await services.backups.idle()
            with contextlib.suppress(Exception):  # a full disk must not hold up the stop
                await asyncio.wait_for(
                    beat(MetaRepository(services.db), self.clock.now(), stopped=True), 5
                )
            await services.db.close()
            app.bot_data.services = None
        log.info("Linli stopped")

    async def run_until_signal(self) -> None:
        """Run until Ctrl-C or SIGTERM (or a fatal error in a loop), then stop cleanly.

        A signal during the start (the Bot API out of reach, ``getMe`` retried with
        backoff) cancels the start, which stops what it had opened.
        """
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        signalled = asyncio.create_task(stop.wait())
        try:
            starting = asyncio.create_task(self.start())
            await asyncio.wait([starting, signalled], return_when=asyncio.FIRST_COMPLETED)
            if not starting.done():
                log.info("stopping before the start was complete")
                starting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await starting
                return
            starting.result()
            watchers = [signalled, *self._tasks]
            done, _ = await asyncio.wait(watchers, return_when=asyncio.FIRST_COMPLETED)
            failed = [task for task in done if task is not signalled and task.exception()]
            await self.stop()
            if failed:
                raise failed[0].exception()  # type: ignore[misc]
        finally:
            signalled.cancel()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until the stored updates are handled and the outbox is empty (tests)."""
        if self.worker is not None:
            await self.worker.idle(timeout)
        await self.services.sender.drain(timeout)

    async def _start_intake(self, services: Services) -> None:
        telegram = self.settings.telegram
        intake = Intake(
            self.application.bot,
            services.inbox,
            DeadLetterRepository(services.db),
            self.clock,
            self.wakeup,
            fresh=self.worker.fresh if self.worker else None,
        )
        if telegram.mode == "polling":
            poller = InboxPoller(intake, timeout=telegram.poll_timeout)
            self._spawn(poller.run(), "inbox poller")
            return
        secret = await webhook_secret(telegram.webhook, MetaRepository(services.db))
        self._webhook = WebhookServer(intake, telegram.webhook, secret, health=self._health)
        await self._webhook.start()
        await self._webhook.register(self.application.bot)

    async def _health(self) -> dict[str, object]:
        """What `linli status` would print, for /healthz."""
        return await status_json(StatusContext(self.services.db, self.settings, self.clock.now()))

    async def _beat(self, _context: object) -> None:
        """Tell `linli status` and `linli restore` that this bot is alive."""
        await beat(MetaRepository(self.services.db), self.clock.now())

    async def _prune_inbox(self, _context: object) -> None:
        """Forget handled updates after a week (Telegram redelivers for a day at most)."""
        pruned = await self.services.inbox.prune(self.clock.now() - INBOX_KEEP_SECONDS)
        if pruned:
            log.info("pruned %d handled updates from the inbox", pruned)

    def _spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coroutine, name=name)
        task.add_done_callback(_log_crash)
        self._tasks.append(task)


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("%s stopped: %r", task.get_name(), task.exception())


def _through(settings: Settings) -> str:
    """Where the log says the Bot API calls go through: the proxy, without its password."""
    proxy = settings.telegram.proxy_url
    return f" through the proxy {redact_url(proxy)}" if proxy else ""


def _host(url: str) -> str:
    """The server part of a URL, for the log (the token is never part of it)."""
    return url.split("/bot")[0]
