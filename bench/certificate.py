"""Certificate: /certificate for a volunteer with 1,000 hours entries in one year.

Seeds a database with one building, the volunteer and their entries (check-ins, make-up
and corrections), then times the real path of /certificate: the service's read and the
certificate row (``services.hours.certificate``) and the PDF (``bot.reports.certificate``,
with the Chinese font embedded). Target: under 2 s. Also times /hours for the same
volunteer, which reads its totals from an index.

The baseline, measured in the same run: the same table of 1,000 rows drawn by fpdf2 with
its built-in Helvetica (no font to embed) and ASCII text, the least a PDF of that size costs.

    python -m bench.certificate [--entries 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import time
from datetime import datetime
from pathlib import Path

from telegram import Bot

from bench.common import summary, workdir
from bot.app import build_services
from bot.clock import SystemClock
from bot.config import Settings, load_settings
from bot.i18n import translator
from bot.reports.certificate import certificate_font, render
from bot.services.community import Actor
from bot.services.people import Person, Place
from storage.db import Database
from storage.migrate import migrate

OWNER, VOLUNTEER, CHAT = 1, 2, -100
TITLES = ("健康义诊", "清扫楼道", "敬老探访", "防诈宣传", "垃圾分类督导", "社区值守")


def settings_for(path: Path) -> Settings:
    """Settings for the services with the database at ``path`` (no token needed)."""
    config = path.parent / "config.toml"
    config.write_text("", encoding="utf-8")
    return load_settings(config, require_token=False, database={"path": str(path)},
                         community={"admins": [OWNER]})


async def seed(db: Database, entries: int, year: int) -> None:
    """``entries`` lines of the volunteer's year, spread over it; every tenth is make-up and
    every fiftieth has a correction."""
    start = datetime(year, 1, 1).timestamp()
    rows = []
    for n in range(entries):
        served = start + n * (360 * 86400 / entries)
        kind = "makeup" if n % 10 == 0 else "recorded"
        rows.append((VOLUNTEER, 60 + 30 * (n % 4), kind, "makeup" if kind == "makeup" else
                     "event", f"{TITLES[n % len(TITLES)]} 第{n + 1}次", served, year,
                     f"{year}-{1 + n * 12 // entries:02d}", None, 240, f"bench:{n}", OWNER,
                     served))
    await db.write_many(
        """INSERT INTO hours_entries (user_id, minutes, kind, origin, content, served_at, year,
               month, corrects, cap_minutes, source, made_by, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", rows)
    corrections = [(VOLUNTEER, -30, "recorded", "correction", "更正", start, year, f"{year}-01",
                    n + 1, None, f"bench:fix:{n}", OWNER, start)
                   for n in range(1, entries, 50)]
    await db.write_many(
        """INSERT INTO hours_entries (user_id, minutes, kind, origin, content, served_at, year,
               month, corrects, cap_minutes, source, made_by, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", corrections)


def baseline(entries: int) -> float:
    """Seconds for fpdf2 to draw a 1,000-row table with a built-in font."""
    from fpdf import FPDF

    began = time.perf_counter()
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    with pdf.table(col_widths=(28, 112, 22, 28), line_height=6.5) as table:
        table.row(["Date", "Activity", "Hours", "Kind"])
        for n in range(entries):
            table.row(["2026-01-01", f"Activity number {n + 1}", "1.5", "recorded"])
    io.BytesIO(bytes(pdf.output()))
    return time.perf_counter() - began


async def run(folder: Path, entries: int, runs: int) -> None:
    """Seed, then time /certificate and /hours."""
    path = folder / "linli.db"
    cfg = settings_for(path)
    db = await Database.open(path)
    await migrate(db)
    services = build_services(cfg, SystemClock(), db, Bot("1:bench"))  # the bot is never called
    await services.people.seen(Person(OWNER, "王主任"), Place(CHAT, "group"))
    await services.people.seen(Person(VOLUNTEER, "小赵"), None)
    building = (await services.community.setup(CHAT, "3号楼", OWNER)).building
    volunteer = await services.users.get(VOLUNTEER)
    assert volunteer is not None
    await services.community.add_volunteer(building, volunteer, [])
    tz = cfg.community.tz
    year = datetime.now(tz).year
    await seed(db, entries, year)
    if certificate_font() is None:
        raise SystemExit("no font with Chinese glyphs: install fonts-wqy-microhei")
    t = translator("zh")
    totals, reads, drawings, sizes = [], [], [], []
    for n in range(runs):
        began = time.perf_counter()
        issued = await services.hours.certificate(Actor(VOLUNTEER), year, f"bench:cert:{n}")
        read = time.perf_counter()
        pdf = render(t, issued, tz)
        done = time.perf_counter()
        reads.append(read - began)
        drawings.append(done - read)
        totals.append(done - began)
        sizes.append(len(pdf))
    hours_times = []
    for _ in range(runs * 20):
        began = time.perf_counter()
        await services.hours.summary(Actor(VOLUNTEER), volunteer)
        hours_times.append(time.perf_counter() - began)
    base = [baseline(entries) for _ in range(runs)]
    await db.close()
    print(f"certificate of {entries} entries: {summary(totals)} "
          f"(read {statistics.median(reads) * 1000:.0f} ms, PDF "
          f"{statistics.median(drawings) * 1000:.0f} ms, {statistics.median(sizes) // 1024} KiB)")
    print(f"/hours for the same volunteer: {summary(hours_times)}")
    print(f"baseline, the same table with a built-in font: {summary(base)}")
    worst = max(totals)
    print(f"target: the certificate < 2 s: {'met' if worst < 2 else 'MISSED'} "
          f"(slowest {worst * 1000:.0f} ms)")
    print(f"ratio, Linli / baseline (median): "
          f"{statistics.median(totals) / statistics.median(base):.1f}x")


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(workdir("certificate"), args.entries, args.runs))


if __name__ == "__main__":
    main()
