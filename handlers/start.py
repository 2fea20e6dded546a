"""/start and /help."""

from __future__ import annotations

from telegram import Chat, Update
from telegram.ext import BaseHandler, CommandHandler

from bot.commands import MenuCommand
from bot.context import LinliContext
from bot.features import Feature
from bot.i18n import N_
from bot.views import help as help_view
from bot.views import start as views
from handlers.chat import menu_keyboard, personal_menu, role_here
from handlers.common import reply, show

MENU = [
    MenuCommand("start", N_("Start using Linli"), group=False),
    MenuCommand("help", N_("What I can do for you")),
]


async def start(update: Update, context: LinliContext) -> None:
    """Welcome a user; in private, note that the bot may now write to them."""
    chat, user = update.effective_chat, update.effective_user
    if chat is not None and chat.type == Chat.PRIVATE and user is not None:
        await context.services.people.started(user.id)
        shown = views.welcome(context.t, user.first_name)
        await reply(update, context, shown.text, reply_markup=await menu_keyboard(update, context))
        return
    await show(update, context, views.welcome_group(context.t))


async def help_command(update: Update, context: LinliContext) -> None:
    """The commands this person may use here, grouped, with an example each."""
    chat = update.effective_chat
    if chat is None:
        return
    private = chat.type == Chat.PRIVATE
    role, registered = await role_here(update, context)
    menu = context.services.menu
    await show(update, context, help_view.help_text(
        context.t, menu, role, private, registered=registered
    ))
    if private:
        await personal_menu(update, context)


def get_handlers() -> list[BaseHandler[Update, LinliContext, None]]:
    """Handlers of this feature."""
    return [CommandHandler("start", start), CommandHandler("help", help_command)]


DESCRIPTION = Feature("start", get_handlers, MENU)
