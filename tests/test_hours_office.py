"""Service hours for the office, without Telegram: the month's hours in /stats and the
monthly report, the Hours sheet of /export, /leaderboard hours, and the hours a shift
served and a request done count.

The figures use the community of tests/test_stats_service.py (November 2026, Shanghai
time): 3号楼's volunteers are 小周 (V1) and 小吴 (V2); 5号楼's are 小郑 (V3) and 小周.
On top of it, these hours:

  V1  Nov 5   a shift served in 3号楼, 3 h                       → 3号楼
  V1  Nov 15  checked in and out of an activity of no building, 2 h → 3号楼 and 5号楼
              (小周 serves both), counted once in the total
  V3  Nov 14  1.5 make-up hours in 5号楼, corrected to 1 h          → 5号楼
  V2  Oct 31  a shift, 1 h; V3 Dec 2, 1 h                          → other months
  => 3号楼: 3 + 2 = 5 h, active 小周 of 2 volunteers (50%);
     5号楼: 2 + 1.5 - 0.5 = 3 h, active 小周 and 小郑 of 2 (100%);
     total: 3 + 2 + 1 = 6 h, active 2 of 3 volunteers.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.app import build_application, open_services
from bot.clock import FakeClock
from bot.config import load_settings
from bot.context import Services
from bot.domain.core import Building, User
from bot.errors import LinliError
from bot.i18n import translator
from bot.reports.figures import figure_rows, figures_text, report_messages
from bot.services.community import Actor
from tests.test_stats_service import (
    NOVEMBER,
    OWNER,
    V1,
    V2,
    V3,
    Community,
    events,
    local,
    lockups,
    november_requests,
    october,
    open_community,
    people,
    redemption,
)

ZH = translator("zh")


async def user(c: Community | Services, user_id: int) -> User:
    users = c.services.users if isinstance(c, Community) else c.users
    found = await users.get(user_id)
    assert found is not None
    return found


async def attend(c: Community, user_id: int, building_id: int | None, title: str,
                 starts: datetime, minutes: int) -> int:
    """A check-in window and someone's check-in at its start; returns the attendance's id."""
    repo = c.services.hours.repo
    start = starts.timestamp()
    async with c.db.transaction() as tx:
        activity = await repo.add_activity(tx, {
            "ref": f"test:{title}:{user_id}", "title": title, "organiser_id": OWNER,
            "code": f"{user_id:06d}", "opens_at": start - 1800, "starts_at": start,
            "ends_at": start + minutes * 60, "created_at": start - 3600,
        })
        assert activity is not None
        assert await repo.check_in(tx, activity.id, user_id, building_id, start)
    attendance = await repo.attendance(c.db, activity.id, user_id)
    assert attendance is not None
    return attendance.id


async def shift(c: Community, user_id: int, day: datetime, minutes: int, building: Building,
                ) -> None:
    async with c.db.transaction() as tx:
        assert await c.services.hours.record_work_in(
            tx, user_id, "shift", minutes, f"值班，{building.name}", day.timestamp(),
            f"shift:test:{day.date()}:{user_id}", building.id)


async def november_hours(c: Community) -> None:
    hours = c.services.hours
    await shift(c, V1, local(11, 5, 18), 180, c.b3)
    await shift(c, V2, local(10, 31, 18), 60, c.b3)
    await shift(c, V3, local(12, 2, 9), 60, c.b5)
    c.at(local(11, 14, 10))
    made = await hours.add_makeup(Actor(OWNER), await user(c, V3), "1.5", "整理物资", "makeup:v3")
    await attend(c, V1, None, "健康讲座", local(11, 15, 18), 120)
    c.at(local(11, 15, 20))
    assert (await hours.check_out(Actor(V1))).minutes == 120
    c.at(local(11, 16, 10))
    await hours.correct(Actor(OWNER), made.line.entry.id, "1", "记多了", "fix:v3")


@pytest.fixture
async def office(tmp_path: Path) -> AsyncIterator[Community]:
    built = await open_community(tmp_path)
    for step in (people, october, november_requests, lockups, events, redemption,
                 november_hours):  # the clock never goes back: the steps in time order
        await step(built)
    built.at(local(11, 20, 12))
    try:
        yield built
    finally:
        await built.db.close()


async def test_the_month_hours_and_active_volunteers_match_the_hand_count(
    office: Community,
) -> None:
    c = office
    stats = await c.services.stats.figures([c.b3, c.b5], NOVEMBER)
    b3, b5 = (row.figures for row in stats.buildings)
    assert (b3.hours_minutes, b3.active_volunteers, b3.volunteers, b3.active_share) == (
        300, 1, 2, 0.5)
    assert (b5.hours_minutes, b5.active_volunteers, b5.volunteers, b5.active_share) == (
        180, 2, 2, 1.0)
    total = stats.total
    assert (total.hours_minutes, total.active_volunteers, total.volunteers) == (360, 2, 3)
    assert total.active_share == pytest.approx(2 / 3)
    assert total.points_earned == 27  # hours leave the points alone

    assert "⏳ 志愿服务时长：5 小时 · 活跃志愿者：1/2（50%）" in figures_text(
        ZH, "3号楼", b3, stats.escalate_minutes)
    report = "\n".join(report_messages(ZH, stats))  # what the monthly report queues
    assert "⏳ 志愿服务时长：6 小时 · 活跃志愿者：2/3（67%）" in report.split("合计")[1]
    rows = {label: value for label, value, _share in figure_rows(ZH, b5)}
    assert (rows["志愿服务时长（小时）"], rows["活跃志愿者"], rows["活跃志愿者占比"]) == (3, 2, 1.0)


async def test_a_check_in_alone_makes_a_volunteer_active(office: Community) -> None:
    c = office
    await attend(c, V2, c.b3.id, "包饺子", local(11, 18, 10), 60)  # still checked in
    stats = await c.services.stats.figures([c.b3], NOVEMBER)
    assert (stats.total.hours_minutes, stats.total.active_volunteers) == (300, 2)
    figures = (await c.services.stats.figures([c.b3, c.b5], NOVEMBER)).total
    assert (figures.hours_minutes, figures.active_volunteers) == (360, 3)


async def test_an_other_month_counts_no_hours(office: Community) -> None:
    stats = await office.services.stats.figures([office.b3, office.b5], NOVEMBER.previous())
    assert (stats.total.hours_minutes, stats.total.active_volunteers) == (60, 1)  # V2, Oct 31


async def test_the_month_reads_hours_from_the_new_index(office: Community) -> None:
    plan = await office.db.fetch_all(
        "EXPLAIN QUERY PLAN SELECT user_id, building_id, minutes FROM hours_entries "
        "WHERE served_at >= ? AND served_at < ?", (0, 1))
    details = " ".join(row["detail"] for row in plan)
    assert "COVERING INDEX hours_entries_served" in details, details


async def test_the_hours_sheet_lists_each_entry_with_its_kind(office: Community) -> None:
    c = office
    content = await c.services.stats.export([c.b3, c.b5], NOVEMBER, ZH)
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames[-2:] == ["时长", "预约"]
    sheet = book["时长"]
    assert [cell.value for cell in sheet[1]] == [
        "编号", "日期", "志愿者", "楼", "类型", "时长", "活动或原因"]
    rows = [row[1:] for row in sheet.iter_rows(min_row=2, values_only=True)]
    makeup_id = sheet.cell(3, 1).value
    assert rows == [
        (datetime(2026, 11, 5), "小周", "3号楼", "值班", 3, "值班，3号楼"),
        (datetime(2026, 11, 14), "小郑", "5号楼", "补录", 1.5, "整理物资"),
        (datetime(2026, 11, 14), "小郑", "5号楼", "更正", -0.5, f"#{makeup_id}：记多了"),
        (datetime(2026, 11, 15), "小周", None, "签到记录", 2, "健康讲座"),
    ]
    summary = {row[0]: row[1:] for row in book["汇总"].iter_rows(min_row=3, values_only=True)}
    assert summary["志愿服务时长（小时）"] == (5, 3, 6)
    assert summary["活跃志愿者"] == (1, 2, 2)
    assert summary["活跃志愿者占比"] == pytest.approx((0.5, 1.0, 2 / 3))

    only3 = load_workbook(io.BytesIO(await c.services.stats.export([c.b3], NOVEMBER, ZH)))
    names = [row[2] for row in only3["时长"].iter_rows(min_row=2, values_only=True)]
    assert names == ["小周", "小周"]  # 小郑's make-up is 5号楼's


async def test_the_hours_ranking_of_the_month_for_a_building_and_the_community(
    office: Community,
) -> None:
    c = office
    hours = c.services.hours

    async def ranking(building: Building | None, month: str = "2026-11") -> list[tuple[int, int]]:
        board = await hours.leaderboard(building)
        assert board.month == month
        return [(s.user.id, s.minutes) for s in board.standings]

    assert await ranking(None) == [(V1, 300), (V3, 60)]
    assert await ranking(c.b3) == [(V1, 300)]  # 小吴's hours were in October
    assert await ranking(c.b5) == [(V1, 300), (V3, 60)]
    c.at(local(12, 5, 12))
    assert await ranking(None, "2026-12") == [(V3, 60)]


# --- a request done ------------------------------------------------------------------------


@pytest.fixture
async def neighbours(tmp_path: Path) -> AsyncIterator[Community]:
    c = await open_community(tmp_path)
    await people(c)
    c.at(local(11, 10, 9))
    try:
        yield c
    finally:
        await c.db.close()


async def done_request(c: Community, message: int) -> int:
    number = await c.request(c.b3, 21, "repair the kitchen tap leaks", message)
    await c.services.requests.claim(number, Actor(V1))
    c.clock.advance(3600)
    await c.services.requests.finish(number, Actor(V1))
    return number


async def request_hours(c: Community) -> list[tuple[object, ...]]:
    rows = await c.db.fetch_all(
        "SELECT user_id, minutes, origin, content, building_id, source, served_at "
        "FROM hours_entries ORDER BY id")
    return [tuple(row) for row in rows]


async def test_a_request_done_counts_hours_once_when_the_config_says_so(
    neighbours: Community,
) -> None:
    c = neighbours
    c.services.settings.hours.count_requests = True
    number = await done_request(c, 1)
    done_at = local(11, 10, 10).timestamp()
    expected = (V1, 60, "request", f"求助 #{number}（维修）", c.b3.id, f"request:{number}",
                done_at)
    assert await request_hours(c) == [expected]
    with pytest.raises(LinliError):
        await c.services.requests.finish(number, Actor(V1))  # done already
    async with c.db.transaction() as tx:  # the same request again pays nothing
        assert not await c.services.hours.record_work_in(
            tx, V1, "request", 60, "again", done_at, f"request:{number}", c.b3.id)
    assert await request_hours(c) == [expected]
    assert await c.db.fetch_value(
        "SELECT count(*) FROM ledger WHERE source = ?", (f"request:{number}",)) == 1


async def test_a_request_done_counts_no_hours_by_default(neighbours: Community) -> None:
    c = neighbours
    assert c.services.settings.hours.count_requests is False
    number = await done_request(c, 1)
    assert await request_hours(c) == []
    assert await c.db.fetch_value(
        "SELECT count(*) FROM ledger WHERE source = ?", (f"request:{number}",)) == 1


# --- a shift served --------------------------------------------------------------------------


MONDAY = datetime(2026, 11, 23, 12, 0, tzinfo=local(11, 1).tzinfo)
LI, WANG = 11, 12


@pytest.fixture
async def roster_services(tmp_path: Path) -> AsyncIterator[Services]:
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    settings = load_settings(config, telegram={"token": "123456:TEST"},
                             database={"path": str(tmp_path / "linli.db")},
                             community={"admins": [900]})
    opened = await open_services(settings, FakeClock(MONDAY), build_application(settings))
    yield opened
    await opened.db.close()


async def served_shift(services: Services, start: int, end: int) -> Building:
    """3号楼 with 小李 and 老王 on Monday's shift from ``start`` to ``end`` (minutes); the
    clock moves past its end and the handover job runs."""
    now = services.clock.now()
    async with services.db.transaction() as tx:
        await services.chats.upsert(tx, -100, "supergroup", "3号楼", now)
        for user_id, name in ((OWNER, "王主任"), (LI, "小李"), (WANG, "老王")):
            await services.users.upsert(tx, user_id, name, None, f"u{user_id}", None, now)
    building = (await services.community.setup(-100, "3号楼", OWNER)).building
    await services.community.store_admins(-100, [OWNER])
    volunteers = [await user(services, LI), await user(services, WANG)]
    for volunteer in volunteers:
        await services.community.add_volunteer(building, volunteer, [])
    await services.roster.add_shift(Actor(OWNER), building, 0, start, end, volunteers)
    clock = services.clock
    assert isinstance(clock, FakeClock)
    midnight = MONDAY.replace(hour=0).timestamp()
    for due in (midnight + (start - 30) * 60, midnight + end * 60):
        clock.advance(due + 1 - clock.now())  # the reminder, then the handover
        await services.scheduler.run_due()
    return building


async def shift_hours(services: Services) -> list[tuple[object, ...]]:
    rows = await services.db.fetch_all(
        "SELECT user_id, minutes, kind, origin, content, building_id, served_at, cap_minutes "
        "FROM hours_entries ORDER BY user_id")
    return [tuple(row) for row in rows]


async def test_a_shift_served_counts_its_length_rounded_by_the_rule_once(
    roster_services: Services,
) -> None:
    services = roster_services
    building = await served_shift(services, 18 * 60, 20 * 60 + 40)  # 2 h 40 min → 2.5 h
    starts = MONDAY.replace(hour=18).timestamp()
    content = "值班 18:00–20:40，3号楼"
    assert await shift_hours(services) == [
        (LI, 150, "recorded", "shift", content, building.id, starts, 150),
        (WANG, 150, "recorded", "shift", content, building.id, starts, 150),
    ]
    source = await services.db.fetch_value("SELECT source FROM hours_entries WHERE user_id = ?",
                                           (LI,))
    assert source == await services.db.fetch_value(
        "SELECT source FROM ledger WHERE user_id = ? AND reason = 'shift_served'", (LI,))
    async with services.db.transaction() as tx:  # the handover again: nothing more
        assert not await services.hours.record_work_in(
            tx, LI, "shift", 150, content, starts, str(source), building.id)
    assert len(await shift_hours(services)) == 2
    assert (await services.hours.repo.totals(services.db, LI)).recorded == 150


async def test_a_shift_counts_no_hours_when_the_config_turns_it_off(
    roster_services: Services,
) -> None:
    services = roster_services
    services.settings.hours.count_shifts = False
    await served_shift(services, 18 * 60, 22 * 60)
    assert await shift_hours(services) == []
    assert await services.db.fetch_value(
        "SELECT count(*) FROM ledger WHERE reason = 'shift_served'") == 2  # points still
