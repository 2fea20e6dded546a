"""Group care: the welcome and rules of a building, newcomers, join requests and member tags.

A newcomer (Telegram tells admin bots with a chat_member update) gets the building's
welcome in the group, deleted after a while by a stored job, and the rules with the menu in
private if they started the bot. The rules are also one post in the group, pinned, kept
current as a live card. When the group admits people through an invite link with approval,
Telegram sends a chat_join_request: the bot asks the applicant in private for their flat
and name (a stored prompt), the owners decide with a button, and someone who does not
answer within a day is declined politely (a stored job). Approved residents are tagged in
the group with their flat, volunteers with their role (Bot API 9.5 member tags).
"""

from __future__ import annotations

import re
import string
from typing import Any

from bot.cards import LiveCards
from bot.clock import Clock
from bot.config import Settings
from bot.domain.core import Building, Job, Prompt, User
from bot.domain.welcome import BuildingText, JoinRequest, JoinState, TextKind
from bot.errors import Conflict, InvalidInput, NotFound
from bot.i18n import N_, Translator, html_escape
from bot.outbox import Delivery, Outbox
from bot.scheduler import JobHandler, Scheduler
from bot.services.community import Actor, Community, Role
from bot.services.people import People
from bot.services.prompts import Prompts
from bot.text import one_line, tidy
from bot.views import welcome as views
from bot.views.common import OutMessage
from storage.db import Database, Transaction
from storage.users import UserRepository
from storage.welcome import WelcomeRepository

PROMPT = "join"  # the applicant's answers: step "flat", then "name"
RULES_CARD = "rules"  # the pinned rules post of a building (ref: the building's id)
JOIN_CARD = "join_request"  # an applicant's request in each owner's private chat
RULES_POST_KIND, RULES_EDIT_KIND = "rules_post", "rules_edit"
JOIN_CARD_KIND, JOIN_EDIT_KIND = "join_card", "join_card_edit"
WELCOME_KIND = "welcome_post"
DELETE_JOB, TIMEOUT_JOB = "welcome_delete", "join_timeout"
DELETE_GRACE = 47 * 3600  # Telegram lets a bot delete its group messages for 48 hours
LATE_OK = 7 * 86400  # an unanswered request found late (the bot was down) is still declined

PLACEHOLDERS = ("building", "name")
ALLOWED = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
MAX_TEXT = 3000  # the text with its frame and the names filled in stays under 4096
FILLED = 400  # room for one placeholder filled in, as HTML (a mention with a long name)
MAX_NAME = 40
MAX_TAG = 16  # Telegram's limit for a member tag
FLAT = re.compile(r"^(\d{1,3})\s*[-－—–]\s*(\d{1,5})$")

USAGE = {
    "welcome": N_(
        "Write the welcome after the command, for example: /welcome 欢迎 {name} 入住{building}！"
        " The placeholders you can use are: {allowed}."
    ),
    "rules": N_(
        "Write the rules after the command, for example: /rules 楼道里请不要堆放杂物。"
        " The placeholders you can use are: {allowed}."
    ),
}
BROKEN = N_(
    "A brace is not closed in your text, so I stored nothing. The placeholders you can use "
    "are: {allowed} (write two braces for a brace itself)."
)
UNKNOWN = N_(
    "I do not know the placeholder {field}, so I stored nothing. The placeholders you can "
    "use are: {allowed}."
)
BAD_FLAT = N_("Please write your flat as 楼号-房号 (building number, dash, flat number), "
              "for example 3-502.")
BAD_NAME = N_("Please write your name in one line, at most {limit} characters.")


def parse_template(kind: TextKind, text: str) -> str:
    """The owner's text, checked: only {building} and {name}, every brace closed."""
    text = tidy(text)
    if not text:
        raise InvalidInput(USAGE[kind], allowed=ALLOWED, building="{building}", name="{name}")
    try:
        fields = [(name, spec, conversion)
                  for _literal, name, spec, conversion in string.Formatter().parse(text)
                  if name is not None]
    except ValueError:
        raise InvalidInput(BROKEN, allowed=ALLOWED) from None
    for name, spec, conversion in fields:
        if name not in PLACEHOLDERS or spec or conversion:
            shown = "{" + name + ("!" + conversion if conversion else "")
            shown += (":" + spec if spec else "") + "}"
            raise InvalidInput(UNKNOWN, field=shown, allowed=ALLOWED)
    # As sent: escaped, each placeholder filled (a mention is long HTML); a message cut at
    # Telegram's limit could end inside an entity and be refused.
    if len(html_escape(text)) + FILLED * len(fields) > MAX_TEXT:
        raise InvalidInput(N_("The text is too long: at most {limit} characters."),
                           limit=MAX_TEXT)
    return text


def parse_flat(text: str) -> str:
    """A flat as people write it ("3-502", "3 － 502"), as stored: "3-502"."""
    found = FLAT.match(one_line(text))
    if found is None:
        raise InvalidInput(BAD_FLAT)
    return f"{int(found[1])}-{int(found[2])}"


class WelcomeService:
    """Welcome, rules, join requests and member tags of building groups."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        config: Settings,
        outbox: Outbox,
        scheduler: Scheduler,
        community: Community,
        people: People,
        users: UserRepository,
        prompts: Prompts,
        cards: LiveCards,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.outbox = outbox
        self.scheduler = scheduler
        self.community = community
        self.people = people
        self.users = users
        self.prompts = prompts
        self.cards = cards
        self.repo = WelcomeRepository(db)
        cards.register(RULES_CARD, self._rules_card, send_kind=RULES_POST_KIND,
                       edit_kind=RULES_EDIT_KIND)
        cards.register(JOIN_CARD, self._join_card, send_kind=JOIN_CARD_KIND,
                       edit_kind=JOIN_EDIT_KIND)

    def jobs(self) -> dict[str, JobHandler]:
        """The job kinds: deleting a welcome, declining an unanswered join request."""
        return {DELETE_JOB: self._delete_welcome, TIMEOUT_JOB: self._time_out}

    async def _t(self, chat_id: int) -> Translator:
        return await self.people.translator_for(chat_id)

    # --- welcome and rules ----------------------------------------------------------------

    async def set_text(
        self, actor: Actor, building: Building, kind: TextKind, text: str
    ) -> BuildingText:
        """Store the building's welcome or rules (owners); the rules post follows."""
        await self.community.require(actor, building, Role.OWNER)
        template = parse_template(kind, text)
        ref = str(building.id)
        async with self.db.transaction() as tx:
            await self.repo.set_text(tx, building.id, kind, template, actor.user_id,
                                     self.clock.now())
            if kind == "rules":
                posted = [c for c in await self.cards.repo.copies(tx, RULES_CARD, ref)
                          if c.chat_id == building.chat_id]
                if posted:
                    await self.cards.touch(tx, RULES_CARD, ref)
                else:
                    await self.cards.send(tx, RULES_CARD, ref, building.chat_id)
            saved = await self.repo.text(building.id, kind, tx)
        assert saved is not None
        return saved

    async def text_of(self, building: Building, kind: TextKind) -> BuildingText | None:
        """The building's welcome or rules, if written."""
        return await self.repo.text(building.id, kind)

    async def _rules_card(self, tx: Transaction, ref: str, chat_id: int) -> OutMessage | None:
        building = await self.community.buildings.by_id(int(ref))
        rules = await self.repo.text(int(ref), "rules", tx)
        if building is None or rules is None:
            return None
        return views.rules_post(await self._t(chat_id), building, rules.text)

    async def rules_posted(self, tx: Transaction, delivery: Delivery) -> None:
        """Outbox hook: the rules post arrived in the group; pin it, quietly."""
        if not delivery.ok or delivery.message_id is None:
            return
        await self.outbox.queue_call(
            tx, delivery.row.chat_id, "pinChatMessage",
            {"message_id": delivery.message_id, "disable_notification": True},
            kind="rules_pin", ref=delivery.row.ref, dedupe_key=f"rules pin {delivery.row.id}",
        )

    async def rules_edited(self, tx: Transaction, delivery: Delivery) -> None:
        """Outbox hook: an edit of the rules post failed because someone deleted the post;
        post the rules again (and pin them), so the group keeps a current copy."""
        gone = "not found" in (delivery.error or "").lower()
        if delivery.ok or not gone or not (delivery.row.ref or "").startswith(RULES_CARD):
            return
        ref = (delivery.row.ref or "").split(":", 1)[1]
        await self.cards.forget(tx, RULES_CARD, ref)
        await self.cards.send(tx, RULES_CARD, ref, delivery.row.chat_id)

    async def newcomer(self, chat_id: int, user_id: int, key: str) -> None:
        """Someone joined the building's group: the welcome there, the rules in private.

        ``key`` names the join (chat, user, time): the same update handled again sends
        nothing more."""
        building = await self.community.buildings.by_chat(chat_id)
        user = await self.users.get(user_id)
        if building is None or user is None:
            return
        welcome = await self.repo.text(building.id, "welcome")
        rules = await self.repo.text(building.id, "rules")
        async with self.db.transaction() as tx:
            if welcome is not None:
                shown = views.welcome_post(await self._t(chat_id), building, welcome.text, user)
                await self.outbox.queue_message(tx, chat_id, shown, kind=WELCOME_KIND,
                                                dedupe_key=f"welcome {key}")
            if user.started:
                t = await self._t(user_id)
                shown = views.private_welcome(t, building, rules.text if rules else None, user)
                await self.outbox.queue_message(tx, user_id, shown, kind="welcome_private",
                                                dedupe_key=f"welcome private {key}")

    async def welcome_posted(self, tx: Transaction, delivery: Delivery) -> None:
        """Outbox hook: a welcome arrived; plan its deletion."""
        minutes = self.config.groups.welcome_delete_minutes
        if not delivery.ok or delivery.message_id is None or minutes <= 0:
            return
        chat_id, message_id = delivery.row.chat_id, delivery.message_id
        await self.scheduler.schedule(
            tx, DELETE_JOB, f"welcome delete {chat_id} {message_id}",
            self.clock.now() + minutes * 60, {"chat": chat_id, "message": message_id},
            grace_seconds=DELETE_GRACE,
        )

    async def _delete_welcome(self, tx: Transaction, job: Job) -> None:
        chat_id, message_id = int(job.data["chat"]), int(job.data["message"])
        await self.outbox.queue_call(tx, chat_id, "deleteMessage", {"message_id": message_id},
                                     kind="welcome_delete", dedupe_key=job.key)

    # --- join requests --------------------------------------------------------------------

    async def join_requested(
        self, chat_id: int, user_id: int, user_chat_id: int, *, member: bool, key: str
    ) -> JoinRequest | None:
        """Someone asked to join the group: ask them in private for their flat and name.

        A group that is not a building is left alone; someone who is a member already is
        told so, and nothing is stored."""
        building = await self.community.buildings.by_chat(chat_id)
        if building is None:
            return None
        t = await self._t(user_chat_id)
        async with self.db.transaction() as tx:
            if member:
                await self.outbox.queue_message(
                    tx, user_chat_id, views.already_member(t, building), kind="join_note",
                    dedupe_key=f"join member {key}")
                return None
            found = await self.repo.open_request(building.id, user_id, tx)
            if found is not None and found.state == "waiting":
                await self.outbox.queue_message(
                    tx, user_chat_id, views.still_waiting(t, building), kind="join_note",
                    dedupe_key=f"join again {key}")
                return found
            if found is None:
                found = await self.repo.add_request(tx, building.id, user_id, user_chat_id,
                                                    self.clock.now())
                await self.scheduler.schedule(
                    tx, TIMEOUT_JOB, timeout_key(found.id), self.clock.now() + self._answer_time,
                    {"request": found.id}, grace_seconds=LATE_OK)
            step = "flat" if found.flat is None else "name"
            question = views.ask_flat(t, building) if step == "flat" else views.ask_name(t)
            await self.outbox.queue_message(tx, user_chat_id, question, kind="join_question",
                                            dedupe_key=f"join ask {key}")
            await self.prompts.ask(tx, user_chat_id, user_id, PROMPT, step,
                                   {"request": found.id}, ttl_seconds=self._left(found))
        return found

    @property
    def _answer_time(self) -> float:
        return self.config.groups.join_answer_hours * 3600

    async def answer_flat(
        self, actor: Actor, request_id: int, text: str, message_id: int
    ) -> JoinRequest:
        """The applicant's flat; a wrong form is asked again (the prompt stays)."""
        request = await self._asking(actor, request_id)
        flat = parse_flat(text)
        async with self.db.transaction() as tx:
            await self.repo.set_flat(tx, request.id, flat)
            # They wrote to the bot in private: from now on it may write to them.
            await self.users.set_started(tx, actor.user_id, True, self.clock.now())
            await self.prompts.ask(tx, request.user_chat_id, actor.user_id, PROMPT, "name",
                                   {"request": request.id}, ttl_seconds=self._left(request),
                                   answered_message=message_id)
        return request.model_copy(update={"flat": flat})

    async def answer_name(self, actor: Actor, request_id: int, text: str) -> JoinRequest:
        """The applicant's name: the request goes to the owners, each with the buttons."""
        request = await self._asking(actor, request_id)
        name = one_line(text)
        if not name or len(name) > MAX_NAME:
            raise InvalidInput(BAD_NAME, limit=MAX_NAME)
        building = await self._building(request.building_id)
        async with self.db.transaction() as tx:
            if not await self.repo.answered(tx, request.id, name):
                raise Conflict(N_("Your request was already decided."))
            await self.prompts.close(tx, request.user_chat_id, actor.user_id, PROMPT)
            await self.scheduler.cancel(tx, timeout_key(request.id))
            owners = await self._owners(building)
            for owner in owners:
                await self.cards.send(tx, JOIN_CARD, str(request.id), owner)
            if not owners:  # nobody can be told in private: a word in the group, naming no one
                await self.outbox.queue_message(
                    tx, building.chat_id, views.owners_unreachable(await self._t(building.chat_id)),
                    kind="join_note", dedupe_key=f"join unreachable {request.id}")
        return request.model_copy(update={"name": name, "state": "waiting"})

    async def _asking(self, actor: Actor, request_id: int) -> JoinRequest:
        request = await self.repo.get(request_id)
        if request is None or request.user_id != actor.user_id or request.state != "asking":
            raise NotFound(N_("Your request to join was already decided."))
        return request

    def _left(self, request: JoinRequest) -> float:
        """The applicant's time left to answer."""
        return max(60.0, request.created_at + self._answer_time - self.clock.now())

    async def _owners(self, building: Building) -> list[int]:
        """Who hears of a join request: the group's admins who started the bot, else the
        community admins who did."""
        admins, _fetched = await self.community.buildings.admins(building.chat_id)
        for candidates in (admins, self.config.community.admins):
            reachable = [u.id for u in [await self.users.get(i) for i in candidates]
                         if u is not None and u.started]
            if reachable:
                return reachable
        return []

    async def request(self, request_id: int) -> tuple[JoinRequest, Building]:
        """A join request and its building (a forged number is refused)."""
        request = await self.repo.get(request_id)
        if request is None:
            raise NotFound(N_("This button is no longer valid."))
        return request, await self._building(request.building_id)

    async def decide(
        self, actor: Actor, request_id: int, approve: bool, *, member: bool = False,
        can_tag: bool = False,
    ) -> JoinRequest:
        """An owner approves or declines; ``member``: Telegram says the applicant is in the
        group already (an admin added them meanwhile), so there is nothing to approve;
        ``can_tag``: the bot may tag them with their flat there."""
        request, building = await self.request(request_id)
        await self.community.require(actor, building, Role.OWNER)
        state: JoinState = ("member" if member else "approved") if approve else "declined"
        t = await self._t(request.user_chat_id)
        async with self.db.transaction() as tx:
            if not await self.repo.decide(tx, request.id, state, actor.user_id, self.clock.now()):
                raise Conflict(N_("This request was already decided."))
            if approve:
                await self.repo.record_flat(tx, building.id, request.user_id, request.flat or "",
                                            request.name or "", self.clock.now())
            if not member:
                method = "approveChatJoinRequest" if approve else "declineChatJoinRequest"
                await self._call(tx, building.chat_id, method, request)
                shown = views.approved(t, building) if approve else views.declined(t, building)
                await self.outbox.queue_message(tx, request.user_chat_id, shown,
                                                kind="join_answer",
                                                dedupe_key=f"join answer {request.id}")
            if approve and can_tag:
                await self._tag(tx, building.chat_id, request.user_id, request.flat or "",
                                f"tag join {request.id}")
            await self.cards.touch(tx, JOIN_CARD, str(request.id))
            decided = await self.repo.get(request.id, tx)
        assert decided is not None
        return decided

    async def _time_out(self, tx: Transaction, job: Job) -> None:
        """Job: the applicant did not answer in time; decline, and tell them kindly."""
        request = await self.repo.get(int(job.data["request"]), tx)
        if request is None or not await self.repo.decide(
            tx, request.id, "expired", None, self.clock.now(), from_states=("asking",)
        ):
            return
        building = await self._building(request.building_id)
        await self._call(tx, building.chat_id, "declineChatJoinRequest", request)
        await self.prompts.close(tx, request.user_chat_id, request.user_id, PROMPT)
        t = await self._t(request.user_chat_id)
        await self.outbox.queue_message(tx, request.user_chat_id, views.timed_out(t, building),
                                        kind="join_answer", dedupe_key=job.key)

    async def prompt_expired(self, _tx: Transaction, _prompt: Prompt) -> bool:
        """The applicant's question ran out: the time-out job says it, once."""
        return True

    async def _call(self, tx: Transaction, chat_id: int, method: str, request: JoinRequest) -> None:
        await self.outbox.queue_call(tx, chat_id, method, {"user_id": request.user_id},
                                     kind="join_decision", ref=f"join:{request.id}",
                                     dedupe_key=f"{method} {request.id}")

    async def _join_card(self, tx: Transaction, ref: str, chat_id: int) -> OutMessage | None:
        request = await self.repo.get(int(ref), tx)
        if request is None:
            return None
        building = await self._building(request.building_id)
        applicant = await self.users.get(request.user_id)
        decider = await self.users.get(request.decided_by) if request.decided_by else None
        return views.join_card(await self._t(chat_id), request, building, applicant, decider)

    async def _building(self, building_id: int) -> Building:
        building = await self.community.buildings.by_id(building_id)
        if building is None:
            raise NotFound(N_("This building is no longer registered."))
        return building

    # --- member tags ----------------------------------------------------------------------

    async def volunteer_tagged(
        self, building: Building, user: User, volunteer: bool, key: str | None = None
    ) -> None:
        """Show a volunteer's role next to their name in the group (their flat again once
        they are no longer one); the caller knows the bot may set tags there. ``key``, the
        command's message, keeps a replayed command from tagging twice."""
        if volunteer:
            tag = (await self._t(building.chat_id)).plain(views.VOLUNTEER_TAG)
        else:
            flat = await self.repo.flat_of(building.id, user.id)
            tag = flat.flat if flat else ""
        async with self.db.transaction() as tx:
            await self._tag(tx, building.chat_id, user.id, tag, f"tag {key}" if key else None)

    async def _tag(
        self, tx: Transaction, chat_id: int, user_id: int, tag: str, dedupe_key: str | None
    ) -> None:
        """setChatMemberTag through the outbox (an empty tag removes it); it needs the
        can_manage_tags right, and a refusal only leaves the tag as it was."""
        params: dict[str, Any] = {"user_id": user_id}
        if tag:
            params["tag"] = tag[:MAX_TAG]
        await self.outbox.queue_call(tx, chat_id, "setChatMemberTag", params, kind="member_tag",
                                     dedupe_key=dedupe_key)


def timeout_key(request_id: int) -> str:
    """The job that declines an unanswered join request."""
    return f"join timeout {request_id}"
