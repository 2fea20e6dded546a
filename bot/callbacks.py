"""Button payloads: ``"<feature>:<action>:<id>[:<more>]"``, built and parsed in one place.

Never trust a payload: it is only a hint of what the user pressed. Handlers check
again, on the server, who is pressing and whether they may.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from bot.errors import InvalidInput
from bot.i18n import N_

MAX_BYTES = 64  # Telegram's limit for callback_data
MAX_INT = 2**63 - 1  # SQLite's largest integer
T = TypeVar("T")
_PART = re.compile(r"^[A-Za-z0-9_\-.]{1,40}$")


@dataclass(frozen=True)
class ButtonData:
    """A parsed button payload."""

    feature: str
    action: str
    args: tuple[str, ...]

    def int_arg(self, index: int = 0) -> int:
        """An argument as a number; a forged payload is refused (one out of SQLite's 64-bit
        range too: it would fail in the query instead)."""
        try:
            value = int(self.args[index])
        except (IndexError, ValueError):
            raise InvalidInput(N_("This button is no longer valid.")) from None
        if not -MAX_INT <= value <= MAX_INT:
            raise InvalidInput(N_("This button is no longer valid."))
        return value


def button_data(feature: str, action: str, *args: object) -> str:
    """Build a payload; refuses parts that would not survive the round trip."""
    parts = [feature, action, *(str(arg) for arg in args)]
    if not all(_PART.match(part) for part in parts):
        raise ValueError(f"bad button payload parts: {parts!r}")
    data = ":".join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"button payload over {MAX_BYTES} bytes: {data!r}")
    return data


def parse_button(data: str | None, feature: str) -> ButtonData:
    """Parse a payload of ``feature``; anything else is refused as a stale or forged button."""
    parts = (data or "").split(":")
    if len(parts) < 2 or parts[0] != feature or not all(_PART.match(p) for p in parts):
        raise InvalidInput(N_("This button is no longer valid."))
    return ButtonData(parts[0], parts[1], tuple(parts[2:]))


def action_for(table: Mapping[str, T], pressed: ButtonData) -> T:
    """What a pressed button's action runs; an action not in ``table`` is refused as a stale
    or forged button."""
    action = table.get(pressed.action)
    if action is None:
        raise InvalidInput(N_("This button is no longer valid."))
    return action


def pattern(feature: str) -> str:
    """The anchored CallbackQueryHandler pattern for a feature's buttons."""
    return rf"^{re.escape(feature)}:"
