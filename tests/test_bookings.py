"""Two weeks of the study room end to end: the owner makes it bookable, residents book
with buttons (two of them racing for the last place), the weekly limit, a cancel, an
approval and a decline with a reason, the reminder an hour before, and bad input."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from bot.emulator import BotApiEmulator, SentMessage
from tests.harness import Harness, settings_for
from tests.test_roster import (
    GROUP,
    LI,
    OWNER,
    buttons,
    go_to_next_monday_noon,
    live_until,
    saying,
    set_up_building,
    tap,
    text_of,
)

AN, BO, CAI = 211, 212, 213  # residents who started the bot
RESIDENTS = {AN: "An", BO: "Bo", CAI: "Cai"}
BOOKABLE = "/facility book 自习室 | mon-fri 16:00-21:00 | 60 | 2 | {mode}"


async def set_up_study_room(harness: Harness, mode: str = "auto") -> None:
    await set_up_building(harness)
    await harness.say(OWNER, OWNER, "/facility add 自习室 | mon-fri 21:00 | 窗户，灯，门",
                      expect="好了")
    for user_id, name in RESIDENTS.items():
        harness.emu.add_user(user_id, name, username=name.lower(), started=True)
        harness.emu.user_joins(user_id, GROUP)
        await harness.say(user_id, user_id, "/start")
    await harness.settle()
    shown = await harness.say(OWNER, OWNER, BOOKABLE.format(mode=mode), expect="/book")
    assert "周一 16:00–21:00" in shown.text and "每段 2 人" in shown.text


async def open_day(harness: Harness, user_id: int, day: str) -> SentMessage:
    """/book, then the day's button: the message now shows that day's slots."""
    grid = await harness.say(user_id, user_id, "/book", expect="哪一天")
    label = next(label for label in buttons(harness, grid) if label.startswith(day))
    await tap(harness, user_id, grid, label)
    assert "点一个时间即可预约" in text_of(harness, grid)
    return grid


async def bookings_of(harness: Harness, user_id: int) -> list[tuple[str, str]]:
    rows = await harness.db.fetch_all(
        "SELECT status, strftime('%H:%M', starts_at, 'unixepoch', '+8 hours') AS at "
        "FROM bookings WHERE user_id = ? ORDER BY starts_at, id", (user_id,))
    return [(row["status"], row["at"]) for row in rows]


async def test_a_fortnight_of_the_study_room(harness: Harness) -> None:
    monday = go_to_next_monday_noon(harness)
    await set_up_study_room(harness)
    tuesday = (monday + timedelta(days=1)).strftime("%m-%d")

    # An books Tuesday 16:00 with two taps.
    grid = await open_day(harness, AN, tuesday)
    assert buttons(harness, grid)[:2] == ["16:00（剩 2）", "17:00（剩 2）"]
    await tap(harness, AN, grid, "16:00（剩 2）")
    assert "✅ 预约成功：自习室" in text_of(harness, grid)
    assert await bookings_of(harness, AN) == [("approved", "16:00")]

    # Bo and Cai press the last place at the same moment: exactly one of them gets it.
    bo_grid, cai_grid = await open_day(harness, BO, tuesday), await open_day(harness, CAI, tuesday)
    presses = [
        harness.press(user, grid.chat_id, grid.message_id,
                      dict(harness.emu.message(grid.chat_id, grid.message_id).buttons)
                      ["16:00（剩 1）"])
        for user, grid in ((BO, bo_grid), (CAI, cai_grid))
    ]
    await asyncio.gather(*presses)
    await harness.settle()
    held = await harness.value(
        "SELECT COUNT(*) FROM bookings WHERE status = 'approved' AND user_id IN (?, ?)", BO, CAI)
    assert held == 1
    outcomes = {text_of(harness, bo_grid), text_of(harness, cai_grid)}
    assert any("预约成功" in text for text in outcomes)
    assert any("已约满" in answer for answer in
               [a for a, *_rest in harness.emu.callback_answers.values() if a]), outcomes

    # The weekly limit: An holds 1, books 2 more, and the 4th is refused.
    for time in ("17:00", "18:00"):
        await harness.say(AN, AN, f"/book 自习室 {tuesday} {time} 作业", expect="预约成功")
    refused = await harness.say(AN, AN, f"/book 自习室 {tuesday} 19:00", expect="上限")
    assert "3 个预约" in refused.text
    assert len(await bookings_of(harness, AN)) == 3

    # Bad input: outside the hours, in the past, malformed, too far ahead.
    await harness.say(BO, BO, f"/book 自习室 {tuesday} 22:00", expect="没有时段")
    await harness.say(BO, BO, f"/book 自习室 {monday.strftime('%m-%d')} 10:00",
                      expect="没有时段")
    await harness.say(BO, BO, "/book 自习室 明天下午", expect="请这样写")
    far = (monday + timedelta(days=20)).strftime("%Y-%m-%d")
    await harness.say(BO, BO, f"/book 自习室 {far} 16:00", expect="未来 14 天")
    await harness.say(BO, BO, f"/book 健身房 {tuesday} 16:00", expect="请这样写")
    # An owner's facility without opening hours, or one that does not exist: nothing stored.
    await harness.say(OWNER, OWNER, "/facility book 自习室 | | 60 | 2 | auto", expect="请这样写")
    await harness.say(OWNER, OWNER, "/facility book 健身房 | mon 16:00-21:00 | 60 | 2 | auto",
                      expect="没有名为")
    await harness.say(OWNER, OWNER, "/facility book 自习室 | mon 16:00-16:30 | 60 | 2 | auto",
                      expect="比一个时段还短")
    assert await harness.value("SELECT count(*) FROM bookable") == 1
    assert await harness.value("SELECT hours FROM bookable") == \
        "[[960, 1260], [960, 1260], [960, 1260], [960, 1260], [960, 1260], null, null]"

    # An cancels one; its reminder is gone and the place is free again.
    listed = await harness.say(AN, AN, "/bookings", expect="您的预约")
    assert len(buttons(harness, listed)) == 3
    cancel = buttons(harness, listed)[1]
    await tap(harness, AN, listed, cancel)
    assert "已取消：自习室" in text_of(harness, listed)
    assert len(buttons(harness, listed)) == 2
    assert [s for s, _at in await bookings_of(harness, AN)].count("cancelled") == 1

    # Someone else's cancel (a forged press) is refused and changes nothing.
    an_booking = await harness.value(
        "SELECT id FROM bookings WHERE user_id = ? AND status = 'approved' LIMIT 1", AN)
    answer = await harness.press(BO, BO, listed.message_id, f"booking:cancel:{an_booking}")
    assert "不是您的预约" in answer
    assert await harness.value("SELECT status FROM bookings WHERE id = ?", an_booking) == \
        "approved"

    # Reminders an hour before, once each: for 16:00 and 18:00, not for the cancelled 17:00.
    arrivals = await live_until(harness, monday + timedelta(days=1, hours=6), [AN])
    assert saying(arrivals, AN, "⏰ 提醒") == ["Tue 15:00", "Tue 17:00"]

    # The owners switch to approval: Bo asks for next Monday, the owner approves; Cai asks
    # and is declined with a reason.
    await harness.say(OWNER, OWNER, BOOKABLE.format(mode="审批"), expect="审批")
    next_monday = (monday + timedelta(days=7)).strftime("%m-%d")
    asked = await harness.say(BO, BO, f"/book 自习室 {next_monday} 16:00 生日会",
                              expect="已申请")
    assert "负责人审批后" in asked.text
    await harness.settle()
    request = harness.emu.sent(OWNER)[-1]
    assert "预约申请" in request.text and "Bo" in request.text and "生日会" in request.text
    await tap(harness, OWNER, request, "✅ 批准")
    await harness.settle()
    assert "已获批准" in harness.emu.sent(BO)[-1].text
    await harness.say(CAI, CAI, f"/book 自习室 {next_monday} 16:00", expect="已申请")
    await harness.settle()
    request = harness.emu.sent(OWNER)[-1]
    await tap(harness, OWNER, request, "❌ 拒绝")
    assert "理由是什么" in text_of(harness, request)
    await harness.say(OWNER, OWNER, "那天有社区活动", expect="已拒绝")
    await harness.settle()
    told = harness.emu.sent(CAI)[-1].text
    assert "未获批准" in told and "那天有社区活动" in told
    assert ("declined", "16:00") in await bookings_of(harness, CAI)

    # Owners see the day; a resident may not.
    day = (monday + timedelta(days=7)).strftime("%Y-%m-%d")
    listed = await harness.say(OWNER, OWNER, f"/bookings {day}", expect="的预约")
    assert "Bo" in listed.text and "生日会" in listed.text
    await harness.say(AN, AN, f"/bookings {day}", expect="只有负责人")

    # A decided booking cannot be decided again (a forged Approve on Cai's), nor by a resident.
    cai_booking = await harness.value("SELECT id FROM bookings WHERE user_id = ?", CAI)
    answer = await harness.press(OWNER, OWNER, request.message_id, f"booking:approve:{cai_booking}")
    assert "已经处理过" in answer
    bo_booking = await harness.value(
        "SELECT id FROM bookings WHERE user_id = ? AND status = 'approved'", BO)
    answer = await harness.press(BO, BO, request.message_id, f"booking:decline:{bo_booking}")
    assert "负责人" in answer
    assert await harness.value("SELECT status FROM bookings WHERE id = ?", cai_booking) == \
        "declined"


async def test_a_late_booking_moves_the_lock_up_and_a_problem_becomes_a_request(
    harness: Harness,
) -> None:
    monday = go_to_next_monday_noon(harness)
    await set_up_study_room(harness)
    # The hall closes at 21:00, but An books Monday 20:00–21:00 and the owners then keep the
    # room open until 22:00 for a late booking of Bo's.
    await harness.say(OWNER, OWNER, "/facility book 自习室 | mon-fri 16:00-22:00 | 60 | 2 | auto",
                      expect="/book")
    today = monday.strftime("%m-%d")
    await harness.say(AN, AN, f"/book 自习室 {today} 20:00", expect="预约成功")
    await harness.say(BO, BO, f"/book 自习室 {today} 21:00 小组讨论", expect="预约成功")

    # 21:20 passes without a reminder: the lock-up is due after Bo's booking ends at 22:00.
    arrivals = await live_until(harness, monday.replace(hour=22, minute=30), [LI])
    assert saying(arrivals, LI, "还没有人报告锁门") == ["Mon 22:20"]
    reminder = next(a.text for a in arrivals if "还没有人报告锁门" in a.text)
    assert "22:00" in reminder and "最后使用：Bo，到 22:00" in reminder

    # Li locks up, sees who used it last, and reports a broken window: it becomes a repair
    # request of the building, and the report in the group says so.
    checklist = await harness.say(LI, LI, "/lockup", expect="每检查完一项请勾选")
    assert "最后使用：Bo，到 22:00" in checklist.text
    await tap(harness, LI, checklist, "⚠️ 报告问题")
    assert "哪里有问题" in text_of(harness, checklist)
    checklist = await harness.say(LI, LI, "窗户把手坏了", expect="维修求助 #1")
    request = await harness.db.fetch_one("SELECT category, text, state FROM requests")
    assert request is not None and request["category"] == "repair"
    assert "窗户把手坏了" in request["text"] and request["state"] == "open"
    for item in ("☐ 窗户", "☐ 灯", "☐ 门"):
        await tap(harness, LI, checklist, item)
    await harness.say(LI, LI, "都关好了", expect="谢谢")
    await harness.settle()
    report = next(text for text in reversed(harness.texts(GROUP)) if "已锁门" in text)
    assert "维修求助 #1" in report and "窗户把手坏了" in report
    # Reported at 22:30, after the grace that follows the booking's end (22:20): late,
    # measured from 22:00, not from the usual 21:00.
    assert "迟报：关门时间是 22:00" in report


async def test_with_check_in_on_the_reminder_has_an_im_here_button(
    emulator: BotApiEmulator, tmp_path: Path,
) -> None:
    harness = Harness(emulator, settings_for(emulator, tmp_path, booking={"check_in": True}))
    await harness.start()
    try:
        monday = go_to_next_monday_noon(harness)
        await set_up_study_room(harness)
        await harness.say(AN, AN, f"/book 自习室 {monday.strftime('%m-%d')} 16:00",
                          expect="预约成功")
        booking = await harness.value("SELECT id FROM bookings WHERE user_id = ?", AN)
        await live_until(harness, monday.replace(hour=15, minute=10), [AN])
        reminder = harness.emu.sent(AN)[-1]
        assert "⏰ 提醒" in reminder.text and buttons(harness, reminder) == ["✅ 我到了"]

        # Too early (15:10, the button works from 15:45), and someone else's press: refused.
        assert "签到时间" in await tap(harness, AN, reminder, "✅ 我到了")
        answer = await harness.press(BO, BO, reminder.message_id, f"booking:here:{booking}")
        assert "不是您的预约" in answer
        assert await harness.value(
            "SELECT checked_in_at FROM bookings WHERE id = ?", booking) is None

        await live_until(harness, monday.replace(hour=15, minute=50), [AN])
        await tap(harness, AN, reminder, "✅ 我到了")
        assert "已签到" in text_of(harness, reminder)
        checked_in = await harness.value(
            "SELECT checked_in_at FROM bookings WHERE id = ?", booking)
        assert checked_in is not None and abs(
            checked_in - monday.replace(hour=15, minute=50).timestamp()) < 60
    finally:
        await harness.stop()
