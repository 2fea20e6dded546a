"""Who may do what: the one place where handlers ask Telegram about admins and check roles."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Chat, ChatMember, Update
from telegram.error import TelegramError

from bot.context import LinliContext
from bot.domain.core import Building
from bot.errors import InvalidInput, NotAllowed
from bot.i18n import N_
from bot.services.community import REFUSALS, Actor, Role

log = logging.getLogger(__name__)


async def refresh_admins(context: LinliContext, chat_id: int, force: bool = False) -> None:
    """Fetch the group's Telegram admins unless the cached list is fresh."""
    community = context.services.community
    if not force and await community.admins_are_fresh(chat_id):
        return
    try:
        admins = await context.bot.get_chat_administrators(chat_id)
    except TelegramError as error:
        log.warning("could not fetch the admins of chat %s: %s", chat_id, error)
        return
    await community.store_admins(chat_id, [m.user.id for m in admins if not m.user.is_bot])


async def role_of(update: Update, context: LinliContext, building: Building) -> Role:
    """The role of the update's user in a building, with a fresh admin list."""
    user = update.effective_user
    if user is None:
        return Role.STRANGER
    chat = update.effective_chat
    if chat is None or chat.id != building.chat_id:  # tracking refreshed the update's own group
        await refresh_admins(context, building.chat_id)
    return await context.services.community.role_in(user.id, building)


async def require_role(
    update: Update, context: LinliContext, building: Building, needed: Role
) -> Role:
    """Refuse (with a reply saying who may) unless the user has at least the role ``needed``."""
    role = await role_of(update, context, building)
    if role < needed:
        raise NotAllowed(REFUSALS[needed])
    return role


async def require_group_admin(update: Update, context: LinliContext, chat_id: int) -> None:
    """Refuse unless the user is a Telegram admin of the group or a community admin."""
    user = update.effective_user
    community = context.services.community
    await refresh_admins(context, chat_id, force=True)
    admins, _fetched = await community.buildings.admins(chat_id)
    if user is None or (user.id not in admins and not community.is_admin(user.id)):
        raise NotAllowed(REFUSALS[Role.OWNER])


async def group_building(update: Update, context: LinliContext) -> Building:
    """The building of the group the update came from; refuses in private chats."""
    chat = update.effective_chat
    if chat is None or chat.type not in (Chat.GROUP, Chat.SUPERGROUP):
        raise InvalidInput(N_("Please use this command in your building's group."))
    return await context.services.community.building_of_chat(chat.id)


def actor_of(update: Update) -> Actor:
    """Who is acting; an update without a user (a channel post) acts on nothing."""
    user = update.effective_user
    if user is None:
        raise InvalidInput(N_("This button is no longer valid."))
    return Actor(user.id)


def place_of(update: Update) -> int | None:
    """The group the update came from (None in private), as ``Community.scope`` takes it."""
    chat = update.effective_chat
    return chat.id if chat is not None and chat.type != Chat.PRIVATE else None


async def fresh_admins(
    update: Update, context: LinliContext, buildings: Iterable[Building | None]
) -> None:
    """The Telegram facts a rights check on these buildings rests on: their groups' admin
    lists, fetched where the cache is old (tracking refreshed the update's own group)."""
    here = place_of(update)
    for building in buildings:
        if building is not None and building.chat_id != here:
            await refresh_admins(context, building.chat_id)


async def owner_actor(update: Update, context: LinliContext) -> Actor:
    """The Actor, with the admin lists of every group they own fresh when they act from a
    private chat (a right checked there may rest on any of them)."""
    actor = actor_of(update)
    community = context.services.community
    if place_of(update) is None and not community.is_admin(actor.user_id):
        await fresh_admins(update, context, await community.owned_buildings(actor.user_id))
    return actor


async def bot_can_tag(context: LinliContext, chat_id: int) -> bool:
    """Whether the bot may set members' tags in the group (an admin with can_manage_tags)."""
    try:
        me = await context.bot.get_chat_member(chat_id, context.bot.id)
    except TelegramError:
        return False
    return me.status == ChatMember.ADMINISTRATOR and bool(getattr(me, "can_manage_tags", False))
