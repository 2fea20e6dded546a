"""Aways and open shifts end to end: a volunteer goes away, the others get a "Take this
shift" card ahead of time, two press at once and one wins, every card says who took it,
/duty shows who covers; "I can't make it" on a reminder reaches the owners."""

from __future__ import annotations

from datetime import timedelta

from tests.harness import Harness
from tests.test_roster import (
    GROUP,
    LI,
    OWNER,
    RESIDENT,
    WANG,
    ZHAO,
    go_to,
    go_to_next_monday_noon,
    last,
    live_until,
    saying,
    set_up_building,
    tap,
    text_of,
)


async def test_an_away_shift_is_offered_and_the_first_press_wins(harness: Harness) -> None:
    monday = go_to_next_monday_noon(harness)
    await set_up_building(harness)
    await harness.say(OWNER, OWNER, "/roster add mon 18:00-22:00 @li", expect="好了")
    week_on = (monday + timedelta(days=7)).date()
    before = await harness.say(LI, LI, f"/away {week_on} {week_on - timedelta(days=2)}",
                               expect="早于")
    assert "结束日期" in before.text
    await harness.say(LI, LI, f"/away {monday.date() - timedelta(days=3)}", expect="已经过去")
    await harness.say(LI, GROUP, f"/away {week_on}", expect="私聊")
    assert await harness.value("SELECT count(*) FROM aways") == 0
    away = await harness.say(LI, LI, f"/away {week_on} {week_on} 去女儿家", expect="离开")
    assert f"您从 {week_on} 到 {week_on} 离开" in away.text and "18:00–22:00" in away.text

    arrivals = await live_until(harness, monday + timedelta(days=5, hours=7), [WANG, ZHAO, LI])
    assert saying(arrivals, WANG, "空缺班次") == ["Sat 18:00"]  # 48 hours ahead
    assert saying(arrivals, ZHAO, "空缺班次") == ["Sat 18:00"]
    assert saying(arrivals, LI, "空缺班次") == []
    cards = [last(harness, WANG), last(harness, ZHAO)]
    data = str(dict(cards[0].buttons)["接这个班"])
    presses = [harness.emu.user_presses(WANG, WANG, cards[0].message_id, data),
               harness.emu.user_presses(ZHAO, ZHAO, cards[1].message_id, data)]
    await harness.emu.wait_for(lambda: all(q in harness.emu.callback_answers for q in presses),
                               5.0, what="both presses answered")
    await harness.settle()
    answers = [harness.emu.callback_answers[q][0] or "" for q in presses]
    assert sum("您接了班次" in answer for answer in answers) == 1
    assert sum("已经接了这个班次" in answer for answer in answers) == 1
    winner, loser = (WANG, ZHAO) if "您接了班次" in answers[0] else (ZHAO, WANG)
    names = {WANG: "Wang", ZHAO: "Zhao"}
    shown = {user: text_of(harness, card) for user, card in zip((WANG, ZHAO), cards, strict=True)}
    assert "您接了这个班次" in shown[winner]
    assert f"已由 {names[winner]} 接了" in shown[loser]
    assert harness.emu.message(loser, cards[(WANG, ZHAO).index(loser)].message_id).buttons == []
    assert any(f"{names[winner]} 接了3号楼的空缺班次" in t for t in harness.texts(OWNER))
    assert await harness.value("SELECT taken_by FROM open_shifts") == winner

    go_to(harness, monday + timedelta(days=7, hours=7))  # next Monday 19:00
    duty = await harness.say(RESIDENT, GROUP, "/duty", expect="现在值班")
    assert f"现在值班：{names[winner]}（替 Li）" in duty.text
    late = await harness.press(loser, loser, cards[(WANG, ZHAO).index(loser)].message_id, data)
    assert "已经接了" in late or "已经开始" in late


async def test_i_cant_make_it_and_nobody_takes_it_so_the_owners_hear(harness: Harness) -> None:
    monday = go_to_next_monday_noon(harness)
    await set_up_building(harness)
    await harness.say(OWNER, OWNER, "/roster add mon 18:00-22:00 @li", expect="好了")
    await live_until(harness, monday.replace(hour=17, minute=31), [LI])
    reminder = last(harness, LI)
    assert "值班快开始了" in reminder.text
    await tap(harness, LI, reminder, "我来不了")
    assert "已交给其他志愿者" in text_of(harness, reminder)
    await live_until(harness, monday.replace(hour=17, minute=32), [OWNER])
    assert any("还没有人接" in text for text in harness.texts(OWNER))
    assert any("空缺班次" in text for text in harness.texts(WANG))
    assert await harness.value("SELECT status FROM open_shifts") == "open"
    go_to(harness, monday.replace(hour=18, minute=30))
    assert "现在值班：空缺" in (await harness.say(RESIDENT, GROUP, "/duty", expect="现在值班")).text


async def test_away_buttons_and_back(harness: Harness) -> None:
    go_to_next_monday_noon(harness)
    await set_up_building(harness)
    await harness.say(OWNER, OWNER, "/roster add mon 18:00-22:00 @li", expect="好了")
    menu = await harness.say(LI, LI, "/away", expect="离开多久")
    await tap(harness, LI, menu, "今天")
    assert "您从" in text_of(harness, menu) and "18:00–22:00" in text_of(harness, menu)
    back = await harness.say(LI, LI, "/back", expect="欢迎回来")
    assert "撤回的空缺班次：1 个" in back.text
    await harness.say(WANG, WANG, "/back @li", expect="管理员")
    await harness.say(OWNER, OWNER, "/away @li 2030-01-01 2030-01-02", expect="Li 从")
    await harness.say(OWNER, OWNER, "/back @li", expect="Li 回来了")
    await harness.say(LI, LI, "/back", expect="没有离开")
