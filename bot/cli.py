"""The ``linli`` command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import __version__
from bot.config import ConfigError, Settings, load_settings
from bot.logs import setup_logging

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
    backup = commands.add_parser("backup", help="write a consistent copy of the database")
    backup.add_argument("path", help="where to write the copy")
    return parser


def _settings(args: argparse.Namespace, require_token: bool = True) -> Settings:
    return load_settings(args.config, require_token=require_token)


def _run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    setup_logging(
        settings.telegram.token.get_secret_value(), logging.DEBUG if args.verbose else logging.INFO
    )
    from bot.runtime import Runtime

    asyncio.run(Runtime(settings).run_until_signal())
    return 0


def _check_config(args: argparse.Namespace) -> int:
    settings = _settings(args)
    print(
        f"The configuration is valid. Database: {settings.database.path}; "
        f"time zone: {settings.community.timezone}; language: {settings.community.language}; "
        f"Bot API: {settings.telegram.api_url} ({settings.telegram.mode})."
    )
    return 0


def _migrate(args: argparse.Namespace) -> int:
    settings = _settings(args, require_token=False)
    setup_logging()
    from storage.db import Database
    from storage.migrate import current_version, migrate

    async def go() -> None:
        db = await Database.open(settings.database.path)
        try:
            applied = await migrate(db)
            version = await current_version(db)
        finally:
            await db.close()
        print(f"Applied {len(applied)} migration(s); the database is at version {version}.")

    asyncio.run(go())
    return 0


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


_COMMANDS = {"run": _run, "check-config": _check_config, "migrate": _migrate, "backup": _backup}
