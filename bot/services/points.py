"""The points ledger, rewards from local shops, and redemptions.

Points are kept like money: an append-only ledger whose sum is the balance, one
entry per source (a request, a shift, a command, a redemption), and never a balance
below zero. A redemption holds the points and one item of stock in one transaction;
an owner approves it (the volunteer gets a voucher code) or rejects it, and one that
nobody decides in time expires. Rejected or expired, the points and the stock come back
as new entries, never by deleting old ones.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.callbacks import button_data
from bot.clock import Clock
from bot.config import PointsSettings, Settings
from bot.domain.core import Building, Job, User
from bot.domain.points import LedgerEntry, Redemption, Reward, Standing
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.i18n import N_, Translator, html_escape
from bot.outbox import Outbox
from bot.scheduler import Scheduler
from bot.services.community import Community
from bot.services.people import People
from bot.text import is_blank, one_line
from storage.db import Database, Transaction
from storage.errors import MonthlyLimitReached
from storage.points import PointsRepository
from storage.users import UserRepository

AUTOMATIC_REASONS = ("request_done", "shift_served", "lockup_on_time", "event_helped")
BUTTONS = "points"
EXPIRY_JOB = "points.redemption_expiry"
# A redemption must expire even after a long outage, or its points stay held forever.
EXPIRY_GRACE_SECONDS = 366 * 24 * 3600
CARD_KIND = "points_card"
MAX_NOTE = 200
MAX_NAME = 60
MAX_QUANTITY = 100_000
MAX_NUMBER = 2**63 - 1
LEADERBOARD_SIZE = 10
STATEMENT_SIZE = 10
VOUCHER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread at a till

REASON_LABELS = {
    "request_done": N_("help request done"),
    "shift_served": N_("duty shift served"),
    "lockup_on_time": N_("lock-up reported on time"),
    "event_helped": N_("helped at an event"),
    "award": N_("award"),
    "correction": N_("correction"),
    "redemption": N_("redemption"),
    "redemption_returned": N_("redemption returned"),
}
ALREADY = {
    "approved": N_("This redemption was already approved."),
    "rejected": N_("This redemption was already rejected."),
    "expired": N_("This redemption expired: the points went back."),
}
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


@dataclass(frozen=True)
class Award:
    """The outcome of a manual award or correction."""

    volunteer: User
    entry: LedgerEntry
    balance: int
    created: bool  # False: this command was already recorded (a replayed update)


@dataclass(frozen=True)
class Redeemed:
    """The outcome of /redeem."""

    redemption: Redemption
    building: Building
    balance: int
    created: bool  # False: this command was already recorded (a replayed update)


@dataclass(frozen=True)
class Statement:
    """A balance with the latest entries and the open redemptions."""

    balance: int
    entries: list[LedgerEntry]
    redemptions: list[Redemption]
    volunteer: bool = True  # serves a building now


POINTS_ARE_FOR_VOLUNTEERS = N_(
    "Points are for volunteers: they earn them by helping neighbours, "
    "and trade them for rewards from local shops."
)


@dataclass(frozen=True)
class Leaderboard:
    """Points earned this month, best first, for a building or the whole community."""

    month: str
    building: Building | None
    standings: list[Standing]


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
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.outbox = outbox
        self.scheduler = scheduler
        self.community = community
        self.people = people
        self.users = users
        self.repo = PointsRepository(db)

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
        "award"; the amounts are in ``settings.points``.
        """
        if reason not in (*AUTOMATIC_REASONS, "award") or amount < 0:
            raise ValueError(f"not an automatic award: {amount} for {reason!r}")
        if amount == 0:
            return False
        now = self.clock.now()
        return await self.repo.add_entry(tx, user_id, amount, reason, source, by, now)

    async def award(self, by: int, volunteer: User, amount: int, note: str, source: str) -> Award:
        """A manual award, or (negative) a correction that may not take the balance below zero.

        ``source`` names the command ("award:<chat>:<message>"), so a replay pays once.
        """
        self._check_award(amount, note)
        reason = "award" if amount > 0 else "correction"
        async with self.db.transaction() as tx:
            now = self.clock.now()
            created = await self.repo.add_entry(
                tx, volunteer.id, amount, reason, source, by, now, note
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
                await self._tell_award(tx, volunteer, entry, balance)
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

    async def _tell_award(
        self, tx: Transaction, volunteer: User, entry: LedgerEntry, balance: int
    ) -> None:
        t = await self._translator(volunteer.id)
        text = (
            t("🎉 You received {points} points: {note}", points=entry.amount, note=entry.note)
            if entry.amount > 0
            else t(
                "Your points were corrected by {points}: {note}",
                points=entry.amount,
                note=entry.note,
            )
        )
        text += "\n" + t("Your balance: {balance} points.", balance=balance)
        await self.outbox.queue(
            tx, volunteer.id, text, kind="points_award", dedupe_key=f"ledger {entry.source}"
        )

    # --- what people see -----------------------------------------------------------------

    async def balance(self, user_id: int) -> int:
        """A person's balance: the sum of their ledger entries."""
        return await self.repo.balance(self.db, user_id)

    async def statement(self, user_id: int) -> Statement:
        """Balance, latest entries and open redemptions (anyone may ask: for someone who
        never volunteered they are empty, and the reply says what points are for)."""
        since = self.clock.now() - 90 * 24 * 3600
        return Statement(
            balance=await self.balance(user_id),
            entries=await self.repo.entries(user_id, STATEMENT_SIZE),
            redemptions=await self.repo.open_redemptions(user_id, since),
            volunteer=bool(await self.community.buildings.volunteering(user_id)),
        )

    async def leaderboard(self, building: Building | None) -> Leaderboard:
        """This month's ranking of a building's volunteers, or of the whole community."""
        start, end, month = month_bounds(self.clock.now(), self.tz)
        standings = await self.repo.earned(
            start, end, building.id if building else None, LEADERBOARD_SIZE
        )
        return Leaderboard(month, building, standings)

    async def post_leaderboard(self, building: Building) -> bool:
        """Post the building's ranking in its group as a notice; False if this very
        ranking was already posted."""
        board = await self.leaderboard(building)
        t = await self._translator(building.chat_id)
        text = leaderboard_text(t, board, building.name)
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        async with self.db.transaction() as tx:
            row = await self.outbox.queue(
                tx,
                building.chat_id,
                text,
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
            raise NotFound(
                N_("There is no reward number {number}. See /rewards."), number=reward_id
            )
        return reward

    async def catalogue(self, buildings: list[Building] | None) -> list[Reward]:
        """Rewards open to these buildings (and the whole community); None: every reward."""
        ids = None if buildings is None else [building.id for building in buildings]
        return await self.repo.catalogue(ids)

    async def add_reward(
        self, by: int, building: Building | None, draft: RewardDraft, source: str | None = None
    ) -> Reward:
        """Add a reward to a building's catalogue, or (no building) the community's.

        ``source`` names the command message: handled twice, it finds the reward it added.
        """
        async with self.db.transaction() as tx:
            if source is not None and (seen := await self.repo.reward_by_source(tx, source)):
                return seen
            return await self.repo.add_reward(
                tx,
                building.id if building else None,
                asdict(draft),
                by,
                self.clock.now(),
                source,
            )

    async def edit_reward(self, reward: Reward, field: str, value: Any) -> Reward:
        """Change one field of a reward (stock is what is left to redeem)."""
        async with self.db.transaction() as tx:
            if not await self.repo.update_reward(
                tx, reward.id, field, value, self.clock.now()
            ):
                raise NotFound(
                    N_("There is no reward number {number}. See /rewards."), number=reward.id
                )
            changed = await self.repo.reward(tx, reward.id)
        assert changed is not None
        return changed

    async def retire_reward(self, reward: Reward) -> None:
        """Take a reward out of the catalogue; pending redemptions of it still get decided."""
        async with self.db.transaction() as tx:
            if not await self.repo.retire_reward(tx, reward.id, self.clock.now()):
                raise NotFound(
                    N_("There is no reward number {number}. See /rewards."), number=reward.id
                )

    # --- redeeming -----------------------------------------------------------------------

    async def redeem(
        self, volunteer: User, reward_id: int, here: Building | None, request_key: str
    ) -> Redeemed:
        """Hold the points and reserve one item in one transaction; owners then decide.

        ``request_key`` names the command ("<chat>:<message>"), so a replay redeems once.
        ``here`` is the building of the group the command came from, if any.
        """
        known = await self.repo.redemption_by_key(self.db, request_key)
        if known is not None:
            return await self._redeemed(known, created=False)
        building = await self._deciding_building(volunteer.id, await self.reward(reward_id), here)
        async with self.db.transaction() as tx:
            redemption = await self._hold(tx, volunteer, reward_id, building, request_key)
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
            await self._queue_card(tx, redemption, volunteer, building)
            balance = await self.repo.balance(tx, volunteer.id)
        return Redeemed(redemption, building, balance, created=True)

    async def _hold(
        self,
        tx: Transaction,
        volunteer: User,
        reward_id: int,
        building: Building,
        request_key: str,
    ) -> Redemption | None:
        """Record the redemption, reserve the item and hold the points, or raise and roll back."""
        now = self.clock.now()
        reward = await self.repo.reward(tx, reward_id)
        if reward is None or not reward.active:
            raise NotFound(
                N_("There is no reward number {number}. See /rewards."), number=reward_id
            )
        month = month_bounds(now, self.tz)[2] if reward.monthly_limit else None
        expires_at = now + self.settings.redemption_expire_hours * 3600
        try:
            redemption = await self.repo.add_redemption(
                tx, reward, volunteer.id, building.id, month, request_key, now, expires_at
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
            tx, volunteer.id, -reward.cost, "redemption", source, volunteer.id, now
        ):
            raise Conflict(
                N_("«{reward}» costs {cost} points, and you have {balance}."),
                reward=reward.name,
                cost=reward.cost,
                balance=await self.repo.balance(tx, volunteer.id),
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
        serving = await self.community.buildings.volunteering(user_id)
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

    async def _queue_card(
        self, tx: Transaction, redemption: Redemption, volunteer: User, building: Building
    ) -> None:
        """Ask the building's owners, in its group, to approve or reject."""
        t = await self._translator(building.chat_id)
        buttons = [
            {
                "text": t.plain("✅ Approve"),
                "callback_data": button_data(BUTTONS, "approve", redemption.id),
            },
            {
                "text": t.plain("❌ Reject"),
                "callback_data": button_data(BUTTONS, "reject", redemption.id),
            },
        ]
        await self.outbox.queue(
            tx,
            building.chat_id,
            card_text(t, redemption, volunteer.display_name),
            reply_markup={"inline_keyboard": [buttons]},
            kind=CARD_KIND,
            ref=f"redemption:{redemption.id}",
            dedupe_key=f"redemption card {redemption.id}",
        )

    async def redemption(self, redemption_id: int) -> Redemption:
        """A redemption by number."""
        redemption = await self.repo.redemption(self.db, redemption_id)
        if redemption is None:
            raise NotFound(N_("This button is no longer valid."))
        return redemption

    async def decide(self, redemption_id: int, by: User, approve: bool) -> Redemption:
        """An owner approves (a voucher code is issued) or rejects (points and stock return).

        The move out of 'pending' is one conditional UPDATE: a repeated or racing
        press finds it decided and changes nothing.
        """
        async with self.db.transaction() as tx:
            now = self.clock.now()
            redemption = await self.repo.redemption(tx, redemption_id)
            if redemption is None:
                raise NotFound(N_("This button is no longer valid."))
            if redemption.status != "pending":
                raise Conflict(ALREADY[redemption.status])
            if approve and redemption.user_id == by.id and not self._is_admin(by.id):
                raise NotAllowed(N_("You cannot approve your own redemption: another owner will."))
            status = "approved" if approve else "rejected"
            voucher = voucher_code(redemption.id) if approve else None
            if not await self.repo.decide(tx, redemption.id, status, by.id, now, voucher):
                raise Conflict(N_("This redemption was already decided."))
            if not approve:
                await self._give_back(tx, redemption, by.id, now)
            await self.scheduler.cancel(tx, expiry_key(redemption.id))
            decided = await self.repo.redemption(tx, redemption.id)
            assert decided is not None
            await self._announce(tx, decided, by.display_name)
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
        await self._announce(tx, expired, None)

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

    async def _announce(self, tx: Transaction, redemption: Redemption, by: str | None) -> None:
        """Tell the volunteer the outcome, and mark the owners' card as decided."""
        volunteer = await self.users.get(redemption.user_id)
        if volunteer is not None and volunteer.started:
            t = await self._translator(volunteer.id)
            await self.outbox.queue(
                tx,
                volunteer.id,
                outcome_text(t, redemption),
                kind="points_outcome",
                ref=f"redemption:{redemption.id}",
                dedupe_key=f"redemption outcome {redemption.id}",
            )
        name = volunteer.display_name if volunteer else str(redemption.user_id)
        for card in await self.outbox.repo.by_ref(f"redemption:{redemption.id}"):
            if card.kind != CARD_KIND or card.message_id is None:
                continue
            t = await self._translator(card.chat_id)
            text = card_text(t, redemption, name) + "\n\n" + decision_line(t, redemption, by)
            await self.outbox.queue_call(
                tx,
                card.chat_id,
                "editMessageText",
                {"message_id": card.message_id, "text": text, "parse_mode": "HTML"},
                kind="points_card_edit",
                ref=f"redemption:{redemption.id}",
                dedupe_key=f"redemption card {redemption.id} {redemption.status}",
            )

    # --- helpers -------------------------------------------------------------------------

    def _is_admin(self, user_id: int) -> bool:
        return self.community.is_admin(user_id)

    async def _translator(self, chat_id: int) -> Translator:
        """The translator for a chat's own language, or the community's."""
        return await self.people.translator_for(chat_id)


# --- texts -------------------------------------------------------------------------------

MEDALS = ("🥇", "🥈", "🥉")


def reward_line(t: Translator, reward: Reward) -> str:
    """One reward of the catalogue."""
    line = t(
        "<b>#{number}</b> {name} — {shop}: {cost} points, {stock} left",
        number=reward.id,
        name=reward.name,
        shop=reward.shop,
        cost=reward.cost,
        stock=reward.stock,
    )
    return line + (t(" (one per month)") if reward.monthly_limit else "")


def entry_line(t: Translator, entry: LedgerEntry, tz: ZoneInfo) -> str:
    """One ledger entry: when, how much, why."""
    when = datetime.fromtimestamp(entry.created_at, tz).strftime("%m-%d %H:%M")
    label = t.plain(REASON_LABELS.get(entry.reason, entry.reason))
    detail = entry.note or _source_hint(entry.source)
    why = t("{reason}: {detail}", reason=label, detail=detail) if detail else html_escape(label)
    return f"{when}  <b>{entry.amount:+d}</b>  {why}"


def _source_hint(source: str) -> str:
    """'request:42' → '#42': the number people know a thing by."""
    head, _, tail = source.partition(":")
    return f"#{tail}" if head != "award" and tail.isdigit() else ""


def redemption_line(t: Translator, redemption: Redemption, tz: ZoneInfo, private: bool) -> str:
    """One open redemption; the voucher code is shown only in private."""
    head = t(
        "#{number} «{reward}» ({shop}), {cost} points",
        number=redemption.id,
        reward=redemption.reward_name,
        shop=redemption.shop,
        cost=redemption.cost,
    )
    if redemption.status == "pending":
        until = datetime.fromtimestamp(redemption.expires_at, tz).strftime("%m-%d %H:%M")
        return head + " — " + t("waiting for an owner (until {time})", time=until)
    if private and redemption.voucher:
        return head + " — " + t("voucher <code>{code}</code>", code=redemption.voucher)
    return head + " — " + t("approved")


def card_text(t: Translator, redemption: Redemption, volunteer: str) -> str:
    """The owners' card for a redemption."""
    return t(
        "🎁 <b>Redemption #{number}</b>\n"
        "{name} would like «{reward}» from {shop} for {cost} points. The points are held.\n"
        "Owners of the building: approve to give a voucher code, or reject to give "
        "the points back.",
        number=redemption.id,
        name=volunteer,
        reward=redemption.reward_name,
        shop=redemption.shop,
        cost=redemption.cost,
    )


def decision_line(t: Translator, redemption: Redemption, by: str | None) -> str:
    """How the card ended."""
    if redemption.status == "approved":
        return t("✅ Approved by {owner}.", owner=by or "—")
    if redemption.status == "rejected":
        return t("❌ Rejected by {owner}. The points went back.", owner=by or "—")
    return t("⌛ Expired: no owner decided in time. The points went back.")


def outcome_text(t: Translator, redemption: Redemption) -> str:
    """What the volunteer is told once their redemption is decided."""
    params = {
        "number": redemption.id,
        "reward": redemption.reward_name,
        "shop": redemption.shop,
        "cost": redemption.cost,
    }
    if redemption.status == "approved":
        return t(
            "✅ Your redemption #{number} is approved: «{reward}» from {shop}.\n"
            "Show this code at the shop: <code>{code}</code>",
            code=redemption.voucher,
            **params,
        )
    if redemption.status == "rejected":
        return t(
            "Your redemption #{number} of «{reward}» ({shop}) was not approved. "
            "Your {cost} points are back.",
            **params,
        )
    return t(
        "Your redemption #{number} of «{reward}» ({shop}) expired before an owner decided. "
        "Your {cost} points are back.",
        **params,
    )


def leaderboard_text(t: Translator, board: Leaderboard, place: str) -> str:
    """The 'volunteers of the month' notice."""
    year, month = board.month.split("-")
    title = t(
        "🏆 <b>Volunteers of the month</b>: {place}, {year}-{month}",
        place=place,
        year=year,
        month=int(month),
    )
    lines = [title]
    for rank, standing in enumerate(board.standings, start=1):
        badge = MEDALS[rank - 1] if rank <= len(MEDALS) else f"{rank}."
        lines.append(
            t(
                "{badge} {name} — {points} points",
                badge=badge,
                name=standing.user.display_name,
                points=standing.points,
            )
        )
    if not board.standings:
        lines.append(t("No points earned this month yet."))
    else:
        lines.append(t("Thank you for helping your neighbours!"))
    return "\n".join(lines)
