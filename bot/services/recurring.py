"""Recurring notices: a rule stored as data, each occurrence a stored job posted once.

The job of an occurrence is keyed "notice recurring <rule> <local time>", so it runs once
whatever restarts happen; it posts an ordinary notice (confirmations, live count, quiet
hours) and plans the next occurrence in the same transaction. An occurrence missed while
the bot was down (later than its grace) is recorded missed and the next one is planned
after now: never a burst of catch-up posts. At every start, an active rule whose chain
was broken gets its next occurrence again.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config import Settings
from bot.domain.core import Building, Job
from bot.domain.recurring import RecurringNotice
from bot.errors import Conflict, NotAllowed, NotFound
from bot.i18n import N_
from bot.scheduler import Scheduler
from bot.services.community import Actor, Community, Role
from bot.services.notices import Draft, NoticeService
from bot.services.recurrence import Recurrence
from bot.services.weektime import local_datetime
from storage.db import Database, Transaction
from storage.jobs import JobRepository
from storage.recurring import RecurringRepository

OCCURRENCE_JOB = "notice.recurring"
NOT_RULE_OWNER = N_(
    "Only the owners of the buildings recurring notice 🔁{id} goes to, and the community "
    "admins, may stop it."
)


def rule_of(notice: RecurringNotice) -> Recurrence:
    """The rule of a stored recurring notice, for the arithmetic."""
    return Recurrence(
        notice.kind, notice.minute, notice.weekday, notice.day, notice.weeks, notice.anchor
    )


class RecurringNotices:
    """Create, list and stop recurring notices, and post their occurrences."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        config: Settings,
        scheduler: Scheduler,
        community: Community,
        notices: NoticeService,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.scheduler = scheduler
        self.community = community
        self.notices = notices
        self.repo = RecurringRepository(db)
        self.jobs = JobRepository(db)

    async def create(
        self,
        actor: Actor,
        origin_chat_id: int,
        buildings: Sequence[Building],
        draft: Draft,
        source_message_id: int | None = None,
    ) -> RecurringNotice:
        """Store a recurring notice (the actor owns every building) and plan its first
        occurrence. A command handled twice returns the rule it created the first time."""
        assert draft.every is not None
        await self.notices.require_owner_of_all(actor, buildings)
        now = self.clock.now()
        rule = draft.every.anchored(now, self.tz)
        async with self.db.transaction() as tx:
            if source_message_id is not None and (
                seen := await self.repo.by_source(tx, origin_chat_id, source_message_id)
            ):
                return await self._get(tx, seen)
            fields = {
                "kind": rule.kind, "minute": rule.minute, "weekday": rule.weekday,
                "day": rule.day, "weeks": rule.weeks,
                "anchor": rule.anchor.isoformat() if rule.anchor else None,
            }
            recurring_id = await self.repo.add(
                tx, actor.user_id, origin_chat_id, draft.text, draft.pin, fields, now,
                source_message_id,
            )
            for building in buildings:
                await self.repo.add_building(tx, recurring_id, building.id)
            await self._plan(tx, recurring_id, rule.next_after(now, self.tz))
            return await self._get(tx, recurring_id)

    @property
    def tz(self) -> ZoneInfo:
        """The community's time zone."""
        return self.config.community.tz

    async def _get(self, tx: Transaction, recurring_id: int) -> RecurringNotice:
        found = await self.repo.get(tx, recurring_id)
        assert found is not None
        return found

    def key(self, recurring_id: int, at: float) -> str:
        """The job key of one occurrence: the rule and its local time."""
        moment = local_datetime(at, self.tz).strftime("%Y-%m-%dT%H:%M")
        return f"notice recurring {recurring_id} {moment}"

    async def _plan(self, tx: Transaction, recurring_id: int, at: float) -> None:
        await self.repo.set_next(tx, recurring_id, at)
        await self.scheduler.schedule(
            tx, OCCURRENCE_JOB, self.key(recurring_id, at), at, {"recurring": recurring_id}
        )

    # --- the occurrences ----------------------------------------------------------------

    async def occur(self, tx: Transaction, job: Job) -> None:
        """Job: post this occurrence (if the rule is still on) and plan the next one."""
        found = await self._current(tx, job)
        if found is None:
            return
        building_ids = await self.repo.building_ids(tx, found.id)
        await self.notices.post_occurrence(
            tx, found.id, found.author_id, found.origin_chat_id, found.text, found.pin,
            building_ids, job.due_at,
        )
        await self._plan_next(tx, found, job.due_at)

    async def missed(self, tx: Transaction, job: Job) -> None:
        """Scheduler hook: an occurrence was missed (the bot was down); plan the next one."""
        found = await self._current(tx, job)
        if found is not None:
            await self._plan_next(tx, found, job.due_at)

    async def _current(self, tx: Transaction, job: Job) -> RecurringNotice | None:
        """The rule of a job, if it is active and the job is its planned occurrence."""
        found = await self.repo.get(tx, int(job.data["recurring"]))
        if found is None or found.status != "active" or found.next_at != job.due_at:
            return None
        return found

    async def _plan_next(self, tx: Transaction, found: RecurringNotice, after: float) -> None:
        """The next occurrence after this one and after now: the time lost is not made up."""
        await self._plan(tx, found.id, rule_of(found).next_after(max(after, self.clock.now()),
                                                                 self.tz))

    async def mend(self) -> None:
        """At start: an active rule whose planned occurrence is no longer pending (a job
        lost or settled without a successor) gets its next one."""
        now = self.clock.now()
        for found in await self.repo.active():
            job = None if found.next_at is None else await self.jobs.get(
                self.key(found.id, found.next_at)
            )
            if job is not None and job.status == "pending":
                continue
            async with self.db.transaction() as tx:
                await self._plan(tx, found.id, rule_of(found).next_after(now, self.tz))

    # --- what owners see and do ---------------------------------------------------------

    async def active_for(
        self, buildings: Sequence[Building], author_id: int | None
    ) -> list[RecurringNotice]:
        """Active recurring notices of these buildings (and of the author)."""
        return await self.repo.active_for([b.id for b in buildings], author_id)

    async def stop(self, actor: Actor, recurring_id: int) -> RecurringNotice:
        """Stop a recurring notice (an owner of one of its buildings, or a community admin):
        its planned occurrence is cancelled, and nothing more is posted."""
        found = await self.repo.get(self.db, recurring_id)
        if found is None:
            raise NotFound(N_("There is no recurring notice 🔁{id}."), id=recurring_id)
        await self._require_owner(actor, found)
        async with self.db.transaction() as tx:
            if not await self.repo.stop(tx, recurring_id, actor.user_id, self.clock.now()):
                raise Conflict(N_("Recurring notice 🔁{id} was already stopped."),
                               id=recurring_id)
            if found.next_at is not None:
                await self.scheduler.cancel(tx, self.key(recurring_id, found.next_at))
            return await self._get(tx, recurring_id)

    async def buildings_of(self, recurring_id: int) -> list[Building]:
        """The buildings a recurring notice goes to."""
        ids = await self.repo.building_ids(self.db, recurring_id)
        found = [await self.community.buildings.by_id(b) for b in ids]
        return [building for building in found if building is not None]

    async def _require_owner(self, actor: Actor, found: RecurringNotice) -> None:
        if self.community.is_admin(actor.user_id):
            return
        for building in await self.buildings_of(found.id):
            try:
                await self.community.require(actor, building, Role.OWNER)
            except NotAllowed:
                continue
            return
        raise NotAllowed(NOT_RULE_OWNER, id=found.id)
