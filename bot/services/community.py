"""Buildings and roles: who is an owner, a volunteer or a resident of which building."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

from bot.clock import Clock
from bot.config import Settings
from bot.domain.core import Building, User
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.i18n import N_
from bot.text import one_line
from storage.buildings import BuildingRepository
from storage.chats import ChatRepository
from storage.db import Database
from storage.outbox import OutboxRepository
from storage.users import UserRepository

ADMIN_CACHE_SECONDS = 600  # Telegram admins change rarely; /setup and admin updates refresh
MAX_BUILDING_NAME = 40
SKILL = re.compile(r"^[\w\-]{1,20}$")


class Role(IntEnum):
    """What a person may do in a building, each level including the ones below."""

    STRANGER = 0
    RESIDENT = 1
    VOLUNTEER = 2
    OWNER = 3
    ADMIN = 4  # a community admin from the config


REFUSALS = {
    Role.RESIDENT: N_("Only residents of this building may do this."),
    Role.VOLUNTEER: N_("Only the volunteers of this building may do this."),
    Role.OWNER: N_(
        "Only the group's admins (the building's owners) and the community admins may do this."
    ),
    Role.ADMIN: N_("Only the community admins may do this."),
}


@dataclass(frozen=True)
class Actor:
    """Who is doing something: every state-changing service method takes one and checks it.

    Handlers build it from the update's user; the Telegram facts a role rests on (the
    group's admins) are refreshed once per update before any handler runs.
    """

    user_id: int


@dataclass(frozen=True)
class Setup:
    """The result of /setup."""

    building: Building
    created: bool


class Community:
    """The rules about buildings and roles; Telegram facts (admin lists) come in as values."""

    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.buildings = BuildingRepository(db)
        self.chats = ChatRepository(db)
        self.users = UserRepository(db)
        self.outbox = OutboxRepository(db)
        self._residents: set[tuple[int, int]] = set()  # (chat, user) already recorded

    def is_admin(self, user_id: int) -> bool:
        """A community admin from the config."""
        return user_id in self.settings.community.admins

    async def setup(
        self, chat_id: int, name: str, by: int, *, actor: Actor | None = None
    ) -> Setup:
        """Register the group as a building, or rename it.

        ``actor`` (handlers always pass it) must be a Telegram admin of the group (as just
        fetched) or a community admin; tests and seeding that build a world leave it out.
        """
        if actor is not None:
            await self.require_group_admin(actor, chat_id)
        name = one_line(name)
        if not name:
            raise InvalidInput(
                N_("Write the building's name after the command, for example: /setup 3号楼")
            )
        if len(name) > MAX_BUILDING_NAME:
            raise InvalidInput(
                N_("The name is too long: at most {limit} characters."), limit=MAX_BUILDING_NAME
            )
        async with self.db.transaction() as tx:
            await self.chats.set_active(tx, chat_id, True, self.clock.now())
            building, created = await self.buildings.register(
                tx, chat_id, name, by, self.clock.now()
            )
        return Setup(building, created)

    async def require_group_admin(self, actor: Actor, chat_id: int) -> None:
        """Refuse unless the actor is a Telegram admin of the group or a community admin
        (the group need not be a building yet)."""
        admins, _fetched = await self.buildings.admins(chat_id)
        if actor.user_id not in admins and not self.is_admin(actor.user_id):
            raise NotAllowed(REFUSALS[Role.OWNER])

    async def building_of_chat(self, chat_id: int) -> Building:
        """The building of a group; refuses if the group is not set up."""
        building = await self.buildings.by_chat(chat_id)
        if building is None:
            raise NotFound(
                N_(
                    "This group is not registered yet. An admin of the group can "
                    "register it with /setup followed by the building's name."
                )
            )
        return building

    async def building_named(self, name: str) -> Building:
        """A building by its name, or a refusal that lists the names."""
        building = await self.buildings.by_name(name)
        if building is None:
            names = ", ".join(b.name for b in await self.buildings.all()) or "—"
            raise NotFound(
                N_("There is no building called «{name}». Buildings: {names}"),
                name=name,
                names=names,
            )
        return building

    async def admins_are_fresh(self, chat_id: int) -> bool:
        """Whether the cached admin list of a group is recent enough to trust."""
        _admins, fetched_at = await self.buildings.admins(chat_id)
        return fetched_at is not None and self.clock.now() - fetched_at < ADMIN_CACHE_SECONDS

    async def store_admins(self, chat_id: int, user_ids: list[int]) -> None:
        """Remember the group's Telegram admins, as just fetched."""
        await self.buildings.store_admins(chat_id, user_ids, self.clock.now())

    async def role_in(self, user_id: int, building: Building) -> Role:
        """The person's role in a building (the admin cache must be fresh; handlers see to it)."""
        if self.is_admin(user_id):
            return Role.ADMIN
        admins, _fetched = await self.buildings.admins(building.chat_id)
        if user_id in admins:
            return Role.OWNER
        if await self.buildings.is_volunteer(building.id, user_id):
            return Role.VOLUNTEER
        buildings = await self.buildings.of_user(user_id)
        return Role.RESIDENT if any(b.id == building.id for b in buildings) else Role.STRANGER

    async def require(self, actor: Actor, building: Building, needed: Role) -> Role:
        """The actor's role in the building; a refusal that says who may, if it is below
        ``needed``."""
        role = await self.role_in(actor.user_id, building)
        if role < needed:
            raise NotAllowed(REFUSALS[needed])
        return role

    async def scope(
        self, actor: Actor, place: int | None, needed: Role, *, with_inactive: bool = False
    ) -> list[Building]:
        """The buildings the actor may act on with at least the role ``needed``.

        In a group (``place`` is its chat id): that group's building, or a refusal. In
        private (``place`` None): every building where they have the role (community admins:
        all, and with ``with_inactive`` also those whose group no longer has the bot), by
        name; possibly none, which the caller answers.
        """
        if place is not None:
            building = await self.building_of_chat(place)
            await self.require(actor, building, needed)
            return [building]
        if self.is_admin(actor.user_id):
            return await self.buildings.all(active_only=not with_inactive)
        if needed >= Role.ADMIN:
            return []
        found = {b.id: b for b in await self.buildings.owned_by(actor.user_id)}
        if needed <= Role.VOLUNTEER:
            for building in await self.buildings.volunteering(actor.user_id):
                found.setdefault(building.id, building)
        if needed <= Role.RESIDENT:
            for building in await self.buildings.of_user(actor.user_id):
                found.setdefault(building.id, building)
        return sorted(found.values(), key=lambda building: building.name)

    async def highest_role(self, actor: Actor) -> Role:
        """The person's highest role in any building (for their menu and their help)."""
        if self.is_admin(actor.user_id):
            return Role.ADMIN
        if await self.buildings.owned_by(actor.user_id):
            return Role.OWNER
        if await self.buildings.volunteering(actor.user_id):
            return Role.VOLUNTEER
        if await self.buildings.of_user(actor.user_id):
            return Role.RESIDENT
        return Role.STRANGER

    async def owned_buildings(self, user_id: int) -> list[Building]:
        """The buildings a person may manage: all for a community admin."""
        if self.is_admin(user_id):
            return await self.buildings.all()
        return await self.buildings.owned_by(user_id)

    async def resident_seen(self, chat_id: int, user_id: int) -> None:
        """A member spoke or joined in a building group: they are a resident."""
        if (chat_id, user_id) in self._residents:
            return
        building = await self.buildings.by_chat(chat_id)
        if building is None:
            return
        async with self.db.transaction() as tx:
            await self.buildings.add_resident(tx, building.id, user_id, self.clock.now())
        self._residents.add((chat_id, user_id))

    def forget_member(self, user_id: int) -> None:
        """After /forgetme: the person's next word in a group records them again (unnamed)."""
        self._residents = {(chat, user) for chat, user in self._residents if user != user_id}

    async def member_left(self, chat_id: int, user_id: int) -> None:
        """A member left a building group."""
        self._residents.discard((chat_id, user_id))
        building = await self.buildings.by_chat(chat_id)
        if building is None:
            return
        async with self.db.transaction() as tx:
            await self.buildings.resident_left(tx, building.id, user_id, self.clock.now())

    async def find_person(self, username: str) -> User:
        """Someone the bot has seen, by @username."""
        user = await self.users.by_username(username.lstrip("@"))
        if user is None:
            raise NotFound(
                N_(
                    "I have not met @{username} yet. Ask them to write in the group "
                    "first, or reply to one of their messages with the command."
                ),
                username=username.lstrip("@"),
            )
        return user

    async def add_volunteer(
        self, building: Building, user: User, skills: list[str], *, actor: Actor | None = None
    ) -> None:
        """Make someone a volunteer of the building, with optional skills (``actor``, which
        handlers always pass, must be an owner)."""
        if actor is not None:
            await self.require(actor, building, Role.OWNER)
        bad = [skill for skill in skills if not SKILL.match(skill)]
        if bad or len(skills) > 10:
            raise InvalidInput(
                N_(
                    "Skills are single words, at most 10 of them, for example: "
                    "/volunteer @li repair health"
                )
            )
        async with self.db.transaction() as tx:
            await self.buildings.set_volunteer(tx, building.id, user.id, skills, self.clock.now())

    async def remove_volunteer(
        self, building: Building, user: User, *, actor: Actor | None = None
    ) -> None:
        """Take the volunteer role away (``actor``, which handlers always pass, must be an
        owner)."""
        if actor is not None:
            await self.require(actor, building, Role.OWNER)
        async with self.db.transaction() as tx:
            removed = await self.buildings.unset_volunteer(tx, building.id, user.id)
        if not removed:
            raise NotFound(
                N_("{name} is not a volunteer of {building}."),
                name=user.display_name,
                building=building.name,
            )

    async def bot_removed(self, chat_id: int) -> None:
        """The bot left or was removed: the group is inactive and nothing more is sent there."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            await self.chats.set_active(tx, chat_id, False, now)
        await self.outbox.fail_pending_for_chat(chat_id, "the bot was removed from the group", now)

    async def bot_added(self, chat_id: int) -> None:
        """The bot is (back) in the group."""
        async with self.db.transaction() as tx:
            await self.chats.set_active(tx, chat_id, True, self.clock.now())

    async def migrate_chat(self, old_id: int, new_id: int) -> None:
        """The group became a supergroup: every row follows it to the new id."""
        async with self.db.transaction() as tx:
            await self.chats.migrate(tx, old_id, new_id, self.clock.now())
        self._residents = {(chat, user) for chat, user in self._residents if chat != old_id}
