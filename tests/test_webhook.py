"""`telegram.mode = "webhook"`: PTB's webhook server takes updates into the same inbox."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import aiohttp

from bot.emulator import BotApiEmulator
from tests.harness import Harness, settings_for


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_an_update_posted_to_the_webhook_is_answered(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/tg"
    settings = settings_for(emulator, tmp_path, telegram={
        "mode": "webhook",
        "webhook": {"listen": "127.0.0.1", "port": port, "url_path": "tg", "url": url,
                    "secret_token": "s3cret"},
    })
    harness = Harness(emulator, settings)
    await harness.start()
    try:
        assert emulator.calls_to("setWebhook")[-1].params["url"] == url
        emulator.add_user(11, "Zhou", started=True)
        update = {"update_id": 500, "message": {
            "message_id": 1, "date": 1_800_000_000, "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            "chat": {"id": 11, "type": "private", "first_name": "Zhou"},
            "from": {"id": 11, "is_bot": False, "first_name": "Zhou"}}}
        waiting = emulator.wait_for_message(11)
        async with aiohttp.ClientSession() as session:
            forged = await session.post(url, data=json.dumps(update),
                                        headers={"Content-Type": "application/json"})
            assert forged.status == 403  # no secret: refused
            accepted = await session.post(url, data=json.dumps(update), headers={
                "Content-Type": "application/json",
                "X-Telegram-Bot-Api-Secret-Token": "s3cret"})
            assert accepted.status == 200
        reply = await waiting
        assert "Zhou，您好" in reply.text
        await harness.bot.idle()
        assert await harness.value("SELECT status FROM inbox WHERE update_id = 500") == "handled"
        assert not emulator.calls_to("getUpdates")
    finally:
        await harness.stop()
