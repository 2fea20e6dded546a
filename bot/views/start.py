"""/start and /help: the welcome and the list of commands."""

from __future__ import annotations

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


def welcome_back(t: Translator, name: str) -> OutMessage:
    """The answer to a greeting in private: how to ask, in one breath."""
    return OutMessage(
        t(
            "Hello, {name}! Tell me in a few words what you need, for example "
            "\"the kitchen tap leaks\", and I will pass it on to the volunteers.\n"
            "Send /help to see what else I can do.",
            name=name,
        )
    )


def forwarded(t: Translator) -> OutMessage:
    """The answer to a forwarded message in private: it is not taken as a request."""
    return OutMessage(
        t(
            "I do not take forwarded messages as requests. "
            "Please tell me in your own words what you need."
        )
    )


def unreadable(t: Translator) -> OutMessage:
    """The answer to a sticker or a contact card in private."""
    return OutMessage(
        t("I cannot read stickers or contact cards. Please tell me in a few words what you need.")
    )


def group_hint(t: Translator) -> OutMessage:
    """The answer to a reply to the bot in a group."""
    return OutMessage(
        t(
            "To ask the volunteers for help, write /request and what you need, for example: "
            "/request the kitchen tap leaks. Send /help to see what else I can do."
        )
    )
