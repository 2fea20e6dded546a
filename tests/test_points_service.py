"""The ledger rules, without Telegram: a real SQLite database in a temp dir.

Points are kept like money: a balance is the sum of its entries, never below zero;
every source pays once; a redemption holds points and stock together, and a rejected
or expired one gives both back with new entries.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Bot

from bot.app import build_services
from bot.clock import FakeClock
from bot.config import Settings, load_settings
from bot.context import Services
from bot.domain.core import Building, User
from bot.errors import Conflict, InvalidInput, LinliError, NotAllowed, NotFound
from bot.services.community import Actor
from bot.services.people import Person, Place
from bot.services.points import (
    PointsService,
    RewardDraft,
    expiry_key,
    month_bounds,
    parse_award,
    parse_reward,
    parse_reward_edit,
)
from bot.views import points as views
from storage.db import Database
from storage.migrate import available_migrations, migrate
from tests.delivery import deliver

OWNER, ADMIN = 10, 900
VOLUNTEERS = [21, 22, 23]
CHAT = -100
MID_NOVEMBER = datetime(2026, 11, 15, 4, 0, tzinfo=UTC)


def make_settings(folder: Path) -> Settings:
    config = folder / "config.toml"
    config.write_text("", encoding="utf-8")
    return load_settings(
        config,
        require_token=False,
        database={"path": str(folder / "linli.db")},
        community={"admins": [ADMIN]},
    )


@dataclass
class World:
    """The services around a fresh database, with one building and its volunteers."""

    services: Services
    clock: FakeClock
    building: Building
    people: dict[int, User] = field(default_factory=dict)

    @property
    def points(self) -> PointsService:
        return self.services.points

    @property
    def db(self) -> Database:
        return self.services.db

    async def value(self, sql: str, *params: object) -> object:
        return await self.db.fetch_value(sql, params)

    async def reward(self, cost: int = 30, stock: int = 5, monthly: bool = False) -> int:
        draft = RewardDraft("洗车券", "老王洗车行", cost, stock, monthly)
        return (await self.points.add_reward(Actor(OWNER), self.building, draft)).id

    async def give(self, user_id: int, amount: int, source: str | None = None) -> None:
        async with self.db.transaction() as tx:
            source = source or f"test:{user_id}:{amount}:{self.clock.now()}"
            assert await self.points.award_in(tx, user_id, amount, "award", source, OWNER)


async def open_world(folder: Path, start: datetime = MID_NOVEMBER) -> World:
    """A database with an owner, a building (3号楼) and three volunteers."""
    clock = FakeClock(start)
    cfg = make_settings(folder)
    db = await Database.open(folder / "linli.db")
    await migrate(db)
    services = build_services(cfg, clock, db, Bot("1:unit-tests"))  # the bot is never called
    await services.people.seen(Person(OWNER, "王主任", username="wang"), Place(CHAT, "group"))
    building = (await services.community.setup(CHAT, "3号楼", OWNER)).building
    await services.community.store_admins(CHAT, [OWNER])  # the group's Telegram admin
    world = World(services, clock, building)
    for user_id in [OWNER, *VOLUNTEERS]:
        await services.people.seen(
            Person(user_id, f"志愿者{user_id}", username=f"v{user_id}"), None
        )
        user = await services.users.get(user_id)
        assert user is not None
        world.people[user_id] = user
        if user_id != OWNER:
            await services.community.add_volunteer(building, user, [])
    return world


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    opened = await open_world(tmp_path)
    try:
        yield opened
    finally:
        await opened.db.close()


LI = VOLUNTEERS[0]


# --- earning -------------------------------------------------------------------------------


async def test_an_automatic_award_pays_once_per_source(world: World) -> None:
    async with world.db.transaction() as tx:
        first = await world.points.award_in(tx, LI, 10, "request_done", "request:42", None)
        again = await world.points.award_in(tx, LI, 10, "request_done", "request:42", None)
    async with world.db.transaction() as tx:  # finishing the request again, later
        later = await world.points.award_in(tx, LI, 10, "request_done", "request:42", None)
    assert (first, again, later) == (True, False, False)
    assert await world.points.balance(LI) == 10
    assert await world.value("SELECT count(*) FROM ledger WHERE source = 'request:42'") == 1


async def test_an_award_switched_off_in_the_config_pays_nothing(world: World) -> None:
    async with world.db.transaction() as tx:
        assert not await world.points.award_in(tx, LI, 0, "lockup_on_time", "lockup:1", None)
    assert await world.value("SELECT count(*) FROM ledger") == 0


async def test_an_automatic_award_rolls_back_with_the_callers_transaction(world: World) -> None:
    with pytest.raises(RuntimeError):
        async with world.db.transaction() as tx:
            await world.points.award_in(tx, LI, 10, "request_done", "request:7", None)
            raise RuntimeError("the request could not be closed")
    assert await world.points.balance(LI) == 0
    async with world.db.transaction() as tx:  # so the retry still pays
        assert await world.points.award_in(tx, LI, 10, "request_done", "request:7", None)


async def test_award_in_refuses_a_negative_amount_or_an_unknown_reason(world: World) -> None:
    async with world.db.transaction() as tx:
        with pytest.raises(ValueError):
            await world.points.award_in(tx, LI, -5, "request_done", "request:1", None)
        with pytest.raises(ValueError):
            await world.points.award_in(tx, LI, 5, "redemption", "request:1", None)


async def test_a_manual_award_and_a_correction_are_entries_with_their_reason(
    world: World,
) -> None:
    li = world.people[LI]
    await world.points.award(Actor(OWNER), li, 20, "义卖会帮忙", "award:-100:1")
    result = await world.points.award(Actor(OWNER), li, -5, "重复计算", "award:-100:2")
    assert result.balance == 15 and result.created
    rows = await world.db.fetch_all("SELECT amount, reason, note, made_by FROM ledger ORDER BY id")
    assert [tuple(row) for row in rows] == [
        (20, "award", "义卖会帮忙", OWNER),
        (-5, "correction", "重复计算", OWNER),
    ]


async def test_a_correction_below_zero_is_refused_and_writes_nothing(world: World) -> None:
    li = world.people[LI]
    await world.points.award(Actor(OWNER), li, 3, "帮忙", "award:-100:1")
    with pytest.raises(Conflict) as refused:
        await world.points.award(Actor(OWNER), li, -5, "多给了", "award:-100:2")
    assert refused.value.params == {"name": li.display_name, "balance": 3, "points": 5}
    assert await world.points.balance(LI) == 3
    assert await world.value("SELECT count(*) FROM ledger") == 1


async def test_the_same_award_command_replayed_pays_once(world: World) -> None:
    li = world.people[LI]
    first = await world.points.award(Actor(OWNER), li, 20, "帮忙", "award:-100:9")
    replay = await world.points.award(Actor(OWNER), li, 20, "帮忙", "award:-100:9")
    assert first.created and not replay.created
    assert replay.balance == 20


async def test_awards_are_bounded_and_need_a_reason(world: World) -> None:
    li = world.people[LI]
    for amount, note in [(0, "x"), (5000, "x"), (5, " "), (5, "长" * 201)]:
        with pytest.raises(InvalidInput):
            await world.points.award(Actor(OWNER), li, amount, note, f"award:{amount}:{len(note)}")
    assert await world.value("SELECT count(*) FROM ledger") == 0


async def test_the_ledger_is_append_only(world: World) -> None:
    await world.give(LI, 10)
    for sql in ("UPDATE ledger SET amount = 1000", "DELETE FROM ledger"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            async with world.db.transaction() as tx:
                await tx.execute(sql)
    assert await world.points.balance(LI) == 10


# --- redeeming -----------------------------------------------------------------------------


async def test_redeeming_holds_the_points_and_one_item(world: World) -> None:
    reward = await world.reward(cost=30, stock=5)
    await world.give(LI, 50)
    result = await world.points.redeem(Actor(LI), reward, None, "21:1")
    assert result.created and result.balance == 20 and result.building.id == world.building.id
    assert await world.value("SELECT stock FROM rewards WHERE id = ?", reward) == 4
    entry = await world.db.fetch_one("SELECT amount, reason, source FROM ledger ORDER BY id DESC")
    assert entry is not None
    assert tuple(entry) == (-30, "redemption", f"redemption:{result.redemption.id}")
    card = await world.db.fetch_one(
        "SELECT chat_id, payload FROM outbox WHERE kind = 'points_card'"
    )
    assert card is not None and card["chat_id"] == CHAT and "points:approve:" in card["payload"]
    job = await world.services.scheduler.repo.get(expiry_key(result.redemption.id))
    assert job is not None and job.status == "pending"


async def test_too_few_points_refuses_and_changes_nothing(world: World) -> None:
    reward = await world.reward(cost=30, stock=5)
    await world.give(LI, 29)
    with pytest.raises(Conflict) as refused:
        await world.points.redeem(Actor(LI), reward, None, "21:1")
    assert refused.value.params["balance"] == 29
    assert await world.value("SELECT stock FROM rewards") == 5
    assert await world.value("SELECT count(*) FROM redemptions") == 0
    assert await world.value("SELECT count(*) FROM jobs") == 0
    assert await world.value("SELECT count(*) FROM outbox") == 0
    assert await world.points.balance(LI) == 29


async def test_a_sold_out_reward_is_refused(world: World) -> None:
    reward = await world.reward(stock=0)
    await world.give(LI, 100)
    with pytest.raises(Conflict, match="sold out"):
        await world.points.redeem(Actor(LI), reward, None, "21:1")
    assert await world.points.balance(LI) == 100


async def test_only_volunteers_of_the_rewards_building_may_redeem(world: World) -> None:
    reward = await world.reward()
    await world.give(OWNER, 100)
    with pytest.raises(NotAllowed):
        await world.points.redeem(Actor(OWNER), reward, None, "10:1")


async def test_a_retired_reward_cannot_be_redeemed(world: World) -> None:
    reward = await world.reward()
    await world.points.retire_reward(Actor(OWNER), reward)
    await world.give(LI, 100)
    with pytest.raises(NotFound):
        await world.points.redeem(Actor(LI), reward, None, "21:1")


async def test_the_same_redeem_command_replayed_redeems_once(world: World) -> None:
    reward = await world.reward(cost=30, stock=5)
    await world.give(LI, 100)
    first = await world.points.redeem(Actor(LI), reward, None, "21:7")
    replay = await world.points.redeem(Actor(LI), reward, None, "21:7")
    assert first.created and not replay.created
    assert replay.redemption.id == first.redemption.id
    assert await world.points.balance(LI) == 70
    assert await world.value("SELECT stock FROM rewards") == 4


async def test_racing_for_the_last_item_exactly_one_wins(world: World) -> None:
    reward = await world.reward(cost=10, stock=1)
    for volunteer in VOLUNTEERS:
        await world.give(volunteer, 10)
    outcomes = await asyncio.gather(
        *(world.points.redeem(Actor(v), reward, None, f"{v}:1") for v in VOLUNTEERS),
        return_exceptions=True,
    )
    winners = [o for o in outcomes if not isinstance(o, BaseException)]
    losers = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(winners) == 1 and len(losers) == 2
    assert await world.value("SELECT stock FROM rewards") == 0
    balances = [await world.points.balance(v) for v in VOLUNTEERS]
    assert sorted(balances) == [0, 10, 10]


async def test_approving_issues_a_voucher_and_tells_the_volunteer(world: World) -> None:
    reward = await world.reward(cost=30, stock=5)
    await world.give(LI, 30)
    redemption = (await world.points.redeem(Actor(LI), reward, None, "21:1")).redemption
    async with world.db.transaction() as tx:
        await world.services.users.set_started(tx, LI, True, world.clock.now())
    decided = await world.points.decide(Actor(OWNER), redemption.id, approve=True)
    assert decided.status == "approved" and decided.voucher
    assert decided.voucher.startswith(f"LL{redemption.id}-")
    assert await world.points.balance(LI) == 0  # the points are spent
    assert await world.value("SELECT stock FROM rewards") == 4
    told = await world.value("SELECT payload FROM outbox WHERE chat_id = ?", LI)
    assert decided.voucher in str(told)
    job = await world.services.scheduler.repo.get(expiry_key(redemption.id))
    assert job is not None and job.status == "cancelled"


async def test_rejecting_gives_points_and_stock_back_with_a_new_entry(world: World) -> None:
    reward = await world.reward(cost=30, stock=5)
    await world.give(LI, 30)
    redemption = (await world.points.redeem(Actor(LI), reward, None, "21:1")).redemption
    decided = await world.points.decide(Actor(OWNER), redemption.id, approve=False)
    assert decided.status == "rejected" and decided.voucher is None
    assert await world.points.balance(LI) == 30
    assert await world.value("SELECT stock FROM rewards") == 5
    reasons = [row[0] for row in await world.db.fetch_all("SELECT reason FROM ledger ORDER BY id")]
    assert reasons == ["award", "redemption", "redemption_returned"]


async def test_a_second_decision_changes_nothing(world: World) -> None:
    reward = await world.reward(cost=30, stock=5)
    await world.give(LI, 30)
    redemption = (await world.points.redeem(Actor(LI), reward, None, "21:1")).redemption
    await world.points.decide(Actor(OWNER), redemption.id, approve=True)
    for approve in (True, False):
        with pytest.raises(Conflict, match="already approved"):
            await world.points.decide(Actor(OWNER), redemption.id, approve=approve)
    assert await world.points.balance(LI) == 0
    assert await world.value("SELECT stock FROM rewards") == 4


async def test_an_owner_cannot_approve_their_own_redemption(world: World) -> None:
    reward = await world.reward(cost=10)
    await world.give(LI, 10)
    redemption = (await world.points.redeem(Actor(LI), reward, None, "21:1")).redemption
    with pytest.raises(NotAllowed):
        await world.points.decide(Actor(LI), redemption.id, approve=True)
    assert await world.value("SELECT status FROM redemptions") == "pending"


async def test_a_redemption_nobody_decides_expires_and_gives_everything_back(
    world: World,
) -> None:
    reward = await world.reward(cost=30, stock=1)
    await world.give(LI, 30)
    await world.points.redeem(Actor(LI), reward, None, "21:1")
    world.clock.advance(71 * 3600)
    await world.services.scheduler.run_due()
    assert await world.value("SELECT status FROM redemptions") == "pending"
    world.clock.advance(2 * 3600)
    assert await world.services.scheduler.run_due() == 1
    assert await world.value("SELECT status FROM redemptions") == "expired"
    assert await world.points.balance(LI) == 30
    assert await world.value("SELECT stock FROM rewards") == 1


async def test_an_expiry_found_after_a_long_outage_still_runs(world: World) -> None:
    reward = await world.reward(cost=30, stock=1)
    await world.give(LI, 30)
    await world.points.redeem(Actor(LI), reward, None, "21:1")
    world.clock.advance(30 * 24 * 3600)  # far beyond the usual grace time
    assert await world.services.scheduler.run_due() == 1
    assert await world.points.balance(LI) == 30


async def test_one_per_month_counts_pending_and_approved_but_not_rejected(world: World) -> None:
    reward = await world.reward(cost=10, stock=10, monthly=True)
    await world.give(LI, 100)
    first = (await world.points.redeem(Actor(LI), reward, None, "21:1")).redemption
    with pytest.raises(Conflict, match="one per month"):
        await world.points.redeem(Actor(LI), reward, None, "21:2")
    await world.points.decide(Actor(OWNER), first.id, approve=False)
    second = (await world.points.redeem(Actor(LI), reward, None, "21:3")).redemption
    await world.points.decide(Actor(OWNER), second.id, approve=True)
    with pytest.raises(Conflict, match="one per month"):
        await world.points.redeem(Actor(LI), reward, None, "21:4")
    world.clock.set(datetime(2026, 11, 30, 16, 30, tzinfo=UTC))  # 1 December in Shanghai
    assert (await world.points.redeem(Actor(LI), reward, None, "21:5")).created


def test_the_month_is_the_community_s_month() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    late_utc = datetime(2026, 11, 30, 16, 30, tzinfo=UTC).timestamp()
    start, end, month = month_bounds(late_utc, shanghai)
    assert month == "2026-12"
    assert datetime.fromtimestamp(start, shanghai) == datetime(2026, 12, 1, tzinfo=shanghai)
    assert datetime.fromtimestamp(end, shanghai) == datetime(2027, 1, 1, tzinfo=shanghai)


async def test_editing_a_reward_changes_one_field(world: World) -> None:
    reward = await world.points.reward(await world.reward(cost=30, stock=5))
    changed = await world.points.edit_reward(Actor(OWNER), reward.id, "stock", 20)
    assert (changed.stock, changed.cost) == (20, 30)
    changed = await world.points.edit_reward(Actor(OWNER), changed.id, "monthly_limit", True)
    assert changed.monthly_limit


# --- who may ------------------------------------------------------------------------------


async def test_only_an_owner_of_the_building_decides_and_a_refusal_changes_nothing(
    world: World,
) -> None:
    reward = await world.reward(cost=30, stock=5)
    await world.give(LI, 30)
    redemption = (await world.points.redeem(Actor(LI), reward, None, "21:1")).redemption
    outbox = await world.value("SELECT count(*) FROM outbox")
    for who in (VOLUNTEERS[1], 999):  # another volunteer, a stranger
        for approve in (True, False):
            with pytest.raises(NotAllowed):
                await world.points.decide(Actor(who), redemption.id, approve=approve)
    assert await world.value("SELECT status FROM redemptions") == "pending"
    assert await world.points.balance(LI) == 0
    assert await world.value("SELECT stock FROM rewards") == 4
    assert await world.value("SELECT count(*) FROM outbox") == outbox
    decided = await world.points.decide(Actor(ADMIN), redemption.id, approve=False)
    assert decided.status == "rejected" and decided.decided_by == ADMIN


async def test_awards_and_the_catalogue_are_for_the_owners_of_the_building(
    world: World,
) -> None:
    reward = await world.reward(cost=30, stock=5)
    zhao, li = Actor(VOLUNTEERS[1]), world.people[LI]
    cake = RewardDraft("蛋糕", "面包房", 1, 9, False)
    with pytest.raises(NotAllowed, match="owners of a building this volunteer serves"):
        await world.points.award(zhao, li, 20, "自己人", "award:-100:1")
    with pytest.raises(NotAllowed):
        await world.points.edit_reward(zhao, reward, "stock", 100)
    with pytest.raises(NotAllowed):
        await world.points.retire_reward(zhao, reward)
    with pytest.raises(NotAllowed):
        await world.points.add_reward(zhao, world.building, cake)
    with pytest.raises(InvalidInput, match="in your building's group"):  # the community's
        await world.points.add_reward(Actor(OWNER), None, cake)
    with pytest.raises(NotAllowed):
        await world.points.statement(zhao, LI)  # someone else's points
    with pytest.raises(NotAllowed):
        await world.points.post_leaderboard(zhao, world.building)
    assert await world.value("SELECT count(*) FROM ledger") == 0
    assert await world.value("SELECT count(*) FROM rewards") == 1
    assert await world.value("SELECT stock || ' ' || active FROM rewards") == "5 1"
    assert await world.value("SELECT count(*) FROM outbox") == 0
    assert (await world.points.statement(Actor(OWNER), LI)).balance == 0
    added = await world.points.add_reward(Actor(ADMIN), None, cake)
    assert added.building_id is None


# --- the owners' card ----------------------------------------------------------------------


async def deliver_cards(world: World, message_id: int) -> None:
    """Play the outbox sender: each pending card arrives, and the app's hook hears of it."""
    await deliver(world.services, "points_card", lambda _row: message_id)


async def card_edits(world: World) -> list[dict[str, object]]:
    rows = await world.db.fetch_all(
        "SELECT chat_id, method, payload FROM outbox WHERE kind = 'points_card_edit' ORDER BY id"
    )
    assert all(row["chat_id"] == CHAT and row["method"] == "editMessageText" for row in rows)
    return [json.loads(row["payload"]) for row in rows]


async def decided_card(world: World, redemption_id: int) -> str:
    """The card's text as the group should see it now."""
    redemption = await world.points.redemption(redemption_id)
    t = await world.services.people.translator_for(CHAT)
    owner = world.people[OWNER].display_name if redemption.decided_by else None
    return views.card(t, redemption, world.people[LI].display_name, owner).text


async def test_a_decided_card_is_edited_once_and_loses_its_buttons(world: World) -> None:
    reward = await world.reward(cost=30, stock=5)
    await world.give(LI, 30)
    redemption = (await world.points.redeem(Actor(LI), reward, None, "21:1")).redemption
    await deliver_cards(world, message_id=555)
    assert await card_edits(world) == []
    await world.points.decide(Actor(OWNER), redemption.id, approve=True)
    with pytest.raises(Conflict):
        await world.points.decide(Actor(OWNER), redemption.id, approve=False)
    [edit] = await card_edits(world)
    assert edit["message_id"] == 555 and "reply_markup" not in edit
    assert edit["text"] == await decided_card(world, redemption.id)


async def test_a_card_still_on_its_way_when_decided_is_edited_as_it_arrives(
    world: World,
) -> None:
    reward = await world.reward(cost=30, stock=5)
    await world.give(LI, 30)
    redemption = (await world.points.redeem(Actor(LI), reward, None, "21:1")).redemption
    await world.points.decide(Actor(OWNER), redemption.id, approve=False)
    assert await card_edits(world) == []  # nothing to edit yet
    await deliver_cards(world, message_id=556)
    [edit] = await card_edits(world)
    assert edit["message_id"] == 556 and "reply_markup" not in edit
    assert edit["text"] == await decided_card(world, redemption.id)


async def test_an_expired_redemption_edits_its_card(world: World) -> None:
    reward = await world.reward(cost=30, stock=1)
    await world.give(LI, 30)
    redemption = (await world.points.redeem(Actor(LI), reward, None, "21:1")).redemption
    await deliver_cards(world, message_id=557)
    world.clock.advance(73 * 3600)
    assert await world.services.scheduler.run_due() == 1
    [edit] = await card_edits(world)
    assert edit["message_id"] == 557
    assert edit["text"] == await decided_card(world, redemption.id)


async def test_cards_delivered_before_the_upgrade_are_edited_when_decided(world: World) -> None:
    """Before migration 10 a card was found through its outbox row alone: one delivered,
    one still on its way whose redemption was decided meanwhile, one that failed."""
    reward = await world.reward(cost=10, stock=5)
    for volunteer in VOLUNTEERS:
        await world.give(volunteer, 10)
    ids = [
        (await world.points.redeem(Actor(v), reward, None, f"{v}:1")).redemption.id
        for v in VOLUNTEERS
    ]
    rows = await world.db.fetch_all("SELECT id FROM outbox WHERE kind = 'points_card' ORDER BY id")
    delivered, on_its_way, failed = (row[0] for row in rows)
    async with world.db.transaction() as tx:
        await tx.execute("DELETE FROM cards")  # the state an older version left
        await tx.execute(
            "UPDATE outbox SET status = 'sent', message_id = 600 WHERE id = ?", (delivered,)
        )
        await tx.execute("UPDATE outbox SET status = 'failed' WHERE id = ?", (failed,))
    await world.points.decide(Actor(OWNER), ids[1], approve=True)
    migration = next(m for m in available_migrations() if m.name.endswith("_cards_points.sql"))
    for _ in range(2):  # a second run adds nothing
        await world.db.execute_script(migration.sql)
    copies = await world.db.fetch_all(
        "SELECT ref, outbox_id, message_id, dirty FROM cards ORDER BY ref"
    )
    assert [tuple(row) for row in copies] == [
        (str(ids[0]), None, 600, 0),
        (str(ids[1]), on_its_way, None, 1),
    ]
    await world.points.decide(Actor(OWNER), ids[0], approve=False)
    [edit] = await card_edits(world)
    assert edit["message_id"] == 600 and edit["text"] == await decided_card(world, ids[0])
    await deliver(world.services, "points_card", lambda _row: 601)  # the one on its way
    edits = await card_edits(world)
    assert [e["message_id"] for e in edits] == [600, 601]
    assert "reply_markup" not in edits[1]


# --- the ranking ---------------------------------------------------------------------------


async def test_the_leaderboard_counts_this_months_earnings_not_spending(world: World) -> None:
    await world.give(VOLUNTEERS[2], 500)  # November: not this month
    world.clock.set(datetime(2026, 12, 10, tzinfo=UTC))
    await world.give(VOLUNTEERS[0], 20)
    await world.give(VOLUNTEERS[1], 30)
    reward = await world.reward(cost=25)
    await world.points.redeem(Actor(VOLUNTEERS[1]), reward, None, "22:1")  # spending
    board = await world.points.leaderboard(world.building)
    assert board.month == "2026-12"
    assert [(s.user.id, s.points) for s in board.standings] == [
        (VOLUNTEERS[1], 30),
        (VOLUNTEERS[0], 20),
    ]
    community = await world.points.leaderboard(None)
    assert [s.user.id for s in community.standings] == [VOLUNTEERS[1], VOLUNTEERS[0]]


# --- parsing -------------------------------------------------------------------------------


def test_award_commands_are_parsed_with_their_sign() -> None:
    assert parse_award("@li 10 义卖会 帮忙").amount == 10
    order = parse_award("@li -5 重复计算")
    assert (order.username, order.amount, order.note) == ("@li", -5, "重复计算")
    assert parse_award("+3 replied").username is None
    for bad in ["", "@li", "@li ten reason", "@li 10", "@li 0 reason"]:
        with pytest.raises(InvalidInput):
            parse_award(bad)


def test_reward_commands_are_parsed() -> None:
    draft = parse_reward("洗车券 | 老王洗车行 | 50 | 10 | 每月")
    assert draft == RewardDraft("洗车券", "老王洗车行", 50, 10, True)
    assert not parse_reward("Rice｜Shop｜5｜0").monthly_limit
    for bad in ["a | b | 5", "a | b | 0 | 1", "a | b | 5 | -1", "a | | 5 | 1", "a|b|5|1|weekly"]:
        with pytest.raises(InvalidInput):
            parse_reward(bad)
    assert parse_reward_edit("#3 库存 20") == (3, "stock", 20)
    assert parse_reward_edit("3 name 新 名字") == (3, "name", "新 名字")
    assert parse_reward_edit("3 monthly off") == (3, "monthly_limit", False)
    for bad in ["3 colour red", "x stock 2", "3 cost 0", "3 monthly maybe"]:
        with pytest.raises(InvalidInput):
            parse_reward_edit(bad)


# --- the property --------------------------------------------------------------------------

COSTS = [10, 25, 40]  # reward 0 is one per month
STOCK = 1

operations = st.lists(
    st.one_of(
        st.tuples(st.just("award"), st.sampled_from(VOLUNTEERS), st.integers(1, 60)),
        st.tuples(st.just("correct"), st.sampled_from(VOLUNTEERS), st.integers(1, 60)),
        st.tuples(st.just("redeem"), st.sampled_from(VOLUNTEERS), st.integers(0, 2)),
        st.tuples(st.just("approve"), st.integers(0, 20), st.just(0)),
        st.tuples(st.just("reject"), st.integers(0, 20), st.just(0)),
        st.tuples(st.just("expire"), st.integers(0, 20), st.just(0)),
    ),
    max_size=30,
)


@dataclass
class Model:
    """What the balances and stock should be, kept by the test on its own."""

    balances: dict[int, int]
    stock: list[int]
    redemptions: list[tuple[int, int, int, int]] = field(
        default_factory=list
    )  # id, who, reward, cost
    status: dict[int, str] = field(default_factory=dict)


async def play(folder: Path, steps: list[tuple[str, int, int]]) -> None:
    world = await open_world(folder)
    try:
        rewards = [await world.reward(cost, STOCK, monthly=n == 0) for n, cost in enumerate(COSTS)]
        model = Model({v: 0 for v in VOLUNTEERS}, [STOCK] * len(COSTS))
        for number, (action, who, what) in enumerate(steps):
            await step(world, model, rewards, number, action, who, what)
            await check(world, model, rewards)
    finally:
        await world.db.close()


async def step(
    world: World, model: Model, rewards: list[int], number: int, action: str, who: int, what: int
) -> None:
    """Apply one operation to the service and to the model; refusals must match the model."""
    points = world.points
    if action in ("award", "correct"):
        amount = what if action == "award" else -what
        allowed = model.balances[who] + amount >= 0
        awarded = points.award(Actor(OWNER), world.people[who], amount, "x", f"s{number}")
        await expect(allowed, awarded)
        model.balances[who] += amount if allowed else 0
    elif action == "redeem":
        held = any(
            r[1] == who and r[2] == what and model.status[r[0]] in ("pending", "approved")
            for r in model.redemptions
        )
        allowed = (
            model.stock[what] > 0
            and model.balances[who] >= COSTS[what]
            and not (what == 0 and held)
        )
        result = await expect(
            allowed, points.redeem(Actor(who), rewards[what], None, f"{who}:{number}")
        )
        if result is not None:
            model.redemptions.append((result.redemption.id, who, what, COSTS[what]))
            model.status[result.redemption.id] = "pending"
            model.balances[who] -= COSTS[what]
            model.stock[what] -= 1
    elif model.redemptions:
        rid, holder, reward, cost = model.redemptions[who % len(model.redemptions)]
        pending = model.status[rid] == "pending"
        if action == "expire":
            job = await world.services.scheduler.repo.get(expiry_key(rid))
            assert job is not None
            async with world.db.transaction() as tx:
                await points.expire(tx, job)
        else:
            await expect(pending, points.decide(Actor(OWNER), rid, approve=action == "approve"))
        if pending:
            model.status[rid] = {"approve": "approved", "reject": "rejected"}.get(action, "expired")
            if action != "approve":
                model.balances[holder] += cost
                model.stock[reward] += 1


async def expect(allowed: bool, call: object) -> object:
    """Run a service call; it must succeed exactly when the model allows it."""
    try:
        result = await call  # type: ignore[misc]
    except LinliError:
        assert not allowed, "the service refused what the rules allow"
        return None
    assert allowed, "the service did what the rules refuse"
    return result


async def check(world: World, model: Model, rewards: list[int]) -> None:
    """Every balance ≥ 0 and equal to the sum of its entries (at every point of the
    ledger), and the stock ≥ 0 with every item accounted for."""
    entries = await world.db.fetch_all("SELECT user_id, amount FROM ledger ORDER BY id")
    running: dict[int, int] = {}
    for user_id, amount in entries:
        running[user_id] = running.get(user_id, 0) + amount
        assert running[user_id] >= 0, "the ledger went below zero at some point"
    for volunteer in VOLUNTEERS:
        balance = await world.points.balance(volunteer)
        assert balance == running.get(volunteer, 0) == model.balances[volunteer] >= 0
    for n, reward in enumerate(rewards):
        stock = await world.value("SELECT stock FROM rewards WHERE id = ?", reward)
        held = await world.value(
            """SELECT count(*) FROM redemptions
               WHERE reward_id = ? AND status IN ('pending', 'approved')""",
            reward,
        )
        assert stock == model.stock[n] >= 0
        assert stock + held == STOCK  # type: ignore[operator]


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(steps=operations)
def test_any_sequence_keeps_balances_and_stock_sound(steps: list[tuple[str, int, int]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(play(Path(folder), steps))
