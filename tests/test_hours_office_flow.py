"""Service hours for the office, end to end through the emulator: owners record hours, and
/stats shows them with the volunteers active, /leaderboard hours ranks them, /export has
the Hours sheet; and a roster shift served counts its hours without anyone asking."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook

from bot.services.stats import report_key
from tests.harness import ADMIN_ID, Harness
from tests.test_roster import LI as SHIFT_VOLUNTEER
from tests.test_roster import OWNER as SHIFT_OWNER
from tests.test_roster import go_to_next_monday_noon, live_until, set_up_building
from tests.test_stats import (
    GROUP3,
    GROUP5,
    LI,
    OWNER3,
    OWNER5,
    WANG,
    ZHANG,
    ask_stats,
    community,
    newest,
    this_month,
)


async def hours_recorded(harness: Harness) -> None:
    """The two buildings of tests/test_stats.py; 小李 has 2 make-up hours in 3号楼 and 老王
    1.5 in 5号楼."""
    await community(harness)
    await harness.say(OWNER3, GROUP3, f"/hours add @u{LI} 2 打扫楼道", expect="记录")
    await harness.say(OWNER5, GROUP5, f"/hours add @u{WANG} 1.5 整理图书角", expect="记录")
    await harness.settle()


async def test_stats_show_the_hours_given_and_the_volunteers_active(harness: Harness) -> None:
    await hours_recorded(harness)
    own = await ask_stats(harness, OWNER3, OWNER3)
    assert "⏳ 志愿服务时长：2 小时 · 活跃志愿者：1/1（100%）" in own
    every = await ask_stats(harness, ADMIN_ID, ADMIN_ID)
    three, rest = every.split("\n3号楼\n")[1].split("\n5号楼\n")
    five, total = rest.split("\n合计\n")
    assert "⏳ 志愿服务时长：2 小时" in three and "⏳ 志愿服务时长：1.5 小时" in five
    assert "⏳ 志愿服务时长：3.5 小时 · 活跃志愿者：2/2（100%）" in total
    last_month = this_month(harness).previous().key
    earlier = await ask_stats(harness, OWNER3, OWNER3, f"/stats {last_month}")
    assert "⏳ 志愿服务时长：0 小时 · 活跃志愿者：0/0（—）" in earlier


async def test_the_hours_ranking_for_a_group_a_building_named_and_the_community(
    harness: Harness,
) -> None:
    await hours_recorded(harness)
    here = await harness.say(ZHANG, GROUP3, "/leaderboard hours", expect="志愿服务时长")
    assert "本月志愿服务时长：3号楼" in here.text
    assert "🥇 小李 — 2 小时" in here.text and "老王" not in here.text
    everyone = await harness.say(LI, LI, "/leaderboard hours", expect="志愿服务时长")
    lines = everyone.text.splitlines()
    assert lines[1:3] == ["🥇 小李 — 2 小时", "🥈 老王 — 1.5 小时"]
    five = await harness.say(LI, LI, "/leaderboard 时长 5号楼", expect="志愿服务时长")
    assert "🥇 老王 — 1.5 小时" in five.text and "小李" not in five.text
    whole = await harness.say(ZHANG, GROUP3, "/leaderboard hours 社区", expect="志愿服务时长")
    assert "🥈 老王 — 1.5 小时" in whole.text
    points = await harness.say(LI, LI, "/leaderboard", expect="优秀志愿者")
    assert "积分" in points.text and "小时" not in points.text
    unknown = await harness.say(LI, LI, "/leaderboard hours 9号楼", expect="9号楼")
    assert "志愿服务时长" not in unknown.text
    assert not here.buttons and not everyone.buttons  # a volunteer may look, not post
    helped = await harness.say(ZHANG, ZHANG, "/help", expect="/leaderboard")
    assert "/leaderboard 时长" in helped.text


async def test_an_owner_posts_the_hours_ranking_in_the_group_once(harness: Harness) -> None:
    await hours_recorded(harness)
    reply = await harness.say(OWNER3, OWNER3, "/leaderboard hours", expect="志愿服务时长")
    assert "🥈 老王 — 1.5 小时" in reply.text  # the community's; a button for their group
    post = dict(reply.buttons)["📣 在 3号楼 发布排行榜"]
    assert "5号楼" not in str(reply.buttons)
    refused = await harness.press(LI, OWNER3, reply.message_id, str(post))
    assert "只有群管理员（楼栋负责人）" in refused
    answer = await harness.press(OWNER3, OWNER3, reply.message_id, str(post))
    assert "已在 3号楼 发布" in answer
    again = await harness.press(OWNER3, OWNER3, reply.message_id, str(post))
    assert "已经在 3号楼 发布过了" in again
    await harness.settle()
    posted = [m for m in harness.emu.sent(GROUP3) if "本月志愿服务时长" in m.text]
    assert len(posted) == 1 and "🥇 小李 — 2 小时" in posted[0].text
    assert "本月志愿服务时长：3号楼" in posted[0].text and "老王" not in posted[0].text
    assert posted[0].reply_to_message_id is None


async def test_export_has_the_hours_sheet(harness: Harness) -> None:
    await hours_recorded(harness)
    await harness.say(ADMIN_ID, ADMIN_ID, "/export", expect="数据")
    document = newest(harness, ADMIN_ID, "document")
    assert document.file_bytes is not None and "志愿服务时长" in document.text
    book = load_workbook(io.BytesIO(document.file_bytes))
    assert book.sheetnames[-2:] == ["时长", "预约"]
    rows = [row[2:] for row in book["时长"].iter_rows(min_row=2, values_only=True)]
    assert rows == [("小李", "3号楼", "补录", 2, "打扫楼道"),
                    ("老王", "5号楼", "补录", 1.5, "整理图书角")]
    summary = {row[0]: row[1:] for row in book["汇总"].iter_rows(min_row=3, values_only=True)}
    assert summary["志愿服务时长（小时）"] == (2, 1.5, 3.5)


async def test_a_shift_served_counts_hours_on_the_volunteers_record(harness: Harness) -> None:
    monday = go_to_next_monday_noon(harness)
    await set_up_building(harness)
    await harness.say(SHIFT_OWNER, SHIFT_OWNER, "/roster add mon 18:00-20:40 @li", expect="好了")
    await live_until(harness, monday.replace(hour=21), [SHIFT_VOLUNTEER])
    rows = await harness.db.fetch_all(
        "SELECT user_id, minutes, origin, served_at FROM hours_entries")
    starts = monday.replace(hour=18).timestamp()
    assert [tuple(row) for row in rows] == [(SHIFT_VOLUNTEER, 150, "shift", starts)]
    record = await harness.say(SHIFT_VOLUNTEER, SHIFT_VOLUNTEER, "/hours", expect="志愿服务时长")
    assert "值班 18:00–20:40，3号楼：2.5 小时" in record.text
    # A week later the same shift is served again: a new entry, the first one unchanged.
    await live_until(harness, monday + timedelta(days=7, hours=9), [SHIFT_VOLUNTEER])
    minutes = await harness.value("SELECT sum(minutes) FROM hours_entries")
    assert minutes == 300


async def test_the_monthly_report_carries_the_hours_to_the_admins(harness: Harness) -> None:
    await hours_recorded(harness)
    month = this_month(harness)
    job = await harness.bot.services.scheduler.repo.get(report_key(month))
    assert job is not None
    harness.clock.advance(job.due_at - harness.clock.now() + 60)  # the 1st, 09:01
    await harness.bot.services.scheduler.run_due()
    await harness.settle(timeout=20)
    [report] = [m.text for m in harness.emu.sent(ADMIN_ID) if f"{month.key} 数据" in m.text]
    three, total = report.split("\n3号楼\n")[1], report.split("\n合计\n")[1]
    assert "⏳ 志愿服务时长：2 小时 · 活跃志愿者：1/1（100%）" in three
    assert "⏳ 志愿服务时长：3.5 小时 · 活跃志愿者：2/2（100%）" in total
