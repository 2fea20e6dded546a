"""Recurring notices and quiet hours end to end: a weekly tip posted on two consecutive
weeks across a restart, once each, then stopped from /notices; an occurrence missed while
the bot was down is not made up; a notice held by the group's quiet hours goes out at
their end and not before, even across a restart."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from tests.harness import Harness
from tests.test_notices import GROUP, OWNER, RESIDENTS, SHANGHAI, add_people, set_up_building

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIP = "健康小贴士：每天喝八杯水"


def local_now(harness: Harness) -> datetime:
    return datetime.now(SHANGHAI) + timedelta(seconds=harness.clock.offset)


def posts(harness: Harness, words: str) -> list[str]:
    return [text for text in harness.texts(GROUP) if text.startswith("📢") and words in text]


async def ticks(harness: Harness) -> None:
    """A few scheduler ticks, then everything they queued is sent."""
    await asyncio.sleep(0.8)
    await harness.settle()


async def weekly_tip(harness: Harness) -> datetime:
    """The owner asks for a tip every week, on tomorrow's weekday; returns its first time."""
    first = (local_now(harness) + timedelta(days=1, minutes=1)).replace(second=0, microsecond=0)
    rule = f"every {WEEKDAYS[first.weekday()]} {first:%H:%M}"
    answer = await harness.say(OWNER, GROUP, f"/notice {rule} {TIP}", expect="🔁1")
    assert f"第一次将于 {first:%Y-%m-%d}" in answer.text and f"{first:%H:%M}" in answer.text
    return first


async def move_to(harness: Harness, moment: datetime) -> None:
    harness.clock.advance(max(0.0, (moment - local_now(harness)).total_seconds()))


async def test_a_weekly_tip_goes_out_on_two_weeks_across_a_restart_once_each_then_stops(
    harness: Harness,
) -> None:
    add_people(harness)
    await set_up_building(harness)
    first = await weekly_tip(harness)
    await ticks(harness)
    assert posts(harness, TIP) == [], "nothing before its time"

    waiting = asyncio.create_task(harness.emu.wait_for_message(GROUP, TIP, timeout=5))
    await move_to(harness, first + timedelta(seconds=2))
    week_one = await waiting
    assert week_one.buttons == [("收到", f"notice:ok:{1}")]
    await ticks(harness)

    await harness.restart()  # a deploy between the two weeks
    await ticks(harness)
    assert len(posts(harness, TIP)) == 1, "a restart posts nothing again"

    waiting = asyncio.create_task(harness.emu.wait_for_message(GROUP, TIP, timeout=5))
    await move_to(harness, first + timedelta(days=7, seconds=2))
    await waiting
    await ticks(harness)
    await harness.restart()
    await ticks(harness)
    assert len(posts(harness, TIP)) == 2, "once each week"
    assert await harness.value("SELECT count(*) FROM notices WHERE recurring_id = 1") == 2
    statuses = await harness.db.fetch_all(
        "SELECT status FROM jobs WHERE key LIKE 'notice recurring 1 %' ORDER BY due_at"
    )
    assert [row[0] for row in statuses] == ["done", "done", "pending"]

    listing = await harness.say(OWNER, GROUP, "/notices", expect="🔁1")
    next_time = first + timedelta(days=14)
    assert f"下次 {next_time:%Y-%m-%d %H:%M}" in listing.text
    assert ("停止 🔁1", "notice:stop:1") in listing.buttons
    refused = await harness.press(RESIDENTS[0], GROUP, listing.message_id, "notice:stop:1")
    assert refused.startswith("只有重复通知 🔁1 所发楼栋的负责人")
    assert await harness.value("SELECT status FROM recurring_notices WHERE id = 1") == "active"
    stopped = await harness.press(OWNER, GROUP, listing.message_id, "notice:stop:1")
    assert stopped == "重复通知 🔁1 已停止。"
    await harness.settle()
    assert ("停止 🔁1", "notice:stop:1") not in harness.emu.message(
        GROUP, listing.message_id
    ).buttons
    again = await harness.press(OWNER, GROUP, listing.message_id, "notice:stop:1")
    assert again == "重复通知 🔁1 已经停止了。"

    await move_to(harness, next_time + timedelta(seconds=2))
    await ticks(harness)
    assert len(posts(harness, TIP)) == 2, "a stopped notice posts nothing more"
    assert await harness.value(
        "SELECT status FROM jobs WHERE key LIKE 'notice recurring 1 %' ORDER BY due_at DESC"
    ) == "cancelled"


async def test_an_occurrence_missed_while_the_bot_was_down_is_recorded_and_the_next_planned(
    harness: Harness,
) -> None:
    add_people(harness)
    await set_up_building(harness)
    first = await weekly_tip(harness)
    await harness.stop()
    harness.clock.advance(timedelta(days=1, hours=3))  # down through the first occurrence
    await harness.start()
    await ticks(harness)
    assert posts(harness, TIP) == [], "no catch-up post"
    rows = await harness.db.fetch_all(
        "SELECT status, due_at FROM jobs WHERE key LIKE 'notice recurring 1 %' ORDER BY due_at"
    )
    assert [row[0] for row in rows] == ["missed", "pending"]
    assert rows[1][1] == (first + timedelta(days=7)).timestamp()

    waiting = asyncio.create_task(harness.emu.wait_for_message(GROUP, TIP, timeout=5))
    await move_to(harness, first + timedelta(days=7, seconds=2))
    await waiting
    await ticks(harness)
    assert len(posts(harness, TIP)) == 1


async def test_bad_recurring_notices_get_a_clear_answer_and_store_nothing(
    harness: Harness,
) -> None:
    add_people(harness)
    await set_up_building(harness)
    cases = {
        "/notice every 0 weeks mon 09:00 贴士": "不能每 0 周发一次",
        "/notice every 9 weeks mon 09:00 贴士": "不能每 9 周发一次",
        "/notice every 5 minutes 喝水": "重复通知最多每天发一次",
        "/notice every mon 9点 开会": "我看不懂重复通知的时间",
        "/notice every 32nd 09:00 交费": "一个月里没有第 32 天",
        "/notice every mon 09:00": "请在命令后写上通知内容",
    }
    for command, expected in cases.items():
        await harness.say(OWNER, GROUP, command, expect=expected)
    await harness.say(RESIDENTS[0], GROUP, "/notice every mon 09:00 贴士", expect="负责人")
    assert await harness.value("SELECT count(*) FROM recurring_notices") == 0
    assert await harness.value(
        "SELECT count(*) FROM jobs WHERE kind = 'notice.recurring'"
    ) == 0


async def test_a_notice_in_quiet_hours_goes_out_at_their_end_and_not_before(
    harness: Harness,
) -> None:
    add_people(harness)
    await set_up_building(harness)
    now = local_now(harness)
    start = (now - timedelta(hours=1)).strftime("%H:%M")
    end_at = (now + timedelta(hours=2)).replace(second=0, microsecond=0)
    refused = await harness.say(OWNER, GROUP, "/quiet 22:00-22:00", expect="永远不会结束")
    assert "/quiet 22:00-07:00" in refused.text
    await harness.say(RESIDENTS[0], GROUP, f"/quiet {start}-{end_at:%H:%M}", expect="负责人")
    assert await harness.value("SELECT count(*) FROM quiet_hours") == 0
    await harness.say(OWNER, GROUP, f"/quiet {start}-{end_at:%H:%M}", expect="免打扰时段")
    shown = await harness.say(RESIDENTS[0], GROUP, "/quiet", expect="免打扰时段")
    assert f"{start}–{end_at:%H:%M}" in shown.text

    told = await harness.say(OWNER, GROUP, "/notice 明天上午停水，请提前储水", expect="免打扰")
    assert f"{end_at:%Y-%m-%d}" in told.text and f"{end_at:%H:%M}" in told.text
    await ticks(harness)
    assert posts(harness, "停水") == [], "held while the group is quiet"
    harness.clock.advance(timedelta(hours=1))
    await harness.restart()  # the held post survives a restart
    await ticks(harness)
    assert posts(harness, "停水") == []
    assert await harness.value("SELECT status FROM notices WHERE id = 1") == "sending"
    listing = await harness.say(OWNER, GROUP, "/notices", expect="#1")
    assert f"等免打扰时段结束，{end_at:%Y-%m-%d %H:%M} 发出" in listing.text

    waiting = asyncio.create_task(harness.emu.wait_for_message(GROUP, "停水", timeout=5))
    await move_to(harness, end_at + timedelta(seconds=1))
    posted = await waiting
    assert posted.buttons == [("收到", "notice:ok:1")]
    await ticks(harness)
    assert len(posts(harness, "停水")) == 1
    assert await harness.value("SELECT status FROM notices WHERE id = 1") == "sent"

    await harness.say(OWNER, GROUP, "/quiet off", expect="已关闭")
    assert await harness.value("SELECT count(*) FROM quiet_hours") == 0


async def test_a_recurring_notice_to_pin_says_when_the_bot_may_not_pin(harness: Harness) -> None:
    add_people(harness)
    await set_up_building(harness, bot_admin=False)
    advice = asyncio.create_task(harness.emu.wait_for_message(GROUP, "置顶消息的权限", timeout=5))
    await harness.say(OWNER, GROUP, "/notice pin every day 08:00 早安", expect="🔁1")
    await advice
    assert await harness.value("SELECT pin FROM recurring_notices WHERE id = 1") == 1


async def test_an_owner_in_private_is_told_where_quiet_hours_hold_a_notice_and_until_when(
    harness: Harness,
) -> None:
    add_people(harness)
    await set_up_building(harness)
    await set_up_building(harness, -200, "5号楼")
    now = local_now(harness)
    end_at = (now + timedelta(hours=1)).replace(second=0, microsecond=0)
    start = (now - timedelta(hours=1)).strftime("%H:%M")
    await harness.say(OWNER, GROUP, f"/quiet {start}-{end_at:%H:%M}", expect="免打扰时段")
    await harness.say(OWNER, OWNER, "/start")
    other_group = asyncio.create_task(harness.emu.wait_for_message(-200, "今晚停电", timeout=5))
    told = await harness.say(OWNER, OWNER, "/notice 3号楼,5号楼 今晚停电", expect="免打扰")
    assert told.text.startswith("3号楼 正在免打扰时段") and f"{end_at:%H:%M}" in told.text
    await other_group  # the other group is not quiet
    await ticks(harness)
    assert posts(harness, "今晚停电") == []

    rule = await harness.say(OWNER, OWNER, "/notice 5号楼 every day 08:00 早安", expect="🔁1")
    assert "每天 08:00" in rule.text and "5号楼" in rule.text
