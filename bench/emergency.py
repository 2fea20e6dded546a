"""Emergency: an urgent message to 1,000 groups while 1,000 ordinary notice posts wait.

The emulator enforces 30 messages a second overall, 1 a second per chat and 20 a minute
per group, and answers 429 past them. A community admin's notice to every group is queued
(1,000 posts), then their emergency to every group, through the services the /notice and
/emergency commands call; then the bot starts and its outbox drains. Reported: whether
every group got the emergency before its ordinary post, the emergency's rate (its 1,000
posts, first to last) as a share of 30 a second, lost and doubled messages, the 429s, and
when the last pin landed. The baseline in the same run is the same 1,000 ordinary posts
sent alone, without an emergency (the ordinary broadcast's rate); the ratio compares the
two rates.

    python -m bench.emergency [--groups 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from telegram import Bot

from bench.common import TOKEN, bench_settings, wait_until, workdir
from bench.seed import Community, plan, populate_emulator, write_database
from bot.app import build_services
from bot.clock import SystemClock
from bot.config import Settings
from bot.emulator import BotApiEmulator, RateLimits, SentMessage
from bot.runtime import Runtime
from bot.services.community import Actor, Role
from bot.services.notices import Draft
from storage.chats import ChatRepository
from storage.migrate import open_migrated
from storage.users import UserRepository

ADMIN = 1
TEXT = "【通知】本周六上午9点小区消防演练，请大家配合。"
ALERT = "【紧急】地下室煤气泄漏，请立即撤离，不要乘电梯。"


@dataclass(frozen=True)
class Figures:
    """What one run measured."""

    groups: int
    ahead: int  # groups whose emergency arrived before their ordinary post
    lost: int  # groups missing the emergency or the ordinary post
    doubled: int  # groups with a second copy of either
    seconds: float  # the emergency's posts (or the ordinary ones, alone), first to last
    pinned: int
    pinned_after: float  # seconds from the first emergency post to the last pin
    limited: int  # 429 answers
    violations: list[str]

    @property
    def rate(self) -> float:
        """Messages a second of what was measured."""
        return self.groups / self.seconds if self.seconds > 0 else float("nan")


def copies(emulator: BotApiEmulator, chat: int, marker: str) -> list[SentMessage]:
    """The bot's messages in a group that contain ``marker``."""
    return [m for m in emulator.sent(chat) if marker in m.text]


async def queue(settings: Settings, emulator: BotApiEmulator, community: Community,
                emergency: bool) -> None:
    """The admin's notice to every group, then (if asked) the emergency, stored and queued
    as the commands would, while no bot runs."""
    db = await open_migrated(settings.database.path)
    services = build_services(settings, SystemClock(), db, Bot(TOKEN, base_url=emulator.base_url))
    now = time.time()
    async with db.transaction() as tx:
        await UserRepository(db).upsert(tx, ADMIN, "Admin", None, None, "zh", now)
        await UserRepository(db).set_started(tx, ADMIN, True, now)
        await ChatRepository(db).upsert(tx, ADMIN, "private", None, now)
    admin = Actor(ADMIN)
    buildings = await services.community.scope(admin, None, Role.OWNER)
    await services.notices.create(admin, ADMIN, buildings, Draft(TEXT), 1)
    if emergency:
        draft = await services.emergency.draft(f"all {ALERT}", buildings)
        await services.emergency.send(admin, ADMIN, buildings, draft, 2)
    await db.close()


async def run(groups: int, emergency: bool) -> Figures:
    """Queue, start the bot, wait for every message; measure."""
    community = plan(groups, volunteers=0, residents=0)
    folder: Path = workdir("emergency")
    async with BotApiEmulator(token=TOKEN) as emulator:
        populate_emulator(emulator, community)
        emulator.add_user(ADMIN, "Admin", started=True)
        settings = bench_settings(emulator, folder)
        await write_database(str(settings.database.path), community, time.time())
        await queue(settings, emulator, community, emergency)
        emulator.rate_limits = RateLimits(
            global_per_second=30, per_chat_per_second=1, per_group_per_minute=20
        )
        chats = [place.chat_id for place in community.buildings]
        runtime = Runtime(settings)
        await runtime.start()
        wanted = (TEXT, ALERT) if emergency else (TEXT,)
        await wait_until(
            lambda: all(copies(emulator, c, w) for c in chats for w in wanted),
            groups / 5 + 120,
            step=1.0,
        )
        await runtime.idle(120)
        figures = measure(emulator, chats, emergency)
        summaries = [m.text for m in emulator.sent(ADMIN)]
        await runtime.stop()
    for text in summaries:
        print(f"  summary to the admin: {text.splitlines()[0][:80]}")
    return figures


def measure(emulator: BotApiEmulator, chats: list[int], emergency: bool) -> Figures:
    """The figures of one run, from the emulator's record."""
    ahead = lost = doubled = pinned = 0
    firsts: list[float] = []
    pins: list[float] = []
    for chat in chats:
        ordinary, urgent = copies(emulator, chat, TEXT), copies(emulator, chat, ALERT)
        lost += not ordinary or (emergency and not urgent)
        doubled += len(ordinary) > 1 or len(urgent) > 1
        if not emergency:
            firsts += [m.sent_at for m in ordinary]
            continue
        firsts += [m.sent_at for m in urgent]
        if ordinary and urgent and urgent[0].sent_at < ordinary[0].sent_at:
            ahead += 1
        if urgent and urgent[0].pinned:
            pinned += 1
    if emergency:
        pins = [c.time for c in emulator.calls if c.method == "pinChatMessage" and c.status == 200]
    span = (max(firsts) - min(firsts)) if firsts else float("nan")
    return Figures(
        groups=len(chats),
        ahead=ahead,
        lost=lost,
        doubled=doubled,
        seconds=span,
        pinned=pinned,
        pinned_after=(max(pins) - min(firsts)) if pins and firsts else float("nan"),
        limited=emulator.stats.rate_limited,
        violations=emulator.rate_violations(),
    )


def main() -> None:
    """Run the emergency and the baseline."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--groups", type=int, default=1000)
    args = parser.parse_args()
    ours = asyncio.run(run(args.groups, emergency=True))
    print(
        f"emergency: ahead of the ordinary post in {ours.ahead}/{ours.groups} groups; "
        f"{ours.rate:.1f} msg/s = {ours.rate / 30:.0%} of 30/s "
        f"({ours.groups} posts in {ours.seconds:.1f} s); lost {ours.lost}, doubled "
        f"{ours.doubled}; pinned in {ours.pinned} groups, the last pin "
        f"{ours.pinned_after:.1f} s after the first post; 429 answers: {ours.limited}; "
        f"limits exceeded: {ours.violations or 'none'}"
    )
    base = asyncio.run(run(args.groups, emergency=False))
    print(
        f"baseline (the same {base.groups} ordinary posts, no emergency): "
        f"{base.rate:.1f} msg/s = {base.rate / 30:.0%} of 30/s ({base.seconds:.1f} s); "
        f"lost {base.lost}, doubled {base.doubled}; 429 answers: {base.limited}"
    )
    met = (ours.ahead == ours.groups and ours.rate / 30 >= 0.9 and ours.lost == 0
           and ours.doubled == 0)
    print(
        f"target: ahead in every group at ≥ 90% of 30/s, 0 lost, 0 doubled: "
        f"{'met' if met else 'MISSED'}; ratio emergency/baseline rate: "
        f"{ours.rate / base.rate:.2f}"
    )


if __name__ == "__main__":
    main()
