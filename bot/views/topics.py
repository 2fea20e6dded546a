"""What forum topics look like: the answers to /topic and the word to the owners when a
chosen topic is closed or deleted."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.core import Building
from bot.domain.topics import TOPIC_KINDS, TopicChoice, TopicKind
from bot.i18n import N_, Html, Translator
from bot.views.common import OutMessage

KIND_NAMES: dict[TopicKind, str] = {
    "notices": N_("Notices"),
    "requests": N_("Help requests"),
    "events": N_("Events"),
}


def kind_name(t: Translator, kind: TopicKind) -> Html:
    """«Notices», «Help requests», «Events» (to fill into another text)."""
    return Html(t(KIND_NAMES[kind]))


def topic_name(t: Translator, choice: TopicChoice) -> Html:
    """A chosen topic as people recognise it: its name, else its number."""
    if choice.name:
        return Html(t("the topic «{name}»", name=choice.name))
    return Html(t("topic #{id}", id=choice.thread_id))


def choices(t: Translator, building: Building, chosen: Sequence[TopicChoice]) -> OutMessage:
    """/topic: where each kind of post goes in the building's group."""
    by_kind = {choice.kind: choice for choice in chosen}
    lines = [t("Where I post in the group of {name}:", name=building.name)]
    for kind in TOPIC_KINDS:
        choice = by_kind.get(kind)
        where = Html(t("the general topic")) if choice is None else topic_name(t, choice)
        lines.append(t("{kind}: {where}", kind=kind_name(t, kind), where=where))
    lines.append(t("Owners: send /topic notices (or requests, events) inside a topic to choose "
                   "it; /topic notices off for the general topic."))
    return OutMessage("\n".join(lines))


def chosen(t: Translator, kind: TopicKind, name: str | None) -> OutMessage:
    """The answer to /topic notices inside a topic."""
    if name:
        return OutMessage(t("From now on I post {kind} in this topic, «{name}».",
                            kind=kind_name(t, kind), name=name))
    return OutMessage(t("From now on I post {kind} in this topic.", kind=kind_name(t, kind)))


def cleared(t: Translator, kind: TopicKind, was_set: bool) -> OutMessage:
    """The answer to /topic notices off."""
    if was_set:
        return OutMessage(t("From now on I post {kind} in the general topic.",
                            kind=kind_name(t, kind)))
    return OutMessage(t("{kind} already go to the general topic.", kind=kind_name(t, kind)))


def topic_gone(
    t: Translator, building: Building, kinds: Sequence[TopicKind], name: str | None
) -> OutMessage:
    """To the owners in private: the topic chosen for some posts is closed or deleted."""
    what = Html(", ".join(kind_name(t, kind) for kind in kinds))
    return OutMessage(t(
        "In the group of {building}, the topic for {kinds} is closed or deleted, so I post "
        "them in the general topic now. To choose a topic again, send /topic {kind} inside it.",
        building=building.name, kinds=what, kind=kinds[0],
    ) + ("" if not name else "\n" + t("(It was «{name}».)", name=name)))
