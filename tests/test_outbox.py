"""The outbox against the emulator with Telegram's limits and a 20% fault rate."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bot.emulator import BotApiEmulator, Faults, RateLimits
from bot.outbox import URGENT
from bot.ratelimit import SendLimiter
from tests.harness import Harness, settings_for

GROUPS = [-1000 - n for n in range(25)]
USERS = [2000 + n for n in range(25)]


def make_chats(emu: BotApiEmulator) -> None:
    for user in USERS:
        emu.add_user(user, f"User {user}", started=True)
    for group in GROUPS:
        emu.add_group(group, f"Building {group}")


async def queue_messages(harness: Harness, per_chat: int) -> list[tuple[int, str]]:
    services = harness.bot.services
    wanted = []
    async with services.db.transaction() as tx:
        for n in range(per_chat):
            for chat in GROUPS + USERS:
                text = f"notice {n} for {chat}"
                await services.outbox.queue(tx, chat, text)
                wanted.append((chat, text))
    return wanted


def delivered(emu: BotApiEmulator) -> Counter[tuple[int, str]]:
    return Counter((chat, m.text) for chat in GROUPS + USERS for m in emu.sent(chat))


async def test_200_messages_to_50_chats_arrive_once_under_limits_faults_and_a_restart(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    make_chats(emulator)
    settings = settings_for(emulator, tmp_path, telegram={"request_timeout": 2.0})
    harness = Harness(emulator, settings)
    await harness.start()
    emulator.rate_limits = RateLimits(global_per_second=30, per_chat_per_second=1,
                                      per_group_per_minute=20)
    emulator.faults = Faults(rate=0.2, kinds=("500", "timeout", "drop", "429"), seed=7,
                             timeout_seconds=2.5)
    try:
        wanted = await queue_messages(harness, per_chat=4)
        assert len(wanted) == 200
        await emulator.wait_for(lambda: sum(delivered(emulator).values()) >= 60, 20,
                                what="a first part of the messages")
        await harness.restart()  # a deploy in the middle of the broadcast
        await harness.bot.services.sender.drain(timeout=60)
    finally:
        await harness.stop()
    got = delivered(emulator)
    assert got == Counter(wanted), "every message exactly once"
    assert emulator.rate_violations() == []
    assert emulator.stats.faults_injected > 10  # the faults really happened
    for chat in GROUPS + USERS:  # each chat got its messages in order
        texts = [m.text for m in emulator.sent(chat)]
        assert texts == [f"notice {n} for {chat}" for n in range(4)]


async def test_urgent_rows_go_ahead_of_queued_ones_in_each_chat_under_limits_and_faults(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    make_chats(emulator)
    harness = Harness(emulator, settings_for(emulator, tmp_path))
    await harness.start()
    emulator.rate_limits = RateLimits()
    emulator.faults = Faults(rate=0.2, kinds=("500", "429"), seed=3)
    services = harness.bot.services
    try:
        async with services.db.transaction() as tx:
            for n in range(2):
                for chat in GROUPS:
                    await services.outbox.queue(tx, chat, f"tip {n} for {chat}")
            for chat in GROUPS:
                await services.outbox.queue(tx, chat, f"ALERT for {chat}", priority=URGENT)
        await services.sender.drain(timeout=60)
    finally:
        await harness.stop()
    for chat in GROUPS:
        texts = [m.text for m in emulator.sent(chat)]
        assert texts == [f"ALERT for {chat}", f"tip 0 for {chat}", f"tip 1 for {chat}"], chat
    assert emulator.rate_violations() == []
    assert emulator.stats.faults_injected > 3


async def test_the_first_ordinary_row_waits_until_every_urgent_one_has_gone(
    harness: Harness,
) -> None:
    make_chats(harness.emu)
    services = harness.bot.services
    async with services.db.transaction() as tx:
        for chat in GROUPS:
            await services.outbox.queue(tx, chat, f"tip for {chat}")
        for chat in reversed(GROUPS):
            await services.outbox.queue(tx, chat, f"ALERT for {chat}", priority=URGENT)
    await services.sender.drain()
    sends = [c for c in harness.emu.calls if c.method == "sendMessage"]
    kinds = [str(c.params["text"]).split()[0] for c in sends]
    assert kinds == ["ALERT"] * len(GROUPS) + ["tip"] * len(GROUPS)
    first = [int(c.params["chat_id"]) for c in sends[: len(GROUPS)]]
    assert first == list(reversed(GROUPS)), "urgent rows in the order they were queued"


async def test_a_group_that_removed_the_bot_fails_for_good_and_is_marked_inactive(
    harness: Harness,
) -> None:
    harness.emu.add_user(1, "Owner")
    harness.emu.add_group(-77, "Gone", members=[1])
    harness.emu.user_sends(1, -77, "/help")
    await harness.settle()
    harness.emu.bot_removed(-77, 1)
    await harness.settle()
    services = harness.bot.services
    async with services.db.transaction() as tx:
        await services.outbox.queue(tx, -77, "hello?")
    await services.sender.drain()
    row = await harness.db.fetch_one("SELECT status, error FROM outbox")
    assert row is not None and row["status"] == "failed"
    assert await harness.value("SELECT active FROM chats WHERE id = -77") == 0


async def test_a_user_who_never_started_the_bot_fails_and_calls_the_hook(harness: Harness) -> None:
    harness.emu.add_user(5, "Never started")
    services = harness.bot.services
    seen = []

    async def hook(_tx: object, delivery: object) -> None:
        seen.append(delivery)

    services.sender.on_settled("card", hook)
    async with services.db.transaction() as tx:
        await services.outbox.queue(tx, 5, "a card", kind="card")
    await services.sender.drain()
    assert len(seen) == 1 and not seen[0].ok and seen[0].chat_gone  # type: ignore[attr-defined]
    assert "initiate conversation" in seen[0].error  # type: ignore[attr-defined]


async def test_messages_follow_a_group_to_its_supergroup(harness: Harness) -> None:
    harness.emu.add_user(1, "Owner")
    harness.emu.add_group(-88, "Old group", members=[1])
    harness.emu.user_sends(1, -88, "/help")
    await harness.settle()
    harness.emu.migrate_to_supergroup(-88, -1001000000088)
    services = harness.bot.services
    async with services.db.transaction() as tx:  # queued before the bot heard of the move
        await services.outbox.queue(tx, -88, "after the move")
    await harness.settle()
    assert "after the move" in harness.texts(-1001000000088)
    assert await harness.value("SELECT count(*) FROM chats WHERE id = -88") == 0


async def test_a_dedupe_key_queues_a_notification_once(harness: Harness) -> None:
    harness.emu.add_user(6, "Li", started=True)
    services = harness.bot.services
    for _ in range(3):
        async with services.db.transaction() as tx:
            await services.outbox.queue(tx, 6, "only once", dedupe_key="reminder 6")
    await services.sender.drain()
    assert harness.texts(6) == ["only once"]


def test_the_limiter_keeps_each_window() -> None:
    now = [0.0]
    limiter = SendLimiter(30, 1, 20, margin=0.0, monotonic=lambda: now[0])
    for _ in range(20):
        assert limiter.delay(-5) == 0
        limiter.record(-5)
        now[0] += 1.0
    assert limiter.delay(-5) > 39  # the 21st message to a group waits for the minute
    assert limiter.delay(7) == 0
    limiter.record(7)
    assert 0.9 < limiter.delay(7) <= 1.0  # one a second in a chat
    for chat in range(100, 129):
        limiter.record(chat)
    assert limiter.delay(999) > 0  # 30 in the last second overall
    now[0] += 1.0
    assert limiter.delay(999) == 0



def test_the_sends_an_overall_flood_wait_held_take_the_first_slots_after_it() -> None:
    now = [0.0]
    limiter = SendLimiter(30, 1, 20, margin=0.0, monotonic=lambda: now[0])
    limiter.record(1)
    limiter.floods.block(1.1)  # PTB holds every call meanwhile, then lets them go at once
    limiter.count_held(8)
    assert limiter.global_delay() == pytest.approx(1.1)
    now[0] = 1.1
    limiter.count_held(8)  # the eight go now: the next slot is after them
    assert limiter.global_delay() == pytest.approx(8 / 30)
    limiter.count_held(8)  # counted once
    assert limiter.global_delay() == pytest.approx(8 / 30)
    now[0] = 1.1 + 8 / 30
    assert limiter.global_delay() == 0


async def test_a_flood_wait_on_a_direct_reply_holds_the_outbox_back_in_that_group(
    harness: Harness,
) -> None:
    emu = harness.emu
    emu.add_user(1, "Owner", started=True)
    emu.add_group(-66, "Group", members=[1])
    button_on = (await harness.say(1, 1, "/help")).message_id
    emu.rate_limits = RateLimits(None, 1, None)  # one message a second in a chat
    # A call that is under way while the flood wait starts, and ends within it.
    emu.faults = Faults(
        rate=1.0, kinds=("timeout",), methods={"answerCallbackQuery"}, timeout_seconds=0.4
    )
    await harness.say(1, -66, "/help")
    emu.user_presses(1, 1, button_on, "stale:button:1")
    await emu.wait_for(
        lambda: any(call.method == "answerCallbackQuery" for call in emu.calls), 5,
        what="the press to be answered",
    )
    emu.user_sends(1, -66, "/help")  # within the second: its direct reply meets a 429
    flood = await emu.wait_for(
        lambda: next((call for call in emu.calls if call.status == 429), None), 5, what="a 429"
    )
    emu.faults = None
    services = harness.bot.services
    async with services.db.transaction() as tx:
        await services.outbox.queue(tx, -66, "queued during the flood wait")
    await emu.wait_for_message(-66, "queued during the flood wait")
    to_group = [
        call.time - flood.time
        for call in emu.calls
        if call.method == "sendMessage" and str(call.params.get("chat_id")) == "-66"
    ]
    assert not [after for after in to_group if 0 < after < 1.0], to_group
