"""The points ledger, rewards from local shops, and redemptions.

Points are kept like money: an append-only ledger whose sum is the balance, one
entry per source (a request, a shift, a command, a redemption), and never a balance
below zero. A redemption holds the points and one item of stock in one transaction;
an owner approves it (the volunteer gets a voucher code) or rejects it, and one that
nobody decides in time expires. Rejected or expired, the points and the stock come back
as new entries, never by deleting old ones.

Every change names its actor and is checked here: awards and the catalogue by the
owners of the building (community admins: everywhere), a redemption by the volunteer
themself, its decision by the owners of the building it was asked in. The owners'
card of a redemption is a live card, edited when it is decided or expires.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.cards import LiveCards
from bot.clock import Clock
from bot.config import PointsSettings, Settings
from bot.domain.core import Building, Job, User
from bot.domain.points import (
    Award,
    Decided,
    Leaderboard,
    Redeemed,
    Redemption,
    Reward,
    Statement,
)
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.i18n import N_, Translator
from bot.outbox import Outbox
from bot.scheduler import Scheduler
from bot.services.community import REFUSALS, Actor, Community, Role
from bot.services.people import People
from bot.text import is_blank, one_line
from bot.views import points as views
from bot.views.common import OutMessage
from storage.db import Database, Transaction
from storage.errors import MonthlyLimitReached
from storage.points import PointsRepository
from storage.users import UserRepository

AUTOMATIC_REASONS = (
    "request_done", "shift_served", "lockup_on_time", "event_helped", "hazard_reported"
)
BUTTONS = views.BUTTONS
EXPIRY_JOB = "points.redemption_expiry"
# A redemption must expire even after a long outage, or its points stay held forever.
EXPIRY_GRACE_SECONDS = 366 * 24 * 3600
CARD = "redemption"  # the live card of a redemption, in its building's group
CARD_KIND = "points_card"  # the outbox kinds of its copies and of their edits
CARD_EDIT_KIND = "points_card_edit"
MAX_NOTE = 200
MAX_NAME = 60
MAX_QUANTITY = 100_000
MAX_NUMBER = 2**63 - 1
LEADERBOARD_SIZE = 10
STATEMENT_SIZE = 10
VOUCHER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread at a till

ALREADY = {
    "approved": N_("This redemption was already approved."),
    "rejected": N_("This redemption was already rejected."),
    "expired": N_("This redemption expired: the points went back."),
}
NOT_THEIR_OWNER = N_("Only the owners of a building this volunteer serves may do this.")
NO_SUCH_REWARD = N_("There is no reward number {number}. See /rewards.")
REWARDS_IN_THE_GROUP = N_(
    "Add a reward in your building's group. Rewards for every building are "
    "added here by the community admins."
)
AWARD_USAGE = N_(
    "Write it like this: /award @username 10 helped at the fair\n"
    "A minus sign corrects a mistake: /award @username -5 counted twice"
)
REWARD_USAGE = N_(
    "Write it like this: /reward add name | shop | points | stock\n"
    "Add | monthly for one per volunteer per month, for example:\n"
    "/reward add Car wash | Wang's garage | 50 | 10 | monthly\n"
    "Change one with /reward edit 3 stock 20 (name, shop, cost, stock, monthly on or off), "
    "take it out with /reward retire 3."
)
MONTHLY_WORDS = {"monthly", "month", "每月", "每月一次", "一月一次", "月"}
SWITCH_WORDS = {
    "on": True, "yes": True, "是": True, "开": True,
    "off": False, "no": False, "否": False, "关": False,
}  # fmt: skip
EDIT_FIELDS = {
    "name": "name", "名称": "name",
    "shop": "shop", "商家": "shop",
    "cost": "cost", "积分": "cost",
    "stock": "stock", "库存": "stock",
    "monthly": "monthly_limit", "每月": "monthly_limit",
}  # fmt: skip


@dataclass(frozen=True)
class AwardOrder:
    """What /award asked for: whom (by @username, or None for the replied-to person)."""

    username: str | None
    amount: int
    note: str


@dataclass(frozen=True)
class RewardDraft:
    """A reward as /reward add describes it."""

    name: str
    shop: str
    cost: int
    stock: int
    monthly_limit: bool


# --- parsing what people typed ----------------------------------------------------------


def parse_award(text: str) -> AwardOrder:
    """``[@username] <points> <reason…>``; the points may carry a sign."""
    words = text.split()
    username = None
    if words and words[0].startswith("@"):
        username, words = words[0], words[1:]
    try:
        amount = int(words[0]) if words else 0
    except ValueError:
        amount = 0
    note = one_line(" ".join(words[1:]))
    if amount == 0 or not note:
        raise InvalidInput(AWARD_USAGE)
    return AwardOrder(username, amount, note)


def parse_reward(text: str) -> RewardDraft:
    """``name | shop | points | stock [| monthly]``."""
    parts = [part.strip() for part in text.replace("｜", "|").split("|")]
    if len(parts) not in (4, 5) or any(is_blank(part) for part in parts[:4]):
        raise InvalidInput(REWARD_USAGE)
    if len(parts) == 5 and parts[4].lower() not in MONTHLY_WORDS:
        raise InvalidInput(REWARD_USAGE)
    return RewardDraft(
        name=_name(parts[0]),
        shop=_name(parts[1]),
        cost=_quantity(parts[2], minimum=1),
        stock=_quantity(parts[3], minimum=0),
        monthly_limit=len(parts) == 5,
    )


def parse_reward_edit(text: str) -> tuple[int, str, Any]:
    """``<number> <field> <value…>`` → (reward number, column, value)."""
    words = text.split(maxsplit=2)
    if len(words) != 3 or words[1].lower() not in EDIT_FIELDS:
        raise InvalidInput(REWARD_USAGE)
    number = parse_number(words[0], REWARD_USAGE)
    field, raw = EDIT_FIELDS[words[1].lower()], words[2].strip()
    value: Any
    if field in ("name", "shop"):
        value = _name(raw)
    elif field == "monthly_limit":
        if raw.lower() not in SWITCH_WORDS:
            raise InvalidInput(REWARD_USAGE)
        value = SWITCH_WORDS[raw.lower()]
    else:
        value = _quantity(raw, minimum=1 if field == "cost" else 0)
    return number, field, value


def parse_number(text: str, usage: str) -> int:
    """A reward or redemption number as typed ("3" or "#3")."""
    try:
        number = int(text.strip().lstrip("#"))
    except ValueError:
        raise InvalidInput(usage) from None
    if not 0 < number <= MAX_NUMBER:  # SQLite's integers are 64-bit
        raise InvalidInput(usage)
    return number


def _name(text: str) -> str:
    name = one_line(text)
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(N_("Names are 1 to {limit} characters long."), limit=MAX_NAME)
    return name


def _quantity(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not minimum <= value <= MAX_QUANTITY:
        raise InvalidInput(
            N_("Points and stock are whole numbers from {low} to {high}."),
            low=minimum,
            high=MAX_QUANTITY,
        )
    return value


# --- time --------------------------------------------------------------------------------


def month_bounds(now: float, tz: ZoneInfo) -> tuple[float, float, str]:
    """The current month in the community's time zone: (start, end, 'YYYY-MM')."""
    local = datetime.fromtimestamp(now, tz)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return start.timestamp(), end.timestamp(), start.strftime("%Y-%m")


def voucher_code(redemption_id: int) -> str:
    """A code to show at the shop: unique by its number, unguessable by its random part."""
    secret = "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(6))
    return f"LL{redemption_id}-{secret}"


def expiry_key(redemption_id: int) -> str:
    """The job key of a redemption's expiry."""
    return f"redemption-expiry {redemption_id}"


class PointsService:
    """The points ledger, rewards from local shops, and redemptions."""

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
        users: UserRepository,
        cards: LiveCards,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.outbox = outbox
        self.scheduler = scheduler
        self.community = community
        self.people = people
        self.users = users
        self.cards = cards
        self.repo = PointsRepository(db)
        cards.register(CARD, self._render_card, send_kind=CARD_KIND, edit_kind=CARD_EDIT_KIND)

    @property
    def settings(self) -> PointsSettings:
        """The [points] section of the config."""
        return self.config.points

    @property
    def tz(self) -> ZoneInfo:
        """The community's time zone."""
        return self.config.community.tz

    # --- earning -------------------------------------------------------------------------

    async def award_in(
        self, tx: Transaction, user_id: int, amount: int, reason: str, source: str, by: int | None
    ) -> bool:
        """Award points inside the caller's transaction, once per ``source`` ("request:42").

        Returns False when that source already paid (or the amount is 0: that kind of
        award is switched off in the config). ``reason`` is one of AUTOMATIC_REASONS or
        "award"; the amounts are in ``settings.points``. The caller has checked who may.
        """
        if reason not in (*AUTOMATIC_REASONS, "award") or amount < 0:
            raise ValueError(f"not an automatic award: {amount} for {reason!r}")
        if amount == 0:
            return False
        now = self.clock.now()
        return await self.repo.add_entry(tx, user_id, amount, reason, source, by, now)

    async def award(
        self, actor: Actor, volunteer: User, amount: int, note: str, source: str
    ) -> Award:
        """A manual award, or (negative) a correction that may not take the balance below zero,
        by an owner of a building the volunteer serves.

        ``source`` names the command ("award:<chat>:<message>"), so a replay pays once.
        """
        await self._require_owner_of(actor, volunteer.id)
        self._check_award(amount, note)
        reason = "award" if amount > 0 else "correction"
        async with self.db.transaction() as tx:
            now = self.clock.now()
            created = await self.repo.add_entry(
                tx, volunteer.id, amount, reason, source, actor.user_id, now, note
            )
            entry = await self.repo.entry_by_source(tx, source)
            balance = await self.repo.balance(tx, volunteer.id)
            if entry is None:
                raise Conflict(
                    N_(
                        "{name} has {balance} points: taking off {points} would leave "
                        "less than zero."
                    ),
                    name=volunteer.display_name,
                    balance=balance,
                    points=-amount,
                )
            if created and volunteer.started:
                t = await self._translator(volunteer.id)
                await self.outbox.queue_message(
                    tx,
                    volunteer.id,
                    views.award_notice(t, entry, balance),
                    kind="points_award",
                    dedupe_key=f"ledger {entry.source}",
                )
        return Award(volunteer, entry, balance, created)

    def _check_award(self, amount: int, note: str) -> None:
        if amount == 0 or is_blank(note):
            raise InvalidInput(AWARD_USAGE)
        if abs(amount) > self.settings.max_award:
            raise InvalidInput(N_("At most {limit} points at once."), limit=self.settings.max_award)
        if len(note) > MAX_NOTE:
            raise InvalidInput(
                N_("The reason is too long: at most {limit} characters."), limit=MAX_NOTE
            )

    async def _require_owner_of(self, actor: Actor, volunteer_id: int) -> None:
        """Refuse unless the actor owns a building the volunteer serves (community admins may)."""
        if self.community.is_admin(actor.user_id):
            return
        owned = {b.id for b in await self.community.scope(actor, None, Role.OWNER)}
        if not any(b.id in owned for b in await self.volunteering(volunteer_id)):
            raise NotAllowed(NOT_THEIR_OWNER)

    # --- what people see -----------------------------------------------------------------

    async def balance(self, user_id: int) -> int:
        """A person's balance: the sum of their ledger entries."""
        return await self.repo.balance(self.db, user_id)

    async def volunteering(self, user_id: int) -> list[Building]:
        """The buildings a person serves as a volunteer."""
        return await self.community.buildings.volunteering(user_id)

    async def statement(self, actor: Actor, user_id: int) -> Statement:
        """Balance, latest entries and open redemptions: one's own (anyone may ask: for
        someone who never volunteered they are empty, and the reply says what points are
        for), or a volunteer's for an owner of their building."""
        if user_id != actor.user_id:
            await self._require_owner_of(actor, user_id)
        since = self.clock.now() - 90 * 24 * 3600
        return Statement(
            balance=await self.balance(user_id),
            entries=await self.repo.entries(user_id, STATEMENT_SIZE),
            redemptions=await self.repo.open_redemptions(user_id, since),
            volunteer=bool(await self.volunteering(user_id)),
        )

    async def leaderboard(self, building: Building | None) -> Leaderboard:
        """This month's ranking of a building's volunteers, or of the whole community."""
        start, end, month = month_bounds(self.clock.now(), self.tz)
        standings = await self.repo.earned(
            start, end, building.id if building else None, LEADERBOARD_SIZE
        )
        return Leaderboard(month, building, standings)

    async def post_leaderboard(self, actor: Actor, building: Building) -> bool:
        """An owner posts the building's ranking in its group as a notice; False if this very
        ranking was already posted."""
        await self.community.require(actor, building, Role.OWNER)
        board = await self.leaderboard(building)
        t = await self._translator(building.chat_id)
        notice = OutMessage(views.leaderboard_text(t, board, building.name))
        digest = hashlib.sha256(notice.text.encode()).hexdigest()[:16]
        async with self.db.transaction() as tx:
            row = await self.outbox.queue_message(
                tx,
                building.chat_id,
                notice,
                kind="points_leaderboard",
                ref=f"leaderboard:{building.id}:{board.month}",
                dedupe_key=f"leaderboard {building.id} {digest}",
            )
        return row is not None

    # --- the catalogue -------------------------------------------------------------------

    async def reward(self, reward_id: int) -> Reward:
        """A reward still in the catalogue."""
        reward = await self.repo.reward(self.db, reward_id)
        if reward is None or not reward.active:
            raise NotFound(NO_SUCH_REWARD, number=reward_id)
        return reward

    async def reward_building(self, reward: Reward) -> Building | None:
        """The building whose owners manage a reward; None: the community's own."""
        if reward.building_id is None:
            return None
        building = await self.community.buildings.by_id(reward.building_id)
        if building is None:
            raise NotFound(N_("This button is no longer valid."))
        return building

    async def catalogue(self, buildings: list[Building] | None) -> list[Reward]:
        """Rewards open to these buildings (and the whole community); None: every reward."""
        ids = None if buildings is None else [building.id for building in buildings]
        return await self.repo.catalogue(ids)

    async def add_reward(
        self,
        actor: Actor,
        building: Building | None,
        draft: RewardDraft,
        source: str | None = None,
    ) -> Reward:
        """Add a reward to a building's catalogue (its owners), or with no building to the
        community's (the community admins).

        ``source`` names the command message: handled twice, it finds the reward it added.
        """
        if building is not None:
            await self.community.require(actor, building, Role.OWNER)
        elif not self.community.is_admin(actor.user_id):
            raise InvalidInput(REWARDS_IN_THE_GROUP)
        async with self.db.transaction() as tx:
            if source is not None and (seen := await self.repo.reward_by_source(tx, source)):
                return seen
            return await self.repo.add_reward(
                tx,
                building.id if building else None,
                asdict(draft),
                actor.user_id,
                self.clock.now(),
                source,
            )

    async def edit_reward(self, actor: Actor, reward_id: int, field: str, value: Any) -> Reward:
        """Change one field of a reward (stock is what is left to redeem)."""
        await self._require_reward_rights(actor, await self.reward(reward_id))
        async with self.db.transaction() as tx:
            if not await self.repo.update_reward(tx, reward_id, field, value, self.clock.now()):
                raise NotFound(NO_SUCH_REWARD, number=reward_id)
            changed = await self.repo.reward(tx, reward_id)
        assert changed is not None
        return changed

    async def retire_reward(self, actor: Actor, reward_id: int) -> Reward:
        """Take a reward out of the catalogue; pending redemptions of it still get decided."""
        reward = await self.reward(reward_id)
        await self._require_reward_rights(actor, reward)
        async with self.db.transaction() as tx:
            if not await self.repo.retire_reward(tx, reward_id, self.clock.now()):
                raise NotFound(NO_SUCH_REWARD, number=reward_id)
        return reward

    async def _require_reward_rights(self, actor: Actor, reward: Reward) -> None:
        """Owners manage their building's rewards; community admins the community's."""
        building = await self.reward_building(reward)
        if building is not None:
            await self.community.require(actor, building, Role.OWNER)
        elif not self.community.is_admin(actor.user_id):
            raise NotAllowed(REFUSALS[Role.ADMIN])

    # --- redeeming -----------------------------------------------------------------------

    async def redeem(
        self, actor: Actor, reward_id: int, here: Building | None, request_key: str
    ) -> Redeemed:
        """The actor, a volunteer, redeems a reward for themself: the points are held and one
        item reserved in one transaction; owners then decide.

        ``request_key`` names the command ("<chat>:<message>"), so a replay redeems once.
        ``here`` is the building of the group the command came from, if any.
        """
        known = await self.repo.redemption_by_key(self.db, request_key)
        if known is not None:
            return await self._redeemed(known, created=False)
        reward = await self.reward(reward_id)
        building = await self._deciding_building(actor.user_id, reward, here)
        async with self.db.transaction() as tx:
            redemption = await self._hold(tx, actor.user_id, reward_id, building, request_key)
            if redemption is None:  # the same command, recorded meanwhile
                return await self._redeemed_in(tx, request_key)
            await self.scheduler.schedule(
                tx,
                EXPIRY_JOB,
                expiry_key(redemption.id),
                redemption.expires_at,
                {"redemption": redemption.id},
                grace_seconds=EXPIRY_GRACE_SECONDS,
            )
            await self._send_cards(tx, redemption, building)
            balance = await self.repo.balance(tx, actor.user_id)
        return Redeemed(redemption, building, balance, created=True)

    async def _send_cards(
        self, tx: Transaction, redemption: Redemption, building: Building
    ) -> None:
        """The owners decide in private: what a volunteer redeems is no business of the
        building group. Only when no owner can be written to does a card go to the group,
        so that the redemption is not stuck until it expires."""
        deciders = await self._deciders(building, redemption.user_id)
        for chat_id in deciders or [building.chat_id]:
            await self.cards.send(
                tx, CARD, str(redemption.id), chat_id,
                dedupe_key=f"redemption card {redemption.id}:{chat_id}",
            )

    async def _deciders(self, building: Building, volunteer_id: int) -> list[int]:
        """The building's owners and the community admins who opened a chat with the bot
        (not the volunteer: nobody approves their own)."""
        admins, _fetched = await self.community.buildings.admins(building.chat_id)
        reachable = []
        for user_id in dict.fromkeys([*admins, *self.config.community.admins]):
            user = await self.users.get(user_id)
            if user is not None and user.started and not user.blocked and user_id != volunteer_id:
                reachable.append(user_id)
        return reachable

    async def _hold(
        self,
        tx: Transaction,
        volunteer_id: int,
        reward_id: int,
        building: Building,
        request_key: str,
    ) -> Redemption | None:
        """Record the redemption, reserve the item and hold the points, or raise and roll back."""
        now = self.clock.now()
        reward = await self.repo.reward(tx, reward_id)
        if reward is None or not reward.active:
            raise NotFound(NO_SUCH_REWARD, number=reward_id)
        month = month_bounds(now, self.tz)[2] if reward.monthly_limit else None
        expires_at = now + self.settings.redemption_expire_hours * 3600
        try:
            redemption = await self.repo.add_redemption(
                tx, reward, volunteer_id, building.id, month, request_key, now, expires_at
            )
        except MonthlyLimitReached:
            raise Conflict(
                N_("You already redeemed «{reward}» this month: it is one per month."),
                reward=reward.name,
            ) from None
        if redemption is None:
            return None
        if not await self.repo.reserve(tx, reward.id):
            raise Conflict(
                N_("«{reward}» is sold out. See /rewards for the others."), reward=reward.name
            )
        source = f"redemption:{redemption.id}"
        if not await self.repo.add_entry(
            tx, volunteer_id, -reward.cost, "redemption", source, volunteer_id, now
        ):
            raise Conflict(
                N_("«{reward}» costs {cost} points, and you have {balance}."),
                reward=reward.name,
                cost=reward.cost,
                balance=await self.repo.balance(tx, volunteer_id),
            )
        return redemption

    async def _redeemed(self, redemption: Redemption, created: bool) -> Redeemed:
        building = await self.community.buildings.by_id(redemption.building_id)
        assert building is not None
        return Redeemed(redemption, building, await self.balance(redemption.user_id), created)

    async def _redeemed_in(self, tx: Transaction, request_key: str) -> Redeemed:
        known = await self.repo.redemption_by_key(tx, request_key)
        assert known is not None
        return await self._redeemed(known, created=False)

    async def _deciding_building(
        self, user_id: int, reward: Reward, here: Building | None
    ) -> Building:
        """The building whose owners decide: the reward's own, or one the volunteer serves."""
        serving = await self.volunteering(user_id)
        if reward.building_id is not None:
            for building in serving:
                if building.id == reward.building_id:
                    return building
            owner = await self.community.buildings.by_id(reward.building_id)
            raise NotAllowed(
                N_("«{reward}» is for the volunteers of {building}."),
                reward=reward.name,
                building=owner.name if owner else "—",
            )
        if not serving:
            raise NotAllowed(N_("Only volunteers can redeem rewards."))
        return next((b for b in serving if here is not None and b.id == here.id), serving[0])

    async def _render_card(self, tx: Transaction, ref: str, chat_id: int) -> OutMessage | None:
        """The owners' card of redemption ``ref``, as it is now."""
        redemption = await self.repo.redemption(tx, int(ref))
        if redemption is None:
            return None
        volunteer = await self.users.get(redemption.user_id)
        decider = None if redemption.decided_by is None else await self.users.get(
            redemption.decided_by
        )
        t = await self._translator(chat_id)
        return views.card(
            t,
            redemption,
            volunteer.display_name if volunteer else str(redemption.user_id),
            decider.display_name if decider else None,
        )

    async def redemption(self, redemption_id: int) -> Redemption:
        """A redemption by number."""
        redemption = await self.repo.redemption(self.db, redemption_id)
        if redemption is None:
            raise NotFound(N_("This button is no longer valid."))
        return redemption

    async def deciding(self, redemption_id: int) -> Building:
        """The building whose owners decide a redemption."""
        redemption = await self.redemption(redemption_id)
        building = await self.community.buildings.by_id(redemption.building_id)
        if building is None:
            raise NotFound(N_("This button is no longer valid."))
        return building

    async def decide(self, actor: Actor, redemption_id: int, approve: bool) -> Redemption:
        """An owner of the redemption's building approves (a voucher code is issued) or
        rejects (points and stock return).

        The move out of 'pending' is one conditional UPDATE: a repeated or racing
        press finds it decided and changes nothing.
        """
        await self.community.require(actor, await self.deciding(redemption_id), Role.OWNER)
        async with self.db.transaction() as tx:
            now = self.clock.now()
            redemption = await self.repo.redemption(tx, redemption_id)
            if redemption is None:
                raise NotFound(N_("This button is no longer valid."))
            if redemption.status != "pending":
                raise Conflict(ALREADY[redemption.status])
            if (
                approve
                and redemption.user_id == actor.user_id
                and not self.community.is_admin(actor.user_id)
            ):
                raise NotAllowed(N_("You cannot approve your own redemption: another owner will."))
            status: Decided = "approved" if approve else "rejected"
            voucher = voucher_code(redemption.id) if approve else None
            if not await self.repo.decide(tx, redemption.id, status, actor.user_id, now, voucher):
                raise Conflict(N_("This redemption was already decided."))
            if not approve:
                await self._give_back(tx, redemption, actor.user_id, now)
            await self.scheduler.cancel(tx, expiry_key(redemption.id))
            decided = await self.repo.redemption(tx, redemption.id)
            assert decided is not None
            await self._announce(tx, decided)
        return decided

    async def expire(self, tx: Transaction, job: Job) -> None:
        """Job: a redemption nobody decided in time gives its points and stock back."""
        redemption = await self.repo.redemption(tx, int(job.data["redemption"]))
        now = self.clock.now()
        if redemption is None or not await self.repo.decide(
            tx, redemption.id, "expired", None, now
        ):
            return
        await self._give_back(tx, redemption, None, now)
        expired = await self.repo.redemption(tx, redemption.id)
        assert expired is not None
        await self._announce(tx, expired)

    async def _give_back(
        self, tx: Transaction, redemption: Redemption, by: int | None, now: float
    ) -> None:
        """Return the item to stock and the points with a compensating entry."""
        await self.repo.restock(tx, redemption.reward_id)
        source = f"redemption:{redemption.id}:returned"
        if not await self.repo.add_entry(
            tx, redemption.user_id, redemption.cost, "redemption_returned", source, by, now
        ):  # cannot happen: a redemption leaves 'pending' once
            raise RuntimeError(f"redemption {redemption.id} was already returned")

    async def _announce(self, tx: Transaction, redemption: Redemption) -> None:
        """Tell the volunteer the outcome, and show it on the owners' card."""
        volunteer = await self.users.get(redemption.user_id)
        if volunteer is not None and volunteer.started:
            t = await self._translator(volunteer.id)
            await self.outbox.queue_message(
                tx,
                volunteer.id,
                views.outcome(t, redemption),
                kind="points_outcome",
                ref=f"redemption:{redemption.id}",
                dedupe_key=f"redemption outcome {redemption.id}",
            )
        await self.cards.touch(tx, CARD, str(redemption.id))

    # --- helpers -------------------------------------------------------------------------

    async def _translator(self, chat_id: int) -> Translator:
        """The translator for a chat's own language, or the community's."""
        return await self.people.translator_for(chat_id)
