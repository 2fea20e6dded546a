"""Runs first for every update: records the user and chat, and picks the chat's language."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, TypeHandler

from bot.context import LinliContext
from handlers.common import person_of, place_of


async def track(update: Update, context: LinliContext) -> None:
    """Remember who wrote where, and set the language for the handlers that follow."""
    people = context.services.people
    await people.seen(person_of(update.effective_user), place_of(update.effective_chat))
    if update.effective_chat is not None:
        context.language = await people.language_of(update.effective_chat.id)


def get_handlers() -> list[BaseHandler[Update, LinliContext, None]]:
    """The tracking handler (added in group -1 by the app factory)."""
    return [TypeHandler(Update, track)]
