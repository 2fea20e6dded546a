"""The texts of canned replies and relayed words: escaped, inside Telegram's limits, and
in the reader's language (Simplified and Traditional Chinese)."""

from __future__ import annotations

from bot.domain.core import Building
from bot.domain.relay import CannedReply, Shelf
from bot.i18n import translator
from bot.services.relay import MAX_MESSAGE, MAX_REPLIES, MAX_TITLE
from bot.views import relay as view

EN, ZH, HANT = translator("en"), translator("zh"), translator("zh-Hant")
BUILDING = Building(id=3, chat_id=-100, name="3号楼")


def canned(n: int, title: str = "Phone", text: str = "12345678") -> CannedReply:
    return CannedReply(id=n, building_id=3, title=title, text=text, created_at=0)


def test_relayed_words_are_escaped_and_name_only_the_request() -> None:
    shown = view.to_resident(EN, 12, "<b>3 pm</b> & bring the key")
    assert shown.text.startswith("Volunteer (#12): &lt;b&gt;3 pm&lt;/b&gt; &amp; bring the key")
    assert view.to_resident(ZH, 12, "三点").text.startswith("志愿者（#12）：三点")
    assert view.to_volunteer(HANT, 12, "好").text.startswith("住戶（#12）：好")
    longest = view.undelivered(ZH, 999_999_999, "长" * MAX_MESSAGE)
    assert len(longest.text) < 4096


def test_the_reply_menu_has_one_button_per_canned_reply_within_telegram_limits() -> None:
    replies = [canned(10**8 + n, "题" * MAX_TITLE) for n in range(MAX_REPLIES)]
    shown = view.menu(ZH, 999_999_999, replies)
    assert len(shown.buttons) == MAX_REPLIES
    assert all(len(b.data.encode()) <= 64 for row in shown.buttons for b in row if b.data)
    empty = view.menu(ZH, 12, [])
    assert not empty.buttons and "/tell 12" in empty.text


def test_the_list_escapes_what_owners_wrote_and_shows_owners_the_examples() -> None:
    shelf = Shelf(BUILDING, [canned(1, "<i>x</i>", "a & b")])
    listed = view.shelves(EN, [shelf], owner=False)
    assert "<b>&lt;i&gt;x&lt;/i&gt;</b>: a &amp; b" in listed.text
    assert "/replies add" not in listed.text
    owners = view.shelves(HANT, [Shelf(BUILDING)], owner=True)
    assert "還沒有" in owners.text and "/replies add 馬上到 |" in owners.text
