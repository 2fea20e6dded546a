"""The one place that turns errors into replies and logs what nobody handled."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.context import LinliContext
from bot.errors import LinliError
from handlers.common import reply

log = logging.getLogger(__name__)


async def on_error(update: object, context: LinliContext) -> None:
    """Reply to a domain refusal in the user's language; log anything else with its update."""
    error = context.error
    if isinstance(update, Update):
        await _use_chat_language(update, context)
    if isinstance(error, LinliError) and isinstance(update, Update):
        await _safe_reply(update, context, context.t(error.message, **error.params))
        return
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s: %r", update_id, error, exc_info=error)
    if isinstance(update, Update) and not isinstance(error, Forbidden):
        await _safe_reply(
            update, context, context.t("Sorry, something went wrong. Please try again in a moment.")
        )


async def _use_chat_language(update: Update, context: LinliContext) -> None:
    """PTB gives error handlers a fresh context: pick the chat's language again."""
    chat = update.effective_chat
    if chat is None or context.language is not None or context.bot_data.services is None:
        return
    with contextlib.suppress(Exception):  # the reply matters more than its language
        context.language = await context.services.people.language_of(chat.id)


async def _safe_reply(update: Update, context: LinliContext, text: str) -> None:
    try:
        await reply(update, context, text)
    except TelegramError as error:
        log.warning("could not send the error reply for update %s: %s", update.update_id, error)
