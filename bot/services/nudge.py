"""Reminding the residents who have not confirmed a notice ("Remind the rest").

One round per notice and local day (``notice_nudges``, UNIQUE (notice_id, day)): each
resident known in the notice's groups who has confirmed no post of it gets one private
reminder with a «Got it» button if they started the bot, and the others are mentioned in
one group message per group (split under Telegram's limit), which waits for the end of
the group's quiet hours like any post. Everything goes through the outbox with dedupe keys
of the round, so a replayed press or job queues nothing twice. An owner presses the button
(only for the buildings they own), or ``/notice remind after 6h …`` stores a job
("notice nudge <id>") that does the same on the author's behalf; while the notice's
posts are still held by quiet hours it looks again every hour, for a day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.clock import Clock
from bot.config import Settings
from bot.domain.core import Building, Job, User
from bot.domain.notices import Notice, NoticePost, Nudge
from bot.errors import Conflict, InvalidInput
from bot.i18n import N_, Translator, translator
from bot.outbox import Outbox
from bot.scheduler import Scheduler
from bot.services.community import Actor, Community, Role
from bot.services.notices import (
    LATE_GRACE_SECONDS,
    NUDGE_JOB,
    NUDGE_JOB_PREFIX,
    NoticeService,
)
from bot.services.quiet import QuietHoursService
from bot.views import nudge as views
from storage.db import Database, Transaction
from storage.nudge import NudgeRepository

PRIVATE_KIND = "nudge_private"
GROUP_KIND = "nudge_group"
REPORT_KIND = "nudge_report"
INVALID = N_("This button is no longer valid.")
WAIT_SECONDS = 3600  # a remind-after job whose posts are still held looks again this often
WAIT_ROUNDS = 24  # and gives up after a day


class NudgeService:
    """Remind the rest of a notice's residents, by button or by a stored job."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        config: Settings,
        outbox: Outbox,
        scheduler: Scheduler,
        community: Community,
        notices: NoticeService,
        quiet: QuietHoursService,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.outbox = outbox
        self.scheduler = scheduler
        self.community = community
        self.notices = notices
        self.quiet = quiet
        self.repo = NudgeRepository(db)

    async def remind(self, actor: Actor, notice_id: int, source: str) -> Nudge:
        """«Remind the rest», pressed by an owner of the notice's buildings (in the ones they
        own). Refused when today's round went already (saying when), when the notice is not
        out yet, or when nobody is left. The same press handled twice returns its round."""
        notice = await self.notices.require_owner(actor, notice_id)
        owned = {b.id for b in await self._owned(actor, notice_id)}
        now = self.clock.now()
        async with self.db.transaction() as tx:
            if (seen := await self.repo.by_source(tx, source)) is not None:
                return seen
            if notice.status not in ("sending", "sent"):
                raise Conflict(N_("Notice #{id} has not been posted yet."), id=notice_id)
            if (last := await self.repo.on_day(tx, notice_id, self._day(now))) is not None:
                raise Conflict(views.ALREADY_TODAY, id=notice_id, time=self._clock(last.at))
            posts = [p for p in await self._posted(tx, notice_id) if p.building_id in owned]
            nudge = await self._round(tx, notice, posts, actor.user_id, source, now)
        if nudge is None:
            raise Conflict(
                N_("Everyone I know in the group has confirmed notice #{id}."), id=notice_id
            )
        return nudge

    async def remind_later(self, tx: Transaction, job: Job) -> None:
        """Job: ``remind after`` has come; skipped if the notice went nowhere or an owner
        reminded the rest today already. The author hears how many were reminded."""
        notice = await self.notices.repo.get(int(job.data["notice"]), tx)
        now = self.clock.now()
        if notice is None or notice.status not in ("sending", "sent"):
            return
        if await self.repo.on_day(tx, notice.id, self._day(now)) is not None:
            return
        every = await self.notices.repo.posts(tx, notice.id)
        posts = [p for p in every if p.status == "posted" and p.chat_active]
        if not posts and any(p.status in ("scheduled", "queued") for p in every):
            await self._wait_for_posts(tx, notice.id, job, now)
            return
        nudge = await self._round(tx, notice, posts, None, f"job {job.key}", now)
        if nudge is None or not await self.repo.may_write(tx, notice.author_id):
            return
        t = self._t(await self.notices.repo.chat_language(tx, notice.author_id))
        await self.outbox.queue_message(
            tx, notice.author_id, views.done(t, nudge), kind=REPORT_KIND,
            ref=f"notice:{notice.id}", dedupe_key=f"nudge {nudge.id} report",
        )

    async def _wait_for_posts(self, tx: Transaction, notice_id: int, job: Job, now: float) -> None:
        """The notice's posts are still held (quiet hours) or on their way: look again in an
        hour, for at most WAIT_ROUNDS hours."""
        round_ = int(job.data.get("round", 0)) + 1
        if round_ > WAIT_ROUNDS:
            return
        await self.scheduler.schedule(
            tx, NUDGE_JOB, f"{NUDGE_JOB_PREFIX}{notice_id} {round_}", now + WAIT_SECONDS,
            {"notice": notice_id, "round": round_}, grace_seconds=LATE_GRACE_SECONDS,
        )

    async def confirm(self, actor: Actor, post_id: int, chat_id: int) -> int:
        """«Got it» under a private reminder: confirms the post as the group's button does,
        for the person it was sent to only; returns the post's new count."""
        if chat_id != actor.user_id:
            raise InvalidInput(INVALID)
        async with self.db.transaction() as tx:
            if not await self.repo.was_reminded(tx, post_id, actor.user_id):
                raise InvalidInput(INVALID)
            count = await self.notices.confirm_elsewhere(tx, actor, post_id)
        if count is None:
            raise Conflict(N_("You have already confirmed this notice. Thank you!"))
        return count

    async def _round(
        self, tx: Transaction, notice: Notice, posts: Sequence[NoticePost], by_user: int | None,
        source: str, now: float,
    ) -> Nudge | None:
        """Queue today's reminders; None (and nothing stored) when nobody is left."""
        people = await self.repo.unconfirmed(tx, notice.id, [p.id for p in posts])
        if not people:
            return None
        nudge_id = await self.repo.add(tx, notice.id, self._day(now), by_user, source, now)
        if nudge_id is None:
            return None
        where = {post.id: post for post in posts}
        in_group: dict[int, list[User]] = {}
        private = 0
        for person in people:
            how = "private" if person.in_private else "group"
            if not await self.repo.add_person(tx, nudge_id, person.post_id, person.user.id, how):
                continue  # in two of the notice's buildings: reminded once
            if how == "group":
                in_group.setdefault(person.post_id, []).append(person.user)
                continue
            t = self._t(await self.notices.repo.chat_language(tx, person.user.id))
            await self.outbox.queue_message(
                tx, person.user.id, views.reminder(t, notice, where[person.post_id]),
                kind=PRIVATE_KIND, ref=f"notice:{notice.id}",
                dedupe_key=f"nudge {nudge_id} private {person.user.id}",
            )
            private += 1
        for post_id, users in in_group.items():
            await self._mention(tx, nudge_id, where[post_id], users)
        mentioned = sum(len(users) for users in in_group.values())
        return await self.repo.set_counts(tx, nudge_id, private, mentioned)

    async def _mention(
        self, tx: Transaction, nudge_id: int, post: NoticePost, users: list[User]
    ) -> None:
        """The group's message naming those who cannot be written to in private (a reply to
        the post, held by quiet hours like the post)."""
        t = self._t(post.language)
        for number, message in enumerate(views.mentions(t, users, post.posted_message_id)):
            await self.quiet.post(
                tx, post.building_id, post.chat_id, message, kind=GROUP_KIND,
                dedupe_key=f"nudge {nudge_id} group {post.id} {number}",
            )

    async def _posted(self, tx: Transaction, notice_id: int) -> list[NoticePost]:
        """The notice's posts that are in their groups now."""
        posts = await self.notices.repo.posts(tx, notice_id)
        return [p for p in posts if p.status == "posted" and p.chat_active]

    async def _owned(self, actor: Actor, notice_id: int) -> list[Building]:
        """The notice's buildings the actor may remind (every one, for a community admin)."""
        buildings = await self.notices.buildings_of(notice_id)
        return [
            b for b in buildings if await self.community.role_in(actor.user_id, b) >= Role.OWNER
        ]

    def _day(self, moment: float) -> str:
        return datetime.fromtimestamp(moment, self.config.community.tz).strftime("%Y-%m-%d")

    def _clock(self, moment: float) -> str:
        return datetime.fromtimestamp(moment, self.config.community.tz).strftime("%H:%M")

    def _t(self, language: str | None) -> Translator:
        return translator(language or self.config.community.language)
