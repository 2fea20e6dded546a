"""The command menus Telegram shows, one for private chats and one for groups."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Bot, BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats

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


async def register_menus(bot: Bot, menu: list[MenuCommand], default_language: str) -> None:
    """setMyCommands for private chats and for groups, in each language.

    The menu without a language code is in the community's language; clients set to
    another language we have get theirs.
    """
    for scope, wanted in (
        (BotCommandScopeAllPrivateChats(), "private"),
        (BotCommandScopeAllGroupChats(), "group"),
    ):
        chosen = [item for item in menu if getattr(item, wanted)]
        for language in (None, *MENU_LANGUAGES):
            t = translator(_menu_language(language, default_language))
            commands = [
                BotCommand(item.command, t.plain(item.description)[:256]) for item in chosen
            ]
            await bot.set_my_commands(commands, scope=scope, language_code=language)


def _menu_language(code: str | None, default_language: str) -> str:
    """The language of the menu for a client language code (None: every other client).

    A community that reads Traditional Chinese gets it in the "zh" menu too.
    """
    if code is None or (code == "zh" and default_language.startswith("zh")):
        return default_language
    return code
