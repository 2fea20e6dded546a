"""The bot as a process, killed with SIGKILL at random points of a scripted week in a
building, and started again each time. Afterwards nothing the people did is lost or
doubled, the database is sound, and every notification owed has been sent once.

The one repeat allowed is the documented at-least-once window: a message that reached
Telegram just before a kill, whose row (or update) was not yet marked done, goes out again
after the restart. Each repeat is checked to be that case, and counted."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import sqlite3
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.emulator import BotApiEmulator, SentMessage
from bot.services.notices import COUNT_EDIT_SECONDS
from tests.harness import Harness, settings_for
from tests.reliability.community import Community, add_place, logged_errors, open_community
from tests.reliability.test_rights import FAST_OUTBOX, prepare
from tests.test_process import BotProcess, query, wait_until, write_config

SEED = int(os.environ.get("RELIABILITY_SEED", "1010"))  # another seed: explore
OWNER = 501
V1, V2 = 511, 512
R1, R2, R3 = 521, 522, 523
RESIDENTS = (R1, R2, R3)
VOLUNTEERS = (V1, V2)
GROUP = -1001000000501
NAMES = {OWNER: "Chen", V1: "Li", V2: "Wang", R1: "Zhang", R2: "Zhou", R3: "Sun"}
REQUESTS = 8
NOTICES = 3
AWARDS = 3
KILLS = 22
WINDOW = 2.0  # seconds: a repeat's first copy must be this close before a kill
IN_FLIGHT = 0.5  # or this close after it: sent by the bot just before, read after the kill
PATIENCE = 30.0  # seconds to wait for an outcome, restarts included


@dataclass(frozen=True)
class Step:
    """One thing a person does; ``number`` is the request, notice or award it is about."""

    kind: str
    who: int
    number: int
    private: bool = False  # a request asked in private (else in the group)
    button: bool = False  # a claim made on the card (else with /claim)
    stars: int = 0


@dataclass
class Asked:
    """A step as sent: where its answer comes, and what the answer may say."""

    step: Step
    chat: int
    since: int  # how many messages the chat had before
    answers: tuple[str, ...]
    query: str | None = None


@dataclass
class Week:
    """The script, what the bot was asked, and when it was killed."""

    emu: BotApiEmulator
    bot: BotProcess
    database: Path
    rng: random.Random
    kills: list[float] = field(default_factory=list)  # time.monotonic() of each SIGKILL
    numbers: dict[int, int] = field(default_factory=dict)  # request step number -> #N
    notices: dict[int, SentMessage] = field(default_factory=dict)
    stale_presses: int = 0  # presses on the first copy of a notice that went out twice

    def start(self) -> None:
        """Start the bot process."""
        self.bot.start()

    def kill(self) -> None:
        """SIGKILL, and note when."""
        self.kills.append(time.monotonic())
        self.bot.kill()

    async def crash(self) -> None:
        """Kill the bot after a random moment (often inside the handling), start it again;
        now and then kill it once more while it catches up."""
        await asyncio.sleep(self.rng.choice([0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4]))
        self.kill()
        self.start()
        if self.rng.random() < 0.2:
            await asyncio.sleep(self.rng.uniform(0.5, 1.0))
            self.kill()
            self.start()


def script(rng: random.Random) -> list[Step]:
    """Requests (asked, claimed, done, some rated), notices and their confirmations, and
    awards, interleaved at random but each in its own order."""
    streams: list[list[Step]] = []
    for n in range(1, REQUESTS + 1):
        resident, volunteer = RESIDENTS[n % 3], VOLUNTEERS[n % 2]
        stream = [
            Step("request", resident, n, private=n % 3 == 0),
            Step("claim", volunteer, n, button=n % 2 == 0),
            Step("done", volunteer, n),
        ]
        if n % 2:
            stream.append(Step("rate", resident, n, stars=1 + n % 5))
        streams.append(stream)
    for n in range(1, NOTICES + 1):
        confirms = [Step("confirm", user, n) for user in (*RESIDENTS, V1)]
        streams.append([Step("notice", OWNER, n), *confirms])
    streams += [[Step("award", OWNER, n)] for n in range(1, AWARDS + 1)]
    steps: list[Step] = []
    while any(streams):
        stream = rng.choice([s for s in streams if s])
        steps.append(stream.pop(0))
    return steps


async def test_a_week_killed_at_random_points_loses_and_doubles_nothing(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    config = write_config(tmp_path, emulator)
    with config.open("a", encoding="utf-8") as file:
        file.write("[hours]\ncount_requests = true\n")  # a request done counts hours too
    bot = BotProcess(config, tmp_path / "bot.log")
    week = Week(emulator, bot, tmp_path / "linli.db", rng)
    steps = script(rng)
    kill_at = set(rng.sample(range(len(steps)), KILLS))
    try:
        week.start()
        await set_up(week)
        asked: list[Asked] = []
        for index, step in enumerate(steps):
            sent = await act(week, step)
            if index in kill_at:
                await week.crash()
            await outcome(week, sent)
            asked.append(sent)
        week.kill()  # the last kill: what is still owed goes out after this start
        week.start()
        await settled(week)
        assert await bot.terminate() == 0
    finally:
        bot.stop_if_running()
    assert len(week.kills) >= KILLS
    check_database(week, steps)
    repeats = check_messages(week, steps, asked)
    log = bot.log.read_text()
    print(f"\n{len(week.kills)} kills; repeats in the at-least-once window: {repeats}; "
          f"presses on a notice's first copy: {week.stale_presses}; "
          f"updates set aside: {log.count('set aside')}")


# --- the building -------------------------------------------------------------------------


async def set_up(week: Week) -> None:
    """3号楼: its owner, two volunteers and three residents, all of whom started the bot."""
    emu = week.emu
    for user, name in NAMES.items():
        emu.add_user(user, name, username=name.lower(), started=True)
    emu.add_group(GROUP, "3号楼", supergroup=True, members=[*VOLUNTEERS, *RESIDENTS],
                  admins=[OWNER], bot_admin=True)
    await answered(week, OWNER, GROUP, "/setup 3号楼", "3号楼")
    for user in NAMES:
        await answered(week, user, user, "/start", "邻里")
    for user in (*VOLUNTEERS, *RESIDENTS):
        emu.user_sends(user, GROUP, "大家好")
    for volunteer in VOLUNTEERS:
        await answered(week, OWNER, GROUP, f"/volunteer @{NAMES[volunteer].lower()}", "志愿者")


async def answered(week: Week, user: int, chat: int, text: str, answer: str) -> SentMessage:
    """A person writes and waits for the answer (no kill during the set-up)."""
    seen = len(week.emu.sent(chat))
    week.emu.user_sends(user, chat, text)
    return await week.emu.wait_for(lambda: first(week.emu.sent(chat)[seen:], (answer,)), 15)


def first(messages: list[SentMessage], answers: tuple[str, ...]) -> SentMessage | None:
    """The first message that says one of the answers."""
    return next((m for m in messages if any(a in m.text for a in answers)), None)


# --- acting and waiting -----------------------------------------------------------------


def request_text(number: int) -> str:
    """The words of the n-th request of the script (unique, to find it again)."""
    return f"第{number}件事：请帮忙看看{number}楼的水管"


async def act(week: Week, step: Step) -> Asked:
    """Send the step's command or press its button (waiting first for the button to exist)."""
    emu, n = week.emu, step.number
    if step.kind == "request":
        chat = step.who if step.private else GROUP
        return say(week, step, chat, f"/request {request_text(n)}", "已登记")
    number = week.numbers.get(n, 0)
    if step.kind == "claim" and step.button:
        card = await until(week, lambda: card_of(emu.sent(step.who), number), "a card")
        return press(week, step, card, f"requests:claim:{number}", *answers(step, number))
    if step.kind in ("claim", "done"):
        command = f"/claim {number}" if step.kind == "claim" else f"/done {number} 好了"
        return say(week, step, step.who, command, *answers(step, number))
    if step.kind == "rate":
        done = await until(week, lambda: first(emu.sent(step.who), (f"求助 #{number} 已完成",)),
                           "the rating row")
        data = f"requests:rate:{number}:{step.stars}"
        return press(week, step, done, data, *answers(step, number))
    if step.kind == "notice":
        return say(week, step, GROUP, f"/notice 第{n}号通知：周末停电", f"第{n}号通知")
    if step.kind == "confirm":
        post = notice_copies(week, n)[-1]
        return press(week, step, post, str(post.buttons[0][1]), "已记录您的确认", "已经确认过")
    assert step.kind == "award"
    return say(week, step, GROUP, f"/award @{NAMES[V2].lower()} 3 第{n}次奖励", f"第{n}次奖励")


def answers(step: Step, number: int) -> tuple[str, ...]:
    """What the bot answers a step, the first time or (replayed after a kill) again."""
    return {
        "request": (f"求助 #{number} 已登记",),
        "claim": (f"您接下了 #{number}，", f"您已经接下 #{number} "),
        "done": (f"#{number} 已完成", f"#{number} 已经完成"),
        "rate": (f"感谢您为 #{number} ", f"已经给 #{number} "),
    }.get(step.kind, ())


def say(week: Week, step: Step, chat: int, text: str, *answers: str) -> Asked:
    """A person sends a command."""
    since = len(week.emu.sent(chat))
    week.emu.user_sends(step.who, chat, text)
    return Asked(step, chat, since, answers)


def press(week: Week, step: Step, message: SentMessage, data: str, *answers: str) -> Asked:
    """A person presses a button."""
    query_id = week.emu.user_presses(step.who, message.chat_id, message.message_id, data)
    return Asked(step, message.chat_id, 0, answers, query=query_id)


def card_of(messages: list[SentMessage], number: int) -> SentMessage | None:
    """A volunteer's card of request #N."""
    return next((m for m in messages if f"求助 #{number}</b>" in m.raw_text and m.buttons), None)


async def until(week: Week, found: Callable[[], SentMessage | None], what: str) -> SentMessage:
    """Wait (through restarts) for a message to arrive."""
    message = await week.emu.wait_for(found, PATIENCE, what=what)
    assert message is not None
    return message


async def outcome(week: Week, asked: Asked) -> None:
    """Wait for the step's answer (it may come from the bot after a restart)."""
    emu, step = week.emu, asked.step
    if asked.query is not None:
        query_id = asked.query
        await emu.wait_for(lambda: query_id in emu.callback_answers, PATIENCE,
                           what=f"an answer to {step}")
        answer = emu.callback_answers[query_id][0] or ""
        if step.kind == "confirm" and "按钮已经失效" in answer:
            await press_the_copy_that_counts(week, asked)
            return
        assert any(a in answer for a in asked.answers), (step, answer)
        return
    reply = await until(week, lambda: first(emu.sent(asked.chat)[asked.since:], asked.answers),
                        f"an answer to {step}")
    if step.kind == "request":  # the answer may be a repeat of an earlier request's
        rows: list[tuple[object, ...]] = []

        def stored() -> bool:
            rows[:] = query(week.database, "SELECT id FROM requests WHERE text = "
                            f"'{request_text(step.number)}'")
            return bool(rows)

        await wait_until(stored, PATIENCE, f"request {step.number} to be stored")
        number = week.numbers[step.number] = int(str(rows[0][0]))
        await until(week, lambda: first(emu.sent(asked.chat)[asked.since:],
                                        answers(step, number)), f"the answer to {step}")
    if step.kind == "notice":
        week.notices[step.number] = reply


async def press_the_copy_that_counts(week: Week, asked: Asked) -> None:
    """A notice that went out twice (sent just before a kill, again after the restart):
    only the copy the bot knows has a working button, and the resident presses that one."""
    n = asked.step.number
    copies = await week.emu.wait_for(lambda: len(notice_copies(week, n)) > 1 and notice_copies(
        week, n), PATIENCE, what=f"the second copy of notice {n}")
    week.stale_presses += 1
    again = press(week, asked.step, copies[-1], str(copies[-1].buttons[0][1]), *asked.answers)
    await outcome(week, again)


def notice_copies(week: Week, n: int) -> list[SentMessage]:
    """The copies of the n-th notice in the group."""
    return [m for m in week.emu.sent(GROUP) if f"第{n}号通知" in m.text and m.buttons]


async def settled(week: Week) -> None:
    """Every update handled, nothing left in the outbox, no count edit still planned."""
    def quiet() -> bool:
        now = time.time()
        return (
            query(week.database, "SELECT count(*) FROM inbox WHERE status = 'pending'") == [(0,)]
            and query(week.database,
                      "SELECT count(*) FROM outbox WHERE status = 'pending'") == [(0,)]
            and query(week.database, "SELECT count(*) FROM jobs WHERE status = 'pending' "
                      f"AND due_at < {now + COUNT_EDIT_SECONDS + 2}") == [(0,)]
            and week.emu.pending_updates() == 0
        )

    await wait_until(quiet, 40, "the bot to catch up")


# --- the checks ---------------------------------------------------------------------------


def check_database(week: Week, steps: list[Step]) -> None:
    """The database holds exactly what the script did, once."""
    connection = sqlite3.connect(week.database)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        check_requests(connection, week, steps)
        check_points(connection, week, steps)
        check_notices(connection, steps)
        outbox = dict(connection.execute("SELECT status, count(*) FROM outbox GROUP BY status"))
        assert outbox.keys() == {"sent"}, outbox
        inbox = dict(connection.execute("SELECT status, count(*) FROM inbox GROUP BY status"))
        assert inbox.keys() == {"handled"}, inbox
    finally:
        connection.close()


def check_requests(connection: sqlite3.Connection, week: Week, steps: list[Step]) -> None:
    """One request per /request, claimed and done by the right volunteer, rated once."""
    expected = {}
    for step in steps:
        if step.kind == "request":
            expected[step.number] = [step.who, request_text(step.number), None, None, None]
        elif step.kind == "claim":
            expected[step.number][2] = step.who
        elif step.kind == "done":
            expected[step.number][3] = "done"
        elif step.kind == "rate":
            expected[step.number][4] = step.stars
    rows = connection.execute(
        "SELECT id, resident_id, text, claimer_id, state, rating FROM requests ORDER BY id"
    ).fetchall()
    by_text = {row[2]: row for row in rows}
    assert len(rows) == len(expected) == len(by_text)
    for n, (resident, text, claimer, state, rating) in expected.items():
        row = by_text[text]
        assert row[0] == week.numbers[n] and row[1] == resident, row
        assert (row[3], row[4], row[5]) == (claimer, state, rating), (n, row)
    events = Counter(connection.execute("SELECT request_id, kind FROM request_events"))
    for n in expected:
        number = week.numbers[n]
        kinds = {kind: events[(number, kind)] for kind in ("opened", "claimed", "done", "rated")}
        assert kinds == {"opened": 1, "claimed": 1, "done": 1,
                         "rated": int(expected[n][4] is not None)}, (n, kinds)


def check_points(connection: sqlite3.Connection, week: Week, steps: list[Step]) -> None:
    """One ledger entry per request done, one per /award; one hours entry per request done."""
    ledger = Counter(connection.execute("SELECT user_id, reason, source FROM ledger"))
    wanted = Counter(
        (step.who, "request_done", f"request:{week.numbers[step.number]}")
        for step in steps if step.kind == "done"
    )
    awards = Counter((user, reason) for user, reason, _source in ledger.elements()
                     if reason == "award")
    assert +Counter({k: v for k, v in ledger.items() if k[1] == "request_done"}) == wanted
    assert awards == Counter({(V2, "award"): AWARDS})
    assert max(ledger.values()) == 1
    hours = Counter(connection.execute(
        "SELECT user_id, 'request_done', source FROM hours_entries WHERE origin = 'request'"))
    assert hours == wanted  # and the hours of each request done, once


def check_notices(connection: sqlite3.Connection, steps: list[Step]) -> None:
    """One notice per /notice, one confirmation per press."""
    notices = [text for (text,) in connection.execute("SELECT text FROM notices")]
    assert sorted(notices) == sorted(f"第{n}号通知：周末停电" for n in range(1, NOTICES + 1))
    confirmed = connection.execute("SELECT count(*) FROM notice_confirmations").fetchone()[0]
    assert confirmed == sum(step.kind == "confirm" for step in steps)


def check_messages(week: Week, steps: list[Step], asked: list[Asked]) -> int:
    """Each notification arrived once, but for repeats in the at-least-once window;
    every step got its answer. Returns how many repeats there were."""
    emu, repeats = week.emu, 0
    owed: list[tuple[int, str]] = []
    for step in steps:
        number = week.numbers.get(step.number, 0)
        if step.kind == "request":
            owed += [(v, f"求助 #{number}</b>") for v in VOLUNTEERS]
        elif step.kind == "claim":
            owed.append((step_resident(steps, step.number), f"已接下您的求助 #{number}，"))
        elif step.kind == "done":
            owed.append((step_resident(steps, step.number), f"您的求助 #{number} 已完成"))
        elif step.kind == "notice":
            owed.append((GROUP, f"第{step.number}号通知"))
        elif step.kind == "award":
            owed.append((V2, f"第{step.number}次奖励"))
    for chat, fragment in owed:
        copies = [m for m in emu.sent(chat) if fragment in m.raw_text]
        assert copies, f"never arrived in {chat}: {fragment}"
        repeats += check_repeats(week, copies, fragment)
    for sent in asked:
        if sent.query is None:
            fragments = answers(sent.step, week.numbers.get(sent.step.number, 0)) or sent.answers
            replies = [m for m in emu.sent(sent.chat)[sent.since:]
                       if any(a in m.text for a in fragments)]
            assert replies, f"no answer to {sent.step}"
            repeats += check_repeats(week, replies, str(sent.step))
    for n in week.notices:  # the count edits owed were made
        confirmed = sum(step.kind == "confirm" and step.number == n for step in steps)
        shown = notice_copies(week, n)[-1].text
        assert f"已确认：{confirmed} 人" in shown, (n, shown)
    return repeats


def step_resident(steps: list[Step], number: int) -> int:
    """Who asked request n of the script."""
    return next(s.who for s in steps if s.kind == "request" and s.number == number)


def check_repeats(week: Week, copies: list[SentMessage], what: str) -> int:
    """Each copy after the first must follow a kill that came just after the copy before.

    "Just after": within WINDOW seconds; or even a moment before it, for a call the bot
    made just before it died, which the emulator (in this process) read after the kill.
    """
    for earlier, later in itertools.pairwise(copies):
        kills = [k for k in week.kills if k - WINDOW <= earlier.sent_at <= k + IN_FLIGHT
                 and k < later.sent_at]
        assert kills, (
            f"{what} arrived twice in {earlier.chat_id} with no kill just after the first: "
            f"{earlier.sent_at:.2f}, {later.sent_at:.2f}, kills {week.kills}"
        )
    return len(copies) - 1


# --- the window itself, case by case ------------------------------------------------------
#
# The kills above land where they land. Here every kind of change is put in the one spot
# that matters: the bot made the change and answered, then died before it marked the update
# handled, so the update is handled again after the start. That must change nothing more.

REPLAYS = [
    # (what the role's person does, where, who, the preparation it needs)
    ("/request 第{n}次：楼道灯坏了", "group", "resident", ""),
    ("/cancel {own}", "private", "resident", "own_request"),
    ("/claim {open}", "private", "volunteer", "open_request"),
    ("/release {claimed}", "private", "volunteer", "claimed_request"),
    ("/done {claimed} 好了", "private", "volunteer", "claimed_request"),
    ("/wait {claimed} {tomorrow} 等配件", "private", "volunteer", "claimed_request"),
    ("/note {claimed} 先打电话{n}", "private", "volunteer", "claimed_request"),
    ("/request 匿名 纠纷 第{n}次楼上太吵", "private", "resident", ""),
    ("/request 纠纷 匿名 第{n}次楼上太吵", "group", "resident", ""),  # answered in private
    ("/whois {anonymous}", "private", "admin", "anonymous_request"),  # logged once
    ("/tell {claimed} 我三点到{n}", "private", "volunteer", "claimed_request"),
    ("/replies add 电话{n} | 物业值班电话：12345678", "group", "owner", ""),
    ("/replies remove {canned}", "group", "owner", "canned"),
    ("/notice 今晚停电{n}", "group", "owner", ""),
    ("/notice {name} 今晚停电{n}", "private", "owner", ""),
    ("/emergency 煤气泄漏{n}，请撤离", "group", "owner", ""),
    ("/emergency {name} 煤气泄漏{n}，请撤离", "private", "owner", ""),
    ("/notice every mon 09:00 每周贴士{n}", "group", "owner", ""),
    ("/notice {name} every day 08:00 早安{n}", "private", "owner", ""),
    ("/notice remind after 6h 今晚停电{n}", "group", "owner", ""),
    ("/notice {name} remind after 6h 今晚停电{n}", "private", "owner", ""),
    ("/quiet 22:00-07:00", "group", "owner", ""),
    ("/outage water {name} {tomorrow} 08:00-12:00 检修{n}", "group", "owner", ""),
    ("/outage 停电 {name} {tomorrow} 14:00-15:00 检修{n}", "private", "owner", ""),
    ("/outages", "group", "resident", "outage"),
    ("outage:restored:{outage}", "private", "owner", "outage"),
    ("/topic notices", "topic", "owner", "topic"),
    ("/topic notices off", "group", "owner", "topic_chosen"),
    ("/event {name} | {soon} | 义诊{n} | 活动室 | 40 | 2", "private", "owner", ""),
    ("40", "private", "owner", "event_form"),  # the capacity; would be taken as the helpers
    ("/award @{volunteer} 5 帮忙{n}", "group", "owner", ""),
    ("/redeem {reward}", "private", "volunteer", "reward"),
    ("/reward add 洗车{n} | 王记 | 10 | 5", "group", "owner", ""),
    ("/roster {name} add tue 08:00-12:00 @{volunteer}", "private", "owner", ""),
    ("/facility {name} add 健身房{n} | 22:00 | 关灯", "private", "owner", ""),
    ("/handover 钥匙在门卫处{n}", "private", "volunteer", "shift_now"),
    ("/volunteer @{target}", "group", "owner", "target"),
    ("/unvolunteer @{target}", "group", "owner", "target_volunteer"),
    ("/lockup", "private", "volunteer", "facility"),
    ("requests:claim:{open}", "private", "volunteer", "open_request"),
    ("requests:rate:{rated}:4", "private", "resident", "done_request"),
    ("requests:waitnow:{claimed}:3", "private", "volunteer", "claimed_request"),
    ("requests:waitdays:{claimed}:3", "private", "volunteer", "claimed_request"),
    ("requests:resume:{waiting}", "private", "volunteer", "waiting_request"),
    ("requests:reopen:{rated}", "private", "resident", "done_request"),
    ("requests:anon:{offer}:dispute:1", "private", "resident", "dispute_offer"),
    ("relay:send:{claimed}:{canned_id}", "private", "volunteer", "claimed_canned"),
    ("notice:ok:{post}", "post", "resident", "notice"),
    ("notice:cancel:{scheduled}", "private", "owner", "scheduled_notice"),
    ("notice:stop:{recurring}", "private", "owner", "recurring_notice"),
    ("notice:remind:{notice}", "private", "owner", "notice"),
    ("notice:got:{post}", "private", "resident", "nudged_notice"),
    ("event:join:{event}", "card", "resident", "event"),
    ("event:leave:{event}", "card", "resident", "joined_event"),
    ("lockup:tick:{lockup}:0:1", "private", "volunteer", "lockup"),
    ("roster:toggle:{shift}:{partner}:1", "private", "owner", "shift"),
    ("roster:yes:{swap}", "private", "volunteer", "swap"),
    ("points:approve:{redemption}", "private", "owner", "redemption"),
    ("/checkin {code}", "private", "volunteer", "checkin_window"),
    ("/checkout", "private", "volunteer", "checked_in"),
    ("/hours add @{volunteer} 2 帮忙{n}", "group", "owner", ""),
    ("/hours correct {entry} 0.5 记错了{n}", "private", "owner", "hours_entry"),
    ("/certificate", "private", "volunteer", "hours_entry"),
    ("/apply repair", "group", "resident", ""),
    ("hours:in:{activity}", "private", "volunteer", "checkin_window"),
    ("hours:out:{activity}", "private", "volunteer", "checked_in"),
    ("hours:in:{activity}", "card", "volunteer", "checkin_window"),
    ("hours:out:{activity}", "card", "volunteer", "checked_in"),
    ("hours:confirm:{attendance}", "private", "owner", "no_checkout"),
    ("hours:approve:{application}", "private", "owner", "application"),
    ("/facility {name} book 自习室 | daily 06:00-24:00 | 60 | 10 | auto", "private", "owner",
     "facility"),
    ("/book 自习室 {tomorrow} 10:00 作业{n}", "private", "resident", "room"),
    ("booking:take:{room}:{slot}", "private", "resident", "room"),
    ("booking:cancel:{booking}", "private", "resident", "booking"),
    ("booking:approve:{pending}", "private", "owner", "pending_booking"),
    ("booking:decline:{pending}", "private", "owner", "pending_booking"),
    ("booking:here:{soon_booking}", "private", "resident", "booking_soon"),
    ("lockup:problem:{lockup}", "private", "volunteer", "lockup"),
    ("窗户坏了{n}", "private", "volunteer", "lockup_problem"),  # becomes a repair request
    ("/welcome 欢迎{name}新邻居{n}", "group", "owner", ""),
    ("/rules 楼道里请不要堆放杂物{n}", "group", "owner", ""),
    ("/rules {name} 晚十点后请保持安静{n}", "private", "owner", ""),
    ("join:approve:{join}", "private", "owner", "join_request"),
    ("join:decline:{join}", "private", "owner", "join_request"),
]

@pytest.fixture
async def community(emulator: BotApiEmulator, tmp_path: Path) -> AsyncIterator[Community]:
    """The bot in this process (a restart is quick), and people in every role."""
    harness = Harness(emulator, settings_for(emulator, tmp_path, outbox=FAST_OUTBOX,
                                             booking={"per_week": 50, "check_in": True}))
    await harness.start()
    try:
        yield await open_community(harness)
    finally:
        await harness.stop()


async def test_an_update_handled_again_after_a_crash_changes_nothing_more(
    community: Community,
) -> None:
    doubled = []
    for what, where, role, kind in REPLAYS:
        place = await add_place(community)
        values = await prepare(community, place, kind, role)
        user = place.user(role)
        if ":" in what.split()[0]:
            chat = user if where == "private" else place.group
            message = community.harness.emu.sent(user)[0].message_id if where == "private" \
                else values["message"]
            first = await community.presses(user, chat, message, what.format(**values))
        else:
            chat = place.group if where in ("group", "topic") else user
            thread = values.get("thread") if where == "topic" else None
            first = await community.says(user, chat, what.format(**values), thread=thread)
        assert first.error is None, (what, first.texts)
        once = await community.state()
        with logged_errors() as errors:
            await handle_the_last_update_again(community)
        assert errors == [], (what, errors)
        if await community.state() != once:
            doubled.append(what)
            print(f"\nhandled twice, {what} changed: {changes(once, await community.state())}")
    assert doubled == []


async def handle_the_last_update_again(community: Community) -> None:
    """As if the bot died after it answered and before it marked the update handled."""
    harness = community.harness
    async with harness.db.transaction() as tx:
        await tx.execute("UPDATE inbox SET status = 'pending' WHERE update_id = "
                         "(SELECT max(update_id) FROM inbox)")
    await harness.restart()
    harness.bot.application.add_error_handler(community.record)
    await harness.settle(30)


def changes(before: dict[str, list[tuple[object, ...]]],
            after: dict[str, list[tuple[object, ...]]]) -> dict[str, list[tuple[object, ...]]]:
    """The rows that a second handling added (or changed), table by table."""
    return {table: [row for row in after[table] if row not in before[table]]
            for table in after if after[table] != before[table]}


async def test_a_press_made_while_the_bot_was_down_still_shows_its_result(
    community: Community,
) -> None:
    """Telegram lets a button's answer wait only a few seconds: after a restart the answer
    is refused as too old, and the press must still do what it does, visibly."""
    place = await add_place(community)
    values = await prepare(community, place, "lockup", "volunteer")
    harness, volunteer = community.harness, place.volunteer
    checklist = harness.emu.sent(volunteer)[-1]
    assert "☐ 窗户" in [label for label, _ in checklist.buttons]
    await harness.stop()  # a deploy, or a crash
    query = harness.emu.user_presses(volunteer, volunteer, checklist.message_id,
                                     f"lockup:tick:{values['lockup']}:0:1")
    harness.emu.world.open_callback_queries.discard(query)  # it expired meanwhile
    await harness.start()
    harness.bot.application.add_error_handler(community.record)
    with logged_errors() as errors:
        await harness.settle()
    assert errors == []
    assert "☑ 窗户" in [label for label, _ in harness.emu.message(volunteer,
                                                                    checklist.message_id).buttons]
