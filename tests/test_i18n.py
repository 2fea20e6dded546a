"""Every user-facing text has its Chinese translation, with the same placeholders and tags."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir

from bot.i18n import Html, load_catalog, translator

ROOT = Path(__file__).parent.parent
KEYWORDS = {"t": None, "plain": None, "N_": None}
PLACEHOLDER = re.compile(r"\{(\w+)\}")
TAG = re.compile(r"</?([a-z-]+)[^>]*>")


def source_messages() -> dict[str, str]:
    """msgid -> where it is used, for every marked string in bot/ and handlers/."""
    found: dict[str, str] = {}
    for package in ("bot", "handlers", "storage"):
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            if isinstance(message, str) and message:
                found.setdefault(message, f"{package}/{filename}:{lineno}")
    return found


def test_every_text_in_the_code_has_a_chinese_translation() -> None:
    catalog = load_catalog("zh")
    missing = [
        f"{where}: {msgid!r}"
        for msgid, where in source_messages().items()
        if catalog.get(msgid) is None or not catalog.get(msgid).string
    ]
    assert not missing, "untranslated:\n" + "\n".join(missing)


def test_the_catalog_holds_no_text_the_code_no_longer_uses() -> None:
    used = set(source_messages())
    stale = [message.id for message in load_catalog("zh") if message.id and message.id not in used]
    assert not stale, f"stale catalog entries: {stale}"


def test_translations_keep_placeholders_and_tags() -> None:
    for message in load_catalog("zh"):
        if not message.id:
            continue
        assert set(PLACEHOLDER.findall(message.id)) == set(PLACEHOLDER.findall(message.string)), (
            message.id
        )
        assert sorted(TAG.findall(message.id)) == sorted(TAG.findall(message.string)), message.id


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
