"""Scheduled work as data: runs once when due, is skipped when missed, survives a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.domain.core import Job
from bot.emulator import BotApiEmulator
from bot.scheduler import Scheduler
from storage.db import Database, Transaction
from storage.migrate import migrate
from tests.harness import Harness, settings_for

START = 1_800_000_000.0


@pytest.fixture
async def db(tmp_path: Path) -> Database:
    database = await Database.open(tmp_path / "linli.db")
    await migrate(database)
    yield database  # type: ignore[misc]
    await database.close()


def make_scheduler(db: Database, clock: FakeClock, fired: list[str]) -> Scheduler:
    scheduler = Scheduler(db, clock, grace_seconds=600)

    async def remind(tx: Transaction, job: Job) -> None:
        fired.append(job.data["who"])
        await tx.execute("INSERT INTO meta (key, value) VALUES (?, 'reminded')", (job.key,))

    async def broken(tx: Transaction, job: Job) -> None:
        await tx.execute("INSERT INTO meta (key, value) VALUES (?, 'half done')", (job.key,))
        raise ValueError("boom")

    scheduler.register("remind", remind)
    scheduler.register("broken", broken)
    return scheduler


async def schedule(
    db: Database, scheduler: Scheduler, kind: str, key: str, due: float, **payload: str
) -> None:
    async with db.transaction() as tx:
        await scheduler.schedule(tx, kind, key, due, payload)


async def test_a_job_runs_once_when_its_time_comes(db: Database) -> None:
    clock, fired = FakeClock(START), []
    scheduler = make_scheduler(db, clock, fired)
    await schedule(db, scheduler, "remind", "remind li", START + 60, who="li")
    assert await scheduler.run_due() == 0
    clock.advance(61)
    assert await scheduler.run_due() == 1
    assert await scheduler.run_due() == 0
    assert fired == ["li"]
    assert (await scheduler.repo.get("remind li")).status == "done"  # type: ignore[union-attr]


async def test_a_job_is_not_run_again_after_a_restart(db: Database) -> None:
    clock, fired = FakeClock(START), []
    await schedule(db, make_scheduler(db, clock, fired), "remind", "k", START + 10, who="wang")
    clock.advance(11)
    await make_scheduler(db, clock, fired).run_due()
    await make_scheduler(db, clock, fired).run_due()  # "restarted"
    assert fired == ["wang"]


async def test_late_within_grace_runs_and_beyond_grace_is_missed(db: Database) -> None:
    clock, fired = FakeClock(START), []
    scheduler = make_scheduler(db, clock, fired)
    await schedule(db, scheduler, "remind", "old", START - 601, who="old")
    await schedule(db, scheduler, "remind", "recent", START - 599, who="recent")
    await scheduler.run_due()
    assert fired == ["recent"]
    assert (await scheduler.repo.get("old")).status == "missed"  # type: ignore[union-attr]


async def test_a_failing_job_leaves_no_half_done_effects(db: Database) -> None:
    clock, fired = FakeClock(START), []
    scheduler = make_scheduler(db, clock, fired)
    await schedule(db, scheduler, "broken", "b", START)
    assert await scheduler.run_due() == 0
    assert (await scheduler.repo.get("b")).status == "failed"  # type: ignore[union-attr]
    assert await db.fetch_value("SELECT count(*) FROM meta WHERE key = 'b'") == 0


async def test_rescheduling_moves_a_pending_job_and_cancel_stops_it(db: Database) -> None:
    clock, fired = FakeClock(START), []
    scheduler = make_scheduler(db, clock, fired)
    await schedule(db, scheduler, "remind", "x", START + 10, who="first")
    await schedule(db, scheduler, "remind", "x", START + 100, who="moved")
    clock.advance(50)
    assert await scheduler.run_due() == 0
    clock.advance(60)
    await scheduler.run_due()
    assert fired == ["moved"]
    await schedule(db, scheduler, "remind", "y", START + 200, who="never")
    async with db.transaction() as tx:
        assert await scheduler.cancel(tx, "y")
    clock.advance(200)
    await scheduler.run_due()
    assert fired == ["moved"]


async def test_a_running_bot_fires_a_stored_job_on_time_without_waiting_for_a_tick(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    harness = Harness(emulator, settings_for(emulator, tmp_path, scheduling={"tick_seconds": 30}))
    await harness.start()
    try:
        await fires_on_time(harness)
    finally:
        await harness.stop()


async def fires_on_time(harness: Harness) -> None:
    services = harness.bot.services
    await asyncio.sleep(0.2)  # the first tick has run; the next one is 30 s away
    fired: list[float] = []

    async def note(tx: Transaction, job: Job) -> None:
        fired.append(services.clock.now() - job.due_at)

    services.scheduler.register("note", note)
    due = services.clock.now() + 1.5
    async with services.db.transaction() as tx:
        await services.scheduler.schedule(tx, "note", "note 1", due)
    await harness.emu.wait_for(lambda: fired, 5, what="the job to fire")
    assert 0 <= fired[0] < 0.3  # woken at its time, not at the next tick


async def test_a_job_that_meets_a_full_disk_stays_pending_and_runs_once_there_is_space(
    db: Database,
) -> None:
    clock, fired = FakeClock(START), []
    scheduler = Scheduler(db, clock, grace_seconds=600)

    async def write_a_lot(tx: Transaction, job: Job) -> None:
        fired.append(job.key)
        await tx.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (job.key, "长" * 20_000))

    scheduler.register("big", write_a_lot)
    await schedule(db, scheduler, "big", "big one", START)
    pages = await db.fetch_value("PRAGMA page_count")
    db.connection.execute(f"PRAGMA max_page_count = {pages}")
    await scheduler._on_time(None)  # the tick: the job's write is refused, the tick goes on
    assert await db.fetch_value("SELECT status FROM jobs WHERE key = 'big one'") == "pending"
    assert db.space.full
    db.connection.execute("PRAGMA max_page_count = 1073741823")
    await scheduler._on_time(None)
    assert await db.fetch_value("SELECT status FROM jobs WHERE key = 'big one'") == "done"
    assert await db.fetch_value("SELECT count(*) FROM meta WHERE key = 'big one'") == 1
    assert fired == ["big one", "big one"] and not db.space.full
