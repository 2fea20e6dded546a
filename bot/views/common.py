"""What every view uses: the message value, buttons, and the helpers that exist once."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.core import Building, User
from bot.i18n import N_, Html, Translator, html_escape

MAX_TEXT = 4096  # Telegram's limit for a message's text
MAX_CAPTION = 1024  # and for a photo's caption
RESERVE = 100  # room kept for the "… and N more" line

WEEKDAY_FORMATS = (
    N_("{date} (Mon) {time}"),
    N_("{date} (Tue) {time}"),
    N_("{date} (Wed) {time}"),
    N_("{date} (Thu) {time}"),
    N_("{date} (Fri) {time}"),
    N_("{date} (Sat) {time}"),
    N_("{date} (Sun) {time}"),
)


@dataclass(frozen=True)
class Button:
    """One inline button: a press (callback data, built with ``bot.callbacks.button_data``)
    or a link."""

    label: str
    data: str | None = None
    url: str | None = None

    def payload(self) -> dict[str, str]:
        """The Bot API InlineKeyboardButton."""
        if self.url is not None:
            return {"text": self.label, "url": self.url}
        return {"text": self.label, "callback_data": self.data or ""}


Rows = tuple[tuple[Button, ...], ...]


def keyboard(*rows: Iterable[Button]) -> Rows:
    """Button rows from lists (empty rows are dropped)."""
    return tuple(row for row in (tuple(r) for r in rows) if row)


@dataclass(frozen=True)
class OutMessage:
    """A message as the bot shows it: HTML text (or a photo's caption) and inline buttons.

    The same value goes to a reply (``handlers.common.show``), to the outbox
    (``Outbox.queue_message``) and to a live card's edits; only those places turn it into
    Bot API parameters, always with ``parse_mode`` HTML.
    """

    text: str
    buttons: Rows = ()
    photo: str | None = None  # a Telegram file_id: then ``text`` is the caption
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. disable_notification

    @property
    def method(self) -> str:
        """The Bot API method that sends it."""
        return "sendPhoto" if self.photo else "sendMessage"

    def reply_markup(self) -> dict[str, Any] | None:
        """The inline keyboard as Bot API JSON; None when there are no buttons."""
        if not self.buttons:
            return None
        return {"inline_keyboard": [[button.payload() for button in row] for row in self.buttons]}

    def send_params(self) -> dict[str, Any]:
        """The parameters of ``method`` (without the chat)."""
        params: dict[str, Any]
        if self.photo:
            params = {"photo": self.photo, "caption": self.text[:MAX_CAPTION], "parse_mode": "HTML"}
        else:
            params = {"text": self.text[:MAX_TEXT], "parse_mode": "HTML"}
        markup = self.reply_markup()
        if markup is not None:
            params["reply_markup"] = markup
        return {**params, **self.extra}

    def edit_params(self, message_id: int) -> dict[str, Any]:
        """The parameters of editMessageText (or editMessageCaption) for a sent copy.

        An edit without reply_markup removes the buttons, which is what a card without
        buttons should show.
        """
        key = "caption" if self.photo else "text"
        params: dict[str, Any] = {
            "message_id": message_id,
            key: self.text[: MAX_CAPTION if self.photo else MAX_TEXT],
            "parse_mode": "HTML",
        }
        markup = self.reply_markup()
        if markup is not None:
            params["reply_markup"] = markup
        return params

    @property
    def edit_method(self) -> str:
        """The Bot API method that edits a sent copy."""
        return "editMessageCaption" if self.photo else "editMessageText"

    def digest(self) -> str:
        """A short fingerprint of what the message shows (a card is edited only when it
        changes: Telegram refuses an edit to the same content)."""
        shown = json.dumps([self.text, self.reply_markup()], ensure_ascii=False, sort_keys=True)
        return hashlib.sha1(shown.encode()).hexdigest()[:16]


def fit(t: Translator, lines: Sequence[str], limit: int = MAX_TEXT) -> str:
    """Whole lines under Telegram's limit (cutting inside a line could break its HTML),
    saying how many were left out."""
    kept: list[str] = []
    size = 0
    for number, line in enumerate(lines):
        if size + len(line) > limit - RESERVE:
            kept.append(t.in_context("lines", "… and {count} more", count=len(lines) - number))
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)


def former_resident(t: Translator) -> str:
    """Who a person is after /forgetme, where a record still shows them."""
    return t("a former resident")


def with_flat(name: str, flat: str | None) -> str:
    """A person as volunteers and owners see them, with the flat they gave: "张伟 (3-502)"."""
    return f"{name} ({flat})" if flat else name


def mention(user: User) -> Html:
    """An HTML link that notifies the person, with their name escaped."""
    return Html(f'<a href="tg://user?id={user.id}">{html_escape(user.display_name)}</a>')


def local_time(t: Translator, moment: float, tz: ZoneInfo, *, weekday: bool = True) -> str:
    """A time as people read it in the community's time zone: 2026-12-05 (Sat) 09:00, or
    2026-12-05 09:00 without the weekday."""
    local = datetime.fromtimestamp(moment, tz)
    date, time = local.strftime("%Y-%m-%d"), local.strftime("%H:%M")
    if not weekday:
        return f"{date} {time}"
    return t.plain(WEEKDAY_FORMATS[local.weekday()], date=date, time=time)


def building_names(buildings: Sequence[Building], most: int = 20) -> str:
    """The names of some buildings, for a reply."""
    names = ", ".join(building.name for building in buildings[:most])
    return names + (" …" if len(buildings) > most else "")
