"""Safe upgrades: the first release's database, with a day of data, migrated to the current
schema keeps every row, and the bot runs on it (and handles the update it had left pending).

The fixture (tests/fixtures/release1_day.sql) was made with the migrations 0001-0008 of the
first release. Every future migration must keep this test passing.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.emulator import BotApiEmulator
from storage.migrate import latest_version, open_migrated
from tests.harness import TOKEN, Harness, settings_for

FIXTURE = Path(__file__).parent / "fixtures" / "release1_day.sql"
LI, ZHANG = 11, 2
# Tables whose rows a migration moved into another (0009: the drafts became prompts).
MOVED = {"request_drafts": "prompts", "event_drafts": "prompts"}


def load_release1(path: Path) -> dict[str, int]:
    """The fixture as a database file at ``path``; returns the rows of each table."""
    connection = sqlite3.connect(path)
    try:
        connection.executescript(FIXTURE.read_text("utf-8"))
        assert connection.execute("PRAGMA user_version").fetchone() == (8,)
        return table_rows(connection)
    finally:
        connection.close()


def table_rows(connection: sqlite3.Connection) -> dict[str, int]:
    names = [row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return {name: connection.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            for name in names}


def rows_of(path: Path, sql: str) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


async def test_the_first_releases_database_migrates_forward_keeping_every_row(
    tmp_path: Path,
) -> None:
    database = tmp_path / "linli.db"
    before = load_release1(database)
    assert all(before.values()), {name for name, count in before.items() if not count}
    db = await open_migrated(database)
    try:
        assert int(await db.fetch_value("PRAGMA user_version")) == latest_version()
        assert await db.fetch_all("PRAGMA foreign_key_check") == []
        assert await db.fetch_value("PRAGMA integrity_check") == "ok"
    finally:
        await db.close()
    connection = sqlite3.connect(database)
    after = table_rows(connection)
    connection.close()
    lost = {name: (count, after.get(name)) for name, count in before.items()
            if name not in MOVED and after.get(name, 0) < count}
    for target in set(MOVED.values()):
        moved = sum(before[name] for name, into in MOVED.items() if into == target)
        if after.get(target, 0) + sum(after[n] for n in MOVED if MOVED[n] == target) < moved:
            lost[target] = (moved, after.get(target))
    assert not lost, f"rows lost by the migrations (before, after): {lost}"
    assert rows_of(database, "SELECT text, state, rating FROM requests ORDER BY id") == [
        ("厨房水龙头漏水", "done", 5), ("帮忙取药", "open", None)]
    assert rows_of(database, "SELECT sum(amount) FROM ledger WHERE user_id = 11") == [(13,)]


async def test_the_bot_runs_on_the_upgraded_database(tmp_path: Path) -> None:
    load_release1(tmp_path / "linli.db")
    async with BotApiEmulator(token=TOKEN, first_update_id=2000) as emulator:  # as Telegram
        await bot_runs_on_it(emulator, tmp_path)  # would, above the ids the inbox has seen


async def bot_runs_on_it(emulator: BotApiEmulator, tmp_path: Path) -> None:
    emulator.add_user(LI, "小李", username="li", started=True)
    emulator.add_user(ZHANG, "张阿姨", username="zhang", started=True)
    harness = Harness(emulator, settings_for(emulator, tmp_path))
    waiting = emulator.wait_for_message(LI, "13", 10)  # /points, left pending by release 1
    await harness.start()
    try:
        points = await waiting
        assert "13" in points.text
        reply = await harness.say(ZHANG, ZHANG, "/myrequests")
        assert "#1" in reply.text
        await harness.settle()
    finally:
        await harness.stop()
