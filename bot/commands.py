"""The command menus Telegram shows: for private chats, for groups, for groups' admins, and
a person's own private chat."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
)

from bot.config import LANGUAGES
from bot.i18n import translator

# setMyCommands takes two-letter codes only: Traditional Chinese readers get the "zh" menu.
MENU_LANGUAGES = tuple(language for language in LANGUAGES if "-" not in language)


@dataclass(frozen=True)
class MenuCommand:
    """A command as it appears in a menu; ``description`` is a message id (``N_``)."""

    command: str
    description: str
    private: bool = True
    group: bool = True


@dataclass(frozen=True)
class SharedMenus:
    """The menus every chat of one kind shows: private chats, groups, and groups' admins."""

    private: Sequence[MenuCommand]
    group: Sequence[MenuCommand]
    admins: Sequence[MenuCommand]


async def register_menus(bot: Bot, menus: SharedMenus, default_language: str) -> None:
    """setMyCommands for private chats, for groups and for the groups' admins, in each language.

    ``bot.views.help.shared_menus`` chooses them by the rule of /help (a volunteer's or an
    owner's own private chat gets theirs with ``set_menu`` when they open it). Telegram
    shows a group's admins their scope instead of the groups' one. The menu without a
    language code is in the community's language; clients set to another language we have
    get theirs.
    """
    for scope, chosen in (
        (BotCommandScopeAllPrivateChats(), menus.private),
        (BotCommandScopeAllGroupChats(), menus.group),
        (BotCommandScopeAllChatAdministrators(), menus.admins),
    ):
        for language in (None, *MENU_LANGUAGES):
            menu_language = _menu_language(language, default_language)
            await set_menu(bot, scope, chosen, menu_language, language)


def _menu_language(code: str | None, default_language: str) -> str:
    """The language of the menu for a client language code (None: every other client).

    A community that reads Traditional Chinese gets it in the "zh" menu too.
    """
    if code is None or (code == "zh" and default_language.startswith("zh")):
        return default_language
    return code


async def set_menu(
    bot: Bot,
    scope: BotCommandScope,
    chosen: Sequence[MenuCommand],
    language: str,
    language_code: str | None = None,
) -> None:
    """One command menu, in ``language``, for a scope (and a client language, if given)."""
    t = translator(language)
    commands = [BotCommand(item.command, t.plain(item.description)[:256]) for item in chosen]
    await bot.set_my_commands(commands, scope=scope, language_code=language_code)
