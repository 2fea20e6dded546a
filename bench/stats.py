"""Stats: /stats for one month in a database of 1,000,000 requests.

Generates a community of 20 buildings whose requests (with their event history, points,
service hours, lock-ups, events, check-ins and redemptions) span three years, then times
the figures of the last full month through the real service (``services.stats.figures``):
every building (a community admin's /stats) and one building (an owner's). Target: under
a second.

The baseline, measured in the same run on the same database: the same figures with
migration 0007's indexes dropped, so that each query scans the tables as it would without
them; and ``SELECT count(*) FROM requests`` as the cost of touching every request once.

    python -m bench.stats [--requests 1000000] [--months 36] [--keep PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Awaitable
from pathlib import Path

from telegram import Bot

from bench.common import summary, workdir
from bot.app import build_services
from bot.clock import SystemClock
from bot.config import Settings, load_settings
from bot.context import Services
from bot.domain.core import Building
from bot.i18n import translator
from bot.reports.month import Month
from storage.db import Database
from storage.migrate import available_migrations, migrate

BUILDINGS = 20
RESIDENTS = 1000  # per building
VOLUNTEERS = 20  # per building
RUNS = 7
CATEGORIES = ("repair", "errand", "health", "elderly", "safety", "dispute", "other")
STATS_INDEXES = (
    "requests_building_created",
    "requests_done_by",
    "request_events_kind",
    "events_starts",
    "redemptions_decided",
    "hours_entries_served",
    "hours_attendance_time",
)
STATS_MIGRATIONS = ("0007", "0019")  # the migrations that make those indexes


def settings_for(path: Path) -> Settings:
    """Settings for the service with the database at ``path`` (no token needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    config = path.parent / "config.toml"
    config.write_text("", encoding="utf-8")
    return load_settings(config, require_token=False, database={"path": str(path)})


async def generate(db: Database, requests: int, months: int, now: float) -> None:
    """Write the community with INSERT … SELECT from recursive CTEs, one transaction each."""
    start = now - months * 30.4 * 86400
    span = now - start
    steps = [
        ("people and buildings", _people_sql()),
        ("requests", _requests_sql(requests, start, span)),
        ("request events", _events_sql()),
        ("points", _points_sql()),
        ("lock-ups", _lockups_sql(start, now)),
        ("events", _events_and_signups_sql(start, span, months)),
        ("service hours", _hours_sql()),
    ]
    for name, script in steps:
        began = time.perf_counter()
        await db.execute_script(f"BEGIN;\n{script}\nCOMMIT;")
        print(f"  {name}: {time.perf_counter() - began:.1f} s", flush=True)
    await db.write("ANALYZE")


def _people_sql() -> str:
    people = BUILDINGS * (RESIDENTS + VOLUNTEERS)
    return f"""
    WITH RECURSIVE b(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM b WHERE n < {BUILDINGS})
    INSERT INTO chats (id, type, title, created_at, updated_at)
        SELECT -1000 - n, 'supergroup', n || '号楼', 0, 0 FROM b;
    WITH RECURSIVE b(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM b WHERE n < {BUILDINGS})
    INSERT INTO buildings (id, chat_id, name, created_at, updated_at)
        SELECT n, -1000 - n, n || '号楼', 0, 0 FROM b;
    WITH RECURSIVE p(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM p WHERE n < {people - 1})
    INSERT INTO users (id, first_name, username, started, created_at, updated_at)
        SELECT 100000 + n, 'U' || n, 'u' || n, 1, 0, 0 FROM p;
    -- person n lives in building 1 + n % B; the first VOLUNTEERS of each building volunteer
    INSERT INTO members (building_id, user_id, resident, volunteer, joined_at)
        SELECT 1 + (id - 100000) % {BUILDINGS}, id, 1,
               (id - 100000) / {BUILDINGS} < {VOLUNTEERS}, 0 FROM users;
    """


def _requests_sql(requests: int, start: float, span: float) -> str:
    categories = " ".join(f"WHEN {n} THEN '{code}'" for n, code in enumerate(CATEGORIES))
    return f"""
    WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < {requests}),
    v AS (SELECT n, {start} + n * {span / requests} AS created,
                 1 + n % {BUILDINGS} AS building, (n * 48271) % 100 AS fate,
                 60 + (n * 69621) % 7200 AS to_claim, 600 + (n * 16807) % 14400 AS to_finish
          FROM r)
    INSERT INTO requests (id, building_id, resident_id, category, text, state, claimer_id,
                          source_chat_id, source_message_id, rating, created_at, claimed_at,
                          done_at, updated_at)
    SELECT n, building,
           100000 + building - 1 + {BUILDINGS} * ({VOLUNTEERS} + (n * 7919) % {RESIDENTS}),
           CASE (n * 31) % 7 {categories} END, 'bench request',
           CASE WHEN fate < 75 THEN 'done' WHEN fate < 82 THEN 'cancelled'
                WHEN fate < 90 THEN 'claimed' ELSE 'open' END,
           CASE WHEN fate < 75 OR fate BETWEEN 82 AND 89
                THEN 100000 + building - 1 + {BUILDINGS} * ((n * 13) % {VOLUNTEERS}) END,
           -1000 - building, n,
           CASE WHEN fate < 75 AND n % 3 = 0 THEN 1 + (n * 13) % 5 END,
           created,
           CASE WHEN fate < 75 OR fate BETWEEN 82 AND 89 THEN created + to_claim END,
           CASE WHEN fate < 75 THEN created + to_claim + to_finish END,
           created
    FROM v;
    """


def _events_sql() -> str:
    return """
    INSERT INTO request_events (request_id, kind, actor_id, detail, at)
        SELECT id, 'opened', resident_id, category, created_at FROM requests;
    INSERT INTO request_events (request_id, kind, actor_id, detail, at)
        SELECT id, 'routed', NULL, 'duty:2', created_at FROM requests;
    INSERT INTO request_events (request_id, kind, actor_id, detail, at)
        SELECT id, 'claimed', claimer_id, '', claimed_at FROM requests
        WHERE claimed_at IS NOT NULL;
    INSERT INTO request_events (request_id, kind, actor_id, detail, at)
        SELECT id, 'done', claimer_id, '', done_at FROM requests WHERE state = 'done';
    """


def _points_sql() -> str:
    return f"""
    INSERT INTO ledger (user_id, amount, reason, source, created_at)
        SELECT claimer_id, 10, 'request_done', 'request:' || id, done_at FROM requests
        WHERE state = 'done';
    INSERT INTO rewards (id, building_id, name, shop, cost, stock, created_at, updated_at)
        SELECT id, id, '洗车券', '老王洗车行', 50, 1000000, 0, 0 FROM buildings;
    INSERT INTO redemptions (reward_id, user_id, building_id, cost, status, request_key,
                             voucher, created_at, expires_at, decided_at)
        SELECT 1 + (id % {BUILDINGS}), claimer_id, building_id, 50, 'approved',
               'bench:' || id, 'V' || id, done_at, done_at + 86400, done_at + 3600
        FROM requests WHERE state = 'done' AND id % 100 = 0;
    """


def _lockups_sql(start: float, now: float) -> str:
    days = int((now - start) // 86400)
    return f"""
    INSERT INTO facilities (id, building_id, name, closing, checklist, created_at)
        SELECT id, id, '自习室', '[1260,1260,1260,1260,1260,1080,null]', '["门锁好"]', 0
        FROM buildings;
    WITH RECURSIVE d(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d WHERE n < {days})
    INSERT INTO lockups (facility_id, day, closing_at, status, user_id, reported_at, late,
                         escalated_at)
        SELECT f.id, date({start} + d.n * 86400, 'unixepoch'), {start} + d.n * 86400,
               CASE WHEN (d.n + f.id) % 10 < 9 THEN 'reported' ELSE 'open' END,
               100000 + f.id - 1,
               CASE WHEN (d.n + f.id) % 10 < 9 THEN {start} + d.n * 86400 + 600 END,
               (d.n + f.id) % 10 = 8,
               CASE WHEN (d.n + f.id) % 10 = 9 THEN {start} + d.n * 86400 + 2400 END
        FROM facilities f, d;
    """


def _events_and_signups_sql(start: float, span: float, months: int) -> str:
    count = months * BUILDINGS * 4
    return f"""
    WITH RECURSIVE e(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM e WHERE n < {count})
    INSERT INTO events (id, title, place, starts_at, capacity, status, created_by, created_at)
        SELECT n, '健康讲座', '活动室', {start} + n * {span / count}, 30,
               CASE WHEN n % 20 = 0 THEN 'cancelled' ELSE 'done' END, 100000, 0 FROM e;
    INSERT INTO event_posts (event_id, building_id)
        SELECT id, 1 + id % {BUILDINGS} FROM events;
    WITH RECURSIVE s(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM s WHERE k < 9)
    INSERT INTO event_signups (event_id, user_id, chat_id, role, status, joined_at)
        SELECT p.event_id, 100000 + p.building_id - 1 + {BUILDINGS} * ({VOLUNTEERS} + s.k),
               -1000 - p.building_id, 'guest', 'going', 0
        FROM event_posts p, s;
    INSERT INTO event_attendance (event_id, user_id, role, present, marked_by, marked_at)
        SELECT event_id, user_id, role, user_id % 3 > 0, 100000, 0 FROM event_signups;
    """


def _hours_sql() -> str:
    """An hour for every request done (hours.count_requests on), and an event's check-in
    window with the check-ins of its list."""
    local = "'unixepoch', '+8 hours'"
    return f"""
    INSERT INTO hours_entries (user_id, minutes, kind, origin, content, served_at, year,
                               month, building_id, cap_minutes, source, created_at)
        SELECT claimer_id, 60, 'recorded', 'request', '求助 #' || id, done_at,
               CAST(strftime('%Y', done_at, {local}) AS INTEGER),
               strftime('%Y-%m', done_at, {local}), building_id, 60, 'request:' || id, done_at
        FROM requests WHERE state = 'done';
    INSERT INTO hours_activities (id, ref, title, organiser_id, code, opens_at, starts_at,
                                  ends_at, created_at)
        SELECT id, 'event:' || id, title, created_by, printf('%06d', id), starts_at - 1800,
               starts_at, starts_at + 7200, 0 FROM events;
    INSERT INTO hours_attendance (activity_id, user_id, building_id, checked_in_at,
                                  checked_out_at, status)
        SELECT s.event_id, s.user_id, -1000 - s.chat_id, e.starts_at,
               e.starts_at + 7200, 'out'
        FROM event_signups s JOIN events e ON e.id = s.event_id;
    """


async def time_figures(services: Services, buildings: list[Building], month: Month) -> list[float]:
    """Seconds for each of RUNS computations of the month's figures."""
    timings = []
    for _ in range(RUNS):
        began = time.perf_counter()
        await services.stats.figures(buildings, month)
        timings.append(time.perf_counter() - began)
    return timings


async def worst_stall(work: Awaitable[object]) -> float:
    """The longest the event loop was held up (past a 5 ms heartbeat) while ``work`` ran:
    how long every other chat would have waited for the bot."""
    worst, done = 0.0, False

    async def heartbeat() -> None:
        nonlocal worst
        while not done:
            began = time.perf_counter()
            await asyncio.sleep(0.005)
            worst = max(worst, time.perf_counter() - began - 0.005)

    beat = asyncio.create_task(heartbeat())
    await asyncio.sleep(0)  # the heartbeat is asleep before the work begins
    try:
        await work
    finally:
        done = True
        await beat
    return worst


async def drop_stats_indexes(db: Database) -> None:
    """Take away the indexes of the stats migrations (the baseline's database)."""
    async with db.transaction() as tx:
        for name in STATS_INDEXES:
            await tx.execute(f"DROP INDEX IF EXISTS {name}")


async def restore_stats_indexes(db: Database) -> None:
    """Put the indexes of the stats migrations back."""
    for migration in available_migrations():
        if migration.name.startswith(STATS_MIGRATIONS):
            await db.execute_script(f"BEGIN;\n{migration.sql}\nCOMMIT;")
    await db.write("ANALYZE")


async def run(path: Path, fresh: bool, requests: int, months: int) -> None:
    """Generate (or reuse) the database, time Linli and the baselines, print the figures."""
    settings = settings_for(path)
    clock = SystemClock()
    db = await Database.open(path)
    await migrate(db)
    if fresh:
        print(f"generating {requests:,} requests over {months} months in {path} …", flush=True)
        began = time.perf_counter()
        await generate(db, requests, months, clock.now())
        print(f"generated in {time.perf_counter() - began:.0f} s", flush=True)
    count = await db.fetch_value("SELECT count(*) FROM requests")
    events = await db.fetch_value("SELECT count(*) FROM request_events")
    size = await asyncio.to_thread(os.path.getsize, path) / 2**20
    print(
        f"database: {count:,} requests, {events:,} request events, {BUILDINGS} buildings, "
        f"{size:.0f} MB"
    )

    services = build_services(settings, clock, db, Bot("1:bench"))  # the bot is never called
    buildings = await services.community.buildings.all()
    month = Month.of(clock.now(), settings.community.tz).previous()
    stats = await services.stats.figures(buildings, month)
    print(f"month {month.key}: {stats.total.opened:,} requests opened in all buildings, "
          f"{stats.total.hours_minutes // 60:,} service hours")

    every = await time_figures(services, buildings, month)
    one = await time_figures(services, buildings[:1], month)
    began = time.perf_counter()
    png = await services.stats.chart(stats, translator("zh"))
    chart = time.perf_counter() - began
    began = time.perf_counter()
    sheet = await services.stats.export(buildings[:1], month, translator("zh"))
    export = time.perf_counter() - began
    stall = await worst_stall(services.stats.figures(buildings, month))
    services.stats.repo.reads = db  # the baseline: the same reads on the loop's connection
    stall_inline = await worst_stall(services.stats.figures(buildings, month))
    services.stats.repo.reads = db.long_reads

    began = time.perf_counter()
    await db.fetch_value("SELECT count(*) FROM requests")
    count_all = time.perf_counter() - began
    await drop_stats_indexes(db)
    try:
        unindexed = await time_figures(services, buildings, month)
    finally:
        await restore_stats_indexes(db)
    await db.close()

    print(f"Linli /stats, one month, all {BUILDINGS} buildings: {summary(every)} ({RUNS} runs)")
    print(f"Linli /stats, one month, one building: {summary(one)}")
    print(
        f"chart (PNG, {len(png) // 1024} KB): {chart * 1000:.0f} ms; "
        f"/export of one building ({len(sheet) // 1024} KB): {export * 1000:.0f} ms"
    )
    print(
        f"event loop held up while /stats for all buildings ran: {stall * 1000:.0f} ms at "
        f"most; baseline, the same reads on the loop's own connection: "
        f"{stall_inline * 1000:.0f} ms"
    )
    print(f"baseline, the same figures without the 0007 and 0019 indexes: {summary(unindexed)}")
    print(f"baseline, SELECT count(*) FROM requests: {count_all * 1000:.0f} ms")
    worst = max(every)
    print(
        f"target: /stats for one month < 1 s: {'met' if worst < 1 else 'MISSED'} "
        f"(slowest {worst * 1000:.0f} ms)"
    )
    print(
        f"ratio, without the indexes / Linli (median): "
        f"{statistics.median(unindexed) / statistics.median(every):.1f}x"
    )


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument(
        "--keep", metavar="PATH", help="the database file to use (generated if it does not exist)"
    )
    args = parser.parse_args()
    path = Path(args.keep).resolve() if args.keep else workdir("stats") / "linli.db"
    asyncio.run(run(path, not path.exists(), args.requests, args.months))


if __name__ == "__main__":
    main()
