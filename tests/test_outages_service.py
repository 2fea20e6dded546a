"""Outages without Telegram: the command is read in both languages, quiet hours hold the
announcement only when they end before its reminder and never hold the reminder or
"restored", the end time and the button race to one "restored", and a request's words are
matched to the outage's kind."""

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
from bot.errors import Conflict, InvalidInput, NotAllowed
from bot.services.community import Actor
from bot.services.outages import matches
from bot.services.people import Person, Place
from storage.db import Database
from storage.migrate import migrate
from tests.test_points_service import make_settings

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 2, 23, 0, tzinfo=SHANGHAI)  # a Wednesday night
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

    async def announce(self, text: str) -> int:
        outages = self.services.outages
        made = await outages.create(Actor(OWNER), OWNER, await outages.draft(text))
        return made.id


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    clock = FakeClock(START)
    db = await Database.open(tmp_path / "linli.db")
    await migrate(db)
    services = build_services(make_settings(tmp_path), clock, db, Bot("1:unit-tests"))
    for user in (OWNER, RESIDENT):
        await services.people.seen(Person(user, f"User {user}"), Place(CHAT, "group"))
    await services.people.seen(Person(OWNER, "Owner"), Place(OWNER, "private"))
    building = (await services.community.setup(CHAT, "3号楼", OWNER)).building
    await services.community.store_admins(CHAT, [OWNER])
    try:
        yield World(services, clock, building)
    finally:
        await db.close()


async def test_kinds_are_read_in_english_and_both_chinese(world: World) -> None:
    outages = world.services.outages
    for word, kind in (("water", "water"), ("停电", "power"), ("停電", "power"),
                       ("電梯", "lift"), ("Lift", "lift"), ("电梯", "lift")):
        draft = await outages.draft(f"{word} 3号楼 2026-12-03 08:00-12:00 检修")
        assert draft.kind == kind
        assert draft.reason == "检修"
    whole = await outages.draft("water all 2026-12-03 08：00 - 24:00")
    assert whole.to_all and whole.reason == ""
    assert whole.ends_at - whole.starts_at == 16 * 3600


async def test_bad_times_are_refused(world: World) -> None:
    outages = world.services.outages
    for bad in ("water 3号楼 2026-12-03 12:00-08:00", "water 3号楼 2026-12-03 08:00-08:00",
                "water 3号楼 2026-12-01 08:00-12:00", "water 3号楼 2026-13-03 08:00-12:00",
                "water 3号楼 2026-12-03 25:00-26:00", "water 3号楼 08:00-12:00", "water"):
        with pytest.raises(InvalidInput):
            await outages.draft(bad)


async def test_a_resident_may_not_announce_and_nothing_is_stored(world: World) -> None:
    outages = world.services.outages
    draft = await outages.draft("water 3号楼 2026-12-03 08:00-12:00")
    with pytest.raises(NotAllowed):
        await outages.create(Actor(RESIDENT), RESIDENT, draft)
    assert await world.value("SELECT count(*) FROM outages") == 0


async def test_quiet_hours_hold_the_announcement_only_while_they_end_before_the_start(
    world: World,
) -> None:
    await world.services.quiet.set(Actor(OWNER), world.building, (22 * 60, 7 * 60))
    late = await world.announce("water 3号楼 2026-12-03 09:00-12:00")
    assert await world.value(
        "SELECT held_until FROM notice_posts WHERE notice_id = "
        "(SELECT notice_id FROM outages WHERE id = ?)", late
    ) == datetime(2026, 12, 3, 7, 0, tzinfo=SHANGHAI).timestamp()
    early = await world.announce("lift 3号楼 2026-12-03 06:00-08:00")
    assert await world.value(
        "SELECT status FROM notice_posts WHERE notice_id = "
        "(SELECT notice_id FROM outages WHERE id = ?)", early
    ) == "queued", "the quiet ends after the reminder (05:00): posted now"
    world.clock.set(datetime(2026, 12, 3, 5, 0, 5, tzinfo=SHANGHAI))  # inside the quiet
    await world.services.scheduler.run_due()
    assert await world.value(
        "SELECT count(*) FROM outbox WHERE kind = 'outage_remind' AND chat_id = ?", CHAT
    ) == 1, "the reminder is not held"


async def test_the_end_time_and_the_button_post_restored_once(world: World) -> None:
    outage_id = await world.announce("power 3号楼 2026-12-03 08:00-12:00")
    world.clock.set(datetime(2026, 12, 3, 12, 0, 1, tzinfo=SHANGHAI))
    await world.services.scheduler.run_due()
    with pytest.raises(Conflict):
        await world.services.outages.end(Actor(OWNER), outage_id)
    assert await world.value(
        "SELECT count(*) FROM outbox WHERE kind = 'outage_restored'"
    ) == 1


async def test_request_words_match_the_outage_kind() -> None:
    assert matches("water", "家里没水了") and matches("water", "No WATER since 8")
    assert matches("power", "停电了，冰箱怎么办") and matches("power", "家裡沒電")
    assert matches("lift", "电梯不动，老人下不了楼") and matches("lift", "the elevator")
    assert not matches("water", "楼道灯坏了") and not matches("lift", "门锁坏了")


async def test_a_request_during_an_outage_is_linked_only_in_its_building_and_time(
    world: World,
) -> None:
    outage_id = await world.announce("water 3号楼 2026-12-03 08:00-12:00")
    outages = world.services.outages
    before = await outages.linked(world.db, world.building.id, "没水了")
    world.clock.set(datetime(2026, 12, 3, 9, 0, tzinfo=SHANGHAI))
    during = await outages.linked(world.db, world.building.id, "没水了")
    other_words = await outages.linked(world.db, world.building.id, "门锁坏了")
    assert (before, during, other_words) == (None, outage_id, None)
    world.clock.set(datetime(2026, 12, 3, 12, 0, tzinfo=SHANGHAI) + timedelta(seconds=1))
    assert await outages.linked(world.db, world.building.id, "没水了") is None
