"""Texts, buttons and the file of a resident's own data (/mydata, /forgetme)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.callbacks import button_data
from bot.domain.core import Building, Mute, User
from bot.i18n import Translator
from bot.services.care import Forgotten, PersonalRecord
from bot.views.common import Button, OutMessage, keyboard, mention

FEATURE = "care"
BUTTONS = ("forget", "keep", "unmute")


def _readable(value: Any, column: str, tz: ZoneInfo) -> Any:
    """A stored moment (a ``…_at`` or ``at`` column) as a local date and time."""
    if isinstance(value, (int, float)) and (column == "at" or column.endswith("_at")):
        return datetime.fromtimestamp(value, tz).isoformat(timespec="seconds")
    return value


def record_file(record: PersonalRecord, tz: ZoneInfo) -> bytes:
    """/mydata's file: JSON in UTF-8, indented, moments in the community's time zone."""
    sections = {
        name: [{column: _readable(value, column, tz) for column, value in row.items()}
               for row in rows]
        for name, rows in record.sections.items()
    }
    document = {
        "about": "Everything Linli keeps about you",
        "telegram_id": record.user.id,
        "made_at": _readable(record.made_at, "made_at", tz),
        **sections,
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


def record_caption(t: Translator, record: PersonalRecord) -> str:
    """The caption of /mydata's file."""
    rows = sum(len(rows) for rows in record.sections.values())
    return t(
        "📄 Everything I keep about you: {sections} parts, {rows} records. To have it removed, "
        "write /forgetme.",
        sections=len(record.sections), rows=rows,
    )


def forget_question(t: Translator, user_id: int) -> OutMessage:
    """/forgetme: what will happen, and Confirm / Cancel."""
    text = t(
        "Shall I forget you? I will erase your name and username, take you off event lists, "
        "the roster and your buildings, cancel your open requests, and delete your "
        "confirmations, photos and drafts. Records that others need (done requests, points "
        "and hours) stay, without your name. This cannot be undone."
    )
    return OutMessage(text, keyboard([
        Button(t("🗑 Yes, forget me"), button_data(FEATURE, "forget", user_id)),
        Button(t("Cancel"), button_data(FEATURE, "keep", user_id)),
    ]))


def forgotten(t: Translator, done: Forgotten) -> str:
    """What /forgetme did and what it kept, and why."""
    lines = [t("✅ Done: I have forgotten your name and your personal records.")]
    if done.withdrawn:
        numbers = ", ".join(f"#{number}" for number in done.withdrawn)
        lines.append(t("Cancelled requests: {numbers}.", numbers=numbers))
    if done.events_left:
        lines.append(t("You are off the lists of the events you had signed up for ({count}).",
                       count=done.events_left))
    if done.kept:
        lines.append(t("What stays, under your Telegram number only:"))
        lines.extend(f"• {t(reason)}" for reason in done.kept)
    lines.append(t("If you press /start again, I will know your name again."))
    return "\n".join(lines)


def kept(t: Translator) -> str:
    """Cancel pressed: nothing changed."""
    return t("Nothing was changed. I keep your data as before.")


# --- antiflood -------------------------------------------------------------------------------


def muted(t: Translator, mute: Mute, user: User | None, building: Building) -> OutMessage:
    """To each owner in private: a new member was muted, why, and Unmute."""
    who = mention(user) if user is not None else str(mute.user_id)
    if mute.reason == "link":
        text = t("🔇 I muted {who}, who joined {building}'s group lately, for posting a link.",
                 who=who, building=building.name)
    else:
        text = t("🔇 I muted {who}, who joined {building}'s group lately, for sending many "
                 "messages in a few seconds.", who=who, building=building.name)
    text += "\n" + t("If it was a mistake, unmute them:")
    return OutMessage(text, keyboard([
        Button(t("🔊 Unmute"), button_data(FEATURE, "unmute", mute.id)),
    ]))


def unmuted(t: Translator) -> str:
    """Unmute pressed: the member may write again."""
    return t("🔊 Unmuted: they can write in the group again.")


def antiflood_advice(t: Translator, *, can_restrict: bool) -> str:
    """/setup, when groups.antiflood is on: whether the bot can mute, and what it does."""
    if not can_restrict:
        return t("Antiflood is on, but to mute new members who flood the group or post links "
                 "I must be an admin with the right to restrict members (in a supergroup).")
    return t("Antiflood is on: a new member who floods the group or posts a link is muted, "
             "and the owners hear of it in private with an Unmute button.")
