"""Events with sign-up lists (接龙), waitlists, reminders and attendance."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler

from bot.commands import MenuCommand
from bot.context import LinliContext

MENU: list[MenuCommand] = []


def get_handlers() -> list[BaseHandler[Update, LinliContext, None]]:
    """Handlers of this feature."""
    return []
