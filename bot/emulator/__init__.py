"""A local Telegram Bot API server for tests, benchmarks and the demo."""

from bot.emulator.client import EmulatorClient, EmulatorClientError
from bot.emulator.limits import Faults, RateLimits
from bot.emulator.server import ApiCall, BotApiEmulator, EmulatorStats
from bot.emulator.world import SentMessage

__all__ = [
    "ApiCall",
    "BotApiEmulator",
    "EmulatorClient",
    "EmulatorClientError",
    "EmulatorStats",
    "Faults",
    "RateLimits",
    "SentMessage",
]
