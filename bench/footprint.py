"""Footprint: the bot's peak memory with 1,000 buildings, 100,000 residents and
1,000,000 requests in its database.

The people and buildings are written through the repositories (bench/seed.py); the
requests in bulk. The bot then runs as its own process against the emulator and
serves a mixed workload (requests, /duty, /open, /myrequests, and an owner's /stats).
Reported: its peak resident set (VmHWM), against the baseline measured in the same
run: a bare python-telegram-bot echo bot fed the same messages.

    python -m bench.footprint [--buildings 1000] [--residents 100] [--requests 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import time

from bench.common import TOKEN, peak_rss_mb, wait_until, workdir
from bench.cost import bot_process, echo_process
from bench.seed import Community, plan, populate_emulator, write_database
from bot.emulator import BotApiEmulator
from storage.db import Database

REQUESTS_SQL = """
WITH RECURSIVE r(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM r WHERE n < {count} - 1)
INSERT INTO requests (building_id, resident_id, category, text, state, claimer_id,
                      source_chat_id, source_message_id, created_at, claimed_at, done_at,
                      updated_at)
SELECT 1 + n % {buildings},
       1000000 + (n % {buildings}) * 1000 + 100 + (n / {buildings}) % {residents},
       'repair', '厨房水龙头漏水，请帮忙看看', CASE WHEN n % 100 = 0 THEN 'open' ELSE 'done' END,
       CASE WHEN n % 100 = 0 THEN NULL ELSE 1000000 + (n % {buildings}) * 1000 + 1 END,
       -1001000000000 - n % {buildings}, 1000000 + n,
       {start} + n * {step}, {start} + n * {step} + 300, {start} + n * {step} + 3600,
       {start} + n * {step}
FROM r;
"""


async def build(path: str, community: Community, requests: int, residents: int) -> None:
    """The community through the repositories, then the requests in bulk."""
    began = time.perf_counter()
    await write_database(path, community, time.time())
    print(f"  people and buildings: {time.perf_counter() - began:.0f} s", flush=True)
    began = time.perf_counter()
    db = await Database.open(path)
    start, step = time.time() - 365 * 86400, 365 * 86400 / requests
    sql = REQUESTS_SQL.format(
        count=requests,
        buildings=len(community.buildings),
        residents=residents,
        start=start,
        step=step,
    )
    await db.execute_script(f"BEGIN;\n{sql}\nCOMMIT;")
    await db.write("ANALYZE")
    await db.close()
    print(f"  {requests:,} requests: {time.perf_counter() - began:.0f} s", flush=True)


async def workload(emulator: BotApiEmulator, community: Community, updates: int) -> None:
    """A mixed workload at 10 updates a second, ending with an owner's /stats."""
    rng = random.Random(5)
    for n in range(updates):
        place = rng.choice(community.buildings)
        resident, volunteer = rng.choice(place.residents), rng.choice(place.volunteers)
        action = rng.choice(
            [
                (resident, place.chat_id, f"/request 楼道灯坏了 {n}"),
                (resident, place.chat_id, "/duty"),
                (volunteer, volunteer, "/open"),
                (resident, resident, "/myrequests"),
            ]
        )
        emulator.user_sends(*action)
        await asyncio.sleep(0.1)
    owner = community.buildings[0].owner
    emulator.user_sends(owner, owner, "/stats")
    await wait_until(lambda: emulator.pending_updates() == 0, 120)
    await asyncio.sleep(5)


async def measure(
    emulator: BotApiEmulator, community: Community, updates: int, start: object
) -> float:
    """Run one bot process through the workload; returns its peak RSS in MB."""
    process = start(emulator)  # type: ignore[operator]
    try:
        await wait_until(lambda: bool(emulator.calls_to("getUpdates")), 120)
        await workload(emulator, community, updates)
        return peak_rss_mb(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)


async def main_async(args: argparse.Namespace) -> None:
    community = plan(args.buildings, volunteers=3, residents=args.residents)
    folder = workdir("footprint")
    await build(str(folder / "linli.db"), community, args.requests, args.residents)
    size = (folder / "linli.db").stat().st_size / 1e6
    async with BotApiEmulator(token=TOKEN) as emulator:
        populate_emulator(emulator, community)
        ours = await measure(
            emulator, community, args.updates, lambda emu: bot_process(emu, folder)
        )
    async with BotApiEmulator(token=TOKEN) as emulator:
        populate_emulator(emulator, community)
        theirs = await measure(emulator, community, args.updates, echo_process)
    people = sum(len(p.residents) for p in community.buildings)
    print(
        f"database: {args.buildings} buildings, {people:,} residents, "
        f"{args.requests:,} requests, {size:.0f} MB"
    )
    print(f"Linli peak RSS: {ours:.0f} MB (target < 200 MB: {'met' if ours < 200 else 'MISSED'})")
    print(f"baseline echo bot peak RSS: {theirs:.0f} MB; ratio echo/Linli: {theirs / ours:.2f}")


def main() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--buildings", type=int, default=1000)
    parser.add_argument("--residents", type=int, default=100, help="per building")
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--updates", type=int, default=300)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
