"""Notices to building groups, their confirmations, and scheduled notices.

A notice is stored once and posted to each of its buildings through the outbox, so a
notice to forty groups is paced under Telegram's limits and survives a restart. A
notice's posts settle with their outbox rows (``on_settled`` hooks, in the same
transaction, with a stored check job as a safety net); when the last one has settled,
the owner who asked in private gets one summary. Each post is a live card (``bot.cards``):
its count of confirmations is edited in batches, at most once per COUNT_EDIT_SECONDS.
A post to a group in its quiet hours waits in a stored release job (``bot.services.quiet``);
each occurrence of a recurring notice (``bot.services.recurring``) is a notice of its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.cards import LiveCards
from bot.clock import Clock
from bot.config import Settings
from bot.domain.core import Building, Job
from bot.domain.notices import Confirmations, ConfirmedBy, Notice, NoticeLine, NoticePost
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.i18n import N_, Translator, translator
from bot.outbox import ORDINARY, URGENT, Delivery, Outbox
from bot.scheduler import Scheduler
from bot.services.community import Actor, Community, Role
from bot.services.quiet import QuietHoursService
from bot.services.recurrence import Recurrence, read_every
from bot.services.topics import TopicsService
from bot.text import one_line, telegram_length, tidy
from bot.views import notices as views
from bot.views.common import OutMessage
from storage.db import Database, Transaction
from storage.notices import SEND_JOB_PREFIX, NoticeRepository
from storage.nudge import NudgeRepository

SEND_JOB = "notice.send"
SETTLE_JOB = "notice.settle"
RELEASE_JOB = "notice.release"  # a post held by quiet hours goes out
NUDGE_JOB = "notice.nudge"  # ``remind after 6h``: remind the rest (bot.services.nudge)
NUDGE_JOB_PREFIX = "notice nudge "  # its key is this plus the notice's id
CARD = "notice_post"  # the live card of a post; its ref is the post's id
NOTICE_KIND = "notice"
PIN_KIND = "notice_pin"
COUNT_KIND = "notice_count"

MAX_LENGTH = 4000  # Telegram's 4096, less the heading and the count line
COUNT_EDIT_SECONDS = 6.0  # at most one edit of a notice's count this often (10 a minute)
SETTLE_CHECK_SECONDS = 60.0
LATE_GRACE_SECONDS = 86_400  # a settle check is still worth doing a day late
REMOVED = "the bot was removed from the group"

PIN_WORDS = {"pin", "置顶"}
REMIND_HOURS = (1, 72)  # ``remind after Nh``: at least an hour, at most three days
_REMIND_EN = re.compile(r"^remind\s+after\s+([0-9]{1,6})\s*(?:h|hours?)(?=\s|$)\s*", re.IGNORECASE)
_REMIND_LOOSE = re.compile(r"^remind\s+after\s+[-+]?\d", re.IGNORECASE)  # then hours must follow
_REMIND_ZH = re.compile(r"^提醒\s*([0-9]{1,6})\s*(?:个|個)?\s*(?:小时|小時)\s*(?:后|後)\s*")
ALL_WORDS = {"all", "全部"}
SEPARATORS = ",，、"
_AFTER_WORD = " !！.。~～"  # "收到！" is "收到"
_FIRST_WORD = re.compile(r"\s*(\S*)\s*(.*)", re.DOTALL)
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_TIME = re.compile(r"^(\d{1,2})[:：](\d{2})$")

NOT_OWNER = N_(
    "You are not an owner of {names}. Only the group's admins (the building's owners) "
    "and the community admins may post notices there."
)
NOT_NOTICE_OWNER = N_(
    "Only the owners of the buildings notice #{id} went to, and the community admins, "
    "may see or change it."
)


@dataclass(frozen=True)
class Draft:
    """A /notice command, read: the text, its options and (in private) its buildings."""

    text: str
    pin: bool = False
    send_at: float | None = None
    to_all: bool = False
    buildings: tuple[Building, ...] = ()
    every: Recurrence | None = None  # a recurring notice: its rule
    urgent: bool = False  # an emergency (bot/services/emergency.py): always pinned
    remind_after: int | None = None  # seconds after it goes out: remind the rest


class NoticeService:
    """Notices to building groups, their confirmations, and scheduled notices."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        config: Settings,
        outbox: Outbox,
        scheduler: Scheduler,
        community: Community,
        cards: LiveCards,
        quiet: QuietHoursService | None = None,
        topics: TopicsService | None = None,
    ) -> None:
        self.db = db
        self.topics = topics  # None: every post in the general topic (unit tests)
        self.clock = clock
        self.config = config
        self.outbox = outbox
        self.scheduler = scheduler
        self.community = community
        self.cards = cards
        self.quiet = quiet  # None: no quiet hours (unit tests of notices alone)
        self.repo = NoticeRepository(db)
        # Telegram allows about 20 messages and edits a minute in a group, so an edit for
        # every press would be refused in a burst: the first press after a quiet spell is
        # shown at the next scheduler tick, the presses that follow in one edit a window.
        cards.register(
            CARD,
            self._post_card,
            send_kind=NOTICE_KIND,
            edit_kind=COUNT_KIND,
            batch_seconds=COUNT_EDIT_SECONDS,
            leading=True,
        )

    @property
    def tz(self) -> ZoneInfo:
        """The community's time zone, in which owners write times."""
        return self.config.community.tz

    # --- reading the command -------------------------------------------------------------

    async def draft(self, text: str, *, private: bool) -> Draft:
        """Read ``[pin] [at DATE TIME] [buildings] text``; buildings come first in private."""
        now = self.clock.now()
        pin, send_at, every, remind, rest = read_with_remind(text, self.tz, now)
        to_all, buildings = False, tuple[Building, ...]()
        if private and rest:
            word, tail = first_word(rest)
            if word.lower() in ALL_WORDS:
                to_all, rest = True, tail
            else:
                known = await self.community.buildings.all(active_only=False)
                picked, rest = take_buildings(rest, known)
                buildings = tuple(picked)
            pin, send_at, every, remind, rest = read_with_remind(
                rest, self.tz, now, pin=pin, send_at=send_at, every=every, remind=remind
            )
        if remind is not None and every is not None:
            raise InvalidInput(REMIND_NOT_RECURRING)
        body = checked_text(rest, private=private, example=self.example_time())
        return Draft(body, pin, send_at, to_all, buildings, every, remind_after=remind)

    def example_time(self) -> str:
        """Tomorrow at 09:00 in the community's time zone, as owners write it."""
        tomorrow = datetime.fromtimestamp(self.clock.now(), self.tz) + timedelta(days=1)
        return tomorrow.strftime("%Y-%m-%d 09:00")

    # --- posting -------------------------------------------------------------------------

    async def create(
        self,
        actor: Actor,
        origin_chat_id: int,
        buildings: list[Building],
        draft: Draft,
        source_message_id: int | None = None,
    ) -> Notice:
        """Store a notice for these buildings (the actor must own every one): queued at
        once, or scheduled for its time.

        The same command message handled twice (a crash before its update was marked
        handled) returns the notice it created the first time.
        """
        await self.require_owner_of_all(actor, buildings)
        author_id = actor.user_id
        now = self.clock.now()
        async with self.db.transaction() as tx:
            if source_message_id is not None and (
                seen := await self.repo.by_source(tx, origin_chat_id, source_message_id)
            ):
                return await self._notice(tx, seen)
            notice_id = await self.repo.add(
                tx, author_id, origin_chat_id, draft.text, draft.pin or draft.urgent,
                draft.send_at, now, source_message_id, urgent=draft.urgent,
            )
            for building in buildings:
                await self.repo.add_post(tx, notice_id, building.id, building.chat_id, "scheduled")
            if draft.send_at is None:
                await self.repo.mark_sending(tx, notice_id, now)
                await self._send(tx, notice_id, now)
            else:
                await self.scheduler.schedule(
                    tx,
                    SEND_JOB,
                    f"{SEND_JOB_PREFIX}{notice_id}",
                    draft.send_at,
                    {"notice": notice_id},
                )
            if draft.remind_after is not None:
                await self.scheduler.schedule(
                    tx, NUDGE_JOB, f"{NUDGE_JOB_PREFIX}{notice_id}",
                    (draft.send_at or now) + draft.remind_after, {"notice": notice_id},
                    grace_seconds=LATE_GRACE_SECONDS,
                )
            return await self._notice(tx, notice_id)

    async def require_owner_of_all(self, actor: Actor, buildings: Sequence[Building]) -> None:
        """Refuse unless there are buildings and the actor owns every one."""
        if not buildings:
            raise NotFound(
                N_("There is no building yet. Add me to a building's group and run /setup there.")
            )
        foreign = [b.name for b in buildings if not await self._owns(actor, b)]
        if foreign:
            raise NotAllowed(NOT_OWNER, names=", ".join(foreign))

    async def post_occurrence(
        self,
        tx: Transaction,
        recurring_id: int,
        author_id: int,
        origin_chat_id: int,
        text: str,
        pin: bool,
        building_ids: Sequence[int],
        at: float,
    ) -> int | None:
        """Post one occurrence of a recurring notice as a notice of its own; None if this
        occurrence was posted before (one notice per rule and time: the index decides)."""
        if await self.repo.occurrence(tx, recurring_id, at) is not None:
            return None
        return await self.post_now(
            tx, author_id, origin_chat_id, text, pin, building_ids, at, recurring_id=recurring_id
        )

    async def post_now(
        self,
        tx: Transaction,
        author_id: int,
        origin_chat_id: int,
        text: str,
        pin: bool,
        building_ids: Sequence[int],
        at: float | None = None,
        *,
        recurring_id: int | None = None,
        deadline: float | None = None,
    ) -> int:
        """Post a notice another feature composed, in its transaction; returns its id.

        ``deadline``: quiet hours that would hold a post past this moment do not hold it
        (an outage announced while the group is quiet, starting before the quiet ends).
        """
        now = self.clock.now()
        notice_id = await self.repo.add(
            tx, author_id, origin_chat_id, text, pin, at, now, recurring_id=recurring_id
        )
        for building_id in building_ids:
            building = await self.community.buildings.by_id(building_id)
            if building is not None:
                await self.repo.add_post(tx, notice_id, building.id, building.chat_id, "scheduled")
        await self.repo.start_sending(tx, notice_id, now)
        await self._send(tx, notice_id, now, deadline)
        return notice_id

    async def holds(self, buildings: Sequence[Building], at: float | None) -> list[
        tuple[Building, float]
    ]:
        """The buildings whose quiet hours hold a post made at ``at`` (None: now), and when
        it goes out there."""
        if self.quiet is None:
            return []
        moment = self.clock.now() if at is None else at
        held = []
        async with self.db.transaction() as tx:
            for building in buildings:
                until = await self.quiet.held_until(tx, building.id, moment)
                if until is not None:
                    held.append((building, until))
        return held

    async def _owns(self, actor: Actor, building: Building) -> bool:
        try:
            await self.community.require(actor, building, Role.OWNER)
        except NotAllowed:
            return False
        return True

    async def _notice(self, tx: Transaction, notice_id: int) -> Notice:
        notice = await self.repo.get(notice_id, tx)
        assert notice is not None
        return notice

    async def send_scheduled(self, tx: Transaction, job: Job) -> None:
        """Job: a scheduled notice's time has come (skipped if it was cancelled)."""
        notice_id = int(job.data["notice"])
        if await self.repo.start_sending(tx, notice_id, self.clock.now()):
            await self._send(tx, notice_id, self.clock.now())

    async def _send(
        self, tx: Transaction, notice_id: int, now: float, deadline: float | None = None
    ) -> None:
        """Queue a post for every building group; a group the bot left fails at once."""
        notice = await self.repo.get(notice_id, tx)
        assert notice is not None
        for post in await self.repo.posts(tx, notice_id):
            if post.status == "scheduled":
                await self._send_post(tx, notice, post, now, deadline)
        await self._check_later(tx, notice_id, 1, now)
        await self._settle(tx, notice_id, now)

    async def _send_post(
        self, tx: Transaction, notice: Notice, post: NoticePost, now: float,
        deadline: float | None = None,
    ) -> None:
        """Queue one post, or hold it to the end of its group's quiet hours (not past the
        deadline: then it goes out now)."""
        if not post.chat_active:
            await self.repo.set_failed(tx, post.id, REMOVED)
            return
        until = None if self.quiet is None else await self.quiet.held_until(
            tx, post.building_id, now, urgent=notice.urgent
        )
        if until is not None and (deadline is None or until <= deadline):
            await self.repo.set_held(tx, post.id, until)
            await self.scheduler.schedule(
                tx, RELEASE_JOB, f"notice release {post.id} {int(until)}", until,
                {"notice": notice.id, "post": post.id}, grace_seconds=LATE_GRACE_SECONDS,
            )
            return
        row_id = await self.cards.send(
            tx,
            CARD,
            str(post.id),
            post.chat_id,
            await self._in_topic(tx, post.chat_id,
                                 views.post(self._t(post.language), notice, post.id, 0)),
            outbox_ref=f"notice:{notice.id}",
            dedupe_key=f"notice post {post.id}",
            batch=f"notice:{notice.id}",
            priority=priority_of(notice),
        )
        await self.repo.set_queued(tx, post.id, row_id)

    async def _in_topic(self, tx: Transaction, chat_id: int, message: OutMessage) -> OutMessage:
        """A post as it goes to its group: in the topic chosen for notices, if any."""
        if self.topics is None:
            return message
        return await self.topics.in_topic(tx, chat_id, "notices", message)

    async def release(self, tx: Transaction, job: Job) -> None:
        """Job: the quiet hours that held a post are over (held again if they moved)."""
        notice = await self.repo.get(int(job.data["notice"]), tx)
        post = await self.repo.post(tx, int(job.data["post"]))
        if notice is None or post is None or notice.status != "sending":
            return
        if post.status != "scheduled":
            return
        now = self.clock.now()
        await self._send_post(tx, notice, post, now)
        await self._check_later(tx, notice.id, int(now), now)  # a round of its own
        await self._settle(tx, notice.id, now)

    async def _post_card(self, tx: Transaction, ref: str, chat_id: int) -> OutMessage | None:
        """The post as its group sees it now, with the count of confirmations."""
        post = await self.repo.post(tx, int(ref))
        notice = None if post is None else await self.repo.get(post.notice_id, tx)
        if post is None or notice is None:
            return None
        count = await self.repo.count(tx, post.id)
        return views.post(self._t(post.language), notice, post.id, count)

    # --- settling: every post delivered or failed ----------------------------------------

    async def on_settled(self, tx: Transaction, delivery: Delivery) -> None:
        """Outbox hook: a notice's message or pin was sent or failed for good. It runs in
        the transaction that settles the row, so a crash cannot leave the row sent and the
        post (and the summary after the last one) unsettled."""
        notice_id = notice_of_ref(delivery.row.ref)
        if notice_id is None:
            return
        posts = await self.repo.posts_of_outbox(tx, delivery.row.id)
        await self._settle(tx, notice_id, self.clock.now(), posts)

    async def check_settled(self, tx: Transaction, job: Job) -> None:
        """Job: the safety net for a settle that no hook saw (a crash, a group that left)."""
        notice_id, round_ = int(job.data["notice"]), int(job.data.get("round", 1))
        now = self.clock.now()
        await self._settle(tx, notice_id, now)
        notice = await self.repo.get(notice_id, tx)
        queued = any(post.status == "queued" for post in await self.repo.posts(tx, notice_id))
        if notice is not None and notice.status == "sending" and queued:
            # posts held by quiet hours plan their own check when they are released
            await self._check_later(tx, notice_id, round_ + 1, now)

    async def _check_later(self, tx: Transaction, notice_id: int, round_: int, now: float) -> None:
        await self.scheduler.schedule(
            tx,
            SETTLE_JOB,
            f"notice settle {notice_id} {round_}",
            now + SETTLE_CHECK_SECONDS,
            {"notice": notice_id, "round": round_},
            grace_seconds=LATE_GRACE_SECONDS,
        )

    async def _settle(
        self, tx: Transaction, notice_id: int, now: float, posts: list[NoticePost] | None = None
    ) -> None:
        """Bring the posts (all of them, or those given) up to date with their outbox rows;
        report once all have settled. A hook passes the one post whose row settled: reading
        every post of a broadcast on every delivery would cost O(groups²)."""
        notice = await self.repo.get(notice_id, tx)
        if notice is None or notice.status != "sending":
            return
        for post in posts if posts is not None else await self.repo.posts(tx, notice_id):
            if post.status == "queued":
                await self._settle_post(tx, notice, post)
        if await self.repo.finish(tx, notice_id, now):
            await self._report(tx, notice)

    async def _settle_post(self, tx: Transaction, notice: Notice, post: NoticePost) -> None:
        if post.send_status == "failed":
            await self.repo.set_failed(tx, post.id, post.send_error or "failed")
            return
        if post.send_status != "sent":
            return
        if notice.pin and post.pin_outbox_id is None and post.sent_message_id is not None:
            pin_row = await self.outbox.queue_call(
                tx,
                post.chat_id,
                "pinChatMessage",
                views.pin_params(notice, post.sent_message_id),
                kind=PIN_KIND,
                ref=f"notice:{notice.id}",
                dedupe_key=f"notice pin {post.id}",
                priority=priority_of(notice),
            )
            if pin_row is not None:
                await self.repo.set_pinning(tx, post.id, post.sent_message_id, pin_row)
                return
        if post.pin_status == "pending":
            return
        pin_error = (post.pin_failure or "failed") if post.pin_status == "failed" else None
        await self.repo.set_posted(tx, post.id, post.sent_message_id, pin_error)
        if pin_error and notice.origin_chat_id < 0:
            await self.outbox.queue_message(
                tx,
                post.chat_id,
                await self._in_topic(tx, post.chat_id,
                                     views.pin_failed(self._t(post.language), pin_error)),
                kind="notice_note",
                dedupe_key=f"notice pin note {post.id}",
            )

    async def _report(self, tx: Transaction, notice: Notice) -> None:
        """The summary for an owner who sent the notice from a private chat."""
        if notice.origin_chat_id < 0:
            return
        t = self._t(await self.repo.chat_language(tx, notice.origin_chat_id))
        await self.outbox.queue_message(
            tx,
            notice.origin_chat_id,
            views.summary(t, notice, await self.repo.posts(tx, notice.id)),
            kind="notice_summary",
            ref=f"notice:{notice.id}",
            dedupe_key=f"notice summary {notice.id}",
            priority=priority_of(notice),
        )

    # --- confirmations and the live count -------------------------------------------------

    async def confirm(self, actor: Actor, post_id: int, chat_id: int, message_id: int) -> int:
        """Record a resident's confirmation, once; returns how many confirmed the post.

        Whoever sees the post may confirm it. A second press is a Conflict (the UNIQUE
        constraint decides, even for two presses at once). The button must be pressed on
        the post's own message: a payload moved to another message or chat is refused as
        forged.
        """
        async with self.db.transaction() as tx:
            post = await self.repo.post(tx, post_id)
            if post is None or (post.chat_id, post.posted_message_id) != (chat_id, message_id):
                raise InvalidInput(N_("This button is no longer valid."))
            count = await self._confirm(tx, actor, post.id, chat_id, message_id, "button")
        if count is None:
            raise Conflict(N_("You have already confirmed this notice. Thank you!"))
        return count

    async def confirm_at(
        self, actor: Actor, chat_id: int, message_id: int, how: ConfirmedBy
    ) -> int | None:
        """A "收到" reply to a post, or a 👍 on it: the same confirmation as the button, once.
        Returns the new count, or None when the message is no post or they had confirmed."""
        async with self.db.transaction() as tx:
            post = await self.repo.post_at(tx, chat_id, message_id)
            if post is None:
                return None
            return await self._confirm(tx, actor, post.id, chat_id, message_id, how)

    async def withdraw_reaction_at(
        self, actor: Actor, chat_id: int, message_id: int
    ) -> int | None:
        """The 👍 on a post was taken away: so is the confirmation it made (one made with the
        button or a reply stays). Returns the new count, or None when nothing was withdrawn."""
        async with self.db.transaction() as tx:
            post = await self.repo.post_at(tx, chat_id, message_id)
            if post is None or not await self.repo.withdraw_reaction(tx, post.id, actor.user_id):
                return None
            await self.cards.touch(tx, CARD, str(post.id))
            return await self.repo.count(tx, post.id)

    async def _confirm(
        self, tx: Transaction, actor: Actor, post_id: int, chat_id: int, message_id: int,
        how: ConfirmedBy,
    ) -> int | None:
        """Store one confirmation and refresh the live count; None if it was there already."""
        if not await self.repo.confirm(tx, post_id, actor.user_id, self.clock.now(), how):
            return None
        # the press proves where the post is, even if its delivery hook was lost
        await self.cards.arrived(tx, CARD, str(post_id), chat_id, message_id)
        await self.cards.touch(tx, CARD, str(post_id))
        return await self.repo.count(tx, post_id)

    async def confirm_elsewhere(self, tx: Transaction, actor: Actor, post_id: int) -> int | None:
        """A confirmation made away from the post (a private reminder's «Got it»), counted
        like the group's button; None if it was there already. The caller checks the right."""
        if not await self.repo.confirm(tx, post_id, actor.user_id, self.clock.now(), "button"):
            return None
        await self.cards.touch(tx, CARD, str(post_id))
        return await self.repo.count(tx, post_id)

    def is_confirmation(self, text: str) -> bool:
        """Whether a reply says only "收到" / "ok" (a word of the configured list)."""
        said = one_line(text).lower().rstrip(_AFTER_WORD)
        return said in {word.lower() for word in self.config.notices.confirm_words}

    def is_confirming_reaction(self, emoji: Sequence[str]) -> bool:
        """Whether a reaction includes one that counts as a confirmation (👍)."""
        return any(e in self.config.notices.confirm_reactions for e in emoji)

    # --- what owners see and do ----------------------------------------------------------

    async def get(self, notice_id: int) -> Notice:
        """A notice by number, or a refusal."""
        notice = await self.repo.get(notice_id)
        if notice is None:
            raise NotFound(N_("There is no notice #{id}."), id=notice_id)
        return notice

    async def buildings_of(self, notice_id: int) -> list[Building]:
        """The buildings a notice goes to."""
        buildings = self.community.buildings
        found = [await buildings.by_id(b) for b in await self.repo.building_ids(notice_id)]
        return [building for building in found if building is not None]

    async def lines(
        self, buildings: list[Building], author_id: int | None, limit: int = 15
    ) -> list[NoticeLine]:
        """Scheduled and recent notices of these buildings (and of the author)."""
        return await self.repo.lines([b.id for b in buildings], author_id, limit)

    async def recent_for(self, actor: Actor, limit: int = 5) -> list[NoticeLine]:
        """The latest notices posted to the buildings one lives in (a resident's «Notices»)."""
        buildings = await self.community.scope(actor, None, Role.RESIDENT)
        lines = await self.repo.lines([b.id for b in buildings], None, limit * 2)
        return [line for line in lines if line.status == "sent"][:limit]

    async def require_owner(self, actor: Actor, notice_id: int) -> Notice:
        """The notice, if the actor owns one of its buildings (or is a community admin)."""
        found = await self.get(notice_id)
        if self.community.is_admin(actor.user_id):
            return found
        for building in await self.buildings_of(notice_id):
            if await self._owns(actor, building):
                return found
        raise NotAllowed(NOT_NOTICE_OWNER, id=notice_id)

    async def confirmations(self, actor: Actor, notice_id: int) -> Confirmations:
        """Who confirmed a notice, building by building (for its owners)."""
        await self.require_owner(actor, notice_id)
        residents = {
            b.name: await self.community.buildings.residents_count(b.id)
            for b in await self.buildings_of(notice_id)
        }
        people = await self.repo.confirmers(notice_id)
        nudges = NudgeRepository(self.db)
        return Confirmations(
            notice_id=notice_id, people=people, residents=residents,
            pending=await nudges.pending(notice_id),
            households=await nudges.households(notice_id),
        )

    async def cancel(self, actor: Actor, notice_id: int) -> None:
        """Cancel a scheduled notice (its owners); refused if it went out or was cancelled."""
        await self.require_owner(actor, notice_id)
        async with self.db.transaction() as tx:
            if not await self.repo.cancel(tx, notice_id):
                raise Conflict(N_("Notice #{id} was already sent or cancelled."), id=notice_id)
            await self.scheduler.cancel(tx, f"{SEND_JOB_PREFIX}{notice_id}")
            await self.scheduler.cancel(tx, f"{NUDGE_JOB_PREFIX}{notice_id}")

    def _t(self, language: str | None) -> Translator:
        return translator(language or self.config.community.language)


# --- pure helpers: reading the command, and words for failures ----------------------------


def first_word(text: str) -> tuple[str, str]:
    """The first word of a text and the rest (line breaks in the rest are kept)."""
    match = _FIRST_WORD.match(text)
    assert match is not None
    return match.group(1), match.group(2)


def read_options(
    text: str, tz: ZoneInfo, now: float, *, pin: bool = False, send_at: float | None = None
) -> tuple[bool, float | None, str]:
    """Leading ``pin`` and ``at DATE TIME`` options (either order); returns the rest too.

    ``at`` is an option only when a number follows it, so a notice may begin with "at".
    ``pin`` and ``send_at`` are the options already read (before the buildings, in private).
    """
    rest = text.strip()
    while True:
        word, tail = first_word(rest)
        if word.lower() in PIN_WORDS and not pin:
            pin, rest = True, tail
        elif word.lower() == "at" and send_at is None and tail[:1].isdigit():
            send_at, rest = read_time(tail, tz, now)
        else:
            return pin, send_at, rest


def read_all_options(
    text: str,
    tz: ZoneInfo,
    now: float,
    *,
    pin: bool = False,
    send_at: float | None = None,
    every: Recurrence | None = None,
) -> tuple[bool, float | None, Recurrence | None, str]:
    """``read_options`` and a recurrence (``every mon 09:00``) in any order; a notice is
    either at a time or recurring, not both."""
    rest = text
    while True:
        pin, send_at, rest = read_options(rest, tz, now, pin=pin, send_at=send_at)
        found, rest = (None, rest) if every is not None else read_every(rest)
        if found is None:
            break
        every = found
    if every is not None and send_at is not None:
        raise InvalidInput(
            N_(
                "A notice is either at a time (at {example}) or recurring (every mon 09:00), "
                "not both."
            ),
            example=(datetime.fromtimestamp(now, tz) + timedelta(days=1)).strftime(
                "%Y-%m-%d 09:00"
            ),
        )
    return pin, send_at, every, rest


def read_with_remind(
    text: str,
    tz: ZoneInfo,
    now: float,
    *,
    pin: bool = False,
    send_at: float | None = None,
    every: Recurrence | None = None,
    remind: int | None = None,
) -> tuple[bool, float | None, Recurrence | None, int | None, str]:
    """``read_all_options`` and ``remind after 6h`` (提醒 6小时后), in any order."""
    rest = text
    while True:
        pin, send_at, every, rest = read_all_options(
            rest, tz, now, pin=pin, send_at=send_at, every=every
        )
        found, rest = (None, rest) if remind is not None else read_remind(rest)
        if found is None:
            return pin, send_at, every, remind, rest
        remind = found


def read_remind(text: str) -> tuple[int | None, str]:
    """A leading ``remind after 6h`` / ``提醒 6小时后``: the delay in seconds, and the rest.

    It is an option only when hours follow, so a notice may begin with "remind"; hours out
    of REMIND_HOURS are refused.
    """
    stripped = text.strip()
    match = _REMIND_EN.match(stripped) or _REMIND_ZH.match(stripped)
    if match is None and _REMIND_LOOSE.match(stripped):
        raise InvalidInput(REMIND_FORM)
    if match is None:
        return None, text
    hours = int(match.group(1))
    low, high = REMIND_HOURS
    if not low <= hours <= high:
        raise InvalidInput(REMIND_BOUNDS, hours=hours, low=low, high=high)
    return hours * 3600, stripped[match.end() :]


def read_time(text: str, tz: ZoneInfo, now: float) -> tuple[float, str]:
    """``2026-12-01 09:00 rest…`` in the community's time zone; refuses bad or past times."""
    day, tail = first_word(text)
    clock, rest = first_word(tail)
    example = (datetime.fromtimestamp(now, tz) + timedelta(days=1)).strftime("%Y-%m-%d 09:00")
    date_match, time_match = _DATE.match(day), _TIME.match(clock)
    try:
        if date_match is None or time_match is None:
            raise ValueError(day)
        year, month, date = (int(part) for part in date_match.groups())
        hour, minute = (int(part) for part in time_match.groups())
        moment = datetime(year, month, date, hour, minute, tzinfo=tz)
    except ValueError:
        raise InvalidInput(
            N_(
                "I could not read the time «{time}». Write it like this, in the "
                "{timezone} time zone: /notice at {example} followed by the text."
            ),
            time=f"{day} {clock}".strip(),
            timezone=tz.key,
            example=example,
        ) from None
    if moment.timestamp() <= now:
        raise InvalidInput(
            N_(
                "{time} has already passed. Give a time in the future, for example: "
                "/notice at {example} followed by the text."
            ),
            time=moment.strftime("%Y-%m-%d %H:%M"),
            example=example,
        )
    return moment.timestamp(), rest


UNKNOWN_BUILDING = N_(
    "There is no building called «{name}». Buildings: {names}\n"
    "Write /notice all followed by the text, or name the buildings with "
    "commas: /notice 3号楼,5号楼 followed by the text."
)


def take_buildings(
    text: str, known: list[Building], unknown: str = UNKNOWN_BUILDING
) -> tuple[list[Building], str]:
    """Building names at the start of ``text``, separated by commas; returns the rest.

    Names may hold spaces, so the longest known name that fits is taken each time.
    ``unknown`` is the refusal for a name that is no building (with {name} and {names}).
    """
    by_length = sorted(known, key=lambda building: -len(building.name))
    picked: list[Building] = []
    rest = text
    while True:
        found = next((b for b in by_length if _starts_with_name(rest, b.name)), None)
        if found is None:
            raise NotFound(
                unknown,
                name=re.split(rf"[\s{SEPARATORS}]", rest.strip(), maxsplit=1)[0],
                names=", ".join(b.name for b in known[:50]) or "—",
            )
        if found not in picked:
            picked.append(found)
        rest = rest[len(found.name) :]
        if not rest[:1] or rest[0] not in SEPARATORS:
            return picked, rest
        rest = rest[1:].lstrip()


def _starts_with_name(text: str, name: str) -> bool:
    head = text[: len(name)]
    after = text[len(name) : len(name) + 1]
    return head.lower() == name.lower() and (not after or after.isspace() or after in SEPARATORS)


def checked_text(text: str, *, private: bool, example: str) -> str:
    """The notice's text, refused when empty or over Telegram's limit."""
    body = tidy(text)
    if not body:
        raise InvalidInput(EMPTY_IN_PRIVATE if private else EMPTY_IN_GROUP, example=example)
    length = telegram_length(body)
    if length > MAX_LENGTH:
        raise InvalidInput(
            N_(
                "The notice is too long: {length} characters, at most {limit}. "
                "Please shorten it or split it in two."
            ),
            length=length,
            limit=MAX_LENGTH,
        )
    return body


EMPTY_IN_GROUP = N_(
    "Write the text of the notice after the command, for example:\n"
    "/notice The water is off on Monday from 9:00 to 12:00.\n"
    "Add pin to pin it, or a time to post it later: /notice pin at {example} …"
)
EMPTY_IN_PRIVATE = N_(
    "Name the buildings, then write the text of the notice:\n"
    "/notice all The water is off on Monday from 9:00 to 12:00.\n"
    "/notice 3号楼,5号楼 The water is off on Monday from 9:00 to 12:00.\n"
    "Add pin to pin it, or a time to post it later: /notice pin at {example} all …"
)


def priority_of(notice: Notice) -> int:
    """An emergency's rows go ahead of every other queued message."""
    return URGENT if notice.urgent else ORDINARY


REMIND_BOUNDS = N_(
    "I can remind the rest after {low} to {high} hours, not {hours}. For example: "
    "/notice remind after 6h followed by the text."
)
REMIND_FORM = N_(
    "Write the delay in whole hours, for example: /notice remind after 6h followed by the "
    "text."
)
REMIND_NOT_RECURRING = N_(
    "remind after works for a single notice, not for a recurring one. Post it without "
    "remind after, or press «Remind the rest» under the notice's confirmations."
)


def notice_of_ref(ref: str | None) -> int | None:
    """The notice an outbox row belongs to (its ref is ``notice:<id>``)."""
    prefix, _, number = (ref or "").partition(":")
    return int(number) if prefix == "notice" and number.isdigit() else None
