"""Service hours end to end: a volunteer's year through the emulator. Three events with
check-in and check-out (a code, the button, and a check-out the organiser confirms), a
make-up entry, a correction, a star level reached, the certificate PDF read back, its
number verified; and every kind of bad input answered without a change."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from bot.emulator import BotApiEmulator, SentMessage
from tests.harness import Harness, settings_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
GROUP = -100
OWNER, VOLUNTEER, RESIDENT, NEWCOMER = 1, 11, 2, 3
NAMES = {OWNER: "王主任", VOLUNTEER: "小赵", RESIDENT: "张阿姨", NEWCOMER: "小钱"}


@pytest.fixture
async def harness(emulator: BotApiEmulator, tmp_path: Path) -> AsyncIterator[Harness]:
    """The bot with star levels at 5 and 20 hours, so that a year reaches the first."""
    community = Harness(emulator, settings_for(emulator, tmp_path, hours={"star_levels": [5, 20]}))
    await community.start()
    try:
        yield community
    finally:
        await community.stop()


async def building(harness: Harness) -> None:
    """3号楼: its owner, a volunteer (小赵) and two residents, all started the bot."""
    emu = harness.emu
    for user_id, name in NAMES.items():
        emu.add_user(user_id, name, username=f"u{user_id}", started=True)
        await harness.say(user_id, user_id, "/start")
    emu.add_group(GROUP, "3号楼", members=[VOLUNTEER, RESIDENT, NEWCOMER], admins=[OWNER],
                  bot_admin=True)
    await harness.say(OWNER, GROUP, "/setup 3号楼", expect="3号楼")
    for user_id in (VOLUNTEER, RESIDENT, NEWCOMER):
        emu.user_sends(user_id, GROUP, "大家好")
    await harness.settle()
    await harness.say(OWNER, GROUP, f"/volunteer @u{VOLUNTEER}", expect="志愿者")
    await harness.settle()


async def event(harness: Harness, title: str, days: int) -> tuple[int, datetime]:
    """The owner posts an event; the volunteer signs up as a helper on its card."""
    today = datetime.fromtimestamp(harness.clock.now(), SHANGHAI)
    when = (today + timedelta(days=days)).replace(hour=9, minute=0, second=0, microsecond=0)
    line = f"/event {when:%Y-%m-%d %H:%M} | {title} | 活动室 | 20 | 2"
    card = await harness.say(OWNER, GROUP, line, expect="📅")
    event_id = int(re.findall(r"event:join:(\d+)", str(card.buttons))[0])
    answer = await harness.press(VOLUNTEER, GROUP, card.message_id, f"event:help:{event_id}")
    assert "您是第 1 位志愿者" in answer, answer
    await harness.settle()
    return event_id, when


async def at(harness: Harness, moment: datetime) -> None:
    """Move the clock to a local moment and let what fell due happen."""
    harness.clock.advance(moment.timestamp() - harness.clock.now())
    await harness.bot.services.scheduler.run_due()
    await harness.settle()


def last(harness: Harness, chat: int, fragment: str) -> SentMessage:
    found = [m for m in harness.emu.sent(chat) if fragment in m.text]
    assert found, f"nothing with {fragment!r} in {chat}: {harness.texts(chat)[-5:]}"
    return found[-1]


async def window(harness: Harness, title: str, when: datetime) -> tuple[str, SentMessage]:
    """The check-in window opens 20 minutes before: the code to the organiser, the
    Check in / Check out message to the volunteer."""
    await at(harness, when - timedelta(minutes=20))
    code_message = last(harness, OWNER, f"{title} 的志愿者打卡已开始")
    assert "签到" not in code_message.text  # the owner's 签到 is the events' attendance sheet
    code = re.findall(r"打卡码：(\d{6})", code_message.text)[0]
    invitation = last(harness, VOLUNTEER, f"{title}")
    assert [label for label, _ in invitation.buttons] == ["✅ 签到", "👋 签退"]
    return code, invitation


async def hours_entries(harness: Harness) -> list[tuple[object, ...]]:
    rows = await harness.db.fetch_all(
        "SELECT minutes, kind, origin, content FROM hours_entries ORDER BY id")
    return [tuple(row) for row in rows]


async def test_a_volunteers_year_checked_in_corrected_certified_and_verified(
    harness: Harness,
) -> None:
    await building(harness)
    first, first_at = await event(harness, "健康义诊", 3)
    second, second_at = await event(harness, "清扫楼道", 10)
    third, third_at = await event(harness, "敬老探访", 20)

    # 1. With the code: in 20 minutes early, out 2 h 10 min later; counts the 2 h it lasted.
    code, _invitation = await window(harness, "健康义诊", first_at)
    reply = await harness.say(VOLUNTEER, VOLUNTEER, f"/checkin {code}", expect="签到")
    assert "已在 08:40 签到 «健康义诊»" in reply.text
    again = await harness.say(VOLUNTEER, VOLUNTEER, f"/checkin {code}", expect="签到")
    assert "您已在 08:40 签到" in again.text  # a check-in twice changes nothing
    shown = await harness.press(OWNER, OWNER, last(harness, OWNER, "健康义诊").message_id,
                                f"hours:code:{first}")
    assert code in shown  # "Show the code again"
    await at(harness, first_at + timedelta(minutes=110))
    reply = await harness.say(VOLUNTEER, VOLUNTEER, "/checkout", expect="签退")
    assert "记录志愿服务时长 2 小时" in reply.text

    # 2. With the buttons of the private message.
    _code, invitation = await window(harness, "清扫楼道", second_at)
    assert "签到" in await harness.press(VOLUNTEER, VOLUNTEER, invitation.message_id,
                                         f"hours:in:{second}")
    await at(harness, second_at + timedelta(minutes=70))
    answer = await harness.press(VOLUNTEER, VOLUNTEER, invitation.message_id,
                                 f"hours:out:{second}")
    assert "1.5 小时" in answer

    # 3. No check-out: closed at the end, "no check-out", until the organiser confirms.
    code, _invitation = await window(harness, "敬老探访", third_at)
    await harness.say(VOLUNTEER, VOLUNTEER, f"/checkin {code}", expect="签到")
    await at(harness, third_at + timedelta(hours=2, minutes=1))
    status = await harness.value("SELECT status FROM hours_attendance WHERE activity_id = 3")
    assert status == "no_checkout"
    assert len(await hours_entries(harness)) == 2  # nothing counts before the confirmation
    missing = last(harness, OWNER, "没有签退")
    assert "小赵" in missing.text
    [(_label, data)] = missing.buttons
    assert "小赵" in await harness.press(OWNER, OWNER, missing.message_id, str(data))
    await harness.settle()
    # 2 + 1.5 + 2 = 5.5 h: the first star level (5 h) is reached, and congratulated.
    assert "恭喜" in last(harness, VOLUNTEER, "星级志愿者").text

    # A make-up entry, then a correction of the first event to 1.5 h.
    reply = await harness.say(OWNER, GROUP, f"/hours add @u{VOLUNTEER} 2 社区反诈宣传",
                              expect="记录")
    assert "累计志愿服务 7.5 小时" in reply.text
    await harness.settle()
    assert "已为您补录 2 小时" in last(harness, VOLUNTEER, "补录").text
    first_entry = await harness.value("SELECT min(id) FROM hours_entries")
    reply = await harness.say(OWNER, GROUP, f"/hours correct {first_entry} 1.5 提前离开",
                              expect="记录")
    assert "累计志愿服务 7 小时" in reply.text
    assert await hours_entries(harness) == [
        (120, "recorded", "event", "健康义诊"), (90, "recorded", "event", "清扫楼道"),
        (120, "recorded", "event", "敬老探访"), (120, "makeup", "makeup", "社区反诈宣传"),
        (-30, "recorded", "correction", "提前离开"),
    ]

    # What the volunteer sees.
    year = datetime.fromtimestamp(harness.clock.now(), SHANGHAI).year
    shown_hours = await harness.say(VOLUNTEER, VOLUNTEER, "/hours", expect="志愿服务时长")
    text = shown_hours.text
    assert "累计：7 小时（签到记录 5，补录 2）" in text
    assert "星级：★；再服务 13 小时可达 2 星（20 小时）" in text
    assert "健康义诊：1.5 小时（已更正）" in text and "社区反诈宣传：2 小时（补录）" in text

    # The certificate, read back from the PDF; then its number verified by someone else.
    await harness.say(VOLUNTEER, VOLUNTEER, f"/certificate {year}", expect="证明")
    document = [m for m in harness.emu.sent(VOLUNTEER) if m.kind == "document"][-1]
    assert document.file_bytes is not None and document.file_bytes.startswith(b"%PDF")
    pdf = "".join(page.extract_text() for page in PdfReader(io.BytesIO(document.file_bytes)).pages)
    assert "志愿服务记录证明" in pdf and "小赵" in pdf and "3号楼" in pdf
    for title in ("健康义诊", "清扫楼道", "敬老探访", "社区反诈宣传"):
        assert title in pdf
    assert "合计：7 小时" in pdf and "签到记录：5 小时；补录：2 小时" in pdf
    number = re.findall(r"LL\d{4}-[0-9A-F]{8}", pdf)[0]
    assert number in (document.caption or "")
    verified = await harness.say(RESIDENT, RESIDENT, f"/verify {number}", expect="证明")
    assert f"证明 {number} 真实有效" in verified.text and "志愿者：小赵" in verified.text
    assert "志愿服务时长：7 小时（签到记录 5，补录 2），共 4 条" in verified.text
    assert third  # the three events were all played


async def test_bad_input_gets_a_clear_answer_and_changes_nothing(harness: Harness) -> None:
    await building(harness)
    event_id, when = await event(harness, "健康义诊", 3)

    async def refused(user: int, text: str, expect: str) -> None:
        before = await hours_entries(harness), await harness.value(
            "SELECT count(*) FROM hours_attendance")
        reply = await harness.say(user, user if not text.startswith("/hours add") else GROUP,
                                  text)
        assert expect in reply.text, reply.text
        after = await hours_entries(harness), await harness.value(
            "SELECT count(*) FROM hours_attendance")
        assert after == before, text

    await refused(VOLUNTEER, "/checkout", "您还没有签到")
    await refused(VOLUNTEER, "/checkin 12ab", "六位数字")
    await refused(VOLUNTEER, "/checkin 000000", "没有活动使用打卡码")
    await refused(VOLUNTEER, f"/certificate {datetime.now(SHANGHAI).year}", "没有志愿服务时长")
    await refused(VOLUNTEER, "/certificate 1999", "2000 到")
    await refused(RESIDENT, "/verify LL2026-00000000", "没有编号")
    await refused(OWNER, f"/hours add @u{VOLUNTEER} -2 想扣掉", "必须大于 0")
    await refused(OWNER, f"/hours add @u{VOLUNTEER} 500 很多", "一次最多补录 12 小时")
    await refused(OWNER, f"/hours add @u{VOLUNTEER} 2", "请这样写")
    await refused(RESIDENT, f"/hours add @u{VOLUNTEER} 2 帮忙", "只有")  # not an owner

    code, _invitation = await window(harness, "健康义诊", when)
    await refused(RESIDENT, f"/checkin {code}", "您不在它的志愿者或帮手名单上")  # not theirs
    await harness.say(VOLUNTEER, VOLUNTEER, f"/checkin {code}", expect="签到")
    await refused(VOLUNTEER, f"/checkin {code}", "您已在")
    await at(harness, when + timedelta(minutes=100))
    await harness.say(VOLUNTEER, VOLUNTEER, "/checkout", expect="签退")
    await refused(VOLUNTEER, "/checkout", "您还没有签到")
    entry = await harness.value("SELECT min(id) FROM hours_entries")
    await refused(OWNER, f"/hours correct {entry} 3 多记", "不能超过活动时长")  # over 2 h
    await refused(OWNER, f"/hours correct {entry} -1 少记", "不能小于 0")
    await at(harness, when + timedelta(hours=3))
    await refused(VOLUNTEER, f"/checkin {code}", "已经结束")  # expired
    # The monthly limit of make-up hours (20 by default).
    for n in range(2):
        await harness.say(OWNER, GROUP, f"/hours add @u{VOLUNTEER} 9 第{n}次", expect="记录")
    await refused(OWNER, f"/hours add @u{VOLUNTEER} 3 第三次", "最多还能补录 2 小时")
    assert event_id


async def test_a_resident_applies_and_an_owner_approves_with_a_button(harness: Harness) -> None:
    await building(harness)
    reply = await harness.say(NEWCOMER, GROUP, "/apply repair health", expect="申请")
    assert "管理员会处理" in reply.text
    again = await harness.say(NEWCOMER, GROUP, "/apply", expect="申请")
    assert "已经申请" in again.text
    card = last(harness, OWNER, "申请成为 3号楼 的志愿者")
    assert "技能：repair health" in card.text
    application = int(str(card.buttons[0][1]).rsplit(":", 1)[1])
    refusal = await harness.press(NEWCOMER, OWNER, card.message_id,
                                  f"hours:approve:{application}")
    assert "管理员" in refusal  # a forged press by someone else is refused
    assert "成为志愿者" in await harness.press(OWNER, OWNER, card.message_id,
                                          f"hours:approve:{application}")
    await harness.settle()
    assert "您现在是 3号楼 的志愿者了" in last(harness, NEWCOMER, "欢迎").text
    skills = await harness.value(
        "SELECT skills FROM members WHERE user_id = ? AND volunteer = 1", NEWCOMER)
    assert skills == "repair health"
    assert "已经处理过" in await harness.press(OWNER, OWNER, card.message_id,
                                          f"hours:decline:{application}")
    already = await harness.say(VOLUNTEER, GROUP, "/apply", expect="志愿者")
    assert "已经是 3号楼 的志愿者" in already.text
