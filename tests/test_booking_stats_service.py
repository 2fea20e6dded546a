"""Bookings for the office, without Telegram: /stats' facility lines, the monthly report and
the Bookings sheet, over a month of bookings whose figures are worked out by hand below.

November 2026 in Asia/Shanghai (the 1st is a Sunday), looked at on Friday the 20th, noon;
the clock starts on Saturday, October 31, 09:00.

3号楼's study room (自习室): mon-fri 16:00-21:00, 60-minute slots, 2 places, automatic.
  November has 21 weekdays (2-6, 9-13, 16-20, 23-27, 30): 21 × 5 h × 2 = 210 place-hours.
  Nov 2 16:00 张, checked in;   Nov 2 16:00 李 (R2), no check-in: a no-show.
  Nov 3 16:00 张, no check-in: a no-show.   Nov 4 17:00 李, cancelled.
  Nov 5 18:00 王 (R3), checked in.          Nov 30 20:00 张: not over yet, no no-show.
  Dec 1 16:00 李: December, not counted.
  => bookings 5, declined 0, cancelled 1; 5 of 210 place-hours (2%); no-shows 2.

5号楼's hall (活动室): Saturdays 09:00-12:00, 60-minute slots, 10 places, by approval.
  Saturdays 7, 14, 21, 28: 4 × 3 h × 10 = 120 place-hours.
  Oct 31 10:00 钱 (R4): October, not counted.
  Nov 7 09:00 钱 approved, no check-in (a no-show); Nov 7 10:00 钱 declined.
  => bookings 1, declined 1, cancelled 0; 1 of 120 place-hours (1%); no-shows 1.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.i18n import translator
from bot.reports.figures import RoomFigures, open_seconds, report_messages
from bot.reports.month import Month
from bot.services.bookings import parse_bookable
from bot.services.community import Actor
from bot.services.lockup import parse_facility
from tests.test_stats_service import (
    ADMIN,
    NOVEMBER,
    OWNER,
    R1,
    R2,
    R3,
    R4,
    Community,
    local,
    open_community,
    people,
)

HOUR = 3600.0
STUDY = "自习室 | mon-fri 16:00-21:00 | 60 | 2 | auto"
HALL = "活动室 | sat 09:00-12:00 | 60 | 10 | approval"


async def book(c: Community, user: int, facility: int, month: int, day: int, hour: int) -> int:
    booked = await c.services.bookings.book(
        Actor(user), facility, local(month, day, hour).timestamp(), f"test:{user}:{day}:{hour}"
    )
    return booked.booking.id


async def room(c: Community, building: int, spec: str) -> int:
    b = c.b3 if building == 3 else c.b5
    name = spec.split("|")[0].strip()
    facility = await c.services.lockup.add_facility(
        Actor(OWNER), b, parse_facility(f"{name} | daily 22:00 | 门锁好")
    )
    await c.services.bookings.make_bookable(Actor(OWNER), b, parse_bookable(spec))
    return facility.id


async def month_of_bookings(c: Community, check_in: bool) -> None:
    bookings = c.services.bookings
    study, hall = await room(c, 3, STUDY), await room(c, 5, HALL)
    await book(c, R4, hall, 10, 31, 10)

    c.at(local(11, 1, 12))
    came = [await book(c, R1, study, 11, 2, 16)]
    await book(c, R2, study, 11, 2, 16)
    await book(c, R1, study, 11, 3, 16)
    await bookings.cancel(Actor(R2), await book(c, R2, study, 11, 4, 17))
    came.append(await book(c, R3, study, 11, 5, 18))
    await bookings.decide(Actor(OWNER), await book(c, R4, hall, 11, 7, 9), approve=True)
    await bookings.decide(Actor(OWNER), await book(c, R4, hall, 11, 7, 10), approve=False,
                          reason="已有活动")
    if check_in:
        for booking_id, day, hour in zip(came, (2, 5), (16, 18), strict=True):
            c.at(local(11, day, hour, 5))
            await bookings.check_in(Actor(R1 if day == 2 else R3), booking_id)

    c.at(local(11, 20, 12))
    await book(c, R1, study, 11, 30, 20)
    await book(c, R2, study, 12, 1, 16)


async def community_with_bookings(folder: Path, check_in: bool) -> Community:
    c = await open_community(folder, booking={"check_in": check_in})
    await people(c)
    await month_of_bookings(c, check_in)
    return c


@pytest.fixture
async def checking_in(tmp_path: Path) -> AsyncIterator[Community]:
    c = await community_with_bookings(tmp_path, check_in=True)
    try:
        yield c
    finally:
        await c.db.close()


@pytest.fixture
async def without_check_in(tmp_path: Path) -> AsyncIterator[Community]:
    c = await community_with_bookings(tmp_path, check_in=False)
    try:
        yield c
    finally:
        await c.db.close()


async def test_each_facility_has_its_bookings_use_rate_and_no_shows(
    checking_in: Community,
) -> None:
    c = checking_in
    stats = await c.services.stats.figures([c.b3, c.b5], NOVEMBER)
    [study], [hall] = (row.rooms for row in stats.buildings)
    assert study == RoomFigures(facility="自习室", booked=5, declined=0, cancelled=1,
                                booked_seconds=5 * HOUR, offered_seconds=210 * HOUR,
                                no_shows=2)
    assert study.use_rate == pytest.approx(5 / 210)
    assert hall == RoomFigures(facility="活动室", booked=1, declined=1, cancelled=0,
                               booked_seconds=HOUR, offered_seconds=120 * HOUR, no_shows=1)
    assert hall.use_rate == pytest.approx(1 / 120)


async def test_without_check_in_no_shows_are_neither_counted_nor_shown(
    without_check_in: Community,
) -> None:
    c = without_check_in
    stats = await c.services.stats.figures([c.b3], NOVEMBER)
    [study] = stats.buildings[0].rooms
    assert (study.booked, study.cancelled, study.no_shows) == (5, 1, None)
    text = "\n".join(report_messages(translator("zh"), stats))
    assert "开放时段使用率 2%（210 人·小时中用了 5）" in text
    assert "未到" not in text


async def test_the_figures_show_a_line_pair_per_facility_under_its_building(
    checking_in: Community,
) -> None:
    c = checking_in
    stats = await c.services.stats.figures([c.b3, c.b5], NOVEMBER)
    text = "\n".join(report_messages(translator("zh"), stats))
    b3, rest = text.split("\n<b>5号楼</b>\n")
    b5, total = rest.split("\n<b>合计</b>\n")
    assert "📅 自习室：预约 5 · 已拒绝 0 · 已取消 1\n" in b3
    assert "开放时段使用率 2%（210 人·小时中用了 5）· 预约未到 2" in b3
    assert "志愿服务时长" in b3  # the hours line of #17 stays
    assert "📅 活动室：预约 1 · 已拒绝 1 · 已取消 0\n" in b5
    assert "开放时段使用率 1%（120 人·小时中用了 1）· 预约未到 1" in b5
    assert "📅" not in total  # facilities belong to one building
    english = "\n".join(report_messages(translator("en"), stats))
    assert "📅 自习室: bookings 5 · declined 0 · cancelled 1" in english
    assert "use of open hours 2% (5 of 210 place-hours) · no-shows 2" in english


async def test_another_month_counts_only_its_own_bookings(checking_in: Community) -> None:
    c = checking_in
    stats = await c.services.stats.figures([c.b3, c.b5], Month(2026, 10))
    [study], [hall] = (row.rooms for row in stats.buildings)
    assert (study.booked, study.no_shows, study.offered_seconds) == (0, 0, 22 * 5 * 2 * HOUR)
    # Five Saturdays; the 31st's booking waits for approval: it is not counted as booked.
    assert (hall.booked, hall.declined, hall.no_shows) == (0, 0, 0)
    assert hall.offered_seconds == 5 * 3 * 10 * HOUR


async def test_the_monthly_report_carries_the_facility_lines(checking_in: Community) -> None:
    c = checking_in
    await c.services.stats.plan_report()
    c.at(local(12, 1, 9, 1))
    assert await c.services.scheduler.run_due() >= 1
    [payload] = [row[0] for row in await c.db.fetch_all(
        "SELECT payload FROM outbox WHERE kind = 'stats_report' AND chat_id = ?", (ADMIN,))]
    assert "📅 自习室：预约 5 · 已拒绝 0 · 已取消 1" in payload
    assert "预约未到 1" in payload  # the hall
    assert "预约未到 3" in payload  # by now the study room's Nov 30 has passed too


async def test_the_bookings_sheet_lists_each_booking_and_sums_up_each_facility(
    checking_in: Community,
) -> None:
    c = checking_in
    content = await c.services.stats.export([c.b3, c.b5], NOVEMBER, translator("zh"))
    sheet = load_workbook(io.BytesIO(content))["预约"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("日期", "开始", "结束", "设施", "楼", "居民", "状态", "用途", "已签到")
    lines = [(str(r[0].date()), r[1].strftime("%H:%M"), r[2].strftime("%H:%M"), *r[3:])
             for r in rows[1:9]]
    assert lines == [
        ("2026-11-02", "16:00", "17:00", "自习室", "3号楼", "张", "已批准", None, "是"),
        ("2026-11-02", "16:00", "17:00", "自习室", "3号楼", "李", "已批准", None, "否"),
        ("2026-11-03", "16:00", "17:00", "自习室", "3号楼", "张", "已批准", None, "否"),
        ("2026-11-04", "17:00", "18:00", "自习室", "3号楼", "李", "已取消", None, None),
        ("2026-11-05", "18:00", "19:00", "自习室", "3号楼", "王", "已批准", None, "是"),
        ("2026-11-07", "09:00", "10:00", "活动室", "5号楼", "钱", "已批准", None, "否"),
        ("2026-11-07", "10:00", "11:00", "活动室", "5号楼", "钱", "已拒绝", None, None),
        ("2026-11-30", "20:00", "21:00", "自习室", "3号楼", "张", "已批准", None, None),
    ]  # Nov 30 is not over yet: neither here nor missed
    assert rows[9] == (None,) * 9
    assert rows[10] == ("设施", "楼", "预约", "拒绝", "取消", "已预约人·小时", "开放人·小时",
                        "开放时段使用率", "预约未到")
    assert rows[11] == ("自习室", "3号楼", 5, 0, 1, 5, 210, pytest.approx(5 / 210), 2)
    assert rows[12] == ("活动室", "5号楼", 1, 1, 0, 1, 120, pytest.approx(1 / 120), 1)
    assert sheet.cell(12, 8).number_format == "0%"
    assert len(rows) == 13
    assert sheet.auto_filter.ref == "A1:I9"  # the filter covers the bookings only


def test_open_hours_follow_the_wall_clock_across_summer_time() -> None:
    berlin = ZoneInfo("Europe/Berlin")  # clocks go forward on 2026-03-29 at 02:00
    every_day = [[0, 24 * 60]] * 7
    assert open_seconds(every_day, Month(2026, 3), berlin) == (31 * 24 - 1) * HOUR
    evenings = [[16 * 60, 21 * 60]] * 5 + [None, None]
    assert open_seconds(evenings, Month(2026, 3), berlin) == 22 * 5 * HOUR
    assert date(2026, 3, 1).weekday() == 6  # March 2026: 22 weekdays


async def test_a_facility_named_like_a_formula_stays_text_in_the_sheet(
    without_check_in: Community,
) -> None:
    c = without_check_in
    async with c.db.transaction() as tx:
        await tx.execute("UPDATE facilities SET name = '=1+1' WHERE name = '自习室'")
    content = await c.services.stats.export([c.b3], NOVEMBER, translator("en"))
    rows = list(load_workbook(io.BytesIO(content))["Bookings"].iter_rows(values_only=True))
    assert rows[1][3] == "'=1+1" and rows[-1][0] == "'=1+1"
    assert rows[-1][8] is None  # no no-shows without check-in
