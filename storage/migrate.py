"""Numbered SQL migrations, applied in order and tracked with ``PRAGMA user_version``."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from storage.db import Database, UnusableDatabase

log = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    """One numbered SQL file."""

    version: int
    name: str
    sql: str


def available_migrations() -> list[Migration]:
    """Every migration shipped in ``storage/migrations``, by version."""
    folder = resources.files("storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..N without gaps, found {versions}")
    return found


def latest_version() -> int:
    """The schema version the code expects."""
    return len(available_migrations())


async def current_version(db: Database) -> int:
    """The schema version of the open database."""
    return int(await db.fetch_value("PRAGMA user_version"))


async def migrate(db: Database, target: int | None = None) -> list[str]:
    """Apply the pending migrations up to ``target``; return the names applied.

    Each migration and its version bump commit together, so a crash leaves the
    database at a whole version. Forward only: a database newer than the code is refused.
    """
    migrations = available_migrations()
    target = len(migrations) if target is None else target
    version = await current_version(db)
    if version > len(migrations):
        raise UnusableDatabase(
            db.path,
            f"is at schema version {version}, newer than this Linli ({len(migrations)}); "
            "upgrade Linli",
        )
    applied = []
    for migration in migrations[version:target]:
        bump = f"PRAGMA user_version = {migration.version};"
        script = f"BEGIN IMMEDIATE;\n{migration.sql}\n{bump}\nCOMMIT;"
        await db.execute_script(script)
        log.info("applied migration %s", migration.name)
        applied.append(migration.name)
    return applied


async def open_migrated(path: str | Path) -> Database:
    """Open the database and bring it to the latest schema; a file that cannot be Linli's
    (not SQLite, or newer) is refused untouched, with UnusableDatabase."""
    db = await Database.open(path, newest_version=latest_version())
    try:
        await migrate(db)
    except BaseException:
        await db.close()
        raise
    return db
