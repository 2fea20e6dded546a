"""Events end to end: an owner posts an event, neighbours sign up with buttons (接龙), the
list fills and a waitlist moves up, a reminder goes out at the right local time, the owner
cancels or marks attendance, and helpers are paid once."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.emulator import SentMessage
from bot.i18n import translator
from bot.views.common import local_time
from tests.harness import ADMIN_ID, Harness

SHANGHAI = ZoneInfo("Asia/Shanghai")
GROUP, OTHER_GROUP = -100, -200
OWNER, ZHANG, LI, WANG, OTHER_OWNER = 1, 2, 3, 4, 5
VOLUNTEER = 11
NAMES = {OWNER: "王主任", ZHANG: "张阿姨", LI: "小李", WANG: "老王", VOLUNTEER: "小赵",
         OTHER_OWNER: "陈主任"}


async def building(harness: Harness, *, volunteer: bool = False) -> None:
    """3号楼: its owner and 张阿姨 started the bot; 小李 and 老王 only write in the group."""
    emu = harness.emu
    for user_id, name in NAMES.items():
        emu.add_user(user_id, name, username=f"u{user_id}")
    emu.add_group(GROUP, "3号楼", members=[ZHANG, LI, WANG, VOLUNTEER], admins=[OWNER],
                  bot_admin=True)
    await harness.say(OWNER, OWNER, "/start")
    await harness.say(ZHANG, ZHANG, "/start")
    await harness.say(OWNER, GROUP, "/setup 3号楼", expect="3号楼")
    if volunteer:
        emu.user_sends(VOLUNTEER, GROUP, "大家好")
        await harness.settle()
        await harness.say(OWNER, GROUP, f"/volunteer @u{VOLUNTEER}", expect="志愿者")
    await harness.settle()


def in_days(harness: Harness, days: int, hour: int = 9) -> datetime:
    """A local time some days from now."""
    today = datetime.fromtimestamp(harness.clock.now(), SHANGHAI)
    return (today + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def written(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


async def post(harness: Harness, fields: str, days: int = 3) -> tuple[SentMessage, datetime]:
    """The owner posts an event in the group; returns its message there and its time."""
    when = in_days(harness, days)
    card = await harness.say(OWNER, GROUP, f"/event {written(when)} | {fields}", expect="📅")
    await harness.settle()
    return card, when


async def lists_shown(harness: Harness) -> None:
    """Let the batched edit of the list happen: the end of the edit window."""
    harness.clock.advance(harness.settings.events.list_edit_seconds)
    await harness.bot.services.scheduler.run_due()
    await harness.settle()


def now_showing(harness: Harness, card: SentMessage) -> SentMessage:
    return harness.emu.message(card.chat_id, card.message_id)


async def test_signing_up_past_capacity_fills_a_waitlist_that_moves_up_when_someone_leaves(
    harness: Harness,
) -> None:
    await building(harness)
    card, _when = await post(harness, "健康义诊 | 社区活动室 | 2")
    assert "健康义诊" in card.text and "已报名：0/2" in card.text
    assert card.buttons == [("✋ 报名", "event:join:1"), ("取消报名", "event:leave:1")]

    async def press(user: int, action: str) -> str:
        return await harness.press(user, GROUP, card.message_id, f"event:{action}:1")

    assert await press(ZHANG, "join") == "报名成功：您是第 1 位。"
    assert await press(ZHANG, "join") == "您已经报名了这个活动。"  # a double press
    assert await press(LI, "join") == "报名成功：您是第 2 位。"
    assert "候补第 1 位" in await press(WANG, "join")
    await lists_shown(harness)
    shown = now_showing(harness, card)
    assert "已报名：2/2\n1. 张阿姨\n2. 小李\n\n候补：\n1. 老王" in shown.text
    assert "名额已满" in shown.text and shown.edits == 1  # three presses, one edit

    assert await press(LI, "leave") == "您已取消报名。"
    await harness.settle()
    told = [m for m in harness.emu.sent(GROUP) if "空出了名额" in m.text]
    assert len(told) == 1 and told[0].text.startswith("🎉 老王：")
    link = {"type": "text_link", "url": f"tg://user?id={WANG}"}
    assert link.items() <= told[0].entities[0].items()
    await lists_shown(harness)
    assert "1. 张阿姨\n2. 老王\n" in now_showing(harness, card).text
    assert "候补：" not in now_showing(harness, card).text
    rows = await harness.db.fetch_all("SELECT user_id, status FROM event_signups ORDER BY id")
    assert [tuple(row) for row in rows] == [(ZHANG, "going"), (WANG, "going")]


async def test_the_reminder_comes_at_the_right_local_time_even_after_a_restart(
    harness: Harness,
) -> None:
    await building(harness)
    card, when = await post(harness, "社区义诊 | 社区卫生站 | 20", days=2)
    await harness.press(ZHANG, GROUP, card.message_id, "event:join:1")  # started the bot
    await harness.press(LI, GROUP, card.message_id, "event:join:1")  # did not
    await harness.settle()
    await harness.restart()

    remind_at = when - timedelta(hours=2)
    harness.clock.advance(remind_at.timestamp() - harness.clock.now() - 30)
    await harness.bot.services.scheduler.run_due()
    await harness.settle()
    assert not any("提醒" in text for text in harness.texts(ZHANG))

    harness.clock.advance(60)
    assert datetime.fromtimestamp(harness.clock.now(), SHANGHAI).strftime("%H:%M") == "07:00"
    await harness.bot.services.scheduler.run_due()
    await harness.settle()
    starts = local_time(translator("zh"), when.timestamp(), SHANGHAI)
    assert starts.endswith("09:00")
    private = [text for text in harness.texts(ZHANG) if "提醒" in text]
    assert private == [f"⏰ 提醒：社区义诊 将于 {starts} 在社区卫生站开始，不见不散！"]
    group = [m for m in harness.emu.sent(GROUP) if "提醒" in m.text]
    assert len(group) == 1 and group[0].text.startswith(f"⏰ 提醒 小李：社区义诊 将于 {starts}")
    assert "张阿姨" not in group[0].text  # she was told in private


async def test_the_owner_cancels_an_event_and_everyone_signed_up_is_told(
    harness: Harness,
) -> None:
    await building(harness)
    card, _when = await post(harness, "亲子手工课 | 3楼活动室 | 10")
    for user in (ZHANG, LI):
        await harness.press(user, GROUP, card.message_id, "event:join:1")
    listing = await harness.say(LI, GROUP, "/events", expect="近期活动")
    assert "#1 亲子手工课" in listing.text and "已报名：2/10" in listing.text
    assert listing.buttons == []  # residents cannot cancel
    listing = await harness.say(OWNER, GROUP, "/events", expect="近期活动")
    assert listing.buttons == [("取消 #1", "event:cancel:1")]
    refused = await harness.press(LI, GROUP, listing.message_id, "event:cancel:1")
    assert "只有群管理员" in refused

    await harness.press(OWNER, GROUP, listing.message_id, "event:cancel:1")
    await harness.settle()
    asking = harness.emu.message(GROUP, listing.message_id)
    assert "要取消 亲子手工课" in asking.text
    assert asking.buttons == [("是的，取消", "event:cancelok:1"), ("不，保留", "event:keep:1")]
    await harness.press(OWNER, GROUP, listing.message_id, "event:cancelok:1")
    await harness.settle()
    assert "已取消。我正在通知 2 位" in harness.emu.message(GROUP, listing.message_id).text
    assert any(t.startswith("❌ 亲子手工课（") for t in harness.texts(ZHANG))
    assert any(t.startswith("❌ 小李：亲子手工课") for t in harness.texts(GROUP))
    shown = now_showing(harness, card)
    assert "❌ 本活动已取消。" in shown.text and shown.buttons == []
    assert await harness.value("SELECT status FROM events WHERE id = 1") == "cancelled"
    reminder = await harness.value("SELECT status FROM jobs WHERE key = 'event 1 remind'")
    assert reminder == "cancelled"
    stale = await harness.press(WANG, GROUP, card.message_id, "event:join:1")
    assert stale == "这个活动已取消。"


async def test_attendance_after_the_event_pays_each_helper_once(harness: Harness) -> None:
    await building(harness, volunteer=True)
    card, when = await post(harness, "楼道大扫除 | 1楼大厅 | 10 | 1 | 工具由物业提供")
    assert card.buttons[-1] == ("🙋 我来帮忙（志愿者）", "event:help:1")
    assert "只有本楼的志愿者" in await harness.press(ZHANG, GROUP, card.message_id, "event:help:1")
    assert "第 1 位志愿者" in await harness.press(VOLUNTEER, GROUP, card.message_id, "event:help:1")
    await harness.press(ZHANG, GROUP, card.message_id, "event:join:1")
    services = harness.bot.services
    harness.clock.advance(when.timestamp() - harness.clock.now() + 60)
    await services.scheduler.run_due()
    await harness.settle()
    closed = now_showing(harness, card)
    assert "报名已截止" in closed.text  # no sign-up buttons: the check-in's, until the end
    assert [data for _label, data in closed.buttons] == ["hours:in:1", "hours:out:1",
                                                         "hours:code:1"]
    sheet = next(m for m in harness.emu.sent(OWNER) if "签到" in m.text)
    assert sheet.buttons == [
        ("▫️ 小赵（志愿者）", f"event:mark:1:{VOLUNTEER}:0"),
        ("▫️ 张阿姨", f"event:mark:1:{ZHANG}:0"),
        ("💾 保存签到", "event:save:1"),
    ]
    assert "只有群管理员" in await harness.press(ZHANG, OWNER, sheet.message_id,
                                                f"event:mark:1:{ZHANG}:0")
    for user in (VOLUNTEER, ZHANG):
        await harness.press(OWNER, OWNER, sheet.message_id, f"event:mark:1:{user}:0")
    await harness.settle()
    assert ("✅ 小赵（志愿者）", f"event:mark:1:{VOLUNTEER}:0") in harness.emu.message(
        OWNER, sheet.message_id).buttons
    await harness.press(OWNER, OWNER, sheet.message_id, "event:save:1")
    await harness.settle()
    assert "已保存：2 人中到场 2 人" in harness.emu.message(OWNER, sheet.message_id).text
    again = await harness.press(OWNER, OWNER, sheet.message_id, "event:save:1")
    assert again == "这个活动的签到已经保存过了。"
    paid = await harness.db.fetch_all(
        "SELECT user_id, amount, reason, source FROM ledger ORDER BY id")
    assert [tuple(row) for row in paid] == [(VOLUNTEER, 5, "event_helped", f"event:1:{VOLUNTEER}")]
    assert await harness.value(
        "SELECT helped FROM event_attendance WHERE user_id = ?", VOLUNTEER) == 1
    await harness.settle()
    assert "活动已结束" in now_showing(harness, card).text


async def test_bad_input_gets_the_right_form_back_and_changes_nothing(harness: Harness) -> None:
    await building(harness)
    future = written(in_days(harness, 3))
    cases = {
        "2020-01-01 09:00 | 健康义诊 | 社区活动室": "已经过去了",
        f"{future} | 健康义诊 | 社区活动室 | 0": "名额必须是 1 到 500 之间的整数",
        f"{future} | 健康义诊 | 社区活动室 | 很多": "名额必须是 1 到 500 之间的整数",
        f"{future} |  | 社区活动室 | 40": "活动需要一个名称",
        f"{future} | 健康义诊": "活动至少需要时间、名称和地点",
    }
    for line, problem in cases.items():
        answer = await harness.say(OWNER, GROUP, f"/event {line}")
        assert problem in answer.text.split("\n")[0], answer.text
        assert "健康义诊 | 社区活动室 | 40 | 2 | 请带上医保卡" in answer.text  # the right form
    refused = await harness.say(LI, GROUP, f"/event {future} | 健康义诊 | 社区活动室")
    assert "只有群管理员" in refused.text
    assert await harness.value("SELECT count(*) FROM events") == 0


async def test_step_by_step_in_the_group_and_one_line_to_several_buildings_in_private(
    harness: Harness,
) -> None:
    await building(harness)
    question = await harness.say(OWNER, GROUP, "/event", expect="🗓")
    assert "活动叫什么名字" in question.text
    when = in_days(harness, 4, hour=15)
    for answer in ("邻里茶话会", "明天下午", written(when), "1楼大厅", "-", "0", "-"):
        question = await harness.say(OWNER, GROUP, answer, reply_to=question.message_id)
        if answer == "明天下午":
            assert question.text.startswith("看不懂时间「明天下午」")
            question = harness.emu.sent(GROUP)[-2]  # the question stays open
    assert "📅 邻里茶话会" in question.text and "已报名：0\n" in question.text
    assert await harness.value("SELECT count(*) FROM prompts") == 0

    harness.emu.add_user(ADMIN_ID, "社区管理员")
    harness.emu.add_group(OTHER_GROUP, "5号楼", admins=[OTHER_OWNER], bot_admin=True)
    await harness.say(OTHER_OWNER, OTHER_GROUP, "/setup 5号楼", expect="5号楼")
    asked = await harness.say(ADMIN_ID, ADMIN_ID, "/event")  # a community admin, in private
    assert asked.text.startswith("🗓 活动面向哪些楼栋？")
    asked = await harness.say(ADMIN_ID, ADMIN_ID, "all")
    assert asked.text.startswith("🗓 活动叫什么名字？")
    dropped = await harness.say(ADMIN_ID, ADMIN_ID, "/event stop")
    assert dropped.text == "/event 表单已作废。"
    line = f"3号楼,5号楼 | {written(when)} | 社区义诊 | 社区卫生站 | 30"
    answer = await harness.say(ADMIN_ID, ADMIN_ID, f"/event {line}")
    assert answer.text == "✅ 活动 #2「社区义诊」已发布到 3号楼, 5号楼。"
    await harness.settle()
    for group in (GROUP, OTHER_GROUP):
        posted = harness.emu.sent(group)[-1]
        assert "社区义诊" in posted.text and "面向：3号楼, 5号楼" in posted.text
        assert posted.buttons[0] == ("✋ 报名", "event:join:2")
