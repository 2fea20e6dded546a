"""The notices' views as pure functions: the post, the summary, the list and who confirmed."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.core import User
from bot.domain.notices import Confirmations, Confirmer, Notice, NoticeLine, NoticePost
from bot.i18n import translator
from bot.views import notices as views

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI).timestamp()
EN, ZH = translator("en"), translator("zh")


def notice(**changes: object) -> Notice:
    fields = {"id": 7, "author_id": 10, "origin_chat_id": 10, "text": "Lift <i>check</i> & more",
              "pin": False, "status": "sent", "created_at": NOW}
    return Notice.model_validate({**fields, **changes})


def post(number: int, name: str, status: str, error: str | None = None,
         pin_error: str | None = None) -> NoticePost:
    return NoticePost(id=number, notice_id=7, building_id=number, building_name=name,
                      chat_id=-number, chat_active=True, status=status, error=error,
                      pin_error=pin_error)  # type: ignore[arg-type]


def test_the_post_escapes_the_notice_and_carries_its_count_and_button() -> None:
    shown = views.post(EN, notice(), 3, 12)
    assert shown.text == (
        "📢 <b>Notice</b>\n\nLift &lt;i&gt;check&lt;/i&gt; &amp; more\n\n✅ 12 confirmed"
    )
    assert shown.reply_markup() == {
        "inline_keyboard": [[{"text": "Got it", "callback_data": "notice:ok:3"}]]
    }
    assert "已确认：12 人" in views.post(ZH, notice(), 3, 12).text


def test_the_summary_names_the_groups_that_failed_and_the_pins_that_failed_with_why() -> None:
    posts = [
        post(1, "3号楼", "posted"),
        post(2, "5号楼", "failed", error="Forbidden: bot was kicked"),
        post(3, "7号楼", "posted", pin_error="Bad Request: not enough rights"),
    ]
    text = views.summary(EN, notice(), posts).text
    assert text.startswith("Notice #7 was delivered to 2 of 3 groups.")
    assert "• 5号楼: I am no longer in that group." in text
    assert "<b>Not pinned:</b>\n• 7号楼: I need to be an admin" in text
    assert text.endswith("/notices 7")
    everywhere = views.summary(EN, notice(), posts[:1]).text
    assert everywhere.startswith("Notice #7 was delivered to all 1 groups.")


def test_the_list_has_a_line_for_each_notice_and_buttons_to_cancel_or_see_who_confirmed() -> None:
    at = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI).timestamp()
    lines = [
        NoticeLine(id=2, author_id=10, text="Later " * 20, status="scheduled", send_at=at,
                   created_at=NOW, buildings=1, building_name="3号楼", confirmed=0, delivered=0),
        NoticeLine(id=1, author_id=10, text="Water <off>", status="sent", created_at=NOW,
                   buildings=3, building_name="3号楼", confirmed=5, delivered=2),
    ]
    private = views.listing(EN, lines, True, SHANGHAI)
    assert "#2 · scheduled for 2026-12-01 09:00 · 3号楼\nLater Later" in private.text
    assert "#1 · 2026-11-23 10:00 · ✅ 5 confirmed · delivered to 2 of 3 buildings" in private.text
    assert "Water &lt;off&gt;" in private.text
    assert [(b.label, b.data) for row in private.buttons for b in row] == [
        ("Cancel #2", "notice:cancel:2"), ("Who confirmed #1", "notice:names:1")]
    in_group = views.listing(EN, lines, False, SHANGHAI)
    assert [b.data for row in in_group.buttons for b in row] == ["notice:cancel:2"]
    assert views.listing(EN, [], True, SHANGHAI).buttons == ()


def test_who_confirmed_is_grouped_by_building_with_the_residents_known() -> None:
    who = ((1, "3号楼", "Li <3"), (2, "3号楼", "Wang"), (3, "5号楼", "Zhao"))
    people = [Confirmer(building_name=name, user=User(id=n, first_name=first))
              for n, name, first in who]
    shown = views.confirmers(EN, Confirmations(notice_id=7, people=people,
                                              residents={"3号楼": 40, "5号楼": 9}))
    assert shown.text == (
        "<b>Who confirmed notice #7</b>\n\n<b>3号楼</b>: 2 confirmed, of 40 residents I know\n"
        "• Li &lt;3\n• Wang\n\n<b>5号楼</b>: 1 confirmed, of 9 residents I know\n• Zhao"
    )
    nobody = views.confirmers(EN, Confirmations(notice_id=7, people=[], residents={}))
    assert nobody.text == "Nobody has confirmed notice #7 yet."
