"""The duty roster end to end: owners build the week, volunteers are reminded and hand over
at the right local times (a shift crossing midnight included), swap a shift, and a restart
neither loses nor repeats a reminder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.emulator import SentMessage
from tests.harness import Harness

TZ = ZoneInfo("Asia/Shanghai")
OWNER, LI, WANG, ZHAO, RESIDENT = 201, 202, 203, 204, 205
GROUP = -1001000000301
VOLUNTEERS = {LI: "li", WANG: "wang", ZHAO: "zhao"}


@dataclass(frozen=True)
class Arrival:
    """A message the bot sent while time passed, with the local time it was due."""

    when: str  # "Mon 17:30"
    chat_id: int
    text: str


async def set_up_building(harness: Harness) -> None:
    """3号楼 with its owner, three volunteers (who started the bot) and a resident."""
    emu = harness.emu
    emu.add_user(OWNER, "Chen", username="chen", started=True)
    emu.add_user(RESIDENT, "Zhang", username="zhang")
    for user_id, username in VOLUNTEERS.items():
        emu.add_user(user_id, username.capitalize(), username=username, started=True)
    emu.add_group(GROUP, "3号楼", supergroup=True, members=[*VOLUNTEERS, RESIDENT],
                  admins=[OWNER], bot_admin=True)
    await harness.say(OWNER, GROUP, "/setup 3号楼", expect="3号楼")
    await harness.say(OWNER, OWNER, "/start")
    for user_id, username in VOLUNTEERS.items():
        await harness.say(user_id, user_id, "/start")
        await harness.say(OWNER, GROUP, f"/volunteer @{username}", expect="志愿者")


def go_to_next_monday_noon(harness: Harness) -> datetime:
    """Move the clock to the coming Monday, 12:00 in the community's time zone."""
    today = datetime.fromtimestamp(harness.clock.now(), TZ).date()
    monday = today + timedelta(days=7 - today.weekday())
    noon = datetime.combine(monday, time(12), TZ)
    go_to(harness, noon)
    return noon


def go_to(harness: Harness, moment: datetime) -> None:
    harness.clock.advance(max(0.0, moment.timestamp() - harness.clock.now()))


async def live_until(harness: Harness, moment: datetime, watch: list[int]) -> list[Arrival]:
    """Let time pass as the running bot sees it: each job runs at its time, in order."""
    seen = {chat: len(harness.emu.sent(chat)) for chat in watch}
    arrivals: list[Arrival] = []
    while True:
        due = await harness.value("SELECT min(due_at) FROM jobs WHERE status = 'pending'")
        if due is None or due > moment.timestamp():
            break
        harness.clock.advance(max(0.0, due + 1 - harness.clock.now()))
        await harness.bot.services.scheduler.run_due()
        await harness.settle()
        when = datetime.fromtimestamp(due, TZ).strftime("%a %H:%M")
        for chat in watch:
            messages = harness.emu.sent(chat)
            arrivals += [Arrival(when, chat, m.text) for m in messages[seen[chat]:]]
            seen[chat] = len(messages)
    go_to(harness, moment)
    return arrivals


def at(arrivals: list[Arrival], chat_id: int) -> list[str]:
    """When each message to a chat arrived."""
    return [arrival.when for arrival in arrivals if arrival.chat_id == chat_id]


def saying(arrivals: list[Arrival], chat_id: int, fragment: str) -> list[str]:
    """When the messages to a chat containing ``fragment`` arrived."""
    return [a.when for a in arrivals if a.chat_id == chat_id and fragment in a.text]


def last(harness: Harness, chat_id: int) -> SentMessage:
    return harness.emu.sent(chat_id)[-1]


async def tap(harness: Harness, user_id: int, message: SentMessage, label: str) -> str:
    """Press the button with this label (as it is now) and wait until the bot has handled it."""
    current = harness.emu.message(message.chat_id, message.message_id)
    answer = await harness.press(user_id, message.chat_id, message.message_id,
                                 str(dict(current.buttons)[label]))
    await harness.settle()
    return answer


def buttons(harness: Harness, message: SentMessage) -> list[str]:
    """The labels of a message's buttons as they are now."""
    current = harness.emu.message(message.chat_id, message.message_id)
    return [label for label, _data in current.buttons]


def text_of(harness: Harness, message: SentMessage) -> str:
    """A message's text as it is now (after edits)."""
    return harness.emu.message(message.chat_id, message.message_id).text


async def test_a_week_of_reminders_and_handovers_at_local_times(harness: Harness) -> None:
    monday = go_to_next_monday_noon(harness)
    await set_up_building(harness)
    for line in ("add mon 18:00-22:00 @li", "add mon 22:00-02:00 @wang",
                 "add wed 09:00-12:00 @zhao @li", "announce on"):
        await harness.say(OWNER, OWNER, f"/roster {line}", expect="好了")
    week = last(harness, OWNER).text
    assert "周一 18:00–22:00：Li" in week and "周一 22:00–02:00：Wang" in week
    assert "周三 09:00–12:00：Zhao, Li" in week

    arrivals = await live_until(harness, monday.replace(hour=21), [LI, WANG, ZHAO, GROUP])
    assert saying(arrivals, LI, "值班快开始了") == ["Mon 17:30"]
    reply = await harness.say(LI, LI, "/handover 302 的水龙头修好了，钥匙在门卫处", expect="已记下")
    assert "周一" in reply.text

    next_monday_evening = monday + timedelta(days=7, hours=6)
    arrivals = await live_until(harness, next_monday_evening, [LI, WANG, ZHAO, GROUP])
    assert saying(arrivals, WANG, "值班快开始了") == ["Mon 21:30"]
    assert saying(arrivals, WANG, "您接替 Li") == ["Mon 22:00"]
    handover = next(a.text for a in arrivals if "您接替 Li" in a.text)
    assert "302 的水龙头修好了" in handover and "目前没有待处理" in handover
    assert saying(arrivals, GROUP, "值班由 Li 交给 Wang") == ["Mon 22:00"]
    # Wang's shift crosses midnight: its handover comes at 02:00 on Tuesday.
    assert saying(arrivals, WANG, "值班结束了") == ["Tue 02:00"]
    assert saying(arrivals, ZHAO, "您接替 Wang") == ["Tue 02:00"]
    assert saying(arrivals, LI, "您接替 Wang") == ["Tue 02:00"]
    assert saying(arrivals, GROUP, "值班由 Wang 交给 Zhao, Li") == ["Tue 02:00"]
    assert saying(arrivals, ZHAO, "值班快开始了") == ["Wed 08:30"]
    assert saying(arrivals, LI, "值班快开始了") == ["Wed 08:30", "Mon 17:30"]  # and next week
    assert at(arrivals, LI).count("Mon 22:00") == 0  # she left a note: no "leave a note" ask
    jobs = await harness.value("SELECT count(*) FROM jobs WHERE status IN ('missed', 'failed')")
    assert jobs == 0
    served = await harness.db.fetch_all(
        "SELECT user_id, count(*), sum(amount) FROM ledger WHERE reason = 'shift_served' "
        "GROUP BY user_id ORDER BY user_id")
    assert {row[0]: (row[1], row[2]) for row in served} == {
        LI: (2, 10), WANG: (1, 5), ZHAO: (1, 5)}  # Monday, Monday night and Wednesday


async def test_duty_shows_who_is_on_now_and_next_across_midnight(harness: Harness) -> None:
    monday = go_to_next_monday_noon(harness)
    await set_up_building(harness)
    await harness.say(OWNER, OWNER, "/roster add mon 22:00-02:00 @wang", expect="好了")
    await harness.say(OWNER, OWNER, "/roster add tue 18:00-22:00 @li @zhao", expect="好了")
    go_to(harness, monday + timedelta(hours=13))  # Tuesday 01:00
    duty = await harness.say(RESIDENT, GROUP, "/duty", expect="现在值班")
    assert "现在值班：Wang（周一" in duty.text and "22:00–02:00" in duty.text
    assert "下一班：Li, Zhao（周二" in duty.text
    private = await harness.say(ZHAO, ZHAO, "/duty", expect="现在值班")
    assert "<b>3号楼</b>" in private.raw_text or "3号楼" in private.text


async def test_owners_edit_the_roster_with_buttons_and_others_only_see_it(
    harness: Harness,
) -> None:
    go_to_next_monday_noon(harness)
    await set_up_building(harness)
    week = await harness.say(OWNER, OWNER, "/roster", expect="值班表")
    assert "还没有班次" in week.text
    assert "➕ 添加班次" in buttons(harness, week)
    await tap(harness, OWNER, week, "➕ 添加班次")
    await tap(harness, OWNER, week, "周二")
    assert await tap(harness, OWNER, week, "18:00–22:00") == "班次已添加。"
    await tap(harness, OWNER, week, "▫️ Li")
    assert "✅ Li" in buttons(harness, week) and "▫️ Wang" in buttons(harness, week)
    done = str(dict(harness.emu.message(OWNER, week.message_id).buttons)["完成"])
    await tap(harness, OWNER, week, "完成")
    assert "周二 18:00–22:00：Li" in text_of(harness, week)

    seen = await harness.say(WANG, WANG, "/roster", expect="值班表")
    assert "周二 18:00–22:00：Li" in seen.text and seen.buttons == []
    await harness.say(WANG, WANG, "/roster add mon 08:00-12:00 @wang", expect="管理员")
    forged = await harness.press(WANG, OWNER, week.message_id, done)
    assert "管理员" in forged
    await harness.say(RESIDENT, GROUP, "/roster", expect="志愿者")
    bad = await harness.say(OWNER, OWNER, "/roster add someday 25:00-26:00 @li", expect="请这样写")
    assert "/roster add mon 18:00-22:00" in bad.text
    stranger = await harness.say(OWNER, OWNER, "/roster add mon 08:00-12:00 @zhang",
                                 expect="不是3号楼的志愿者")
    assert stranger
    assert await harness.value("SELECT count(*) FROM shifts") == 1

    week = await harness.say(OWNER, OWNER, "/roster", expect="值班表")
    await tap(harness, OWNER, week, "🗑 删除班次")
    assert await tap(harness, OWNER, week, "周二 18:00–22:00") == "班次已删除。"
    assert "还没有班次" in text_of(harness, week)
    assert await harness.value("SELECT count(*) FROM shifts") == 0


async def test_a_swap_changes_that_one_date_and_the_owner_is_told(harness: Harness) -> None:
    monday = go_to_next_monday_noon(harness)
    await set_up_building(harness)
    await harness.say(OWNER, OWNER, "/roster add mon 18:00-22:00 @li", expect="好了")
    choice = await harness.say(LI, LI, "/swap", expect="换出去")
    first_shift = buttons(harness, choice)[0]
    assert "周一" in first_shift and "18:00–22:00" in first_shift
    await tap(harness, LI, choice, first_shift)
    assert set(buttons(harness, choice)) == {"Wang", "Zhao"}
    await tap(harness, LI, choice, "Zhao")
    assert "已请 Zhao" in text_of(harness, choice)
    asked = last(harness, ZHAO)
    assert "Li 请您替他在3号楼值班" in asked.text and "只换这一天" in asked.text
    accept = str(dict(asked.buttons)["✅ 接受"])
    assert "别人" in await harness.press(WANG, ZHAO, asked.message_id, accept)  # not Wang's offer
    await tap(harness, ZHAO, asked, "✅ 接受")
    assert "您替 Li 在3号楼值班" in text_of(harness, asked)
    assert any("Zhao 已接受" in text for text in harness.texts(LI))
    assert any("Zhao 替 Li 值班" in text for text in harness.texts(OWNER))

    arrivals = await live_until(harness, monday + timedelta(days=7, hours=7), [LI, ZHAO])
    assert saying(arrivals, ZHAO, "值班快开始了") == ["Mon 17:30"]  # this date: Zhao
    assert saying(arrivals, LI, "值班快开始了") == ["Mon 17:30"]  # next week: Li again
    duty = await harness.say(RESIDENT, GROUP, "/duty", expect="现在值班")
    assert "现在值班：Li" in duty.text


async def test_swap_refusals_and_the_named_form(harness: Harness) -> None:
    go_to_next_monday_noon(harness)
    await set_up_building(harness)
    await harness.say(OWNER, OWNER, "/roster add mon 18:00-22:00 @li", expect="好了")
    await harness.say(LI, GROUP, "/swap", expect="私聊")
    await harness.say(WANG, WANG, "/swap", expect="没有班次")
    await harness.say(LI, LI, "/swap @nobody", expect="@nobody")
    named = await harness.say(LI, LI, "/swap @wang", expect="换出去")
    data = [str(data) for _label, data in named.buttons]
    assert all(d.startswith("roster:swapto:") and d.endswith(f":{WANG}") for d in data)
    await tap(harness, LI, named, buttons(harness, named)[0])
    assert "已请 Wang" in text_of(harness, named)
    forged = await harness.press(LI, LI, named.message_id, data[0].replace(str(WANG), "999"))
    assert "不能接这个班" in forged
    assert await harness.value("SELECT count(*) FROM swaps") == 1


async def test_a_restart_neither_loses_nor_repeats_a_reminder(harness: Harness) -> None:
    monday = go_to_next_monday_noon(harness)
    await set_up_building(harness)
    await harness.say(OWNER, OWNER, "/roster add mon 18:00-22:00 @li", expect="好了")
    await live_until(harness, monday.replace(hour=17, minute=25), [LI])
    await harness.stop()  # the bot is down when the reminder falls due...
    go_to(harness, monday.replace(hour=17, minute=34))
    await harness.start()  # ...and back within the grace time: it goes out at once
    await harness.emu.wait_for_message(LI, "值班快开始了", 5)
    await harness.restart()  # a second restart right after it ran
    arrivals = await live_until(harness, monday + timedelta(days=7, hours=18), [LI])
    await harness.settle()
    reminders = [text for text in harness.texts(LI) if "值班快开始了" in text]
    assert len(reminders) == 2  # this week's once, next week's once
    assert saying(arrivals, LI, "值班快开始了") == ["Mon 17:30"]
    statuses = await harness.db.fetch_all(
        "SELECT key, status FROM jobs WHERE kind = 'duty remind' ORDER BY due_at"
    )
    assert [row[1] for row in statuses] == ["done", "done", "pending"]
