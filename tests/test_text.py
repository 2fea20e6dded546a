"""Free text that shows nothing (zero-width spaces, joiners, direction marks) is refused like
empty text wherever people type it, and is never stored as a blank card."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InvalidInput
from bot.services.events import parse_event_line, parse_place, parse_title
from bot.services.lockup import parse_facility
from bot.services.notices import checked_text
from bot.services.points import parse_award, parse_reward
from bot.services.requests import parse_request
from bot.text import is_blank, one_line, tidy

INVISIBLE = (
    "\u200b",  # zero-width space
    "\u200c\u200d",  # zero-width non-joiner, joiner
    "\u200e\u200f",  # left-to-right and right-to-left marks
    "\u2060\ufeff",  # word joiner, byte order mark
    " \u202e \u2066\u2069 ",  # direction overrides and isolates between spaces
    "\u3164\u2800",  # the Hangul filler and the blank Braille pattern
    "\u3000\u00a0\n",  # the ideographic space, a no-break space, a line break
)
NOW = 1_790_000_000.0  # in 2026
TZ = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("text", INVISIBLE)
def test_invisible_characters_alone_are_blank(text: str) -> None:
    assert is_blank(text)
    assert tidy(text) == "" and one_line(text) == ""


@pytest.mark.parametrize("text", ["水", "a", "👨\u200d👩\u200d👧", "\u200b水管\u200b", "·"])
def test_text_with_anything_visible_is_kept_as_typed(text: str) -> None:
    assert not is_blank(text)
    assert tidy(f"  {text} ") == text


PARSERS: dict[str, Callable[[str], Any]] = {
    "request": parse_request,
    "request after its category": lambda blank: parse_request(f"repair {blank}"),
    "notice": lambda blank: checked_text(blank, private=False, example="2026-12-01 09:00"),
    "event title": parse_title,
    "event place": parse_place,
    "event line": lambda blank: parse_event_line(f"2026-12-05 09:00 | {blank} | hall", NOW, TZ),
    "facility name": lambda blank: parse_facility(f"{blank} | mon 21:00 | windows, lights"),
    "facility checklist": lambda blank: parse_facility(f"Study room | mon 21:00 | {blank}"),
    "reward name": lambda blank: parse_reward(f"{blank} | Tea shop | 10 | 5"),
    "reward shop": lambda blank: parse_reward(f"Milk tea | {blank} | 10 | 5"),
    "award reason": lambda blank: parse_award(f"@li 10 {blank}"),
}


@pytest.mark.parametrize("blank", INVISIBLE[:5])
@pytest.mark.parametrize("kind", list(PARSERS))
def test_invisible_text_is_refused_like_empty_text(kind: str, blank: str) -> None:
    with pytest.raises(InvalidInput):
        PARSERS[kind](blank)
