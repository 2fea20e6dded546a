"""What reminding the rest looks like: the private reminder with its «Got it», the group's
message naming those the bot cannot write to, the owner's answers, and the
«Remind the rest» button. Pure functions of domain values."""

from __future__ import annotations

from collections.abc import Sequence

from bot.callbacks import button_data
from bot.domain.core import User
from bot.domain.notices import Notice, NoticePost, Nudge
from bot.i18n import N_, Translator, html_escape
from bot.views.common import MAX_TEXT, RESERVE, Button, OutMessage, keyboard, mention

FEATURE = "notice"  # the notices' buttons: notice:remind:<notice>, notice:got:<post>
REMINDER_TEXT = 3500  # the notice's first characters in a private reminder

ALREADY_TODAY = N_(
    "The rest were already reminded of notice #{id} today at {time}. You can remind them "
    "again tomorrow."
)


def remind_button(t: Translator, notice_id: int) -> Button:
    """«🔔 Remind the rest» under who confirmed a notice (its owners only, checked again)."""
    return Button(t.plain("🔔 Remind the rest"), button_data(FEATURE, "remind", notice_id))


def reminder(t: Translator, notice: Notice, post: NoticePost) -> OutMessage:
    """The private reminder: the notice's text and a «Got it» that confirms it."""
    body = _cut(notice.text)
    text = "\n\n".join(
        [
            t(
                "🔔 <b>Reminder</b>: please confirm this notice to {building}.",
                building=post.building_name,
            ),
            html_escape(body),
        ]
    )
    confirm = Button(t.plain("Got it"), button_data(FEATURE, "got", post.id))
    return OutMessage(text, keyboard([confirm]))


def _cut(text: str) -> str:
    """The notice's text, shortened so that escaped it stays under REMINDER_TEXT (the
    outbox must not cut the HTML)."""
    if len(html_escape(text)) <= REMINDER_TEXT:
        return text
    end = min(len(text), REMINDER_TEXT)
    while len(html_escape(text[:end])) > REMINDER_TEXT:
        end -= 100
    return text[: max(end, 0)] + "…"


def mentions(t: Translator, users: Sequence[User], reply_to: int | None) -> list[OutMessage]:
    """The group's message naming who has not confirmed, as a reply to the post; split in
    parts under Telegram's limit when the names do not fit in one."""
    head = t("🔔 Please confirm this notice with its «Got it» button or a 收到 reply:")
    extra = {} if reply_to is None else {
        "reply_parameters": {"message_id": reply_to, "allow_sending_without_reply": True}
    }
    parts: list[list[str]] = [[]]
    size = len(head)
    for user in users:
        link = str(mention(user))
        if size + len(link) + 1 > MAX_TEXT - RESERVE and parts[-1]:
            parts.append([])
            size = len(head)
        parts[-1].append(link)
        size += len(link) + 1
    return [OutMessage(head + "\n" + " ".join(part), extra=extra) for part in parts if part]


def done(t: Translator, nudge: Nudge) -> OutMessage:
    """The owner hears whom the round reached."""
    return OutMessage(
        t(
            "🔔 Notice #{id}: I reminded {private} residents in private and mentioned {group} "
            "in the group.",
            id=nudge.notice_id,
            private=nudge.in_private,
            group=nudge.in_group,
        )
    )


def pending_lines(t: Translator, names: Sequence[str]) -> list[str]:
    """Who has not confirmed in one building, for the owner."""
    if not names:
        return []
    head = t("Not confirmed yet ({count}):", count=len(names))
    return [head] + [f"• {html_escape(name)}" for name in names]


def households_line(t: Translator, confirmed: int, known: int) -> str:
    """How many households confirmed, where the bot knows residents' flats."""
    return t("🏠 {confirmed} of {known} households", confirmed=confirmed, known=known)
