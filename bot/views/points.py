"""What the points feature shows: statements, the catalogue, redemption cards, the ranking.

Pure functions of domain values: the service decides who sees which, the handlers reply
with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.callbacks import button_data
from bot.domain.core import Building, User
from bot.domain.points import (
    Award,
    Leaderboard,
    LedgerEntry,
    Redeemed,
    Redemption,
    Reward,
    Statement,
)
from bot.i18n import N_, Translator, html_escape
from bot.views.common import Button, OutMessage, keyboard

BUTTONS = "points"  # the feature's prefix of callback data
MAX_LISTED = 20  # rewards in one reply: 20 long lines stay under Telegram's 4096 characters
MEDALS = ("🥇", "🥈", "🥉")
REASON_LABELS = {
    "request_done": N_("help request done"),
    "shift_served": N_("duty shift served"),
    "lockup_on_time": N_("lock-up reported on time"),
    "event_helped": N_("helped at an event"),
    "hazard_reported": N_("safety hazard reported and fixed"),
    "award": N_("award"),
    "correction": N_("correction"),
    "redemption": N_("redemption"),
    "redemption_returned": N_("redemption returned"),
}
POINTS_ARE_FOR_VOLUNTEERS = N_(
    "Points are for volunteers: they earn them by helping neighbours, "
    "and trade them for rewards from local shops."
)


# --- the ledger ---------------------------------------------------------------------------


def statement(
    t: Translator, person: User, shown: Statement, *, own: bool, private: bool, tz: ZoneInfo
) -> OutMessage:
    """A balance, its latest entries and the open redemptions (voucher codes only to the
    volunteer, in private)."""
    if not shown.entries and not shown.volunteer:
        return OutMessage(t(POINTS_ARE_FOR_VOLUNTEERS))
    lines = [
        t("<b>Your points: {balance}</b>", balance=shown.balance)
        if own
        else t(
            "<b>Points of {name}: {balance}</b>",
            name=person.display_name,
            balance=shown.balance,
        )
    ]
    lines += [t("Latest entries:")] if shown.entries else [t("No entries yet.")]
    lines += [entry_line(t, entry, tz) for entry in shown.entries]
    if shown.redemptions:
        lines += ["", t("Redemptions:")]
        lines += [redemption_line(t, r, tz, private) for r in shown.redemptions]
    if own:
        lines += ["", t("See /rewards for what your points can buy.")]
    return OutMessage("\n".join(lines))


def entry_line(t: Translator, entry: LedgerEntry, tz: ZoneInfo) -> str:
    """One ledger entry: when, how much, why."""
    when = datetime.fromtimestamp(entry.created_at, tz).strftime("%m-%d %H:%M")
    label = t.plain(REASON_LABELS.get(entry.reason, entry.reason))
    detail = entry.note or _source_hint(entry.source)
    why = t("{reason}: {detail}", reason=label, detail=detail) if detail else html_escape(label)
    return f"{when}  <b>{entry.amount:+d}</b>  {why}"


def _source_hint(source: str) -> str:
    """'request:42' → '#42': the number people know a thing by."""
    head, _, tail = source.partition(":")
    return f"#{tail}" if head != "award" and tail.isdigit() else ""


def award_notice(t: Translator, entry: LedgerEntry, balance: int) -> OutMessage:
    """What the volunteer is told of an award or a correction."""
    text = (
        t("🎉 You received {points} points: {note}", points=entry.amount, note=entry.note)
        if entry.amount > 0
        else t(
            "Your points were corrected by {points}: {note}",
            points=entry.amount,
            note=entry.note,
        )
    )
    return OutMessage(text + "\n" + t("Your balance: {balance} points.", balance=balance))


def award_reply(t: Translator, result: Award) -> OutMessage:
    """What the owner reads after /award."""
    name, entry = result.volunteer.display_name, result.entry
    if not result.created:
        return OutMessage(
            t(
                "This was already recorded. {name} has {balance} points.",
                name=name,
                balance=result.balance,
            )
        )
    if entry.amount > 0:
        text = t(
            "{name} received {points} points: {note}",
            name=name,
            points=entry.amount,
            note=entry.note,
        )
    else:
        text = t(
            "Correction for {name}: {points} points ({note}).",
            name=name,
            points=entry.amount,
            note=entry.note,
        )
    return OutMessage(text + "\n" + t("Balance: {balance} points.", balance=result.balance))


# --- the catalogue ------------------------------------------------------------------------


def reward_line(t: Translator, reward: Reward) -> str:
    """One reward of the catalogue."""
    line = t(
        "<b>#{number}</b> {name} — {shop}: {cost} points, {stock} left",
        number=reward.id,
        name=reward.name,
        shop=reward.shop,
        cost=reward.cost,
        stock=reward.stock,
    )
    return line + (t(" (one per month)") if reward.monthly_limit else "")


def catalogue(t: Translator, rewards: Sequence[Reward]) -> OutMessage:
    """The rewards open to someone, with how to redeem one."""
    if not rewards:
        return OutMessage(t("No rewards yet. Owners add them with /reward add."))
    lines = [t("<b>Rewards from local shops</b>")]
    lines += [reward_line(t, reward) for reward in rewards[:MAX_LISTED]]
    lines += ["…"] if len(rewards) > MAX_LISTED else []
    lines += [
        "",
        t("Redeem one with its number, for example: /redeem {number}", number=rewards[0].id),
    ]
    return OutMessage("\n".join(lines))


def reward_added(t: Translator, place: str, reward: Reward) -> OutMessage:
    """The reply to /reward add."""
    return OutMessage(
        t("Added to the rewards of {place}:", place=place) + "\n" + reward_line(t, reward)
    )


def reward_changed(t: Translator, reward: Reward) -> OutMessage:
    """The reply to /reward edit."""
    return OutMessage(t("Reward changed:") + "\n" + reward_line(t, reward))


def reward_retired(t: Translator, reward: Reward) -> OutMessage:
    """The reply to /reward retire."""
    return OutMessage(
        t(
            "«{name}» is out of the catalogue. Redemptions already made are still decided.",
            name=reward.name,
        )
    )


# --- redemptions --------------------------------------------------------------------------


def redeemed(t: Translator, result: Redeemed, started: bool) -> OutMessage:
    """What the volunteer reads after /redeem (``started``: they can get the code in private)."""
    redemption = result.redemption
    if not result.created:
        return OutMessage(
            t("Redemption #{number} is already recorded.", number=redemption.id)
        )
    text = t(
        "🎁 Redemption #{number}: «{reward}» from {shop}. {cost} points are held; "
        "your balance is {balance}.\n"
        "An owner of {building} will approve it, and I will send you the voucher code "
        "in our private chat.",
        number=redemption.id,
        reward=redemption.reward_name,
        shop=redemption.shop,
        cost=redemption.cost,
        balance=result.balance,
        building=result.building.name,
    )
    if not started:
        text += "\n" + t("Please open a private chat with me and press Start to get the code.")
    return OutMessage(text)


def redemption_line(t: Translator, redemption: Redemption, tz: ZoneInfo, private: bool) -> str:
    """One open redemption; the voucher code is shown only in private."""
    head = t(
        "#{number} «{reward}» ({shop}), {cost} points",
        number=redemption.id,
        reward=redemption.reward_name,
        shop=redemption.shop,
        cost=redemption.cost,
    )
    if redemption.status == "pending":
        until = datetime.fromtimestamp(redemption.expires_at, tz).strftime("%m-%d %H:%M")
        return head + " — " + t("waiting for an owner (until {time})", time=until)
    if private and redemption.voucher:
        return head + " — " + t("voucher <code>{code}</code>", code=redemption.voucher)
    return head + " — " + t("approved")


def card(
    t: Translator, redemption: Redemption, volunteer: str, decided_by: str | None
) -> OutMessage:
    """The owners' card for a redemption: buttons while it is pending, then how it ended."""
    text = card_text(t, redemption, volunteer)
    if redemption.status != "pending":
        return OutMessage(text + "\n\n" + decision_line(t, redemption, decided_by))
    return OutMessage(
        text,
        keyboard(
            [
                Button(t.plain("✅ Approve"), button_data(BUTTONS, "approve", redemption.id)),
                Button(t.plain("❌ Reject"), button_data(BUTTONS, "reject", redemption.id)),
            ]
        ),
    )


def card_text(t: Translator, redemption: Redemption, volunteer: str) -> str:
    """What the owners' card says of the redemption."""
    return t(
        "🎁 <b>Redemption #{number}</b>\n"
        "{name} would like «{reward}» from {shop} for {cost} points. The points are held.\n"
        "Owners of the building: approve to give a voucher code, or reject to give "
        "the points back.",
        number=redemption.id,
        name=volunteer,
        reward=redemption.reward_name,
        shop=redemption.shop,
        cost=redemption.cost,
    )


def decision_line(t: Translator, redemption: Redemption, by: str | None) -> str:
    """How the card ended."""
    if redemption.status == "approved":
        return t("✅ Approved by {owner}.", owner=by or "—")
    if redemption.status == "rejected":
        return t("❌ Rejected by {owner}. The points went back.", owner=by or "—")
    return t("⌛ Expired: no owner decided in time. The points went back.")


def decided_answer(t: Translator, redemption: Redemption, volunteer: str) -> str:
    """The owner's answer to a press of approve or reject (plain text: an alert)."""
    if redemption.status == "approved":
        return t.plain("Approved: {name} gets the voucher code.", name=volunteer)
    return t.plain("Rejected: the points went back to {name}.", name=volunteer)


def outcome(t: Translator, redemption: Redemption) -> OutMessage:
    """What the volunteer is told once their redemption is decided."""
    params = {
        "number": redemption.id,
        "reward": redemption.reward_name,
        "shop": redemption.shop,
        "cost": redemption.cost,
    }
    if redemption.status == "approved":
        return OutMessage(
            t(
                "✅ Your redemption #{number} is approved: «{reward}» from {shop}.\n"
                "Show this code at the shop: <code>{code}</code>",
                code=redemption.voucher,
                **params,
            )
        )
    if redemption.status == "rejected":
        return OutMessage(
            t(
                "Your redemption #{number} of «{reward}» ({shop}) was not approved. "
                "Your {cost} points are back.",
                **params,
            )
        )
    return OutMessage(
        t(
            "Your redemption #{number} of «{reward}» ({shop}) expired before an owner "
            "decided. Your {cost} points are back.",
            **params,
        )
    )


# --- the ranking --------------------------------------------------------------------------


def leaderboard(
    t: Translator, board: Leaderboard, place: str, posts: Sequence[Building] = ()
) -> OutMessage:
    """The ranking, with a 'post it' button for each group this person may post it in."""
    return OutMessage(
        leaderboard_text(t, board, place),
        keyboard(
            *(
                [
                    Button(
                        t.plain("📣 Post the ranking in {building}", building=building.name),
                        button_data(BUTTONS, "post", building.id),
                    )
                ]
                for building in posts
            )
        ),
    )


def leaderboard_text(t: Translator, board: Leaderboard, place: str) -> str:
    """The 'volunteers of the month' notice."""
    year, month = board.month.split("-")
    title = t(
        "🏆 <b>Volunteers of the month</b>: {place}, {year}-{month}",
        place=place,
        year=year,
        month=int(month),
    )
    lines = [title]
    for rank, standing in enumerate(board.standings, start=1):
        badge = MEDALS[rank - 1] if rank <= len(MEDALS) else f"{rank}."
        lines.append(
            t(
                "{badge} {name} — {points} points",
                badge=badge,
                name=standing.user.display_name,
                points=standing.points,
            )
        )
    if not board.standings:
        lines.append(t("No points earned this month yet."))
    else:
        lines.append(t("Thank you for helping your neighbours!"))
    return "\n".join(lines)


def posted_answer(t: Translator, building: Building, posted: bool) -> str:
    """The answer to 'post the ranking' (plain text: an alert)."""
    if posted:
        return t.plain("Posted in {building}.", building=building.name)
    return t.plain("This ranking is already posted in {building}.", building=building.name)
