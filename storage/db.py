"""One SQLite connection per process, with WAL, foreign keys and a busy timeout.

Statements run on the event loop's own thread. Linli's statements are indexed lookups
and small writes that take microseconds, where a hop to a worker thread and back (as
aiosqlite makes for each one) costs ten times that in CPU. A commit writes to the WAL
without fsync (``synchronous = NORMAL``). The methods stay coroutines, so callers do
not depend on where the statements run. Reads that scan whole months go to
``LongReads`` instead, in aiosqlite's thread, so that they do not hold up the loop.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage.space import DiskSpace

log = logging.getLogger(__name__)

Row = sqlite3.Row
Cursor = sqlite3.Cursor
Params = Sequence[Any] | dict[str, Any]


SQLITE_MAGIC = b"SQLite format 3\x00"
USER_VERSION_OFFSET = 60  # where PRAGMA user_version lives in the file header


class UnusableDatabase(RuntimeError):
    """The file cannot be Linli's database: not SQLite, or from a newer Linli."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def database_file_problem(path: str | Path, newest_version: int | None = None) -> str | None:
    """Why an existing file cannot be opened as the database, or None when it can.

    Reads the file header itself, so that nothing is written to a file that is not
    SQLite or whose schema is newer than ``newest_version``: opening it with SQLite and
    setting the journal mode would rewrite its header first.
    """
    target = Path(path)
    if str(path) == ":memory:" or not target.exists():
        return None
    if target.is_dir():
        return "is a folder, not a database file"
    try:
        with target.open("rb") as file:
            header = file.read(100)
    except OSError as error:
        return f"cannot be read: {error.strerror}"
    if not header:
        return None  # an empty file is a new database
    if not header.startswith(SQLITE_MAGIC) or len(header) < 100:
        return "is not a SQLite database"
    version = int.from_bytes(header[USER_VERSION_OFFSET : USER_VERSION_OFFSET + 4], "big")
    if newest_version is not None and version > newest_version:
        return (
            f"is at schema version {version}, newer than this Linli ({newest_version}); "
            "upgrade Linli"
        )
    return None


class _Reads:
    """Reads on the loop's connection: outside a transaction, or inside one (then they
    see its own writes)."""

    connection: sqlite3.Connection

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """One row of a read, or None."""
        row: Row | None = self.connection.execute(sql, params).fetchone()
        return row

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of a read."""
        return self.connection.execute(sql, params).fetchall()

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        return _value(self.connection.execute(sql, params).fetchone())


class Database(_Reads):
    """The process's single connection.

    Two coroutines could interleave their statements inside one transaction while
    one of them awaits something else. ``transaction()`` takes a lock so that each
    transaction runs alone; reads outside a transaction are free.
    """

    def __init__(self, connection: sqlite3.Connection, path: str) -> None:
        self.connection = connection
        self.path = path
        self._lock = asyncio.Lock()
        self.long_reads = LongReads(path)
        self.space = DiskSpace()  # writes on their own wait out a full disk

    @classmethod
    async def open(cls, path: str | Path, newest_version: int | None = None) -> Database:
        """Open (creating if needed) the database and set the connection pragmas.

        Raises UnusableDatabase, with the file untouched, for a file that is not SQLite
        or (given ``newest_version``) whose schema is newer than that.
        """
        problem = database_file_problem(path, newest_version)
        if problem is not None:
            raise UnusableDatabase(path, problem)
        try:
            connection = sqlite3.connect(
                str(path), isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise UnusableDatabase(path, f"cannot be opened ({error})") from None
        try:
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA busy_timeout = 5000")
            connection.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.DatabaseError as error:
            connection.close()
            raise UnusableDatabase(path, f"cannot be used ({error})") from None
        return cls(connection, str(path))

    async def close(self) -> None:
        """Close the connection (and the one for long reads)."""
        await self.long_reads.close()
        self.connection.close()

    async def write_many(self, sql: str, rows: Sequence[Params]) -> int:
        """One statement for each row, all in one transaction; returns the rows changed.

        On a full disk it waits and tries again, as ``write`` does."""
        if len(rows) == 1:
            return await self.write(sql, rows[0])

        async def once() -> int:
            async with self.transaction() as tx:
                cursor = await tx.execute_many(sql, rows)
                return cursor.rowcount

        return await self.space.retry(once)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A write transaction (BEGIN IMMEDIATE), committed on success, rolled back on error."""
        async with self._lock:
            self.connection.execute("BEGIN IMMEDIATE")
            tx = Transaction(self.connection)
            try:
                yield tx
                self.connection.execute("COMMIT")
            except BaseException as error:
                if self.connection.in_transaction:  # a COMMIT refused (a full disk) leaves it open
                    self.connection.execute("ROLLBACK")
                self.space.refused(error)
                raise
        self.space.wrote()
        for callback in tx.committed_callbacks:
            callback()

    async def write(self, sql: str, params: Params = ()) -> int:
        """One statement as its own transaction; returns the rows it changed.

        Serialised with the transactions by the same lock, so that it never lands
        inside another coroutine's open transaction. On a full disk it waits and tries
        again (with backoff) until there is space: the loops that write this way (the
        inbox, the outbox's marks) go on instead of dying.
        """
        return await self.space.retry(lambda: self._write_once(sql, params))

    async def _write_once(self, sql: str, params: Params) -> int:
        async with self._lock:
            return self.connection.execute(sql, params).rowcount

    async def execute_script(self, script: str) -> None:
        """Run several statements (migrations, bulk loads); the script handles its transaction."""
        async with self._lock:
            try:
                self.connection.executescript(script)
            except BaseException:
                if self.connection.in_transaction:
                    self.connection.execute("ROLLBACK")
                raise

    async def backup_to(self, target: str | Path) -> None:
        """Write a consistent copy with SQLite's online backup, while others keep writing.

        The copy runs in a worker thread on a connection of its own (WAL lets it read a
        snapshot while this one writes), so the bot goes on meanwhile.
        """
        await asyncio.to_thread(_backup, self.path, str(target))


class LongReads:
    """Reads that scan whole months (/stats, the monthly report, /export), on a read-only
    connection of their own in aiosqlite's worker thread.

    A query over a million requests takes a few hundred milliseconds: run on the event
    loop, it would hold up every other chat meanwhile. WAL lets this connection read a
    committed snapshot while the bot goes on writing. Opened at the first read.
    """

    def __init__(self, path: str) -> None:
        self.uri = Path(path).resolve().as_uri() + "?mode=ro"
        self._connection: aiosqlite.Connection | None = None

    async def _open(self) -> aiosqlite.Connection:
        if self._connection is None:
            connection = await aiosqlite.connect(self.uri, uri=True)
            connection.row_factory = sqlite3.Row
            await connection.execute("PRAGMA busy_timeout = 5000")
            self._connection = connection
        return self._connection

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """One row of a read, or None."""
        rows = await (await self._open()).execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of a read."""
        return list(await (await self._open()).execute_fetchall(sql, params))

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        return _value(await self.fetch_one(sql, params))

    async def close(self) -> None:
        """Close the connection, if it was opened."""
        if self._connection is not None:
            await self._connection.close()
            self._connection = None


class Transaction(_Reads):
    """The statements of one open transaction."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.committed_callbacks: list[Callable[[], None]] = []

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the transaction has committed (never on rollback)."""
        if callback not in self.committed_callbacks:
            self.committed_callbacks.append(callback)

    async def execute(self, sql: str, params: Params = ()) -> Cursor:
        """Run one statement; the cursor carries lastrowid and rowcount."""
        return self.connection.execute(sql, params)

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> Cursor:
        """Run one statement for each row of parameters; rowcount is their total."""
        return self.connection.executemany(sql, rows)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A part of the transaction that an error undoes on its own; the rest stays."""
        self.connection.execute("SAVEPOINT part")
        try:
            yield
        except BaseException:
            self.connection.execute("ROLLBACK TO part")
            self.connection.execute("RELEASE part")
            raise
        self.connection.execute("RELEASE part")


def integrity_problem(path: str | Path) -> str | None:
    """What ``PRAGMA integrity_check`` finds wrong with a database file, or None when it is
    sound (blocking: run it in a worker thread)."""
    problem = database_file_problem(path)
    if problem is not None:
        return problem
    try:
        connection = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
        try:
            rows = connection.execute("PRAGMA integrity_check").fetchall()
        finally:
            connection.close()
    except sqlite3.Error as error:
        return f"cannot be checked ({error})"
    found = [str(row[0]) for row in rows]
    return None if found == ["ok"] else "; ".join(found[:5])


def schema_version_of(path: str | Path) -> int:
    """The ``PRAGMA user_version`` of a database file, read from its header."""
    with Path(path).open("rb") as file:
        header = file.read(100)
    return int.from_bytes(header[USER_VERSION_OFFSET : USER_VERSION_OFFSET + 4], "big")


def checkpoint(path: str | Path) -> None:
    """Fold the write-ahead log into the file, so that the file alone is the database."""
    connection = sqlite3.connect(str(path))
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def _value(row: Row | None) -> Any:
    return None if row is None else row[0]


def _backup(source: str, target: str) -> None:
    origin, destination = sqlite3.connect(source), sqlite3.connect(target)
    try:
        origin.backup(destination)
    finally:
        origin.close()
        destination.close()


def copy_database(source: str | Path, target: str | Path) -> None:
    """Copy a database file with SQLite's backup API (blocking: run it in a worker thread)."""
    _backup(str(source), str(target))
