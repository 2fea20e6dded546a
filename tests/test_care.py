"""A resident's own data end to end: /mydata sends the file of everything the bot keeps
about them, /forgetme (confirmed with a button only they may press) forgets it, after which
no table holds their names, a done request shows "a former resident", and a second
/forgetme finds nothing left. And the hourly limit on new requests."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.emulator import SentMessage
from tests.harness import Harness

SHANGHAI = ZoneInfo("Asia/Shanghai")
GROUP = -100
OWNER, ZHANG, LI = 1, 2, 11
FIRST, LAST, USERNAME = "张阿姨", "Zhangsun", "auntie_zhang"
# Where a forgotten name may still be: nowhere (storage/mydata.py says what stays, nameless).
DOCUMENTED_EXCEPTIONS: set[tuple[str, str]] = set()


async def building(harness: Harness) -> None:
    """3号楼: its owner, 张阿姨 (a resident who started the bot) and 小李, a volunteer."""
    emu = harness.emu
    emu.add_user(OWNER, "王主任", username="owner", started=True)
    emu.add_user(ZHANG, FIRST, last_name=LAST, username=USERNAME, started=True)
    emu.add_user(LI, "小李", username="li", started=True)
    emu.add_group(GROUP, "3号楼", members=[ZHANG, LI], admins=[OWNER], bot_admin=True)
    for user_id in (OWNER, ZHANG, LI):
        await harness.say(user_id, user_id, "/start")
    await harness.say(OWNER, GROUP, "/setup 3号楼", expect="3号楼")
    emu.user_sends(ZHANG, GROUP, "大家好")
    emu.user_sends(LI, GROUP, "大家好")
    await harness.settle()
    await harness.say(OWNER, GROUP, "/volunteer @li", expect="志愿者")
    await harness.settle()


def last(harness: Harness, chat: int, fragment: str) -> SentMessage:
    found = [m for m in harness.emu.sent(chat) if fragment in m.text]
    assert found, f"nothing with {fragment!r} in {chat}: {harness.texts(chat)[-5:]}"
    return found[-1]


async def a_life_in_the_building(harness: Harness) -> None:
    """张阿姨 asks three times (one done and rated, one taken, one open), confirms a notice
    and signs up for an event."""
    for text in ("厨房水龙头漏水了", "帮忙取快递", "楼道灯坏了"):
        await harness.say(ZHANG, GROUP, f"/request {text}", expect="#")
        await harness.settle()
    await harness.say(LI, LI, "/claim 1", expect="#1")
    await harness.say(LI, LI, "/done 1 修好了", expect="已完成")
    await harness.settle()
    rating = last(harness, ZHANG, "#1")
    await harness.press(ZHANG, ZHANG, rating.message_id, "requests:rate:1:5")
    await harness.say(LI, LI, "/claim 2", expect="#2")
    await harness.settle()

    harness.emu.user_sends(OWNER, GROUP, "/notice 明天停水")
    await harness.settle()
    post = last(harness, GROUP, "明天停水")
    await harness.press(ZHANG, GROUP, post.message_id, str(post.buttons[0][1]))

    when = datetime.fromtimestamp(harness.clock.now(), SHANGHAI) + timedelta(days=3)
    harness.emu.user_sends(OWNER, GROUP, f"/event {when:%Y-%m-%d} 09:00 | 健康义诊 | 活动室 | 20")
    await harness.settle()
    card = last(harness, GROUP, "健康义诊")
    await harness.press(ZHANG, GROUP, card.message_id, "event:join:1")
    await harness.settle()


async def texts_holding(harness: Harness, words: list[str]) -> list[tuple[str, str, str]]:
    """Every (table, column, word) where a text column of any table holds one of the words
    (as written, or escaped as JSON writes it)."""
    found = []
    forms = {(word, form) for word in words for form in (word, json.dumps(word)[1:-1])}
    tables = await harness.db.fetch_all(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    for (table,) in tables:
        for column in await harness.db.fetch_all(f"PRAGMA table_info({table})"):
            if column["type"] not in ("TEXT", "BLOB", ""):
                continue
            name = column["name"]
            for word, form in forms:
                hits = await harness.value(
                    f"SELECT count(*) FROM {table} WHERE instr(CAST({name} AS TEXT), ?) > 0",
                    form)
                if hits:
                    found.append((table, name, word))
    return sorted(set(found))


async def edited(harness: Harness, chat: int, message_id: int, fragment: str) -> str:
    """The message once an edit shows ``fragment`` (the button's answer comes first)."""
    await harness.emu.wait_for(lambda: fragment in harness.emu.message(chat, message_id).text,
                               5.0, what=f"the message edited to {fragment!r}")
    return harness.emu.message(chat, message_id).text


def document_of(harness: Harness, chat: int) -> dict[str, object]:
    documents = [m for m in harness.emu.sent(chat) if m.kind == "document"]
    assert documents, harness.texts(chat)[-3:]
    assert documents[-1].file_bytes is not None
    return json.loads(documents[-1].file_bytes.decode("utf-8"))


async def test_mydata_sends_everything_kept_about_the_person_as_a_file_in_private(
    harness: Harness,
) -> None:
    await building(harness)
    await a_life_in_the_building(harness)

    refused = await harness.say(ZHANG, GROUP, "/mydata", expect="私聊")
    assert FIRST not in refused.text and not any(
        m.kind == "document" for m in harness.emu.sent(GROUP))

    await harness.say(ZHANG, ZHANG, "/mydata", expect="您的")
    kept = document_of(harness, ZHANG)
    assert kept["telegram_id"] == ZHANG
    profile = kept["profile"][0]  # type: ignore[index]
    assert (profile["first_name"], profile["last_name"], profile["username"]) == (
        FIRST, LAST, USERNAME)
    assert [b["building"] for b in kept["buildings"]] == ["3号楼"]  # type: ignore[attr-defined]
    opened = kept["requests_opened"]
    assert [(r["number"], r["state"]) for r in opened] == [  # type: ignore[attr-defined]
        (1, "done"), (2, "claimed"), (3, "open")]
    assert opened[0]["rating"] == 5 and opened[0]["text"] == "厨房水龙头漏水了"  # type: ignore[index]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", opened[0]["created_at"])  # type: ignore[index]
    kinds = [e["kind"] for e in kept["request_history"] if e["number"] == 1]  # type: ignore[attr-defined]
    assert kinds[0] == "opened" and "done" in kinds and "rated" in kinds
    assert kept["notice_confirmations"][0]["text"] == "明天停水"  # type: ignore[index]
    assert kept["event_signups"][0]["title"] == "健康义诊"  # type: ignore[index]
    assert "points" not in kept  # a resident has none; sections without rows are left out

    await harness.say(LI, LI, "/mydata", expect="您的")
    handled = document_of(harness, LI)
    assert [r["number"] for r in handled["requests_handled"]] == [1, 2]  # type: ignore[attr-defined]
    assert handled["points"][0]["source"] == "request:1"  # type: ignore[index]


async def test_forgetme_forgets_the_person_and_keeps_others_records_nameless(
    harness: Harness,
) -> None:
    await building(harness)
    await a_life_in_the_building(harness)
    assert await texts_holding(harness, [FIRST, LAST, USERNAME])  # the search finds them

    refused = await harness.say(ZHANG, GROUP, "/forgetme", expect="私聊")
    assert FIRST not in refused.text
    question = await harness.say(ZHANG, ZHANG, "/forgetme", expect="忘记")
    assert [data for _label, data in question.buttons] == [
        f"care:forget:{ZHANG}", f"care:keep:{ZHANG}"]

    # Someone else's press (a forged payload in their own chat) is refused and changes nothing.
    forged = await harness.press(LI, LI, harness.emu.sent(LI)[0].message_id,
                                 f"care:forget:{ZHANG}")
    assert "本人" in forged
    assert await harness.value("SELECT first_name FROM users WHERE id = ?", ZHANG) == FIRST
    # Cancel changes nothing either.
    await harness.press(ZHANG, ZHANG, question.message_id, f"care:keep:{ZHANG}")
    await edited(harness, ZHANG, question.message_id, "没有任何改动")
    assert await harness.value("SELECT first_name FROM users WHERE id = ?", ZHANG) == FIRST

    question = await harness.say(ZHANG, ZHANG, "/forgetme", expect="忘记")
    await harness.press(ZHANG, ZHANG, question.message_id, f"care:forget:{ZHANG}")
    done = await edited(harness, ZHANG, question.message_id, "我已忘记")
    await harness.settle()
    assert "已取消的求助：#2, #3" in done and "积分账本" not in done  # she has no points
    assert "已完成的求助" in done  # what stays, and why

    assert await texts_holding(harness, [FIRST, LAST, USERNAME]) == sorted(
        DOCUMENTED_EXCEPTIONS)
    states = await harness.db.fetch_all("SELECT id, state FROM requests ORDER BY id")
    assert [tuple(row) for row in states] == [(1, "done"), (2, "cancelled"), (3, "cancelled")]
    for table in ("members", "notice_confirmations", "event_signups"):
        assert await harness.value(f"SELECT count(*) FROM {table} WHERE user_id = ?", ZHANG) == 0
    assert await harness.value("SELECT count(*) FROM ledger WHERE user_id = ?", LI) == 1
    card = last(harness, LI, "求助 #1")
    assert "一位前住户" in card.text  # the delivered card was edited
    assert "#2" in last(harness, LI, "不必再去").text  # the volunteer who had taken #2 is told

    # Their next messages do not bring the names back; a second /forgetme finds nothing.
    again = await harness.say(ZHANG, ZHANG, "/forgetme", expect="没有")
    assert "没有可以忘记的" in again.text
    harness.emu.user_sends(ZHANG, GROUP, "谢谢大家")  # (she is a member again, nameless)
    await harness.settle()
    assert await texts_holding(harness, [FIRST, LAST, USERNAME]) == sorted(
        DOCUMENTED_EXCEPTIONS)
    await harness.say(ZHANG, ZHANG, "/mydata", expect="您的")
    profile = document_of(harness, ZHANG)["profile"][0]  # type: ignore[index]
    assert (profile["first_name"], profile["username"]) == ("", None)

    # Start pressed again: she comes back, and the bot knows her name from then on.
    await harness.say(ZHANG, ZHANG, "/start")
    await harness.say(ZHANG, ZHANG, "/myrequests")
    assert await harness.value("SELECT first_name FROM users WHERE id = ?", ZHANG) == FIRST


async def test_a_volunteer_holding_a_request_is_asked_to_finish_it_first(
    harness: Harness,
) -> None:
    await building(harness)
    await harness.say(ZHANG, GROUP, "/request 楼道灯坏了", expect="#")
    await harness.settle()
    await harness.say(LI, LI, "/claim 1", expect="#1")
    refused = await harness.say(LI, LI, "/forgetme", expect="#1")
    assert "/release 1" in refused.text and not refused.buttons
    assert await harness.value("SELECT first_name FROM users WHERE id = ?", LI) == "小李"


async def test_a_resident_past_the_hourly_limit_is_refused_kindly_and_nothing_is_stored(
    harness: Harness,
) -> None:
    await building(harness)
    limit = harness.settings.requests.max_per_hour
    for number in range(1, limit + 1):
        await harness.say(ZHANG, GROUP, f"/request 第{number}件事", expect=f"#{number}")
    refused = await harness.say(ZHANG, GROUP, "/request 又一件事", expect="一小时")
    assert f"{limit} 次" in refused.text
    assert await harness.value("SELECT count(*) FROM requests") == limit
    await harness.settle()
    cards = len(harness.emu.sent(LI))

    harness.clock.advance(3601)  # an hour later the first ones no longer count
    await harness.say(ZHANG, GROUP, "/request 又一件事", expect=f"#{limit + 1}")
    await harness.settle()
    assert len(harness.emu.sent(LI)) > cards
