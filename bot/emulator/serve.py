"""`linli emulator`: the local Bot API emulator on its own, for another bot or a client.

Point a bot at it with ``telegram.api_url = "http://127.0.0.1:PORT/bot"`` (any token the
emulator was started with); drive the people's side through its control API under /_emu/.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

from bot.emulator.server import BotApiEmulator


async def serve(
    port: int, token: str, host: str, announce: Callable[[BotApiEmulator], None]
) -> None:
    """Serve the emulator until Ctrl-C or SIGTERM, then stop cleanly."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    emulator = BotApiEmulator(token)
    try:
        await emulator.start(host, port)
        announce(emulator)
        await stop.wait()
    finally:
        await emulator.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
