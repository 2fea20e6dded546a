"""Words that are not commands: plain words in private become an offer of a help request,
a greeting gets the welcome, and in a group a reply to the bot gets a short answer.

This is the one catch-all message handler, and it runs last among the features: the
prompt dispatcher (group 0) took the answers to questions, and the features before this
one took what they know (such as a "收到" reply to a notice).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Chat, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.commands import MenuCommand
from bot.context import LinliContext
from bot.features import Feature
from bot.i18n import N_
from bot.services.community import Role
from bot.text import is_greeting
from bot.views import menu as menu_view
from bot.views import start as views
from handlers import events, notices, points, requests, roster, stats
from handlers.access import actor_of
from handlers.common import reply, show
from handlers.notices import confirm_by_reply
from handlers.requests import offer_plain_words

MENU = [MenuCommand("menu", N_("Show the button menu"), group=False)]
Command = Callable[[Update, LinliContext], Awaitable[None]]

# A message a person wrote (not an edit, not a channel post), in private or in a group.
WRITTEN = filters.UpdateType.MESSAGE & ~filters.COMMAND
PRIVATE_TEXT = WRITTEN & filters.ChatType.PRIVATE & filters.TEXT
PRIVATE_UNREADABLE = WRITTEN & filters.ChatType.PRIVATE & (filters.Sticker.ALL | filters.CONTACT)
GROUP_REPLY = WRITTEN & filters.ChatType.GROUPS & filters.REPLY & filters.TEXT


async def private_words(update: Update, context: LinliContext) -> None:
    """Plain words in private: a greeting gets the welcome, anything else the offer."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.text:
        return
    pressed = menu_view.command_of(message.text)
    if message.forward_origin is not None:
        await show(update, context, views.forwarded(context.t))
    elif pressed == "hide":
        await reply(update, context, menu_view.hidden(context.t).text,
                    reply_markup=ReplyKeyboardRemove())
    elif pressed is not None:
        await (await _menu_command(update, context, pressed))(update, context)
    elif is_greeting(message.text):
        shown = views.welcome_back(context.t, user.first_name)
        await reply(update, context, shown.text, reply_markup=await menu_keyboard(update, context))
    else:
        await offer_plain_words(update, context)


async def menu_command(update: Update, context: LinliContext) -> None:
    """/menu: bring the button menu back (in private; a group has no menu)."""
    chat = update.effective_chat
    if chat is None or chat.type != Chat.PRIVATE:
        await show(update, context, views.group_hint(context.t))
        return
    shown = menu_view.shown(context.t)
    await reply(update, context, shown.text, reply_markup=await menu_keyboard(update, context))


async def menu_keyboard(update: Update, context: LinliContext) -> ReplyKeyboardMarkup:
    """The person's menu: the buttons of their highest role, kept under the input field."""
    role = await context.services.community.highest_role(actor_of(update))
    return ReplyKeyboardMarkup(
        menu_view.rows(context.t, role), resize_keyboard=True, is_persistent=True
    )


async def _menu_command(update: Update, context: LinliContext, command: str) -> Command:
    """The handler of a menu button's command (residents' «Notices» are the latest ones)."""
    if command == "notices":
        role = await context.services.community.highest_role(actor_of(update))
        return notices.notices if role >= Role.OWNER else notices.latest
    return COMMANDS[command]


COMMANDS: dict[str, Command] = {
    "request": requests.request_command,
    "myrequests": requests.my_requests,
    "events": events.events_command,
    "open": requests.open_requests,
    "duty": roster.duty,
    "points": points.points,
    "notice": notices.notice,
    "stats": stats.stats,
}


async def unreadable(update: Update, context: LinliContext) -> None:
    """A sticker or a contact card in private: say what the bot can read."""
    await show(update, context, views.unreadable(context.t))


async def group_reply(update: Update, context: LinliContext) -> None:
    """A reply to one of the bot's messages in a group: "收到" confirms a notice; anything
    else is pointed to /request and /help."""
    message = update.effective_message
    if message is None or not _replies_to_bot(message, context.bot.id):
        return
    if await confirm_by_reply(update, context):  # "收到" to a notice
        return
    await show(update, context, views.group_hint(context.t))


def _replies_to_bot(message: Message, bot_id: int) -> bool:
    replied = message.reply_to_message
    return replied is not None and replied.from_user is not None and replied.from_user.id == bot_id


def get_handlers() -> list[BaseHandler[Update, LinliContext, None]]:
    """Handlers of this feature (added after every other feature's)."""
    return [
        CommandHandler("menu", menu_command),
        MessageHandler(PRIVATE_TEXT, private_words),
        MessageHandler(PRIVATE_UNREADABLE, unreadable),
        MessageHandler(GROUP_REPLY, group_reply),
    ]


DESCRIPTION = Feature("chat", get_handlers, MENU)
