"""Building groups and notices end to end: the bot joins a group, is set up, volunteers are
added, residents confirm a notice, a scheduled notice survives a restart, and a notice goes
to forty groups while one removed the bot and another becomes a supergroup."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.emulator import RateLimits, SentMessage
from bot.services.notices import COUNT_EDIT_SECONDS
from tests.harness import ADMIN_ID, Harness

OWNER = 10
LI, WANG = 20, 21
STRANGER = 30
RESIDENTS = [1000 + n for n in range(30)]
GROUP = -100
SHANGHAI = ZoneInfo("Asia/Shanghai")


def add_people(harness: Harness) -> None:
    emu = harness.emu
    emu.add_user(OWNER, "王主任", username="wangzhuren")
    emu.add_user(LI, "李师傅", username="li")
    emu.add_user(WANG, "王医生", username="wang")
    emu.add_user(STRANGER, "路人")
    for number, user in enumerate(RESIDENTS):
        emu.add_user(user, f"居民{number:02d}")


async def set_up_building(
    harness: Harness,
    chat_id: int = GROUP,
    name: str = "3号楼",
    *,
    owner: int = OWNER,
    bot_admin: bool = True,
) -> None:
    """The bot is added to the group, greets it, and the owner registers the building."""
    emu = harness.emu
    emu.add_group(chat_id, name, members=[LI, WANG, *RESIDENTS], admins=[owner], bot_member=False)
    greeting = emu.wait_for_message(chat_id, "/setup")
    emu.bot_added(chat_id, owner, as_admin=bot_admin)
    await greeting
    await harness.say(owner, chat_id, f"/setup {name}", expect=f"「{name}」")


async def press_all(
    harness: Harness, chat_id: int, message_id: int, presses: list[tuple[int, str]]
) -> list[str]:
    """Many people press at once; returns the answers in the order of the presses."""
    emu = harness.emu
    queries = [emu.user_presses(user, chat_id, message_id, data) for user, data in presses]
    await emu.wait_for(
        lambda: all(q in emu.callback_answers for q in queries), 10, what="an answer to every press"
    )
    return [emu.callback_answers[q][0] or "" for q in queries]


def local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


async def notice_in(harness: Harness, chat_id: int, words: str) -> SentMessage:
    return await harness.emu.wait_for_message(chat_id, words, timeout=5)


async def test_a_set_up_building_posts_a_notice_that_thirty_residents_confirm_once_each(
    harness: Harness,
) -> None:
    add_people(harness)
    emu = harness.emu
    newcomer = RESIDENTS[-1]
    emu.add_group(
        GROUP,
        "3号楼",
        members=[LI, WANG, STRANGER, *RESIDENTS[:-1]],
        admins=[OWNER],
        bot_member=False,
    )
    greeting = emu.wait_for_message(GROUP, "/setup")
    emu.bot_added(GROUP, OWNER, as_admin=True)
    assert "/setup 3号楼" in (await greeting).text

    refused = await harness.say(STRANGER, GROUP, "/setup 3号楼", expect="只有")
    assert "群管理员" in refused.text
    assert await harness.value("SELECT count(*) FROM buildings") == 0
    setup = await harness.say(OWNER, GROUP, "/setup 3号楼", expect="「3号楼」")
    assert "权限都有了" in setup.text

    hello = emu.user_sends(LI, GROUP, "我会修水管")
    emu.user_sends(WANG, GROUP, "大家好")
    await harness.settle()
    await harness.say(
        OWNER, GROUP, "/volunteer repair", reply_to=hello["message_id"], expect="志愿者"
    )
    await harness.say(
        OWNER, GROUP, "/volunteer @wang health", expect="王医生 现在是 3号楼 的志愿者"
    )
    assert await harness.value("SELECT count(*) FROM members WHERE volunteer = 1") == 2
    await harness.say(OWNER, GROUP, "/unvolunteer @li", expect="不再是")
    await harness.say(OWNER, GROUP, "/volunteer @li repair", expect="志愿者")
    emu.user_joins(newcomer, GROUP)  # a chat_member update: the bot is an admin
    await harness.settle()
    assert await harness.value("SELECT resident FROM members WHERE user_id = ?", newcomer) == 1

    refused = await harness.say(STRANGER, GROUP, "/notice 明天停水", expect="只有")
    assert "社区管理员" in refused.text
    assert await harness.value("SELECT count(*) FROM notices") == 0

    emu.rate_limits = RateLimits()  # Telegram's limits: 1 a second, 20 a minute in a group
    waiting = notice_in(harness, GROUP, "停水")
    emu.user_sends(OWNER, GROUP, "/notice pin 明天 9:00–12:00 <b>停水</b> & 检修\n请提前储水。")
    posted = await waiting
    assert "明天 9:00–12:00 <b>停水</b> & 检修\n请提前储水。" in posted.text  # escaped, lines kept
    assert "&lt;b&gt;停水&lt;/b&gt; &amp; 检修" in posted.raw_text
    assert "已确认：0 人" in posted.text
    post_id = await harness.value("SELECT id FROM notice_posts")
    assert posted.buttons == [("收到", f"notice:ok:{post_id}")]
    await harness.settle()
    assert emu.message(GROUP, posted.message_id).pinned

    twice = RESIDENTS[:5]
    presses = [(user, f"notice:ok:{post_id}") for user in RESIDENTS + twice]
    answers = await press_all(harness, GROUP, posted.message_id, presses)
    assert answers.count("谢谢！已记录您的确认。") == 30
    assert answers.count("您已经确认过这条通知了，谢谢！") == 5

    harness.clock.advance(COUNT_EDIT_SECONDS)  # the batched edit of the count falls due
    await emu.wait_for(
        lambda: "已确认：30 人" in emu.message(GROUP, posted.message_id).text,
        5,
        what="the count to show 30",
    )
    await harness.settle()
    shown = emu.message(GROUP, posted.message_id)
    assert 1 <= shown.edits <= 3, "a burst of presses is shown in a few edits, not 30"
    refused_edits = [c for c in emu.calls if c.method == "editMessageText" and c.status == 429]
    assert refused_edits == [], "the edits stay within Telegram's limits"
    assert shown.buttons == [("收到", f"notice:ok:{post_id}")]
    assert await harness.value("SELECT count(*) FROM notice_confirmations") == 30
    assert (
        await harness.value("SELECT count(*) FROM members WHERE resident = 1 AND user_id >= 1000")
        == 30
    )

    listing = await harness.say(OWNER, OWNER, "/notices", expect="#1")
    assert "已确认：30 人" in listing.text and "3号楼" in listing.text
    assert ("谁已确认 #1", "notice:names:1") in listing.buttons
    names = emu.wait_for_message(OWNER, "确认了通知 #1 的人")
    assert await harness.press(OWNER, OWNER, listing.message_id, "notice:names:1") == ""
    text = (await names).text
    assert "30 人已确认" in text and all(f"居民{n:02d}" in text for n in range(30))
    by_command = await harness.say(OWNER, OWNER, "/notices 1", expect="确认了通知 #1 的人")
    assert by_command.text == text
    refused = await harness.say(OWNER, GROUP, "/notices 1", expect="私聊")
    assert "/notices 1" in refused.text


async def test_a_scheduled_notice_fires_after_a_restart_and_a_cancelled_one_never_does(
    harness: Harness,
) -> None:
    add_people(harness)
    await set_up_building(harness)
    now = datetime.now(SHANGHAI) + timedelta(seconds=harness.clock.offset)
    at = local(now + timedelta(minutes=3))
    later = local(now + timedelta(minutes=10))
    scheduled = await harness.say(OWNER, GROUP, f"/notice at {at} 周六上午大扫除", expect="#1")
    assert f"将于 {at} 在本群发布" in scheduled.text
    await harness.say(OWNER, GROUP, f"/notice pin at {later} 取消的通知", expect="#2")

    listing = await harness.say(OWNER, GROUP, "/notices", expect="定时")
    assert f"定时 {at}" in listing.text and ("取消 #2", "notice:cancel:2") in listing.buttons
    refused = await harness.press(RESIDENTS[0], GROUP, listing.message_id, "notice:cancel:2")
    assert refused.startswith("只有通知 #2 所发楼栋的负责人")
    assert await harness.press(OWNER, GROUP, listing.message_id, "notice:cancel:2") == (
        "通知 #2 已取消。"
    )
    await harness.settle()
    refreshed = harness.emu.message(GROUP, listing.message_id)
    assert "已取消" in refreshed.text and ("取消 #2", "notice:cancel:2") not in refreshed.buttons
    stale = await harness.press(OWNER, GROUP, listing.message_id, "notice:cancel:2")
    assert stale == "通知 #2 已经发出或已取消。"

    await harness.restart()  # a deploy before the time comes
    assert not [text for text in harness.texts(GROUP) if text.startswith("📢")]
    waiting = notice_in(harness, GROUP, "周六上午大扫除")
    harness.clock.advance(timedelta(minutes=3))
    posted = await waiting
    assert posted.buttons == [("收到", "notice:ok:1")]
    harness.clock.advance(timedelta(minutes=10))
    await asyncio.sleep(0.5)  # a few scheduler ticks
    await harness.settle()
    assert [text for text in harness.texts(GROUP) if text.startswith("📢")] == [posted.text]
    assert await harness.value("SELECT status FROM notices WHERE id = 1") == "sent"
    assert await harness.value("SELECT status FROM jobs WHERE key = 'notice send 2'") == (
        "cancelled"
    )


async def test_bad_notices_get_the_right_form_and_change_nothing(harness: Harness) -> None:
    add_people(harness)
    await set_up_building(harness)
    cases = {
        "/notice": "请在命令后写上通知内容",
        "/notice pin": "请在命令后写上通知内容",
        "/notice at 2026-12-01 9点 开会": "我看不懂时间「2026-12-01 9点」",
        "/notice at 2020-01-01 09:00 开会": "2020-01-01 09:00 已经过去了",
    }
    for command, expected in cases.items():
        answer = await harness.say(OWNER, GROUP, command, expect=expected)
        assert "/notice" in answer.text, "the reply shows the right form"
    await harness.say(
        OWNER, GROUP, "/notice " + "长" * 4001, expect="通知太长了：4001 个字，最多 4000 个"
    )
    private = {
        "/notice all": "请先写楼栋，再写通知内容",
        "/notice 9号楼 开会": "没有叫「9号楼」的楼栋。现有楼栋：3号楼",
        "/notice 3号楼,9号楼 开会": "没有叫「9号楼」的楼栋",
    }
    for command, expected in private.items():
        await harness.say(OWNER, OWNER, command, expect=expected)
    assert await harness.value("SELECT count(*) FROM notices") == 0
    assert await harness.value("SELECT count(*) FROM jobs WHERE kind LIKE 'notice%'") == 0

    waiting = notice_in(harness, GROUP, "下午开会")
    command = harness.emu.user_sends(OWNER, GROUP, "/notice 下午开会")
    await waiting
    edited = {**command, "text": "/notice 下午三点开会", "edit_date": command["date"] + 5}
    harness.emu.push_update({"edited_message": edited})  # editing the command posts nothing
    await harness.settle()
    assert await harness.value("SELECT count(*) FROM notices") == 1


async def test_rights_are_checked_for_notices_and_forged_buttons_are_ignored(
    harness: Harness,
) -> None:
    add_people(harness)
    await set_up_building(harness)
    harness.emu.add_user(40, "5号楼楼长")
    await set_up_building(harness, -200, "5号楼", owner=40, bot_admin=False)

    refused = await harness.say(STRANGER, STRANGER, "/notice all 开会", expect="只有")
    assert "群管理员" in refused.text
    refused = await harness.say(OWNER, OWNER, "/notice 3号楼,5号楼 开会", expect="5号楼")
    assert refused.text.startswith("您不是 5号楼 的负责人")
    assert await harness.value("SELECT count(*) FROM notices") == 0

    refused = await harness.say(RESIDENTS[0], -200, "/lang en", expect="只有")
    await harness.say(40, -200, "/lang en", expect="English")
    waiting = notice_in(harness, -200, "Lift")
    pinned = await harness.say(40, -200, "/notice pin Lift <i>check</i>", expect="cannot pin")
    assert pinned.text == (
        "The notice is posted, but I cannot pin it. Make me an admin of "
        "this group with the right to pin messages."
    )
    posted = await waiting
    assert posted.text == "📢 Notice\n\nLift <i>check</i>\n\n✅ 0 confirmed"
    post_id = await harness.value("SELECT id FROM notice_posts")
    assert posted.buttons == [("Got it", f"notice:ok:{post_id}")]
    await harness.settle()
    assert not posted.pinned

    other = await harness.say(OWNER, GROUP, "/notices", expect="还没有通知")
    forged = {
        (GROUP, other.message_id, f"notice:ok:{post_id}"): "这个按钮已经失效了。",
        (-200, posted.message_id, "notice:ok:999"): "This button is no longer valid.",
        (-200, posted.message_id, "notice:zap:1"): "This button is no longer valid.",
        (-200, posted.message_id, "notice:ok:x"): "This button is no longer valid.",
        (-200, posted.message_id, "notice:cancel:1"): "Only the owners of the buildings",
    }
    for (chat, message, data), expected in forged.items():
        assert (await harness.press(RESIDENTS[0], chat, message, data)).startswith(expected)
    assert await harness.value("SELECT count(*) FROM notice_confirmations") == 0
    assert await harness.value("SELECT status FROM notices") == "sent"
    names = await harness.say(RESIDENTS[0], RESIDENTS[0], "/notices 1", expect="只有")
    assert "通知 #1" in names.text


async def test_a_notice_to_forty_groups_reports_once_while_one_removed_the_bot_and_one_moved(
    harness: Harness,
) -> None:
    add_people(harness)
    emu = harness.emu
    emu.add_user(ADMIN_ID, "社区管理员")
    groups = {-300 - n: f"{n}号楼" for n in range(1, 41)}
    for chat_id, name in groups.items():
        emu.add_group(chat_id, name, members=RESIDENTS[:2], admins=[ADMIN_ID], bot_admin=True)
        emu.user_sends(ADMIN_ID, chat_id, f"/setup {name}")
    await harness.settle(20)
    assert await harness.value("SELECT count(*) FROM buildings") == 40
    emu.bot_removed(-317, ADMIN_ID)
    await harness.settle()

    emu.rate_limits = RateLimits()  # Telegram's limits from here on
    summary = emu.wait_for_message(ADMIN_ID, "已送达", timeout=15)
    first = emu.wait_for_message(-301, "全小区停电")
    emu.user_sends(ADMIN_ID, ADMIN_ID, "/notice all 本周日 8:00–10:00 全小区停电")
    await first
    emu.migrate_to_supergroup(-339, -1001000000339)  # while the notice is under way
    text = (await summary).text
    assert text.startswith("通知 #1 已送达 40 个群中的 39 个。")
    assert "• 17号楼：我已经不在那个群里了" in text and text.count("•") == 1
    await harness.settle()
    assert harness.texts(ADMIN_ID).count(text) == 1, "one summary"

    for chat_id in [c for c in groups if c not in (-339, -317)] + [-1001000000339]:
        notices = [t for t in harness.texts(chat_id) if "全小区停电" in t]
        assert len(notices) == 1, chat_id
    assert not any("全小区停电" in t for t in harness.texts(-317))
    assert await harness.value("SELECT active FROM chats WHERE id = -317") == 0
    assert emu.rate_violations() == []
    assert (
        await harness.value("SELECT chat_id FROM buildings WHERE name = '39号楼'") == -1001000000339
    )
    assert (
        await harness.value(
            "SELECT count(*) FROM notice_posts WHERE chat_id = -1001000000339 AND status = 'posted'"
        )
        == 1
    )
    assert await harness.value("SELECT count(*) FROM chats WHERE id = -339") == 0
    listing = await harness.say(ADMIN_ID, ADMIN_ID, "/notices", expect="#1")
    assert "已送达 40 栋楼中的 39 栋" in listing.text
