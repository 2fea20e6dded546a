"""How events look, as pure functions of domain values: no database, no Telegram."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.core import User
from bot.domain.events import AttendanceSheet, Event, EventSummary, Listing, Signup
from bot.i18n import translator
from bot.views import events as views

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI).timestamp()
STARTS = datetime(2026, 11, 21, 9, 0, tzinfo=SHANGHAI).timestamp()  # a Saturday


def event(**changes: object) -> Event:
    fields: dict[str, object] = {
        "id": 7, "title": "Tea <&> talk", "place": "Hall", "starts_at": STARTS,
        "capacity": 2, "helpers": 1, "created_by": 1, "created_at": NOW,
    }  # fmt: skip
    return Event.model_validate({**fields, **changes})


def signup(number: int, name: str, role: str = "guest", status: str = "going") -> Signup:
    return Signup.model_validate(
        {"id": number, "event_id": 7, "chat_id": -100, "role": role, "status": status,
         "joined_at": NOW, "user": User(id=number, first_name=name)}
    )  # fmt: skip


LIST = [signup(1, "Zhang"), signup(2, "<Li>"), signup(3, "Wang", status="waiting"),
        signup(4, "Zhao", role="helper")]  # fmt: skip


def test_the_card_shows_the_list_escaped_with_its_buttons_while_open() -> None:
    card = views.card(translator("en"), event(), ["3号楼", "5号楼"], LIST, NOW, SHANGHAI)
    assert card.text.startswith("📅 <b>Tea &lt;&amp;&gt; talk</b> · #7\n🕘 2026-11-21 (Sat) 09:00")
    assert "🏠 For: 3号楼, 5号楼" in card.text
    assert "Signed up: 2/2\n1. Zhang\n2. &lt;Li&gt;\n\nWaitlist:\n1. Wang" in card.text
    assert "🙋 Helpers: 1/1\n1. Zhao" in card.text
    assert card.text.endswith("The list is full: Join puts you on the waitlist.")
    assert [[(b.label, b.data) for b in row] for row in card.buttons] == [
        [("✋ Join", "event:join:7"), ("Leave", "event:leave:7")],
        [("🙋 Help out (volunteers)", "event:help:7")],
    ]


def test_a_started_or_cancelled_card_has_no_buttons() -> None:
    t = translator("zh")
    started = views.card(t, event(helpers=0), ["3号楼"], [], STARTS, SHANGHAI)
    assert started.buttons == () and started.text.endswith("报名已截止。")
    cancelled = views.card(t, event(status="cancelled"), ["3号楼"], [], NOW, SHANGHAI)
    assert cancelled.buttons == () and "❌ 本活动已取消。" in cancelled.text


def test_the_sheet_marks_who_came_and_saves() -> None:
    going = [LIST[0], LIST[3]]
    sheet = views.sheet(translator("en"), AttendanceSheet(event(), going, {4}), SHANGHAI, 0)
    assert "Marked so far: 1 of 2." in sheet.text
    assert [[(b.label, b.data) for b in row] for row in sheet.buttons] == [
        [("▫️ Zhang", "event:mark:7:1:0"), ("✅ Zhao (helper)", "event:mark:7:4:0")],
        [("💾 Save attendance", "event:save:7")],
    ]


def test_the_listing_offers_cancel_and_attendance_only_for_what_one_manages() -> None:
    coming = [EventSummary(event=event(id=8), going=1, waiting=2, helping=0),
              EventSummary(event=event(id=9), going=0, waiting=0, helping=0)]  # fmt: skip
    past = [EventSummary(event=event(id=5), going=3, waiting=0, helping=0)]
    shown = views.listing(translator("en"), Listing(coming, past, {8, 5}), SHANGHAI)
    assert "#8 <b>Tea &lt;&amp;&gt; talk</b> — 2026-11-21 (Sat) 09:00, Hall" in shown.text
    assert "Signed up: 1/2 (2 waiting)" in shown.text
    assert "<b>Waiting for attendance</b>" in shown.text
    assert [[b.data for b in row] for row in shown.buttons] == [
        ["event:cancel:8"], ["event:sheet:5:0"]]
    assert views.listing(translator("en"), Listing([], []), SHANGHAI).text == (
        "No events are coming up.")


def test_a_group_note_mentions_each_person() -> None:
    people = [LIST[1].user, LIST[2].user]
    note = views.group_note(translator("en"), "reminder", event(), SHANGHAI, people)
    assert note.text.startswith(
        '⏰ Reminder for <a href="tg://user?id=2">&lt;Li&gt;</a>, <a href="tg://user?id=3">Wang</a>:')
