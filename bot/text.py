"""Free text that people type: what counts as saying nothing.

A text of zero-width spaces, joiners or direction marks is not empty to ``str.strip`` and
would be stored and shown as a blank card. Every place that takes free text (requests,
notices, notes, titles, names, reasons) decides emptiness here.
"""

from __future__ import annotations

import unicodedata

# Letters and symbols that draw nothing, though Unicode does not call them format characters.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def is_invisible(char: str) -> bool:
    """Whether the character draws nothing: whitespace, a control or format character."""
    return (
        char.isspace()
        or char in BLANK_LETTERS
        or unicodedata.category(char) in ("Cf", "Cc", "Zl", "Zp")
    )


def is_blank(text: str) -> bool:
    """Whether the text shows nothing at all."""
    return all(is_invisible(char) for char in text)


def tidy(text: str) -> str:
    """The text without surrounding whitespace, or "" when it shows nothing."""
    return "" if is_blank(text) else text.strip()


def telegram_length(text: str) -> int:
    """The length Telegram counts against its limits: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def one_line(text: str) -> str:
    """The text on one line with single spaces, or "" when it shows nothing."""
    return "" if is_blank(text) else " ".join(text.split())


GREETINGS = frozenset(
    {
        "你好", "您好", "你们好", "大家好", "嗨", "哈喽", "在吗", "在么", "在不在", "早",
        "早上好", "下午好", "晚上好", "hi", "hello", "hey", "good morning", "good evening",
    }
)  # fmt: skip
_TRAILING = " \t\n!！?？.。,，~～呀啊哦"


def is_greeting(text: str) -> bool:
    """Whether the text only says hello ("你好!", "Hi", "在吗？")."""
    return one_line(text).lower().strip(_TRAILING) in GREETINGS
