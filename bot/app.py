"""The application factory: every handler, job kind and service is wired here, in one place."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from telegram import Bot
from telegram.ext import Application, ContextTypes

from bot.clock import Clock
from bot.commands import MenuCommand
from bot.config import Settings
from bot.context import BotData, LinliContext, Services
from bot.outbox import Outbox, OutboxSender
from bot.ratelimit import LoggingRateLimiter
from bot.scheduler import Scheduler
from bot.services.community import Community
from bot.services.events import EventService
from bot.services.lockup import LockupService
from bot.services.notices import NoticeService
from bot.services.people import People
from bot.services.points import PointsService
from bot.services.requests import RequestService
from bot.services.roster import RosterService
from bot.services.stats import StatsService
from bot.transport import AiohttpRequest
from handlers import (
    errors,
    events,
    groups,
    lockup,
    notices,
    points,
    requests,
    roster,
    start,
    stats,
    tracking,
)
from storage.chats import ChatRepository
from storage.db import Database
from storage.inbox import InboxRepository
from storage.migrate import open_migrated
from storage.users import UserRepository

LinliApplication = Application[Any, LinliContext, Any, Any, BotData, Any]

# Feature modules, in the order their handlers are tried (handler group 0). Each exports
# get_handlers(); it may export MENU (its commands for Telegram's menus) and
# register(services) (the job kinds and outbox hooks it needs).
FEATURES: list[ModuleType] = [
    start, groups, notices, requests, roster, lockup, points, events, stats,
]


def build_application(settings: Settings) -> LinliApplication:
    """Build the PTB Application with its handlers; ``bot.runtime`` opens the services.

    Handler groups:
      -1  tracking: records the user and chat, picks the language; never answers.
       0  the features' commands, buttons and conversations.
       1  follow-ups (a feature's optional get_followups()): handlers for a person's next
          plain message in private, such as the note after a /lockup checklist. They see
          the message whatever group 0 did with it, so no feature can swallow another's.
    Errors from any of them go to handlers.errors.on_error.
    """
    application: LinliApplication = (
        Application.builder()
        .token(settings.telegram.token.get_secret_value())
        .base_url(settings.telegram.api_url)
        .base_file_url(_file_url(settings.telegram.api_url))
        .context_types(ContextTypes(context=LinliContext, bot_data=BotData))
        .rate_limiter(LoggingRateLimiter(max_retries=3))
        .request(AiohttpRequest(timeout=settings.telegram.request_timeout))
        .get_updates_request(AiohttpRequest(timeout=settings.telegram.request_timeout, pool_size=2))
        .updater(None)
        .build()
    )
    application.add_handlers(tracking.get_handlers(), group=-1)
    for feature in FEATURES:
        application.add_handlers(feature.get_handlers(), group=0)
        application.add_handlers(getattr(feature, "get_followups", list)(), group=1)
    application.add_handler(errors.stale_buttons(), group=0)  # after every feature's buttons
    application.add_error_handler(errors.on_error)
    return application


def menu() -> list[MenuCommand]:
    """The commands of every feature, in the order of FEATURES."""
    return [item for feature in FEATURES for item in getattr(feature, "MENU", [])]


async def open_services(
    settings: Settings, clock: Clock, application: LinliApplication
) -> Services:
    """Open and migrate the database, and build the services around it."""
    db = await open_migrated(settings.database.path)
    return build_services(settings, clock, db, application.bot)


def build_services(settings: Settings, clock: Clock, db: Database, bot: Bot) -> Services:
    """The services around an open database; every feature registers its jobs and hooks.

    Unit tests call it with a bot that is never used, to run the real services.
    """
    outbox = Outbox(db, clock)
    community = Community(db, clock, settings)
    services = Services(
        settings=settings,
        db=db,
        clock=clock,
        outbox=outbox,
        scheduler=Scheduler(db, clock, settings.scheduling.grace_seconds),
        sender=OutboxSender(
            db, bot, outbox, settings.outbox, clock, migrate_chat=community.migrate_chat
        ),
        users=UserRepository(db),
        chats=ChatRepository(db),
        inbox=InboxRepository(db),
        people=People(db, clock, settings.community.language),
        community=community,
        menu=menu(),
    )
    services.notices = NoticeService(services)
    services.requests = RequestService(services)
    services.roster = RosterService(services)
    services.lockup = LockupService(services)
    services.points = PointsService(services)
    services.events = EventService(services)
    services.stats = StatsService(services)
    for feature in FEATURES:
        register = getattr(feature, "register", None)
        if register is not None:
            register(services)
    return services


async def start_features(services: Services) -> None:
    """Run each feature's optional ``on_start(services)`` once the bot runs: work that must
    happen at every start, such as planning a job that should always exist."""
    for feature in FEATURES:
        on_start = getattr(feature, "on_start", None)
        if on_start is not None:
            await on_start(services)


def _file_url(api_url: str) -> str:
    """The file download URL that goes with a Bot API URL (``…/bot`` → ``…/file/bot``)."""
    base = api_url.rstrip("/")
    if base.endswith("/bot"):
        return base[: -len("/bot")] + "/file/bot"
    return base + "/file/bot"
