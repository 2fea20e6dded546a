"""Migrations: an empty database gets the latest schema, re-running changes nothing,
and an older database is upgraded with its rows kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage.db import Database
from storage.migrate import available_migrations, current_version, latest_version, migrate


async def schema(db: Database) -> list[tuple[str, str]]:
    rows = await db.fetch_all(
        "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"
    )
    return [(row[0], row[1]) for row in rows]


@pytest.fixture
async def db(tmp_path: Path) -> Database:
    database = await Database.open(tmp_path / "linli.db")
    yield database  # type: ignore[misc]
    await database.close()


async def test_an_empty_database_gets_the_latest_schema(db: Database) -> None:
    applied = await migrate(db)
    assert applied == [migration.name for migration in available_migrations()]
    assert await current_version(db) == latest_version()
    tables = {name for name, _sql in await schema(db)}
    assert {"users", "chats", "buildings", "members", "outbox", "inbox", "jobs"} <= tables


async def test_running_again_changes_nothing(db: Database) -> None:
    await migrate(db)
    before = await schema(db)
    assert await migrate(db) == []
    assert await schema(db) == before
    assert await current_version(db) == latest_version()


async def test_each_migration_can_be_applied_twice_without_error(db: Database) -> None:
    """Except ALTER TABLE: SQLite has no ADD COLUMN IF NOT EXISTS. Those migrations run
    once because of user_version alone (the test above)."""
    for migration in available_migrations():
        await db.execute_script(migration.sql)
        if "ALTER TABLE" not in migration.sql:
            await db.execute_script(migration.sql)


async def test_an_older_database_is_upgraded_with_its_rows_kept(db: Database) -> None:
    for version in range(1, latest_version() + 1):
        await migrate(db, target=version)
        assert await current_version(db) == version
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO users (id, first_name, created_at, updated_at) VALUES (?, ?, 0, 0)",
                (version, f"user at v{version}"),
            )
    await migrate(db)
    names = [row[0] for row in await db.fetch_all("SELECT first_name FROM users ORDER BY id")]
    assert names == [f"user at v{v}" for v in range(1, latest_version() + 1)]


async def test_a_database_newer_than_the_code_is_refused(db: Database) -> None:
    await migrate(db)
    await db.write(f"PRAGMA user_version = {latest_version() + 1}")
    with pytest.raises(RuntimeError, match="newer than this Linli"):
        await migrate(db)


async def test_connection_pragmas(db: Database) -> None:
    assert (await db.fetch_value("PRAGMA journal_mode")).lower() == "wal"
    assert await db.fetch_value("PRAGMA foreign_keys") == 1
    assert await db.fetch_value("PRAGMA busy_timeout") == 5000


async def test_a_failed_transaction_leaves_nothing(db: Database) -> None:
    await migrate(db)
    with pytest.raises(ZeroDivisionError):
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO users (id, first_name, created_at, updated_at) VALUES (1, 'a', 0, 0)"
            )
            raise ZeroDivisionError
    assert await db.fetch_value("SELECT count(*) FROM users") == 0


async def test_backup_writes_a_consistent_copy(db: Database, tmp_path: Path) -> None:
    await migrate(db)
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO users (id, first_name, created_at, updated_at) VALUES (7, 'Li', 0, 0)"
        )
    await db.backup_to(tmp_path / "copy.db")
    copy = await Database.open(tmp_path / "copy.db")
    try:
        assert await copy.fetch_value("SELECT first_name FROM users WHERE id = 7") == "Li"
        assert await copy.fetch_value("PRAGMA integrity_check") == "ok"
        assert await current_version(copy) == latest_version()
    finally:
        await copy.close()


async def test_long_reads_see_what_was_committed_and_cannot_write(db: Database) -> None:
    await migrate(db)
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO users (id, first_name, created_at, updated_at) VALUES (8, 'Wang', 0, 0)"
        )
        assert await db.long_reads.fetch_value("SELECT count(*) FROM users") == 0  # not yet
    assert await db.long_reads.fetch_value("SELECT first_name FROM users") == "Wang"
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await db.long_reads.fetch_all("DELETE FROM users")
