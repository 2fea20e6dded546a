"""The baseline: a bare python-telegram-bot echo bot, polling the same Bot API server.

python -m bench.echo_bot API_URL TOKEN
"""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say the text back."""
    if update.effective_message and update.effective_message.text:
        await update.effective_message.reply_text(update.effective_message.text)


async def pressed(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a button."""
    if update.callback_query:
        await update.callback_query.answer("ok")


def main() -> None:
    """Run until SIGTERM."""
    api_url, token = sys.argv[1], sys.argv[2]
    application = Application.builder().token(token).base_url(api_url).build()
    application.add_handler(MessageHandler(filters.ALL, echo))
    application.add_handler(CallbackQueryHandler(pressed))
    application.run_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0.0, timeout=10)


if __name__ == "__main__":
    main()
