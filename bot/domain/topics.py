"""Forum topics: where in a building's group (a supergroup with topics) each kind of post goes."""

from __future__ import annotations

from typing import Literal

from bot.domain.core import Model

TopicKind = Literal["notices", "requests", "events"]
TOPIC_KINDS: tuple[TopicKind, ...] = ("notices", "requests", "events")


class TopicChoice(Model):
    """The topic an owner chose for one kind of post in a building's group."""

    building_id: int
    kind: TopicKind
    thread_id: int
    name: str | None = None
