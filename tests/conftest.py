"""Fixtures: the emulator, and the bot running against it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.emulator import BotApiEmulator
from tests.harness import TOKEN, Harness, settings_for


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    """A local Bot API server on a free port."""
    async with BotApiEmulator(token=TOKEN) as emu:
        yield emu


@pytest.fixture
async def harness(emulator: BotApiEmulator, tmp_path: Path) -> AsyncIterator[Harness]:
    """The bot, started against the emulator with a fresh database."""
    community = Harness(emulator, settings_for(emulator, tmp_path))
    await community.start()
    try:
        yield community
    finally:
        await community.stop()
