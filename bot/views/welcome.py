"""What the bot says about a building's welcome and rules, join requests and newcomers.

The owner's welcome and rules are plain text: they are escaped, then their {building} and
{name} are filled in (with escaped values), so HTML an owner types is shown, not obeyed.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.callbacks import button_data
from bot.domain.core import Building, User
from bot.domain.welcome import BuildingText, JoinRequest
from bot.i18n import N_, Html, Translator, html_escape
from bot.services.community import Role
from bot.views.common import Button, OutMessage, keyboard, mention, with_flat
from bot.views.menu import rows as menu_rows

FEATURE = "join"
BUTTONS = ("approve", "decline")
VOLUNTEER_TAG = N_("Volunteer")


def filled(template: str, building: Building, name: str | Html) -> str:
    """The owner's text as HTML: escaped, with the placeholders filled in."""
    shown = name if isinstance(name, Html) else html_escape(name)
    return html_escape(template).format(building=html_escape(building.name), name=shown)


def rules_post(t: Translator, building: Building, template: str) -> OutMessage:
    """The rules post in the group, pinned and kept current."""
    title = t("📜 <b>The rules of {building}</b>", building=building.name)
    return OutMessage(title + "\n\n" + filled(template, building, t.plain("neighbours")),
                      extra={"disable_notification": True})


def rules_shown(t: Translator, found: Sequence[tuple[Building, BuildingText | None]],
                viewer: User | None) -> OutMessage:
    """/rules: each building's rules, or a word that there are none yet."""
    parts = []
    for building, rules in found:
        if rules is None:
            parts.append(t("{building} has no rules written yet.", building=building.name))
            continue
        name = viewer.display_name if viewer else t.plain("neighbours")
        parts.append(t("📜 <b>The rules of {building}</b>", building=building.name) + "\n\n"
                     + filled(rules.text, building, name))
    return OutMessage("\n\n".join(parts))


def text_saved(t: Translator, building: Building, saved: BuildingText, sample: User,
               can_pin: bool) -> OutMessage:
    """The answer to /welcome text or /rules text, with how it will look."""
    if saved.kind == "welcome":
        head = t("Saved. Newcomers of {building} will read:", building=building.name)
        return OutMessage(head + "\n\n" + filled(saved.text, building, sample.display_name))
    if not can_pin:
        return OutMessage(t(
            "Saved. The rules of {building} are posted in the group, and every newcomer gets "
            "them in private. Please give me the right to pin messages, so that they stay on "
            "top.", building=building.name))
    return OutMessage(t("Saved. The rules of {building} are posted and pinned in the group, "
                        "and every newcomer gets them in private.", building=building.name))


def text_now(t: Translator, building: Building, current: BuildingText | None,
             usage: str) -> OutMessage:
    """Bare /welcome: the welcome as it is written, and how to change it."""
    if current is None:
        return OutMessage(t("{building} has no welcome yet.", building=building.name)
                          + "\n" + usage)
    return OutMessage(t("The welcome of {building}, as written:", building=building.name)
                      + "\n\n" + html_escape(current.text) + "\n\n" + usage)


def welcome_post(t: Translator, building: Building, template: str, user: User) -> OutMessage:
    """A newcomer's welcome in the group (deleted after a while)."""
    return OutMessage(filled(template, building, mention(user)))


def private_welcome(t: Translator, building: Building, rules: str | None,
                    user: User) -> OutMessage:
    """In private to a newcomer who started the bot: the rules and the menu."""
    text = t("Welcome to {building}, {name}!", building=building.name, name=user.display_name)
    if rules:
        text += "\n\n" + t("📜 <b>The rules of {building}</b>", building=building.name)
        text += "\n\n" + filled(rules, building, user.display_name)
    text += "\n\n" + t("The menu is below: press a button when you need help.")
    menu = {"keyboard": [[{"text": label} for label in row]
                         for row in menu_rows(t, Role.RESIDENT)],
            "resize_keyboard": True, "is_persistent": True}
    return OutMessage(text, extra={"reply_markup": menu})


# --- join requests ----------------------------------------------------------------------


def ask_flat(t: Translator, building: Building) -> OutMessage:
    """The first question to someone who asked to join the group."""
    return OutMessage(t(
        "Hello! You asked to join the group of {building}. So that the neighbours know "
        "you live here, please tell me your flat as 楼号-房号, for example 3-502.",
        building=building.name,
    ))


def ask_name(t: Translator) -> OutMessage:
    """The second question: the applicant's name."""
    return OutMessage(t("Thank you. And your name, as the neighbours know you?"))


def sent_to_owners(t: Translator, building: Building) -> OutMessage:
    """The applicant answered: the owners decide now."""
    return OutMessage(t("Thank you! I passed your request to the admins of {building}; "
                        "I will tell you here when they decide.", building=building.name))


def still_waiting(t: Translator, building: Building) -> OutMessage:
    """A second join request while the first waits for the owners."""
    return OutMessage(t("Your request to join {building} is with its admins already; "
                        "I will tell you here when they decide.", building=building.name))


def already_member(t: Translator, building: Building) -> OutMessage:
    """A join request from someone who is in the group already."""
    return OutMessage(t("You are a member of the group of {building} already: there is "
                        "nothing to approve. Open the group to read and write there.",
                        building=building.name))


def approved(t: Translator, building: Building) -> OutMessage:
    """To the applicant: the owners let them in."""
    return OutMessage(t("Welcome! The admins accepted you into the group of {building}.",
                        building=building.name))


def declined(t: Translator, building: Building) -> OutMessage:
    """To the applicant: the owners did not let them in."""
    return OutMessage(t("I am sorry: the admins of {building} did not accept your request to "
                        "join. If you live there, please speak to them.",
                        building=building.name))


def timed_out(t: Translator, building: Building) -> OutMessage:
    """To an applicant who did not answer within the time: declined, kindly."""
    return OutMessage(t("I did not hear from you, so I closed your request to join "
                        "{building} for now. You are welcome to ask again at any time.",
                        building=building.name))


def owners_unreachable(t: Translator) -> OutMessage:
    """In the group, when no admin can get a join request in private."""
    return OutMessage(t("Someone asked to join this group. Admins, please open a private chat "
                        "with me and press Start, so that I can show you join requests."))


def join_card(t: Translator, request: JoinRequest, building: Building, applicant: User | None,
              decider: User | None) -> OutMessage:
    """An applicant's request in an owner's private chat, with Approve / Decline."""
    telegram = applicant.display_name if applicant else str(request.user_id)
    if applicant is not None and applicant.username:
        telegram += f" @{applicant.username}"
    lines = [
        t("🚪 <b>Join request #{id}</b> for {building}", id=request.id, building=building.name),
        t("Name: {name}", name=with_flat(request.name or "—", request.flat)),
        t("On Telegram: {telegram}", telegram=telegram),
    ]
    by = decider.display_name if decider else ""
    outcome = {
        "approved": t("✅ Approved by {name}.", name=by),
        "declined": t("❌ Declined by {name}.", name=by),
        "member": t("ℹ️ Already a member of the group (added meanwhile); the flat is "
                    "recorded. Marked by {name}.", name=by),
        "expired": t("⌛ Declined: no answer in time."),
    }.get(request.state)
    if outcome is not None:
        return OutMessage("\n".join([*lines, "", outcome]))
    row = [
        Button(t.plain("✅ Approve"), button_data(FEATURE, "approve", request.id)),
        Button(t.plain("❌ Decline"), button_data(FEATURE, "decline", request.id)),
    ]
    return OutMessage("\n".join(lines), keyboard(row))


def decided_alert(t: Translator, request: JoinRequest) -> str:
    """The toast after Approve or Decline."""
    if request.state == "member":
        return t.plain("They are a member of the group already; I recorded the flat.")
    if request.state == "approved":
        return t.plain("Approved: they can join now.")
    return t.plain("Declined; I told them kindly.")
