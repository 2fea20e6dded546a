"""Scheduled backups with time moved forward, a failing backup told to the admins, and
`linli restore` refusing a running bot, checking the file and keeping the replaced one."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.emulator import BotApiEmulator
from bot.services.backups import backups_in
from tests.harness import ADMIN_ID, Harness, settings_for

HOUR = 3600


@pytest.fixture
async def community(
    emulator: BotApiEmulator, tmp_path: Path
) -> AsyncIterator[Harness]:
    folder = tmp_path / "backups"
    folder.mkdir()
    harness = Harness(emulator, settings_for(
        emulator, tmp_path, backup={"folder": str(folder), "every_hours": 6, "keep": 3}
    ))
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


async def backups_taken(harness: Harness, count: int) -> list[Path]:
    folder = harness.settings.backup.folder
    assert folder is not None
    await harness.emu.wait_for(lambda: len(backups_in(folder)) >= count, 10,
                               what=f"{count} backup(s)")
    await harness.bot.services.backups.idle()
    return backups_in(folder)


def matching(folder: Path, pattern: str) -> list[Path]:
    return sorted(folder.glob(pattern))


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


async def test_backups_run_on_schedule_are_checked_and_the_oldest_go(
    community: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    community.emu.add_user(ADMIN_ID, "社区管理员")
    await community.say(ADMIN_ID, ADMIN_ID, "/start")
    first = await backups_taken(community, 1)  # the first one right at start
    assert rows(first[0], "PRAGMA integrity_check") == [("ok",)]
    for taken in range(2, 6):  # a day later: four more, every six hours
        community.clock.advance(6 * HOUR)
        await community.emu.wait_for(
            lambda n=taken: caplog.text.count("backup written to") >= n, 10,
            what=f"backup number {taken}",
        )
    await community.bot.services.backups.idle()
    kept = backups_in(community.settings.backup.folder)  # type: ignore[arg-type]
    assert len(kept) == 3 and first[0] not in kept  # keep = 3: the oldest were removed
    assert rows(kept[-1], "SELECT first_name FROM users WHERE id = 900") == [("社区管理员",)]
    assert "integrity ok" in caplog.text
    assert not list(community.settings.backup.folder.glob("*.partial"))  # type: ignore[union-attr]
    pending = await community.db.fetch_all(
        "SELECT key FROM jobs WHERE kind = 'backup' AND status = 'pending'"
    )
    assert len(pending) == 1  # always exactly the next one


async def test_a_failed_backup_is_logged_and_told_to_the_admins_in_private(
    community: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    community.emu.add_user(ADMIN_ID, "社区管理员", language_code="zh-hant")
    await community.say(ADMIN_ID, ADMIN_ID, "/start")
    await backups_taken(community, 1)
    folder = community.settings.backup.folder
    assert folder is not None
    folder.rename(folder.with_name("gone"))  # the disk was unmounted, say
    waiting = community.emu.wait_for_message(ADMIN_ID, "定時備份資料庫失敗", 10)
    community.clock.advance(6 * HOUR)
    told = await waiting
    assert "backups" in told.text and "上一次成功的備份是" in told.text
    assert "backup to" in caplog.text and "failed" in caplog.text
    status = await community.value("SELECT value FROM meta WHERE key = 'backup.last'")
    assert '"ok": false' in status


def linli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=60)


async def test_restore_refuses_a_running_bot_checks_the_file_and_keeps_the_replaced_one(
    community: Harness, tmp_path: Path
) -> None:
    community.emu.add_user(ADMIN_ID, "社区管理员")
    await community.say(ADMIN_ID, ADMIN_ID, "/start")
    backup = (await backups_taken(community, 1))[0]
    community.emu.add_user(77, "后来的人")
    await community.say(77, 77, "/start")  # after the backup
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\npath = "{tmp_path / "linli.db"}"\n', encoding="utf-8")

    running = linli(config, "restore", str(backup))
    assert running.returncode == 1 and "a bot is running on" in running.stderr
    await community.stop()

    broken = tmp_path / "broken.db"
    broken.write_bytes(backup.read_bytes()[:4096] + b"\x00" * 4096)
    refused = linli(config, "restore", str(broken))
    assert refused.returncode == 1 and "Not restored" in refused.stderr, refused.stderr
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("hello", encoding="utf-8")
    assert "is not a SQLite database" in linli(config, "restore", str(not_sqlite)).stderr
    assert rows(tmp_path / "linli.db", "SELECT count(*) FROM users WHERE id = 77") == [(1,)]

    done = linli(config, "restore", str(backup))
    assert done.returncode == 0, done.stderr
    [kept] = matching(tmp_path, "linli.db.replaced-*")
    assert f"The replaced database is kept at {kept}" in done.stdout
    assert rows(tmp_path / "linli.db", "SELECT count(*) FROM users WHERE id = 77") == [(0,)]
    assert rows(kept, "SELECT count(*) FROM users WHERE id = 77") == [(1,)]
    await community.start()  # the bot runs on the restored database
    reply = await community.say(ADMIN_ID, ADMIN_ID, "/help")
    assert "/start" in reply.text
