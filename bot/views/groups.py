"""What the bot says in building groups: the greeting, /setup, /lang and volunteers."""

from __future__ import annotations

from collections.abc import Sequence

from bot.callbacks import button_data
from bot.config import LANGUAGES
from bot.domain.core import Building, User
from bot.i18n import LANGUAGE_NAMES, Translator
from bot.views.common import Button, OutMessage, keyboard
from bot.views.requests import skill_words


def greeting(t: Translator) -> OutMessage:
    """Said when the bot is added to a group."""
    return OutMessage(
        t(
            "Hello, neighbours! I am Linli, the helper of this building's group.\n"
            "An admin of the group, please register it with /setup followed by the "
            "building's name, for example: /setup 3号楼"
        )
    )


def set_up(t: Translator, building: Building, created: bool, advice: str) -> OutMessage:
    """The answer to /setup, with what rights the bot still needs."""
    text = (
        t(
            "This group is now the building «{name}». Residents can ask for help here with "
            "/request.",
            name=building.name,
        )
        if created
        else t("The building is now called «{name}».", name=building.name)
    )
    return OutMessage(text + "\n\n" + advice)


def rights_advice(t: Translator, *, admin: bool, can_pin: bool) -> str:
    """Plain words on what rights the bot still needs in the group, and why."""
    if not admin:
        return t(
            "Please make me an admin of this group. I need it to pin notices, to "
            "learn who joins and leaves, and to count a 👍 on a notice as a confirmation "
            "(Telegram tells only admins)."
        )
    if not can_pin:
        return t("Please give me the right to pin messages, so that notices stay on top.")
    return t("I have the rights I need. Thank you!")


def language_choice(t: Translator) -> OutMessage:
    """Bare /lang: the language in use, with a button for each, named in that language."""
    text = t(
        "The language here is {language}. Press a button to change it, or write "
        "/lang zh or /lang en.",
        language=LANGUAGE_NAMES[t.language],
    )
    row = [Button(LANGUAGE_NAMES[code], button_data("lang", "set", code)) for code in LANGUAGES]
    return OutMessage(text, keyboard(row))


def language_set(t: Translator) -> OutMessage:
    """The answer to /lang, in the language just chosen."""
    return OutMessage(t("Language set: English."))


def volunteer_added(
    t: Translator, person: User, building: Building, skills: Sequence[str]
) -> OutMessage:
    """The answer to /volunteer (and a word to a volunteer who never pressed Start)."""
    text = t(
        "{name} is now a volunteer of {building}.", name=person.display_name, building=building.name
    )
    if skills:
        text += " " + t("Skills: {skills}.", skills=skill_words(t, skills))
    if not person.started:
        text += "\n" + t(
            "{name}, please open a private chat with me and press Start, so that I "
            "can send you requests.",
            name=person.display_name,
        )
    return OutMessage(text)


def volunteer_removed(t: Translator, person: User, building: Building) -> OutMessage:
    """The answer to /unvolunteer."""
    return OutMessage(
        t(
            "{name} is no longer a volunteer of {building}.",
            name=person.display_name,
            building=building.name,
        )
    )
