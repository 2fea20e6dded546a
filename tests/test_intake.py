"""One bad update never stops the intake: it is set aside as a dead letter, confirmed to
Telegram, and the bot goes on with the next one (polling and webhook alike)."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import aiohttp

from bot.emulator import BotApiEmulator
from storage.db import Database
from tests.harness import Harness, settings_for

ZHANG = 101
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SURROGATE = "\udcff"  # what a broken client's UTF-8 turns into: Python reads it, SQLite refuses it


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def poll_message(user: dict[str, Any], chat_id: int) -> dict[str, Any]:
    """A poll as an older self-hosted Bot API server sends it: options have no persistent_id."""
    return {
        "message_id": 77, "date": 1_800_000_000, "from": user,
        "chat": {"id": chat_id, "type": "private", "first_name": user["first_name"]},
        "poll": {"id": "5", "question": "Lunch?", "total_voter_count": 0, "is_closed": False,
                 "is_anonymous": True, "type": "regular", "allows_multiple_answers": False,
                 "options": [{"text": "Noodles", "voter_count": 0},
                             {"text": "Rice", "voter_count": 0}]},
    }


def start_update(update_id: int, user_id: int, text: str = "/start") -> dict[str, Any]:
    return {"update_id": update_id, "message": {
        "message_id": 1, "date": 1_800_000_000, "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        "chat": {"id": user_id, "type": "private", "first_name": "Zhou"},
        "from": {"id": user_id, "is_bot": False, "first_name": "Zhou"}}}


async def dead_letters(db: Database) -> dict[int | None, tuple[str, str]]:
    rows = await db.fetch_all("SELECT update_id, source, error FROM dead_letters")
    return {row[0]: (row[1], row[2]) for row in rows}


async def test_bad_updates_are_set_aside_and_the_poller_goes_on(harness: Harness) -> None:
    emu = harness.emu
    emu.add_user(ZHANG, "Zhang", started=True)
    zhang = emu.world.user(ZHANG).to_json()
    text = emu.user_sends(ZHANG, ZHANG, f"/request kitchen tap {SURROGATE}")
    button = emu.user_presses(ZHANG, ZHANG, 5, f"request:claim:{SURROGATE}")
    poll = emu.push_update({"message": poll_message(zhang, ZHANG)})
    del text, button

    reply = await harness.say(ZHANG, ZHANG, "/help")  # the update after the bad ones

    assert reply.text
    await harness.settle()
    assert emu.pending_updates() == 0  # every update confirmed, the bad ones too
    letters = await dead_letters(harness.db)
    assert len(letters) == 3 and all(source == "getUpdates" for source, _ in letters.values())
    errors = sorted(error for _, error in letters.values())
    assert sum("surrogates not allowed" in error for error in errors) == 2
    assert any("persistent_id" in error for error in errors)
    assert poll["update_id"] in letters
    assert await harness.value("SELECT count(*) FROM inbox") == 1  # only /help was stored
    poller = [task for task in harness.bot._tasks if task.get_name() == "inbox poller"]
    assert poller and not poller[0].done()

    await harness.restart()  # the bad updates were confirmed: nothing comes back
    await harness.settle()
    assert len(await dead_letters(harness.db)) == 3


async def test_a_webhook_without_a_configured_secret_gets_a_generated_one_that_lasts(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/tg"
    settings = settings_for(emulator, tmp_path, telegram={
        "mode": "webhook", "webhook": {"listen": "127.0.0.1", "port": port, "url_path": "tg",
                                       "url": url}})
    harness = Harness(emulator, settings)
    await harness.start()
    try:
        secret = emulator.calls_to("setWebhook")[-1].params["secret_token"]
        assert len(secret) >= 32
        emulator.add_user(11, "Zhou", started=True)
        async with aiohttp.ClientSession() as session:
            forged = await session.post(url, json=start_update(500, 11))
            assert forged.status == 403
            wrong = await session.post(url, json=start_update(500, 11),
                                       headers={SECRET_HEADER: "guess"})
            assert wrong.status == 403
        assert await harness.value("SELECT count(*) FROM inbox") == 0
        await harness.restart()
        assert emulator.calls_to("setWebhook")[-1].params["secret_token"] == secret
        waiting = emulator.wait_for_message(11)
        async with aiohttp.ClientSession() as session:
            accepted = await session.post(url, json=start_update(501, 11),
                                          headers={SECRET_HEADER: secret})
            assert accepted.status == 200
        assert "Zhou" in (await waiting).text
    finally:
        await harness.stop()


async def test_bad_webhook_posts_are_set_aside_and_the_next_update_is_answered(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/tg"
    settings = settings_for(emulator, tmp_path, telegram={
        "mode": "webhook", "webhook": {"listen": "127.0.0.1", "port": port, "url_path": "tg",
                                       "url": url, "secret_token": "s3cret"}})
    harness = Harness(emulator, settings)
    await harness.start()
    headers = {SECRET_HEADER: "s3cret", "Content-Type": "application/json"}
    try:
        emulator.add_user(11, "Zhou", started=True)
        zhou = {"id": 11, "is_bot": False, "first_name": "Zhou"}
        bodies = [
            json.dumps(start_update(600, 11, f"/start {SURROGATE}")).encode(),
            json.dumps({"update_id": 601, "message": poll_message(zhou, 11)}).encode(),
            b"\xff\xfe not json at all",
        ]
        async with aiohttp.ClientSession() as session:
            for body in bodies:
                answer = await session.post(url, data=body, headers=headers)
                assert answer.status == 200  # taken: Telegram must not send it again
            waiting = emulator.wait_for_message(11)
            good = await session.post(url, json=start_update(602, 11), headers=headers)
            assert good.status == 200
        assert "Zhou" in (await waiting).text
        letters = await dead_letters(harness.db)
        assert set(letters) == {600, 601, None}
        assert {source for source, _ in letters.values()} == {"webhook"}
        stored = await harness.db.fetch_value("SELECT payload FROM dead_letters WHERE "
                                              "update_id IS NULL")
        assert stored == bodies[2]  # kept as it came
    finally:
        await harness.stop()
