"""The help request, notice and lock-up story while the Bot API fails one call in five
(500s, timeouts, dropped connections and 429s): everything people should get arrives, and
nothing arrives twice.

The building is set up before the faults start. People then act as people do: with no
answer after a few seconds they try again (a resident unsure whether a request went
through looks at /myrequests first). Each second try is counted; the state must still
change exactly once."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut

from bot import ratelimit
from bot.emulator import BotApiEmulator, Faults, SentMessage
from bot.services.notices import COUNT_EDIT_SECONDS
from tests.harness import Harness, settings_for
from tests.reliability.community import logged_errors
from tests.reliability.people import Patient
from tests.test_lockup import CHECKLIST, set_up_study_room
from tests.test_requests import card, cards_arrive
from tests.test_roster import GROUP, LI, OWNER, RESIDENT, WANG, ZHAO, go_to, go_to_next_monday_noon

NEIGHBOURS = [2100 + n for n in range(8)]  # residents who only press «Got it»
FAULTS = Faults(rate=0.2, kinds=("500", "timeout", "drop", "429"), seed=10, timeout_seconds=2.5)


async def arrived(harness: Harness, chat: int, fragment: str) -> SentMessage:
    """The first message in a chat that contains the fragment, waiting for it if need be."""
    def first() -> SentMessage | None:
        return next((m for m in harness.emu.sent(chat) if fragment in m.text), None)

    found = await harness.emu.wait_for(first, 30, what=f"{fragment!r} in {chat}")
    assert found is not None
    return found


def count(harness: Harness, chat: int, fragment: str) -> int:
    """How many messages in a chat contain the fragment (in their text as it is now)."""
    return sum(fragment in message.text for message in harness.emu.sent(chat))


async def test_requests_notices_and_a_lockup_arrive_once_while_a_fifth_of_calls_fail(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    settings = settings_for(emulator, tmp_path, telegram={"request_timeout": 1.5})
    harness = Harness(emulator, settings)
    await harness.start()
    try:
        with logged_errors() as errors:
            person = await story(harness)
        await harness.settle(60)
        await check_the_database(harness)
    finally:
        await harness.stop()
    check_what_people_got(harness)
    assert emulator.stats.faults_injected >= 15, emulator.stats  # the faults really happened
    # The bot tries a failed call again itself: people rarely have to (5 times before it did).
    assert len(person.again) <= 2, person.again
    print(f"\nfaults: {emulator.stats.faults_by_kind}; second tries: {len(person.again)}"
          f" {person.again}; errors: {errors}")


async def story(harness: Harness) -> Patient:
    """Requests, a notice and a lock-up, with faults from the first /request on."""
    monday = go_to_next_monday_noon(harness)
    await set_up_study_room(harness)
    for user in NEIGHBOURS:
        harness.emu.add_user(user, f"邻居{user}")
    await harness.say(RESIDENT, RESIDENT, "/start")
    await harness.settle()
    harness.emu.faults = FAULTS
    person = Patient(harness)
    await requests(harness, person)
    await notice(harness, person)
    await lockup(harness, person, monday)
    await person.says(OWNER, GROUP, "/award @zhao 5 帮忙搬家", "Zhao 获得 5 积分", "已经记录过了")
    return person


async def requests(harness: Harness, person: Patient) -> None:
    """#1 claimed on its card and done; #2 claimed, given back, taken by another; #3 cancelled."""
    assert await person.asks_for_help(RESIDENT, GROUP, "厨房水龙头漏水了") == 1
    await cards_arrive(harness, [LI, WANG, ZHAO])
    await person.presses(LI, LI, card(harness, LI).message_id, "requests:claim:1",
                         "您接下了 #1", "您已经接下 #1")
    await person.says(LI, LI, "/done 1 换了垫圈", "#1 已完成", "#1 已经完成了")
    rating = await arrived(harness, RESIDENT, "请打分")
    await person.presses(RESIDENT, RESIDENT, rating.message_id, "requests:rate:1:5",
                         "感谢您为 #1 打分", "已经给 #1 打过分了")

    assert await person.asks_for_help(RESIDENT, RESIDENT, "请帮我量一下血压") == 2
    await person.says(WANG, WANG, "/claim 2", "您接下了 #2", "您已经接下 #2")
    await person.says(WANG, WANG, "/release 2", "您退回了 #2", "#2 还没有人接单")
    await harness.emu.wait_for(lambda: count(harness, ZHAO, "求助 #2") == 2, 30,
                               what="the second card of #2 for Zhao")
    await person.presses(ZHAO, ZHAO, card(harness, ZHAO, 2).message_id, "requests:claim:2",
                         "您接下了 #2", "您已经接下 #2")
    await person.says(ZHAO, ZHAO, "/done 2", "#2 已完成", "#2 已经完成了")

    assert await person.asks_for_help(RESIDENT, GROUP, "楼道灯坏了") == 3
    await person.says(RESIDENT, GROUP, "/cancel 3", "您的求助 #3 已取消", "#3 已被取消")


async def notice(harness: Harness, person: Patient) -> None:
    """The owner posts a notice; the residents and volunteers confirm it, once each."""
    waiting = harness.emu.wait_for_message(GROUP, "明天 9:00–12:00 停水", timeout=30)
    harness.emu.user_sends(OWNER, GROUP, "/notice 明天 9:00–12:00 停水")  # answered by the post
    posted = await waiting
    confirm = posted.buttons[0][1]
    assert confirm is not None
    for user in [RESIDENT, LI, WANG, *NEIGHBOURS]:
        await person.presses(user, GROUP, posted.message_id, confirm,
                             "已记录您的确认", "已经确认过")
    harness.clock.advance(COUNT_EDIT_SECONDS)
    await harness.emu.wait_for(
        lambda: "已确认：11 人" in harness.emu.message(GROUP, posted.message_id).text, 30,
        what="the count to show 11",
    )


async def lockup(harness: Harness, person: Patient, monday_noon: datetime) -> None:
    """Li, on duty on Monday evening, ticks the study room's checklist and reports."""
    go_to(harness, monday_noon.replace(hour=20, minute=50))
    checklist = await person.says(LI, LI, "/lockup", "每检查完一项请勾选")
    for number, item in enumerate(CHECKLIST):
        await tick(harness, person, checklist.message_id, number, item)
    await person.says(LI, LI, "窗户都关了，明天见", "谢谢", "已经报告过了")


async def tick(harness: Harness, person: Patient, message_id: int, number: int, item: str) -> None:
    """Tick one item; a person who got no answer looks at the checklist before pressing again."""
    emu = harness.emu
    for _attempt in range(4):
        if f"☑ {item}" in [label for label, _ in emu.message(LI, message_id).buttons]:
            return
        data = dict(emu.message(LI, message_id).buttons).get(f"☐ {item}")
        if data is None:  # all ticked: the checklist asks for the note
            return
        query = emu.user_presses(LI, LI, message_id, str(data))
        try:
            await emu.wait_for(lambda q=query: q in emu.callback_answers, person.patience)
            await emu.wait_for(
                lambda m=message_id: f"☐ {item}" not in dict(emu.message(LI, m).buttons), 5
            )
        except AssertionError:
            person.again.append(f"Li ticked {item} again")
            fresh = await person.says(LI, LI, "/lockup", "每检查完一项请勾选", "全部检查完毕")
            message_id = fresh.message_id
    raise AssertionError(f"could not tick {item}")


async def check_the_database(harness: Harness) -> None:
    """Every change once: requests, their events, the ledger, confirmations, the lock-up."""
    rows = await harness.db.fetch_all("SELECT id, state, claimer_id, rating FROM requests")
    assert [tuple(row) for row in rows] == [
        (1, "done", LI, 5), (2, "done", ZHAO, None), (3, "cancelled", None, None)]
    events = await harness.db.fetch_all(
        "SELECT request_id, kind FROM request_events ORDER BY id")
    assert Counter((row[0], row[1]) for row in events) == Counter({
        (1, "opened"): 1, (1, "routed"): 1, (1, "claimed"): 1, (1, "done"): 1, (1, "rated"): 1,
        (2, "opened"): 1, (2, "routed"): 2, (2, "claimed"): 2, (2, "released"): 1,
        (2, "done"): 1, (3, "opened"): 1, (3, "routed"): 1, (3, "cancelled"): 1,
    })
    ledger = await harness.db.fetch_all(
        "SELECT user_id, reason, amount FROM ledger ORDER BY id")
    assert Counter(tuple(row) for row in ledger) == Counter([
        (LI, "request_done", 10), (ZHAO, "request_done", 10), (LI, "lockup_on_time", 3),
        (ZHAO, "award", 5)])
    assert await harness.value("SELECT count(*) FROM notices") == 1
    assert await harness.value("SELECT count(*) FROM notice_confirmations") == 11
    assert await harness.value("SELECT count(*) FROM lockups WHERE status = 'reported'") == 1
    outbox = await harness.db.fetch_all("SELECT status, count(*) FROM outbox GROUP BY status")
    assert {row[0]: row[1] for row in outbox}.keys() == {"sent"}, [tuple(r) for r in outbox]
    assert await harness.value("SELECT count(*) FROM inbox WHERE status = 'failed'") == 0


def check_what_people_got(harness: Harness) -> None:
    """Each notification once, in the chat it belongs to."""
    once = {
        LI: ["求助 #1</b>", "求助 #3</b>"],
        WANG: ["求助 #1</b>", "求助 #2</b>", "求助 #3</b>"],
        RESIDENT: ["Li 已接下您的求助 #1", "您的求助 #1 已完成", "Wang 已接下您的求助 #2",
                   "Wang 退回了您的求助 #2", "Zhao 已接下您的求助 #2", "您的求助 #2 已完成"],
        GROUP: ["明天 9:00–12:00 停水", "🔒 自习室已锁门"],
        ZHAO: ["求助 #1</b>", "求助 #3</b>", "您获得了 5 积分"],
    }
    for chat, fragments in once.items():
        raw = [message.raw_text for message in harness.emu.sent(chat)]
        for fragment in fragments:
            assert sum(fragment in text for text in raw) == 1, (chat, fragment, raw)
    for chat in (LI, ZHAO):  # #2 was routed again after Wang gave it back, to all but him
        assert sum("求助 #2</b>" in m.raw_text for m in harness.emu.sent(chat)) == 2
    assert card(harness, LI, 1).edits >= 1 and "您已接下这条求助" not in card(harness, WANG, 1).text
    assert sum("已锁门" in text for text in harness.texts(GROUP)) == 1



async def test_a_call_lost_on_the_network_is_tried_again_but_a_refused_one_is_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ratelimit, "NETWORK_PAUSE", 0.0)
    limiter = ratelimit.LoggingRateLimiter(max_retries=1)
    await limiter.initialize()
    calls: list[str] = []

    async def flaky(error: TelegramError, failures: int) -> dict[str, int]:
        calls.append(type(error).__name__)
        if len(calls) <= failures:
            raise error
        return {"message_id": 1}

    async def call(endpoint: str, error: TelegramError, failures: int) -> object:
        calls.clear()
        return await limiter.process_request(
            flaky, (error, failures), {}, endpoint, {"chat_id": 5}, None
        )

    assert await call("sendMessage", NetworkError("Server disconnected"), 3) == {"message_id": 1}
    assert await call("answerCallbackQuery", TimedOut(), 4) == {"message_id": 1}
    with pytest.raises(TimedOut):
        await call("sendMessage", TimedOut(), 5)
    assert len(calls) == 1 + ratelimit.NETWORK_RETRIES
    with pytest.raises(BadRequest):
        await call("sendMessage", BadRequest("Message is too long"), 1)
    assert calls == ["BadRequest"]
    with pytest.raises(NetworkError):
        await call("getUpdates", NetworkError("Bad Gateway"), 1)  # the poller has its own loop
    assert calls == ["NetworkError"]
    await limiter.shutdown()
