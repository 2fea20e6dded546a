"""What handlers reach through ``context``: the services and the chat's language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.cards import LiveCards
from bot.clock import Clock
from bot.commands import MenuCommand
from bot.config import Settings
from bot.i18n import Translator, translator
from bot.outbox import Outbox, OutboxSender
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
from bot.services.requests import RequestService
from bot.services.roster import RosterService
from bot.services.stats import StatsService
from bot.services.topics import TopicsService
from bot.services.welcome import WelcomeService
from storage.chats import ChatRepository
from storage.db import Database
from storage.inbox import InboxRepository
from storage.users import UserRepository


@dataclass
class Services:
    """Everything the running bot holds: settings, database, repositories, outbox, jobs."""

    settings: Settings
    db: Database
    clock: Clock
    outbox: Outbox
    scheduler: Scheduler
    sender: OutboxSender
    users: UserRepository
    chats: ChatRepository
    inbox: InboxRepository
    people: People
    community: Community
    prompts: Prompts
    cards: LiveCards
    menu: list[MenuCommand]
    starters: list[Callable[[], Awaitable[None]]] = field(default_factory=list)  # at every start
    # Feature services, built by bot.app.open_services once the core above exists.
    notices: NoticeService = field(init=False)
    emergency: EmergencyService = field(init=False)
    nudge: NudgeService = field(init=False)
    requests: RequestService = field(init=False)
    relay: RelayService = field(init=False)
    roster: RosterService = field(init=False)
    lockup: LockupService = field(init=False)
    bookings: BookingService = field(init=False)
    points: PointsService = field(init=False)
    events: EventService = field(init=False)
    stats: StatsService = field(init=False)
    backups: Backups = field(init=False)
    hours: HoursService = field(init=False)
    quiet: QuietHoursService = field(init=False)
    recurring: RecurringNotices = field(init=False)
    welcome: WelcomeService = field(init=False)
    care: CareService = field(init=False)
    flood: FloodGuard = field(init=False)
    outages: OutageService = field(init=False)
    topics: TopicsService = field(init=False)


class BotData:
    """``application.bot_data``: holds the services once the database is open."""

    def __init__(self) -> None:
        self.services: Services | None = None


class LinliContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """The context every Linli handler gets."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.language: str | None = None

    @property
    def services(self) -> Services:
        """The bot's services (set up in post_init)."""
        services = self.bot_data.services
        if services is None:
            raise RuntimeError("services are not ready; post_init has not run")
        return services

    @property
    def t(self) -> Translator:
        """The translator for this update's chat."""
        return translator(self.language or self.services.settings.community.language)
