"""Emergencies: one urgent message to the chosen buildings, ahead of everything queued.

An emergency is a notice marked urgent, stored in ``notices`` with the message of its
command (a replayed /emergency finds it and posts nothing new). It is posted, pinned and
settled by the notices' own path, with the summary to a sender in private, but its rows
carry the outbox's URGENT priority: the sender takes them before every ordinary row,
under the same Telegram limits, and quiet hours let them through.
"""

from __future__ import annotations

from bot.domain.core import Building
from bot.domain.notices import Notice
from bot.errors import InvalidInput, NotFound
from bot.i18n import N_
from bot.services.community import Actor, Community
from bot.services.notices import (
    ALL_WORDS,
    MAX_LENGTH,
    Draft,
    NoticeService,
    first_word,
    take_buildings,
)
from bot.text import telegram_length, tidy

EMPTY = N_(
    "Write the emergency after the command, for example:\n"
    "/emergency Gas leak in the basement: leave the building now, do not use the lift."
)
EMPTY_IN_PRIVATE = N_(
    "Name the buildings (or all), then write the emergency, for example:\n"
    "/emergency all Gas leak in the basement: leave the building now.\n"
    "/emergency 3号楼,5号楼 Gas leak in the basement: leave the building now."
)
CHOOSE = N_(
    "Which buildings? You are an owner of {names}. Write /emergency all followed by the "
    "text, or name the buildings with commas: /emergency 3号楼,5号楼 followed by the text."
)
TOO_LONG = N_(
    "The emergency is too long: {length} characters, at most {limit}. I do not cut an "
    "emergency; please shorten it."
)


class EmergencyService:
    """Reads an /emergency and posts it as an urgent notice."""

    def __init__(self, *, notices: NoticeService, community: Community) -> None:
        self.notices = notices
        self.community = community

    async def draft(self, text: str, owned: list[Building] | None) -> Draft:
        """Read ``/emergency`` in a group (``owned`` None: the text alone) or in private:
        ``all`` or building names first, which may be left out by an owner of one building."""
        if owned is None:
            return Draft(emergency_text(text, EMPTY), pin=True, urgent=True)
        rest = tidy(text)
        if not rest:
            raise InvalidInput(EMPTY_IN_PRIVATE)
        word, tail = first_word(rest)
        if word.lower() in ALL_WORDS:
            body, to_all, picked = tail, True, tuple[Building, ...]()
        else:
            body, to_all, picked = await self._named(rest, owned)
        return Draft(
            emergency_text(body, EMPTY_IN_PRIVATE),
            pin=True,
            to_all=to_all,
            buildings=picked,
            urgent=True,
        )

    async def _named(
        self, text: str, owned: list[Building]
    ) -> tuple[str, bool, tuple[Building, ...]]:
        """The buildings named first; an owner of only one may name none."""
        known = await self.community.buildings.all(active_only=False)
        try:
            picked, body = take_buildings(text, known)
        except NotFound:
            if len(owned) == 1:
                return text, False, (owned[0],)
            raise InvalidInput(
                CHOOSE, names=", ".join(b.name for b in owned[:50]) or "—"
            ) from None
        return body, False, tuple(picked)

    async def send(
        self,
        actor: Actor,
        origin_chat_id: int,
        buildings: list[Building],
        draft: Draft,
        source_message_id: int | None,
    ) -> Notice:
        """Post the emergency to these buildings (the actor must own every one) at once."""
        return await self.notices.create(actor, origin_chat_id, buildings, draft, source_message_id)


def emergency_text(text: str, empty: str) -> str:
    """The emergency's text, refused when empty or over Telegram's limit (never cut: a
    warning that lost its end could say the wrong thing)."""
    body = tidy(text)
    if not body:
        raise InvalidInput(empty)
    length = telegram_length(body)
    if length > MAX_LENGTH:
        raise InvalidInput(TOO_LONG, length=length, limit=MAX_LENGTH)
    return body
