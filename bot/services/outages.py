"""Outages (停水 / 停电 / 电梯停运): announced, reminded, ended, and linked to help requests.

An outage is stored with its buildings and announced as an ordinary notice
(``NoticeService.post_now``: confirmations, live count, the summary to an owner in
private). Two stored jobs follow it: a reminder to the groups ``remind_before_minutes``
before the start ("outage remind <id>") and the "restored" post at the end ("outage restore
<id>"). An owner may end it sooner with the ✅ Restored button; the end is one conditional
UPDATE, so the button and the end time never both post "restored".

Quiet hours: the announcement is a notice and waits for the end of the group's quiet hours,
unless they end after the reminder is due (or, with no reminder, after the outage starts):
then it goes out now. The reminder and the "restored" post are not held: held, the
reminder would come after the start, and people wait for the water to come back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.config import Settings
from bot.domain.core import Building, Job
from bot.domain.outages import Outage, OutageKind
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.i18n import N_, translator
from bot.outbox import Outbox
from bot.scheduler import Scheduler
from bot.services.community import REFUSALS, Actor, Community, Role
from bot.services.notices import ALL_WORDS, NoticeService, first_word, take_buildings
from bot.services.people import People
from bot.services.weektime import local_moment, parse_clock
from bot.text import tidy
from bot.views import outages as views
from storage.db import Database, Transaction
from storage.outages import OutageRepository, Reader

REMIND_JOB = "outage.remind"
RESTORE_JOB = "outage.restore"
RESTORE_GRACE_SECONDS = 86_400  # "restored" is still news a day late
MAX_REASON = 300

KIND_WORDS: dict[str, OutageKind] = {
    "water": "water", "停水": "water", "水": "water",
    "power": "power", "electricity": "power", "停电": "power", "停電": "power",
    "电": "power", "電": "power",
    "lift": "lift", "elevator": "lift", "电梯": "lift", "電梯": "lift",
    "电梯停运": "lift", "電梯停運": "lift",
}  # fmt: skip
# Words of a help request that is about the outage's kind (a substring, any case).
KEYWORDS: dict[OutageKind, tuple[str, ...]] = {
    "water": ("水", "water", "tap", "shower", "toilet", "flush"),
    "power": ("电", "電", "power", "electric", "light", "fridge"),
    "lift": ("电梯", "電梯", "lift", "elevator", "stairs", "楼梯", "樓梯"),
}
_WHEN = re.compile(
    r"^(\S+)\s+(\d{1,2}[:：]\d{2})\s*[-–—~～至到]\s*(\d{1,2}[:：]\d{2})(?:\s+(.*))?$", re.DOTALL
)
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")

FORM = N_(
    "Write the outage like this: /outage water 3号楼,5号楼 {example} 08:00-12:00 pipe repair\n"
    "Kinds: water, power, lift (停水, 停电, 电梯). Write all instead of the buildings for all "
    "of yours; in a group, leave them out for its own."
)
UNKNOWN_KIND = N_(
    "«{kind}» is no kind of outage I know. Kinds: water, power, lift (停水, 停电, 电梯).\n"
    "Example: /outage water 3号楼 {example} 08:00-12:00 pipe repair"
)
UNKNOWN_BUILDING = N_(
    "There is no building called «{name}». Buildings: {names}\n"
    "Name them with commas (/outage water 3号楼,5号楼 …) or write all for all of yours."
)
ENDS_BEFORE = N_(
    "The outage would end ({end}) before it starts ({start}). Give the end after the start, "
    "for example 08:00-12:00."
)
IN_THE_PAST = N_(
    "That outage is over already: it ends at {end}. Give an outage that has not ended yet."
)
NOT_OWNER = N_(
    "You are not an owner of {names}. Only the buildings' owners and the community admins "
    "may announce an outage there."
)
NOT_OUTAGE_OWNER = N_(
    "Only the owners of the buildings outage #{id} is in, and the community admins, may say "
    "it is over."
)


@dataclass(frozen=True)
class OutageDraft:
    """An /outage command, read."""

    kind: OutageKind
    starts_at: float
    ends_at: float
    reason: str
    to_all: bool = False
    buildings: tuple[Building, ...] = ()


@dataclass(frozen=True)
class Board:
    """/outages: the outages now and coming of some buildings, and those the viewer may end."""

    entries: tuple[tuple[Building, tuple[Outage, ...]], ...]
    endable: frozenset[int]


def matches(kind: OutageKind, text: str) -> bool:
    """Whether a help request's words are about this kind of outage."""
    said = text.lower()
    return any(word in said for word in KEYWORDS[kind])


class OutageService:
    """Announce outages, remind and restore, end them early, and link requests to them."""

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
        people: People,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.outbox = outbox
        self.scheduler = scheduler
        self.community = community
        self.notices = notices
        self.people = people
        self.repo = OutageRepository(db)

    @property
    def remind_before(self) -> float:
        """Seconds before the start that the groups are reminded."""
        return self.config.outages.remind_before_minutes * 60.0

    # --- reading the command ------------------------------------------------------------

    async def draft(self, text: str, here: Building | None = None) -> OutageDraft:
        """Read ``KIND BUILDINGS|all DATE HH:MM-HH:MM [reason]``; refuses bad or past times.

        ``here``: the building of the group the command was sent in, meant when no building
        is named."""
        tz, now = self.config.community.tz, self.clock.now()
        example = (datetime.fromtimestamp(now, tz) + timedelta(days=1)).strftime("%Y-%m-%d")
        word, rest = first_word(text)
        if not word:
            raise InvalidInput(FORM, example=example)
        kind = KIND_WORDS.get(word.lower())
        if kind is None:
            raise InvalidInput(UNKNOWN_KIND, kind=word, example=example)
        to_all, buildings = False, tuple[Building, ...]()
        place, tail = first_word(rest)
        if place.lower() in ALL_WORDS:
            to_all, rest = True, tail
        elif here is not None and _DATE.match(place):
            buildings = (here,)
        elif place:
            known = await self.community.buildings.all(active_only=False)
            picked, rest = take_buildings(rest, known, UNKNOWN_BUILDING)
            buildings = tuple(picked)
        starts_at, ends_at, reason = self._read_when(rest.strip(), example)
        if len(reason) > MAX_REASON:
            raise InvalidInput(
                N_("The reason is too long: {length} characters, at most {limit}."),
                length=len(reason), limit=MAX_REASON,
            )
        return OutageDraft(kind, starts_at, ends_at, reason, to_all, buildings)

    def _read_when(self, text: str, example: str) -> tuple[float, float, str]:
        """``2026-12-03 08:00-12:00 reason`` as (start, end, reason)."""
        tz = self.config.community.tz
        match = _WHEN.match(text)
        day = _DATE.match(match[1]) if match else None
        start = parse_clock(match[2].replace("：", ":")) if match else None
        end = parse_clock(match[3].replace("：", ":"), allow_24=True) if match else None
        if match is None or day is None or start is None or end is None:
            raise InvalidInput(FORM, example=example)
        whole_day = end == 0 and match[3].startswith("24")
        try:
            year, month, number = (int(part) for part in day.groups())
            date = datetime(year, month, number).date()
            starts_at = local_moment(date, start, tz)
            ends_at = local_moment(date + timedelta(days=1), 0, tz) if whole_day else (
                local_moment(date, end, tz)
            )
        except (ValueError, OverflowError):  # 2026-02-30, or 9999-12-31 …-24:00
            raise InvalidInput(FORM, example=example) from None
        if ends_at <= starts_at:
            raise InvalidInput(ENDS_BEFORE, start=match[2], end=match[3])
        if ends_at <= self.clock.now():
            raise InvalidInput(IN_THE_PAST, end=f"{match[1]} {match[3]}")
        return starts_at, ends_at, tidy(match[4] or "")

    # --- announcing ---------------------------------------------------------------------

    async def targets(self, actor: Actor, draft: OutageDraft) -> list[Building]:
        """The buildings of the outage: those named, or all the actor owns; the actor must
        own every one."""
        buildings = list(draft.buildings)
        if draft.to_all:
            buildings = await self.community.scope(actor, None, Role.OWNER)
        if not buildings:
            raise NotAllowed(REFUSALS[Role.OWNER])
        foreign = [b.name for b in buildings if not await self._owns(actor, b)]
        if foreign:
            raise NotAllowed(NOT_OWNER, names=", ".join(foreign))
        return buildings

    async def create(
        self,
        actor: Actor,
        origin_chat_id: int,
        draft: OutageDraft,
        source_message_id: int | None = None,
    ) -> Outage:
        """Store the outage, post its notice, and plan the reminder and the "restored" post,
        in one transaction. The same command handled twice returns the first outage."""
        buildings = await self.targets(actor, draft)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            if source_message_id is not None and (
                seen := await self.repo.by_source(tx, origin_chat_id, source_message_id)
            ):
                return await self._get(tx, seen)
            outage_id = await self.repo.add(
                tx, kind=draft.kind, starts_at=draft.starts_at, ends_at=draft.ends_at,
                reason=draft.reason, author_id=actor.user_id, origin_chat_id=origin_chat_id,
                now=now, source_message_id=source_message_id,
            )
            for building in buildings:
                await self.repo.add_building(tx, outage_id, building.id)
            outage = await self._get(tx, outage_id)
            t = translator(self.config.community.language)
            remind_at = draft.starts_at - self.remind_before
            notice_id = await self.notices.post_now(
                tx, actor.user_id, origin_chat_id,
                views.announcement(t, outage, self.config.community.tz),
                False, [b.id for b in buildings],
                deadline=remind_at if remind_at > now else draft.starts_at,
            )
            await self.repo.set_notice(tx, outage_id, notice_id)
            if remind_at > now:
                await self.scheduler.schedule(
                    tx, REMIND_JOB, remind_key(outage_id), remind_at, {"outage": outage_id},
                    grace_seconds=int(self.remind_before),
                )
            await self.scheduler.schedule(
                tx, RESTORE_JOB, restore_key(outage_id), draft.ends_at, {"outage": outage_id},
                grace_seconds=RESTORE_GRACE_SECONDS,
            )
            return await self._get(tx, outage_id)

    def reminder_at(self, outage: Outage) -> float | None:
        """When the groups are reminded of an outage (None: it starts too soon for that)."""
        at = outage.starts_at - self.remind_before
        return at if at > outage.created_at else None

    # --- the jobs -----------------------------------------------------------------------

    async def remind(self, tx: Transaction, job: Job) -> None:
        """Job: the outage starts soon; remind its groups (not if it was ended already)."""
        outage = await self.repo.get(tx, int(job.data["outage"]))
        if outage is None or outage.status != "planned":
            return
        await self._to_groups(tx, outage, "remind")

    async def restore(self, tx: Transaction, job: Job) -> None:
        """Job: the end time has come; "restored", unless an owner said it first."""
        outage_id = int(job.data["outage"])
        if await self.repo.end(tx, outage_id, None, self.clock.now()):
            await self._to_groups(tx, await self._get(tx, outage_id), "restored")

    async def _to_groups(self, tx: Transaction, outage: Outage, what: str) -> None:
        """One message to each group of the outage, in the group's language; never held by
        quiet hours."""
        tz = self.config.community.tz
        for building_id in await self.repo.building_ids(tx, outage.id):
            building = await self.community.buildings.by_id(building_id)
            if building is None:
                continue
            t = await self.people.translator_for(building.chat_id)
            if what == "remind":
                message = views.reminder(t, outage, tz)
            else:
                message = views.restored(t, outage, tz)
            await self.outbox.queue_message(
                tx, building.chat_id, message, kind=f"outage_{what}",
                ref=f"outage:{outage.id}", dedupe_key=f"outage {what} {outage.id} {building_id}",
            )

    # --- ending early -------------------------------------------------------------------

    async def end(self, actor: Actor, outage_id: int) -> Outage:
        """✅ Restored: an owner of one of its buildings (or a community admin) ends the
        outage now; "restored" goes out at once and the planned jobs are cancelled."""
        outage = await self.get(outage_id)
        await self._require_owner(actor, outage)
        async with self.db.transaction() as tx:
            if not await self.repo.end(tx, outage_id, actor.user_id, self.clock.now()):
                raise Conflict(N_("Outage #{id} is over already."), id=outage_id)
            await self.scheduler.cancel(tx, remind_key(outage_id))
            await self.scheduler.cancel(tx, restore_key(outage_id))
            ended = await self._get(tx, outage_id)
            await self._to_groups(tx, ended, "restored")
            return ended

    async def _require_owner(self, actor: Actor, outage: Outage) -> None:
        if self.community.is_admin(actor.user_id):
            return
        for building in await self.buildings_of(outage.id):
            if await self._owns(actor, building):
                return
        raise NotAllowed(NOT_OUTAGE_OWNER, id=outage.id)

    async def _owns(self, actor: Actor, building: Building) -> bool:
        try:
            await self.community.require(actor, building, Role.OWNER)
        except NotAllowed:
            return False
        return True

    # --- reading ------------------------------------------------------------------------

    async def get(self, outage_id: int) -> Outage:
        """An outage by number, or a refusal."""
        found = await self.repo.get(self.db, outage_id)
        if found is None:
            raise NotFound(N_("There is no outage #{id}."), id=outage_id)
        return found

    async def _get(self, reader: Reader, outage_id: int) -> Outage:
        found = await self.repo.get(reader, outage_id)
        assert found is not None
        return found

    async def buildings_of(self, outage_id: int) -> list[Building]:
        """The buildings an outage is in."""
        found = [await self.community.buildings.by_id(b)
                 for b in await self.repo.building_ids(self.db, outage_id)]
        return [building for building in found if building is not None]

    async def board(self, actor: Actor, place: int | None) -> Board:
        """/outages: in a group, its building's; in private, those of the person's buildings
        (every building for someone who lives in none: outages are posted publicly)."""
        if place is not None:
            buildings = [await self.community.building_of_chat(place)]
        else:
            buildings = await self.community.scope(actor, None, Role.RESIDENT)
            if not buildings:
                buildings = await self.community.buildings.all()
        outages = await self.repo.coming([b.id for b in buildings], self.clock.now())
        inside = {o.id: set(await self.repo.building_ids(self.db, o.id)) for o in outages}
        entries = tuple(
            (b, tuple(o for o in outages if b.id in inside[o.id])) for b in buildings
        )
        owned = {b.id for b in buildings if await self._owns(actor, b)}
        admin = self.community.is_admin(actor.user_id)
        endable = frozenset(o.id for o in outages if admin or owned & inside[o.id])
        return Board(tuple(e for e in entries if e[1]), endable)

    async def linked(self, reader: Reader, building_id: int, text: str) -> int | None:
        """The outage going on now in the building that a request's words are about."""
        for outage in await self.repo.on_in(reader, building_id, self.clock.now()):
            if matches(outage.kind, text):
                return outage.id
        return None

    async def of_request(self, outage_id: int | None) -> Outage | None:
        """The outage a request is linked to, for its card."""
        return None if outage_id is None else await self.repo.get(self.db, outage_id)


def remind_key(outage_id: int) -> str:
    """The reminder's job key."""
    return f"outage remind {outage_id}"


def restore_key(outage_id: int) -> str:
    """The "restored" post's job key."""
    return f"outage restore {outage_id}"
