"""What an emergency's sender reads (the post itself and the summary are the notices' views,
``bot.views.notices.post`` and ``summary``, which show an urgent notice as an emergency)."""

from __future__ import annotations

from bot.domain.notices import Notice
from bot.i18n import Translator
from bot.views.common import OutMessage


def on_its_way(t: Translator, notice: Notice, groups: int) -> OutMessage:
    """The answer to an /emergency from a private chat."""
    return OutMessage(
        t(
            "🚨 Emergency #{id} is going out now to {count} groups, ahead of every other "
            "message, with notification, and pinned. I will tell you where it arrived and "
            "where not.",
            id=notice.id,
            count=groups,
        )
    )
