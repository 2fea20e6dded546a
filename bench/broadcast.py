"""Broadcast: one notice to 1,000 building groups under Telegram's limits.

The emulator enforces 30 messages a second overall and 20 a minute per group, and
answers 429 with retry_after past them. A community admin sends `/notice all …` in
private; Linli posts it through the outbox. Reported: the achieved rate as a share of
30 a second, whether every group got it exactly once, and the 429s. The baseline in the
same run is the plain python-telegram-bot way: `send_message` to every group at once
behind PTB's AIORateLimiter.

    python -m bench.broadcast [--groups 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from telegram import Bot
from telegram.ext import AIORateLimiter, ExtBot

from bench.common import TOKEN, bench_settings, wait_until, workdir
from bench.seed import plan, populate_emulator, write_database
from bot.emulator import BotApiEmulator, RateLimits
from bot.runtime import Runtime

ADMIN = 1
TEXT = "【通知】本周六上午9点小区消防演练，请大家配合。"


def delivery(emulator: BotApiEmulator, chats: list[int], marker: str) -> tuple[int, int, float]:
    """(groups with exactly one copy, groups with more, seconds from first to last copy)."""
    once = more = 0
    times = []
    for chat in chats:
        copies = [m for m in emulator.sent(chat) if marker in m.text]
        once += len(copies) == 1
        more += len(copies) > 1
        times += [m.sent_at for m in copies]
    return once, more, (max(times) - min(times)) if times else float("nan")


async def linli(groups: int) -> tuple[int, int, float, int]:
    """Linli's broadcast; returns once, more, seconds, 429s."""
    community = plan(groups, volunteers=0, residents=0)
    folder = workdir("broadcast")
    async with BotApiEmulator(token=TOKEN) as emulator:
        populate_emulator(emulator, community)
        emulator.add_user(ADMIN, "Admin", started=True)
        settings = bench_settings(emulator, folder)
        await write_database(str(settings.database.path), community, time.time())
        runtime = Runtime(settings)
        await runtime.start()
        emulator.rate_limits = RateLimits(
            global_per_second=30, per_chat_per_second=1, per_group_per_minute=20
        )
        chats = [place.chat_id for place in community.buildings]
        emulator.user_sends(ADMIN, ADMIN, f"/notice all {TEXT}")
        await wait_until(
            lambda: (
                delivery(emulator, chats, TEXT)[0] + delivery(emulator, chats, TEXT)[1] == groups
            ),
            groups / 10 + 120,
            step=1.0,
        )
        await runtime.idle(60)
        once, more, seconds = delivery(emulator, chats, TEXT)
        limited = emulator.stats.rate_limited
        summary = [m.text for m in emulator.sent(ADMIN)][-1:]
        await runtime.stop()
    print(f"  summary to the admin: {summary[0][:80] if summary else '(none)'}")
    return once, more, seconds, limited


async def baseline(groups: int) -> tuple[int, int, float, int]:
    """Plain PTB: send_message to every group concurrently behind AIORateLimiter."""
    community = plan(groups, volunteers=0, residents=0)
    async with BotApiEmulator(token=TOKEN) as emulator:
        populate_emulator(emulator, community)
        emulator.rate_limits = RateLimits(
            global_per_second=30, per_chat_per_second=1, per_group_per_minute=20
        )
        bot: Bot = ExtBot(
            TOKEN, base_url=emulator.base_url, rate_limiter=AIORateLimiter(max_retries=5)
        )
        chats = [place.chat_id for place in community.buildings]
        async with bot:
            results = await asyncio.gather(
                *(bot.send_message(chat, TEXT) for chat in chats), return_exceptions=True
            )
        failed = sum(isinstance(result, Exception) for result in results)
        once, more, seconds = delivery(emulator, chats, TEXT)
        if failed:
            print(f"  baseline: {failed} sends failed for good")
        return once, more, seconds, emulator.stats.rate_limited


def report(name: str, groups: int, figures: tuple[int, int, float, int]) -> float:
    """Print one line; returns the rate as a share of 30 a second."""
    once, more, seconds, limited = figures
    rate = (once + more) / seconds if seconds > 0 else float("nan")
    share = rate / 30
    print(
        f"{name}: {once}/{groups} groups exactly once, {more} more than once; "
        f"{rate:.1f} msg/s = {share:.0%} of 30/s; 429 answers: {limited}"
    )
    return share


def main() -> None:
    """Run Linli and the baseline."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--groups", type=int, default=1000)
    args = parser.parse_args()
    ours = report("Linli (outbox)", args.groups, asyncio.run(linli(args.groups)))
    theirs = report(
        "baseline (PTB AIORateLimiter)", args.groups, asyncio.run(baseline(args.groups))
    )
    print(
        f"target: at least 90% of 30/s, every message exactly once: "
        f"{'met' if ours >= 0.9 else 'MISSED'}; ratio Linli/baseline rate: {ours / theirs:.2f}"
    )


if __name__ == "__main__":
    main()
