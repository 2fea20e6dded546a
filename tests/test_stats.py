"""/stats, /export, the monthly report and `linli export`, end to end: the real bot against
the Bot API emulator, with two buildings whose owners see only their own."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook
from PIL import Image

from bot.emulator import SentMessage
from bot.reports.chart import DPI, HEIGHT, WIDTH
from bot.reports.month import Month
from bot.services.stats import report_key
from tests.harness import ADMIN_ID, Harness

GROUP3, GROUP5 = -100, -200
OWNER3, OWNER5 = 1, 3  # the Telegram admins of each group
ZHANG, QIAN = 2, 4  # residents
LI, WANG = 11, 12  # volunteers
NAMES = {OWNER3: "王主任", OWNER5: "赵主任", ZHANG: "张阿姨", QIAN: "钱大爷", LI: "小李",
         WANG: "老王", ADMIN_ID: "社区办"}


async def community(harness: Harness) -> None:
    """3号楼 and 5号楼, each with its owner, a resident and a volunteer; 张阿姨's leaking tap
    was fixed by 小李, and 钱大爷's stair light waits for a volunteer."""
    emu = harness.emu
    for user_id, name in NAMES.items():
        emu.add_user(user_id, name, username=f"u{user_id}")
    emu.add_group(GROUP3, "3号楼", members=[ZHANG, LI], admins=[OWNER3], bot_admin=True)
    emu.add_group(GROUP5, "5号楼", members=[QIAN, WANG], admins=[OWNER5], bot_admin=True)
    for user_id in (OWNER3, OWNER5, LI, WANG, ADMIN_ID):
        await harness.say(user_id, user_id, "/start")
    for owner, group, name, volunteer in ((OWNER3, GROUP3, "3号楼", LI),
                                          (OWNER5, GROUP5, "5号楼", WANG)):
        await harness.say(owner, group, f"/setup {name}", expect=name)
        await harness.say(owner, group, f"/volunteer @u{volunteer}", expect="志愿者")
    await harness.say(ZHANG, GROUP3, "/request 厨房水龙头漏水了", expect="#1")
    await harness.say(QIAN, GROUP5, "/request 楼道灯坏了", expect="#2")
    await harness.say(LI, LI, "/claim 1", expect="#1")
    await harness.say(LI, LI, "/done 1 换了垫圈", expect="#1")
    await harness.settle()


async def linli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The ``linli`` command, as the office runs it."""
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "bot", *args], capture_output=True, text=True,
        timeout=120, env=env,
    )


def this_month(harness: Harness) -> Month:
    return Month.of(harness.clock.now(), harness.settings.community.tz)


async def ask_stats(harness: Harness, user: int, chat: int, text: str = "/stats") -> str:
    """Someone asks for the figures; returns every message of the answer but the chart."""
    before = len(harness.emu.sent(chat))
    await harness.say(user, chat, text, expect="数据")
    await harness.settle()
    return "\n".join(m.text for m in harness.emu.sent(chat)[before:] if m.kind == "text")


def newest(harness: Harness, chat: int, kind: str) -> SentMessage:
    found = [m for m in harness.emu.sent(chat) if m.kind == kind]
    assert found, f"no {kind} in chat {chat}: {harness.texts(chat)}"
    return found[-1]


def assert_chart(message: SentMessage) -> None:
    """A PNG of the expected size."""
    assert message.file_bytes is not None and message.file_bytes.startswith(b"\x89PNG")
    image = Image.open(io.BytesIO(message.file_bytes))
    assert image.format == "PNG" and image.size == (WIDTH * DPI, HEIGHT * DPI)
    assert "认领用时" in message.text


async def test_an_owner_gets_the_figures_and_chart_of_their_own_building(
    harness: Harness,
) -> None:
    await community(harness)
    text = await ask_stats(harness, OWNER3, OWNER3)
    assert f"{this_month(harness).key} 数据" in text
    assert "\n3号楼\n" in text and "5号楼" not in text and "合计" not in text
    assert "新求助：1 · 已完成：1 · 已取消：0 · 未完成：0" in text
    assert "已知人数：3 · 志愿者：1（33%）" in text  # 王主任 (spoke in the group), 张阿姨, 小李
    assert "获得积分：10" in text
    assert_chart(newest(harness, OWNER3, "photo"))


async def test_a_community_admin_sees_every_building_and_the_total(harness: Harness) -> None:
    await community(harness)
    text = await ask_stats(harness, ADMIN_ID, ADMIN_ID)
    assert "\n3号楼\n" in text and "\n5号楼\n" in text and "\n合计\n" in text
    total = text.split("\n合计\n")[1]
    assert "新求助：2 · 已完成：1 · 已取消：0 · 未完成：1" in total
    assert "已知人数：6 · 志愿者：2（33%）" in total
    assert_chart(newest(harness, ADMIN_ID, "photo"))


async def test_in_a_group_its_owner_sees_that_building(harness: Harness) -> None:
    await community(harness)
    text = await ask_stats(harness, OWNER5, GROUP5)
    assert "\n5号楼\n" in text and "3号楼" not in text
    assert "新求助：1 · 已完成：0 · 已取消：0 · 未完成：1" in text
    assert_chart(newest(harness, GROUP5, "photo"))


async def test_residents_volunteers_and_other_owners_are_refused(harness: Harness) -> None:
    await community(harness)
    sent_before = {chat: len(harness.emu.sent(chat)) for chat in (GROUP3, LI, OWNER5)}
    for user, chat in ((ZHANG, GROUP3), (LI, LI), (OWNER5, GROUP3)):
        refusal = await harness.say(user, chat, "/stats", expect="管理员")
        assert "只有" in refusal.text
    refusal = await harness.say(LI, LI, "/export", expect="管理员")
    await harness.settle()
    for chat in (GROUP3, LI):
        new = harness.emu.sent(chat)[sent_before[chat]:]
        assert all(m.kind == "text" and "数据" not in m.text for m in new)


async def test_a_bad_month_gets_the_right_form_and_a_month_to_come_is_refused(
    harness: Harness,
) -> None:
    await community(harness)
    reply = await harness.say(OWNER3, OWNER3, "/stats next month", expect="2026-10")
    assert "月份请写成" in reply.text
    coming = this_month(harness).next().key
    reply = await harness.say(OWNER3, OWNER3, f"/stats {coming}", expect="还没有开始")
    assert coming in reply.text
    earlier = this_month(harness).previous().key
    text = await ask_stats(harness, OWNER3, OWNER3, f"/stats {earlier}")
    assert f"{earlier} 数据" in text and "新求助：0" in text


async def test_export_sends_a_spreadsheet_that_reads_back(harness: Harness) -> None:
    await community(harness)
    refusal = await harness.say(OWNER3, GROUP3, "/export", expect="私聊")
    assert "/export" in refusal.text
    await harness.say(OWNER3, OWNER3, "/export", expect="数据")
    document = newest(harness, OWNER3, "document")
    month = this_month(harness).key
    assert document.file_name == f"linli-{month}.xlsx" and document.file_bytes is not None
    book = load_workbook(io.BytesIO(document.file_bytes))
    assert book.sheetnames == ["汇总", "求助", "志愿者与积分", "活动与报名", "锁门", "时长", "预约"]
    [request] = list(book["求助"].iter_rows(min_row=2, values_only=True))
    assert request[:6] == (1, "3号楼", "维修", "已完成", "张阿姨", "小李")
    assert request[12] == "厨房水龙头漏水了" and request[13] == "换了垫圈"
    assert "已认领 · 小李" in request[14] and "已完成 · 小李" in request[14]
    [volunteer] = list(book["志愿者与积分"].iter_rows(min_row=2, values_only=True))
    assert volunteer[:2] == ("3号楼", "小李") and volunteer[4:] == (1, 10, 0, 10)


async def test_the_monthly_report_reaches_the_admins_on_the_first(harness: Harness) -> None:
    await community(harness)
    month = this_month(harness)
    scheduler = harness.bot.services.scheduler
    job = await scheduler.repo.get(report_key(month))
    assert job is not None and job.status == "pending"
    first = datetime.fromtimestamp(job.due_at, harness.settings.community.tz)
    assert (first.day, first.hour, first.minute) == (1, 9, 0)
    assert Month(first.year, first.month) == month.next()
    harness.clock.advance(job.due_at - harness.clock.now() + 60)  # the 1st, 09:01
    await scheduler.run_due()
    await harness.settle(timeout=20)
    report = [m.text for m in harness.emu.sent(ADMIN_ID) if f"{month.key} 数据" in m.text]
    assert len(report) == 1
    assert "\n3号楼\n" in report[0] and "\n5号楼\n" in report[0] and "合计" in report[0]
    assert_chart(newest(harness, ADMIN_ID, "photo"))
    assert not any(m.kind == "photo" for m in harness.emu.sent(OWNER3))  # admins only
    assert await harness.value("SELECT status FROM jobs WHERE key = ?", report_key(month)) == (
        "done"
    )
    following = await scheduler.repo.get(report_key(month.next()))
    assert following is not None and following.status == "pending"
    assert await harness.value("SELECT count(*) FROM stats_charts WHERE png IS NOT NULL") == 1
    await harness.restart()  # nothing goes out twice
    await harness.settle()
    assert sum(f"{month.key} 数据" in m.text for m in harness.emu.sent(ADMIN_ID)) == 1


async def test_linli_export_writes_the_spreadsheet_for_the_office(
    harness: Harness, tmp_path: Path
) -> None:
    await community(harness)
    await harness.stop()
    config = tmp_path / "office.toml"
    config.write_text(f'[database]\npath = "{tmp_path / "linli.db"}"\n', encoding="utf-8")
    month = this_month(harness).key
    out = tmp_path / "report.xlsx"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
    result = await linli(env, "--config", str(config), "export", "--month", month,
                         "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"Wrote {out}" in result.stdout
    book = load_workbook(out)
    summary = {row[0]: row[1:] for row in book["汇总"].iter_rows(min_row=3, values_only=True)}
    assert summary["新求助"] == (1, 1, 2)
    bad = await linli(env, "--config", str(config), "export", "--month", "soon")
    assert bad.returncode == 2 and "2026-11" in bad.stderr


async def test_an_outbox_photo_naming_a_chart_that_does_not_exist_fails_for_good(
    harness: Harness,
) -> None:
    harness.emu.add_user(ADMIN_ID, NAMES[ADMIN_ID], started=True)
    services = harness.bot.services
    async with services.db.transaction() as tx:
        await services.outbox.queue_call(
            tx, ADMIN_ID, "sendPhoto", {"caption": "📊"}, files={"photo": "stats_chart:999"},
            kind="stats_chart",
        )
    await harness.settle()
    row = await harness.db.fetch_one("SELECT status, error FROM outbox WHERE kind = 'stats_chart'")
    assert row is not None and tuple(row) == ("failed", "no file stats_chart:999")
    assert harness.emu.sent(ADMIN_ID) == []
