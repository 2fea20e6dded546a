"""Emergencies end to end: an owner's emergency overtakes a broadcast already queued in
every group, is posted with notification and pinned; a community admin's reaches every
building, and the summary says where it did not arrive and why; residents and volunteers
are refused, and bad input changes nothing."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.emulator import BotApiEmulator, RateLimits, SentMessage
from bot.services.notices import MAX_LENGTH
from tests.harness import ADMIN_ID, Harness, settings_for

OWNER = 10
RESIDENT, VOLUNTEER = 20, 21
GROUPS = {-500 - n: f"{n}号楼" for n in range(1, 9)}
DRILL = "本周六上午9点消防演练"
GAS = "地下室煤气泄漏，请立即撤离，不要乘电梯"
SLOW_OUTBOX = {"global_per_second": 3}  # two a second: a broadcast to 8 groups takes 4 s
UNDER_WAY = 0.1  # a send the outbox began just before the emergency was stored


@pytest.fixture
async def slow(emulator: BotApiEmulator, tmp_path: Path) -> AsyncIterator[Harness]:
    """The bot with an outbox that sends two messages a second overall."""
    harness = Harness(emulator, settings_for(emulator, tmp_path, outbox=SLOW_OUTBOX))
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


async def set_up(harness: Harness, groups: dict[int, str], owner: int = OWNER) -> None:
    """The owner's buildings, each group with a resident and a volunteer."""
    emu = harness.emu
    emu.add_user(owner, "王主任", started=True)
    emu.add_user(ADMIN_ID, "社区管理员", started=True)
    emu.add_user(RESIDENT, "居民", started=True)
    emu.add_user(VOLUNTEER, "李师傅", username="li", started=True)
    for chat_id, name in groups.items():
        emu.add_group(chat_id, name, members=[RESIDENT, VOLUNTEER], admins=[owner],
                      bot_admin=True)
        emu.user_sends(owner, chat_id, f"/setup {name}")
    await harness.settle(20)
    first = next(iter(groups))
    emu.user_sends(VOLUNTEER, first, "我会修水管")
    emu.user_sends(RESIDENT, first, "大家好")
    await harness.settle()
    await harness.say(owner, first, "/volunteer @li repair", expect="志愿者")
    await harness.settle()


async def stored_at(harness: Harness, sql: str) -> float:
    """A stored time (Unix seconds) on the emulator's clock (monotonic)."""
    moment = float(await harness.value(sql))
    return moment - harness.clock.now() + time.monotonic()


def first_try(emu: BotApiEmulator, chat_id: int, words: str) -> float:
    """When the bot first tried to send the message with ``words`` to the chat (a try
    refused with a 429 and retried counts: the message was under way)."""
    return min(c.time for c in emu.calls if c.method == "sendMessage"
               and int(c.params["chat_id"]) == chat_id and words in str(c.params.get("text")))


def one(harness: Harness, chat_id: int, words: str) -> SentMessage:
    """The one message of the bot in the chat that contains ``words``."""
    found = [m for m in harness.emu.sent(chat_id) if words in m.text]
    assert len(found) == 1, (chat_id, words, [m.text for m in harness.emu.sent(chat_id)])
    return found[0]


async def test_an_owners_emergency_overtakes_a_queued_broadcast_in_every_group_and_is_pinned(
    slow: Harness,
) -> None:
    harness, emu = slow, slow.emu
    emu.rate_limits = RateLimits()  # Telegram's limits: 1 a second, 20 a minute in a group
    await set_up(harness, GROUPS)
    await harness.say(OWNER, OWNER, f"/notice all {DRILL}", expect="8")
    summary = emu.wait_for_message(OWNER, "紧急通知 #2 已送达", timeout=30)
    answer = await harness.say(OWNER, OWNER, f"/emergency all {GAS}", expect="紧急通知 #2")
    assert "8 个群" in answer.text
    stored = await stored_at(harness, "SELECT created_at FROM notices WHERE id = 2")
    text = (await summary).text
    assert text.startswith("🚨 紧急通知 #2 已送达全部 8 个群。"), text
    await harness.settle(30)

    overtaken = 0
    for chat_id in GROUPS:
        ordinary, urgent = one(harness, chat_id, DRILL), one(harness, chat_id, GAS)
        assert urgent.text.startswith("🚨 紧急通知"), urgent.text
        assert not urgent.silent and urgent.pinned and urgent.pin_silent is False, chat_id
        if first_try(emu, chat_id, DRILL) < stored + UNDER_WAY:  # it left before the emergency
            continue
        assert urgent.sent_at < ordinary.sent_at, f"{chat_id}: the drill went first"
        overtaken += 1
    assert overtaken >= len(GROUPS) - 2, "the emergency came while the drill was queued"
    sends = [c for c in emu.calls if c.method == "sendMessage"]
    urgent_at = [c.time for c in sends if GAS in str(c.params.get("text"))]
    tries = [first_try(emu, chat_id, DRILL) for chat_id in GROUPS]
    drills = [at for at in tries if at > stored + UNDER_WAY]
    assert drills and min(drills) > max(urgent_at), "no ordinary post went while one waited"
    assert emu.rate_violations() == []
    assert harness.texts(OWNER).count(text) == 1, "one summary"
    assert await harness.value("SELECT urgent FROM notices WHERE id = 2") == 1
    assert await harness.value("SELECT count(*) FROM notice_posts WHERE status = 'posted'") == 16


async def test_a_community_admins_emergency_says_where_it_did_not_arrive_and_why(
    harness: Harness,
) -> None:
    groups = dict(list(GROUPS.items())[:4])
    await set_up(harness, groups)
    removed, unpinnable = -503, -504
    emu = harness.emu
    emu.bot_removed(removed, OWNER)
    emu.set_bot_rights(unpinnable, admin=True, can_pin=False)
    await harness.settle()

    summary = emu.wait_for_message(ADMIN_ID, "紧急通知 #1 已送达", timeout=15)
    answer = await harness.say(ADMIN_ID, ADMIN_ID, f"/emergency all {GAS}", expect="#1")
    assert "4 个群" in answer.text
    text = (await summary).text
    assert text.startswith("🚨 紧急通知 #1 已送达 4 个群中的 3 个。"), text
    assert "• 3号楼：我已经不在那个群里了" in text
    assert "未置顶" in text and "• 4号楼：我需要成为管理员" in text
    await harness.settle()
    assert harness.texts(ADMIN_ID).count(text) == 1
    assert not any(GAS in t for t in harness.texts(removed))
    for chat_id in (-501, -502):
        assert emu.message(chat_id, one(harness, chat_id, GAS).message_id).pinned
    assert not one(harness, unpinnable, GAS).pinned
    assert not any("没能置顶" in t for t in harness.texts(unpinnable)), "told the sender only"


async def test_residents_and_volunteers_are_refused_and_bad_emergencies_change_nothing(
    harness: Harness,
) -> None:
    groups = dict(list(GROUPS.items())[:2])
    await set_up(harness, groups)
    group = next(iter(groups))
    emu = harness.emu
    before = await harness.value("SELECT count(*) FROM outbox")

    refused = await harness.say(RESIDENT, group, f"/emergency {GAS}", expect="只有")
    assert "社区管理员" in refused.text
    await harness.say(RESIDENT, RESIDENT, f"/emergency all {GAS}", expect="只有")
    await harness.say(VOLUNTEER, VOLUNTEER, f"/emergency 1号楼 {GAS}", expect="只有")
    await harness.say(VOLUNTEER, group, f"/emergency {GAS}", expect="只有")
    empty = await harness.say(OWNER, group, "/emergency   \u200b", expect="紧急通知的内容")
    assert "/emergency 地下室" in empty.text
    await harness.say(OWNER, OWNER, "/emergency all", expect="再写紧急通知的内容")
    await harness.say(OWNER, OWNER, "/emergency", expect="再写紧急通知的内容")
    which = await harness.say(OWNER, OWNER, f"/emergency {GAS}", expect="发往哪些楼")
    assert "1号楼, 2号楼" in which.text
    long = await harness.say(OWNER, group, "/emergency " + "撤" * (MAX_LENGTH + 1),
                             expect="太长")
    assert f"{MAX_LENGTH + 1} 个字，最多 {MAX_LENGTH} 个" in long.text and "不会截断" in long.text
    await harness.settle()
    assert await harness.value("SELECT count(*) FROM notices") == 0
    assert await harness.value("SELECT count(*) FROM outbox") == before
    assert not any(GAS in t for chat in groups for t in harness.texts(chat))
    assert emu.rate_violations() == []


async def test_an_owner_of_one_building_needs_not_name_it_and_quiet_hours_do_not_hold_it(
    harness: Harness,
) -> None:
    groups = dict(list(GROUPS.items())[:1])
    await set_up(harness, groups)
    group = next(iter(groups))
    now = datetime.fromtimestamp(harness.clock.now(), harness.settings.community.tz)
    quiet = f"{now - timedelta(hours=1):%H:%M}-{now + timedelta(hours=2):%H:%M}"
    await harness.say(OWNER, group, f"/quiet {quiet}", expect="免打扰时段")
    await harness.say(OWNER, group, "/notice 明天上午停水", expect="免打扰")
    summary = harness.emu.wait_for_message(OWNER, "已送达全部 1 个群", timeout=10)
    await harness.say(OWNER, OWNER, f"/emergency {GAS}", expect="1 个群")
    await summary
    assert one(harness, group, GAS).pinned
    assert not any("停水" in t for t in harness.texts(group)), "the notice waits, quietly"
