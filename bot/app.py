"""The application factory: every handler, job kind and service is wired here, in one place."""

from __future__ import annotations

from typing import Any

from telegram import Bot
from telegram.ext import Application, ContextTypes

from bot.cards import LiveCards
from bot.clock import Clock
from bot.commands import MenuCommand
from bot.config import Settings
from bot.context import BotData, LinliContext, Services
from bot.features import Feature, Wiring
from bot.outbox import Outbox, OutboxSender
from bot.ratelimit import LoggingRateLimiter
from bot.scheduler import Scheduler
from bot.services.backups import Backups
from bot.services.bookings import BookingService
from bot.services.care import CareService
from bot.services.community import Community
from bot.services.emergency import EmergencyService
from bot.services.events import EventService
from bot.services.flood import FloodGuard
from bot.services.hours import HoursService
from bot.services.lockup import LockupService
from bot.services.notices import NoticeService
from bot.services.nudge import NudgeService
from bot.services.outages import OutageService
from bot.services.people import People
from bot.services.points import PointsService
from bot.services.prompts import Prompts
from bot.services.quiet import QuietHoursService
from bot.services.recurring import RecurringNotices
from bot.services.relay import RelayService
from bot.services.requests import RequestService, UnfinishedRequestsReader
from bot.services.roster import RosterService
from bot.services.stats import StatsService
from bot.services.topics import TopicsService
from bot.services.upkeep import Upkeep
from bot.services.welcome import WelcomeService
from bot.transport import AiohttpRequest
from handlers import (
    bookings,
    care,
    chat,
    emergency,
    errors,
    events,
    groups,
    hours,
    lockup,
    notices,
    outages,
    points,
    prompts,
    quiet,
    relay,
    requests,
    roster,
    start,
    stats,
    topics,
    tracking,
    upkeep,
    welcome,
)
from storage.bookings import BookingRepository
from storage.chats import ChatRepository
from storage.db import Database
from storage.inbox import InboxRepository
from storage.migrate import open_migrated
from storage.users import UserRepository

LinliApplication = Application[Any, LinliContext, Any, Any, BotData, Any]

# Feature modules, in the order their handlers are tried (handler group 1); chat, the one
# catch-all for words that are not commands, comes last.
FEATURES: list[Feature] = [
    module.DESCRIPTION
    for module in (
        start, groups, notices, emergency, quiet, outages, requests, relay, roster, lockup,
        bookings, points, events, stats, hours, care, upkeep, welcome, topics, chat,
    )
]


def build_application(settings: Settings) -> LinliApplication:
    """Build the PTB Application with its handlers; ``bot.runtime`` opens the services.

    Handler groups:
      -1  tracking: records the user and chat, picks the language; never answers.
       0  stored prompts: a message that answers a question the bot asked goes to the
          feature that asked, and stops there (``handlers.prompts``).
       1  the features' commands and buttons, then the answer to stale buttons.
    Errors from any of them go to handlers.errors.on_error.
    """
    telegram = settings.telegram
    application: LinliApplication = (
        Application.builder()
        .token(settings.telegram.token.get_secret_value())
        .base_url(settings.telegram.api_url)
        .base_file_url(_file_url(settings.telegram.api_url))
        .context_types(ContextTypes(context=LinliContext, bot_data=BotData))
        .rate_limiter(LoggingRateLimiter(max_retries=3))
        .request(AiohttpRequest(timeout=telegram.request_timeout, proxy=telegram.proxy_url))
        .get_updates_request(
            AiohttpRequest(timeout=telegram.request_timeout, pool_size=2, proxy=telegram.proxy_url)
        )
        .updater(None)
        .build()
    )
    application.add_handlers(tracking.get_handlers(), group=-1)
    answers = {name: answer for f in FEATURES for name, answer in f.prompts.items()}
    application.add_handlers(prompts.dispatcher(application.bot_data, answers), group=0)
    for feature in FEATURES:
        application.add_handlers(feature.handlers(), group=1)
    application.add_handler(errors.stale_buttons(), group=1)  # after every feature's buttons
    application.add_error_handler(errors.on_error)
    return application


def menu() -> list[MenuCommand]:
    """The commands of every feature, in the order of FEATURES."""
    return [item for feature in FEATURES for item in feature.menu]


async def open_services(
    settings: Settings, clock: Clock, application: LinliApplication
) -> Services:
    """Open and migrate the database, and build the services around it."""
    db = await open_migrated(settings.database.path)
    return build_services(settings, clock, db, application.bot)


def build_services(settings: Settings, clock: Clock, db: Database, bot: Bot) -> Services:
    """The services around an open database, with every feature's jobs and hooks wired in.

    Unit tests call it with a bot that is never used, to run the real services.
    """
    outbox = Outbox(db, clock)
    community = Community(db, clock, settings)
    scheduler = Scheduler(db, clock, settings.scheduling.grace_seconds)
    people = People(db, clock, settings.community.language)
    services = Services(
        settings=settings,
        db=db,
        clock=clock,
        outbox=outbox,
        scheduler=scheduler,
        sender=OutboxSender(
            db, bot, outbox, settings.outbox, clock, migrate_chat=community.migrate_chat
        ),
        users=UserRepository(db),
        chats=ChatRepository(db),
        inbox=InboxRepository(db),
        people=people,
        community=community,
        prompts=Prompts(db, clock, outbox, scheduler, people.translator_for),
        cards=LiveCards(db, clock, outbox, scheduler),
        menu=menu(),
    )
    users = services.users
    prompts = services.prompts
    # Before the features that post to groups: each asks it for the topic of its posts.
    services.topics = TopicsService(
        db=db, clock=clock, outbox=outbox, community=community, people=people,
        users=services.users, admins=tuple(settings.community.admins),
    )
    services.sender.on_topic_gone(services.topics.topic_gone)
    services.points = PointsService(
        db=db, clock=clock, config=settings, outbox=outbox, scheduler=scheduler,
        community=community, people=people, users=users, cards=services.cards,
    )
    points = services.points
    services.quiet = QuietHoursService(
        db=db, clock=clock, config=settings, outbox=outbox, scheduler=scheduler,
        community=community,
    )
    services.notices = NoticeService(
        db=db, clock=clock, config=settings, outbox=outbox, scheduler=scheduler,
        community=community, cards=services.cards, quiet=services.quiet,
        topics=services.topics,
    )
    services.nudge = NudgeService(
        db=db, clock=clock, config=settings, outbox=outbox, scheduler=scheduler,
        community=community,
        notices=services.notices, quiet=services.quiet,
    )
    services.recurring = RecurringNotices(
        db=db, clock=clock, config=settings, scheduler=scheduler, community=community,
        notices=services.notices,
    )
    services.outages = OutageService(
        db=db, clock=clock, config=settings, outbox=outbox, scheduler=scheduler,
        community=community, notices=services.notices, people=people,
    )
    # Hours before the roster and requests: a shift served and a request done count hours.
    services.hours = HoursService(
        db=db, clock=clock, config=settings, outbox=outbox, scheduler=scheduler,
        community=community, people=people, users=users, cards=services.cards,
        prompts=prompts,
    )
    services.emergency = EmergencyService(notices=services.notices, community=community)
    services.roster = RosterService(
        db=db, clock=clock, config=settings, outbox=outbox, scheduler=scheduler,
        community=community, people=people, users=users, points=points,
        requests=UnfinishedRequestsReader(db), hours=services.hours, cards=services.cards,
        quiet=services.quiet,
    )
    services.requests = RequestService(
        db=db, clock=clock, config=settings, outbox=outbox, scheduler=scheduler,
        community=community, people=people, prompts=prompts, points=points,
        roster=services.roster, hours=services.hours, cards=services.cards,
        outages=services.outages,
        topics=services.topics,
    )
    services.relay = RelayService(
        db=db, clock=clock, config=settings, outbox=outbox, community=community,
        people=people, cards=services.cards, requests=services.requests,
    )
    booking_repo = BookingRepository(db)  # the lock-up reads who booked the room last
    services.lockup = LockupService(
        db=db, clock=clock, config=settings, outbox=outbox, scheduler=scheduler,
        community=community, people=people, prompts=prompts, points=points,
        roster=services.roster, requests=services.requests, uses=booking_repo,
    )
    services.bookings = BookingService(
        clock=clock, config=settings, outbox=outbox, scheduler=scheduler, community=community,
        prompts=prompts, roster=services.roster, lockup=services.lockup, repo=booking_repo,
    )
    services.events = EventService(
        db=db, clock=clock, config=settings, outbox=outbox, scheduler=scheduler,
        community=community, cards=services.cards, people=people, users=users,
        prompts=prompts, points=points, extra_rows=services.hours, quiet=services.quiet,
        topics=services.topics,
    )
    services.stats = StatsService(
        db=db, clock=clock, config=settings, outbox=outbox, scheduler=scheduler,
        community=community, people=people, users=users,
    )
    services.backups = Backups(
        db=db, clock=clock, config=settings, outbox=outbox, scheduler=scheduler,
        people=people, users=users,
    )
    services.welcome = WelcomeService(
        db=db, clock=clock, config=settings, outbox=outbox, scheduler=scheduler,
        community=community, people=people, users=users, prompts=prompts, cards=services.cards,
    )
    services.care = CareService(
        db=db, clock=clock, community=community, people=people, users=users,
        requests=services.requests, events=services.events, cards=services.cards,
    )
    services.flood = FloodGuard(
        db=db, clock=clock, config=settings, outbox=outbox, community=community, people=people,
    )
    db.space.on_recovered(
        Upkeep(db=db, clock=clock, config=settings, outbox=outbox, people=people, users=users)
        .disk_recovered
    )
    wirings = [feature.wire(services) for feature in FEATURES]
    _wire(services, [Wiring(jobs={**services.prompts.jobs(), **services.cards.jobs()},
                            settled=services.cards.settled_hooks()), *wirings])
    return services


def _wire(services: Services, wirings: list[Wiring]) -> None:
    """Register every job kind, outbox hook, file source, prompt expiry and start-up step."""
    for wiring in wirings:
        for kind, job in wiring.jobs.items():
            services.scheduler.register(kind, job)
        for kind, missed in wiring.missed.items():
            services.scheduler.on_missed(kind, missed)
        for kind, hook in wiring.settled.items():
            services.sender.on_settled(kind, hook)
        for prefix, source in wiring.files.items():
            services.sender.on_file(prefix, source)
        for feature, expired in wiring.expiry.items():
            services.prompts.on_expire(feature, expired)
        if wiring.on_start is not None:
            services.starters.append(wiring.on_start)


async def start_features(services: Services) -> None:
    """Work that must happen at every start, before the first update is handled: load the
    prompts' mirror, and each feature's own (such as planning a job that should exist)."""
    await services.prompts.load()
    for start_up in services.starters:
        await start_up()


def _file_url(api_url: str) -> str:
    """The file download URL that goes with a Bot API URL (``…/bot`` → ``…/file/bot``)."""
    base = api_url.rstrip("/")
    if base.endswith("/bot"):
        return base[: -len("/bot")] + "/file/bot"
    return base + "/file/bot"
