"""Outages end to end: a water outage announced to two groups, the reminder before it, a
help request opened during it linked and its card saying so, "restored" posted at the end
once across restarts; an owner's ✅ Restored sooner; the board of /outages; bad input."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from tests.harness import Harness
from tests.test_notices import GROUP, LI, OWNER, RESIDENTS, SHANGHAI, add_people, set_up_building

OTHER = -200
ZHANG = RESIDENTS[0]
RESTORED = "✅ 已恢复供水。"


def local_now(harness: Harness) -> datetime:
    return datetime.now(SHANGHAI) + timedelta(seconds=harness.clock.offset)


async def move_to(harness: Harness, moment: datetime) -> None:
    harness.clock.advance(max(0.0, (moment - local_now(harness)).total_seconds()))


async def ticks(harness: Harness) -> None:
    """A few scheduler ticks, then everything they queued is sent."""
    await asyncio.sleep(0.8)
    await harness.settle()


def said(harness: Harness, chat_id: int, words: str) -> list[str]:
    return [text for text in harness.texts(chat_id) if words in text]


async def two_buildings(harness: Harness) -> datetime:
    """3号楼 and 5号楼 with one owner, 李师傅 a volunteer of 3号楼; returns tomorrow."""
    add_people(harness)
    await set_up_building(harness)
    await set_up_building(harness, OTHER, "5号楼")
    await harness.say(OWNER, OWNER, "/start")
    await harness.say(LI, LI, "/start")
    await harness.say(OWNER, GROUP, "/volunteer @li repair", expect="志愿者")
    harness.emu.user_sends(ZHANG, GROUP, "大家好")
    await harness.settle()
    return (local_now(harness) + timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )


async def announce(harness: Harness, day: datetime, hours: str = "08:00-12:00") -> str:
    """The owner, in private, announces a water outage in both buildings."""
    waiting = [asyncio.create_task(harness.emu.wait_for_message(chat, "停水", timeout=5))
               for chat in (GROUP, OTHER)]
    command = f"/outage 停水 3号楼，5号楼 {day:%Y-%m-%d} {hours} 管道维修"
    answer = await harness.say(OWNER, OWNER, command, expect="停运 #1 已通知")
    for posted in await asyncio.gather(*waiting):
        assert "3号楼, 5号楼" in posted.text and "管道维修" in posted.text
        assert f"{day:%Y-%m-%d}" in posted.text and "08:00–12:00" in posted.text
        assert posted.buttons == [("收到", posted.buttons[0][1])]
    assert ("✅ 已恢复 #1", "outage:restored:1") in answer.buttons
    return answer.text


async def test_an_outage_is_announced_reminded_linked_to_a_request_and_restored_once(
    harness: Harness,
) -> None:
    day = await two_buildings(harness)
    told = await announce(harness, day)
    assert "停运 #1 已通知：3号楼, 5号楼 🚱 停水" in told and f"{day:%Y-%m-%d}（" in told
    assert "07:00 会在群里再提醒一次" in told
    assert await harness.value("SELECT count(*) FROM outage_buildings WHERE outage_id = 1") == 2
    assert await harness.value("SELECT notice_id FROM outages WHERE id = 1") == 1

    await ticks(harness)
    assert said(harness, GROUP, "⏰") == [], "no reminder before its time"
    reminders = [asyncio.create_task(harness.emu.wait_for_message(chat, "⏰", timeout=5))
                 for chat in (GROUP, OTHER)]
    await move_to(harness, day.replace(hour=7, second=2))
    for reminder in await asyncio.gather(*reminders):
        assert reminder.text.startswith("⏰ 提醒：08:00 至 12:00 停水")

    await move_to(harness, day.replace(hour=9))
    await harness.say(ZHANG, GROUP, "/request 家里没水了", expect="#1")
    await harness.settle()
    card = [m for m in harness.emu.sent(LI) if "求助 #1" in m.text][-1]
    assert "🚱 停水期间（08:00–12:00）。" in card.text and "家里没水了" in card.text
    assert await harness.value("SELECT outage_id FROM requests WHERE id = 1") == 1
    await harness.say(ZHANG, GROUP, "/request 楼道灯坏了", expect="#2")
    assert await harness.value("SELECT outage_id FROM requests WHERE id = 2") is None

    board = await harness.say(ZHANG, GROUP, "/outages", expect="正在和即将")
    assert "3号楼" in board.text and "进行中，到 12:00" in board.text
    assert board.buttons == [], "a resident gets no Restored button"

    await harness.restart()
    await ticks(harness)
    assert said(harness, GROUP, RESTORED) == []
    restored = [asyncio.create_task(harness.emu.wait_for_message(chat, RESTORED, timeout=5))
                for chat in (GROUP, OTHER)]
    await move_to(harness, day.replace(hour=12, second=2))
    await asyncio.gather(*restored)
    await ticks(harness)
    await harness.restart()
    await ticks(harness)
    for chat in (GROUP, OTHER):
        assert len(said(harness, chat, RESTORED)) == 1, "restored once, across a restart"
        assert len(said(harness, chat, "⏰")) == 1
    assert await harness.value("SELECT status FROM outages WHERE id = 1") == "ended"
    assert await harness.value("SELECT ended_by FROM outages WHERE id = 1") is None
    empty = await harness.say(ZHANG, GROUP, "/outages", expect="没有")
    assert "#1" not in empty.text


async def test_an_owner_presses_restored_early_and_the_end_time_posts_nothing_more(
    harness: Harness,
) -> None:
    day = await two_buildings(harness)
    await announce(harness, day)
    answer = [m for m in harness.emu.sent(OWNER) if "停运 #1 已通知" in m.text][-1]
    await move_to(harness, day.replace(hour=9))
    await ticks(harness)

    board = await harness.say(OWNER, GROUP, "/outages", expect="正在和即将")
    assert board.buttons == [("✅ 已恢复 #1", "outage:restored:1")]
    refused = await harness.press(ZHANG, GROUP, board.message_id, "outage:restored:1")
    assert "只有停运 #1 所在楼栋的负责人" in refused
    assert await harness.value("SELECT status FROM outages WHERE id = 1") == "planned"
    restored = [asyncio.create_task(harness.emu.wait_for_message(chat, RESTORED, timeout=5))
                for chat in (GROUP, OTHER)]
    alert = await harness.press(OWNER, OWNER, answer.message_id, "outage:restored:1")
    assert alert == "停运 #1 已结束，正在通知各群。"
    await asyncio.gather(*restored)
    await harness.settle()
    assert harness.emu.message(OWNER, answer.message_id).buttons == []
    again = await harness.press(OWNER, GROUP, board.message_id, "outage:restored:1")
    assert again == "停运 #1 已经结束了。"
    assert await harness.value("SELECT ended_by FROM outages WHERE id = 1") == OWNER
    assert await harness.value(
        "SELECT status FROM jobs WHERE key = 'outage restore 1'"
    ) == "cancelled"

    await move_to(harness, day.replace(hour=12, second=2))
    await ticks(harness)
    for chat in (GROUP, OTHER):
        assert len(said(harness, chat, RESTORED)) == 1


async def test_an_outage_ended_before_it_starts_is_called_off_and_never_reminded(
    harness: Harness,
) -> None:
    day = await two_buildings(harness)
    await announce(harness, day)
    answer = [m for m in harness.emu.sent(OWNER) if "停运 #1 已通知" in m.text][-1]
    called_off = asyncio.create_task(harness.emu.wait_for_message(GROUP, "取消了", timeout=5))
    await harness.press(OWNER, OWNER, answer.message_id, "outage:restored:1")
    assert f"原定 {day:%Y-%m-%d}" in (await called_off).text
    await move_to(harness, day.replace(hour=7, second=2))
    await ticks(harness)
    assert said(harness, GROUP, "⏰") == []


async def test_bad_outages_get_a_clear_answer_and_change_nothing(harness: Harness) -> None:
    day = await two_buildings(harness)
    yesterday = day - timedelta(days=2)
    cases = {
        f"/outage gas 3号楼 {day:%Y-%m-%d} 08:00-12:00": "我不认识「gas」",
        f"/outage water 9号楼 {day:%Y-%m-%d} 08:00-12:00": "没有叫「9号楼」的楼栋",
        f"/outage water 3号楼 {day:%Y-%m-%d} 12:00-08:00": "结束时间（08:00）早于开始时间",
        f"/outage water 3号楼 {yesterday:%Y-%m-%d} 08:00-12:00": "已经过去了",
        "/outage water 3号楼 明天上午": "请这样写停水停电通知",
        "/outage": "请这样写停水停电通知",
        f"/outage water 3号楼 {day:%Y-%m-%d} 8点-12点": "请这样写停水停电通知",
    }
    for command, expected in cases.items():
        await harness.say(OWNER, OWNER, command, expect=expected)
    refused = await harness.say(
        ZHANG, GROUP, f"/outage 停电 3号楼 {day:%Y-%m-%d} 08:00-12:00", expect="负责人"
    )
    assert "3号楼" in refused.text
    await harness.say(ZHANG, ZHANG, f"/outage water all {day:%Y-%m-%d} 08:00-12:00",
                      expect="负责人")
    assert await harness.value("SELECT count(*) FROM outages") == 0
    assert await harness.value("SELECT count(*) FROM notices") == 0
    assert await harness.value("SELECT count(*) FROM jobs WHERE kind LIKE 'outage.%'") == 0


async def test_all_means_the_owners_buildings_and_the_board_groups_by_building(
    harness: Harness,
) -> None:
    day = await two_buildings(harness)
    await harness.say(OWNER, OWNER, f"/outage 電梯 all {day:%Y-%m-%d} 14:00-16:00 年检",
                      expect="停运 #1 已通知")
    await harness.say(OWNER, GROUP, f"/outage power 3号楼 {day:%Y-%m-%d} 09:00-10:00",
                      expect="停运 #2 已通知")
    here = await harness.say(OWNER, OTHER, f"/outage water {day:%Y-%m-%d} 18:00-19:00",
                             expect="停运 #3 已通知")
    assert "5号楼 🚱 停水" in here.text, "in a group, no building named: the group's own"
    board = await harness.say(OWNER, OWNER, "/outages", expect="正在和即将")
    three, five = board.text.index("3号楼"), board.text.index("5号楼")
    assert three < board.text.index("#2") < five, "each outage under its building"
    assert board.text.count("#1") == 2 and "年检" in board.text
    assert board.buttons == [("✅ 已恢复 #2", "outage:restored:2"),
                             ("✅ 已恢复 #1", "outage:restored:1"),
                             ("✅ 已恢复 #3", "outage:restored:3")]
    assert await harness.value("SELECT count(*) FROM outage_buildings WHERE outage_id = 1") == 2
