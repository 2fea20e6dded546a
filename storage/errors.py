"""Errors storage raises; services translate them into domain errors (``bot.errors``)."""

from __future__ import annotations


class StorageError(Exception):
    """A write the database refused for a reason the caller can act on."""


class MonthlyLimitReached(StorageError):
    """The volunteer already holds one of this once-a-month reward this month."""
