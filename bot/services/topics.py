"""Forum topics: in a building's group with topics, each kind of post goes to its topic.

An owner sends ``/topic notices`` (or requests, events) inside a topic; from then on the
features that post that kind to the group ask ``in_topic`` for the message with its
``message_thread_id``. Telegram tells the outbox when a topic is closed or deleted: the
post goes to the general topic instead (``bot.outbox``), and ``topic_gone`` forgets the
topic and tells the owners once, in private.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.clock import Clock
from bot.domain.core import Building
from bot.domain.topics import TOPIC_KINDS, TopicChoice, TopicKind
from bot.errors import InvalidInput
from bot.i18n import N_
from bot.outbox import THREAD, Outbox
from bot.services.community import Actor, Community, Role
from bot.services.people import People
from bot.services.quiet import OFF_WORDS
from bot.views import topics as views
from bot.views.common import OutMessage
from storage.db import Database, Transaction
from storage.topics import TopicRepository
from storage.users import UserRepository

TOLD_KIND = "topic_gone"
KIND_WORDS: dict[str, TopicKind] = {
    "notices": "notices", "notice": "notices", "通知": "notices",
    "requests": "requests", "request": "requests", "求助": "requests",
    "events": "events", "event": "events", "活动": "events", "活動": "events",
}  # fmt: skip

FORM = N_(
    "Write it like this, inside the topic you choose: /topic notices (or /topic requests, "
    "/topic events). /topic notices off posts notices in the general topic again; /topic "
    "alone shows the choices."
)
NO_TOPICS = N_(
    "This group has no topics. Turn on topics in the group's settings first, then send "
    "/topic notices inside the topic you choose."
)
OUTSIDE_TOPIC = N_(
    "Send this inside the topic you choose (not in the general topic): open the topic, "
    "then write /topic {kind} there."
)


@dataclass(frozen=True)
class TopicOrder:
    """A /topic command, read: the kind, and whether it is turned off."""

    kind: TopicKind
    off: bool = False


@dataclass(frozen=True)
class TopicPlace:
    """Where a /topic command was sent: a group with topics or not, which topic, its name."""

    is_forum: bool
    thread_id: int | None = None
    name: str | None = None


def read_topic(text: str) -> TopicOrder | None:
    """``notices``, ``通知 off`` …; None for nothing (show the choices). Refuses the rest."""
    words = text.split()
    if not words:
        return None
    kind = KIND_WORDS.get(words[0].lower())
    if kind is None or len(words) > 2 or (len(words) == 2 and words[1].lower() not in OFF_WORDS):
        raise InvalidInput(FORM)
    return TopicOrder(kind, off=len(words) == 2)


class TopicsService:
    """Choose the topic of each kind of post, and put posts in their topics."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        outbox: Outbox,
        community: Community,
        people: People,
        users: UserRepository,
        admins: tuple[int, ...] = (),
    ) -> None:
        self.db = db
        self.clock = clock
        self.outbox = outbox
        self.community = community
        self.people = people
        self.users = users
        self.admins = admins  # the community admins, told when no owner can be
        self.repo = TopicRepository(db)

    async def choices(self, building: Building) -> list[TopicChoice]:
        """The topics chosen in a building's group (anyone in the group may see them)."""
        return await self.repo.choices(self.db, building.id)

    async def choose(
        self, actor: Actor, building: Building, kind: TopicKind, place: TopicPlace
    ) -> None:
        """Post this kind in the topic the command was sent in; owners only."""
        await self.community.require(actor, building, Role.OWNER)
        if not place.is_forum:
            raise InvalidInput(NO_TOPICS)
        if place.thread_id is None:
            raise InvalidInput(OUTSIDE_TOPIC, kind=kind)
        async with self.db.transaction() as tx:
            await self.repo.choose(tx, building.id, kind, place.thread_id, place.name,
                                   actor.user_id, self.clock.now())

    async def clear(self, actor: Actor, building: Building, kind: TopicKind) -> bool:
        """Post this kind in the general topic again; owners only. False if it was there."""
        await self.community.require(actor, building, Role.OWNER)
        async with self.db.transaction() as tx:
            return await self.repo.clear(tx, building.id, kind)

    async def in_topic(
        self, tx: Transaction, chat_id: int, kind: TopicKind, message: OutMessage
    ) -> OutMessage:
        """The message as it goes to a group: in the topic chosen for its kind, if any."""
        thread_id = await self.repo.thread(tx, chat_id, kind)
        if thread_id is None:
            return message
        return replace(message, extra={**message.extra, THREAD: thread_id})

    async def topic_gone(self, tx: Transaction, chat_id: int, thread_id: int, error: str) -> None:
        """Outbox hook: Telegram says a topic is closed or deleted. Forget it, and tell the
        owners once (a second post that finds it gone finds nothing left to forget)."""
        dropped = await self.repo.drop_thread(tx, chat_id, thread_id)
        if not dropped:
            return
        building = await self.community.buildings.by_id(dropped[0].building_id)
        if building is None:
            return
        kinds = [kind for kind in TOPIC_KINDS if any(c.kind == kind for c in dropped)]
        for owner_id in await self._owners(building):
            t = await self.people.translator_for(owner_id)
            await self.outbox.queue_message(
                tx, owner_id, views.topic_gone(t, building, kinds, dropped[0].name),
                kind=TOLD_KIND,
            )

    async def _owners(self, building: Building) -> list[int]:
        """The group's admins who started the bot, else the community admins who did."""
        admins, _fetched = await self.community.buildings.admins(building.chat_id)
        for candidates in (admins, self.admins):
            users = [await self.users.get(user_id) for user_id in candidates]
            reachable = [u.id for u in users if u is not None and u.started and not u.blocked]
            if reachable:
                return reachable
        return []
