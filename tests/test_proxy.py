"""telegram.proxy: the bot reaches the Bot API (here the emulator) through a real proxy process."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.emulator import BotApiEmulator
from tests.harness import Harness, settings_for

ROOT = Path(__file__).parent.parent
USER, PASSWORD = "linli", "s3cret-pass"


@dataclass
class ProxyProcess:
    """The proxy of tests/proxy_server.py, running as its own process."""

    process: asyncio.subprocess.Process
    port: int
    lines: list[str] = field(default_factory=list)

    async def read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            self.lines.append(line.decode().strip())


@pytest.fixture
async def proxy() -> AsyncIterator[ProxyProcess]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.proxy_server", "--user", USER, "--password", PASSWORD,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    first = (await asyncio.wait_for(process.stdout.readline(), 10)).decode()
    assert first.startswith("listening "), first
    running = ProxyProcess(process, int(first.split()[1]))
    reader = asyncio.create_task(running.read())
    try:
        yield running
    finally:
        process.terminate()
        await process.wait()
        await reader


@pytest.mark.parametrize("scheme", ["socks5", "http"])
async def test_every_bot_api_call_goes_through_the_proxy(
    scheme: str, proxy: ProxyProcess, emulator: BotApiEmulator, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"{scheme}://{USER}:{PASSWORD}@127.0.0.1:{proxy.port}"
    community = Harness(emulator, settings_for(emulator, tmp_path, telegram={"proxy": url}))
    caplog.set_level(logging.INFO)
    await community.start()
    try:
        emulator.add_user(7, "陳太", language_code="zh-hk")
        reply = await community.say(7, 7, "/start")
        assert "陳太，您好" in reply.text
    finally:
        await community.stop()
    emulator_port = urlsplit(emulator.base_url).port
    tunnels = [line for line in proxy.lines if line.startswith("tunnel")]
    assert tunnels and all(line.endswith(f":{emulator_port}") for line in tunnels), proxy.lines
    assert {line.split()[1] for line in tunnels} == {scheme}
    assert f"through the proxy {scheme}://{USER}:***@127.0.0.1:{proxy.port}" in caplog.text
    assert PASSWORD not in caplog.text


async def test_a_wrong_proxy_password_is_refused_and_the_bot_never_goes_around_it(
    proxy: ProxyProcess, emulator: BotApiEmulator, tmp_path: Path,
) -> None:
    url = f"socks5://{USER}:wrong@127.0.0.1:{proxy.port}"
    community = Harness(emulator, settings_for(emulator, tmp_path, telegram={"proxy": url}))
    starting = asyncio.create_task(community.start())
    await emulator.wait_for(lambda: "refused a wrong password" in proxy.lines, 10,
                            what="the proxy to refuse the password")
    assert not starting.done() and emulator.calls_to("getMe") == []
    starting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await starting
