"""Every text and keyboard of help requests, as pure functions of domain values.

The request card is drawn here for one viewer: the volunteer who took the request sees
Done and Give back, the others see who took it, and nobody sees Claim once it is taken.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.callbacks import button_data
from bot.domain.core import Building, User
from bot.domain.outages import Outage
from bot.domain.requests import (
    ANONYMOUS_CATEGORIES,
    Attachment,
    History,
    Identity,
    Opened,
    Request,
    RequestEvent,
    RequestLine,
    Status,
)
from bot.i18n import N_, Html, Translator, html_escape
from bot.views import outages as outage_views
from bot.views.common import Button, OutMessage, fit, keyboard, mention, with_flat
from bot.views.relay import reply_button

FEATURE = "requests"  # the feature part of this feature's button payloads

CATEGORIES = {  # code -> label
    "repair": N_("repair"),
    "errand": N_("errand"),
    "health": N_("health"),
    "elderly": N_("elderly care"),
    "safety": N_("safety hazard"),
    "dispute": N_("dispute"),
    "other": N_("other"),
}
STATES = {
    "open": N_("waiting for a volunteer"),
    "claimed": N_("taken by {name}"),
    "done": N_("done"),
    "cancelled": N_("cancelled"),
}
OPENED = {
    "duty": N_(
        "Request #{number} is registered ({category}). The volunteers on duty in {building} "
        "have it now; I will tell you when one of them takes it."
    ),
    "all": N_(
        "Request #{number} is registered ({category}). Nobody is on duty in {building} right "
        "now, so I have sent it to all its volunteers; I will tell you when one of them takes it."
    ),
    "owners": N_(
        "Request #{number} is registered ({category}). {building} has no volunteer yet, so I "
        "have sent it to the building's owners."
    ),
}
EVENTS = {
    "opened": N_("opened by {who}"),
    "attached": N_("📎 {who} added an attachment"),
    "routed:duty": N_("sent to the volunteers on duty ({count})"),
    "routed:all": N_("sent to the volunteers of the building ({count})"),
    "routed:owners": N_("sent to the owners ({count})"),
    "escalated:volunteers": N_("nobody took it yet: sent to every volunteer ({count})"),
    "escalated:owners": N_("still nobody: sent to the owners ({count})"),
    "claimed": N_("taken by {who}"),
    "released": N_("given back by {who}"),
    "done": N_("done by {who}"),
    "cancelled": N_("cancelled by {who}"),
    "rated": N_("rated {detail}⭐ by {who}"),
    "reminded": N_("reminder sent to {who}"),
    "unreachable": N_("could not reach {who} (no private chat with me)"),
    "waiting": N_("⏳ set waiting by {who}"),
    "resumed": N_("▶️ taken up again by {who}"),
    "wait_over": N_("⏰ the waiting date came: back in progress"),
    "note": N_("🔒 internal note by {who}"),
    "reopened": N_("🔁 reopened by {who}: not fixed"),
    "routed:first": N_("offered first to the volunteer who did it"),
    "told": N_("💬 {who} wrote to the resident"),
    "answered": N_("💬 {who} answered the volunteer"),
    "undelivered": N_("⚠️ a message could not reach {who}"),
}
# Where a request stands, as /status says it.
STAGES = {
    "received": N_("received"),
    "in_progress": N_("in progress"),
    "waiting": N_("waiting"),
    "done": N_("closed"),
    "cancelled": N_("cancelled"),
}
DETAILS = {  # who a request was sent to, as the history column says it
    "duty": N_("volunteers on duty ({count})"),
    "all": N_("all volunteers ({count})"),
    "volunteers": N_("all volunteers ({count})"),
    "owners": N_("owners ({count})"),
    "first": N_("the volunteer who did it ({count})"),
}
MEDIA_WORDS = {
    "photo": N_("photo"), "voice": N_("voice note"), "video": N_("video"),
    "location": N_("location"),
}  # fmt: skip
_UTC = ZoneInfo("UTC")
MAX_CAPTION_TEXT = 900  # of Telegram's 1024 for a caption, with room for the heading
SHOWN_TEXT = 80  # how much of a request's text a list line shows


def category_label(code: str) -> str:
    """The message id of a category's name."""
    return CATEGORIES.get(code, CATEGORIES["other"])


def hours_content(t: Translator, request: Request) -> str:
    """What a done request's hours entry says it was (no words of the resident's: the
    certificate is shown to others)."""
    return t.plain("Help request #{number} ({category})", number=request.number,
                   category=t.plain(category_label(request.category)))


def state_text(t: Translator, state: str, claimer: str | None) -> str:
    """A request's state in words."""
    return t(STATES.get(state, state), name=claimer or "—")


def day_text(moment: float, tz: ZoneInfo) -> str:
    """A date as people write it: 2026-12-05."""
    return datetime.fromtimestamp(moment, tz).date().isoformat()


def waiting_words(t: Translator, request: Request, tz: ZoneInfo, reason: bool = True) -> str:
    """«waiting until 2026-12-05: the part is ordered» (the reason only if there is one, and
    only in private: the resident was told it there)."""
    text = t("⏳ waiting until {day}", day=day_text(request.waiting_until or 0, tz))
    if reason and request.waiting_reason:
        text += t.plain(N_(": ")) + html_escape(request.waiting_reason)
    return text


def line_state(
    t: Translator, request: Request, claimer: str | None, tz: ZoneInfo, reason: bool = True
) -> str:
    """A request's state in words, with its waiting date when it waits."""
    text = state_text(t, request.state, claimer)
    if request.waiting:
        text += " · " + waiting_words(t, request, tz, reason)
    return text


def anonymous_resident(t: Translator, building: str) -> str:
    """Who sent an anonymous request, as volunteers and owners read it: «a resident of 3号楼»."""
    return t.plain(N_("a resident of {building}"), building=building)


def listed_here(request: Request, chat_id: int) -> bool:
    """Whether a request may appear in a list in this chat: an anonymous one never in a
    group (the group sees nothing of it)."""
    return chat_id > 0 or not request.anonymous


def readable_here(request: Request, chat_id: int) -> bool:
    """Whether a request's words (its text, why it waits) may be shown in this chat: in
    private, or in the group where it was asked."""
    return chat_id > 0 or chat_id == request.source_chat_id


# --- the card -------------------------------------------------------------------------------


def card(
    t: Translator,
    request: Request,
    viewer: int,
    *,
    building: str,
    resident: str,
    claimer: str,
    tz: ZoneInfo | None = None,
    outage: Outage | None = None,
) -> OutMessage:
    """The request card as ``viewer`` sees it in the request's state now (and the outage
    it was opened during)."""
    text = t(
        "<b>Help request #{number}</b> · {building}\nCategory: {category}\nFrom: {resident}",
        number=request.number,
        building=building,
        category=t.plain(category_label(request.category)),
        resident=resident,
    )
    text += "\n\n" + html_escape(request.text)
    if outage is not None:
        text += "\n" + outage_views.during(t, outage, tz or ZoneInfo("UTC"))
    if request.reopened and request.state == "open":
        text += "\n\n" + t("🔁 The resident reopened this request: it is not fixed yet.")
    status = card_status(t, request, viewer, claimer)
    if status:
        text += "\n\n" + status
    if request.waiting:
        text += "\n" + waiting_words(t, request, tz or ZoneInfo("UTC"))
    return OutMessage(text, card_buttons(t, request, viewer))


def waited(t: Translator, shown: OutMessage, minutes: float) -> OutMessage:
    """A card sent to the owners because nobody took the request: it says how long it waited."""
    return OutMessage(f"⏰ {waited_text(t, minutes)}\n\n{shown.text}", shown.buttons)


def waited_text(t: Translator, minutes: float) -> str:
    """How long nobody took a request, in seconds under a minute (never "0 minutes")."""
    if minutes < 1:
        seconds = max(1, round(minutes * 60))
        return t.plural(
            "No volunteer has taken this request in {count} second.",
            "No volunteer has taken this request in {count} seconds.",
            seconds,
        )
    return t.plural(
        "No volunteer has taken this request in {count} minute.",
        "No volunteer has taken this request in {count} minutes.",
        round(minutes),
    )


def card_status(t: Translator, request: Request, viewer: int, claimer: str) -> str:
    """The card's last line: who has the request (empty while it is open)."""
    if request.state == "claimed" and request.claimer_id == viewer:
        return t(
            "✅ You took this request. When it is done, press Done or send /done {number} "
            "with a note.",
            number=request.number,
        )
    if request.state == "claimed":
        return t("🔒 Taken by {name}.", name=claimer)
    if request.state == "done":
        return t("✔️ Done by {name}.", name=claimer)
    if request.state == "cancelled":
        return t("✖️ Cancelled by the resident.")
    return ""


def card_buttons(t: Translator, request: Request, viewer: int) -> tuple[tuple[Button, ...], ...]:
    """Claim while open; Done and Give back for the one who took it; Details always."""

    def press(label: str, action: str) -> Button:
        return Button(t.plain(label), button_data(FEATURE, action, request.id))

    first: list[Button] = []
    last = [press(N_("📜 Details"), "details")]
    if request.state == "open":
        first = [press(N_("🙋 Claim"), "claim")]
    elif request.state == "claimed" and request.claimer_id == viewer:
        first = [press(N_("✔️ Done"), "done"), press(N_("↩️ Give back"), "release")]
        pause = (N_("▶️ Resume"), "resume") if request.waiting else (N_("⏳ Waiting…"), "wait")
        last[:0] = [press(*pause), reply_button(t, request.id)]
    return keyboard(first, last)


# --- what the resident hears ---------------------------------------------------------------


def claimed_for_resident(t: Translator, request: Request, volunteer: str) -> OutMessage:
    """A volunteer took the resident's request."""
    return OutMessage(
        t(
            "Good news: {volunteer} has taken your request #{number} and will contact you.",
            volunteer=volunteer,
            number=request.number,
        )
    )


def released_for_resident(t: Translator, request: Request, volunteer: str) -> OutMessage:
    """The volunteer gave the resident's request back."""
    return OutMessage(
        t(
            "{volunteer} had to give your request #{number} back. I am looking for another "
            "volunteer.",
            volunteer=volunteer,
            number=request.number,
        )
    )


def done_for_resident(t: Translator, request: Request, volunteer: str) -> OutMessage:
    """The request is done: the volunteer's note, and the stars to rate it."""
    text = t(
        "Your request #{number} is done ({volunteer}).", number=request.number, volunteer=volunteer
    )
    if request.note:
        text += "\n" + t("Note: {note}", note=request.note)
    text += "\n" + t("How was the help? Please rate it:")
    text += "\n" + t("Not fixed after all? Press «Not fixed» and it goes back to the volunteer.")
    return OutMessage(text, rating_buttons(t, request.number))


def withdrawn_for_volunteer(t: Translator, request: Request) -> OutMessage:
    """/forgetme cancelled a request the volunteer had taken: no need to go."""
    return OutMessage(
        t(
            "Request #{number} is withdrawn: the resident asked me to forget their data. "
            "You need not do it; thank you for taking it.",
            number=request.number,
        )
    )


def rating_buttons(t: Translator, number: int) -> tuple[tuple[Button, ...], ...]:
    """One to five stars, and Not fixed (which reopens the request)."""
    return keyboard(
        [Button(f"{stars}⭐", button_data(FEATURE, "rate", number, stars))
         for stars in range(1, 6)],
        [reopen_button(t, number)],
    )


def reopen_button(t: Translator, number: int) -> Button:
    """Not fixed: the resident reopens a done request."""
    return Button(t.plain(N_("❌ Not fixed")), button_data(FEATURE, "reopen", number))


def waiting_for_resident(
    t: Translator, request: Request, volunteer: str, tz: ZoneInfo
) -> OutMessage:
    """In private: the resident's request waits, who set it, until when, and why."""
    text = t(
        "Your request #{number} is waiting until {day} ({volunteer}).",
        number=request.number,
        volunteer=volunteer,
        day=day_text(request.waiting_until or 0, tz),
    )
    if request.waiting_reason:
        text += "\n" + t("Why: {reason}", reason=request.waiting_reason)
    return OutMessage(text)


def resumed_for_resident(t: Translator, request: Request, volunteer: str) -> OutMessage:
    """In private: the volunteer is on the resident's request again."""
    return OutMessage(
        t("{volunteer} is working on your request #{number} again.",
          volunteer=volunteer, number=request.number)
    )


# --- what the group, the owners and the volunteers hear ------------------------------------


def unreachable(t: Translator, volunteer: User, number: int) -> OutMessage:
    """In the group: a volunteer the card cannot reach (without the request's text)."""
    return OutMessage(
        t(
            "{mention}, there is a help request for you (#{number}), but I cannot write "
            "to you. Please open a private chat with me and press Start.",
            mention=mention(volunteer),
            number=number,
        )
    )


def unreachable_for_owner(t: Translator, volunteer: User, building: Building) -> OutMessage:
    """To an owner: a volunteer of theirs has not opened a chat with the bot."""
    return OutMessage(
        t(
            "{name}, a volunteer of {building}, has not opened a private chat with me, so "
            "request cards cannot reach them. Please ask them to open a chat with me and "
            "press Start.",
            name=volunteer.display_name,
            building=building.name,
        )
    )


def reminder(t: Translator, request: Request, hours: int) -> OutMessage:
    """To the volunteer who took a request long ago."""
    return OutMessage(
        t(
            "Reminder: you took request #{number} ({category}) {hours} hours ago. When it is "
            "done, send /done {number} with a note; if you cannot do it, send /release {number}.",
            number=request.number,
            category=t.plain(category_label(request.category)),
            hours=hours,
        )
    )


def question_expired(t: Translator) -> OutMessage:
    """The bot no longer waits for the text of a bare /request."""
    return OutMessage(
        t(
            "I stopped waiting for the text of your request. Send /request again when you "
            "are ready."
        )
    )


# --- replies to /request -------------------------------------------------------------------


def opened(t: Translator, result: Opened) -> OutMessage:
    """The answer to a /request: its number, and who has it now (and, sent without the
    name, what the volunteers read instead)."""
    text = t(
        OPENED.get(result.audience, OPENED["all"]),
        number=result.request.number,
        category=t.plain(category_label(result.request.category)),
        building=result.building.name,
    )
    if result.request.anonymous:
        text += "\n\n" + t(
            "🙈 Your name is not shown: the volunteers read «{who}». Only the community "
            "admins can see who asked. I will tell you here how it goes.",
            who=anonymous_resident(t, result.building.name),
        )
    return OutMessage(text)


def building_choice(
    t: Translator, draft_id: int, buildings: Sequence[Building], category: str | None = None
) -> OutMessage:
    """One button for each building; the payload names the stored draft, not the text (and
    the category picked under an offer, a code)."""
    extra = () if category is None else (category,)
    rows = [
        [Button(b.name, button_data(FEATURE, "building", draft_id, b.id, *extra))]
        for b in buildings
    ]
    return OutMessage(t("Which building is this request for?"), keyboard(*rows))


def offer(
    t: Translator, draft_id: int, text: str, chosen: str, hidden: bool = False
) -> OutMessage:
    """The answer to plain words in private: register them as a help request? The category
    buttons pick another one (the chosen has a tick); Confirm opens it with one tap. For a
    dispute or a safety report, «Don't show my name» is a toggle (``hidden``: it is on)."""
    codes = list(CATEGORIES)
    buttons = [
        Button(
            ("✓ " if code == chosen else "") + t.plain(CATEGORIES[code]),
            button_data(FEATURE, "offer", draft_id, code),
        )
        for code in codes
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    confirm = Button(
        t.plain(N_("✅ Ask the volunteers")), button_data(FEATURE, "confirm", draft_id, chosen)
    )
    body = t(
        "I can pass this on to the volunteers as a help request:\n"
        "<i>{text}</i>\n\n"
        "Category: <b>{category}</b> (tap another one if it fits better).\n"
        "Tap the button below to send it, or just ignore this message.",
        text=text,
        category=t.plain(category_label(chosen)),
    )
    if chosen not in ANONYMOUS_CATEGORIES:
        return OutMessage(body, keyboard(*rows, [confirm]))
    if hidden:
        body += "\n\n" + t("🙈 Your name will not be shown to the volunteers.")
    label = N_("✓ 🙈 My name is hidden") if hidden else N_("🙈 Don't show my name")
    toggle = Button(
        t.plain(label), button_data(FEATURE, "anon", draft_id, chosen, 0 if hidden else 1)
    )
    return OutMessage(body, keyboard(*rows, [toggle], [confirm]))


def question_text(t: Translator, minutes: int) -> str:
    """The question after a bare /request (sent as a forced reply)."""
    return t(
        "What do you need help with? Reply to this message with a few words "
        "(I will wait {minutes} minutes).",
        minutes=minutes,
    )


# --- lists -----------------------------------------------------------------------------------


def mine(
    t: Translator, lines: Sequence[RequestLine], chat_id: int, tz: ZoneInfo = _UTC
) -> OutMessage:
    """/myrequests: the resident's requests and where each stands."""
    if not lines:
        return OutMessage(t("You have no requests yet. Ask for help with /request."))
    lines = [line for line in lines if listed_here(line, chat_id)]
    if not lines:
        return OutMessage(t("You have no requests yet. Ask for help with /request."))
    rows = [t("<b>Your requests</b>")] + [listed(t, line, chat_id, tz) for line in lines]
    return OutMessage(fit(t, rows))


def waiting(
    t: Translator,
    lines: Sequence[RequestLine],
    chat_id: int,
    paused: Sequence[RequestLine] = (),
    tz: ZoneInfo = _UTC,
) -> OutMessage:
    """/open: the open requests a volunteer may take, and those that wait on something."""
    lines = [line for line in lines if listed_here(line, chat_id)]
    paused = [line for line in paused if listed_here(line, chat_id)]
    if not lines and not paused:
        return OutMessage(t("No request is waiting. Thank you for looking!"))
    rows = []
    if lines:
        rows.append(t("<b>Open requests</b> (take one with /claim N)"))
        rows += [listed(t, line, chat_id, tz) for line in lines]
    if paused:
        rows.append(t("<b>Waiting on something</b>"))
        rows += [listed(t, line, chat_id, tz) for line in paused]
    return OutMessage(fit(t, rows))


def listed(t: Translator, line: RequestLine, chat_id: int, tz: ZoneInfo = _UTC) -> str:
    """One line of a list; the text only where it was asked, or in private."""
    category = t(category_label(line.category))
    state = line_state(t, line, line.claimer_name, tz, reason=chat_id > 0)
    text = f"#{line.number} · {html_escape(line.building_name)} · {category} — {state}"
    if line.media:
        text += " · " + t("📎 {count}", count=line.media)
    if readable_here(line, chat_id):
        shown = line.text if len(line.text) <= SHOWN_TEXT else line.text[: SHOWN_TEXT - 1] + "…"
        text += "\n    " + html_escape(shown)
    return text


# --- answers to the moves ----------------------------------------------------------------------


def claimed_text(t: Translator, number: int) -> str:
    """The answer to a successful claim."""
    return t(
        "You took #{number}. Thank you! When it is done, send /done {number} with a note.",
        number=number,
    )


def released_text(t: Translator, number: int) -> str:
    """The answer to a release."""
    return t("You gave #{number} back. It goes to the other volunteers again.", number=number)


def done_text(t: Translator, number: int) -> str:
    """The answer to a finish."""
    return t("#{number} is done. Thank you for your help!", number=number)


def cancelled_text(t: Translator, number: int) -> str:
    """The answer to a cancel."""
    return t("Your request #{number} is cancelled.", number=number)


def rated(t: Translator, number: int, stars: int) -> OutMessage:
    """The rating message once pressed: the score given, in place of the question (Not
    fixed stays)."""
    return OutMessage(
        t(
            "Your request #{number} is done. You rated the help {stars} — thank you!",
            number=number,
            stars="⭐" * stars,
        ),
        keyboard([reopen_button(t, number)]),
    )


def rated_text(t: Translator, number: int) -> str:
    """The answer to a rating."""
    return t("Thank you for rating #{number}!", number=number)


# --- Details -----------------------------------------------------------------------------------


def history(t: Translator, shown: History, tz: ZoneInfo) -> OutMessage:
    """A request's card head and its events with their local times."""
    request = shown.request
    claimer = next((e.actor_name for e in reversed(shown.events) if e.kind == "claimed"), None)
    lines = [
        t(
            "<b>Request #{number}</b> · {building} · {state}",
            number=request.number,
            building=shown.building.name,
            state=Html(line_state(t, request, claimer, tz)),
        )
    ]
    resident = anonymous_resident(t, shown.building.name)
    for event in shown.events:
        # Month and day only: a request's life is short, and a line must stay short.
        when = datetime.fromtimestamp(event.at, tz).strftime("%m-%d %H:%M")
        lines.append(f"{when} — {event_text(t, event, resident=resident)}")
    if shown.media:
        lines.append(attachments_line(t, shown.media))
    return OutMessage(fit(t, lines))


def event_text(
    t: Translator, event: RequestEvent, details: bool = True, resident: str = "—"
) -> str:
    """One event in words (``details``: with the words of a note, a done note, a reason;
    ``resident``: who the resident of an anonymous request is said to be)."""
    audience, _sep, count = event.detail.partition(":")
    message = EVENTS.get(f"{event.kind}:{audience}") or EVENTS.get(event.kind)
    if message is None:
        return event.kind
    who = resident if event.anonymous else event.actor_name or "—"
    text = t(message, who=who, count=count, detail=event.detail)
    colon = t.plain(N_(": "))
    if not details:
        return text
    if event.kind == "done" and event.detail:
        text += ": " + html_escape(event.detail)
    if event.kind in ("note", "told", "answered"):
        text += colon + html_escape(event.detail)
    if event.kind == "waiting":
        day, _space, reason = event.detail.partition(" ")
        text += " " + t("until {day}", day=day) + (colon + html_escape(reason) if reason else "")
    return text


def detail_words(t: Translator, kind: str, detail: str) -> str:
    """An event's stored detail in plain words ("维修", "值班志愿者（2）"), never a code such
    as "repair" or "duty:2" (for the spreadsheet's history column)."""
    audience, _sep, count = detail.partition(":")
    if kind == "opened":
        return t.plain(category_label(detail))
    if kind == "attached":
        return t.plain(MEDIA_WORDS.get(detail, detail))
    if kind == "rated":
        return "⭐" * int(detail) if detail.isdigit() and int(detail) <= 5 else detail
    if kind in ("routed", "escalated") and audience in DETAILS:
        return t.plain(DETAILS[audience], count=count or "0")
    if kind in ("note", "undelivered"):
        return t.plain(N_("[internal, not shown to the resident] {text}"), text=detail)
    return detail


def skill_words(t: Translator, skills: Sequence[str]) -> str:
    """Volunteer skills as words in the reader's language ("维修、跑腿代办"), not codes."""
    words = [
        t.plain(CATEGORIES[skill.lower()]) if skill.lower() in CATEGORIES
        else skill.replace("_", " ")
        for skill in skills
    ]
    return t.plain(N_(", ")).join(words)


# --- attachments --------------------------------------------------------------------------


def media_caption(t: Translator, number: int, caption: str) -> str:
    """An attachment's caption on a volunteer's copy: the request's number and the
    resident's words, cut cleanly under Telegram's caption limit (before escaping, so that
    no entity is cut in half)."""
    words = " ".join(caption.split())
    if len(words) > MAX_CAPTION_TEXT:
        words = words[: MAX_CAPTION_TEXT - 1].rstrip() + "…"
    heading = t("📎 Request #{number}", number=number)
    return heading + ("\n" + html_escape(words) if words else "")


def media_question(
    t: Translator, media_id: int, open_lines: Sequence[RequestLine]
) -> OutMessage:
    """Which request does this photo (voice note, video, location) belong to?"""
    rows = [[Button(t.plain(N_("🆕 A new request")), button_data(FEATURE, "mnew", media_id))]]
    for line in open_lines[:5]:
        shown = " ".join(line.text.split())
        shown = shown if len(shown) <= 20 else shown[:19] + "…"
        rows.append([Button(f"#{line.number} {shown}",
                            button_data(FEATURE, "mto", media_id, line.number))])
    return OutMessage(
        t("Is this for a new help request, or for one of your open requests?"), keyboard(*rows)
    )


def media_attached(t: Translator, number: int) -> str:
    """The answer once an attachment joined a request."""
    return t("Added to request #{number}: the volunteers get it too.", number=number)


def attachments_line(t: Translator, media: Sequence[Attachment]) -> str:
    """What a request came with, for Details: «📎 photo ×2, location»."""
    counts: dict[str, int] = {}
    for item in media:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    parts = [t.plain(MEDIA_WORDS[k]) + (f" ×{n}" if n > 1 else "") for k, n in counts.items()]
    return t("📎 Attachments: {items}", items=", ".join(parts))


# --- real cases: waiting, notes, status, reopening -----------------------------------------


def wait_choice(t: Translator, number: int) -> OutMessage:
    """Waiting…: how long the request waits."""
    labels = {1: N_("1 day"), 3: N_("3 days"), 7: N_("a week")}
    return OutMessage(
        t("How long does #{number} wait? The reminders pause until then.", number=number),
        keyboard([Button(t.plain(label), button_data(FEATURE, "waitdays", number, days))
                  for days, label in labels.items()]),
    )


def wait_question(t: Translator, number: int, days: int, until: float, tz: ZoneInfo) -> OutMessage:
    """Why does it wait? The resident reads the answer (a stored prompt waits for it)."""
    return OutMessage(
        t(
            "#{number} will wait until {day}. Why? Reply with a few words for the resident "
            "(for example: waiting for the part), or press the button.",
            number=number,
            day=day_text(until, tz),
        ),
        keyboard([Button(t.plain(N_("Without a reason")),
                         button_data(FEATURE, "waitnow", number, days))]),
    )


def waiting_text(t: Translator, request: Request, tz: ZoneInfo) -> str:
    """The answer to /wait: until when; the resident is told."""
    return t(
        "#{number} waits until {day}. I will remind you then; the resident is told.",
        number=request.number,
        day=day_text(request.waiting_until or 0, tz),
    )


def resumed_text(t: Translator, number: int) -> str:
    """The answer to Resume."""
    return t("#{number} is in progress again. When it is done, send /done {number}.",
             number=number)


def wait_over(t: Translator, request: Request) -> OutMessage:
    """To the claimer on the date a request waited until."""
    return OutMessage(
        t(
            "Request #{number} ({category}) waited until today and is in progress again. "
            "When it is done, send /done {number}; if it must wait longer, send /wait {number} "
            "and a date.",
            number=request.number,
            category=t.plain(category_label(request.category)),
        )
    )


def reason_expired(t: Translator) -> OutMessage:
    """The bot no longer waits for the reason of a wait: nothing changed."""
    return OutMessage(
        t("I stopped waiting for the reason; the request did not change. Press «Waiting…» "
          "on its card again when you are ready.")
    )


def note_added_text(t: Translator, number: int) -> str:
    """The answer to /note: who can read it."""
    return t(
        "Note added to #{number}. Only the building's volunteers and owners see it, in "
        "Details; the resident does not.",
        number=number,
    )


def status(t: Translator, shown: Status, tz: ZoneInfo, chat_id: int) -> OutMessage:
    """/status N: where the request stands and its last public step (in a group, without
    the words: why it waits, the done note; the resident heard those in private)."""
    request = shown.request
    words = chat_id > 0
    if request.anonymous and not words:
        return OutMessage(t("#{number} is not shown in a group. Please ask me in private: "
                            "/status {number}", number=request.number))
    text = t(
        "<b>Request #{number}</b> · {building} · {category}\nStatus: <b>{stage}</b>",
        number=request.number,
        building=shown.building.name,
        category=t.plain(category_label(request.category)),
        stage=t.plain(STAGES[request.stage]),
    )
    if request.waiting:
        text += "\n" + waiting_words(t, request, tz, words)
    if shown.last is not None:
        when = datetime.fromtimestamp(shown.last.at, tz).strftime("%m-%d %H:%M")
        resident = anonymous_resident(t, shown.building.name)
        text += "\n" + t("Last step: {when} — {step}", when=when,
                          step=Html(event_text(t, shown.last, words, resident)))
    return OutMessage(text)


def reopened_text(t: Translator, number: int) -> str:
    """The answer to Not fixed."""
    return t(
        "Request #{number} is open again. I have asked the volunteer who did it to come "
        "back to it first.",
        number=number,
    )


# --- anonymous reports ------------------------------------------------------------------------


def whois(t: Translator, shown: Identity, tz: ZoneInfo) -> OutMessage:
    """/whois N, for a community admin: who sent the anonymous request, and who looked."""
    request, resident = shown.request, shown.resident
    name = resident.display_name if resident else str(request.resident_id)
    if resident is not None and resident.username:
        name += f" @{resident.username}"
    lines = [
        t(
            "🙈 Request #{number} ({building}, {category}) was sent without the name by "
            "<b>{name}</b>.",
            number=request.number,
            building=shown.building.name,
            category=t.plain(category_label(request.category)),
            name=with_flat(name, shown.flat),
        ),
        t("Keep it to yourself: the volunteers and owners do not see it. Every look-up is "
          "recorded:"),
    ]
    for lookup in shown.lookups:
        when = datetime.fromtimestamp(lookup.at, tz).strftime("%Y-%m-%d %H:%M")
        lines.append(t("• {when} {name}", when=when, name=lookup.admin_name or lookup.admin_id))
    return OutMessage(fit(t, lines))
