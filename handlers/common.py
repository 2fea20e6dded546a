"""Small helpers every handler uses: replying, turning Telegram objects into plain values."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ParseMode

from bot.context import LinliContext
from bot.domain.core import User as DomainUser
from bot.errors import InvalidInput
from bot.services.people import Person, Place
from bot.views.common import OutMessage

MAX_TEXT = 4096  # Telegram's limit for one message


def person_of(user: User | None) -> Person | None:
    """The plain value of a Telegram user."""
    if user is None:
        return None
    return Person(user.id, user.first_name, user.last_name, user.username, user.language_code)


def chat_place(chat: Chat | None) -> Place | None:
    """The plain value of a Telegram chat."""
    if chat is None:
        return None
    return Place(chat.id, chat.type, chat.title)


async def reply(
    update: Update, context: LinliContext, text: str, *, alert: bool = False, **kwargs: Any
) -> Message | None:
    """Answer the update where it came from: a message gets a reply, a button a toast (an
    alert the person closes, when long or ``alert``: only the presser sees either)."""
    if update.callback_query is not None:
        plain = _strip_tags(text)
        await update.callback_query.answer(plain[:200], show_alert=alert or len(plain) > 60)
        return None
    message = update.effective_message
    if message is None:
        return None
    return await message.reply_text(
        text[:MAX_TEXT],
        parse_mode=ParseMode.HTML,
        do_quote=message.chat.type != Chat.PRIVATE,
        **kwargs,
    )


async def show(update: Update, context: LinliContext, message: OutMessage) -> Message | None:
    """Answer the update with a view's message (a button press gets its text as an alert)."""
    return await reply(update, context, message.text, reply_markup=inline_markup(message))


async def answer_in_private(update: Update, context: LinliContext, shown: OutMessage) -> None:
    """Answer a press with a new message in the presser's private chat."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    await query.answer()
    await context.bot.send_message(
        user.id, shown.text, parse_mode=ParseMode.HTML, reply_markup=inline_markup(shown)
    )


def inline_markup(message: OutMessage) -> InlineKeyboardMarkup | None:
    """A view's buttons as PTB's keyboard."""
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.label, url=b.url)
                if b.url
                else InlineKeyboardButton(b.label, callback_data=b.data)
                for b in row
            ]
            for row in message.buttons
        ]
    )


def command_text(update: Update) -> str:
    """The text after the command, as typed (``context.args`` would lose line breaks)."""
    message = update.effective_message
    if message is None or not message.text or not message.text.startswith("/"):
        return ""  # a menu button's label runs the command without arguments
    parts = message.text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def message_key(update: Update) -> str | None:
    """"<chat>:<message>" of the command: the key that makes a replayed update create
    nothing new (the same update is handled again after a crash)."""
    message = update.effective_message
    return None if message is None else f"{message.chat_id}:{message.message_id}"


def _strip_tags(text: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", text))


async def named_person(
    update: Update, context: LinliContext, word: str | None, usage: str
) -> DomainUser:
    """The person a command names: by @username, else the author of the message it replies
    to; else a refusal with ``usage``."""
    community = context.services.community
    if word and word.startswith("@"):
        return await community.find_person(word)
    message = update.effective_message
    replied = message.reply_to_message if message else None
    if replied is not None and replied.forum_topic_created is not None:
        replied = None  # in a topic Telegram shows its opening as the message answered
    if replied is not None and replied.from_user and not replied.from_user.is_bot:
        known = await community.users.get(replied.from_user.id)
        if known is not None:
            return known
    raise InvalidInput(usage)
