"""Logging to stderr in plain words, with the bot token never shown."""

from __future__ import annotations

import logging
import sys


class RedactToken(logging.Filter):
    """Replace the bot token wherever it appears in a record."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with the token masked."""
        if not self.token:
            return True
        message = record.getMessage()
        if self.token in message:
            record.msg = message.replace(self.token, "<token>")
            record.args = None
        return True


def setup_logging(token: str = "", level: int = logging.INFO) -> None:
    """One line per event on stderr; quiet the HTTP client, which logs URLs with the token."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.addFilter(RedactToken(token))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler", "aiosqlite", "telegram.ext.Application"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
