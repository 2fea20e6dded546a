"""Scheduling: 10,000 stored jobs due within a few minutes.

Reports how late Linli's jobs fire (p50/p99) and how long the bot takes to start with
them stored. The baseline, measured in the same run, is PTB's own JobQueue holding the
same 10,000 jobs in memory (as a bot that keeps nothing in a database would).

    python -m bench.scheduling [--jobs 10000] [--spread 60]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time

from telegram.ext import ApplicationBuilder

from bench.common import TOKEN, bench_settings, percentile, summary, wait_until, workdir
from bot.domain.core import Job
from bot.emulator import BotApiEmulator
from bot.runtime import Runtime
from storage.db import Database, Transaction
from storage.jobs import JobRepository
from storage.migrate import migrate

KINDS = ("reminder", "escalation", "handover")


async def store_jobs(path: str, count: int, start: float, spread: float) -> list[float]:
    """Write ``count`` pending jobs due between start and start+spread; return their times."""
    db = await Database.open(path)
    await migrate(db)
    repo = JobRepository(db)
    rng = random.Random(7)
    due = sorted(start + rng.uniform(0, spread) for _ in range(count))
    async with db.transaction() as tx:
        for n, at in enumerate(due):
            kind = KINDS[n % len(KINDS)]
            await repo.schedule(tx, kind, f"{kind} {n}", at, {"n": n}, time.time())
    await db.close()
    return due


async def linli(count: int, spread: float) -> tuple[list[float], float]:
    """Lateness of each job and the start-up time, for Linli."""
    folder = workdir("scheduling")
    lateness: list[float] = []
    async with BotApiEmulator(token=TOKEN) as emulator:
        settings = bench_settings(emulator, folder)
        await store_jobs(str(settings.database.path), count, time.time() + 8, spread)
        runtime = Runtime(settings)

        async def fired(tx: Transaction, job: Job) -> None:
            lateness.append(time.time() - job.due_at)
            await tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('last', ?)", (job.key,)
            )

        began = time.perf_counter()
        await runtime.start()
        startup = time.perf_counter() - began
        for kind in KINDS:
            runtime.services.scheduler.register(kind, fired)
        await wait_until(lambda: len(lateness) >= count, spread + 30)
        await runtime.stop()
    return lateness, startup


async def baseline(count: int, spread: float) -> tuple[list[float], float]:
    """Lateness and set-up time of PTB's in-memory JobQueue with the same jobs."""
    application = ApplicationBuilder().token(TOKEN).updater(None).build()
    lateness: list[float] = []

    async def fired(context: object) -> None:
        job = context.job  # type: ignore[attr-defined]
        lateness.append(time.time() - job.data)

    rng = random.Random(7)
    start = time.time() + 8
    due = sorted(start + rng.uniform(0, spread) for _ in range(count))
    began = time.perf_counter()
    queue = application.job_queue
    assert queue is not None
    queue.set_application(application)
    await queue.start()
    for n, at in enumerate(due):
        queue.run_once(fired, when=at - time.time(), data=at, name=f"job {n}")
    startup = time.perf_counter() - began
    await wait_until(lambda: len(lateness) >= count, spread + 30)
    await queue.stop()
    return lateness, startup


def report(name: str, lateness: list[float], startup: float, count: int) -> None:
    """Print one line of figures."""
    print(
        f"{name}: {len(lateness)}/{count} fired; lateness {summary(lateness)}; "
        f"start-up {startup:.2f} s"
    )


def main() -> None:
    """Run Linli, then the baseline, and print both."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument(
        "--spread", type=float, default=60.0, help="seconds the jobs are spread over"
    )
    args = parser.parse_args()
    ours, ours_startup = asyncio.run(linli(args.jobs, args.spread))
    base, base_startup = asyncio.run(baseline(args.jobs, args.spread))
    report("Linli (stored jobs)", ours, ours_startup, args.jobs)
    report("baseline (PTB JobQueue, in memory)", base, base_startup, args.jobs)
    p99 = percentile(ours, 0.99)
    print(
        f"targets: p99 lateness < 1 s: {'met' if p99 < 1 else 'MISSED'} ({p99:.3f} s); "
        f"start-up < 3 s: {'met' if ours_startup < 3 else 'MISSED'} ({ours_startup:.2f} s)"
    )
    print(f"ratio of p99 lateness baseline/Linli: {percentile(base, 0.99) / max(p99, 1e-9):.2f}")


if __name__ == "__main__":
    main()
