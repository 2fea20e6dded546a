"""/start and /help: the welcome and the list of commands."""

from __future__ import annotations

from collections.abc import Sequence

from bot.commands import MenuCommand
from bot.i18n import Translator
from bot.views.common import OutMessage


def welcome(t: Translator, name: str) -> OutMessage:
    """The answer to /start in private: the bot may now write to them."""
    return OutMessage(
        t(
            "Hello, {name}! I am Linli, the helper of your building's group.\n"
            "I will send you messages here, so please keep this chat.\n\n"
            "Send /help to see what I can do.",
            name=name,
        )
    )


def welcome_group(t: Translator) -> OutMessage:
    """The answer to /start in a group."""
    return OutMessage(
        t(
            "Hello, neighbours! I am Linli. Send /help to see what I can do.\n"
            "To get my messages in private, open a chat with me and press Start."
        )
    )


def help_text(t: Translator, menu: Sequence[MenuCommand], private: bool) -> OutMessage:
    """The commands that work in this kind of chat."""
    lines = [t("<b>Linli commands</b>")]
    lines += [
        f"/{item.command} — {t(item.description)}"
        for item in menu
        if (item.private if private else item.group)
    ]
    return OutMessage("\n".join(lines))
