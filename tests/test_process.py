"""The bot as a real process: killed with updates queued, stopped with SIGTERM, its logs."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.emulator import BotApiEmulator, Faults
from tests.harness import ADMIN_ID, TOKEN

USERS = [301, 302, 303, 304, 305]


def write_config(folder: Path, emulator: BotApiEmulator) -> Path:
    config = folder / "config.toml"
    config.write_text(
        f"""
[telegram]
token = "{TOKEN}"
api_url = "{emulator.base_url}"
poll_timeout = 1
[database]
path = "{folder / 'linli.db'}"
[community]
admins = [{ADMIN_ID}]
""",
        encoding="utf-8",
    )
    return config


class BotProcess:
    """`python -m bot run` as a child process, its stderr kept in a file."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config = config
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
        with self.log.open("ab") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "--config", str(self.config), "run"],
                stdout=subprocess.DEVNULL, stderr=stderr, env=env,
            )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    async def terminate(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.to_thread(self.process.wait, 20)

    def stop_if_running(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def query(database: Path, sql: str) -> list[tuple[object, ...]]:
    """Read the bot's database from outside, as an operator would."""
    if not database.exists():
        return []
    connection = sqlite3.connect(database, timeout=5)
    try:
        return connection.execute(sql).fetchall()
    except sqlite3.OperationalError:  # the schema is not there yet
        return []
    finally:
        connection.close()


@pytest.fixture
async def bot_process(emulator: BotApiEmulator, tmp_path: Path) -> AsyncIterator[BotProcess]:
    process = BotProcess(write_config(tmp_path, emulator), tmp_path / "bot.log")
    try:
        yield process
    finally:
        process.stop_if_running()


async def wait_until(condition: object, timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():  # type: ignore[operator]
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_updates_stored_before_a_kill_are_handled_once_after_the_restart(
    emulator: BotApiEmulator, bot_process: BotProcess, tmp_path: Path
) -> None:
    database = tmp_path / "linli.db"
    for user in USERS:
        emulator.add_user(user, f"Resident {user}", started=True)
    bot_process.start()
    await wait_until(lambda: emulator.calls_to("getUpdates"), 30, "the bot to poll")
    # Replies hang (and are never delivered), so the handlers are stuck mid-way when we kill.
    emulator.faults = Faults(rate=1.0, kinds=("timeout",), methods={"sendMessage"},
                             timeout_seconds=60)
    for user in USERS:
        emulator.user_sends(user, user, "/start")
    await wait_until(lambda: emulator.pending_updates() == 0, 10, "the updates to be confirmed")
    stored = query(database, "SELECT count(*) FROM inbox WHERE status = 'pending'")
    assert stored == [(len(USERS),)]  # confirmed to Telegram, stored, not yet handled
    bot_process.kill()
    assert all(not emulator.sent(user) for user in USERS)

    emulator.faults = None
    bot_process.start()
    await wait_until(lambda: all(emulator.sent(user) for user in USERS), 30, "every welcome")
    await wait_until(
        lambda: query(database, "SELECT count(*) FROM inbox WHERE status = 'handled'")
        == [(len(USERS),)], 10, "every update handled")
    await asyncio.sleep(1.0)  # time for any second delivery to show up
    for user in USERS:
        assert len(emulator.sent(user)) == 1, f"user {user} got {len(emulator.sent(user))}"
    assert await bot_process.terminate() == 0


async def test_sigterm_stops_cleanly_and_the_log_is_plain_and_never_shows_the_token(
    emulator: BotApiEmulator, bot_process: BotProcess, tmp_path: Path
) -> None:
    emulator.add_user(401, "Li", started=True)
    bot_process.start()
    await wait_until(lambda: emulator.calls_to("getUpdates"), 30, "the bot to poll")
    emulator.user_sends(401, 401, "/start")
    await emulator.wait_for_message(401, timeout=15)
    await wait_until(lambda: "handled update" in bot_process.log.read_text(), 10, "a log line")
    assert await bot_process.terminate() == 0
    log = bot_process.log.read_text()
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    assert "connected as @linli_bot" in log
    assert "handled update 1 (chat 401, /start)" in log
    assert "sendMessage to chat 401 done" in log
    assert "Linli stopped" in log
    assert "Traceback" not in log


async def test_a_question_asked_before_a_kill_is_answered_after_the_restart(
    emulator: BotApiEmulator, bot_process: BotProcess, tmp_path: Path
) -> None:
    """A stored prompt survives SIGKILL: the plain message after the restart answers it."""
    owner, resident, group = 501, 502, -5001
    emulator.add_user(owner, "Owner", started=True)
    emulator.add_user(resident, "Zhang", started=True)
    emulator.add_group(group, "3号楼", admins=[owner], bot_admin=True)
    bot_process.start()
    await wait_until(lambda: emulator.calls_to("getUpdates"), 30, "the bot to poll")
    emulator.user_sends(owner, group, "/setup 3号楼")
    await wait_until(lambda: len(emulator.sent(group)) >= 1, 15, "the setup reply")
    emulator.user_sends(resident, group, "/request")
    await wait_until(
        lambda: any("您需要什么帮助" in m.text for m in emulator.sent(group)), 15, "the question"
    )
    database = tmp_path / "linli.db"
    assert query(database, "SELECT feature, step FROM prompts") == [("requests", "text")]
    bot_process.kill()

    bot_process.start()
    emulator.user_sends(resident, group, "楼道的灯坏了")  # a plain message, not a reply
    await wait_until(
        lambda: any("#1" in m.text for m in emulator.sent(group)), 30, "the request's number"
    )
    assert query(database, "SELECT id, text FROM requests") == [(1, "楼道的灯坏了")]
    assert query(database, "SELECT count(*) FROM prompts") == [(0,)]
    assert await bot_process.terminate() == 0


def closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens there once the probe is closed


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_a_signal_stops_the_bot_promptly_while_the_bot_api_cannot_be_reached(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """`linli run` retries getMe with a growing pause; a signal must end it at once."""
    config = tmp_path / "config.toml"
    config.write_text(
        f'[telegram]\ntoken = "{TOKEN}"\napi_url = "http://127.0.0.1:{closed_port()}"\n'
        f'[database]\npath = "{tmp_path / "linli.db"}"\n',
        encoding="utf-8",
    )
    bot = BotProcess(config, tmp_path / "bot.log")
    bot.start()
    try:
        await wait_until(lambda: "cannot reach the Bot API" in bot.log.read_text(), 30,
                         "the bot to fail to reach the Bot API")
        assert bot.process is not None
        bot.process.send_signal(sig)
        code = await asyncio.to_thread(bot.process.wait, 3)
    finally:
        bot.stop_if_running()
    assert code == 0
    log = bot.log.read_text()
    assert "Linli stopped" in log and "Traceback" not in log
    assert "Unclosed" not in log  # the HTTP sessions opened for getMe are closed too


async def test_sigterm_stops_the_bot_promptly_while_getupdates_backs_off(
    emulator: BotApiEmulator, bot_process: BotProcess
) -> None:
    bot_process.start()
    await wait_until(lambda: emulator.calls_to("getUpdates"), 30, "the bot to poll")
    emulator.faults = Faults(rate=1.0, kinds=("500",), methods={"getUpdates"})
    await wait_until(lambda: bot_process.log.read_text().count("getUpdates failed") >= 2, 30,
                     "getUpdates to fail and back off")
    assert bot_process.process is not None
    bot_process.process.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(bot_process.process.wait, 3) == 0
    assert "Linli stopped" in bot_process.log.read_text()
