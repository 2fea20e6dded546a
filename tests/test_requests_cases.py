"""Requests that follow a real case, end to end: a claimed request waits for a part until a
date, volunteers keep internal notes the resident never sees, anyone concerned looks a
request up by its number, and a resident reopens a request that was not fixed."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from openpyxl import load_workbook

from bot.emulator import SentMessage
from tests.harness import Harness
from tests.test_requests import (
    GROUP,
    LI,
    OWNER,
    WANG,
    ZHANG,
    ask,
    building,
    card,
    cards_arrive,
)
from tests.test_stats import ask_stats, newest

STRANGER = 99
NOTE = "住户脾气急，上门前先打电话"


def day(harness: Harness, days: int) -> str:
    """A local date some days from now, as people write it (2026-12-05)."""
    tz = harness.settings.community.tz
    moment = datetime.fromtimestamp(harness.clock.now(), tz) + timedelta(days=days)
    return moment.date().isoformat()


async def claimed(harness: Harness, text: str = "卫生间水管漏水") -> None:
    """3号楼 with 小李 and 老王; 张阿姨 (who started the bot) asks, 小李 takes #1."""
    await building(harness, {LI: "", WANG: ""}, resident_started=True)
    await ask(harness, text)
    await cards_arrive(harness, [LI, WANG])
    await harness.say(LI, LI, "/claim 1", expect="您接下了 #1")
    await harness.emu.wait_for_message(ZHANG, "小李")
    await harness.settle()


async def row(harness: Harness) -> tuple[object, ...]:
    found = await harness.db.fetch_one(
        "SELECT state, claimer_id, waiting_until, waiting_reason, version FROM requests"
    )
    return tuple(found)


async def job_status(harness: Harness, kind: str) -> list[str]:
    rows = await harness.db.fetch_all("SELECT status FROM jobs WHERE kind = ? ORDER BY id", (kind,))
    return [r[0] for r in rows]


# --- waiting ------------------------------------------------------------------------------


async def test_wait_pauses_the_reminder_tells_the_resident_and_reminds_on_the_date(
    harness: Harness,
) -> None:
    await claimed(harness)
    until = day(harness, 3)
    told = harness.emu.wait_for_message(ZHANG, "等待至")
    answer = await harness.say(LI, LI, f"/wait 1 {until} 等配件到货", expect="等待至")
    assert f"#1 等待至 {until}" in answer.text
    resident = await told
    assert f"您的求助 #1 暂时等待至 {until}（小李）" in resident.text
    assert "原因：等配件到货" in resident.text
    await harness.settle()
    assert all("等配件" not in text for text in harness.texts(GROUP))  # private only
    assert await job_status(harness, "request_stale") == ["cancelled"]
    assert await job_status(harness, "request_wait_over") == ["pending"]
    await harness.settle()
    edited = card(harness, LI)
    assert f"等待至 {until}：等配件到货" in edited.text
    assert [b[1] for b in edited.buttons] == [
        "requests:done:1", "requests:release:1", "requests:resume:1", "relay:menu:1",
        "requests:details:1",
    ]
    assert f"等待至 {until}" in card(harness, WANG).text
    mine = await harness.say(ZHANG, ZHANG, "/myrequests", expect="我的求助")
    assert f"小李 已接单 · ⏳ 等待至 {until}：等配件到货" in mine.text
    listed = await harness.say(WANG, WANG, "/open")
    assert "<b>等待中</b>" in listed.raw_text and "#1" in listed.text
    in_group = await harness.say(WANG, GROUP, "/open", expect="等待中")
    assert f"等待至 {until}" in in_group.text and "等配件" not in in_group.text
    in_group = await harness.say(ZHANG, GROUP, "/status 1", expect="#1")
    assert "状态：等待中" in in_group.text and "等配件" not in in_group.text
    details = harness.emu.wait_for_message(WANG, "求助 #1")
    await harness.press(WANG, WANG, card(harness, WANG).message_id, "requests:details:1")
    assert f"小李 设为等待 至 {until}：等配件到货" in (await details).text
    stats = await ask_stats(harness, OWNER, GROUP)
    assert "等待中：1" in stats
    assert all("等配件" not in text for text in harness.texts(GROUP))

    harness.clock.advance(25 * 3600)  # the stale reminder's time: paused
    await harness.bot.services.scheduler.run_due()
    await harness.settle()
    reminders = "SELECT count(*) FROM outbox WHERE kind = 'request_reminder'"
    assert await harness.value(reminders) == 0
    due = await harness.value("SELECT waiting_until FROM requests WHERE id = 1")
    harness.clock.advance(due - harness.clock.now() + 60)  # the date came, 09:01
    await harness.bot.services.scheduler.run_due()
    reminder = await harness.emu.wait_for_message(LI, "等待今天到期")
    assert "/done 1" in reminder.text and "/wait 1" in reminder.text
    assert await harness.value(reminders) == 1
    state, claimer, waiting_until, _reason, _version = await row(harness)
    assert (state, claimer, waiting_until) == ("claimed", LI, None)
    assert await job_status(harness, "request_stale") == ["cancelled", "pending"]


async def test_the_waiting_button_asks_how_long_and_why_and_resume_takes_it_up_again(
    harness: Harness,
) -> None:
    await claimed(harness)
    choice = harness.emu.wait_for_message(LI, "要等待多久")
    await harness.press(LI, LI, card(harness, LI).message_id, "requests:wait:1")
    days = await choice
    assert [b[1] for b in days.buttons] == [
        "requests:waitdays:1:1", "requests:waitdays:1:3", "requests:waitdays:1:7"
    ]
    assert (await row(harness))[2] is None  # a choice changes nothing yet
    question = harness.emu.wait_for_message(LI, "原因是什么")
    await harness.press(LI, LI, days.message_id, "requests:waitdays:1:3")
    asked = await question
    assert day(harness, 3) in asked.text
    told = harness.emu.wait_for_message(ZHANG, "等待至")
    await harness.say(LI, LI, "等物业开门", expect="等待至")
    assert "原因：等物业开门" in (await told).text
    assert (await row(harness))[3] == "等物业开门"
    await harness.settle()
    resumed = harness.emu.wait_for_message(ZHANG, "恢复处理")
    answer = await harness.press(LI, LI, card(harness, LI).message_id, "requests:resume:1")
    assert "#1 已恢复处理" in answer
    assert "小李 已恢复处理您的求助 #1" in (await resumed).text
    assert (await row(harness))[2] is None
    again = await harness.press(LI, LI, card(harness, LI).message_id, "requests:resume:1")
    assert "#1 不在等待中" in again

    await harness.press(LI, LI, days.message_id, "requests:waitnow:1:7")  # without a reason
    assert (await row(harness))[2] is not None and (await row(harness))[3] is None
    assert await job_status(harness, "request_wait_over") == ["cancelled", "pending"]
    await harness.say(LI, LI, "/done 1 修好了", expect="已完成")  # done ends the wait
    state, _claimer, waiting_until, _reason, _version = await row(harness)
    assert (state, waiting_until) == ("done", None)
    assert await job_status(harness, "request_wait_over") == ["cancelled", "cancelled"]
    kinds = [r[0] for r in await harness.db.fetch_all(
        "SELECT kind FROM request_events WHERE kind IN ('waiting', 'resumed') ORDER BY id")]
    assert kinds == ["waiting", "resumed", "waiting"]


async def test_bad_waits_get_clear_answers_and_change_nothing(harness: Harness) -> None:
    await claimed(harness)
    await ask(harness, "楼道灯坏了")  # #2: open, taken by nobody
    await harness.settle()
    before = await row(harness)
    events = await harness.value("SELECT count(*) FROM request_events")
    past = day(harness, -1)
    assert "日期必须晚于今天" in (await harness.say(LI, LI, f"/wait 1 {past} 等配件")).text
    assert "日期必须晚于今天" in (await harness.say(LI, LI, f"/wait 1 {day(harness, 0)}")).text
    assert "看不懂日期「12月5日」" in (await harness.say(LI, LI, "/wait 1 12月5日 等配件")).text
    assert "请写上等到哪天" in (await harness.say(LI, LI, "/wait 1")).text
    assert "最多只能等待 90 天" in (await harness.say(LI, LI, f"/wait 1 {day(harness, 120)}")).text
    too_long = await harness.say(LI, LI, f"/wait 1 {day(harness, 2)} " + "等" * 300)
    assert "原因太长了" in too_long.text
    refusal = await harness.say(WANG, WANG, f"/wait 1 {day(harness, 2)} 我来等")
    assert "只有接下 #1 的 小李 可以设为等待" in refusal.text
    refusal = await harness.say(ZHANG, ZHANG, f"/wait 1 {day(harness, 2)}", expect="只有")
    assert "只有本楼的志愿者" in refusal.text
    assert "还没有人接" in (await harness.say(LI, LI, f"/wait 2 {day(harness, 2)}")).text
    forged = await harness.press(WANG, WANG, card(harness, WANG).message_id, "requests:wait:1")
    assert "只有接下 #1 的 小李" in forged
    forged = await harness.press(LI, LI, card(harness, LI).message_id, "requests:waitdays:1:5")
    assert "按钮已经失效" in forged
    assert "不在等待中" in await harness.press(
        LI, LI, card(harness, LI).message_id, "requests:resume:1")
    await harness.settle()
    assert await row(harness) == before
    assert await harness.value("SELECT count(*) FROM request_events") == events
    assert await harness.value("SELECT count(*) FROM prompts") == 0


# --- internal notes -------------------------------------------------------------------------


def everything_sent_to(harness: Harness, chat_id: int) -> str:
    """Every Bot API call the bot made towards a chat (messages, edits, media), as text."""
    calls = [call.params for call in harness.emu.calls if call.params.get("chat_id") == chat_id]
    return json.dumps(calls, ensure_ascii=False)


async def test_an_internal_note_is_seen_by_volunteers_and_owners_and_never_by_the_resident(
    harness: Harness,
) -> None:
    await claimed(harness)
    answer = await harness.say(LI, LI, f"/note 1 {NOTE}", expect="备注")
    assert "居民看不到" in answer.text
    await harness.say(OWNER, OWNER, "/note 1 负责人已知悉", expect="备注")
    details = harness.emu.wait_for_message(WANG, "求助 #1")
    await harness.press(WANG, WANG, card(harness, WANG).message_id, "requests:details:1")
    history = (await details).text
    assert f"小李 的内部备注：{NOTE}" in history and "负责人已知悉" in history
    owners = harness.emu.wait_for_message(OWNER, "求助 #1")
    await harness.press(OWNER, OWNER, harness.emu.sent(OWNER)[0].message_id, "requests:details:1")
    assert f"小李 的内部备注：{NOTE}" in (await owners).text

    # Everything the resident can reach: lists, status, a (forged) Details, the news.
    presses: list[str] = []
    await harness.say(ZHANG, ZHANG, "/myrequests", expect="我的求助")
    await harness.say(ZHANG, ZHANG, "/status 1", expect="状态")
    own = harness.emu.wait_for_message(ZHANG, "求助 #1")
    presses.append(await harness.press(ZHANG, ZHANG, 1, "requests:details:1"))
    assert "张阿姨 发起求助" in (await own).text
    await harness.say(LI, LI, f"/wait 1 {day(harness, 2)} 等配件", expect="等待至")
    await harness.say(LI, LI, "/done 1 换了新管子", expect="已完成")
    done = await harness.emu.wait_for_message(ZHANG, "已完成")
    presses.append(await harness.press(ZHANG, ZHANG, done.message_id, "requests:rate:1:4"))
    await harness.say(ZHANG, ZHANG, "/status 1", expect="已办结")
    await harness.settle()
    for secret in (NOTE, "负责人已知悉"):
        assert secret not in everything_sent_to(harness, ZHANG)
        assert all(secret not in text for text in presses)
        assert secret not in everything_sent_to(harness, GROUP)

    await harness.say(OWNER, OWNER, "/export", expect="数据")
    book = load_workbook(__import__("io").BytesIO(newest(harness, OWNER, "document").file_bytes))
    [line] = list(book["求助"].iter_rows(min_row=2, values_only=True))
    assert f"内部备注 · 小李 · 【内部，居民不可见】{NOTE}" in line[14]


async def test_notes_of_someone_without_the_right_or_without_text_are_refused(
    harness: Harness,
) -> None:
    await claimed(harness)
    harness.emu.add_user(STRANGER, "路人", started=True)
    await harness.say(STRANGER, STRANGER, "/start")
    refusal = await harness.say(ZHANG, ZHANG, f"/note 1 {NOTE}", expect="只有")
    assert "只有本楼的志愿者" in refusal.text
    assert "只有本楼的志愿者" in (await harness.say(STRANGER, STRANGER, "/note 1 看看")).text
    assert "请在编号后写上备注" in (await harness.say(LI, LI, "/note 1 \u200b")).text
    assert "没有 #9 号求助" in (await harness.say(LI, LI, "/note 9 看看")).text
    assert "太长" in (await harness.say(LI, LI, "/note 1 " + "长" * 600)).text
    assert await harness.value("SELECT count(*) FROM request_events WHERE kind = 'note'") == 0


async def test_the_same_note_delivered_twice_is_kept_once(harness: Harness) -> None:
    await claimed(harness)
    sent = harness.emu.user_sends(LI, LI, f"/note 1 {NOTE}")
    await harness.emu.wait_for_message(LI, "备注")
    await harness.settle()
    waiting = harness.emu.wait_for_message(LI, "备注")
    harness.emu.push_update({"message": sent})  # Telegram sends the message again
    await waiting
    assert await harness.value("SELECT count(*) FROM request_events WHERE kind = 'note'") == 1


# --- status by number ---------------------------------------------------------------------------


async def test_status_follows_the_request_and_a_fixed_hazard_pays_its_reporter_once(
    harness: Harness,
) -> None:
    await building(harness, {LI: "", WANG: ""}, resident_started=True)
    harness.emu.add_user(STRANGER, "路人", started=True)
    await harness.say(STRANGER, STRANGER, "/start")
    await ask(harness, "安全隐患 三楼楼道电线冒烟")
    status = await harness.say(ZHANG, ZHANG, "/status 1", expect="#1")
    assert "状态：已受理" in status.text and "张阿姨 发起求助" in status.text
    await harness.say(LI, LI, "/claim 1", expect="您接下了 #1")
    await harness.emu.wait_for_message(ZHANG, "已接下您的求助")
    await harness.settle()
    assert "状态：处理中" in (await harness.say(ZHANG, ZHANG, "/status 1", expect="状态")).text
    await harness.say(LI, LI, f"/wait 1 {day(harness, 1)} 等电工", expect="等待至")
    await harness.say(LI, LI, "/note 1 电工周五才有空", expect="备注")
    await harness.settle()
    status = await harness.say(ZHANG, ZHANG, "/status 1", expect="状态")
    assert "状态：等待中" in status.text and "等电工" in status.text
    assert "小李 设为等待" in status.text and "周五" not in status.text  # never the note
    assert "状态：等待中" in (await harness.say(WANG, WANG, "/status 1")).text
    assert "状态：等待中" in (await harness.say(OWNER, OWNER, "/status 1")).text
    refusal = await harness.say(STRANGER, STRANGER, "/status 1")
    assert "只有发起求助的居民或本楼的志愿者可以查询 #1" in refusal.text
    missing = await harness.say(ZHANG, ZHANG, "/status", expect="编号")
    assert "请在命令后写上求助编号" in missing.text
    await harness.say(LI, LI, "/done 1 已断电更换", expect="已完成")
    done = await harness.emu.wait_for_message(ZHANG, "已完成")
    await harness.settle()
    status = await harness.say(ZHANG, ZHANG, "/status 1", expect="状态")
    assert "状态：已办结" in status.text and "小李 完成" in status.text
    ledger = "SELECT amount, reason FROM ledger WHERE user_id = ? AND source = 'hazard:1'"
    assert [tuple(r) for r in await harness.db.fetch_all(ledger, (ZHANG,))] == [
        (5, "hazard_reported")
    ]
    await harness.press(ZHANG, ZHANG, done.message_id, "requests:reopen:1")  # not fixed
    await harness.settle()
    await harness.press(LI, LI, card(harness, LI).message_id, "requests:claim:1")
    await harness.say(LI, LI, "/done 1 这次彻底修好了", expect="已完成")
    assert len(await harness.db.fetch_all(ledger, (ZHANG,))) == 1  # paid once


async def test_hazard_points_can_be_switched_off(harness: Harness) -> None:
    harness.settings = harness.settings.model_copy(
        update={"points": harness.settings.points.model_copy(update={"hazard_report_points": 0})}
    )
    await harness.restart()
    await building(harness, {LI: ""})
    await ask(harness, "安全隐患 电梯门关不上")
    await harness.say(LI, LI, "/claim 1", expect="#1")
    await harness.say(LI, LI, "/done 1", expect="#1")
    assert await harness.value("SELECT count(*) FROM ledger WHERE user_id = ?", ZHANG) == 0


# --- reopening ---------------------------------------------------------------------------------


async def done_by_li(harness: Harness) -> SentMessage:
    """#1 claimed and done by 小李; returns the done message 张阿姨 received."""
    await claimed(harness)
    await harness.say(LI, LI, "/done 1 换了垫圈", expect="已完成")
    done = await harness.emu.wait_for_message(ZHANG, "已完成")
    await harness.settle()
    return done


async def test_not_fixed_reopens_the_request_and_offers_it_first_to_who_did_it(
    harness: Harness,
) -> None:
    done = await done_by_li(harness)
    cards_of_wang = len([m for m in harness.emu.sent(WANG) if "求助 #1</b>" in m.raw_text])
    harness.clock.advance(6 * 24 * 3600)  # within the seven days
    answer = await harness.press(ZHANG, ZHANG, done.message_id, "requests:reopen:1")
    assert "求助 #1 已重新打开" in answer
    await harness.settle()
    assert harness.emu.message(ZHANG, done.message_id).buttons == []
    found = await harness.db.fetch_one("SELECT state, claimer_id, reopened, routing FROM requests")
    assert tuple(found) == ("open", None, 1, 2)
    again = card(harness, LI)
    assert "居民重新打开了这条求助" in again.text and again.buttons[0][1] == "requests:claim:1"
    assert len([m for m in harness.emu.sent(WANG) if "求助 #1</b>" in m.raw_text]) == cards_of_wang
    details = harness.emu.wait_for_message(LI, "求助 #1")
    await harness.press(LI, LI, again.message_id, "requests:details:1")
    history = (await details).text
    assert "张阿姨 重新打开：未解决" in history and "先交给上次处理的志愿者" in history
    stats = await ask_stats(harness, OWNER, GROUP)
    assert "因未解决被重新打开：1" in stats
    await harness.press(LI, LI, again.message_id, "requests:claim:1")
    assert (await row(harness))[:2] == ("claimed", LI)


async def test_a_reopen_after_the_limit_or_by_someone_else_is_refused(harness: Harness) -> None:
    done = await done_by_li(harness)
    refusal = await harness.press(WANG, WANG, card(harness, WANG).message_id, "requests:reopen:1")
    assert "只有发起求助的居民可以重新打开 #1" in refusal
    harness.clock.advance(7 * 24 * 3600 + 60)
    refusal = await harness.press(ZHANG, ZHANG, done.message_id, "requests:reopen:1")
    assert "已完成超过 7 天" in refusal and "/request" in refusal
    await harness.settle()
    found = await harness.db.fetch_one("SELECT state, reopened, routing FROM requests")
    assert tuple(found) == ("done", 0, 1)
    assert await harness.value("SELECT count(*) FROM request_events WHERE kind = 'reopened'") == 0


async def test_a_reason_never_given_expires_and_leaves_the_request_as_it_was(
    harness: Harness,
) -> None:
    await claimed(harness)
    before = await row(harness)
    question = harness.emu.wait_for_message(LI, "原因是什么")
    await harness.press(LI, LI, card(harness, LI).message_id, "requests:waitdays:1:1")
    await question
    harness.clock.advance(11 * 60)
    await harness.bot.services.scheduler.run_due()
    expired = await harness.emu.wait_for_message(LI, "不再等待原因")
    assert "求助没有变化" in expired.text
    harness.emu.user_sends(LI, LI, "等配件")  # too late: an ordinary message now
    await harness.settle()
    assert await row(harness) == before
    assert await harness.value("SELECT count(*) FROM prompts") == 0
