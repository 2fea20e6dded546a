"""What notices look like: the post residents confirm, the owner's summary and replies, the
list of notices and who confirmed. Pure functions of domain values."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.callbacks import button_data
from bot.domain.core import Building
from bot.domain.notices import Confirmations, Confirmer, Notice, NoticeLine, NoticePost
from bot.domain.recurring import RecurringNotice
from bot.i18n import N_, Html, Translator, html_escape
from bot.views import nudge, recurring
from bot.views.common import (
    Button,
    OutMessage,
    building_names,
    fit,
    keyboard,
    local_time,
    with_flat,
)

FEATURE = "notice"  # the buttons' prefix: notice:<action>:<id>
PREVIEW = 40  # the first characters of a notice, in the list

PIN_ADVICE = N_("Make me an admin of this group with the right to pin messages.")
PRIVATE_ONLY = N_("I show who confirmed only in a private chat. Send me /notices {id} there.")


# --- in the group -------------------------------------------------------------------------


def post(t: Translator, notice: Notice, post_id: int, count: int) -> OutMessage:
    """The notice as the group sees it, with its count and its «Got it» button (an
    emergency under its own heading, always with notification)."""
    heading = t("🚨 <b>Emergency</b>") if notice.urgent else t("📢 <b>Notice</b>")
    text = "\n\n".join(
        [heading, html_escape(notice.text), t("✅ {count} confirmed", count=count)]
    )
    confirm = Button(t.plain("Got it"), button_data(FEATURE, "ok", post_id))
    loud = {"disable_notification": False} if notice.urgent else {}
    return OutMessage(text, keyboard([confirm]), extra=loud)


def pin_params(notice: Notice, message_id: int) -> dict[str, object]:
    """The pinChatMessage parameters of a post: an emergency's pin notifies every member."""
    loud = {"disable_notification": False} if notice.urgent else {}
    return {"message_id": message_id, **loud}


def pin_failed(t: Translator, error: str | None) -> OutMessage:
    """Said in the group when its notice could not be pinned."""
    return OutMessage(t("I could not pin the notice: {reason}", reason=reason(t, error)))


def confirmed_alert(t: Translator) -> str:
    """The answer to a «Got it» press."""
    return t.plain("Thank you! Your confirmation is recorded.")


# --- for the owner ------------------------------------------------------------------------


def summary(t: Translator, notice: Notice, posts: Sequence[NoticePost]) -> OutMessage:
    """Delivered to N groups; the ones that failed, and the pins that failed, with why."""
    delivered = [p for p in posts if p.status == "posted"]
    failed = [p for p in posts if p.status == "failed"]
    unpinned = [p for p in delivered if p.pin_error]
    lines = [_delivered_line(t, notice, len(delivered), len(posts))]
    if failed:
        lines.append("\n" + t("<b>Not delivered:</b>"))
        lines += [bullet(t, p.building_name, p.error) for p in failed[:50]]
    if unpinned:
        lines.append("\n" + t("<b>Not pinned:</b>"))
        lines += [bullet(t, p.building_name, p.pin_error) for p in unpinned[:50]]
    lines.append("\n" + t("See who confirmed it: /notices {id}", id=notice.id))
    remind = [nudge.remind_button(t, notice.id)] if delivered else []
    return OutMessage("\n".join(lines), keyboard(remind))


def _delivered_line(t: Translator, notice: Notice, delivered: int, total: int) -> str:
    """The first line of a summary: everywhere, or where of how many."""
    if notice.urgent and delivered == total:
        return t("🚨 Emergency #{id} arrived in all {total} groups.", id=notice.id, total=total)
    if notice.urgent:
        return t(
            "🚨 Emergency #{id} arrived in {delivered} of {total} groups.",
            id=notice.id,
            delivered=delivered,
            total=total,
        )
    if delivered == total:
        return t("Notice #{id} was delivered to all {total} groups.", id=notice.id, total=total)
    return t(
        "Notice #{id} was delivered to {delivered} of {total} groups.",
        id=notice.id,
        delivered=delivered,
        total=total,
    )


def reason(t: Translator, error: str | None) -> str:
    """Why a message or a pin failed, in words an owner can act on."""
    lowered = (error or "").lower()
    if any(word in lowered for word in ("chat not found", "deleted", "deactivated")):
        return t("That group no longer exists.")
    if any(word in lowered for word in ("kicked", "not a member", "removed")):
        return t("I am no longer in that group. Add me again and run /setup.")
    if "rights" in lowered or "not enough" in lowered:
        return t("I need to be an admin with the right to pin messages.")
    return t("Telegram refused it ({error}).", error=error or "?")


def bullet(t: Translator, building: str, error: str | None) -> str:
    """One line of a summary: the building and why."""
    return t("• {building}: {reason}", building=building, reason=Html(reason(t, error)))


def scheduled_here(t: Translator, notice: Notice, tz: ZoneInfo, can_pin: bool) -> OutMessage:
    """The answer to a scheduled /notice in the group (and why it will not be pinned)."""
    text = t(
        "Notice #{id} will be posted here at {time}. See or cancel it with /notices.",
        id=notice.id,
        time=_time(t, notice.send_at, tz),
    )
    return OutMessage(text + ("" if can_pin else "\n" + t(PIN_ADVICE)))


def pin_advice(t: Translator) -> OutMessage:
    """Said when a notice to come asks to be pinned and the bot may not pin."""
    return OutMessage(t(PIN_ADVICE))


def posted_unpinned(t: Translator) -> OutMessage:
    """The answer to /notice pin when the bot may not pin."""
    return OutMessage(t("The notice is posted, but I cannot pin it.") + " " + t(PIN_ADVICE))


def on_its_way(t: Translator, notice: Notice, groups: int) -> OutMessage:
    """The answer to a /notice from a private chat that goes out now."""
    return OutMessage(
        t(
            "Notice #{id} is on its way to {count} groups. I will tell you when it has "
            "been delivered.",
            id=notice.id,
            count=groups,
        )
    )


def scheduled_to(
    t: Translator, notice: Notice, tz: ZoneInfo, buildings: Sequence[Building]
) -> OutMessage:
    """The answer to a scheduled /notice from a private chat."""
    return OutMessage(
        t(
            "Notice #{id} will be posted at {time} to: {names}. See or cancel it with /notices.",
            id=notice.id,
            time=_time(t, notice.send_at, tz),
            names=building_names(buildings),
        )
    )


def cancelled_alert(t: Translator, notice_id: int) -> str:
    """The answer to «Cancel»."""
    return t.plain("Notice #{id} is cancelled.", id=notice_id)


# --- /notices -----------------------------------------------------------------------------


def listing(
    t: Translator,
    lines: Sequence[NoticeLine],
    private: bool,
    tz: ZoneInfo,
    rules: Sequence[RecurringNotice] = (),
) -> OutMessage:
    """The recurring notices (with «Stop»), then one line for each notice, with «Cancel»
    and (in private) «Who confirmed» buttons."""
    if not lines and not rules:
        return OutMessage(t("No notices yet. Post one with /notice followed by the text."))
    text = [t("<b>Notices</b>")] + [recurring.rule_line(t, rule, tz) for rule in rules]
    text += [notice_line(t, line, tz) for line in lines]
    text.append(
        t("Press a button to see who confirmed, or send /notices followed by the number.")
        if private
        else t("To see who confirmed, send me /notices followed by the number in a private chat.")
    )
    buttons = [recurring.stop_button(t, rule) for rule in rules]
    buttons += [button for line in lines if (button := _line_button(t, line, private))]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return OutMessage(fit(t, [part + "\n" for part in text]).rstrip(), keyboard(*rows))


def notice_line(t: Translator, line: NoticeLine, tz: ZoneInfo) -> str:
    """A notice in the list: its number, state, buildings, count and first words."""
    if line.status == "scheduled" and line.job_status == "missed":
        state = t("missed at {time} (I was offline)", time=_time(t, line.send_at, tz))
    elif line.status == "scheduled":
        state = t("scheduled for {time}", time=_time(t, line.send_at, tz))
    elif line.status == "cancelled":
        state = t("cancelled")
    elif line.held_until is not None:
        state = recurring.held_state(t, line.held_until, tz)
    else:
        state = (
            _time(t, line.send_at or line.created_at, tz)
            + " · "
            + t("✅ {count} confirmed", count=line.confirmed)
        )
    where = html_escape(line.building_name)
    if line.buildings > 1 and line.status == "sent":
        where = t(
            "delivered to {delivered} of {count} buildings",
            delivered=line.delivered,
            count=line.buildings,
        )
    elif line.buildings > 1:
        where = t("{count} buildings", count=line.buildings)
    preview = " ".join(line.text.split())
    preview = preview if len(preview) <= PREVIEW else preview[:PREVIEW] + "…"
    mark = "🚨 " if line.urgent else ""
    return f"{mark}#{line.id} · {state} · {where}\n{html_escape(preview)}"


def _line_button(t: Translator, line: NoticeLine, private: bool) -> Button | None:
    if line.status == "scheduled":
        return Button(t.plain("Cancel #{id}", id=line.id), button_data(FEATURE, "cancel", line.id))
    if private and line.status in ("sending", "sent"):
        label = t.plain("Who confirmed #{id}", id=line.id)
        return Button(label, button_data(FEATURE, "names", line.id))
    return None


def confirmers(t: Translator, confirmations: Confirmations) -> OutMessage:
    """Who confirmed the notice and who has not, building by building, with how many
    residents (and households, where flats are known) there are; «Remind the rest» when
    someone has not."""
    notice_id = confirmations.notice_id
    buttons = keyboard([nudge.remind_button(t, notice_id)] if confirmations.pending else [])
    if not confirmations.people and not confirmations.pending:
        return OutMessage(t("Nobody has confirmed notice #{id} yet.", id=notice_id))
    text = [
        t("<b>Who confirmed notice #{id}</b>", id=notice_id)
        if confirmations.people
        else t("Nobody has confirmed notice #{id} yet.", id=notice_id)
    ]
    confirmed = _by_building(confirmations.people)
    pending = _by_building(confirmations.pending)
    for name in sorted(set(confirmed) | set(pending)):
        names = confirmed.get(name, [])
        text.append(
            "\n"
            + t(
                "<b>{building}</b>: {count} confirmed, of {residents} residents I know",
                building=name,
                count=len(names),
                residents=confirmations.residents.get(name, 0),
            )
        )
        text += [f"• {html_escape(person)}" for person in names]
        if name in confirmations.households:
            text.append(nudge.households_line(t, *confirmations.households[name]))
        text += nudge.pending_lines(t, pending.get(name, []))
    return OutMessage(fit(t, text), buttons)


def _by_building(people: Sequence[Confirmer]) -> dict[str, list[str]]:
    """Names (with their flats) by building, in the order given."""
    found: dict[str, list[str]] = {}
    for person in people:
        found.setdefault(person.building_name, []).append(
            with_flat(person.user.display_name, person.flat)
        )
    return found


def _time(t: Translator, moment: float | None, tz: ZoneInfo) -> str:
    """A time as owners write it (no weekday: /notice at takes the same form)."""
    return local_time(t, moment or 0.0, tz, weekday=False)


def recent(t: Translator, lines: Sequence[NoticeLine], tz: ZoneInfo) -> OutMessage:
    """A resident's «Notices»: the latest notices of their buildings, in full."""
    if not lines:
        return OutMessage(t("No notices in your building yet."))
    text = [t("<b>Latest notices</b>")]
    for line in lines:
        when = _time(t, line.send_at or line.created_at, tz)
        text.append(f"{when} · {html_escape(line.building_name)}\n{html_escape(line.text)}")
    return OutMessage(fit(t, [part + "\n" for part in text]))
