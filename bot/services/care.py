"""A resident's own data: /mydata shows everything the bot keeps about the person, and
/forgetme removes or anonymises it (what others' records need stays, by number, nameless).

The registry of what is kept where is ``storage/mydata.py``; this service decides who may
(only the person, for themselves) and does the forgetting in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.cards import LiveCards
from bot.clock import Clock
from bot.domain.core import User
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.i18n import N_
from bot.services.community import Actor, Community
from bot.services.events import EventService
from bot.services.notices import CARD as NOTICE_CARD
from bot.services.people import People, Person
from bot.services.requests import RequestService
from storage.db import Database, Transaction
from storage.mydata import PERSONAL, MyDataRepository
from storage.users import UserRepository


@dataclass(frozen=True)
class PersonalRecord:
    """What /mydata sends: the person and every section of the registry with their rows."""

    user: User
    sections: dict[str, list[dict[str, Any]]]
    made_at: float


@dataclass(frozen=True)
class Forgotten:
    """What /forgetme did: the requests it withdrew, the events it took the person off, and
    what it kept (the registry's reasons, for the sections the person had rows in)."""

    withdrawn: list[int] = field(default_factory=list)
    events_left: int = 0
    kept: list[str] = field(default_factory=list)


class CareService:
    """/mydata and /forgetme, for the person themselves only."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        community: Community,
        people: People,
        users: UserRepository,
        requests: RequestService,
        events: EventService,
        cards: LiveCards,
    ) -> None:
        self.db = db
        self.clock = clock
        self.community = community
        self.people = people
        self.users = users
        self.requests = requests
        self.events = events
        self.cards = cards
        self.repo = MyDataRepository(db)

    async def record(self, actor: Actor) -> PersonalRecord:
        """Everything the bot keeps about the actor (read only)."""
        user = await self.users.get(actor.user_id)
        if user is None:
            raise NotFound(N_("I keep nothing about you."))
        return PersonalRecord(user, await self.repo.export(actor.user_id), self.clock.now())

    async def check_forget(self, actor: Actor) -> None:
        """Before the confirmation: refuse if there is nothing to forget or a request is held."""
        async with self.db.transaction() as tx:
            await self._forgettable(tx, actor.user_id)

    async def forget(self, actor: Actor, user_id: int) -> Forgotten:
        """Confirm pressed: forget the actor, in one transaction. ``user_id`` comes from the
        button: a press by anyone else (or a forged payload) is refused."""
        self.same_person(actor, user_id)
        sections = await self.repo.export(actor.user_id)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            user = await self._forgettable(tx, actor.user_id)
            posts = await self.repo.confirmed_posts(tx, actor.user_id)
            events_left = await self.events.withdraw_all(tx, actor.user_id)  # waitlists move
            await self.repo.erase_names(tx, actor.user_id, now)  # the cards below show none
            withdrawn = await self.requests.withdraw_all(tx, actor.user_id)
            names = _names(user.first_name, user.last_name, user.username)
            await self.repo.forget(tx, actor.user_id, names, now)
            for post_id in posts:
                await self.cards.touch(tx, NOTICE_CARD, str(post_id))
            await self.requests.redraw_all(tx, actor.user_id)
        self.people.forget_person(actor.user_id)
        self.community.forget_member(actor.user_id)
        kept = [entry.kept for entry in PERSONAL if entry.kept and entry.section in sections]
        return Forgotten([r.id for r in withdrawn], events_left, list(dict.fromkeys(kept)))

    async def hide_names(self, update_id: int, person: Person) -> None:
        """Telegram sends a forgotten person's names with each update: the inbox keeps the
        update without them (tracking calls this for every update of such a person)."""
        names = _names(person.first_name, person.last_name, person.username)
        async with self.db.transaction() as tx:
            await self.repo.scrub_update(tx, update_id, person.id, names)

    def same_person(self, actor: Actor, user_id: int) -> None:
        """The buttons of /forgetme carry the person's id: anyone else pressing is refused."""
        if user_id != actor.user_id:
            raise NotAllowed(N_("Only the person themselves can ask me to forget them."))

    async def _forgettable(self, tx: Transaction, user_id: int) -> User:
        """The person, if there is something left to forget and nothing they hold for others."""
        user = await self.users.get(user_id)
        if user is None or (user.forgotten and await self.repo.remaining(tx, user_id) == 0):
            raise Conflict(N_("There is nothing left to forget: I keep no name or personal "
                              "record of you any more."))
        held = await self.requests.held_by(tx, user_id)
        if held:
            raise InvalidInput(
                N_("You have taken request #{number} and not finished it. Finish it with "
                   "/done {number} or give it back with /release {number}, then ask again."),
                number=held[0],
            )
        return user


def _names(first_name: str, last_name: str | None, username: str | None) -> list[str]:
    """The words /forgetme erases from stored messages: each name, the full name, @username."""
    full = " ".join(part for part in (first_name, last_name) if part)
    names = {first_name, last_name or "", username or "", f"@{username}" if username else "", full}
    return [name for name in names if name]
