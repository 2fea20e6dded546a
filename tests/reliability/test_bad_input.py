"""Bad input through the running bot: hypothesis writes command texts (overlong, empty,
unicode and right-to-left, HTML and SQL-looking, numbers out of range) for every command
in the menus, and button payloads (forged, stale, out of range), sent by people with and
without the right to them. The bot never fails on them, answers each, and input it
refuses changes nothing.

One bot per test function; hypothesis runs many examples against it, with a fixed seed."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.app import menu
from bot.emulator import BotApiEmulator
from tests.harness import Harness, settings_for
from tests.reliability.community import (
    OTHER_GROUP,
    ROLES,
    SOMETHING_WENT_WRONG,
    Community,
    Outcome,
    Place,
    add_place,
    logged_errors,
    open_community,
)
from tests.reliability.test_rights import FAST_OUTBOX, MEMBERS, PREPARATIONS

COMMANDS = sorted({item.command for item in menu()})
GROUP_ONLY = sorted({item.command for item in menu() if not item.private})
PLACES = 8  # the bot may send about 20 messages a minute into one group: spread them

NUMBERS = [
    "0", "-1", "1", "2", "#1", "#0", "#", "+5", " 7 ", "1.5", "1e9", "0x10", "1_000",
    "99999999999999999999", "9" * 40, "-9223372036854775809", "9223372036854775808",
    "²", "١٢", "１２", "NaN", "∞",
]
WORDS = [
    "", " ", "\n", "\t", "\u200b", "\u200f", "\u202e", "\x00", "<b>x</b>", "</b>", "<",
    "&amp;", "&", "<script>alert(1)</script>", "<a href='tg://user?id=1'>x</a>",
    "'; DROP TABLE requests; --", "1 OR 1=1", "%", "_", "\\", '"', "@", "@nobody",
    "@u10012", "@u10015", "@u702", "|", " | ", "||||", "｜", "all", "全部", "at", "pin", "add",
    "remove", "assign", "unassign", "announce", "on", "off", "edit", "retire", "stop",
    "zh", "en", "xx", "mon", "mon-fri", "sun", "25:00-26:00", "18:00-22:00", "22:00-02:00",
    "00:00-00:00", "2020-01-01 09:00", "2099-12-31 23:59", "12-31 09:00", "13-45 25:61",
    "monthly", "stock", "cost", "name", "👨‍👩‍👧‍👦", "עברית", "العربية", "中文", "😀" * 10,
    "1号楼", "2号楼", "外楼", "维修", "repair", "health",
]
LONG = ["水" * 5000, "a" * 4100, "<b>" * 1500, "9" * 5000, "@" + "a" * 100, "|" * 3000]
TEXT = st.lists(
    st.one_of(st.sampled_from(NUMBERS), st.sampled_from(WORDS), st.text(max_size=20),
              st.sampled_from(LONG)),
    max_size=6,
).flatmap(lambda parts: st.sampled_from([" ", " | ", "\n", ""]).map(lambda sep: sep.join(parts)))

FEATURES = ["requests", "notice", "roster", "lockup", "points", "event", "stats", "hours",
            "join", "booking", "relay", "outage", "care", "x", ""]
ACTIONS = [
    "claim", "release", "done", "details", "rate", "building", "ok", "names", "cancel",
    "view", "add", "addday", "addshift", "remove", "drop", "assign", "pick", "toggle",
    "announce", "swap", "swapto", "yes", "no", "start", "tick", "post", "approve", "reject",
    "join", "leave", "help", "cancelok", "keep", "sheet", "mark", "save", "away", "take", "cant",
    "today", "week", "until", "offer", "confirm", "mnew", "mto", "in", "out", "code",
    "decline", "problem", "room", "day", "nowhy", "here", "menu", "send", "remind", "got",
    "restored", "anon", "wait", "waitdays", "waitnow", "resume", "reopen", "unmute", "stop",
    "zap", "",
]
ARGUMENT = st.one_of(st.sampled_from(NUMBERS), st.integers(-(2**70), 2**70).map(str),
                     st.sampled_from(["{id}", "{id}", "{day}", "20261301", "x", ""]))
PAYLOAD = st.one_of(
    st.tuples(st.sampled_from(FEATURES), st.sampled_from(ACTIONS),
              st.lists(ARGUMENT, max_size=4)).map(lambda t: ":".join([t[0], t[1], *t[2]])),
    st.text(max_size=70),
)
# What the payloads may name (a resident of two buildings would make /request ask "which
# building?" from then on, so that one is left out).
PREPARED = ["", *sorted(set(PREPARATIONS) - {"draft"})]
# The bot keeps its state from one example to the next, so a failing example would not
# fail the same way when replayed: hypothesis reports it as found, without shrinking.
SETTINGS = settings(
    max_examples=300, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
async def community(emulator: BotApiEmulator, tmp_path: Path) -> AsyncIterator[Community]:
    """The bot, its people in every role, and buildings to spread them over."""
    harness = Harness(emulator, settings_for(emulator, tmp_path, outbox=FAST_OUTBOX,
                                             requests={"max_per_hour": 0},
                                             booking={"per_week": 50}))
    await harness.start()
    try:
        community = await open_community(harness)
        for _ in range(PLACES):
            await add_place(community)
        yield community
    finally:
        await harness.stop()


@SETTINGS
@given(data=st.data())
async def test_any_command_text_from_anyone_is_answered_and_a_refusal_changes_nothing(
    community: Community, data: st.DataObject
) -> None:
    place = next_place(community)
    role = data.draw(st.sampled_from(ROLES))
    command = data.draw(st.sampled_from(COMMANDS))
    text = data.draw(TEXT)
    follow_up = data.draw(st.one_of(st.none(), TEXT.filter(lambda t: not t.startswith("/"))))
    in_group = role in MEMBERS and data.draw(st.booleans() if command not in GROUP_ONLY
                                             else st.just(True))
    user = place.user(role)
    chat = place.group if in_group else user
    with logged_errors() as errors:
        before = await community.state()
        outcome = await community.says(user, chat, f"/{command} {text}".rstrip(" "))
        await check(community, outcome, before, errors, f"/{command} {text[:80]!r}")
        if follow_up is not None:  # perhaps the answer to a question the bot asked
            before = await community.state()
            outcome = await community.says(user, chat, follow_up)
            await check(community, outcome, before, errors, f"then {follow_up[:80]!r}",
                        answered=False)


@SETTINGS
@given(data=st.data())
async def test_any_button_payload_from_anyone_is_answered_and_a_refusal_changes_nothing(
    community: Community, data: st.DataObject
) -> None:
    place = next_place(community)
    role = data.draw(st.sampled_from(ROLES))
    kind = data.draw(st.sampled_from(PREPARED))
    values = await PREPARATIONS[kind](community, place, "volunteer") if kind else {}
    payload = data.draw(PAYLOAD)
    payload = payload.replace("{id}", str(data.draw(st.sampled_from(
        [v for v in values.values() if isinstance(v, int)] or [1]))))
    payload = payload.replace("{day}", str(values.get("day", "20261124")))
    user = place.user(role)
    chat, message_id = data.draw(st.sampled_from(pressed_on(community, place, user, values)))
    with logged_errors() as errors:
        before = await community.state()
        outcome = await community.presses(user, chat, message_id, payload)
        await check(community, outcome, before, errors, f"{payload!r} on {chat}/{message_id}")


_turns = itertools.count()


def next_place(community: Community) -> Place:
    """The buildings in turn (not drawn: hypothesis favours the first of a list)."""
    return community.places[next(_turns) % len(community.places)]


def pressed_on(community: Community, place: Place, user: int,
               values: dict[str, object]) -> list[tuple[int, int]]:
    """Messages a person may press a button on: one of their own, a post in the group, a
    message that is gone, and one of someone else's."""
    emu = community.harness.emu
    where = [(user, emu.sent(user)[0].message_id), (user, 999_999), (OTHER_GROUP, 1)]
    if isinstance(values.get("message"), int):
        where.append((place.group, int(str(values["message"]))))
    return where


async def check(community: Community, outcome: Outcome, before: object, errors: list[str],
                what: str, *, answered: bool = True) -> None:
    """Answered, never with a failure, and nothing changed by a refusal."""
    assert not errors, (what, errors)
    assert outcome.error is None or outcome.refused, (what, repr(outcome.error))
    failed = await community.harness.value("SELECT count(*) FROM inbox WHERE status = 'failed'")
    assert failed == 0, what
    assert any(outcome.texts) or not answered, (what, "no answer")
    assert not any(bad in text for text in outcome.texts for bad in SOMETHING_WENT_WRONG), what
    if outcome.refused:
        assert await community.state() == before, (what, outcome.texts)


OUT_OF_RANGE = [
    "0", "-1", "1.5", "1e9", "99999999999999999999", "-9223372036854775809",
    "9223372036854775808", "²", "١٢", "１２", "9" * 5000,
]
NUMBERED = [
    "/claim {n}", "/release {n}", "/done {n} 好了", "/cancel {n}", "/notices {n}", "/redeem {n}",
    "/reward edit {n} stock 5", "/reward edit 1 stock {n}", "/reward retire {n}",
    "/award @u10012 {n} 奖励", "/roster 1号楼 add mon {n}:00-{n}:30",
    "/event 1号楼 | 2099-12-31 09:00 | 义诊 | 活动室 | {n} | {n}", "/leaderboard {n}",
    "/stats {n}", "/export 2026-{n}",
    "/away 2026-12-{n}", "/away 2099-01-01 2099-{n}-01", "/coverage {n}",
    "/roster 1号楼 from 2099-{n}-01 add weekdays 09:00-10:00", "/points {n}", "/lang {n}",
    "/facility 1号楼 add x | {n} | a",
    "/notice 1号楼 every {n} weeks mon 09:00 贴士", "/notice 1号楼 every {n}th 09:00 贴士",
    "/notice 1号楼 every mon {n}:00 贴士", "/quiet {n}:00-07:00",
    "/outage water 1号楼 2099-12-{n} 08:00-24:00 检修",
    "/outage lift 1号楼 9999-12-31 {n}:00-24:00",
    "/notice 1号楼 remind after {n}h 停水",
]


async def test_numbers_out_of_range_in_every_numbered_command(community: Community) -> None:
    place = community.places[0]
    await PREPARATIONS["redemption"](community, place, "volunteer")
    roles = itertools.cycle(("volunteer", "owner", "admin"))
    for template in NUMBERED:
        for number in OUT_OF_RANGE:
            text, user = template.format(n=number), place.user(next(roles))
            with logged_errors() as errors:
                before = await community.state()
                outcome = await community.says(user, user, text)
                await check(community, outcome, before, errors, f"{user}: {text[:80]!r}")


async def test_an_overlong_text_in_every_command(community: Community) -> None:
    """A long text (it grows fourfold when escaped) after every command, and in the event
    form's fields, which a refusal quotes."""
    texts = ["<&>" * 1365, "1号楼 | " + "<" * 4000 + " | 义诊 | 活动室"]
    for number, command in enumerate(COMMANDS):
        place = community.places[number % len(community.places)]
        for text, role in zip(texts, ("owner", "admin"), strict=True):
            user = place.user(role)
            chat = place.group if command in GROUP_ONLY else user
            with logged_errors() as errors:
                before = await community.state()
                outcome = await community.says(user, chat, f"/{command} {text}")
                await check(community, outcome, before, errors, f"/{command} {text[:20]}…")
