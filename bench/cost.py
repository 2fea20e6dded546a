"""Cost and latency: a mixed workload from the residents and volunteers of 100 buildings.

Updates arrive at a steady 10 a second: requests, claims, done, notice confirmations
and /duty. The bot runs as its own process against the local Bot API emulator, with
everything committed to SQLite. Reported: the bot process's CPU seconds per update
(user+system, all threads) and, as the baseline measured in the same run, those of a
bare python-telegram-bot echo bot fed the same messages at the same pace; the ratio
echo/Linli; and p50/p95 latency from a request to its #N reply and to the first
volunteer's card.

    python -m bench.cost [--seconds 60] [--rate 10] [--buildings 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import TOKEN, cpu_seconds, percentile, summary, wait_until, workdir
from bench.seed import Building, Community, plan, populate_emulator, write_database
from bot.emulator import BotApiEmulator

NUMBER = re.compile(r"#(\d+)")
MIX = (("request", 25), ("claim", 20), ("done", 15), ("confirm", 25), ("duty", 15))


@dataclass
class Action:
    """One update a person sends: a text, or a press of a button."""

    user: int
    chat: int
    text: str = ""
    press: tuple[int, str] | None = None


@dataclass
class Story:
    """What the workload did, and what it is waiting for."""

    actions: list[Action] = field(default_factory=list)
    requests: list[tuple[Building, int, float]] = field(default_factory=list)  # (where, msg, t)
    open: dict[int, Building] = field(default_factory=dict)
    claimed: dict[int, tuple[Building, int]] = field(default_factory=dict)


def bot_process(emulator: BotApiEmulator, folder: Path) -> subprocess.Popen[bytes]:
    """Start `linli run` against the emulator."""
    config = folder / "config.toml"
    config.write_text(
        f'[telegram]\ntoken = "{TOKEN}"\napi_url = "{emulator.base_url}"\n'
        f'[database]\npath = "{folder / "linli.db"}"\n[community]\nadmins = [1]\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
    log = (folder / "bot.log").open("wb")
    profile = (
        ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]]
        if os.environ.get("BENCH_PROFILE")
        else []
    )
    return subprocess.Popen(
        [sys.executable, *profile, "-m", "bot", "--config", str(config), "run"],
        stdout=subprocess.DEVNULL,
        stderr=log,
        env=env,
    )


def echo_process(emulator: BotApiEmulator) -> subprocess.Popen[bytes]:
    """Start the baseline echo bot against the emulator."""
    return subprocess.Popen(
        [sys.executable, "-m", "bench.echo_bot", emulator.base_url, TOKEN],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def choose(
    rng: random.Random, story: Story, community: Community, notices: dict[int, tuple[int, str]]
) -> Action:
    """The next update of the mixed workload (a /duty when the chosen kind has no candidate)."""
    kind = rng.choices([k for k, _w in MIX], weights=[w for _k, w in MIX])[0]
    place = rng.choice(community.buildings)
    resident = rng.choice(place.residents)
    if kind == "claim" and story.open:
        number, place = rng.choice(list(story.open.items()))
        del story.open[number]
        volunteer = rng.choice(place.volunteers)
        story.claimed[number] = (place, volunteer)
        return Action(volunteer, volunteer, f"/claim {number}")
    if kind == "done" and story.claimed:
        number, (place, volunteer) = rng.choice(list(story.claimed.items()))
        del story.claimed[number]
        return Action(volunteer, volunteer, f"/done {number} 好了")
    if kind == "confirm" and place.chat_id in notices:
        return Action(resident, place.chat_id, press=notices[place.chat_id])
    if kind == "request":
        return Action(
            resident, place.chat_id, f"/request repair 厨房水龙头漏水 {rng.randint(1, 999)}"
        )
    return Action(resident, place.chat_id, "/duty")


def send(emulator: BotApiEmulator, action: Action) -> int:
    """Push the update; returns the user's message id (0 for a press)."""
    if action.press is not None:
        emulator.user_presses(action.user, action.chat, *action.press)
        return 0
    return int(emulator.user_sends(action.user, action.chat, action.text)["message_id"])


def learn_numbers(emulator: BotApiEmulator, story: Story, seen: set[tuple[int, int]]) -> None:
    """Find the #N replies of new requests, so that later claims can name them."""
    for place, message_id, _t in story.requests:
        if (place.chat_id, message_id) in seen:  # message ids count per chat
            continue
        for sent in emulator.sent(place.chat_id):
            if sent.reply_to_message_id == message_id and (match := NUMBER.search(sent.text)):
                story.open[int(match.group(1))] = place
                seen.add((place.chat_id, message_id))
                break


async def drive(
    emulator: BotApiEmulator,
    community: Community,
    pid: int,
    seconds: float,
    rate: float,
    script: list[Action] | None,
    notices: dict[int, tuple[int, str]],
) -> tuple[float, int, Story]:
    """Send the workload at ``rate``; returns CPU seconds used by ``pid``, updates, story."""
    rng, story, seen = random.Random(11), Story(), set[tuple[int, int]]()
    total = int(seconds * rate)
    before = cpu_seconds(pid)
    start = time.monotonic()
    for n in range(total):
        await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
        action = script[n] if script is not None else choose(rng, story, community, notices)
        message_id = send(emulator, action)
        story.actions.append(action)
        if action.text.startswith("/request") and script is None:
            story.requests.append((_place(community, action), message_id, time.monotonic()))
        learn_numbers(emulator, story, seen)
    await wait_until(lambda: emulator.pending_updates() == 0, 60)
    await asyncio.sleep(3.0)  # let the last replies and cards go out
    return cpu_seconds(pid) - before, total, story


def _place(community: Community, action: Action) -> Building:
    return next(p for p in community.buildings if p.chat_id == action.chat)


def latencies(emulator: BotApiEmulator, story: Story) -> tuple[list[float], list[float]]:
    """Seconds from each request to its #N reply, and to the first volunteer's card."""
    replies, cards = [], []
    for place, message_id, sent_at in story.requests:
        reply = next(
            (m for m in emulator.sent(place.chat_id) if m.reply_to_message_id == message_id), None
        )
        if reply is None or not (match := NUMBER.search(reply.text)):
            continue
        replies.append(reply.sent_at - sent_at)
        marker = f"#{match.group(1)}"
        first = [
            m.sent_at
            for v in place.volunteers
            for m in emulator.sent(v)
            if marker in m.text and m.sent_at >= sent_at
        ]
        if first:
            cards.append(min(first) - sent_at)
    return replies, cards


async def post_notices(
    emulator: BotApiEmulator, community: Community
) -> dict[int, tuple[int, str]]:
    """Each owner posts a notice; returns each group's (notice message id, button data)."""
    for place in community.buildings:
        emulator.user_sends(place.owner, place.chat_id, "/notice 明天上午停水，请提前储水。")

    def posted() -> bool:
        return all(any(m.buttons for m in emulator.sent(p.chat_id)) for p in community.buildings)

    await wait_until(posted, 120)
    found = {}
    for place in community.buildings:
        message = next(m for m in emulator.sent(place.chat_id) if m.buttons)
        found[place.chat_id] = (message.message_id, str(message.buttons[0][1]))
    return found


async def run_linli(
    args: argparse.Namespace, community: Community
) -> tuple[float, int, Story, BotApiEmulator]:
    folder = workdir("cost")
    emulator = BotApiEmulator(token=TOKEN)
    await emulator.start()
    populate_emulator(emulator, community)
    await write_database(str(folder / "linli.db"), community, time.time())
    process = bot_process(emulator, folder)
    try:
        await wait_until(lambda: bool(emulator.calls_to("getUpdates")), 60)
        notices = await post_notices(emulator, community)
        used, count, story = await drive(
            emulator, community, process.pid, args.seconds, args.rate, None, notices
        )
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    print(f"(bot log: {folder / 'bot.log'})")
    return used, count, story, emulator


async def run_echo(
    args: argparse.Namespace, community: Community, script: list[Action]
) -> tuple[float, int]:
    emulator = BotApiEmulator(token=TOKEN)
    await emulator.start()
    populate_emulator(emulator, community)
    process = echo_process(emulator)
    try:
        await wait_until(lambda: bool(emulator.calls_to("getUpdates")), 60)
        used, count, _story = await drive(
            emulator, community, process.pid, args.seconds, args.rate, script, {}
        )
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        await emulator.stop()
    return used, count


async def main_async(args: argparse.Namespace) -> None:
    community = plan(args.buildings, volunteers=3, residents=10)
    linli_cpu, linli_n, story, emulator = await run_linli(args, community)
    replies, cards = latencies(emulator, story)
    if os.environ.get("BENCH_DEBUG"):
        from collections import Counter

        print(Counter(call.method for call in emulator.calls))
    await emulator.stop()
    echo_cpu, echo_n = await run_echo(args, community, story.actions)
    per_linli, per_echo = linli_cpu / linli_n, echo_cpu / echo_n
    kinds = {kind: sum(1 for a in story.actions if _kind(a) == kind) for kind, _w in MIX}
    print(f"workload: {linli_n} updates at {args.rate}/s from {args.buildings} buildings: {kinds}")
    print(f"Linli: {linli_cpu:.2f} CPU s, {per_linli * 1000:.2f} ms CPU per update")
    print(f"baseline echo bot: {echo_cpu:.2f} CPU s, {per_echo * 1000:.2f} ms CPU per update")
    ratio = per_echo / per_linli
    print(f"ratio echo/Linli: {ratio:.2f} (target >= 0.5: {'met' if ratio >= 0.5 else 'MISSED'})")
    print(f"request -> #N reply ({len(replies)}): {summary(replies)}")
    print(f"request -> first volunteer card ({len(cards)}): {summary(cards)}")
    p95_reply, p95_card = percentile(replies, 0.95), percentile(cards, 0.95)
    print(
        f"targets: p95 reply < 1 s: {'met' if p95_reply < 1 else 'MISSED'}; "
        f"p95 card < 2 s: {'met' if p95_card < 2 else 'MISSED'}"
    )


def _kind(action: Action) -> str:
    if action.press is not None:
        return "confirm"
    return action.text.split()[0].lstrip("/")


def main() -> None:
    """Parse the options and run both bots."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=10.0, help="updates a second")
    parser.add_argument("--buildings", type=int, default=100)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
