"""The study-room lock-up end to end: the owner adds the facility, volunteers tick the
checklist and report (on time with a photo, late with a line of text), a missing report is
escalated to the owners, and /lockups shows the history."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.core import Building
from bot.domain.lockups import Facility, FacilityLockup, HistoryEntry, Lockup
from bot.i18n import translator
from bot.views import lockup as views
from tests.harness import Harness
from tests.test_roster import (
    GROUP,
    LI,
    OWNER,
    RESIDENT,
    WANG,
    ZHAO,
    buttons,
    go_to,
    go_to_next_monday_noon,
    live_until,
    saying,
    set_up_building,
    tap,
    text_of,
)

CHECKLIST = ("窗户关好", "灯关了", "门锁好")


async def set_up_study_room(harness: Harness) -> None:
    await set_up_building(harness)
    await harness.say(OWNER, OWNER, "/roster add mon 18:00-22:00 @li", expect="好了")
    await harness.say(OWNER, OWNER, "/roster add tue 18:00-22:00 @wang", expect="好了")
    command = "/facility add 自习室 | mon-fri 21:00 | " + "，".join(CHECKLIST)
    added = await harness.say(OWNER, OWNER, command, expect="好了")
    assert "自习室：关门时间 周一–周五 21:00" in added.text


async def tick_everything(harness: Harness, user_id: int) -> int:
    """/lockup and tick each item; returns the checklist message id."""
    checklist = await harness.say(user_id, user_id, "/lockup", expect="每检查完一项请勾选")
    assert buttons(harness, checklist) == [*(f"☐ {item}" for item in CHECKLIST), "⚠️ 报告问题"]
    for item in CHECKLIST:
        await tap(harness, user_id, checklist, f"☐ {item}")
    assert "全部检查完毕" in text_of(harness, checklist)
    return checklist.message_id


async def test_lockups_on_time_late_and_missing(harness: Harness) -> None:
    monday = go_to_next_monday_noon(harness)
    await set_up_study_room(harness)

    # Monday: nobody reports by 21:20; Li, on duty at closing time, is reminded; she reports late.
    arrivals = await live_until(harness, monday.replace(hour=21, minute=30), [LI, WANG, OWNER])
    assert saying(arrivals, LI, "还没有人报告锁门") == ["Mon 21:20"]
    assert saying(arrivals, WANG, "还没有人报告锁门") == []  # not on duty then
    await tick_everything(harness, LI)
    done = await harness.say(LI, LI, "窗户都关了，明天见", expect="谢谢")
    assert "已标记为迟报：关门时间是 21:00" in done.text
    await harness.settle()
    report = harness.emu.sent(GROUP)[-1]
    assert "🔒 自习室已锁门。Li，21:30。" in report.text
    assert "☑ 窗户关好" in report.text and "⚠️ 迟报" in report.text and "明天见" in report.text

    # Tuesday: Wang reports on time, with a photo.
    arrivals = await live_until(harness, monday + timedelta(days=1, hours=8, minutes=55),
                                [WANG, OWNER])
    await tick_everything(harness, WANG)
    harness.emu.user_sends_photo(WANG, WANG, caption="一切正常")
    await harness.settle()
    photo = harness.emu.sent(GROUP)[-1]
    assert photo.kind == "photo" and "Wang，20:55" in photo.text and "迟报" not in photo.text
    assert "一切正常" in photo.text

    # Wednesday: nobody; every volunteer is reminded (no shift), then the owner is told.
    arrivals += await live_until(harness, monday + timedelta(days=2, hours=10),
                                 [LI, WANG, ZHAO, OWNER])
    assert saying(arrivals, ZHAO, "还没有人报告锁门") == ["Wed 21:20"]
    assert saying(arrivals, OWNER, "🚨") == ["Wed 21:40"]
    assert saying(arrivals, OWNER, "🚨") == saying(arrivals, OWNER, "自习室")  # only Wednesday's

    history = await harness.say(LI, LI, "/lockups", expect="锁门记录")
    lines = history.text.splitlines()
    assert any("自习室：❌ 缺报" in line for line in lines)
    assert any("自习室：✅ 按时，20:55，Wang" in line for line in lines)
    assert any("自习室：⚠️ 迟报，21:30，Li" in line for line in lines)
    rows = await harness.db.fetch_all("SELECT late, status FROM lockups ORDER BY day")
    assert [(row[0], row[1]) for row in rows] == [(1, "reported"), (0, "reported"), (0, "open")]
    paid = await harness.db.fetch_all(
        "SELECT user_id, amount, reason FROM ledger WHERE reason = 'lockup_on_time'")
    assert [tuple(row) for row in paid] == [(WANG, 3, "lockup_on_time")]  # the late one: none


async def test_lockup_refusals_change_nothing(harness: Harness) -> None:
    monday = go_to_next_monday_noon(harness)
    await set_up_study_room(harness)
    await harness.say(LI, GROUP, "/lockup", expect="私聊")
    await harness.say(RESIDENT, RESIDENT, "/lockup", expect="您还不是任何楼栋的志愿者")
    await harness.say(WANG, WANG, "/facility add 健身房 | 22:00 | 关灯", expect="管理员")
    await harness.say(OWNER, OWNER, "/facility add 健身房 | never | 关灯", expect="请这样写")
    await harness.say(OWNER, OWNER, "/facility add 自习室 | 22:00 | 关灯", expect="已经有")
    assert await harness.value("SELECT count(*) FROM facilities") == 1

    go_to(harness, monday.replace(hour=20, minute=50))
    checklist = await harness.say(LI, LI, "/lockup", expect="每检查完一项请勾选")
    await tap(harness, LI, checklist, "☐ 窗户关好")
    await tap(harness, LI, checklist, "☑ 窗户关好")  # unticked again
    assert buttons(harness, checklist)[0] == "☐ 窗户关好"
    forged = await harness.press(LI, LI, checklist.message_id, "lockup:tick:99:0")
    assert "不存在" in forged
    sent_before = len(harness.emu.sent(LI))
    harness.emu.user_sends(LI, LI, "随便说一句")  # no finished checklist: not a report
    await harness.settle()
    # issue 16: plain words in private now get the offer of a help request, nothing else
    later = harness.emu.sent(LI)[sent_before:]
    assert len(later) == 1 and "发给志愿者" in later[0].text and "锁门" not in later[0].text
    assert await harness.value("SELECT status FROM lockups") == "open"
    for item in CHECKLIST:
        await tap(harness, LI, checklist, f"☐ {item}")
    await tap(harness, LI, checklist, "📤 直接发布")
    assert "谢谢" in text_of(harness, checklist)
    assert "🔒 自习室已锁门。Li，20:50。" in harness.emu.sent(GROUP)[-1].text
    await harness.say(WANG, WANG, "/lockup", expect="已在 20:50 报告过了")


async def test_a_resident_is_told_lockups_are_for_volunteers_not_that_there_is_no_facility(
    harness: Harness,
) -> None:
    await set_up_study_room(harness)
    await harness.say(RESIDENT, RESIDENT, "/start")
    refusal = await harness.say(RESIDENT, RESIDENT, "/lockup", expect="志愿者")
    assert "您还不是任何楼栋的志愿者" in refusal.text and "没有" not in refusal.text
    assert await harness.value("SELECT count(*) FROM lockups") == 0


def test_the_lockup_views_show_the_checklist_the_report_and_the_history() -> None:
    """Pure views: ticks as buttons, the report with its photo, one history line."""
    tz = ZoneInfo("Asia/Shanghai")
    closing = datetime(2026, 11, 23, 21, 0, tzinfo=tz).timestamp()
    building = Building(id=3, chat_id=-100, name="3号楼")
    facility = Facility(id=4, building_id=3, name="自习室",
                        closing="[1260, 1260, 1260, 1260, 1260, null, null]",
                        checklist='["窗", "门"]')
    assert views.closing_text(translator("en"), facility.closing) == "Mon–Fri 21:00"
    lockup = Lockup(id=9, facility_id=4, day="2026-11-23", closing_at=closing, status="open",
                    ticked=0b01)
    t = translator("en")
    sheet = views.checklist(t, FacilityLockup(building, facility, lockup), tz)
    assert "closing time 11-23 21:00" in sheet.text
    assert [(row[0].label, row[0].data) for row in sheet.buttons] == [
        ("☑ 窗", "lockup:tick:9:0:0"), ("☐ 门", "lockup:tick:9:1:1"),
        ("⚠️ Report a problem", "lockup:problem:9"),
    ]
    done = lockup.model_copy(update={
        "status": "reported", "ticked": 0b11, "user_id": 11, "reported_at": closing + 1800,
        "late": True, "note": "<ok>", "photo": "PHOTO-ID",
    })
    report = views.report(t, FacilityLockup(building, facility, done), "Li", tz)
    assert report.method == "sendPhoto" and report.send_params()["photo"] == "PHOTO-ID"
    assert report.text.splitlines() == [
        "🔒 自习室 is locked up. Li, 21:30.", "☑ 窗", "☑ 门",
        "⚠️ Late: closing time was 21:00.", "💬 &lt;ok&gt;",
    ]
    line = views.history_line(t, HistoryEntry(facility, done, "late", "Li"), tz)
    assert line == "11-23 自习室: ⚠️ late, 21:30, Li"
