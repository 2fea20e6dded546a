"""Views: every text and keyboard the bot shows, as pure functions of domain values.

Each feature has a module here (``bot.views.requests`` …) whose functions take a
translator and domain values and return an ``OutMessage``. Services decide who hears
what and hand the view's output to the outbox or to the live cards; handlers hand it to
``handlers.common.show``. Neither writes HTML or Bot API payloads itself.
"""

from bot.views.common import (
    Button,
    OutMessage,
    building_names,
    fit,
    keyboard,
    local_time,
    mention,
)

__all__ = [
    "Button",
    "OutMessage",
    "building_names",
    "fit",
    "keyboard",
    "local_time",
    "mention",
]
