"""Linli (邻里): the bot application."""

import os

# PTB 22 gives time spans (a 429's retry_after) as timedeltas when asked to; it warns
# about the old int form otherwise. Linli handles both (bot.ratelimit.retry_seconds).
os.environ.setdefault("PTB_TIMEDELTA", "1")

__version__ = "0.1.0"
