"""Every user-facing text has its Chinese translation, with the same placeholders and tags."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Message
from babel.messages.extract import extract_from_dir

from bot.config import LANGUAGES
from bot.i18n import SOURCE_LANGUAGE, Html, catalog_parts, load_catalog, translator

ROOT = Path(__file__).parent.parent
KEYWORDS = {"t": None, "plain": None, "N_": None, "plural": (1, 2), "in_context": ((1, "c"), 2)}
PLACEHOLDER = re.compile(r"\{(\w+)\}")
TAG = re.compile(r"</?([a-z-]+)[^>]*>")
Key = tuple[str, str | None]  # (msgid, msgctxt); a plural message by its singular


def source_messages() -> dict[Key, str]:
    """(msgid, msgctxt) -> where it is used, for every marked string in bot/ and handlers/."""
    found: dict[Key, str] = {}
    for package in ("bot", "handlers", "storage"):
        for filename, lineno, message, _comments, context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            msgid = message if isinstance(message, str) else message[0]
            if msgid:
                found.setdefault((msgid, context), f"{package}/{filename}:{lineno}")
    return found


def key(message: Message) -> Key:
    return (message.id if isinstance(message.id, str) else message.id[0], message.context)


def forms(value: str | tuple[str, ...] | list[str]) -> list[str]:
    """A message's text, or each of its plural forms."""
    return [value] if isinstance(value, str) else list(value)


def test_every_text_in_the_code_has_a_chinese_translation() -> None:
    catalog = load_catalog("zh")
    missing = [
        f"{where}: {msgid!r}"
        for (msgid, context), where in source_messages().items()
        if catalog.get(msgid, context=context) is None
        or not all(forms(catalog.get(msgid, context=context).string))
    ]
    assert not missing, "untranslated:\n" + "\n".join(missing)


def test_the_catalog_holds_no_text_the_code_no_longer_uses() -> None:
    used = set(source_messages())
    catalog = load_catalog("zh")
    stale = [message.id for message in catalog if message.id and key(message) not in used]
    assert not stale, f"stale catalog entries: {stale}"


def test_translations_keep_placeholders_and_tags() -> None:
    for message in load_catalog("zh"):
        if not message.id:
            continue
        source = forms(message.id)[-1]  # the plural form names every placeholder
        for string in forms(message.string):
            assert set(PLACEHOLDER.findall(source)) == set(PLACEHOLDER.findall(string)), (
                message.id
            )
            assert sorted(TAG.findall(source)) == sorted(TAG.findall(string)), message.id


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE])
def test_no_two_catalog_files_translate_one_message_differently(language: str) -> None:
    translations: dict[Key, dict[str, Any]] = defaultdict(dict)
    for name, part in catalog_parts(language).items():
        for message in part:
            if message.id:
                translations[key(message)][name] = message.string
    conflicts = {
        where: by_file
        for where, by_file in translations.items()
        if len({str(string) for string in by_file.values()}) > 1
    }
    assert not conflicts, f"one message, different translations (give each a msgctxt): {conflicts}"


def test_filled_in_values_are_escaped_unless_marked_html() -> None:
    t = translator("zh")
    text = t(
        "Hello, {name}! I am Linli, the helper of your building's group.\n"
        "I will send you messages here, so please keep this chat.\n\n"
        "Send /help to see what I can do.",
        name="<b>Zhang</b> & co",
    )
    assert text.startswith("&lt;b&gt;Zhang&lt;/b&gt; &amp; co，您好")
    assert translator("en")("{x}", x=Html("<b>ok</b>")) == "<b>ok</b>"


def test_english_is_the_source_and_unknown_languages_fall_back_to_it() -> None:
    assert translator("en")("What I can do for you") == "What I can do for you"
    assert translator("zh")("What I can do for you") == "我能为您做什么"
    assert translator("fr")("What I can do for you") == "What I can do for you"


def test_chinese_texts_use_full_width_parentheses() -> None:
    ascii_parentheses = [
        message.string
        for message in load_catalog("zh")
        if message.id and any(char in "()" for form in forms(message.string) for char in form)
    ]
    assert not ascii_parentheses, ascii_parentheses


def test_plural_forms_and_contexts_are_translated() -> None:
    en, zh = translator("en"), translator("zh")
    assert en.plural("{count} rating", "{count} ratings", 1) == "1 rating"
    assert zh.in_context("people", "… and {count} more", count=3) == "… 还有 3 人"
    assert zh.in_context("lines", "… and {count} more", count=3) == "… 还有 3 条"
    assert en.in_context("people", "… and {count} more", count="<3>") == "… and &lt;3&gt; more"
