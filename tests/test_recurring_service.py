"""Recurring notices and quiet hours without Telegram: an occurrence is posted once and plans
the next, a missed one plans the next without a post, a broken chain is mended at start,
Stop re-checks who presses, and quiet hours hold group posts (a notice, the digest, an
event reminder in the group) in stored release jobs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from telegram import Bot

from bot.app import build_services
from bot.clock import FakeClock
from bot.context import Services
from bot.domain.core import Building
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.services.community import Actor
from bot.services.people import Person, Place
from bot.services.quiet import EQUAL_ENDS, FORM, read_quiet
from bot.views.common import OutMessage
from storage.db import Database
from storage.migrate import migrate
from tests import test_events_service as events
from tests.test_points_service import make_settings

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)  # a Wednesday
MONDAY_NINE = datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI)
OWNER, RESIDENT = 10, 30
CHAT = -100


@dataclass
class World:
    services: Services
    clock: FakeClock
    building: Building

    @property
    def db(self) -> Database:
        return self.services.db

    async def value(self, sql: str, *params: object) -> object:
        return await self.db.fetch_value(sql, params)

    async def weekly(self, text: str = "每周一 09:00 健康小贴士") -> int:
        draft = await self.services.notices.draft(text, private=False)
        rule = await self.services.recurring.create(Actor(OWNER), CHAT, [self.building], draft)
        return rule.id

    async def run_at(self, moment: datetime) -> int:
        self.clock.set(moment)
        return await self.services.scheduler.run_due()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    clock = FakeClock(START)
    db = await Database.open(tmp_path / "linli.db")
    await migrate(db)
    services = build_services(make_settings(tmp_path), clock, db, Bot("1:unit-tests"))
    for user in (OWNER, RESIDENT):
        await services.people.seen(Person(user, f"User {user}"), Place(CHAT, "group"))
    building = (await services.community.setup(CHAT, "3号楼", OWNER)).building
    await services.community.store_admins(CHAT, [OWNER])
    try:
        yield World(services, clock, building)
    finally:
        await db.close()


async def test_an_occurrence_posts_one_notice_and_plans_the_next(world: World) -> None:
    rule_id = await world.weekly()
    assert await world.value("SELECT next_at FROM recurring_notices") == MONDAY_NINE.timestamp()
    assert await world.run_at(MONDAY_NINE + timedelta(seconds=5)) >= 1
    await world.run_at(MONDAY_NINE + timedelta(seconds=30))  # nothing more is due
    assert await world.value("SELECT count(*) FROM notices WHERE recurring_id = ?", rule_id) == 1
    assert await world.value(
        "SELECT count(*) FROM outbox WHERE kind = 'notice' AND chat_id = ?", CHAT
    ) == 1
    following = (MONDAY_NINE + timedelta(days=7)).timestamp()
    assert await world.value("SELECT next_at FROM recurring_notices") == following
    job = await world.services.scheduler.repo.get(f"notice recurring {rule_id} 2026-12-14T09:00")
    assert job is not None and job.status == "pending"


async def test_the_same_occurrence_is_never_posted_twice(world: World) -> None:
    rule_id = await world.weekly()
    at = MONDAY_NINE.timestamp()
    async with world.db.transaction() as tx:
        first = await world.services.notices.post_occurrence(
            tx, rule_id, OWNER, CHAT, "贴士", False, [world.building.id], at
        )
        again = await world.services.notices.post_occurrence(
            tx, rule_id, OWNER, CHAT, "贴士", False, [world.building.id], at
        )
    assert first is not None and again is None
    assert await world.value("SELECT count(*) FROM notices") == 1


async def test_a_missed_occurrence_is_recorded_and_the_next_planned_without_a_post(
    world: World,
) -> None:
    rule_id = await world.weekly()
    await world.run_at(MONDAY_NINE + timedelta(hours=2))  # beyond the grace of 10 minutes
    job = await world.services.scheduler.repo.get(f"notice recurring {rule_id} 2026-12-07T09:00")
    assert job is not None and job.status == "missed"
    assert await world.value("SELECT count(*) FROM notices") == 0
    assert await world.value("SELECT next_at FROM recurring_notices") == (
        MONDAY_NINE + timedelta(days=7)
    ).timestamp()


async def test_a_chain_broken_while_the_bot_was_away_is_mended_at_start(world: World) -> None:
    rule_id = await world.weekly()
    async with world.db.transaction() as tx:  # as if the job had been lost
        await world.services.scheduler.cancel(tx, f"notice recurring {rule_id} 2026-12-07T09:00")
    world.clock.set(MONDAY_NINE + timedelta(days=3))
    await world.services.recurring.mend()
    assert await world.value("SELECT next_at FROM recurring_notices") == (
        MONDAY_NINE + timedelta(days=7)
    ).timestamp()
    await world.services.recurring.mend()  # twice changes nothing
    assert await world.value(
        "SELECT count(*) FROM jobs WHERE kind = 'notice.recurring' AND status = 'pending'"
    ) == 1


async def test_stop_is_refused_to_a_resident_and_to_a_second_press(world: World) -> None:
    rule_id = await world.weekly()
    with pytest.raises(NotAllowed):
        await world.services.recurring.stop(Actor(RESIDENT), rule_id)
    with pytest.raises(NotFound):
        await world.services.recurring.stop(Actor(OWNER), rule_id + 1)
    assert await world.value("SELECT status FROM recurring_notices") == "active"
    await world.services.recurring.stop(Actor(OWNER), rule_id)
    with pytest.raises(Conflict):
        await world.services.recurring.stop(Actor(OWNER), rule_id)
    assert await world.value("SELECT status FROM jobs WHERE kind = 'notice.recurring'") == (
        "cancelled"
    )
    assert await world.run_at(MONDAY_NINE + timedelta(seconds=5)) == 0


async def test_a_resident_cannot_create_a_recurring_notice(world: World) -> None:
    draft = await world.services.notices.draft("every day 08:00 早安", private=False)
    with pytest.raises(NotAllowed):
        await world.services.recurring.create(Actor(RESIDENT), CHAT, [world.building], draft)
    assert await world.value("SELECT count(*) FROM recurring_notices") == 0


async def test_a_notice_is_either_at_a_time_or_recurring(world: World) -> None:
    with pytest.raises(InvalidInput):
        await world.services.notices.draft(
            "at 2026-12-05 09:00 every mon 09:00 贴士", private=False
        )


# --- quiet hours ---------------------------------------------------------------------------


def test_quiet_hours_are_read_and_equal_ends_refused() -> None:
    assert read_quiet("22:00-07:00") == (1320, 420)
    assert read_quiet("22:00 - 07:00") == (1320, 420)
    assert read_quiet("22：00~07：00") == (1320, 420)
    assert read_quiet("off") is None and read_quiet("关闭") is None
    for bad, message in (("22:00-22:00", EQUAL_ENDS), ("22-7", FORM), ("25:00-07:00", FORM),
                         ("", FORM), ("晚上", FORM)):
        with pytest.raises(InvalidInput) as refused:
            read_quiet(bad)
        assert refused.value.message == message


async def test_a_resident_cannot_set_quiet_hours(world: World) -> None:
    with pytest.raises(NotAllowed):
        await world.services.quiet.set(Actor(RESIDENT), world.building, (1320, 420))
    assert await world.services.quiet.get(world.building) is None


async def test_an_urgent_post_is_never_held(world: World) -> None:
    await world.services.quiet.set(Actor(OWNER), world.building, (9 * 60, 11 * 60))
    async with world.db.transaction() as tx:
        quiet = world.services.quiet
        now = world.clock.now()
        until = await quiet.held_until(tx, world.building.id, now)
        assert until == START.replace(hour=11).timestamp()
        assert await quiet.held_until(tx, world.building.id, now, urgent=True) is None


async def test_a_group_post_in_quiet_hours_waits_in_a_release_job(world: World) -> None:
    quiet = world.services.quiet
    await quiet.set(Actor(OWNER), world.building, (9 * 60, 11 * 60))
    async with world.db.transaction() as tx:
        await quiet.post(tx, world.building.id, CHAT, OutMessage("每周摘要"), kind="duty_digest",
                         dedupe_key="digest 1")
    assert await world.value("SELECT count(*) FROM outbox WHERE kind = 'duty_digest'") == 0
    await world.run_at(START.replace(hour=10, minute=59))
    assert await world.value("SELECT count(*) FROM outbox WHERE kind = 'duty_digest'") == 0
    await world.run_at(START.replace(hour=11, second=1))
    assert await world.value("SELECT count(*) FROM outbox WHERE kind = 'duty_digest'") == 1


async def test_the_weekly_digest_that_falls_in_quiet_hours_goes_out_at_their_end(
    world: World,
) -> None:
    await world.services.quiet.set(Actor(OWNER), world.building, (22 * 60, 7 * 60))
    await world.services.roster.set_digest(Actor(OWNER), world.building, (6, 23 * 60))
    sunday_night = datetime(2026, 12, 6, 23, 0, 5, tzinfo=SHANGHAI)
    await world.run_at(sunday_night)
    assert await world.value("SELECT count(*) FROM outbox WHERE kind = 'duty_digest'") == 0
    await world.run_at(datetime(2026, 12, 7, 7, 0, 1, tzinfo=SHANGHAI))
    assert await world.value("SELECT count(*) FROM outbox WHERE kind = 'duty_digest'") == 1


async def test_a_recurring_notice_in_quiet_hours_is_held_to_their_end(world: World) -> None:
    await world.services.quiet.set(Actor(OWNER), world.building, (8 * 60, 10 * 60))
    rule_id = await world.weekly()
    await world.run_at(MONDAY_NINE + timedelta(seconds=5))
    assert await world.value("SELECT count(*) FROM notices WHERE recurring_id = ?", rule_id) == 1
    assert await world.value("SELECT count(*) FROM outbox WHERE kind = 'notice'") == 0
    post = await world.value("SELECT id FROM notice_posts")
    key = f"notice release {post} {int(MONDAY_NINE.replace(hour=10).timestamp())}"
    job = await world.services.scheduler.repo.get(key)
    assert job is not None and job.status == "pending"
    await world.run_at(MONDAY_NINE.replace(hour=10, second=1))
    assert await world.value("SELECT count(*) FROM outbox WHERE kind = 'notice'") == 1


async def test_an_event_reminder_in_the_group_waits_for_quiet_hours_but_a_private_one_does_not(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "events.db")
    await migrate(db)
    clock = FakeClock(events.NOW)
    services = build_services(make_settings(tmp_path), clock, db, Bot("1:unit-tests"))
    try:
        place = await events.building(services)
        event = await events.post(services, place)  # 2026-11-25 09:00, reminded at 07:00
        for user_id in (events.ZHANG, events.LI):  # Zhang started the bot, Li did not
            await services.events.join(Actor(user_id), event.id, place, "guest")
        await services.quiet.set(Actor(events.OWNER), place, (6 * 60, 8 * 60))
        clock.set(datetime(2026, 11, 25, 7, 0, 5, tzinfo=SHANGHAI))
        await services.scheduler.run_due()
        assert [chat for chat, _ in await events.outbox(services, "event_reminder")] == [
            events.ZHANG
        ]
        assert await events.outbox(services, "event_group_note") == []
        clock.set(datetime(2026, 11, 25, 8, 0, 1, tzinfo=SHANGHAI))
        await services.scheduler.run_due()
        [(chat, note)] = await events.outbox(services, "event_group_note")
        assert chat == events.GROUP and "Li" in note["text"]
    finally:
        await db.close()
