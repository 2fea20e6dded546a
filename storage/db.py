"""One aiosqlite connection per process, with WAL, foreign keys and a busy timeout."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

Row = aiosqlite.Row
Params = Sequence[Any] | dict[str, Any]


class Database:
    """The process's single connection.

    aiosqlite serialises statements on one thread, but two coroutines could still
    interleave their statements inside one transaction. ``transaction()`` takes a
    lock so that each transaction runs alone; reads outside a transaction are free.
    """

    def __init__(self, connection: aiosqlite.Connection, path: str) -> None:
        self.connection = connection
        self.path = path
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        """Open (creating if needed) the database and set the connection pragmas."""
        connection = await aiosqlite.connect(str(path), isolation_level=None)
        connection.row_factory = aiosqlite.Row
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA foreign_keys = ON")
        await connection.execute("PRAGMA busy_timeout = 5000")
        await connection.execute("PRAGMA synchronous = NORMAL")
        return cls(connection, str(path))

    async def close(self) -> None:
        """Close the connection."""
        await self.connection.close()

    async def write_many(self, sql: str, rows: Sequence[Params]) -> int:
        """One statement for each row, all in one transaction; returns the rows changed.
        A single row takes one trip to SQLite's thread instead of three."""
        if len(rows) == 1:
            return await self.write(sql, rows[0])
        async with self.transaction() as tx:
            cursor = await tx.execute_many(sql, rows)
            return cursor.rowcount

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A write transaction (BEGIN IMMEDIATE), committed on success, rolled back on error."""
        async with self._lock:
            await self.connection.execute("BEGIN IMMEDIATE")
            tx = Transaction(self.connection)
            try:
                yield tx
            except BaseException:
                await self.connection.execute("ROLLBACK")
                raise
            else:
                await self.connection.execute("COMMIT")
        for callback in tx.committed_callbacks:
            callback()

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """One row of a read, or None."""
        return _first(await self.connection.execute_fetchall(sql, params))

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of a read."""
        return list(await self.connection.execute_fetchall(sql, params))

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        return _value(await self.connection.execute_fetchall(sql, params))

    async def write(self, sql: str, params: Params = ()) -> int:
        """One statement as its own transaction; returns the rows it changed.

        Cheaper than ``transaction()`` (one round trip to SQLite's thread instead of
        three), and still serialised with the transactions by the same lock.
        """
        async with self._lock:
            cursor = await self.connection.execute(sql, params)
            return cursor.rowcount

    async def backup_to(self, target: str | Path) -> None:
        """Write a consistent copy with SQLite's online backup, while others keep writing."""
        async with aiosqlite.connect(str(target)) as destination:
            await self.connection.backup(destination)


class Transaction:
    """The statements of one open transaction."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self.committed_callbacks: list[Callable[[], None]] = []

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the transaction has committed (never on rollback)."""
        if callback not in self.committed_callbacks:
            self.committed_callbacks.append(callback)

    async def execute(self, sql: str, params: Params = ()) -> aiosqlite.Cursor:
        """Run one statement; the cursor carries lastrowid and rowcount."""
        return await self._connection.execute(sql, params)

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> aiosqlite.Cursor:
        """Run one statement for each row of parameters; rowcount is their total."""
        return await self._connection.executemany(sql, rows)

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """One row, read inside the transaction."""
        return _first(await self._connection.execute_fetchall(sql, params))

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row, read inside the transaction."""
        return list(await self._connection.execute_fetchall(sql, params))

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        return _value(await self._connection.execute_fetchall(sql, params))


def _first(rows: Iterable[Row]) -> Row | None:
    """The first row, or None (reads take all rows in one trip to SQLite's thread)."""
    for row in rows:
        return row
    return None


def _value(rows: Iterable[Row]) -> Any:
    row = _first(rows)
    return None if row is None else row[0]
