"""Words that are not commands: plain words in private become an offer of a help request,
a greeting gets the welcome, and in a group a reply to the bot gets a short answer.

This is the one catch-all message handler, and it runs last among the features: the
prompt dispatcher (group 0) took the answers to questions, and the features before this
one took what they know (such as a "收到" reply to a notice).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import (
    BotCommandScopeChat,
    Chat,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.commands import MenuCommand, set_menu
from bot.context import LinliContext
from bot.errors import LinliError
from bot.features import Feature
from bot.i18n import N_
from bot.services.community import Role
from bot.text import is_greeting
from bot.views import help as help_view
from bot.views import menu as menu_view
from bot.views import start as views
from handlers import events, notices, points, requests, roster, stats
from handlers.access import actor_of
from handlers.common import reply, show
from handlers.notices import confirm_by_reply
from handlers.relay import relay_by_reply
from handlers.requests import media_message, offer_plain_words

log = logging.getLogger(__name__)
MENU = [MenuCommand("menu", N_("Show the button menu"), group=False)]
Command = Callable[[Update, LinliContext], Awaitable[None]]

# A message a person wrote (not an edit, not a channel post), in private or in a group.
WRITTEN = filters.UpdateType.MESSAGE & ~filters.COMMAND
PRIVATE_TEXT = WRITTEN & filters.ChatType.PRIVATE & filters.TEXT
PRIVATE_UNREADABLE = WRITTEN & filters.ChatType.PRIVATE & (filters.Sticker.ALL | filters.CONTACT)
PRIVATE_MEDIA = WRITTEN & filters.ChatType.PRIVATE & (
    filters.PHOTO | filters.VOICE | filters.VIDEO | filters.LOCATION
)
GROUP_REPLY = WRITTEN & filters.ChatType.GROUPS & filters.REPLY & filters.TEXT


async def private_words(update: Update, context: LinliContext) -> None:
    """Plain words in private: a greeting gets the welcome, anything else the offer."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.text:
        return
    pressed = menu_view.command_of(message.text)
    if await relay_by_reply(update, context):  # a reply to a card or to relayed words
        return
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
    """The person's menu: the buttons of their highest role, kept under the input field
    (and their private chat's command menu set to match)."""
    role = await personal_menu(update, context)
    return ReplyKeyboardMarkup(
        menu_view.rows(context.t, role), resize_keyboard=True, is_persistent=True
    )


async def personal_menu(update: Update, context: LinliContext) -> Role:
    """A volunteer's or an owner's private chat gets the command menu of their role (the
    shared private menu has only everyone's commands); returns the role."""
    chat = update.effective_chat
    role = await context.services.community.highest_role(actor_of(update))
    if chat is None or chat.type != Chat.PRIVATE or role <= Role.RESIDENT:
        return role
    chosen = help_view.allowed(context.services.menu, role, private=True)
    try:
        language = context.language or context.services.settings.community.language
        await set_menu(context.bot, BotCommandScopeChat(chat.id), chosen, language)
    except TelegramError as error:  # the menu is a convenience; the answer still goes out
        log.warning("could not set the command menu of chat %s: %s", chat.id, error)
    return role


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


async def unknown_command(update: Update, context: LinliContext) -> None:
    """A command no feature knows: say so, with the three most likely ones. In a group only
    when it is addressed to this bot (``/foo@linli_bot``): others may be for another bot."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None or not message.text:
        return
    command, _, addressee = message.text.split()[0][1:].partition("@")
    private = chat.type == Chat.PRIVATE
    if not private and addressee.lower() != (context.bot.username or "").lower():
        return
    role, _registered = await role_here(update, context)
    shown = help_view.unknown(context.t, command[:32], context.services.menu, role, private)
    await show(update, context, shown)


async def role_here(update: Update, context: LinliContext) -> tuple[Role, bool]:
    """The person's role here (in private: their highest anywhere), and whether the group is
    a building."""
    chat, community = update.effective_chat, context.services.community
    actor = actor_of(update)
    if chat is None or chat.type == Chat.PRIVATE:
        return await community.highest_role(actor), True
    try:
        building = await community.building_of_chat(chat.id)
    except LinliError:
        return (Role.ADMIN if community.is_admin(actor.user_id) else Role.STRANGER), False
    return await community.role_in(actor.user_id, building), True


def get_handlers() -> list[BaseHandler[Update, LinliContext, None]]:
    """Handlers of this feature (added after every other feature's)."""
    return [
        CommandHandler("menu", menu_command),
        MessageHandler(PRIVATE_TEXT, private_words),
        MessageHandler(PRIVATE_UNREADABLE, unreadable),
        MessageHandler(PRIVATE_MEDIA, media_message),
        MessageHandler(GROUP_REPLY, group_reply),
        MessageHandler(filters.UpdateType.MESSAGE & filters.COMMAND, unknown_command),
    ]


DESCRIPTION = Feature("chat", get_handlers, MENU)
