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


def _escape(value: Any) -> str:
    if isinstance(value, Html):
        return str(value)
    return html.escape(str(value), quote=False)


def _catalog_files(language: str) -> list[Any]:
    folder = resources.files("bot") / "locale" / language
    if not folder.is_dir():
        return []
    return sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".po")),
        key=lambda entry: entry.name,
    )


def load_catalog(language: str) -> Catalog:
    """Every .po file of a language merged into one catalog."""
    merged = Catalog(locale=language, domain="linli")
    for entry in _catalog_files(language):
        with entry.open("rb") as handle:
            part = read_po(handle, locale=language)
        for message in part:
            if message.id and message.string and not message.fuzzy:
                merged[message.id] = message
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
