"""`linli status` on a healthy and an unhealthy database, and /healthz in webhook mode."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import aiohttp

from bot.emulator import BotApiEmulator
from tests.harness import ADMIN_ID, Harness, settings_for
from tests.test_webhook import free_port

GROUP, OWNER = -300, 31


def write_config(folder: Path, extra: str = "") -> None:
    """The config `linli status` reads: the bot's database (and whatever else is given)."""
    text = f'[database]\npath = "{folder / "linli.db"}"\n{extra}'
    (folder / "config.toml").write_text(text, encoding="utf-8")


def status(folder: Path) -> subprocess.CompletedProcess[str]:
    config = folder / "config.toml"
    return subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), "status"],
        capture_output=True, text=True, timeout=60,
    )


async def a_building(harness: Harness, *, admin: bool) -> None:
    """3号楼 with the bot added by its owner, as an admin that may pin or as a member."""
    emu = harness.emu
    emu.add_user(OWNER, "王主任")
    emu.add_group(GROUP, "3号楼", members=[], admins=[OWNER], bot_member=False)
    emu.bot_added(GROUP, OWNER, as_admin=admin)
    await emu.wait_for_message(GROUP, "/setup", 5)
    await harness.say(OWNER, GROUP, "/setup 3号楼", expect="3号楼")
    await harness.settle()


async def test_status_of_a_healthy_running_bot_exits_0(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    write_config(tmp_path, f'[backup]\nfolder = "{folder}"\n')
    harness = Harness(emulator, settings_for(emulator, tmp_path))
    await harness.start()
    try:
        await a_building(harness, admin=True)
        await harness.emu.wait_for(lambda: list(folder.glob("linli-*.db")), 10,
                                   what="the first backup")
        await harness.bot.services.backups.idle()
        shown = status(tmp_path)
    finally:
        await harness.stop()
    assert shown.returncode == 0, shown.stdout + shown.stderr
    out = shown.stdout
    assert "Bot: running (process" in out
    assert "Last update handled:" in out and "none yet" not in out
    assert "Outbox: empty." in out and "Jobs due: none." in out
    assert "Groups: 1; the bot is an admin wherever it knows." in out
    assert "Last backup: " in out and "integrity ok" in out
    assert "Dead letters: none." in out
    stopped = status(tmp_path)
    assert stopped.returncode == 0 and "Bot: stopped cleanly at" in stopped.stdout


async def test_status_of_an_unhealthy_database_names_each_trouble_and_exits_1(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    (tmp_path / "backups").mkdir()
    write_config(tmp_path, f'[backup]\nfolder = "{tmp_path / "backups"}"\n')
    harness = Harness(emulator, settings_for(emulator, tmp_path))
    await harness.start()
    try:
        await a_building(harness, admin=False)
    finally:
        await harness.stop()
    database = tmp_path / "linli.db"
    connection = sqlite3.connect(database)
    heartbeat = json.loads(connection.execute(
        "SELECT value FROM meta WHERE key = 'runtime.heartbeat'").fetchone()[0])
    heartbeat.update(stopped=False, at=heartbeat["at"] - 3600)  # it died an hour ago
    connection.execute("UPDATE meta SET value = ? WHERE key = 'runtime.heartbeat'",
                       (json.dumps(heartbeat),))
    old = heartbeat["at"] - 600
    connection.execute("INSERT INTO outbox (chat_id, payload, not_before, created_at) "
                       "VALUES (?, '{}', ?, ?)", (ADMIN_ID, old, old))
    connection.execute("INSERT INTO jobs (kind, key, due_at, created_at) "
                       "VALUES ('escalate', 'escalate 1 1', ?, ?)", (old, old))
    connection.execute("INSERT INTO jobs (kind, key, due_at, status, created_at, finished_at, "
                       "error) VALUES ('remind', 'remind 1', ?, 'missed', ?, ?, '700s late')",
                       (old, old, heartbeat["at"]))
    connection.execute("INSERT INTO meta (key, value) VALUES ('backup.last', ?)", (json.dumps(
        {"at": old, "ok": False, "path": None, "size": None, "error": "No space left on device"}
    ),))
    connection.commit()
    connection.close()

    shown = status(tmp_path)
    assert shown.returncode == 1, shown.stdout
    out = shown.stdout
    assert "Bot: NOT RUNNING" in out and "did not stop cleanly" in out
    assert "Outbox: 1 message(s) waiting" in out and "check the proxy" in out
    assert "Jobs due: " in out and "(the bot is not running them)" in out
    assert "remind missed at" in out and "700s late" in out
    assert "3号楼 (-300): the bot is not an admin" in out
    assert "Last backup: FAILED" in out and "No space left on device" in out


async def test_healthz_answers_the_status_as_json_in_webhook_mode(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    port = free_port()
    settings = settings_for(emulator, tmp_path, telegram={
        "mode": "webhook",
        "webhook": {"listen": "127.0.0.1", "port": port, "url_path": "tg",
                    "url": f"http://127.0.0.1:{port}/tg", "secret_token": "s3cret"},
    })
    harness = Harness(emulator, settings)
    await harness.start()
    try:
        async with aiohttp.ClientSession() as session:
            healthy = await session.get(f"http://127.0.0.1:{port}/healthz")
            assert healthy.status == 200
            report = await healthy.json()
            assert report["ok"] is True
            assert report["sections"]["bot_process"]["lines"][0].startswith("Bot: running")
            harness.emu.add_user(OWNER, "王主任")
            harness.emu.add_group(GROUP, "3号楼", members=[], admins=[OWNER], bot_member=False)
            await harness.db.execute_script(
                "INSERT INTO chats (id, type, title, bot_rights, created_at, updated_at) "
                "VALUES (-300, 'group', '3号楼', 'admin_cannot_pin', 0, 0);"
                "INSERT INTO buildings (chat_id, name, created_at, updated_at) "
                "VALUES (-300, '3号楼', 0, 0);"
            )
            unhealthy = await session.get(f"http://127.0.0.1:{port}/healthz")
            assert unhealthy.status == 503
            report = await unhealthy.json()
            assert report["ok"] is False and report["sections"]["group_rights"]["attention"]
            assert "may not pin messages" in json.dumps(report, ensure_ascii=False)
    finally:
        await harness.stop()
