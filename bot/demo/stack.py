"""The demo stack: the emulator, the real bot against it, the seeded community and the page."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path

from bot.clock import Clock
from bot.config import Settings, load_settings
from bot.demo.community import COMMUNITY_NAME, community_admins
from bot.demo.seed import SeedReport, registered_commands, seed
from bot.demo.web import DemoPage
from bot.emulator import BotApiEmulator
from bot.runtime import Runtime

DEMO_TOKEN = "100000001:LINLI-DEMO-offline"
DEFAULT_PORT = 8080
HOST = "127.0.0.1"


class DemoStack:
    """Everything ``linli demo`` runs, started and stopped in order."""

    def __init__(
        self,
        *,
        port: int = DEFAULT_PORT,
        language: str = "zh",
        db_path: Path | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.port = port
        self.clock = clock
        self.language = language
        self.db_path = db_path
        self.emulator = BotApiEmulator(
            token=DEMO_TOKEN, bot_first_name="Linli", bot_username="linli_demo_bot"
        )
        self.runtime: Runtime | None = None
        self.report: SeedReport | None = None
        self.commands: set[str] = set()
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        """The address of the demo page."""
        return f"{self.emulator.url}/"

    @property
    def ready(self) -> bool:
        """Whether the sample community is seeded."""
        return self.report is not None

    async def start(self) -> None:
        """Serve the page and the Bot API, start the bot, and seed the community."""
        await self.emulator.start(HOST, self.port, routes=DemoPage(self).routes())
        try:
            self.runtime = Runtime(self._settings(), self.clock)
            await self.runtime.start()
            self.commands = registered_commands(self.runtime)
            self.report = await seed(self.emulator, self.runtime, self.language)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop the bot, then the server, and remove the temporary files."""
        if self.runtime is not None:
            await self.runtime.stop()
            self.runtime = None
        await self.emulator.stop()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def _settings(self) -> Settings:
        """Settings for a bot that talks only to the emulator, with a fresh database."""
        self._folder = tempfile.TemporaryDirectory(prefix="linli-demo-")
        folder = Path(self._folder.name)
        config = folder / "demo.toml"  # never the visitor's own config.toml
        config.write_text("", encoding="utf-8")
        return load_settings(
            config,
            telegram={
                "token": DEMO_TOKEN,
                "api_url": self.emulator.base_url,
                "mode": "polling",
                "poll_timeout": 10,
            },
            database={"path": str(self.db_path or folder / "demo.db")},
            community={
                "name": COMMUNITY_NAME(self.language),
                "language": self.language,
                "admins": community_admins(),
            },
        )


async def run_demo(stack: DemoStack, announce: Callable[[DemoStack], None]) -> None:
    """Start the demo, announce it, and run until Ctrl-C or SIGTERM; then stop cleanly."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    starting = asyncio.create_task(stack.start())
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait([starting, stopping], return_when=asyncio.FIRST_COMPLETED)
        if starting.done():
            starting.result()
            announce(stack)
            await stopping
        else:
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
    finally:
        stopping.cancel()
        await stack.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
