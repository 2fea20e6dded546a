"""Reminding the rest, without Telegram: reading ``remind after``, the group's message split
under Telegram's limit with every name once and escaped, and who has not confirmed."""

from __future__ import annotations

import re

import pytest

from bot.domain.core import User
from bot.domain.notices import Confirmations, Confirmer, Notice, NoticePost
from bot.errors import InvalidInput
from bot.i18n import translator
from bot.services.notices import read_remind
from bot.views import notices as notice_views
from bot.views import nudge as views
from bot.views.common import MAX_TEXT

EN = translator("en")


@pytest.mark.parametrize(
    ("text", "seconds", "rest"),
    [
        ("remind after 6h 明天停水", 6 * 3600, "明天停水"),
        ("Remind after 12 hours 明天停水", 12 * 3600, "明天停水"),
        ("提醒 6小时后 明天停水", 6 * 3600, "明天停水"),
        ("提醒6個小時後明天停水", 6 * 3600, "明天停水"),
        ("remind after 72h x", 72 * 3600, "x"),
        ("remind all to close the door", None, "remind all to close the door"),
        ("提醒大家关好门窗", None, "提醒大家关好门窗"),
    ],
)
def test_remind_after_is_read_only_when_hours_follow(
    text: str, seconds: int | None, rest: str
) -> None:
    found, left = read_remind(text)
    assert found == seconds
    assert left.strip() == rest


@pytest.mark.parametrize(
    "text", ["remind after 0h x", "remind after 73h x", "remind after 999h x",
             "remind after 30m x", "remind after -1h x", "remind after １２h x", "提醒 0小时后 x"],
)
def test_a_delay_out_of_bounds_or_not_in_hours_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        read_remind(text)


def test_the_group_message_is_split_under_the_limit_and_names_everyone_once() -> None:
    users = [User(id=10_000 + n, first_name=f"<居民{n:03d}>" + "长" * 30) for n in range(300)]
    parts = views.mentions(EN, users, reply_to=42)
    assert len(parts) > 1
    assert all(len(part.text) <= MAX_TEXT for part in parts)
    assert all(part.send_params()["reply_parameters"]["message_id"] == 42 for part in parts)
    named = [int(n) for part in parts for n in re.findall(r"tg://user\?id=(\d+)", part.text)]
    assert named == [user.id for user in users]
    assert "&lt;居民000&gt;" in parts[0].text and "<居民000>" not in parts[0].text


def test_who_has_not_confirmed_is_listed_with_households_and_the_remind_button() -> None:
    def person(n: int, flat: str | None) -> Confirmer:
        return Confirmer(building_name="3号楼", user=User(id=n, first_name=f"R{n}"), flat=flat)

    shown = notice_views.confirmers(EN, Confirmations(
        notice_id=7, people=[person(1, "3-101")], residents={"3号楼": 3},
        pending=[person(2, "3-102"), person(3, None)], households={"3号楼": (1, 2)},
    ))
    assert shown.text == (
        "<b>Who confirmed notice #7</b>\n\n<b>3号楼</b>: 1 confirmed, of 3 residents I know\n"
        "• R1 (3-101)\n🏠 1 of 2 households\nNot confirmed yet (2):\n• R2 (3-102)\n• R3"
    )
    assert [(b.label, b.data) for row in shown.buttons for b in row] == [
        ("🔔 Remind the rest", "notice:remind:7")]
    everyone = notice_views.confirmers(EN, Confirmations(
        notice_id=7, people=[person(1, None)], residents={"3号楼": 1}))
    assert everyone.buttons == ()


def test_a_long_notice_is_shortened_in_the_reminder_without_cutting_its_html() -> None:
    notice = Notice(id=1, author_id=1, origin_chat_id=1, text="&" * 4000, pin=False,
                    status="sent", created_at=0)
    post = NoticePost(id=3, notice_id=1, building_id=1, building_name="3号楼", chat_id=-1,
                      chat_active=True, status="posted")
    shown = views.reminder(EN, notice, post)
    assert len(shown.text) <= MAX_TEXT
    assert shown.text.endswith("&amp;…")
