"""Forum topics without Telegram: reading /topic, who may choose and where, the topic a post
goes to, and a gone topic forgotten with the owners told once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from telegram import Bot

from bot.app import build_services
from bot.clock import FakeClock
from bot.context import Services
from bot.domain.core import Building
from bot.errors import InvalidInput, NotAllowed
from bot.services.community import Actor
from bot.services.people import Person, Place
from bot.services.topics import FORM, NO_TOPICS, OUTSIDE_TOPIC, TopicOrder, TopicPlace, read_topic
from bot.views.common import OutMessage
from storage.db import Database
from storage.migrate import migrate
from tests.test_points_service import make_settings

START = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
OWNER, RESIDENT = 10, 30
CHAT = -1001000000100
TOPIC = 7


@dataclass
class World:
    services: Services
    building: Building

    async def value(self, sql: str, *params: object) -> object:
        return await self.services.db.fetch_value(sql, params)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    db = await Database.open(tmp_path / "linli.db")
    await migrate(db)
    services = build_services(make_settings(tmp_path), FakeClock(START), db, Bot("1:unit-tests"))
    for user in (OWNER, RESIDENT):
        await services.people.seen(Person(user, f"User {user}"), Place(CHAT, "supergroup"))
    building = (await services.community.setup(CHAT, "3号楼", OWNER)).building
    await services.community.store_admins(CHAT, [OWNER])
    try:
        yield World(services, building)
    finally:
        await db.close()


def test_the_command_reads_a_kind_in_english_or_chinese_and_off() -> None:
    assert read_topic("") is None
    assert read_topic("notices") == TopicOrder("notices")
    assert read_topic("活动") == TopicOrder("events")
    assert read_topic("求助 关") == TopicOrder("requests", off=True)
    for bad in ("公告", "notices now", "notices off please", "off"):
        with pytest.raises(InvalidInput) as refused:
            read_topic(bad)
        assert refused.value.message == FORM


async def test_only_an_owner_inside_a_topic_of_a_forum_chooses(world: World) -> None:
    topics, building = world.services.topics, world.building
    with pytest.raises(NotAllowed):
        await topics.choose(Actor(RESIDENT), building, "notices", TopicPlace(True, TOPIC))
    for place, refusal in ((TopicPlace(False), NO_TOPICS), (TopicPlace(True), OUTSIDE_TOPIC)):
        with pytest.raises(InvalidInput) as refused:
            await topics.choose(Actor(OWNER), building, "notices", place)
        assert refused.value.message == refusal
    with pytest.raises(NotAllowed):
        await topics.clear(Actor(RESIDENT), building, "notices")
    assert await world.value("SELECT count(*) FROM building_topics") == 0

    await topics.choose(Actor(OWNER), building, "notices", TopicPlace(True, TOPIC, "通知"))
    await topics.choose(Actor(OWNER), building, "notices", TopicPlace(True, TOPIC, "通知"))
    assert [c.thread_id for c in await topics.choices(building)] == [TOPIC]
    assert await topics.clear(Actor(OWNER), building, "notices")
    assert not await topics.clear(Actor(OWNER), building, "notices")


async def test_a_post_goes_to_the_topic_of_its_kind(world: World) -> None:
    topics = world.services.topics
    await topics.choose(Actor(OWNER), world.building, "events", TopicPlace(True, TOPIC))
    message = OutMessage("📅", extra={"disable_notification": True})
    async with world.services.db.transaction() as tx:
        card = await topics.in_topic(tx, CHAT, "events", message)
        post = await topics.in_topic(tx, CHAT, "notices", message)
    assert card.send_params()["message_thread_id"] == TOPIC
    assert card.send_params()["disable_notification"] is True
    assert post == message


async def test_a_gone_topic_is_forgotten_and_the_owners_told_once(world: World) -> None:
    services = world.services
    async with services.db.transaction() as tx:
        await services.users.set_started(tx, OWNER, True, START.timestamp())
    place = TopicPlace(True, TOPIC, "公告栏")
    await services.topics.choose(Actor(OWNER), world.building, "notices", place)
    await services.topics.choose(Actor(OWNER), world.building, "events", place)
    for _ in range(2):  # two posts found it gone
        async with services.db.transaction() as tx:
            await services.topics.topic_gone(tx, CHAT, TOPIC, "Message thread not found")
    assert await world.value("SELECT count(*) FROM building_topics") == 0
    rows = await services.db.fetch_all("SELECT chat_id, payload FROM outbox WHERE kind = ?",
                                       ("topic_gone",))
    assert [row[0] for row in rows] == [OWNER]
    text = json.loads(rows[0][1])["text"]
    assert "通知, 活动" in text and "「公告栏」" in text
