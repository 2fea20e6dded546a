"""What the benchmarks share: an emulator, a bot against it, percentiles, CPU readings."""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.config import Settings, load_settings
from bot.emulator import BotApiEmulator

TOKEN = "424242:BENCH-token"


def bench_settings(emulator: BotApiEmulator, folder: Path, **sections: dict[str, Any]) -> Settings:
    """Settings for a bot against the emulator, with its database in ``folder``."""
    config = folder / "config.toml"
    config.write_text("", encoding="utf-8")
    overrides: dict[str, Any] = {
        "telegram": {"token": TOKEN, "api_url": emulator.base_url, "poll_timeout": 10},
        "database": {"path": str(folder / "linli.db")},
        "community": {"admins": [1]},
        "requests": {"max_per_hour": 0},  # simulated residents ask faster than people do
    }
    for section, values in sections.items():
        overrides[section] = {**overrides.get(section, {}), **values}
    return load_settings(config, **overrides)


def workdir(name: str) -> Path:
    """A fresh folder for one benchmark run."""
    return Path(tempfile.mkdtemp(prefix=f"linli-bench-{name}-"))


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of the values fall (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary(values: list[float]) -> str:
    """p50/p95/p99/max in milliseconds."""
    if not values:
        return "no values"
    parts = [
        f"p{int(share * 100)} {percentile(values, share) * 1000:.0f} ms"
        for share in (0.5, 0.95, 0.99)
    ]
    parts.append(f"max {max(values) * 1000:.0f} ms")
    parts.append(f"mean {statistics.mean(values) * 1000:.0f} ms")
    return ", ".join(parts)


def cpu_seconds(pid: int | None = None) -> float:
    """User+system CPU seconds of a process (all its threads), from /proc."""
    with open(f"/proc/{pid or os.getpid()}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def peak_rss_mb(pid: int | None = None) -> float:
    """The peak resident set size of a process, in MB (VmHWM)."""
    with open(f"/proc/{pid or os.getpid()}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.2) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` passes; returns whether it held."""
    for _ in range(max(1, int(timeout / step))):
        if condition():
            return True
        await asyncio.sleep(step)
    return condition()
