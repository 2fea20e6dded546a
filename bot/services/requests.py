"""Help requests: open, route, claim, release, finish, escalate, rate.

The state machine, with no Telegram types::

    open ──claim──▶ claimed ──finish──▶ done
     │  ◀──release──┘
     └──cancel──▶ cancelled

Each move is one conditional UPDATE (``storage.requests``): when two volunteers press
Claim at the same moment, the database picks the single winner and the other gets a
refusal that names them. A move that is not allowed changes nothing. Everything a move
causes (events, outbox messages, scheduled escalations, card edits) commits in its
transaction. Every move takes the ``Actor`` who makes it and checks their right here.

The card each volunteer gets in private is a live card ("request", ``bot.cards``): every
move touches it, and every delivered copy is edited to show the request as that
volunteer should see it now.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from bot.cards import LiveCards
from bot.clock import Clock
from bot.config import Settings
from bot.domain.core import Building, Job, Prompt, User
from bot.domain.requests import (
    ANONYMOUS_CATEGORIES,
    PUBLIC_EVENTS,
    Attachment,
    Audience,
    History,
    Identity,
    Move,
    Opened,
    Request,
    RequestDraft,
    RequestLine,
    RequestState,
    Source,
    Status,
    Submission,
)
from bot.errors import Conflict, InvalidInput, LinliError, NotAllowed, NotFound
from bot.i18n import N_, Translator, translator
from bot.outbox import Delivery, Outbox
from bot.scheduler import Scheduler
from bot.services.community import Actor, Community, Role
from bot.services.duty import DutyRoster, WorkHours
from bot.services.outages import OutageService
from bot.services.people import People
from bot.services.points import PointsService
from bot.services.prompts import Prompts
from bot.services.topics import TopicsService
from bot.text import is_blank, tidy
from bot.views import requests as view
from bot.views.common import OutMessage, former_resident, with_flat
from bot.views.requests import CATEGORIES, STATES, category_label
from storage.db import Database, Transaction
from storage.requests import RequestRepository
from storage.welcome import WelcomeRepository

__all__ = [  # the labels are re-exported for the reports, which import them from here
    "CATEGORIES",
    "STATES",
    "RequestService",
    "Source",
    "UnfinishedRequestsReader",
    "category_label",
    "guess_category",
    "parse_request",
    "parse_wait",
    "split_anonymous",
]

log = logging.getLogger(__name__)

MAX_TEXT = 1000  # a card must stay well under Telegram's 4096
MAX_NOTE = 500
CHOICE_HOURS = 24  # how long the building buttons of a private request stay valid
JOB_GRACE = 24 * 3600  # an escalation found late after downtime is still worth sending
LIST_LIMIT = 20
MAX_ALBUM = 10  # Telegram's largest album; more attachments of one album are not kept
# The text of a request sent as media without a caption (the volunteers see the media).
PLACEHOLDER = {"photo": "📷", "voice": "🎤", "video": "🎬", "location": "📍"}
MEDIA_METHODS = {"photo": "sendPhoto", "voice": "sendVoice", "video": "sendVideo",
                 "location": "sendLocation"}

# Outbox kinds and job kinds of this feature.
CARD = "request_card"
CARD_EDIT = "request_card_edit"
TO_RESIDENT = "request_update"
TO_OWNERS = "request_owners"
UNREACHABLE = "request_unreachable"
REMINDER = "request_reminder"
ESCALATE_JOB = "request_escalate"
STALE_JOB = "request_stale"
WAIT_JOB = "request_wait_over"
WAIT_PROMPT = "wait_reason"  # the step of the prompt that asks why a request waits
WAIT_DAYS = (1, 3, 7)  # the Waiting… buttons
MAX_WAIT_DAYS = 90
MAX_REASON = 200
WAIT_HOUR = 9  # a wait until a date ends at 09:00 that day (community time)
WAIT_GRACE = 7 * 24 * 3600  # the end of a wait, found late after downtime, still reminds
PROMPT = "requests"  # the feature name of its stored prompts
QUESTION_EXPIRED = "request_question_expired"
MEDIA = "request_media"  # an attachment sent after a card
LIVE_CARD = "request"  # the live card kind (bot.cards)
HIDE = "request_hide"  # an anonymous request's message in the group, deleted

# The word that sends a /request without the name, first or right after the category
# (/request 匿名 纠纷 楼上太吵, /request 纠纷 匿名 楼上太吵).
ANONYMOUS_WORDS = ("anonymous", "anonymously", "anon", "匿名", "不留名", "不要显示我的名字",
                   "不要顯示我的名字")

# Words that name a category at the start of /request, and volunteer skills that match it.
CATEGORY_NAMES = {
    "repair": ("repair", "repairs", "维修", "修理", "报修"),
    "errand": ("errand", "errands", "跑腿", "代办"),
    "health": ("health", "健康", "医疗"),
    "elderly": ("elderly care", "elderly", "elderly_care", "eldercare", "养老", "助老", "照护"),
    "safety": ("safety hazard", "safety_hazard", "safety", "hazard", "安全隐患", "隐患", "安全"),
    "dispute": ("dispute", "纠纷", "调解"),
    "other": ("other", "其他", "其它"),
}
# Keywords to guess the category when none is given (English words match at a word start).
# fmt: off
KEYWORDS = {
    "repair": (
        "repair", "leak", "broken", "fix", "tap", "pipe", "plumb", "light", "lamp", "toilet",
        "heater", "socket",
        "漏", "坏", "修", "水管", "龙头", "灯", "堵", "马桶", "插座", "门锁",
    ),
    "errand": (
        "buy", "pick up", "parcel", "package", "deliver", "groceries", "shopping",
        "买", "取", "快递", "代购", "送", "菜",
    ),
    "health": (
        "doctor", "medicine", "blood pressure", "fever", "sick", "pain", "hospital", "injur",
        "医", "药", "血压", "发烧", "病", "疼", "体检", "受伤",
    ),
    "elderly": (
        "elderly", "old man", "old woman", "grandma", "grandpa", "lives alone", "company",
        "老人", "独居", "陪", "大爷", "奶奶", "爷爷", "老年",
    ),
    "safety": (
        "fire", "gas", "smoke", "hazard", "danger", "wire", "elevator", "lift",
        "火", "燃气", "煤气", "烟", "隐患", "危险", "电线", "电梯",
    ),
    "dispute": (
        "noise", "noisy", "dispute", "quarrel", "neighbour", "neighbor", "parking",
        "噪音", "吵", "纠纷", "矛盾", "停车",
    ),
}
# fmt: on
_SEPARATORS = " \t\n:：,，-—"

# The state a move starts from and the state it leads to.
MOVES: dict[Move, tuple[RequestState, RequestState]] = {
    "claim": ("open", "claimed"),
    "release": ("claimed", "open"),
    "finish": ("claimed", "done"),
    "cancel": ("open", "cancelled"),
}


def split_category(text: str) -> tuple[str | None, str]:
    """A category named at the start of the text, and the rest."""
    for code, names in CATEGORY_NAMES.items():
        found, rest = _leading_word(text, names)
        if found is not None:
            return code, rest
    return None, text


def _leading_word(text: str, words: Iterable[str]) -> tuple[str | None, str]:
    """The longest of ``words`` that starts the text as a word of its own (in any case), and
    the text after it."""
    lowered = text.lower()
    for word in sorted(words, key=len, reverse=True):
        rest = lowered[len(word) :]
        if lowered.startswith(word) and (not rest or rest[0] in _SEPARATORS):
            return word, text[len(word) :].strip(_SEPARATORS)
    return None, text


def _strip_anonymous(text: str) -> tuple[bool, str]:
    found, rest = _leading_word(text, ANONYMOUS_WORDS)
    return found is not None, rest


def split_anonymous(text: str) -> tuple[bool, str]:
    """Whether a /request asks to hide the name (匿名 first, or right after the category),
    and its text without that word."""
    text = tidy(text)
    hidden, rest = _strip_anonymous(text)
    if hidden:
        return True, rest
    category, body = split_category(text)
    if category is None:
        return False, text
    hidden, rest = _strip_anonymous(body)
    return (True, f"{CATEGORY_NAMES[category][0]} {rest}") if hidden else (False, text)


def check_anonymous(category: str) -> None:
    """Only a dispute or a safety report may be sent without the name."""
    if category not in ANONYMOUS_CATEGORIES:
        raise InvalidInput(
            N_("Only a dispute or a safety report can be sent without your name. Please "
               "send this one without «匿名».")
        )


def guess_category(text: str) -> str:
    """The category whose keywords the text mentions most; "other" when none."""
    lowered = text.lower()
    best, best_hits = "other", 0
    for code, words in KEYWORDS.items():
        hits = sum(1 for word in words if _mentions(lowered, word))
        if hits > best_hits:
            best, best_hits = code, hits
    return best


def _mentions(text: str, word: str) -> bool:
    if word.isascii():
        return re.search(rf"\b{re.escape(word)}", text) is not None
    return word in text


def parse_request(text: str) -> tuple[str, str]:
    """(category, text) of a request as typed; refuses empty and overlong texts."""
    text = tidy(text)
    category, body = split_category(text)
    if is_blank(body):
        raise InvalidInput(
            N_("Please say what you need, for example: /request repair the kitchen tap leaks")
        )
    if len(body) > MAX_TEXT:
        raise InvalidInput(
            N_(
                "The request is too long: at most {limit} characters. Please keep it short; "
                "the volunteer will ask for details."
            ),
            limit=MAX_TEXT,
        )
    return category or guess_category(body), body


def parse_wait(text: str, tz: ZoneInfo, now: float) -> tuple[float, str]:
    """(until, reason) of ``/wait N <date> [reason]``: a date after today, within
    MAX_WAIT_DAYS; the wait ends at WAIT_HOUR that day."""
    parts = tidy(text).split(maxsplit=1)
    if not parts:
        raise InvalidInput(
            N_("Write the date it waits until, and why, for example: "
               "/wait 12 2026-12-05 waiting for the part")
        )
    try:
        day = date.fromisoformat(parts[0])
    except ValueError:
        raise InvalidInput(
            N_("I cannot read the date «{text}». Write it as year-month-day, for example "
               "2026-12-05."),
            text=parts[0],
        ) from None
    today = datetime.fromtimestamp(now, tz).date()
    if day <= today:
        raise InvalidInput(
            N_("The date must be after today ({today})."), today=today.isoformat()
        )
    if day > today + timedelta(days=MAX_WAIT_DAYS):
        raise InvalidInput(
            N_("A request may wait at most {days} days."), days=MAX_WAIT_DAYS
        )
    reason = parts[1] if len(parts) > 1 else ""
    return datetime.combine(day, time(WAIT_HOUR), tz).timestamp(), reason


class UnfinishedRequestsReader:
    """What a handover lists, read without the request service (the roster is built first)."""

    def __init__(self, db: Database) -> None:
        self.repo = RequestRepository(db)

    async def unfinished(self, building_id: int) -> list[RequestLine]:
        """The requests of a building still open or claimed, oldest first (for a handover)."""
        return await self.repo.unfinished_in(building_id, limit=30)


class RequestService:
    """Help requests: open, route, claim, release, finish, escalate, rate."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        config: Settings,
        outbox: Outbox,
        scheduler: Scheduler,
        community: Community,
        people: People,
        prompts: Prompts,
        points: PointsService,
        roster: DutyRoster,
        hours: WorkHours,
        cards: LiveCards,
        outages: OutageService | None = None,
        topics: TopicsService | None = None,
    ) -> None:
        self.db = db
        self.topics = topics  # None: group posts in the general topic (unit tests)
        self.clock = clock
        self.config = config
        self.outbox = outbox
        self.scheduler = scheduler
        self.community = community
        self.people = people
        self.prompts = prompts
        self.points = points
        self.roster = roster
        self.hours = hours
        self.cards = cards
        self.outages = outages  # None: no outages (unit tests of requests alone)
        self.settings = config.requests
        self.buildings = community.buildings
        self.repo = RequestRepository(db)
        self.flats = WelcomeRepository(db)  # a resident's flat, shown on the cards
        # Edited at once: a volunteer who lost a race must see who won before pressing again.
        cards.register(LIVE_CARD, self._render_card, send_kind=CARD, edit_kind=CARD_EDIT)

    # --- routing (the roster connects here) ----------------------------------------------

    async def volunteers_on_duty(self, building_id: int) -> tuple[list[int], bool]:
        """The volunteers on duty now (user ids), and whether the roster decided.

        Nobody on duty (or no roster at all): every volunteer of the building, and False,
        so that the resident is told. Called outside any transaction.
        """
        on_duty = await self.roster.on_duty(building_id, self.clock.now())
        if on_duty:
            return on_duty, True
        volunteers = await self.buildings.volunteers(building_id)
        return [volunteer.user.id for volunteer in volunteers], False

    async def _skilled_first(
        self, building_id: int, user_ids: list[int], category: str
    ) -> list[int]:
        """The same volunteers, those whose skills match the category first."""
        names = set(CATEGORY_NAMES.get(category, ()))
        skills = {v.user.id: v.skills for v in await self.buildings.volunteers(building_id)}

        def rank(user_id: int) -> int:
            return 0 if names & {skill.lower() for skill in skills.get(user_id, [])} else 1

        return sorted(dict.fromkeys(user_ids), key=rank)

    async def owners(self, building: Building) -> list[int]:
        """The building's owners: the group's Telegram admins (cached) and the community admins."""
        admins, _fetched = await self.buildings.admins(building.chat_id)
        return list(dict.fromkeys([*admins, *self.config.community.admins]))

    # --- submitting ----------------------------------------------------------------------

    async def buildings_of(self, actor: Actor) -> list[Building]:
        """The buildings a person lives in, where they may ask help (for a private /request)."""
        buildings = await self.buildings.of_user(actor.user_id)
        if not buildings:
            raise NotFound(
                N_(
                    "I do not know your building yet. Please write /request in your "
                    "building's group once, then you can also ask me here."
                )
            )
        return buildings

    async def where_to_ask(self, actor: Actor, place: int | None) -> list[Building]:
        """The buildings a /request may be for: the group's own, or in private those the
        person lives in."""
        if place is None:
            return await self.buildings_of(actor)
        return await self.community.scope(actor, place, Role.RESIDENT)

    async def submit(
        self, actor: Actor, buildings: list[Building], text: str, source: Source
    ) -> Submission:
        """A /request: ask for the text if there is none, ask for the building if unclear."""
        if is_blank(text):
            await self.ask(actor, buildings, source)
            return Submission(asked=True)
        hidden, rest = split_anonymous(text)
        if hidden:  # refused before a building is asked for
            check_anonymous(parse_request(rest)[0])
        if len(buildings) > 1:
            draft_id = await self.add_choice(actor, text, source)
            return Submission(draft_id=draft_id, buildings=buildings)
        return Submission(opened=await self.open(buildings[0], actor, text, source))

    async def open(
        self,
        building: Building,
        actor: Actor,
        text: str,
        source: Source,
        category: str | None = None,
        anonymous: bool = False,
    ) -> Opened:
        """Store the request and queue its cards, in one transaction; a replay opens nothing.

        ``category`` is the one the resident picked with a button; else it is read from the text.
        ``anonymous`` (or 匿名 in the text): the volunteers and owners never read the name.
        """
        hidden, text = split_anonymous(text)
        named, body = parse_request(text)
        category = category if category in CATEGORIES else named
        anonymous = anonymous or hidden
        if anonymous:
            check_anonymous(category)
        await self.community.require(actor, building, Role.RESIDENT)
        resident_id = actor.user_id
        if anonymous and not source.private:
            await self._reachable_in_private(resident_id)
        on_duty, decided = await self.volunteers_on_duty(building.id)
        on_duty = await self._skilled_first(building.id, on_duty, category)
        now = self.clock.now()
        audience: Audience = "all"
        async with self.db.transaction() as tx:
            if await self.repo.by_source(tx, source.chat_id, source.message_id) is None:
                await self._within_hourly_limit(tx, resident_id, now)
            outage_id = None if self.outages is None else await self.outages.linked(
                tx, building.id, body
            )
            request, created = await self.repo.insert(
                tx,
                outage_id=outage_id,
                building_id=building.id,
                resident_id=resident_id,
                category=category,
                text=body,
                source_chat_id=source.chat_id,
                source_message_id=source.message_id,
                private=source.private,
                now=now,
                anonymous=anonymous,
            )
            if created:
                await self.prompts.close(tx, source.chat_id, resident_id, PROMPT)
                if anonymous and not source.private:
                    await self._hide_in_group(tx, request)
                await self.repo.add_event(tx, request.id, "opened", resident_id, now, category)
                await self.repo.attach(tx, source.chat_id, source.message_id, request.id)
                audience = await self._route(tx, request, building, on_duty, decided)
        if created:
            return Opened(request, building, created, audience)
        return await self._replayed(request)

    async def _within_hourly_limit(self, tx: Transaction, resident_id: int, now: float) -> None:
        """Refuse a request past ``requests.max_per_hour`` in the last hour (0: no limit).

        Counted in the transaction of the insert: two requests at once cannot both pass.
        """
        limit = self.settings.max_per_hour
        if limit and await self.repo.opened_since(tx, resident_id, now - 3600) >= limit:
            raise Conflict(
                N_(
                    "You have asked for help {limit} times in the last hour. Volunteers are "
                    "on it; please wait a little before you open another request, or add "
                    "to one you opened (/myrequests)."
                ),
                limit=limit,
            )

    async def _reachable_in_private(self, user_id: int) -> None:
        """An anonymous request asked in a group is answered in private: the bot must be
        able to write there."""
        user = await self.community.users.get(user_id)
        if user is None or not user.started or user.blocked:
            raise InvalidInput(
                N_("To send it without your name, please open a private chat with me, press "
                   "Start, and send it there.")
            )

    async def _hide_in_group(self, tx: Transaction, request: Request) -> None:
        """The group sees nothing of an anonymous request: the message it was asked in goes
        (where the bot may delete it)."""
        await self.outbox.queue_call(
            tx, request.source_chat_id, "deleteMessage",
            {"message_id": request.source_message_id}, kind=HIDE, ref=_ref(request),
            dedupe_key=f"request:{request.id}:hide",
        )

    async def _replayed(self, request: Request) -> Opened:
        """The answer to a /request seen before: the same number, building and audience."""
        request, building = await self._request_and_building(request.id)
        routed = await self.repo.first_event(request.id, "routed")
        audience = routed.detail.split(":")[0] if routed else "all"
        if audience not in ("duty", "all", "owners"):
            audience = "all"
        return Opened(request, building, False, cast(Audience, audience))

    async def _route(
        self,
        tx: Transaction,
        request: Request,
        building: Building,
        on_duty: list[int],
        decided: bool,
        skip: int | None = None,
        first: bool = False,
    ) -> Audience:
        """Queue cards to the volunteers on duty (the owners if there are none) and schedule
        the escalations; returns who got them. ``first``: a reopened request offered first
        to the volunteer who did it (``on_duty``)."""
        recipients = [uid for uid in on_duty if uid not in (request.resident_id, skip)]
        if not recipients and skip is None:
            return await self._to_owners(tx, request, building, event="routed")
        for user_id in recipients:
            await self._send_card(tx, request, user_id)
        audience: Audience = "duty" if decided else "all"
        now = self.clock.now()
        shown = "first" if first else audience
        await self.repo.add_event(
            tx, request.id, "routed", None, now, f"{shown}:{len(recipients)}"
        )
        after = self.settings.escalate_after.total_seconds()
        for round_ in (1, 2):
            await self.scheduler.schedule(
                tx,
                ESCALATE_JOB,
                _escalation_key(request, round_),
                now + round_ * after,
                {"request": request.id, "routing": request.routing, "round": round_},
                grace_seconds=JOB_GRACE,
            )
        return audience

    async def _to_owners(
        self, tx: Transaction, request: Request, building: Building, event: str
    ) -> Audience:
        """Cards to the owners who opened a chat with the bot (others cannot be written to)."""
        reached = 0
        for owner_id in await self.owners(building):
            user = await self.community.users.get(owner_id)
            if owner_id == request.resident_id or user is None or not user.started:
                continue
            reached += 1
            await self._send_card(tx, request, owner_id, waited=event == "escalated")
        await self.repo.add_event(
            tx, request.id, event, None, self.clock.now(), f"owners:{reached}"
        )
        return "owners"

    # --- the conversation: /request without text, and the building choice ----------------

    async def ask(self, actor: Actor, buildings: list[Building], source: Source) -> None:
        """Take this user's next message in this chat as the request's text (a stored prompt)."""
        building_id = buildings[0].id if len(buildings) == 1 else None
        async with self.db.transaction() as tx:
            await self.prompts.ask(
                tx,
                source.chat_id,
                actor.user_id,
                PROMPT,
                "text",
                {"building": building_id},
                ttl_seconds=self.settings.question_timeout.total_seconds(),
            )

    async def answer(self, prompt: Prompt, text: str, source: Source) -> Submission:
        """The message after a bare /request becomes the request; a bad answer is refused
        and the question stays. The prompt was asked of this person: they are the actor."""
        parse_request(text)
        actor = Actor(prompt.user_id)
        building_id = prompt.payload.get("building")
        building = None if building_id is None else await self.buildings.by_id(int(building_id))
        buildings = [building] if building else await self.buildings_of(actor)
        return await self.submit(actor, buildings, text, source)

    async def question_expired(self, tx: Transaction, prompt: Prompt) -> bool:
        """The time to answer a bare /request is over: say so; the next message is an
        ordinary one again."""
        t = await self.translator_for(prompt.chat_id)
        expired = view.reason_expired if prompt.step == WAIT_PROMPT else view.question_expired
        await self.outbox.queue_message(
            tx,
            prompt.chat_id,
            expired(t),
            kind=QUESTION_EXPIRED,
            dedupe_key=f"request:question:{prompt.id}",
        )
        return True

    async def add_choice(
        self, actor: Actor, text: str, source: Source, anonymous: bool = False
    ) -> int:
        """Keep the text while a resident of several buildings picks one; returns the draft id."""
        parse_request(text)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            await self.prompts.close(tx, source.chat_id, actor.user_id, PROMPT)
            return await self.repo.add_choice(
                tx,
                chat_id=source.chat_id,
                user_id=actor.user_id,
                message_id=source.message_id,
                text=text.strip(),
                now=now,
                expires_at=now + CHOICE_HOURS * 3600,
                anonymous=anonymous,
            )

    async def choose(
        self, draft_id: int, building_id: int, actor: Actor, category: str | None = None
    ) -> Opened:
        """The building button: open the drafted request there (again: the same request)."""
        draft, text = await self._draft(draft_id, actor)
        building = next((b for b in await self.buildings_of(actor) if b.id == building_id), None)
        if building is None:
            raise InvalidInput(N_("This button is no longer valid."))
        source = Source(draft.chat_id, draft.message_id, private=True)
        hidden = draft.anonymous and (category is None or category in ANONYMOUS_CATEGORIES)
        return await self.open(building, actor, text, source, category, hidden)

    async def offer(self, actor: Actor, text: str, source: Source) -> tuple[int, str, bool]:
        """Plain words in private: keep them as a draft to offer as a request; returns the
        draft id, the guessed category and whether the name is hidden (匿名 in the words).
        Someone with no building is told how to start."""
        await self.buildings_of(actor)
        hidden, text = split_anonymous(text)
        category, _body = parse_request(text)
        hidden = hidden and category in ANONYMOUS_CATEGORIES
        return await self.add_choice(actor, text, source, hidden), category, hidden

    async def hide_name(
        self, draft_id: int, category: str, hidden: bool, actor: Actor
    ) -> RequestDraft:
        """«Don't show my name» under an offer (on or off): only for a dispute or a safety
        report; returns the draft as it is now."""
        check_anonymous(category)
        await self._draft(draft_id, actor)
        async with self.db.transaction() as tx:
            await self.repo.hide_name(tx, draft_id, actor.user_id, hidden)
        draft, _text = await self._draft(draft_id, actor)
        return draft

    async def confirm(self, draft_id: int, category: str, actor: Actor) -> Submission:
        """Confirm under an offer: the request is opened as /request opens it (a resident of
        several buildings is asked which one first)."""
        if category not in CATEGORIES:
            raise InvalidInput(N_("This button is no longer valid."))
        draft, text = await self._draft(draft_id, actor)
        buildings = await self.buildings_of(actor)
        if len(buildings) > 1:
            return Submission(draft_id=draft.id, buildings=buildings)
        source = Source(draft.chat_id, draft.message_id, private=True)
        hidden = draft.anonymous and category in ANONYMOUS_CATEGORIES
        opened = await self.open(buildings[0], actor, text, source, category, hidden)
        return Submission(opened=opened)

    async def offered(self, draft_id: int, actor: Actor) -> RequestDraft:
        """One's own offer (to draw it again with another category)."""
        draft, _text = await self._draft(draft_id, actor)
        return draft

    # --- photos, voice notes, videos and locations -----------------------------------

    async def keep_media(
        self, actor: Actor, media: Attachment
    ) -> tuple[Attachment | None, list[RequestLine]]:
        """Keep what a resident sent in private; returns it when they should be asked which
        request it belongs to (the first of an album only), with their open requests."""
        await self.buildings_of(actor)  # someone with no building is told how to start
        async with self.db.transaction() as tx:
            if media.album and await self.repo.album_size(tx, media.chat_id, media.album) >= (
                MAX_ALBUM
            ):
                return None, []
            kept, first = await self.repo.add_media(tx, media)
        if not first or kept.request_id is not None:
            return None, []
        mine = [line for line in await self.mine(actor) if line.state in ("open", "claimed")]
        return kept, mine

    async def offer_media(self, media_id: int, actor: Actor) -> tuple[int, str, str]:
        """«New request» under an attachment: the offer of plain words, with its caption as
        the text (or 📷 when there is none); returns the draft id, category and text."""
        media = await self._own_media(media_id, actor)
        text = tidy(media.caption)[:MAX_TEXT] or PLACEHOLDER[media.kind]
        source = Source(media.chat_id, media.message_id, private=True)
        draft_id, category, _hidden = await self.offer(actor, text, source)
        return draft_id, category, text

    async def attach_media(self, media_id: int, number: int, actor: Actor) -> Request:
        """An attachment for one of one's open requests: the volunteers who have its card
        (or the one who took it) get the media."""
        media = await self._own_media(media_id, actor)
        request = await self._get(number)
        if request.resident_id != actor.user_id or request.state not in ("open", "claimed"):
            raise InvalidInput(N_("This button is no longer valid."))
        copies = await self.cards.copies(LIVE_CARD, card_ref(request.id, request.routing))
        chats = [request.claimer_id] if request.claimer_id else [c.chat_id for c in copies]
        async with self.db.transaction() as tx:
            added = await self.repo.attach(tx, media.chat_id, media.message_id, request.id)
            for item in added:
                await self.repo.add_event(
                    tx, request.id, "attached", actor.user_id, self.clock.now(), item.kind
                )
                for chat_id in chats:
                    await self._queue_media(tx, chat_id, request, item)
        return request

    async def media_of(self, number: int) -> list[Attachment]:
        """A request's attachments, in order."""
        return await self.repo.media_of(number)

    async def _own_media(self, media_id: int, actor: Actor) -> Attachment:
        media = await self.repo.media(media_id)
        if media is None or media.user_id != actor.user_id or media.request_id is not None:
            raise InvalidInput(N_("This button is no longer valid."))
        return media

    async def _draft(self, draft_id: int, actor: Actor) -> tuple[RequestDraft, str]:
        """A live draft of this person, with its text; anything else is a stale button."""
        draft = await self.repo.draft(draft_id)
        if (
            draft is None
            or draft.stage != "choice"
            or draft.text is None
            or draft.user_id != actor.user_id
            or draft.expires_at <= self.clock.now()
        ):
            raise InvalidInput(N_("This button is no longer valid."))
        return draft, draft.text

    # --- moves -----------------------------------------------------------------------------

    async def claim(self, number: int, actor: Actor) -> Request:
        """open → claimed: exactly one volunteer wins; the others' cards say who took it."""
        request, building = await self._request_and_building(number)
        await self._allowed(request, building, "claim", actor)
        volunteer_id = actor.user_id
        now = self.clock.now()
        async with self.db.transaction() as tx:
            if not await self.repo.claim(tx, number, volunteer_id, now):
                await self._refuse(tx, building, "claim", number, actor)
            request = await self._get(number, tx)
            await self.repo.add_event(tx, number, "claimed", volunteer_id, now)
            await self._cancel_escalations(tx, request)
            await self._schedule_stale(tx, request)
            await self._touch_cards(tx, request)
            await self._tell_resident(tx, request, view.claimed_for_resident)
        return request

    async def release(self, number: int, actor: Actor) -> Request:
        """claimed → open: the claimer (or an owner) gives it back; it is routed again."""
        request, building = await self._request_and_building(number)
        await self._allowed(request, building, "release", actor)
        on_duty, decided = await self.volunteers_on_duty(building.id)
        on_duty = await self._skilled_first(building.id, on_duty, request.category)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            holder = request.claimer_id or 0
            if not await self.repo.release(tx, number, holder, now):
                await self._refuse(tx, building, "release", number, actor)
            await self.scheduler.cancel(tx, _stale_key(request))
            await self.scheduler.cancel(tx, _wait_key(request))
            request = await self._get(number, tx)
            await self.repo.add_event(tx, number, "released", actor.user_id, now)
            await self._touch_cards(tx, request)
            await self._route(tx, request, building, on_duty, decided, skip=holder)
            await self._tell_resident(tx, request, view.released_for_resident, holder)
        return request

    async def finish(self, number: int, actor: Actor, note: str = "") -> Request:
        """claimed → done with an optional note; the resident is asked for a rating."""
        note = tidy(note)
        if len(note) > MAX_NOTE:
            raise InvalidInput(
                N_("The note is too long: at most {limit} characters."), limit=MAX_NOTE
            )
        request, building = await self._request_and_building(number)
        await self._allowed(request, building, "finish", actor)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            if not await self.repo.finish(tx, number, request.claimer_id or 0, note or None, now):
                await self._refuse(tx, building, "finish", number, actor)
            await self.scheduler.cancel(tx, _stale_key(request))
            await self.scheduler.cancel(tx, _wait_key(request))
            request = await self._get(number, tx)
            await self.repo.add_event(tx, number, "done", actor.user_id, now, note)
            await self._touch_cards(tx, request)
            await self._tell_resident(tx, request, view.done_for_resident)
            await self._on_done(tx, request, actor.user_id)
        return request

    async def cancel(self, number: int, actor: Actor) -> Request:
        """open → cancelled, by the resident who asked."""
        request, building = await self._request_and_building(number)
        await self._allowed(request, building, "cancel", actor)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            if not await self.repo.cancel(tx, number, actor.user_id, now):
                await self._refuse(tx, building, "cancel", number, actor)
            await self._cancel_escalations(tx, request)
            request = await self._get(number, tx)
            await self.repo.add_event(tx, number, "cancelled", actor.user_id, now)
            await self._touch_cards(tx, request)
        return request

    async def withdraw_all(self, tx: Transaction, resident_id: int) -> list[Request]:
        """/forgetme, in its transaction: the resident's open and claimed requests are
        cancelled, their cards show it, and a volunteer who had taken one is told."""
        now = self.clock.now()
        withdrawn = await self.repo.withdraw_all(tx, resident_id, now)
        for before in withdrawn:
            await self._cancel_escalations(tx, before)
            await self.scheduler.cancel(tx, _stale_key(before))
            await self.repo.add_event(tx, before.id, "cancelled", resident_id, now, "forgotten")
            request = await self._get(before.id, tx)
            await self._touch_cards(tx, request)
            if before.claimer_id is not None:
                t = await self.translator_for(before.claimer_id)
                await self.outbox.queue_message(
                    tx, before.claimer_id, view.withdrawn_for_volunteer(t, request),
                    kind=TO_RESIDENT, ref=_ref(request),
                    dedupe_key=f"request:{request.id}:v{request.version}:withdrawn",
                )
        return withdrawn

    async def redraw_all(self, tx: Transaction, user_id: int) -> None:
        """Every card of a request someone asked or handled is drawn again (after /forgetme:
        without their name)."""
        for number in await self.repo.involving(tx, user_id):
            request = await self._get(number, tx)
            await self._touch_cards(tx, request)

    async def held_by(self, tx: Transaction, volunteer_id: int) -> list[int]:
        """The requests a volunteer has claimed and not finished."""
        return await self.repo.claimed_by(tx, volunteer_id)

    async def rate(self, number: int, actor: Actor, stars: int) -> Request:
        """The resident rates a done request from 1 to 5, once."""
        if not 1 <= stars <= 5:
            raise InvalidInput(N_("This button is no longer valid."))
        request = await self._get(number)
        _check_rating(request, actor)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            if not await self.repo.rate(tx, number, actor.user_id, stars, now):
                _check_rating(await self._get(number, tx), actor)
                raise Conflict(N_("#{number} changed just now. Please try again."), number=number)
            await self.repo.add_event(tx, number, "rated", actor.user_id, now, str(stars))
            return await self._get(number, tx)

    async def _on_done(self, tx: Transaction, request: Request, by: int) -> None:
        """A request was finished: its claimer earns the points, and service hours when
        ``hours.count_requests`` is on, once per request.

        Runs inside the transaction that marked the request done, so the award commits
        with it; the ledgers' source key ("request:N") makes a second finish pay nothing.
        """
        if request.category == "safety":  # the reporter of a hazard that was fixed, once
            # An anonymous report's entry names no number: an owner reading the reporter's
            # statement must not learn who sent it.
            source = f"hazard:{request.id}" + (":anonymous" if request.anonymous else "")
            await self.points.award_in(
                tx, request.resident_id, self.config.points.hazard_report_points,
                "hazard_reported", source, by,
            )
        if request.claimer_id is None:
            return
        amount = self.config.points.request_done
        source = f"request:{request.id}"
        await self.points.award_in(tx, request.claimer_id, amount, "request_done", source, by)
        content = view.hours_content(translator(self.config.community.language), request)
        await self.hours.record_work_in(
            tx, request.claimer_id, "request", self.config.hours.request_minutes, content,
            request.done_at or self.clock.now(), source, request.building_id,
        )

    # --- real cases: waiting, internal notes, status, reopening ----------------------------

    async def may_wait(self, number: int, actor: Actor) -> Request:
        """The claimer may set the request waiting (the Waiting… button's choice of days)."""
        request, building = await self._request_and_building(number)
        await self._check_claimer(request, building, actor)
        return request

    async def ask_wait_reason(self, number: int, actor: Actor, days: int) -> float:
        """A number of days picked: ask the claimer why (a stored prompt in their private
        chat); returns the date it would wait until."""
        if days not in WAIT_DAYS:
            raise InvalidInput(N_("This button is no longer valid."))
        await self.may_wait(number, actor)
        payload = {"request": number, "days": days}
        async with self.db.transaction() as tx:
            asked = await self.prompts.current(actor.user_id, actor.user_id, tx)
            if asked is None or (asked.feature, asked.step, asked.payload) != (
                PROMPT, WAIT_PROMPT, payload
            ):  # the same press handled again asks nothing new
                await self.prompts.ask(
                    tx, actor.user_id, actor.user_id, PROMPT, WAIT_PROMPT, payload,
                    ttl_seconds=self.settings.question_timeout.total_seconds(),
                )
        return self.clock.now() + days * 86400

    async def wait_for_days(
        self, number: int, actor: Actor, days: int, reason: str, source: str | None
    ) -> Request:
        """Waiting for a number of days (a button), with the reason given or none."""
        if days not in WAIT_DAYS:
            raise InvalidInput(N_("This button is no longer valid."))
        return await self.wait(number, actor, self.clock.now() + days * 86400, reason, source)

    async def answer_wait(self, prompt: Prompt, text: str, source: str | None) -> Request:
        """The claimer's answer to "why does it wait?": the request waits, with that reason.
        The prompt was asked of this person in private: they are the actor."""
        number, days = int(prompt.payload["request"]), int(prompt.payload["days"])
        return await self.wait_for_days(number, Actor(prompt.user_id), days, text, source)

    async def wait_command(
        self, number: int, actor: Actor, text: str, source: str | None
    ) -> Request:
        """/wait N <date> [reason]."""
        until, reason = parse_wait(text, self.config.community.tz, self.clock.now())
        return await self.wait(number, actor, until, reason, source)

    async def wait(
        self, number: int, actor: Actor, until: float, reason: str, source: str | None
    ) -> Request:
        """claimed → waiting until a date: the stale reminder pauses, the resident hears why
        and until when (in private), and the claimer is reminded on the date."""
        reason = tidy(reason)
        if len(reason) > MAX_REASON:
            raise InvalidInput(
                N_("The reason is too long: at most {limit} characters."), limit=MAX_REASON
            )
        request, building = await self._request_and_building(number)
        await self._check_claimer(request, building, actor)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            if source and await self.repo.seen_source(tx, source):
                return await self._get(number, tx)  # the same command again
            if not await self.repo.wait(tx, number, actor.user_id, until, reason or None, now):
                await self._check_claimer(await self._get(number, tx), building, actor)
                raise Conflict(N_("#{number} changed just now. Please try again."), number=number)
            await self.prompts.close(tx, actor.user_id, actor.user_id, PROMPT)
            await self.scheduler.cancel(tx, _stale_key(request))
            await self.scheduler.cancel(tx, _wait_key(request))  # a new date replaces it
            request = await self._get(number, tx)
            day = datetime.fromtimestamp(until, self.config.community.tz).date().isoformat()
            await self.repo.add_event(
                tx, number, "waiting", actor.user_id, now, f"{day} {reason}".strip(),
                source=source,
            )
            await self.scheduler.schedule(
                tx, WAIT_JOB, _wait_key(request), until,
                {"request": number, "version": request.version}, grace_seconds=WAIT_GRACE,
            )
            await self._touch_cards(tx, request)
            tz = self.config.community.tz
            await self._tell_resident_privately(
                tx, request, lambda t, r, v: view.waiting_for_resident(t, r, v, tz)
            )
        return request

    async def resume(self, number: int, actor: Actor) -> Request:
        """waiting → claimed again, by the claimer: the stale reminder starts again."""
        request, building = await self._request_and_building(number)
        await self._check_claimer(request, building, actor)
        if not request.waiting:
            raise Conflict(N_("#{number} is not waiting."), number=number)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            if not await self.repo.resume(tx, number, actor.user_id, now):
                await self._check_claimer(await self._get(number, tx), building, actor)
                raise Conflict(N_("#{number} is not waiting."), number=number)
            await self.scheduler.cancel(tx, _wait_key(request))
            request = await self._get(number, tx)
            await self.repo.add_event(tx, number, "resumed", actor.user_id, now)
            await self._schedule_stale(tx, request)
            await self._touch_cards(tx, request)
            await self._tell_resident_privately(tx, request, view.resumed_for_resident)
        return request

    async def _check_claimer(self, request: Request, building: Building, actor: Actor) -> None:
        """Only the volunteer who took a claimed request may set it waiting or resume it."""
        role = await self.community.require(actor, building, Role.STRANGER)
        if role < Role.VOLUNTEER:
            raise NotAllowed(
                N_("Only the volunteers of this building may do this with #{number}."),
                number=request.number,
            )
        if request.state != "claimed":
            raise await self._wrong_state(request, "finish", actor.user_id)
        if request.claimer_id != actor.user_id:
            raise NotAllowed(
                N_("Only {name}, who took #{number}, may set it waiting or resume it."),
                name=await self._name(request.claimer_id),
                number=request.number,
            )

    async def note(self, number: int, actor: Actor, text: str, source: str | None) -> Request:
        """/note N text: an internal note in the history, for the building's volunteers and
        owners only (never the resident, never the group)."""
        text = tidy(text)
        if is_blank(text):
            raise InvalidInput(
                N_("Write the note after the number, for example: /note 12 the part is ordered")
            )
        if len(text) > MAX_NOTE:
            raise InvalidInput(
                N_("The note is too long: at most {limit} characters."), limit=MAX_NOTE
            )
        request, building = await self._request_and_building(number)
        await self.community.require(actor, building, Role.VOLUNTEER)
        async with self.db.transaction() as tx:
            await self.repo.add_event(
                tx, number, "note", actor.user_id, self.clock.now(), text,
                source=source, internal=True,
            )
        return request

    async def status(self, number: int, actor: Actor) -> Status:
        """/status N: where a request stands and its last public step, for its resident
        and for the building's volunteers and owners."""
        request, building = await self._request_and_building(number)
        if actor.user_id != request.resident_id:
            role = await self.community.require(actor, building, Role.STRANGER)
            if role < Role.VOLUNTEER:
                raise NotAllowed(
                    N_("Only the resident who asked, or the volunteers of its building, may "
                       "look up #{number}."),
                    number=number,
                )
        last = await self.repo.last_public_event(number, sorted(PUBLIC_EVENTS))
        return Status(request, building, last)

    async def reopen(self, number: int, actor: Actor) -> Request:
        """"Not fixed" on the done message: within the reopen days, the resident reopens
        the request; it is offered first to the volunteer who did it."""
        request, building = await self._request_and_building(number)
        self._check_reopen(request, actor)
        since = self.clock.now() - self.settings.reopen_days * 86400
        on_duty, decided = await self.volunteers_on_duty(building.id)
        first = await self._still_serving(building, request.done_by)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            if not await self.repo.reopen(tx, number, actor.user_id, since, now):
                self._check_reopen(await self._get(number, tx), actor)
                raise Conflict(N_("#{number} changed just now. Please try again."), number=number)
            request = await self._get(number, tx)
            await self.repo.add_event(tx, number, "reopened", actor.user_id, now)
            await self._touch_cards(tx, request)
            if first is not None:
                await self._route(tx, request, building, [first], True, first=True)
            else:
                await self._route(tx, request, building, on_duty, decided)
        return request

    async def whois(self, number: int, actor: Actor, source: str | None) -> Identity:
        """/whois N: who sent an anonymous request, for the community admins alone; each
        look-up is logged (once per command) and the log is shown with the answer."""
        if not self.community.is_admin(actor.user_id):
            raise NotAllowed(
                N_("Only the community admins may see who sent an anonymous request.")
            )
        request, building = await self._request_and_building(number)
        if not request.anonymous:
            raise Conflict(
                N_("#{number} was not sent anonymously: its card shows who asked."),
                number=number,
            )
        async with self.db.transaction() as tx:
            await self.repo.log_lookup(tx, number, actor.user_id, self.clock.now(), source)
            lookups = await self.repo.lookups(tx, number)
        resident = await self.community.users.get(request.resident_id)
        flat = await self.flats.flat_text(request.building_id, request.resident_id)
        return Identity(request, building, resident, flat, lookups)

    def _check_reopen(self, request: Request, actor: Actor) -> None:
        number = request.number
        if request.resident_id != actor.user_id:
            raise NotAllowed(N_("Only the resident who asked may reopen #{number}."),
                             number=number)
        if request.state != "done":
            raise Conflict(N_("#{number} is not done, so it cannot be reopened."), number=number)
        days = self.settings.reopen_days
        if request.done_at is None or request.done_at < self.clock.now() - days * 86400:
            raise Conflict(
                N_("#{number} was done more than {days} days ago. Please ask again with "
                   "/request."),
                number=number,
                days=f"{days:g}",
            )

    async def _still_serving(self, building: Building, user_id: int | None) -> int | None:
        """The volunteer who did a request, if they still serve its building."""
        if user_id is None:
            return None
        role = await self.community.role_in(user_id, building)
        return user_id if role >= Role.VOLUNTEER else None

    async def _tell_resident_privately(
        self,
        tx: Transaction,
        request: Request,
        message: Callable[[Translator, Request, str], OutMessage],
        volunteer_id: int | None = None,
    ) -> None:
        """What only the resident should read (why a request waits): in private, if the bot
        may write to them; else not at all (never in the group)."""
        resident = await self.community.users.get(request.resident_id)
        if resident is None or not resident.started or resident.blocked:
            return
        t = await self.translator_for(request.resident_id)
        await self.outbox.queue_message(
            tx,
            request.resident_id,
            message(t, request, await self._name(volunteer_id or request.claimer_id)),
            kind=TO_RESIDENT,
            ref=_ref(request),
            dedupe_key=f"request:{request.id}:v{request.version}:resident",
        )

    # --- who may move what -----------------------------------------------------------------

    async def _allowed(
        self, request: Request, building: Building, move: Move, actor: Actor
    ) -> None:
        """Refuse, with the reason, a move this person may not make in this state."""
        refusal = await self._refusal(request, building, move, actor)
        if refusal is not None:
            raise refusal

    async def _refuse(
        self, tx: Transaction, building: Building, move: Move, number: int, actor: Actor
    ) -> None:
        """The conditional UPDATE lost: say why, from the state that won."""
        request = await self._get(number, tx)
        refusal = await self._refusal(request, building, move, actor)
        raise refusal or Conflict(
            N_("#{number} changed just now. Please try again."), number=number
        )

    async def _refusal(
        self, request: Request, building: Building, move: Move, actor: Actor
    ) -> LinliError | None:
        """Why this move is refused, or None if it is allowed.

        The role comes from ``Community.require`` (with no floor): each move has its own
        rule and its own refusal, which names the request.
        """
        role = await self.community.require(actor, building, Role.STRANGER)
        number, who = request.number, actor.user_id
        if move == "claim" and role < Role.VOLUNTEER:
            return NotAllowed(
                N_("Only the volunteers of this building may take #{number}."), number=number
            )
        if move == "claim" and who == request.resident_id:
            return NotAllowed(N_("You cannot take your own request."))
        if move == "cancel" and who != request.resident_id:
            return NotAllowed(
                N_("Only the resident who asked may cancel #{number}."), number=number
            )
        if request.state != MOVES[move][0]:
            return await self._wrong_state(request, move, who)
        if move in ("release", "finish") and who != request.claimer_id and role < Role.OWNER:
            claimer = await self._name(request.claimer_id)
            return NotAllowed(
                N_("Only {name}, who took #{number}, or an owner may do this."),
                name=claimer,
                number=number,
            )
        return None

    async def _wrong_state(self, request: Request, move: Move, actor: int) -> LinliError:
        number = request.number
        if request.state == "done":
            return Conflict(N_("#{number} is already done."), number=number)
        if request.state == "cancelled":
            return Conflict(N_("#{number} was cancelled."), number=number)
        if request.state == "open":
            return Conflict(N_("#{number} has not been taken by anyone yet."), number=number)
        if actor == request.claimer_id:
            return Conflict(N_("You have already taken #{number}."), number=number)
        name = await self._name(request.claimer_id)
        if move == "cancel":
            return Conflict(
                N_(
                    "#{number} is already taken by {name}. Ask them to finish it or to "
                    "give it back before you cancel."
                ),
                number=number,
                name=name,
            )
        return Conflict(
            N_("Sorry, #{number} was already taken by {name}."), number=number, name=name
        )

    # --- reading -----------------------------------------------------------------------------

    async def find(self, number: int) -> tuple[Request, Building]:
        """Request #N and its building; a refusal that names the number if there is none."""
        return await self._request_and_building(number)

    async def building_of(self, number: int) -> Building:
        """The building of request #N (handlers refresh its admin list before a move)."""
        _request, building = await self._request_and_building(number)
        return building

    async def history(self, number: int, actor: Actor) -> History:
        """A request's events, for its resident and for the building's volunteers and owners."""
        request, building = await self._request_and_building(number)
        serving = actor.user_id != request.resident_id
        if serving:
            await self.community.require(actor, building, Role.VOLUNTEER)
        return History(
            request,
            building,
            await self.repo.events(number, internal=serving),
            await self.repo.media_of(number),
        )

    async def mine(self, actor: Actor) -> list[RequestLine]:
        """A resident's latest requests, newest first."""
        return await self.repo.of_resident(actor.user_id, LIST_LIMIT)

    async def open_for(self, actor: Actor, place: int | None) -> list[RequestLine]:
        """Open requests this person may take: in the group's building, or in private
        wherever they serve."""
        serving = await self.community.scope(actor, place, Role.VOLUNTEER)
        if not serving:
            raise NotAllowed(N_("You are not a volunteer of any building."))
        lines = await self.repo.open_in([b.id for b in serving], LIST_LIMIT)
        return [line for line in lines if line.resident_id != actor.user_id]

    async def paused_for(self, actor: Actor, place: int | None) -> list[RequestLine]:
        """The waiting requests of the buildings this person serves (for /open)."""
        serving = await self.community.scope(actor, place, Role.VOLUNTEER)
        return await self.repo.waiting_in([b.id for b in serving], LIST_LIMIT)

    async def _get(self, number: int, tx: Transaction | None = None) -> Request:
        request = await self.repo.get(number, tx)
        if request is None:
            raise NotFound(N_("There is no request #{number}."), number=number)
        return request

    async def _request_and_building(self, number: int) -> tuple[Request, Building]:
        request = await self._get(number)
        building = await self.buildings.by_id(request.building_id)
        if building is None:
            raise NotFound(N_("There is no request #{number}."), number=number)
        return request, building

    async def _name(self, user_id: int | None, t: Translator | None = None) -> str:
        user = await self.community.users.get(user_id) if user_id else None
        if user is not None and user.forgotten and t is not None:
            return former_resident(t)
        return user.display_name if user else "—"

    async def translator_for(self, chat_id: int) -> Translator:
        """The translator of a chat: its own language, else the community's."""
        return await self.people.translator_for(chat_id)

    # --- cards --------------------------------------------------------------------------

    async def _send_card(
        self, tx: Transaction, request: Request, user_id: int, waited: bool = False
    ) -> None:
        """A private card with Claim and Details, once per person and routing."""
        shown = None
        if waited:
            t = await self.translator_for(user_id)
            drawn = await self._draw_card(t, request, user_id)
            shown = view.waited(t, drawn, 2 * self.settings.escalate_after_minutes)
        await self.cards.send(
            tx,
            LIVE_CARD,
            card_ref(request.id, request.routing),
            user_id,
            shown,
            outbox_ref=_ref(request),
            dedupe_key=f"request:{request.id}:{request.routing}:card:{user_id}",
        )
        for media in await self.repo.media_of(request.id, tx):  # after the card, in order
            await self._queue_media(tx, user_id, request, media)

    async def _queue_media(
        self, tx: Transaction, chat_id: int, request: Request, media: Attachment
    ) -> None:
        """One attachment, as the media itself, to a chat that has the request's card."""
        params: dict[str, object]
        if media.kind == "location":
            params = {"latitude": media.latitude, "longitude": media.longitude}
        else:
            t = await self.translator_for(chat_id)
            params = {media.kind: media.file_id, "parse_mode": "HTML",
                      "caption": view.media_caption(t, request.number, media.caption)}
        await self.outbox.queue_call(
            tx, chat_id, MEDIA_METHODS[media.kind], params, kind=MEDIA, ref=_ref(request),
            dedupe_key=f"request:{request.id}:media:{media.id}:{chat_id}:{request.routing}",
        )

    async def _touch_cards(self, tx: Transaction, request: Request) -> None:
        """The request moved: every card of it, from every routing, shows the new state."""
        for routing in range(1, request.routing + 1):
            await self.cards.touch(tx, LIVE_CARD, card_ref(request.id, routing))

    async def _render_card(self, tx: Transaction, ref: str, chat_id: int) -> OutMessage | None:
        """The live card's render: request ``ref`` as the volunteer in ``chat_id`` sees it."""
        request = await self.repo.get(card_number(ref), tx)
        if request is None:
            return None
        return await self._draw_card(await self.translator_for(chat_id), request, chat_id)

    async def _draw_card(self, t: Translator, request: Request, viewer: int) -> OutMessage:
        building = await self.buildings.by_id(request.building_id)
        name = building.name if building else "—"
        return view.card(
            t,
            request,
            viewer,
            building=name,
            resident=await self._resident_shown(t, request, name),
            claimer=await self._name(request.claimer_id, t),
            tz=self.config.community.tz,
            outage=None if self.outages is None else await self.outages.of_request(
                request.outage_id
            ),
        )

    async def _resident_shown(self, t: Translator, request: Request, building: str) -> str:
        """The resident as a card names them: name and flat, or for an anonymous request
        «a resident of 3号楼» (neither name nor flat: the flat would tell)."""
        if request.anonymous:
            return view.anonymous_resident(t, building)
        flat = await self.flats.flat_text(request.building_id, request.resident_id)
        return with_flat(await self._name(request.resident_id, t), flat)

    async def card_unreachable(self, tx: Transaction, delivery: Delivery) -> None:
        """Outbox hook, in the transaction that settles the row: a card that cannot reach its
        volunteer (Forbidden) is announced in the group. (The live cards' own hook, on the
        same kind, records delivered copies.)"""
        number = _number_of(delivery.row.ref)
        if number is not None and delivery.chat_gone and delivery.row.chat_id > 0:
            await self._unreachable(tx, number, delivery.row.chat_id)

    async def _unreachable(self, tx: Transaction, number: int, user_id: int) -> None:
        """Mention the volunteer in the group (without the request's text) and tell the owners."""
        request, building = await self._request_and_building(number)
        user = await self.community.users.get(user_id)
        if user is None:
            return
        now = self.clock.now()
        await self.repo.add_event(tx, number, "unreachable", user_id, now)
        if request.anonymous:  # the group sees nothing of it: the owners are told
            await self._tell_owners_unreachable(tx, building, user, now)
            return
        t = await self.translator_for(building.chat_id)
        message = view.unreachable(t, user, number)
        if self.topics is not None:
            message = await self.topics.in_topic(tx, building.chat_id, "requests", message)
        await self.outbox.queue_message(
            tx,
            building.chat_id,
            message,
            kind=UNREACHABLE,
            ref=_ref(request),
            dedupe_key=f"request:{number}:unreachable:{user_id}",
        )
        await self._tell_owners_unreachable(tx, building, user, now)

    async def _tell_owners_unreachable(
        self, tx: Transaction, building: Building, user: User, now: float
    ) -> None:
        """Owners who opened a chat with the bot hear of it once a day for each volunteer."""
        day = int(now // 86400)
        for owner_id in await self.owners(building):
            owner = await self.community.users.get(owner_id)
            if owner is None or not owner.started or owner_id == user.id:
                continue
            t = await self.translator_for(owner_id)
            await self.outbox.queue_message(
                tx,
                owner_id,
                view.unreachable_for_owner(t, user, building),
                kind=TO_OWNERS,
                dedupe_key=f"request:unreachable:{building.id}:{user.id}:{owner_id}:{day}",
            )

    # --- telling the resident ------------------------------------------------------------

    async def _tell_resident(
        self,
        tx: Transaction,
        request: Request,
        message: Callable[[Translator, Request, str], OutMessage],
        volunteer_id: int | None = None,
    ) -> None:
        """Tell the resident in private if the bot may write to them, else reply in the group.

        A request asked in private, or sent without the name, is never answered in the group.
        """
        if request.anonymous:
            await self._tell_resident_privately(tx, request, message, volunteer_id)
            return
        resident = await self.community.users.get(request.resident_id)
        reachable = resident is not None and resident.started and not resident.blocked
        private = request.private or reachable
        chat_id = request.resident_id if private else request.source_chat_id
        t = await self.translator_for(chat_id)
        volunteer = await self._name(volunteer_id or request.claimer_id)
        await self.outbox.queue_message(
            tx,
            chat_id,
            message(t, request, volunteer),
            reply_to=None if private else request.source_message_id,
            kind=TO_RESIDENT,
            ref=_ref(request),
            dedupe_key=f"request:{request.id}:v{request.version}:resident",
        )

    # --- scheduled work ------------------------------------------------------------------

    async def escalate(self, tx: Transaction, job: Job) -> None:
        """Job: still unclaimed; round 1 goes to every volunteer, round 2 to the owners."""
        request = await self.repo.get(int(job.data["request"]), tx)
        if request is None or request.state != "open" or request.routing != job.data["routing"]:
            return
        building = await self.buildings.by_id(request.building_id)
        if building is None:
            return
        if job.data["round"] == 2:
            await self._to_owners(tx, request, building, event="escalated")
            return
        volunteers = [
            v.user.id
            for v in await self.buildings.volunteers(building.id)
            if v.user.id != request.resident_id
        ]
        for user_id in await self._skilled_first(building.id, volunteers, request.category):
            await self._send_card(tx, request, user_id)  # once each: dedupe key
        await self.repo.add_event(
            tx, request.id, "escalated", None, self.clock.now(), f"volunteers:{len(volunteers)}"
        )

    async def remind_stale(self, tx: Transaction, job: Job) -> None:
        """Job: a claimed request is not done yet; remind the volunteer who took it."""
        request = await self.repo.get(int(job.data["request"]), tx)
        if (
            request is None
            or request.state != "claimed"
            or request.waiting
            or request.version != job.data["version"]
        ):
            return
        claimer = request.claimer_id or 0
        t = await self.translator_for(claimer)
        await self.outbox.queue_message(
            tx,
            claimer,
            view.reminder(t, request, round(self.settings.stale_after_hours)),
            kind=REMINDER,
            ref=_ref(request),
            dedupe_key=f"{job.key}:reminder",
        )
        await self.repo.add_event(tx, request.id, "reminded", claimer, self.clock.now())

    async def _schedule_stale(self, tx: Transaction, request: Request) -> None:
        """Remind the claimer if the request (in this version) is not done in time."""
        await self.scheduler.schedule(
            tx,
            STALE_JOB,
            _stale_key(request),
            self.clock.now() + self.settings.stale_after.total_seconds(),
            {"request": request.id, "version": request.version},
            grace_seconds=JOB_GRACE,
        )

    async def wait_over(self, tx: Transaction, job: Job) -> None:
        """Job: the date a request waited until came; it is claimed again and the volunteer
        is reminded (the stale reminder starts again)."""
        number = int(job.data["request"])
        if not await self.repo.end_wait(tx, number, int(job.data["version"]), self.clock.now()):
            return
        request = await self._get(number, tx)
        claimer = request.claimer_id or 0
        await self.repo.add_event(tx, number, "wait_over", None, self.clock.now())
        await self._schedule_stale(tx, request)
        await self._touch_cards(tx, request)
        t = await self.translator_for(claimer)
        await self.outbox.queue_message(
            tx, claimer, view.wait_over(t, request), kind=REMINDER, ref=_ref(request),
            dedupe_key=f"{job.key}:reminder",
        )

    async def _cancel_escalations(self, tx: Transaction, request: Request) -> None:
        for round_ in (1, 2):
            await self.scheduler.cancel(tx, _escalation_key(request, round_))


def _check_rating(request: Request, actor: Actor) -> None:
    if request.resident_id != actor.user_id:
        raise NotAllowed(
            N_("Only the resident who asked may rate #{number}."), number=request.number
        )
    if request.state != "done":
        raise Conflict(N_("#{number} is not done yet."), number=request.number)
    if request.rating is not None:
        raise Conflict(
            N_("You have already rated #{number}: {stars}⭐."),
            number=request.number,
            stars=request.rating,
        )


def card_ref(number: int, routing: int) -> str:
    """The live card's ref: the request number; a card sent again after a release (a new
    routing) can reach a chat that has one already, so from the second routing on it
    carries the routing too ("12/2"): each copy is kept current."""
    return str(number) if routing <= 1 else f"{number}/{routing}"


def card_number(ref: str) -> int:
    """The request number of a live card's ref."""
    return int(ref.split("/", 1)[0])


def _ref(request: Request) -> str:
    return f"request:{request.id}"


def _number_of(ref: str | None) -> int | None:
    if not ref or not ref.startswith("request:"):
        return None
    tail = ref.removeprefix("request:")
    return int(tail) if tail.isdigit() else None


def _escalation_key(request: Request, round_: int) -> str:
    return f"request:{request.id}:escalate:{request.routing}:{round_}"


def _stale_key(request: Request) -> str:
    return f"request:{request.id}:stale:{request.version}"


def _wait_key(request: Request) -> str:
    """The wait job of a request as it waits now (each wait bumps the version): a move
    cancels it with the request read before the move."""
    return f"request:{request.id}:wait:{request.version}"
