"""Every user-facing text has its Chinese translations (Simplified and Traditional), with the
same placeholders and tags."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Message
from babel.messages.extract import extract_from_dir

from bot.config import LANGUAGES
from bot.i18n import (
    SOURCE_LANGUAGE,
    Html,
    catalog_parts,
    language_of_person,
    load_catalog,
    translator,
)

ROOT = Path(__file__).parent.parent
KEYWORDS = {"t": None, "plain": None, "N_": None, "plural": (1, 2), "in_context": ((1, "c"), 2)}
PLACEHOLDER = re.compile(r"\{(\w+)\}")
TAG = re.compile(r"</?([a-z-]+)[^>]*>")
Key = tuple[str, str | None]  # (msgid, msgctxt); a plural message by its singular
TRANSLATED = [language for language in LANGUAGES if language != SOURCE_LANGUAGE]
CHINESE = [language for language in TRANSLATED if language.startswith("zh")]
# Characters of the Simplified catalogue that Traditional Chinese writes otherwise (与/與, 这/這…).
SIMPLIFIED_ONLY = set(
    "与两个为举么义习于仅从们价优会余兑关内写冻几击划则刚删别办务动励区医单卖卫厨参发变号后吗员"
    "图场处备复够头奖审对寻将属带帮并库废开张当录态总愿户扩护报择换据数无时显暂权条来标栋样检楼"
    "毕汇没满灯点状现盘码确离种积称签简类纠约纷线细经结给绝统继续维编缩联节获补见计认让记设评识"
    "诉诊词试话该详语误说请谁谅谢负责费车转辑达过运还这进迟适选邻钟钥钮锁错长门问闲间隐顶项须领"
    "题额龙"
)
# Where Hong Kong and Taiwan use a word of their own, not the mainland's in other characters.
MAINLAND_WORDS = {  # the word to avoid: the one to write
    "消息": "訊息", "信息": "資訊", "回復": "回覆", "醫保卡": "身份證", "門衛": "管理處",
    "釋出": "發佈", "社群": "社區", "許可權": "權限", "數據庫": "資料庫", "網絡": "網上",
}


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


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_text_in_the_code_has_a_chinese_translation(language: str) -> None:
    catalog = load_catalog(language)
    missing = [
        f"{where}: {msgid!r}"
        for (msgid, context), where in source_messages().items()
        if catalog.get(msgid, context=context) is None
        or not all(forms(catalog.get(msgid, context=context).string))
    ]
    assert not missing, "untranslated:\n" + "\n".join(missing)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalog_holds_no_text_the_code_no_longer_uses(language: str) -> None:
    used = set(source_messages())
    catalog = load_catalog(language)
    stale = [message.id for message in catalog if message.id and key(message) not in used]
    assert not stale, f"stale catalog entries: {stale}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_placeholders_and_tags(language: str) -> None:
    for message in load_catalog(language):
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


@pytest.mark.parametrize("language", CHINESE)
def test_chinese_texts_use_full_width_parentheses(language: str) -> None:
    ascii_parentheses = [
        message.string
        for message in load_catalog(language)
        if message.id and any(char in "()" for form in forms(message.string) for char in form)
    ]
    assert not ascii_parentheses, ascii_parentheses


def test_plural_forms_and_contexts_are_translated() -> None:
    en, zh = translator("en"), translator("zh")
    assert en.plural("{count} rating", "{count} ratings", 1) == "1 rating"
    assert zh.in_context("people", "… and {count} more", count=3) == "… 还有 3 人"
    assert zh.in_context("lines", "… and {count} more", count=3) == "… 还有 3 条"
    assert en.in_context("people", "… and {count} more", count="<3>") == "… and &lt;3&gt; more"


def test_traditional_chinese_has_no_simplified_characters_and_uses_its_own_words() -> None:
    simplified, mainland, curly = [], [], []
    for message in load_catalog("zh-Hant"):
        if not message.id:
            continue
        for form in forms(message.string):
            if set(form) & SIMPLIFIED_ONLY:
                simplified.append(form)
            mainland += [(bad, good, form) for bad, good in MAINLAND_WORDS.items() if bad in form]
            if any(mark in form for mark in "“”‘’"):
                curly.append(form)  # Traditional Chinese quotes with 「」
    assert not simplified, simplified
    assert not mainland, mainland
    assert not curly, curly


def test_traditional_chinese_is_its_own_catalogue_with_its_weekdays() -> None:
    hant, hans = translator("zh-Hant"), translator("zh")
    assert hant.language == "zh-Hant"
    assert hant("What I can do for you") == "我能為您做什麼"
    assert hant("Mon") == "週一" and hans("Mon") == "周一"
    assert hant.in_context("people", "… and {count} more", count=3) == "… 還有 3 人"
    assert "訊息" in hant(
        "Hello, {name}! I am Linli, the helper of your building's group.\n"
        "I will send you messages here, so please keep this chat.\n\n"
        "Send /help to see what I can do.",
        name="張",
    )


@pytest.mark.parametrize(
    ("code", "language"),
    [("zh-hans", "zh"), ("zh-CN", "zh"), ("zh", "zh"), ("zh-hant", "zh-Hant"),
     ("zh-TW", "zh-Hant"), ("zh-hk", "zh-Hant"), ("en", "en"), ("en-GB", "en"),
     ("fr", None), ("", None), (None, None)],
)
def test_a_persons_telegram_language_picks_the_catalogue(
    code: str | None, language: str | None
) -> None:
    assert language_of_person(code) == language
