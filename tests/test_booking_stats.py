"""Bookings for the office, end to end: a day of the study room played through the emulator
(bookings, a cancel, a check-in with the «I'm here» button, a booking nobody came to), then
the owner's /stats lines and the Bookings sheet of /export, read back with openpyxl."""

from __future__ import annotations

import calendar
import io
from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook

from bot.emulator import BotApiEmulator
from tests.harness import Harness, settings_for
from tests.test_bookings import AN, BO, set_up_study_room
from tests.test_roster import OWNER, buttons, go_to, go_to_next_monday_noon, live_until, tap
from tests.test_stats import ask_stats, newest


def weekdays_in_month(day: datetime) -> int:
    """Mondays to Fridays in the month of ``day`` (the study room's opening days)."""
    weeks = calendar.Calendar().itermonthdays2(day.year, day.month)
    return sum(1 for number, weekday in weeks if number and weekday < 5)


async def a_day_of_the_study_room(harness: Harness) -> datetime:
    """An books 16:00 and 17:00 on Monday, comes to the first (I'm here) and not to the
    second; Bo books 18:00 and cancels it. The clock ends at 22:00, everything over."""
    monday = go_to_next_monday_noon(harness)
    await set_up_study_room(harness)
    day = monday.strftime("%m-%d")
    for hour in (16, 17):
        await harness.say(AN, AN, f"/book 自习室 {day} {hour}:00 作业", expect="预约成功")
    await harness.say(BO, BO, f"/book 自习室 {day} 18:00", expect="预约成功")
    listed = await harness.say(BO, BO, "/bookings", expect="您的预约")
    await tap(harness, BO, listed, buttons(harness, listed)[0])
    await live_until(harness, monday.replace(hour=15, minute=50), [AN])
    go_to(harness, monday.replace(hour=15, minute=50))
    reminder = next(m for m in reversed(harness.emu.sent(AN)) if "⏰ 提醒" in m.text)
    await tap(harness, AN, reminder, "✅ 我到了")
    await live_until(harness, monday.replace(hour=22), [AN])
    go_to(harness, monday.replace(hour=22))
    return monday


async def test_the_owner_sees_the_rooms_month_in_stats_and_in_the_sheet(
    emulator: BotApiEmulator, tmp_path: Path,
) -> None:
    harness = Harness(emulator, settings_for(emulator, tmp_path, booking={"check_in": True}))
    await harness.start()
    try:
        monday = await a_day_of_the_study_room(harness)
        statuses = await harness.db.fetch_all(
            "SELECT status, checked_in_at IS NOT NULL FROM bookings ORDER BY starts_at")
        assert [tuple(row) for row in statuses] == [
            ("approved", 1), ("approved", 0), ("cancelled", 0)]

        text = await ask_stats(harness, OWNER, OWNER)
        offered = weekdays_in_month(monday) * 5 * 2  # 5 open hours a day, 2 places
        assert "📅 自习室：预约 2 · 已拒绝 0 · 已取消 1" in text
        assert (f"开放时段使用率 {2 / offered:.0%}（{offered} 人·小时中用了 2）· 预约未到 1"
                in text)
        assert "志愿服务时长" in text  # the hours line stays

        await harness.say(OWNER, OWNER, "/export", expect="预约")
        document = newest(harness, OWNER, "document")
        assert document.file_bytes is not None
        sheet = load_workbook(io.BytesIO(document.file_bytes))["预约"]
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0] == ("日期", "开始", "结束", "设施", "楼", "居民", "状态", "用途", "已签到")
        assert [(r[0].date(), r[1].strftime("%H:%M"), r[2].strftime("%H:%M"), *r[3:])
                for r in rows[1:4]] == [
            (monday.date(), "16:00", "17:00", "自习室", "3号楼", "An", "已批准", "作业", "是"),
            (monday.date(), "17:00", "18:00", "自习室", "3号楼", "An", "已批准", "作业", "否"),
            (monday.date(), "18:00", "19:00", "自习室", "3号楼", "Bo", "已取消", None, None),
        ]
        assert rows[4] == (None,) * 9 and rows[5][0] == "设施" and len(rows) == 7
        assert rows[6][:7] == ("自习室", "3号楼", 2, 0, 1, 2, offered)
        assert rows[6][8] == 1  # An's 17:00
    finally:
        await harness.stop()


async def test_with_check_in_off_stats_show_no_no_shows(harness: Harness) -> None:
    monday = go_to_next_monday_noon(harness)
    await set_up_study_room(harness)
    await harness.say(AN, AN, f"/book 自习室 {monday.strftime('%m-%d')} 16:00", expect="预约成功")
    go_to(harness, monday.replace(hour=22))
    text = await ask_stats(harness, OWNER, OWNER)
    offered = weekdays_in_month(monday) * 5 * 2
    assert "📅 自习室：预约 1 · 已拒绝 0 · 已取消 0" in text
    assert f"开放时段使用率 {1 / offered:.0%}（{offered} 人·小时中用了 1）\n" in text + "\n"
    assert "未到" not in text
