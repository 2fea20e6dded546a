"""Reminding those who have not confirmed a notice, end to end: the owner sees who has and
has not confirmed (with households), presses «Remind the rest», a resident who started the
bot is reminded in private and confirms there, one who never did is named in the group, a
second press the same day is refused; ``remind after 6h`` does the same by itself, across a
restart, once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.emulator import SentMessage
from bot.services.notices import COUNT_EDIT_SECONDS
from tests.harness import Harness
from tests.test_notices import GROUP, OWNER, RESIDENTS, add_people, set_up_building
from tests.test_recurring import local_now

SAID_OK, REPLIED_OK, STARTED, NEVER_STARTED = RESIDENTS[:4]
FLATS = {SAID_OK: "3-101", REPLIED_OK: "3-102", STARTED: "3-201", NEVER_STARTED: "3-202"}


async def four_residents(harness: Harness) -> None:
    """Four residents speak in the group (the bot knows them); one started the bot; their
    flats are on record (as a join request would have left them)."""
    add_people(harness)
    await set_up_building(harness)
    await harness.say(STARTED, STARTED, "/start")
    await harness.say(OWNER, OWNER, "/start")
    for user in FLATS:
        harness.emu.user_sends(user, GROUP, "大家好")
    await harness.settle()
    async with harness.db.transaction() as tx:
        for user, flat in FLATS.items():
            await tx.execute(
                "INSERT INTO flats (building_id, user_id, flat, recorded_at) VALUES (1, ?, ?, 0)",
                (user, flat),
            )


async def two_confirm(harness: Harness, post_message_id: int, post_id: int) -> None:
    """One resident presses «收到», another replies "收到"."""
    answer = await harness.press(SAID_OK, GROUP, post_message_id, f"notice:ok:{post_id}")
    assert answer == "谢谢！已记录您的确认。"
    harness.emu.user_sends(REPLIED_OK, GROUP, "收到", reply_to_message_id=post_message_id)
    await harness.settle()
    assert await harness.value("SELECT count(*) FROM notice_confirmations") == 2


def expect(harness: Harness, chat_id: int, words: str) -> asyncio.Task[SentMessage]:
    """Start waiting now for the bot's next message in the chat with these words."""
    return asyncio.create_task(harness.emu.wait_for_message(chat_id, words, timeout=10))


async def nudge_rows(harness: Harness) -> int:
    return int(await harness.value("SELECT count(*) FROM outbox WHERE kind LIKE 'nudge%'"))


async def test_the_rest_are_reminded_in_private_or_named_in_the_group_once_a_day(
    harness: Harness,
) -> None:
    await four_residents(harness)
    emu = harness.emu
    posted = expect(harness, GROUP, "明天停水")
    summary = expect(harness, OWNER, "已送达")
    emu.user_sends(OWNER, OWNER, "/notice 3号楼 明天停水 <请储水>")
    post = await posted
    assert ("🔔 提醒未确认的人", "notice:remind:1") in (await summary).buttons
    post_id = await harness.value("SELECT id FROM notice_posts")
    await two_confirm(harness, post.message_id, post_id)

    who = await harness.say(OWNER, OWNER, "/notices 1", expect="确认")
    assert "<b>3号楼</b>：2 人已确认" in who.raw_text
    assert "居民00 (3-101)" in who.text and "居民01 (3-102)" in who.text
    assert "还没确认（2 人）：\n• 居民02 (3-201)\n• 居民03 (3-202)" in who.text
    assert "🏠 4 户中已有 2 户确认" in who.text
    assert who.buttons == [("🔔 提醒未确认的人", "notice:remind:1")]

    refused = await harness.press(STARTED, GROUP, post.message_id, "notice:remind:1")
    assert refused.startswith("只有通知 #1 所发楼栋的负责人")
    assert await nudge_rows(harness) == 0

    private = expect(harness, STARTED, "明天停水")
    in_group = expect(harness, GROUP, "请按通知下面的「收到」按钮")
    answer = await harness.press(OWNER, OWNER, who.message_id, "notice:remind:1")
    assert answer == "🔔 通知 #1：已私信提醒 1 位居民，并在群里提到了 1 位。"
    reminder, named = await private, await in_group
    assert "&lt;请储水&gt;" in reminder.raw_text
    assert reminder.buttons == [("收到", f"notice:got:{post_id}")]
    assert f'href="tg://user?id={NEVER_STARTED}"' in named.raw_text
    assert f"tg://user?id={STARTED}" not in named.raw_text
    assert "tg://user?id=" + str(SAID_OK) not in named.raw_text
    assert named.reply_to_message_id == post.message_id
    await harness.settle()
    assert harness.texts(NEVER_STARTED) == [], "never started: nothing in private"
    sent = await nudge_rows(harness)
    assert sent == 2  # one reminder, one group message

    forged = await harness.press(NEVER_STARTED, NEVER_STARTED, 1, f"notice:got:{post_id}")
    assert forged == "这个按钮已经失效了。"
    got = await harness.press(STARTED, STARTED, reminder.message_id, f"notice:got:{post_id}")
    assert got == "谢谢！已记录您的确认。"
    await harness.settle()
    assert emu.message(STARTED, reminder.message_id).buttons == []
    assert await harness.value(
        "SELECT confirmed_by FROM notice_confirmations WHERE user_id = ?", STARTED
    ) == "button"
    again = await harness.press(STARTED, STARTED, reminder.message_id, f"notice:got:{post_id}")
    assert again == "您已经确认过这条通知了，谢谢！"
    harness.clock.advance(COUNT_EDIT_SECONDS)
    await emu.wait_for(
        lambda: "已确认：3 人" in emu.message(GROUP, post.message_id).text, 5,
        what="the group's count to show 3",
    )
    who = await harness.say(OWNER, OWNER, "/notices 1", expect="确认")
    assert "🏠 4 户中已有 3 户确认" in who.text

    second = await harness.press(OWNER, OWNER, who.message_id, "notice:remind:1")
    assert second.startswith("今天 ") and "已经提醒过" in second
    await harness.settle()
    assert await nudge_rows(harness) == sent, "a second press the same day changes nothing"
    assert await harness.value("SELECT count(*) FROM notice_nudges") == 1

    harness.clock.advance(timedelta(days=1))
    private = expect(harness, GROUP, "请按通知下面的「收到」按钮")
    answer = await harness.press(OWNER, OWNER, who.message_id, "notice:remind:1")
    assert answer.endswith("在群里提到了 1 位。")
    assert f"tg://user?id={NEVER_STARTED}" in (await private).raw_text
    assert await harness.value("SELECT count(*) FROM notice_nudges") == 2


async def test_remind_after_six_hours_fires_once_across_a_restart(harness: Harness) -> None:
    await four_residents(harness)
    emu = harness.emu
    posted = expect(harness, GROUP, "明天停电")
    emu.user_sends(OWNER, GROUP, "/notice remind after 6h 明天停电")
    post = await posted
    post_id = await harness.value("SELECT id FROM notice_posts")
    await two_confirm(harness, post.message_id, post_id)
    assert await harness.value(
        "SELECT status FROM jobs WHERE key = 'notice nudge 1'"
    ) == "pending"

    await harness.restart()
    harness.clock.advance(timedelta(hours=5, minutes=50))
    await asyncio.sleep(0.8)
    await harness.settle()
    assert await nudge_rows(harness) == 0, "nothing before its time"

    private = expect(harness, STARTED, "明天停电")
    in_group = expect(harness, GROUP, "请按通知下面的「收到」按钮")
    told = expect(harness, OWNER, "已私信提醒 1 位居民")
    harness.clock.advance(timedelta(minutes=11))
    assert (await private).buttons == [("收到", f"notice:got:{post_id}")]
    assert f"tg://user?id={NEVER_STARTED}" in (await in_group).raw_text
    await told
    await harness.settle()
    rows = await nudge_rows(harness)
    await harness.restart()
    await asyncio.sleep(0.8)
    await harness.settle()
    assert await nudge_rows(harness) == rows == 3, "once, whatever the restarts"
    assert await harness.value("SELECT status FROM jobs WHERE key = 'notice nudge 1'") == "done"


async def test_a_remind_delay_out_of_bounds_or_malformed_is_refused_and_posts_nothing(
    harness: Harness,
) -> None:
    add_people(harness)
    await set_up_building(harness)
    for text, said in {
        "/notice remind after 0h 停水": "要在 1 到 72 小时之后，不能是 0",
        "/notice remind after 999h 停水": "不能是 999",
        "/notice remind after 30m 停水": "请用整数小时",
        "/notice 提醒 0小时后 停水": "不能是 0",
        "/notice remind after 6h every day 08:00 停水": "只能用于单次通知",
    }.items():
        refused = await harness.say(OWNER, GROUP, text, expect=said)
        assert said in refused.text
    assert await harness.value("SELECT count(*) FROM notices") == 0
    assert await harness.value("SELECT count(*) FROM jobs WHERE kind = 'notice.nudge'") == 0
    posted = expect(harness, GROUP, "周五开会")
    await harness.say(OWNER, GROUP, "/notice 提醒 3小时后 周五开会")
    assert "提醒" not in (await posted).text
    due = await harness.value("SELECT due_at - created_at FROM jobs WHERE kind = 'notice.nudge'")
    assert round(due) == 3 * 3600


async def test_in_quiet_hours_the_group_message_waits_and_the_private_reminder_does_not(
    harness: Harness,
) -> None:
    await four_residents(harness)
    emu = harness.emu
    posted = expect(harness, GROUP, "明天停水")
    emu.user_sends(OWNER, OWNER, "/notice 3号楼 明天停水")
    post = await posted
    post_id = await harness.value("SELECT id FROM notice_posts")
    await two_confirm(harness, post.message_id, post_id)
    now = local_now(harness)
    start = (now - timedelta(hours=1)).strftime("%H:%M")
    end_at = (now + timedelta(hours=2)).replace(second=0, microsecond=0)
    await harness.say(OWNER, GROUP, f"/quiet {start}-{end_at:%H:%M}", expect="免打扰时段")

    private = expect(harness, STARTED, "明天停水")
    who = await harness.say(OWNER, OWNER, "/notices 1", expect="确认")
    answer = await harness.press(OWNER, OWNER, who.message_id, "notice:remind:1")
    assert answer.endswith("在群里提到了 1 位。")
    await private
    await asyncio.sleep(0.8)
    await harness.settle()
    assert not [t for t in harness.texts(GROUP) if "请按通知下面" in t], "held while quiet"
    assert await harness.value(
        "SELECT count(*) FROM jobs WHERE kind = 'quiet.release' AND status = 'pending'"
    ) == 1

    in_group = expect(harness, GROUP, "请按通知下面的「收到」按钮")
    harness.clock.advance((end_at - now).total_seconds() + 5)
    assert f"tg://user?id={NEVER_STARTED}" in (await in_group).raw_text


async def test_remind_after_waits_for_a_post_held_by_quiet_hours(
    harness: Harness,
) -> None:
    await four_residents(harness)
    now = local_now(harness)
    start = (now - timedelta(hours=1)).strftime("%H:%M")
    end_at = (now + timedelta(hours=2)).replace(second=0, microsecond=0)
    await harness.say(OWNER, GROUP, f"/quiet {start}-{end_at:%H:%M}", expect="免打扰时段")
    await harness.say(OWNER, GROUP, "/notice remind after 1h 明天停水", expect="免打扰")

    harness.clock.advance(timedelta(hours=1, minutes=1))  # the job's time; the post is held
    await asyncio.sleep(0.8)
    await harness.settle()
    assert await nudge_rows(harness) == 0
    assert await harness.value(
        "SELECT status FROM jobs WHERE key = 'notice nudge 1 1'"
    ) == "pending", "it looks again in an hour"

    posted = expect(harness, GROUP, "明天停水")
    harness.clock.advance((end_at - local_now(harness)).total_seconds() + 5)
    await posted  # the quiet hours are over: the post goes out, and the nudge after it
    private = expect(harness, STARTED, "明天停水")
    in_group = expect(harness, GROUP, "请按通知下面的「收到」按钮")
    harness.clock.advance(timedelta(hours=1))
    await private
    assert f"tg://user?id={NEVER_STARTED}" in (await in_group).raw_text
