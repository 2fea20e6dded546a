"""/start and /help."""

from __future__ import annotations

from telegram import Chat, Update
from telegram.ext import BaseHandler, CommandHandler

from bot.commands import MenuCommand
from bot.context import LinliContext
from bot.features import Feature
from bot.i18n import N_
from handlers.common import reply

MENU = [
    MenuCommand("start", N_("Start using Linli"), group=False),
    MenuCommand("help", N_("What I can do for you")),
]


async def start(update: Update, context: LinliContext) -> None:
    """Welcome a user; in private, note that the bot may now write to them."""
    t = context.t
    chat = update.effective_chat
    if chat is not None and chat.type == Chat.PRIVATE and update.effective_user:
        await context.services.people.started(update.effective_user.id)
        name = update.effective_user.first_name
        await reply(
            update,
            context,
            t(
                "Hello, {name}! I am Linli, the helper of your building's group.\n"
                "I will send you messages here, so please keep this chat.\n\n"
                "Send /help to see what I can do.",
                name=name,
            ),
        )
        return
    await reply(
        update,
        context,
        t(
            "Hello, neighbours! I am Linli. Send /help to see what I can do.\n"
            "To get my messages in private, open a chat with me and press Start."
        ),
    )


async def help_command(update: Update, context: LinliContext) -> None:
    """List the commands that work in this kind of chat."""
    t = context.t
    chat = update.effective_chat
    private = chat is not None and chat.type == Chat.PRIVATE
    menu = context.services.menu
    lines = [t("<b>Linli commands</b>")]
    lines += [
        f"/{item.command} — {t(item.description)}"
        for item in menu
        if (item.private if private else item.group)
    ]
    await reply(update, context, "\n".join(lines))


def get_handlers() -> list[BaseHandler[Update, LinliContext, None]]:
    """Handlers of this feature."""
    return [CommandHandler("start", start), CommandHandler("help", help_command)]


DESCRIPTION = Feature("start", get_handlers, MENU)
