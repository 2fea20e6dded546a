"""The end-to-end harness: the real bot (PTB Application, inbox, outbox, scheduler) against
the local Bot API emulator over HTTP, with people who write and press buttons."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.clock import ShiftableClock
from bot.config import Settings, load_settings
from bot.emulator import BotApiEmulator, SentMessage
from bot.runtime import Runtime
from storage.db import Database

TOKEN = "123456:TEST-token-never-logged"
ADMIN_ID = 900  # a community admin from the config


def settings_for(emulator: BotApiEmulator, folder: Path, **sections: dict[str, Any]) -> Settings:
    """Settings that point the bot at the emulator and a database in ``folder``."""
    config = folder / "config.toml"
    if not config.exists():
        config.write_text("", encoding="utf-8")
    overrides: dict[str, Any] = {
        "telegram": {"token": TOKEN, "api_url": emulator.base_url, "poll_timeout": 2},
        "database": {"path": str(folder / "linli.db")},
        "community": {"admins": [ADMIN_ID]},
        "scheduling": {"tick_seconds": 0.2},
    }
    for section, values in sections.items():
        overrides[section] = {**overrides.get(section, {}), **values}
    return load_settings(config, **overrides)


class Harness:
    """One community: an emulator, the bot, and helpers to act as its people."""

    def __init__(self, emulator: BotApiEmulator, settings: Settings) -> None:
        self.emu = emulator
        self.settings = settings
        self.clock = ShiftableClock()
        self.runtime: Runtime | None = None

    async def start(self) -> Runtime:
        """Start the bot (again)."""
        self.runtime = Runtime(self.settings, self.clock)
        await self.runtime.start()
        return self.runtime

    async def stop(self) -> None:
        """Stop the bot cleanly."""
        if self.runtime is not None:
            await self.runtime.stop()
            self.runtime = None

    async def restart(self) -> None:
        """Stop and start again, as after a deploy."""
        await self.stop()
        await self.start()

    @property
    def bot(self) -> Runtime:
        """The running bot."""
        assert self.runtime is not None, "the bot is not running"
        return self.runtime

    @property
    def db(self) -> Database:
        """The running bot's database."""
        return self.bot.services.db

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until every update sent so far is handled and the outbox is empty."""
        await self.emu.wait_for(lambda: self.emu.pending_updates() == 0, timeout,
                                what="the bot to fetch every update")
        await self.bot.idle(timeout)

    async def say(self, user_id: int, chat_id: int, text: str, *, reply_to: int | None = None,
                  expect: str | None = None, timeout: float = 5.0,
                  thread: int | None = None) -> SentMessage:
        """A person writes (in the forum topic ``thread``, when given); returns the bot's next
        message in that chat (containing ``expect``)."""
        waiting = self.emu.wait_for_message(chat_id, expect, timeout)
        self.emu.user_sends(user_id, chat_id, text, reply_to_message_id=reply_to,
                            thread_id=thread)
        return await waiting

    async def press(self, user_id: int, chat_id: int, message_id: int, data: str) -> str:
        """A person presses a button; returns the bot's answer (the toast or alert text)."""
        query_id = self.emu.user_presses(user_id, chat_id, message_id, data)
        await self.emu.wait_for(lambda: query_id in self.emu.callback_answers, 5.0,
                                what=f"an answer to button {data!r}")
        return self.emu.callback_answers[query_id][0] or ""

    async def value(self, sql: str, *params: Any) -> Any:
        """One value from the bot's database."""
        return await self.db.fetch_value(sql, params)

    def texts(self, chat_id: int) -> list[str]:
        """The texts the bot sent to a chat, oldest first."""
        return [message.text for message in self.emu.sent(chat_id)]
