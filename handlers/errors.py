"""The one place that turns errors into replies and logs what nobody handled."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import CallbackQueryHandler

from bot.context import LinliContext
from bot.errors import InvalidInput, LinliError
from bot.i18n import N_, Html
from handlers.common import reply

log = logging.getLogger(__name__)

MAX_QUOTED = 200  # a refusal quotes what was written: a long text would not fit a message


def quoted(params: dict[str, Any]) -> dict[str, Any]:
    """A refusal's values, each text cut short: cut later, the reply's HTML would break."""
    return {
        name: value[:MAX_QUOTED] + "…"
        if isinstance(value, str) and not isinstance(value, Html) and len(value) > MAX_QUOTED
        else value
        for name, value in params.items()
    }


async def on_error(update: object, context: LinliContext) -> None:
    """Reply to a domain refusal in the user's language; log anything else with its update."""
    error = context.error
    if isinstance(update, Update):
        await _use_chat_language(update, context)
    if isinstance(error, LinliError) and isinstance(update, Update):
        await refuse(update, context, error)
        return
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s: %r", update_id, error, exc_info=error)
    if isinstance(update, Update) and not isinstance(error, Forbidden):
        await _safe_reply(
            update, context, context.t("Sorry, something went wrong. Please try again in a moment.")
        )


async def refuse(update: Update, context: LinliContext, error: LinliError) -> None:
    """Say what was wrong, in the person's language; nothing else happens."""
    await _safe_reply(update, context, context.t(error.message, **quoted(error.params)))


def stale_buttons() -> CallbackQueryHandler[LinliContext, None]:
    """Answers a press that no feature takes (an old or forged payload): else the person's
    app would wait for an answer that never comes."""
    return CallbackQueryHandler(_stale_button)


async def _stale_button(update: Update, context: LinliContext) -> None:
    raise InvalidInput(N_("This button is no longer valid."))


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
