"""A month of a building with four volunteers, played through the emulator with time moved
forward: aways, two open shifts each raced for by two volunteers (one winner each), one
left open and escalated to the owner, the weekly digest in the group, and a calendar file
parsed back (a shift across midnight in local time and in UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from bot.emulator import SentMessage
from tests.harness import Harness
from tests.test_roster import (
    GROUP,
    LI,
    OWNER,
    RESIDENT,
    TZ,
    WANG,
    ZHAO,
    go_to_next_monday_noon,
    live_until,
    saying,
    set_up_building,
    text_of,
)

SUN = 206
NAMES = {LI: "Li", WANG: "Wang", ZHAO: "Zhao", SUN: "Sun"}
TAKE = "接这个班"


async def add_fourth_volunteer(harness: Harness) -> None:
    harness.emu.add_user(SUN, "Sun", username="sun", started=True)
    harness.emu.user_joins(SUN, GROUP)
    await harness.say(SUN, SUN, "/start")
    await harness.say(OWNER, GROUP, "/volunteer @sun", expect="志愿者")


def offer_card(harness: Harness, user_id: int) -> SentMessage:
    """The newest open-shift card in a volunteer's chat."""
    return [m for m in harness.emu.sent(user_id) if "空缺班次" in m.text][-1]


async def race(harness: Harness, first: int, second: int) -> tuple[int, int]:
    """Two volunteers press "Take this shift" at once; returns (winner, loser)."""
    cards = {user: offer_card(harness, user) for user in (first, second)}
    data = str(dict(cards[first].buttons)[TAKE])
    presses = {user: harness.emu.user_presses(user, user, cards[user].message_id, data)
               for user in (first, second)}
    await harness.emu.wait_for(
        lambda: all(q in harness.emu.callback_answers for q in presses.values()), 5.0,
        what="both presses answered")
    await harness.settle()
    won = [u for u, q in presses.items() if "您接了班次" in (harness.emu.callback_answers[q][0]
                                                           or "")]
    assert len(won) == 1, [harness.emu.callback_answers[q] for q in presses.values()]
    winner = won[0]
    loser = second if winner == first else first
    assert "您接了这个班次" in text_of(harness, cards[winner])
    assert f"已由 {NAMES[winner]} 接了" in text_of(harness, cards[loser])
    return winner, loser


async def test_a_month_of_aways_open_shifts_a_digest_and_a_calendar(harness: Harness) -> None:
    monday = go_to_next_monday_noon(harness)
    await set_up_building(harness)
    await add_fourth_volunteer(harness)
    for line in ("add mon 18:00-22:00 @li", "add mon 22:00-02:00 @wang",
                 "add wed 09:00-12:00 @zhao", "add fri 18:00-22:00 @sun", "digest on sun 19:00"):
        await harness.say(OWNER, OWNER, f"/roster {line}", expect="好了")
    day = lambda weeks, days: (monday + timedelta(weeks=weeks, days=days)).date()  # noqa: E731
    await harness.say(LI, LI, f"/away {day(1, 0)} {day(1, 0)} 去女儿家", expect="离开")
    await harness.say(ZHAO, ZHAO, f"/away {day(1, 2)}", expect="离开")
    await harness.say(OWNER, OWNER, f"/away @sun {day(2, 4)} {day(2, 6)}", expect="Sun 从")
    watch = [LI, WANG, ZHAO, SUN, OWNER, GROUP]

    # Saturday 18:00, 48 hours before Li's Monday: Wang, Zhao and Sun are offered it.
    arrivals = await live_until(harness, monday + timedelta(days=5, hours=7), watch)
    for user in (WANG, ZHAO, SUN):
        assert saying(arrivals, user, "空缺班次") == ["Sat 18:00"]
    first_winner, _ = await race(harness, WANG, SUN)
    assert any(f"{NAMES[first_winner]} 接了3号楼的空缺班次" in t for t in harness.texts(OWNER))

    # Sunday 19:00: the digest of the coming week in the group.
    arrivals = await live_until(harness, monday + timedelta(days=6, hours=8), watch)
    [digest] = [a.text for a in arrivals if a.chat_id == GROUP and "下周值班" in a.text]
    assert f"18:00–22:00 {NAMES[first_winner]}" in digest  # who covers Li's Monday
    assert "09:00–12:00 空缺：还没有人接" in digest  # Zhao's Wednesday, not taken yet
    assert "无人值班的小时数：" in digest and "待处理的求助：0 个" in digest

    # Monday 09:00, 48 hours before Zhao's Wednesday: Li is back by then and may take it.
    await live_until(harness, monday + timedelta(days=7, hours=-2, minutes=1), watch)
    second_winner, _ = await race(harness, LI, WANG)
    await live_until(harness, monday + timedelta(days=7, hours=7), watch)  # Monday 19:00
    duty = await harness.say(RESIDENT, GROUP, "/duty", expect="现在值班")
    assert f"现在值班：{NAMES[first_winner]}（替 Li）" in duty.text

    # Sun's Friday of week 3: offered twice, nobody takes it, the owner hears 2 hours before.
    friday = monday + timedelta(weeks=2, days=4, hours=6)  # 18:00
    arrivals = await live_until(harness, friday - timedelta(hours=1), watch)
    assert saying(arrivals, WANG, "空缺班次")[-2:] == ["Wed 18:00", "Fri 06:00"]
    assert saying(arrivals, OWNER, "还没有人接") == ["Fri 16:00"]
    assert saying(arrivals, SUN, "空缺班次") == []  # not to the one who is away
    duty_on_friday = await live_until(harness, friday + timedelta(hours=1), watch)
    assert saying(duty_on_friday, SUN, "值班快开始了") == []  # away: no reminder

    # The rest of the month runs on; nothing missed or failed.
    await live_until(harness, monday + timedelta(weeks=4), watch)
    bad = await harness.db.fetch_all(
        "SELECT key, status FROM jobs WHERE status IN ('missed', 'failed')")
    assert [tuple(row) for row in bad] == []
    seats = await harness.db.fetch_all("SELECT status, taken_by FROM open_shifts ORDER BY id")
    assert [tuple(s) for s in seats] == [
        ("taken", first_winner), ("taken", second_winner), ("open", None)]
    assert await harness.value("SELECT count(*) FROM outbox WHERE kind = 'duty_digest'") == 4

    # Wang's calendar: his Monday nights cross midnight, in local time and in UTC.
    sent = await harness.say(WANG, WANG, "/calendar", expect="日历")
    assert sent.file_bytes is not None
    ical = Calendar.from_ical(sent.file_bytes)
    nights = [e for e in ical.walk("VEVENT") if e.decoded("dtstart").hour == 22]
    assert nights, [str(e["summary"]) for e in ical.walk("VEVENT")]
    start, end = nights[0].decoded("dtstart"), nights[0].decoded("dtend")
    assert start.tzinfo is not None and str(nights[0]["dtstart"].params["TZID"]) == "Asia/Shanghai"
    assert start.weekday() == 0 and (end.weekday(), end.hour) == (1, 2)
    assert (start.astimezone(UTC).hour, end.astimezone(UTC).hour) == (14, 18)
    assert end.astimezone(UTC).weekday() == 0  # still Monday in UTC
    assert start == datetime.combine(start.date(), datetime.min.time().replace(hour=22), TZ)
