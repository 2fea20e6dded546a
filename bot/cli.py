"""The ``linli`` command."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot import __version__
from bot.config import ConfigError, Settings, load_settings, redact_url
from bot.logs import setup_logging
from storage.db import UnusableDatabase

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.demo.stack import DemoStack
    from bot.emulator.server import BotApiEmulator
    from bot.reports.month import Month

log = logging.getLogger("linli")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen command; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    handler = _COMMANDS[args.command]
    try:
        return handler(args)
    except ConfigError as error:
        print(f"The configuration has errors ({args.config or 'config.toml'}):", file=sys.stderr)
        for key, reason in error.problems:
            print(f"  {key}: {reason}", file=sys.stderr)
        return 2
    except UnusableDatabase as error:
        print(f"Cannot use the database {error.path}: it {error.reason}.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="linli",
        description="Linli (邻里): the Telegram bot for residential building group chats.",
    )
    parser.add_argument("--version", action="version", version=f"linli {__version__}")
    parser.add_argument(
        "-c",
        "--config",
        metavar="PATH",
        help="the TOML config file (default: $LINLI_CONFIG or ./config.toml)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="run the bot (long polling, or webhook if configured)")
    commands.add_parser("check-config", help="validate the config and list every problem")
    commands.add_parser("migrate", help="create or upgrade the database")
    status = commands.add_parser(
        "status",
        help="whether the bot runs, its backlog, jobs, groups, backups and updates set aside, "
        "from the database; exits 1 when something needs a person",
    )
    status.add_argument(
        "--ack", action="store_true", help="mark the updates set aside so far as looked at"
    )
    backup = commands.add_parser("backup", help="write a consistent copy of the database")
    backup.add_argument("path", help="where to write the copy")
    restore = commands.add_parser(
        "restore",
        help="put a backup in place of the database (the bot must be stopped); "
        "the replaced file is kept beside it",
    )
    restore.add_argument("path", help="the backup to restore")
    export = commands.add_parser(
        "export", help="write a month's spreadsheet (.xlsx) of every building, for the office"
    )
    export.add_argument("--month", metavar="YYYY-MM", help="the month (default: this month)")
    export.add_argument(
        "--out", metavar="PATH", help="the file to write (default: linli-YYYY-MM.xlsx)"
    )
    demo = commands.add_parser(
        "demo", help="try Linli in the browser: a sample community, no Telegram account needed"
    )
    demo.add_argument("--port", type=int, default=8080, help="the page's port (default: 8080)")
    demo.add_argument(
        "--lang", choices=("zh", "en"), default="zh", help="the community's language (default: zh)"
    )
    demo.add_argument("--db", metavar="PATH", help="keep the demo database here (a new file)")
    emulator = commands.add_parser(
        "emulator", help="serve the local Bot API emulator alone, for another bot or a client"
    )
    emulator.add_argument("--port", type=int, default=8081, help="its port (default: 8081)")
    emulator.add_argument("--host", default="127.0.0.1", help="its address (default: 127.0.0.1)")
    emulator.add_argument("--token", default="123:abc", help="the bot token it accepts")
    return parser


def _settings(args: argparse.Namespace, require_token: bool = True) -> Settings:
    return load_settings(args.config, require_token=require_token)


def _run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    setup_logging(
        settings.telegram.token.get_secret_value(), logging.DEBUG if args.verbose else logging.INFO
    )
    from bot.runtime import Runtime

    with asyncio.Runner(loop_factory=_event_loop_factory()) as runner:
        runner.run(Runtime(settings).run_until_signal())
    return 0


def _check_config(args: argparse.Namespace) -> int:
    settings = _settings(args)
    proxy = settings.telegram.proxy_url
    print(
        f"The configuration is valid. Database: {settings.database.path}; "
        f"time zone: {settings.community.timezone}; language: {settings.community.language}; "
        f"Bot API: {settings.telegram.api_url} ({settings.telegram.mode})"
        + (f" through the proxy {redact_url(proxy)}." if proxy else ".")
    )
    return 0


def _migrate(args: argparse.Namespace) -> int:
    settings = _settings(args, require_token=False)
    setup_logging()
    from storage.db import Database
    from storage.migrate import current_version, latest_version, migrate

    async def go() -> None:
        db = await Database.open(settings.database.path, newest_version=latest_version())
        try:
            applied = await migrate(db)
            version = await current_version(db)
        finally:
            await db.close()
        print(f"Applied {len(applied)} migration(s); the database is at version {version}.")

    asyncio.run(go())
    return 0


def _status(args: argparse.Namespace) -> int:
    """The status report from the database alone (no token, no Bot API); 1 needs attention."""
    settings = _settings(args, require_token=False)
    if not Path(settings.database.path).is_file():
        print(f"There is no database at {settings.database.path}.", file=sys.stderr)
        return 1
    lines, attention = asyncio.run(_status_lines(settings, args.ack))
    print("\n".join(lines))
    return 1 if attention else 0


async def _status_lines(settings: Settings, acknowledge: bool) -> tuple[list[str], bool]:
    from bot.clock import SystemClock
    from bot.status import StatusContext, status_report
    from storage.db import Database
    from storage.migrate import current_version, latest_version

    path = settings.database.path
    db = await Database.open(path, newest_version=latest_version())
    try:
        version = await current_version(db)
        if version < latest_version():
            return [f"Database: {path} is at schema version {version}, this Linli expects "
                    f"{latest_version()}: run `linli migrate` first."], True
        context = StatusContext(db, settings, SystemClock().now(), acknowledge)
        report = await status_report(context)
    finally:
        await db.close()
    return [f"Database: {path} (schema version {version})", *report.lines], report.attention


def _backup(args: argparse.Namespace) -> int:
    settings = _settings(args, require_token=False)
    from storage.db import Database

    target = Path(args.path)
    if target.exists():
        print(f"{target} exists already; choose a new file name.", file=sys.stderr)
        return 1

    async def go() -> None:
        db = await Database.open(settings.database.path)
        try:
            await db.backup_to(target)
        finally:
            await db.close()

    asyncio.run(go())
    print(f"Wrote a copy of {settings.database.path} to {target}.")
    return 0


def _restore(args: argparse.Namespace) -> int:
    """A checked backup in place of the database, refused while a bot runs on it."""
    settings = _settings(args, require_token=False)
    from bot.clock import SystemClock
    from bot.services.backups import RestoreRefused, restore

    database, source = Path(settings.database.path), Path(args.path)
    try:
        done = asyncio.run(restore(database, source, SystemClock().now()))
    except RestoreRefused as refused:
        print(f"Not restored: {refused}.", file=sys.stderr)
        return 1
    print(f"Restored {source} to {database} (schema version {done.version}; "
          "`linli run` upgrades an older one).")
    if done.kept is not None:
        print(f"The replaced database is kept at {done.kept}.")
    return 0


def _export(args: argparse.Namespace) -> int:
    """The month's spreadsheet from the database, without the bot or a token."""
    settings = _settings(args, require_token=False)
    from bot.clock import SystemClock
    from bot.reports.month import Month

    clock = SystemClock()
    month = Month.parse(args.month) if args.month else Month.of(clock.now(), settings.community.tz)
    if month is None:
        print(f"Cannot read the month {args.month!r}: write it like 2026-11.", file=sys.stderr)
        return 2
    if not Path(settings.database.path).is_file():
        print(f"There is no database at {settings.database.path}.", file=sys.stderr)
        return 1
    target = Path(args.out or f"linli-{month.key}.xlsx")
    content, buildings = asyncio.run(_export_month(settings, clock, month))
    if not buildings:
        print("No building is registered yet: there is nothing to export.", file=sys.stderr)
        return 1
    target.write_bytes(content)
    print(f"Wrote {target}: {month.key}, {buildings} building(s).")
    return 0


async def _export_month(settings: Settings, clock: Clock, month: Month) -> tuple[bytes, int]:
    """The spreadsheet of every building, and how many buildings it covers."""
    from bot.i18n import translator
    from bot.reports.figures import StatsReader
    from bot.reports.workbook import export_month
    from storage.buildings import BuildingRepository
    from storage.migrate import open_migrated

    db = await open_migrated(settings.database.path)
    try:
        buildings = await BuildingRepository(db).all()
        if not buildings:
            return b"", 0
        reader = StatsReader(db, settings, clock)
        content = await export_month(
            reader, buildings, month, translator(settings.community.language)
        )
    finally:
        await db.close()
    return content, len(buildings)


def _demo(args: argparse.Namespace) -> int:
    """The emulator, the real bot and the demo page, until Ctrl-C; needs no config or token."""
    setup_logging(level=logging.INFO if args.verbose else logging.WARNING)
    from bot.demo.stack import DemoStack, run_demo

    db_path = Path(args.db) if args.db else None
    if db_path is not None and db_path.exists():
        print(f"{db_path} exists already; the demo needs a new file.", file=sys.stderr)
        return 1
    print("Setting up the demo community (two buildings, their groups and people)…", flush=True)
    stack = DemoStack(port=args.port, language=args.lang, db_path=db_path)
    try:
        asyncio.run(run_demo(stack, _announce_demo))
    except OSError as error:
        if error.errno not in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            raise
        print(f"Cannot serve the demo on port {args.port}: {error.strerror or error}. "
              "Try another one with --port.", file=sys.stderr)
        return 1
    print("The demo has stopped.")
    return 0


def _announce_demo(stack: DemoStack) -> None:
    report = stack.report
    for part in report.skipped if report else []:
        print(f"  (left out: {part})")
    print(f"\nLinli demo is running. Open {stack.url} in your browser.")
    print("Press Ctrl-C to stop.", flush=True)


def _emulator(args: argparse.Namespace) -> int:
    """The Bot API emulator on its own until Ctrl-C (bot/emulator/serve.py)."""
    setup_logging(level=logging.INFO if args.verbose else logging.WARNING)
    from bot.emulator.serve import serve

    def announce(emulator: BotApiEmulator) -> None:
        print(f"The Bot API emulator is listening at {emulator.base_url} "
              f"(token {emulator.token}; control API: {emulator.url}/_emu/).")
        print("Press Ctrl-C to stop.", flush=True)

    try:
        asyncio.run(serve(args.port, args.token, args.host, announce))
    except OSError as error:
        print(f"Cannot listen on port {args.port}: {error.strerror or error}.", file=sys.stderr)
        return 1
    print("The emulator has stopped.")
    return 0


_COMMANDS = {
    "run": _run,
    "check-config": _check_config,
    "migrate": _migrate,
    "status": _status,
    "backup": _backup,
    "restore": _restore,
    "export": _export,
    "demo": _demo,
    "emulator": _emulator,
}


def _event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop where it is installed (it halves the event loop's CPU cost), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop
