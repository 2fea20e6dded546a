"""Translations through gettext catalogs (Babel).

English is the source language: message ids are the English texts, and the
Chinese catalog translates them. Each feature keeps its own catalog file,
``bot/locale/zh/<feature>.po``; they are merged and compiled in memory at start,
so a catalog edit needs no build step.
"""

from __future__ import annotations

import html
from functools import cache
from importlib import resources
from io import BytesIO
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from bot.config import LANGUAGES

SOURCE_LANGUAGE = "en"
# Each language by its own name, as a language button shows it to everyone.
LANGUAGE_NAMES = {"zh": "中文", "zh-Hant": "繁體中文", "en": "English"}
# Telegram's language_code of a person (an IETF tag) → the language they read.
_SIMPLIFIED = {"zh", "zh-hans", "zh-cn", "zh-sg", "zh-my"}
_TRADITIONAL = {"zh-hant", "zh-tw", "zh-hk", "zh-mo"}


def N_(message: str) -> str:
    """Mark a message for translation where it is defined, to be translated where it is shown."""
    return message


class Html(str):
    """Text that is already HTML and must not be escaped again."""

    __slots__ = ()


class Translator:
    """Translates and fills in messages for one language.

    Filled-in values are HTML-escaped unless they are ``Html``: every message the
    bot sends uses parse_mode HTML, and user text must never become markup.
    """

    def __init__(self, language: str, translations: NullTranslations) -> None:
        self.language = language
        self._translations = translations

    def __call__(self, message: str, **params: Any) -> str:
        """The message in this language, with ``{name}`` fields filled in and escaped."""
        text: str = self._translations.gettext(message)
        return (
            text.format(**{key: _escape(value) for key, value in params.items()})
            if params
            else text
        )

    def plain(self, message: str, **params: Any) -> str:
        """The message filled in without escaping, for text that is not HTML (alerts, menus)."""
        text: str = self._translations.gettext(message)
        return text.format(**params) if params else text

    def plural(self, singular: str, plural: str, count: int, **params: Any) -> str:
        """The singular or plural form for ``count`` (which fills ``{count}``), escaped."""
        text: str = self._translations.ngettext(singular, plural, count)
        return _fill(text, {"count": count, **params})

    def in_context(self, context: str, message: str, **params: Any) -> str:
        """The message as meant in ``context`` (its msgctxt), escaped.

        The same English can need different translations: "… and {count} more" counts
        people under an event but lines under a notice.
        """
        text = str(self._translations.pgettext(context, message))
        return _fill(text, params)


def _fill(text: str, params: dict[str, Any]) -> str:
    return text.format(**{key: _escape(value) for key, value in params.items()})


def _escape(value: Any) -> str:
    if isinstance(value, Html):
        return str(value)
    return html.escape(str(value), quote=False)


def language_of_person(language_code: str | None) -> str | None:
    """The language a person's Telegram app is set to, or None when we have no catalog for it.

    Telegram sends an IETF tag: "zh-hans" or "zh-cn" read Simplified Chinese, "zh-hant",
    "zh-tw" or "zh-hk" Traditional, "en-GB" English.
    """
    code = (language_code or "").strip().lower().replace("_", "-")
    if code in _SIMPLIFIED or code.startswith("zh-hans-"):
        return "zh"
    if code in _TRADITIONAL or code.startswith("zh-hant-"):
        return "zh-Hant"
    if code == "en" or code.startswith("en-"):
        return "en"
    return None


def babel_locale(language: str) -> str:
    """Babel's name of a language ("zh-Hant" → "zh_Hant")."""
    return language.replace("-", "_")


def _catalog_files(language: str) -> list[Any]:
    folder = resources.files("bot") / "locale" / language
    if not folder.is_dir():
        return []
    return sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".po")),
        key=lambda entry: entry.name,
    )


def catalog_parts(language: str) -> dict[str, Catalog]:
    """Each .po file of a language, by file name."""
    parts = {}
    for entry in _catalog_files(language):
        with entry.open("rb") as handle:
            parts[entry.name] = read_po(handle, locale=babel_locale(language))
    return parts


def load_catalog(language: str) -> Catalog:
    """Every .po file of a language merged into one catalog.

    The files must not disagree: a test fails when two of them translate one message
    (msgid and msgctxt) differently, since only one translation can win here.
    """
    merged = Catalog(locale=babel_locale(language), domain="linli")
    for part in catalog_parts(language).values():
        for message in part:
            if message.id and message.string and not message.fuzzy:
                merged.add(
                    message.id, message.string, locations=message.locations,
                    flags=message.flags, context=message.context,
                )
    return merged


@cache
def translator(language: str) -> Translator:
    """The translator for a language (cached); unknown languages get the source texts."""
    if language not in LANGUAGES or language == SOURCE_LANGUAGE:
        return Translator(
            language if language in LANGUAGES else SOURCE_LANGUAGE, NullTranslations()
        )
    buffer = BytesIO()
    write_mo(buffer, load_catalog(language))
    buffer.seek(0)
    return Translator(language, Translations(fp=buffer, domain="linli"))


def html_escape(text: str) -> str:
    """Escape user text for an HTML message."""
    return html.escape(text, quote=False)
