"""What the points feature shows, as pure functions of domain values: no database, no Telegram."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.domain.core import Building, User
from bot.domain.points import Leaderboard, LedgerEntry, Redemption, Reward, Standing, Statement
from bot.i18n import translator
from bot.views import points as views

TZ = ZoneInfo("Asia/Shanghai")
EN, ZH = translator("en"), translator("zh")
LI = User(id=21, first_name="Li <b>", username="li")
B3 = Building(id=3, chat_id=-100, name="3号楼")


def redemption(status: str = "pending", voucher: str | None = None) -> Redemption:
    return Redemption.model_validate(
        {
            "id": 7, "reward_id": 2, "user_id": LI.id, "building_id": B3.id, "cost": 50,
            "status": status, "request_key": "21:1", "voucher": voucher,
            "decided_by": None if status == "pending" else 10, "created_at": 0.0,
            "expires_at": 72 * 3600.0, "reward_name": "Car wash", "shop": "Wang & Sons",
        }
    )  # fmt: skip


def test_a_pending_card_asks_the_owners_with_two_buttons_and_escapes_names() -> None:
    card = views.card(EN, redemption(), LI.display_name, None)
    assert "<b>Redemption #7</b>" in card.text
    assert "Li &lt;b&gt; would like «Car wash» from Wang &amp; Sons for 50 points" in card.text
    assert [[(b.label, b.data) for b in row] for row in card.buttons] == [
        [("✅ Approve", "points:approve:7"), ("❌ Reject", "points:reject:7")]
    ]


def test_a_decided_card_says_how_it_ended_and_has_no_buttons() -> None:
    approved = views.card(ZH, redemption("approved", "LL7-ABCDEF"), LI.display_name, "王主任")
    assert approved.text.endswith("\n\n✅ 已由 王主任 批准。") and not approved.buttons
    assert "LL7-ABCDEF" not in approved.text  # the code is for the volunteer only
    expired = views.card(ZH, redemption("expired"), LI.display_name, None)
    assert "⌛ 已过期" in expired.text and not expired.buttons
    assert approved.digest() != views.card(ZH, redemption(), LI.display_name, None).digest()


def test_the_voucher_code_shows_only_in_the_volunteers_private_chat() -> None:
    entry = LedgerEntry(
        id=1, user_id=LI.id, amount=-50, reason="redemption", source="redemption:7",
        made_by=LI.id, created_at=0.0,
    )  # fmt: skip
    shown = Statement(balance=10, entries=[entry], redemptions=[redemption("approved", "LL7-X")])
    private = views.statement(EN, LI, shown, own=True, private=True, tz=TZ)
    group = views.statement(EN, LI, shown, own=True, private=False, tz=TZ)
    assert "voucher <code>LL7-X</code>" in private.text and "LL7-X" not in group.text
    assert "<b>Your points: 10</b>" in private.text and "-50" in private.text
    assert "redemption: #7" in private.text
    stranger = views.statement(EN, LI, Statement(0, [], [], volunteer=False), own=True,
                               private=True, tz=TZ)  # fmt: skip
    assert stranger.text.startswith("Points are for volunteers")


def test_the_ranking_has_medals_and_one_post_button_per_building() -> None:
    standings = [Standing(user=User(id=i, first_name=f"V{i}"), points=50 - i) for i in range(4)]
    board = Leaderboard("2026-12", B3, standings)
    shown = views.leaderboard(EN, board, "3号楼", [B3, Building(id=5, chat_id=-5, name="5号楼")])
    lines = shown.text.splitlines()
    assert lines[0] == "🏆 <b>Volunteers of the month</b>: 3号楼, 2026-12"
    assert lines[1:5] == ["🥇 V0 — 50 points", "🥈 V1 — 49 points", "🥉 V2 — 48 points",
                          "4. V3 — 47 points"]  # fmt: skip
    buttons = [[b.data for b in row] for row in shown.buttons]
    assert buttons == [["points:post:3"], ["points:post:5"]]
    assert not views.leaderboard(EN, board, "3号楼").buttons


def test_a_long_catalogue_is_cut_and_says_how_to_redeem() -> None:
    rewards = [
        Reward(id=n, name=f"Item {n}", shop="Shop", cost=10, stock=n, monthly_limit=n == 1)
        for n in range(1, views.MAX_LISTED + 3)
    ]
    text = views.catalogue(EN, rewards).text
    assert "<b>#1</b> Item 1 — Shop: 10 points, 1 left (one per month)" in text
    assert f"Item {views.MAX_LISTED + 1}" not in text and "\n…\n" in text
    assert text.endswith("for example: /redeem 1")
    assert views.catalogue(ZH, []).text == ZH("No rewards yet. Owners add them with /reward add.")
