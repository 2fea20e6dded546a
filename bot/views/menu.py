"""The button menu of a private chat: large reply-keyboard buttons that depend on the
person's role, each doing what a command does."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import LANGUAGES
from bot.i18n import N_, Translator, translator
from bot.services.community import Role
from bot.views.common import OutMessage


@dataclass(frozen=True)
class MenuButton:
    """A reply-keyboard button: its label (a message id) and the command it runs."""

    label: str
    command: str
    role: Role  # who sees it: this role and those above


BUTTONS = (
    MenuButton(N_("🆘 Ask for help"), "request", Role.STRANGER),
    MenuButton(N_("📋 My requests"), "myrequests", Role.STRANGER),
    MenuButton(N_("📅 Events"), "events", Role.STRANGER),
    MenuButton(N_("📢 Notices"), "notices", Role.STRANGER),
    MenuButton(N_("🙋 Open requests"), "open", Role.VOLUNTEER),
    MenuButton(N_("🗓 On duty"), "duty", Role.VOLUNTEER),
    MenuButton(N_("⭐ Points"), "points", Role.VOLUNTEER),
    MenuButton(N_("✍️ Post a notice"), "notice", Role.OWNER),
    MenuButton(N_("📊 Statistics"), "stats", Role.OWNER),
)
HIDE = N_("Hide the menu")
PER_ROW = 2  # two to a row: large enough for old eyes and fingers


def rows(t: Translator, role: Role) -> list[list[str]]:
    """The labels of a person's menu, two to a row, with «Hide the menu» last."""
    labels = [t.plain(b.label) for b in BUTTONS if role >= b.role]
    grid = [labels[i : i + PER_ROW] for i in range(0, len(labels), PER_ROW)]
    return [*grid, [t.plain(HIDE)]]


def command_of(text: str) -> str | None:
    """The command a pressed menu button stands for (in any language), "hide", or None."""
    said = text.strip()
    for language in LANGUAGES:
        t = translator(language)
        if said == t.plain(HIDE):
            return "hide"
        for button in BUTTONS:
            if said == t.plain(button.label):
                return button.command
    return None


def shown(t: Translator) -> OutMessage:
    """The text that brings the menu."""
    return OutMessage(t("Here is the menu: press a button below. /menu brings it back."))


def hidden(t: Translator) -> OutMessage:
    """The text that hides the menu."""
    return OutMessage(t("The menu is hidden. Send /menu to bring it back."))
