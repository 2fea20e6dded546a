"""Antiflood in building groups (``groups.antiflood``, off by default): a member who joined
lately and sends a burst of messages, or a link, is muted (restrictChatMember, through the
outbox) and the owners are told in private with an Unmute button.

The burst is counted in memory: a restart forgets a few seconds of messages, which at worst
lets one burst through. The mute itself is stored, with one active mute per person and
group, so that a replayed update mutes nobody twice.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque

from bot.clock import Clock
from bot.config import Settings
from bot.domain.core import Building, Mute
from bot.errors import Conflict, NotFound
from bot.i18n import N_
from bot.outbox import Outbox
from bot.services.community import Actor, Community, Role
from bot.services.people import People
from bot.views import care as views
from storage.db import Database, Transaction
from storage.flood import MuteRepository

LINK = re.compile(r"(https?://|\bt\.me/|\btelegram\.me/|\bwww\.)\S", re.IGNORECASE)
NOTICE_KIND = "mute_notice"
CALL_KIND = "mute_call"
SILENT = {"can_send_messages": False, "can_send_audios": False, "can_send_documents": False,
          "can_send_photos": False, "can_send_videos": False, "can_send_video_notes": False,
          "can_send_voice_notes": False, "can_send_polls": False,
          "can_send_other_messages": False, "can_add_web_page_previews": False}
SPEAKING = dict.fromkeys(SILENT, True)


def has_link(text: str) -> bool:
    """Whether a message's text holds a web or Telegram link."""
    return bool(LINK.search(text))


class FloodGuard:
    """Mutes new members who flood a building group or post links; owners lift it."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        config: Settings,
        outbox: Outbox,
        community: Community,
        people: People,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.settings = config.groups
        self.outbox = outbox
        self.community = community
        self.people = people
        self.repo = MuteRepository(db)
        self._recent: defaultdict[tuple[int, int], deque[float]] = defaultdict(deque)

    async def message(self, chat_id: int, user_id: int, link: bool) -> Mute | None:
        """A member wrote in a group: mute them if they are new and flood or post a link."""
        if not self.settings.antiflood:
            return None
        reason = self._reason(chat_id, user_id, link)
        if reason is None:
            return None
        building = await self.community.buildings.by_chat(chat_id)
        if building is None or user_id in await self._owners(building):
            return None
        joined = await self.repo.joined_at(chat_id, user_id)
        now = self.clock.now()
        if joined is None or now - joined > self.settings.new_member_hours * 3600:
            return None
        if not await self.repo.can_restrict(chat_id):
            return None
        async with self.db.transaction() as tx:
            mute = await self.repo.add(tx, chat_id, user_id, reason, now)
            if mute is not None:
                await self._restrict(tx, mute, SILENT, "on")
                await self._tell_owners(tx, mute, building)
        return mute

    def _reason(self, chat_id: int, user_id: int, link: bool) -> str | None:
        """"link", "burst" (more than burst_messages within burst_seconds), or None."""
        now = self.clock.now()
        recent = self._recent[(chat_id, user_id)]
        recent.append(now)
        while recent and recent[0] < now - self.settings.burst_seconds:
            recent.popleft()
        if link and self.settings.mute_links:
            return "link"
        if len(recent) > self.settings.burst_messages:
            recent.clear()
            return "burst"
        return None

    async def building_of(self, mute_id: int) -> Building:
        """The building a mute was made in (its owners may lift it)."""
        mute = await self.repo.get(mute_id)
        building = await self.community.buildings.by_chat(mute.chat_id) if mute else None
        if building is None:
            raise NotFound(N_("This button is no longer valid."))
        return building

    async def unmute(self, actor: Actor, mute_id: int) -> Mute:
        """Unmute pressed: an owner of the building lifts the mute (checked on every press)."""
        building = await self.building_of(mute_id)
        await self.community.require(actor, building, Role.OWNER)
        async with self.db.transaction() as tx:
            mute = await self.repo.lift(tx, mute_id, actor.user_id, self.clock.now())
            if mute is None:
                raise Conflict(N_("This member was unmuted already."))
            await self._restrict(tx, mute, SPEAKING, "off")
        return mute

    async def _owners(self, building: Building) -> list[int]:
        admins, _fetched = await self.community.buildings.admins(building.chat_id)
        return list(dict.fromkeys([*admins, *self.config.community.admins]))

    async def _restrict(
        self, tx: Transaction, mute: Mute, permissions: dict[str, bool], step: str
    ) -> None:
        await self.outbox.queue_call(
            tx, mute.chat_id, "restrictChatMember",
            {"user_id": mute.user_id, "permissions": permissions,
             "use_independent_chat_permissions": True},
            kind=CALL_KIND, ref=f"mute:{mute.id}", dedupe_key=f"mute:{mute.id}:{step}",
        )

    async def _tell_owners(self, tx: Transaction, mute: Mute, building: Building) -> None:
        """Each owner in private: who, where, why, and the Unmute button."""
        user = await self.community.users.get(mute.user_id)
        for owner in await self._owners(building):
            t = await self.people.translator_for(owner)
            await self.outbox.queue_message(
                tx, owner, views.muted(t, mute, user, building), kind=NOTICE_KIND,
                ref=f"mute:{mute.id}", dedupe_key=f"mute:{mute.id}:owner:{owner}",
            )
