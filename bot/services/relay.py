"""Talking to the resident of a request through the bot: canned replies and relayed words.

The volunteer who took a request writes (``/tell N``, a Telegram reply to the card, a
canned reply's button); the resident reads "Volunteer (#N): …" in private, without the
volunteer's username or phone, and answers with a Telegram reply to that message, which
reaches the volunteer the same way. Each relayed message is a public event of the
request's history ("told", "answered") and a row of ``relay_messages``: the outbox hook
learns the recipient's copy (so that a reply to it finds its request), or tells the sender
that it could not be delivered (the resident blocked the bot).
"""

from __future__ import annotations

from bot.cards import LiveCards
from bot.clock import Clock
from bot.config import Settings
from bot.domain.core import Building
from bot.domain.relay import CannedReply, Relayed, Shelf
from bot.domain.requests import Request
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.i18n import N_
from bot.outbox import Delivery, Outbox
from bot.services.community import Actor, Community, Role
from bot.services.people import People
from bot.services.requests import LIVE_CARD, RequestService, card_number
from bot.text import is_blank, tidy
from bot.views import relay as view
from bot.views.common import OutMessage
from storage.db import Database, Transaction
from storage.relay import RelayRepository
from storage.requests import RequestRepository

RELAYED = "relay_message"  # outbox kind of a relayed message
UNDELIVERED = "relay_undelivered"  # outbox kind of "it could not be delivered"
MAX_TITLE = 24  # a button's label
MAX_REPLY = 500
MAX_MESSAGE = 1000
MAX_REPLIES = 20  # canned replies of one building (one button each)


def parse_canned(text: str) -> tuple[str, str]:
    """(title, text) of ``/replies add title | text``; refuses a missing or overlong part."""
    title, bar, body = text.replace("｜", "|").partition("|")
    title, body = tidy(title), tidy(body)
    if not bar or is_blank(title) or is_blank(body):
        raise InvalidInput(
            N_("Write a title and the text, for example: /replies add Property phone | "
               "The property office's duty phone is 12345678.")
        )
    if len(title) > MAX_TITLE:
        raise InvalidInput(N_("The title is too long: at most {limit} characters."),
                           limit=MAX_TITLE)
    if len(body) > MAX_REPLY:
        raise InvalidInput(N_("The text is too long: at most {limit} characters."),
                           limit=MAX_REPLY)
    return title, body


class RelayService:
    """Canned replies of a building, and the words relayed between claimer and resident."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        config: Settings,
        outbox: Outbox,
        community: Community,
        people: People,
        cards: LiveCards,
        requests: RequestService,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.outbox = outbox
        self.community = community
        self.people = people
        self.cards = cards
        self.requests = requests
        self.repo = RelayRepository(db)
        self.events = RequestRepository(db)

    # --- canned replies --------------------------------------------------------------------

    async def shelves(self, actor: Actor, place: int | None) -> list[Shelf]:
        """/replies: the canned replies of the buildings this person serves (or this group's)."""
        serving = await self.community.scope(actor, place, Role.VOLUNTEER)
        if not serving:
            raise NotAllowed(N_("You are not a volunteer of any building."))
        replies = await self.repo.canned_of([b.id for b in serving])
        return [Shelf(b, [r for r in replies if r.building_id == b.id]) for b in serving]

    async def may_edit(self, actor: Actor, place: int | None) -> bool:
        """Whether this person keeps canned replies here (an owner): /replies shows how."""
        serving = await self.community.scope(actor, place, Role.VOLUNTEER)
        roles = [await self.community.role_in(actor.user_id, b) for b in serving]
        return any(role >= Role.OWNER for role in roles)

    async def add(
        self, actor: Actor, place: int | None, text: str, source: str | None
    ) -> CannedReply:
        """/replies add title | text: a canned reply of the building (owners)."""
        title, body = parse_canned(text)
        building = await self._owned(actor, place)
        async with self.db.transaction() as tx:
            if source and (seen := await self.repo.canned_from(tx, source)) is not None:
                return seen  # the same command again
            if await self.repo.count_canned(tx, building.id) >= MAX_REPLIES:
                raise Conflict(
                    N_("{building} keeps {limit} canned replies already. Remove one first "
                       "with /replies remove and its title."),
                    building=building.name, limit=MAX_REPLIES,
                )
            added = await self.repo.add_canned(
                tx, building.id, title, body, actor.user_id, source, self.clock.now()
            )
        if added is None:
            raise Conflict(
                N_("{building} has a canned reply «{title}» already. Remove it first with "
                   "/replies remove {title}."),
                building=building.name, title=title,
            )
        return added

    async def remove(self, actor: Actor, place: int | None, title: str) -> str:
        """/replies remove title (owners); returns the title."""
        title = tidy(title)
        if is_blank(title):
            raise InvalidInput(
                N_("Write the title of the canned reply, for example: /replies remove "
                   "Property phone")
            )
        building = await self._owned(actor, place)
        async with self.db.transaction() as tx:
            removed = await self.repo.remove_canned(tx, building.id, title)
        if not removed:
            raise NotFound(
                N_("{building} has no canned reply «{title}». /replies lists them."),
                building=building.name, title=title,
            )
        return title

    async def _owned(self, actor: Actor, place: int | None) -> Building:
        """The one building whose canned replies this owner changes."""
        owned = await self.community.scope(actor, place, Role.OWNER)
        if not owned:
            raise NotAllowed(
                N_("Only the group's admins (the building's owners) and the community admins "
                   "may do this.")
            )
        if len(owned) > 1:
            raise InvalidInput(
                N_("You look after several buildings: write this in the group of the building.")
            )
        return owned[0]

    # --- the claimer's Reply… --------------------------------------------------------------

    async def menu(self, number: int, actor: Actor) -> list[CannedReply]:
        """Reply… on the claimer's card: the building's canned replies."""
        _request, building = await self._claimed_by(number, actor)
        return await self.repo.canned_of([building.id])

    async def send_canned(
        self, number: int, canned_id: int, actor: Actor, source: str | None
    ) -> Request:
        """A canned reply's button: its text goes to the resident, as /tell would send it."""
        _request, building = await self._claimed_by(number, actor)
        canned = await self.repo.canned(canned_id)
        if canned is None or canned.building_id != building.id:
            raise NotFound(
                N_("That canned reply was removed meanwhile, so nothing was sent. Press "
                   "Reply… again for the current ones.")
            )
        return await self.tell(number, actor, canned.text, source)

    # --- relaying --------------------------------------------------------------------------

    async def tell(self, number: int, actor: Actor, text: str, source: str | None) -> Request:
        """/tell N text: the claimer writes to the resident, in private, through the bot."""
        text = _message_text(text, N_("Write your words after the number, for example: "
                                      "/tell 12 I will come at three."))
        request, _building = await self._claimed_by(number, actor)
        resident = await self.community.users.get(request.resident_id)
        if resident is None or not resident.started or resident.blocked:
            raise Conflict(
                N_("The resident of #{number} has no private chat with me (or blocked me), so "
                   "nothing was sent. Please reach them another way."),
                number=number,
            )
        t = await self.people.translator_for(request.resident_id)
        await self._relay(request, actor.user_id, request.resident_id, "told",
                          view.to_resident(t, number, text), text, source)
        return request

    async def answer(self, number: int, actor: Actor, text: str, source: str | None) -> Request:
        """The resident's reply to a relayed message: it goes to the volunteer who has the
        request now."""
        text = _message_text(text, N_("Please write your answer in words."))
        request, _building = await self.requests.find(number)
        if request.resident_id != actor.user_id:
            raise NotAllowed(N_("Only the resident who asked may answer here."))
        if request.state != "claimed" or request.claimer_id is None:
            raise Conflict(
                N_("No volunteer is handling #{number} now, so your words were not sent. "
                   "/status {number} says where it stands."),
                number=number,
            )
        t = await self.people.translator_for(request.claimer_id)
        await self._relay(request, actor.user_id, request.claimer_id, "answered",
                          view.to_volunteer(t, number, text), text, source)
        return request

    async def by_reply(
        self, actor: Actor, chat_id: int, replied: int, text: str, source: str | None
    ) -> Relayed | None:
        """A Telegram reply in private to a relayed message or to a request card: relayed
        (None if it replies to neither, and the words are something else)."""
        copy = await self.repo.copy_at(chat_id, replied)
        if copy is not None and copy.recipient_id == actor.user_id:
            request, _building = await self.requests.find(copy.request_id)
            if actor.user_id == request.resident_id:
                return Relayed(await self.answer(request.id, actor, text, source), False)
            return Relayed(await self.tell(request.id, actor, text, source), True)
        ref = await self.cards.ref_at(LIVE_CARD, chat_id, replied)
        if ref is None:
            return None
        return Relayed(await self.tell(card_number(ref), actor, text, source), True)

    async def _relay(
        self,
        request: Request,
        sender: int,
        recipient: int,
        kind: str,
        message: OutMessage,
        text: str,
        source: str | None,
    ) -> None:
        """Record the event and the relayed message, and queue it, in one transaction; the
        same command again adds nothing, and a request moved meanwhile sends nothing."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            current = await self.events.get(request.id, tx)
            if current is None or (current.state, current.claimer_id) != (
                "claimed", request.claimer_id
            ):
                raise Conflict(N_("#{number} changed just now. Please try again."),
                               number=request.id)
            if not await self.events.add_event(tx, request.id, kind, sender, now, text,
                                               source=source):
                return
            row_id = await self.outbox.queue_message(tx, recipient, message, kind=RELAYED,
                                                     ref=f"request:{request.id}")
            await self.repo.add_message(tx, request.id, sender, recipient, text, row_id, now)

    async def settled(self, tx: Transaction, delivery: Delivery) -> None:
        """Outbox hook: a relayed message arrived (its copy is kept, for replies to it), or
        could not be delivered: its sender is told, and the history says so."""
        relayed = await self.repo.by_outbox(tx, delivery.row.id)
        if relayed is None:
            return
        await self.repo.settled(tx, relayed.id, delivery.message_id, not delivery.ok)
        if delivery.ok:
            return
        now = self.clock.now()
        await self.events.add_event(tx, relayed.request_id, "undelivered", relayed.recipient_id,
                                    now, relayed.text, internal=True)
        t = await self.people.translator_for(relayed.sender_id)
        await self.outbox.queue_message(
            tx, relayed.sender_id, view.undelivered(t, relayed.request_id, relayed.text),
            kind=UNDELIVERED, dedupe_key=f"relay:{relayed.id}:undelivered",
        )

    async def _claimed_by(self, number: int, actor: Actor) -> tuple[Request, Building]:
        """Only the volunteer who took a claimed request talks to its resident."""
        request, building = await self.requests.find(number)
        if request.state in ("done", "cancelled"):
            raise Conflict(
                N_("#{number} is closed, so nothing was sent to its resident."), number=number
            )
        if request.state != "claimed" or request.claimer_id != actor.user_id:
            raise NotAllowed(
                N_("Only the volunteer who took #{number} may write to its resident."),
                number=number,
            )
        await self.community.require(actor, building, Role.VOLUNTEER)
        return request, building


def _message_text(text: str, hint: str) -> str:
    """Relayed words: not empty, not overlong."""
    text = tidy(text)
    if is_blank(text):
        raise InvalidInput(hint)
    if len(text) > MAX_MESSAGE:
        raise InvalidInput(N_("The message is too long: at most {limit} characters."),
                           limit=MAX_MESSAGE)
    return text
