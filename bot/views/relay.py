"""Every text and keyboard of canned replies and of words relayed between a request's
volunteer and its resident."""

from __future__ import annotations

from collections.abc import Sequence

from bot.callbacks import button_data
from bot.domain.relay import CannedReply, Shelf
from bot.i18n import N_, Translator, html_escape
from bot.views.common import Button, OutMessage, fit

FEATURE = "relay"  # the feature part of this feature's button payloads
# Common answers an owner may copy (shown by /replies): (title, text).
EXAMPLES = (
    (N_("On my way"), N_("I am on my way and will be with you in about 15 minutes.")),
    (N_("When suits you"), N_("When would suit you for a visit? Please reply with a time.")),
    (N_("Part ordered"), N_("The part is ordered; I will come back as soon as it arrives.")),
    (N_("Property phone"),
     N_("For this, please call the property office's duty phone (on the notice board by "
        "the lift).")),
)


def reply_button(t: Translator, number: int) -> Button:
    """«💬 Reply…» on the claimer's card."""
    return Button(t.plain(N_("💬 Reply…")), button_data(FEATURE, "menu", number))


# --- /replies ---------------------------------------------------------------------------


def shelves(t: Translator, found: Sequence[Shelf], owner: bool) -> OutMessage:
    """The canned replies of each building; an owner also reads how to add one, with the
    examples ready to copy."""
    lines: list[str] = []
    for shelf in found:
        lines.append(t("<b>Canned replies</b> · {building}", building=shelf.building.name))
        lines += [f"• <b>{html_escape(r.title)}</b>: {html_escape(r.text)}" for r in shelf.replies]
        if not shelf.replies:
            lines.append(t("None yet."))
        lines.append("")
    if owner:
        lines.append(t("Add one: /replies add title | text. Remove one: /replies remove title."))
        lines.append(t("Examples to copy:"))
        lines += [f"<code>/replies add {html_escape(t.plain(title))} | "
                  f"{html_escape(t.plain(text))}</code>" for title, text in EXAMPLES]
    return OutMessage(fit(t, lines))


def added_text(t: Translator, reply: CannedReply) -> str:
    """A canned reply was added."""
    return t("Canned reply «{title}» added. Volunteers send it with Reply… on their card.",
             title=reply.title)


def removed_text(t: Translator, title: str) -> str:
    """A canned reply was removed."""
    return t("Canned reply «{title}» removed.", title=title)


# --- Reply… ---------------------------------------------------------------------------------


def menu(t: Translator, number: int, replies: Sequence[CannedReply]) -> OutMessage:
    """The building's canned replies as buttons, for the resident of request #N."""
    own = t("Or write your own: /tell {number} and your words, or reply to the card.",
            number=number)
    if not replies:
        text = t("This building has no canned replies yet (owners add them with /replies add).",)
        return OutMessage(f"{text}\n{own}")
    text = t("Send a canned reply to the resident of #{number}:", number=number)
    rows = tuple(
        (Button(r.title, button_data(FEATURE, "send", number, r.id)),) for r in replies
    )
    return OutMessage(f"{text}\n{own}", rows)


# --- relayed words ---------------------------------------------------------------------------


def to_resident(t: Translator, number: int, text: str) -> OutMessage:
    """The volunteer's words, as the resident reads them: no name, no username, no phone."""
    return OutMessage(
        t("Volunteer (#{number}): {text}", number=number, text=text) + "\n\n"
        + t("↩️ Reply to this message to answer the volunteer.")
    )


def to_volunteer(t: Translator, number: int, text: str) -> OutMessage:
    """The resident's answer, as the volunteer reads it."""
    return OutMessage(
        t("Resident (#{number}): {text}", number=number, text=text) + "\n\n"
        + t("↩️ Reply to this message to answer, or write /tell {number} and your words.",
            number=number)
    )


def sent_text(t: Translator, number: int) -> str:
    """The volunteer's words are on their way to the resident."""
    return t("Sent to the resident of #{number}.", number=number)


def answered_text(t: Translator, number: int) -> str:
    """The resident's words are on their way to the volunteer."""
    return t("Sent to the volunteer of #{number}.", number=number)


def undelivered(t: Translator, number: int, text: str) -> OutMessage:
    """A relayed message could not reach its recipient."""
    return OutMessage(
        t("⚠️ Your message about #{number} could not be delivered: the other person has "
          "blocked me or closed the chat. Please reach them another way.", number=number)
        + "\n\n" + t("Not delivered: {text}", text=text)
    )
