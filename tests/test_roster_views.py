"""The roster's views are pure: a week, a swap offer and a handover rendered from domain
values, without a database or Telegram."""

from __future__ import annotations

from datetime import date

from bot.domain.core import Building, User
from bot.domain.roster import (
    Duty,
    Note,
    Occurrence,
    OpenRequest,
    RosterShift,
    Shift,
    Swap,
    SwapSummary,
    Week,
)
from bot.i18n import translator
from bot.views import roster as views

BUILDING = Building(id=3, chat_id=-100, name="3号楼")
EVENING = Shift(id=7, building_id=3, weekday=0, start_minute=18 * 60, end_minute=22 * 60)
NIGHT = Shift(id=8, building_id=3, weekday=0, start_minute=22 * 60, end_minute=2 * 60)
LI = User(id=11, first_name="Li <b>")
WANG = User(id=12, first_name="Wang")
MONDAY = date(2026, 11, 30)


def occurrence(shift: Shift, *people: User) -> Occurrence:
    return Occurrence(shift, MONDAY, 0.0, 1.0, tuple(person.id for person in people))


def test_owners_see_the_week_with_its_editing_buttons_and_names_escaped() -> None:
    week = Week(BUILDING, [RosterShift(EVENING, [LI, WANG]), RosterShift(NIGHT, [])], True)
    card = views.week_card(translator("en"), week, editable=True, done=True)
    assert card.text.startswith("✅ Done.\n\n<b>Duty roster of 3号楼</b>")
    assert "Mon 18:00–22:00: Li &lt;b&gt;, Wang" in card.text
    assert "Mon 22:00–02:00: nobody yet" in card.text
    assert [row[0].data for row in card.buttons] == [
        "roster:add:3", "roster:remove:3", "roster:assign:3", "roster:announce:3"
    ]
    assert card.buttons[3][0].label == "📢 Handover in the group: on"
    volunteers_view = views.week_card(translator("zh"), week, editable=False)
    assert volunteers_view.buttons == () and "值班表" in volunteers_view.text


def test_a_swap_offer_names_the_giver_and_the_date_and_has_two_answers() -> None:
    swap = Swap(id=5, shift_id=7, day="2026-11-30", from_user=LI.id, to_user=WANG.id,
                status="offered", created_at=0.0)
    summary = SwapSummary(swap, BUILDING, occurrence(EVENING, LI), LI, WANG)
    offer = views.swap_offer(translator("en"), summary)
    assert "Li &lt;b&gt; asks you to take their shift in 3号楼: Mon 11-30 18:00–22:00" in offer.text
    assert [(b.label, b.data) for b in offer.buttons[0]] == [
        ("✅ Accept", "roster:yes:5"), ("❌ Decline", "roster:no:5")
    ]
    assert offer.send_params()["reply_markup"]["inline_keyboard"][0][1]["callback_data"] == (
        "roster:no:5"
    )


def test_a_handover_lists_the_notes_and_the_open_requests() -> None:
    requests = [OpenRequest(41, "灯坏了", "Wang"), OpenRequest(42, "<script>")]
    message = views.handover_incoming(
        translator("en"), BUILDING, [LI], occurrence(NIGHT, WANG),
        [Note(LI.id, "Li", "key at the guard")], requests,
    )
    assert "you take over from Li &lt;b&gt;" in message.text
    assert "📝 Li: key at the guard" in message.text
    assert "#41 灯坏了 (claimed by Wang)" in message.text
    assert "#42 &lt;script&gt;" in message.text
    quiet = views.handover_incoming(translator("en"), BUILDING, [], occurrence(NIGHT), [], [])
    assert "from —" in quiet.text and "No requests are open or claimed." in quiet.text


def test_duty_shows_now_and_next_or_that_there_is_no_roster() -> None:
    now, coming = occurrence(EVENING, LI), occurrence(NIGHT, WANG)
    duty = Duty(BUILDING, [now], [coming], {LI.id: LI, WANG.id: WANG})
    text = views.duty_text(translator("en"), duty)
    assert text == (
        "<b>3号楼</b>\nOn duty now: Li &lt;b&gt; (Mon 11-30 18:00–22:00)\n"
        "Next: Wang (Mon 11-30 22:00–02:00)"
    )
    empty = views.duty_text(translator("en"), Duty(BUILDING, [], []))
    assert empty.endswith("No roster yet. Owners set it up with /roster.")


def test_duty_in_many_buildings_is_cut_between_buildings_to_fit_one_message() -> None:
    buildings = [Building(id=n, chat_id=-n, name=f"{n}号楼 " + "长" * 40) for n in range(1, 200)]
    now = occurrence(EVENING, LI)
    found = [Duty(b, [now], [now], {LI.id: LI}) for b in buildings]
    text = views.duties(translator("en"), found).text
    assert len(text) <= 4096
    kept, _blank, last = text.rpartition("\n")
    assert last.startswith("… and ") and last.endswith(" more")
    blocks = kept.strip().split("\n\n")
    assert all(block.startswith("<b>") and block.count("<b>") == block.count("</b>")
               for block in blocks)
    assert int(last.split()[2]) == len(buildings) - len(blocks)
