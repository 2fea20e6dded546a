"""The texts and buttons of help requests, drawn from domain values alone (no database)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.domain.core import Building, User
from bot.domain.requests import History, Opened, Request, RequestEvent, RequestLine
from bot.i18n import translator
from bot.views import requests as view

LI, WANG, RESIDENT = 3, 4, 2
EN, ZH = translator("en"), translator("zh")
BUILDING = Building(id=1, chat_id=-100, name="3号楼")


def request(**changes: object) -> Request:
    fields: dict[str, object] = {
        "id": 7, "building_id": 1, "resident_id": RESIDENT, "category": "repair",
        "text": "the <tap> & the pipe leak", "state": "open", "source_chat_id": -100,
        "source_message_id": 5, "private": False, "routing": 1, "version": 0,
        "created_at": 0.0, "updated_at": 0.0,
    }
    return Request.model_validate({**fields, **changes})


def drawn(shown: Request, viewer: int) -> tuple[str, list[str | None]]:
    message = view.card(EN, shown, viewer, building="3号楼", resident="Zhang", claimer="Li")
    return message.text, [button.data for row in message.buttons for button in row]


def test_an_open_card_offers_claim_and_escapes_the_request_text() -> None:
    text, buttons = drawn(request(), WANG)
    assert text == (
        "<b>Help request #7</b> · 3号楼\nCategory: repair\nFrom: Zhang\n\n"
        "the &lt;tap&gt; &amp; the pipe leak"
    )
    assert buttons == ["requests:claim:7", "requests:details:7"]


def test_a_claimed_card_shows_done_and_give_back_only_to_the_claimer() -> None:
    claimed = request(state="claimed", claimer_id=LI)
    text, buttons = drawn(claimed, LI)
    assert text.endswith("✅ You took this request. When it is done, press Done or send "
                         "/done 7 with a note.")
    assert buttons == [
        "requests:done:7", "requests:release:7", "requests:wait:7", "relay:menu:7",
        "requests:details:7",
    ]
    text, buttons = drawn(claimed, WANG)
    assert text.endswith("🔒 Taken by Li.") and buttons == ["requests:details:7"]
    assert drawn(request(state="done", claimer_id=LI), LI)[0].endswith("✔️ Done by Li.")
    assert drawn(request(state="cancelled"), WANG)[0].endswith("✖️ Cancelled by the resident.")


def test_a_card_that_waited_says_so_first_and_keeps_its_buttons() -> None:
    shown = view.card(ZH, request(), WANG, building="3号楼", resident="张阿姨", claimer="—")
    waited = view.waited(ZH, shown, 30)
    assert waited.text.startswith("⏰ ") and "30 分钟" in waited.text
    assert waited.text.endswith(shown.text) and waited.buttons == shown.buttons


def test_the_resident_is_told_and_asked_for_stars() -> None:
    done = view.done_for_resident(EN, request(state="done", note="new <washer>"), "Li")
    assert done.text == (
        "Your request #7 is done (Li).\nNote: new &lt;washer&gt;\nHow was the help? Please rate it:"
        "\nNot fixed after all? Press «Not fixed» and it goes back to the volunteer."
    )
    assert [b.data for row in done.buttons for b in row] == [
        *(f"requests:rate:7:{stars}" for stars in range(1, 6)), "requests:reopen:7"
    ]
    claimed = view.claimed_for_resident(EN, request(), "<Li>")
    assert claimed.text.startswith("Good news: &lt;Li&gt; has taken") and not claimed.buttons


def test_an_unreachable_volunteer_is_mentioned_without_the_request() -> None:
    li = User(id=LI, first_name="Li <3")
    shown = view.unreachable(EN, li, 7).text
    assert shown.startswith(f'<a href="tg://user?id={LI}">Li &lt;3</a>, there is a help request')


def test_lists_show_the_text_only_where_it_was_asked() -> None:
    line = RequestLine.model_validate(
        {**request().model_dump(), "building_name": "3号楼", "claimer_name": None}
    )
    assert view.mine(EN, [line], RESIDENT).text == (
        "<b>Your requests</b>\n#7 · 3号楼 · repair — waiting for a volunteer\n"
        "    the &lt;tap&gt; &amp; the pipe leak"
    )
    assert view.waiting(EN, [line], -200).text == (
        "<b>Open requests</b> (take one with /claim N)\n"
        "#7 · 3号楼 · repair — waiting for a volunteer"
    )
    assert view.mine(EN, [], RESIDENT).text.startswith("You have no requests yet")


def test_the_answer_to_a_request_and_the_building_choice() -> None:
    opened = view.opened(ZH, Opened(request(), BUILDING, True, "duty"))
    assert "求助 #7 已登记（维修）" in opened.text and "3号楼" in opened.text
    choice = view.building_choice(EN, 9, [BUILDING, Building(id=2, chat_id=-200, name="5号楼")])
    assert [(b.label, b.data) for row in choice.buttons for b in row] == [
        ("3号楼", "requests:building:9:1"), ("5号楼", "requests:building:9:2")
    ]


def test_details_lists_the_events_in_local_time() -> None:
    events = [
        RequestEvent(id=1, request_id=7, kind="opened", actor_name="Zhang", detail="", at=0),
        RequestEvent(id=2, request_id=7, kind="routed", detail="duty:2", at=60),
        RequestEvent(id=3, request_id=7, kind="claimed", actor_name="Li", detail="", at=120),
        RequestEvent(id=4, request_id=7, kind="done", actor_name="Li", detail="<ok>", at=180),
    ]
    shown = view.history(EN, History(request(state="done"), BUILDING, events), ZoneInfo("UTC"))
    assert shown.text.split("\n") == [
        "<b>Request #7</b> · 3号楼 · done",
        "01-01 00:00 — opened by Zhang",
        "01-01 00:01 — sent to the volunteers on duty (2)",
        "01-01 00:02 — taken by Li",
        "01-01 00:03 — done by Li: &lt;ok&gt;",
    ]
