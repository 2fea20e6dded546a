"""Volunteer points: /points, /leaderboard, /award, /rewards, /reward, /redeem, and the
owners' buttons on redemption cards and rankings.

The handlers gather the Telegram facts (who, where, the admins of the groups a check rests
on) and call the service, which decides who may; the texts come from bot.views.points.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram import User as TelegramUser
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import action_for, parse_button, pattern
from bot.commands import MenuCommand
from bot.context import LinliContext, Services
from bot.domain.core import Building, User
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.features import Feature, Wiring
from bot.i18n import N_
from bot.services.community import REFUSALS, Actor, Role
from bot.services.points import (
    AWARD_USAGE,
    BUTTONS,
    EXPIRY_JOB,
    REWARD_USAGE,
    parse_award,
    parse_number,
    parse_reward,
    parse_reward_edit,
)
from bot.views import hours as hours_views
from bot.views import points as views
from bot.views.common import OutMessage
from handlers.access import actor_of, fresh_admins, group_building, place_of
from handlers.common import command_text, message_key, named_person, show

MENU = [
    MenuCommand("points", N_("Your points and latest entries")),
    MenuCommand("leaderboard", N_("This month's volunteer ranking")),
    MenuCommand("rewards", N_("Rewards from local shops")),
    MenuCommand("redeem", N_("Redeem a reward: /redeem 3")),
    MenuCommand("award", N_("Give points: /award @user 10 reason (owners)")),
    MenuCommand("reward", N_("Add, change or retire a reward (owners)")),
]
REDEEM_USAGE = N_("Write the reward's number: /redeem 3. See /rewards for the numbers.")
COMMUNITY_WORDS = {"community", "all", "社区", "全部"}
HOURS_WORDS = {"hours", "时长", "時長", "时数", "時數"}
MAX_POST_BUTTONS = 6


# --- who is who ----------------------------------------------------------------------------








async def _me(context: LinliContext, user: TelegramUser | None) -> User:
    """The person acting, as the bot recorded them (tracking runs before every handler)."""
    if user is None:
        raise NotAllowed(REFUSALS[Role.VOLUNTEER])
    known = await context.services.users.get(user.id)
    return known or User(id=user.id, first_name=user.first_name, username=user.username)






# --- points ----------------------------------------------------------------------------------


async def points(update: Update, context: LinliContext) -> None:
    """/points [@user]: the balance, latest entries and open redemptions (owners: anyone's)."""
    me = await _me(context, update.effective_user)
    words = command_text(update).split()
    person = await context.services.community.find_person(words[0]) if words else me
    service = context.services.points
    if person.id != me.id:
        await fresh_admins(update, context, await service.volunteering(person.id))
    statement = await service.statement(Actor(me.id), person.id)
    own = person.id == me.id
    tz = context.services.settings.community.tz
    private = place_of(update) is None and own
    await show(
        update,
        context,
        views.statement(context.t, person, statement, own=own, private=private, tz=tz),
    )


async def award(update: Update, context: LinliContext) -> None:
    """/award @user <points> <reason>: a manual award, or a correction with a minus (owners)."""
    if update.effective_message is None:
        return
    order = parse_award(command_text(update))
    volunteer = await named_person(update, context, order.username, AWARD_USAGE)
    service = context.services.points
    await fresh_admins(update, context, await service.volunteering(volunteer.id))
    source = f"award:{message_key(update)}"  # a replayed update pays once
    result = await service.award(actor_of(update), volunteer, order.amount, order.note, source)
    await show(update, context, views.award_reply(context.t, result))


# --- the catalogue ---------------------------------------------------------------------------


async def rewards(update: Update, context: LinliContext) -> None:
    """/rewards: the catalogue open to this building (in a group) or to you (in private)."""
    scope = await context.services.community.scope(
        actor_of(update), place_of(update), Role.RESIDENT
    )
    found = await context.services.points.catalogue(scope)
    await show(update, context, views.catalogue(context.t, found))


async def reward(update: Update, context: LinliContext) -> None:
    """/reward add|edit|retire …: manage the catalogue (owners; admins for the community)."""
    words = command_text(update).split(maxsplit=1)
    action = REWARD_ACTIONS.get(words[0].lower()) if words else None
    if action is None:
        raise InvalidInput(REWARD_USAGE)
    await show(update, context, await action(update, context, words[1] if len(words) > 1 else ""))


async def _add_reward(update: Update, context: LinliContext, text: str) -> OutMessage:
    """/reward add name | shop | points | stock [| monthly]: in a group to its building, in
    private to the whole community."""
    building = await group_building(update, context) if place_of(update) is not None else None
    added = await context.services.points.add_reward(
        actor_of(update), building, parse_reward(text), message_key(update)
    )
    place = building.name if building else context.services.settings.community.name
    return views.reward_added(context.t, place, added)


async def _edit_reward(update: Update, context: LinliContext, text: str) -> OutMessage:
    """/reward edit <number> <field> <value>."""
    number, field, value = parse_reward_edit(text)
    service = context.services.points
    await fresh_admins(update, context, [await _reward_building(context, number)])
    changed = await service.edit_reward(actor_of(update), number, field, value)
    return views.reward_changed(context.t, changed)


async def _retire_reward(update: Update, context: LinliContext, text: str) -> OutMessage:
    """/reward retire <number>."""
    number = parse_number(text, REWARD_USAGE)
    service = context.services.points
    await fresh_admins(update, context, [await _reward_building(context, number)])
    retired = await service.retire_reward(actor_of(update), number)
    return views.reward_retired(context.t, retired)


async def _reward_building(context: LinliContext, number: int) -> Building | None:
    """The building whose owners manage reward ``number`` (None: the community's)."""
    service = context.services.points
    return await service.reward_building(await service.reward(number))


RewardAction = Callable[[Update, LinliContext, str], Awaitable[OutMessage]]
REWARD_ACTIONS: dict[str, RewardAction] = {
    "add": _add_reward, "添加": _add_reward,
    "edit": _edit_reward, "修改": _edit_reward,
    "retire": _retire_reward, "下架": _retire_reward,
}  # fmt: skip


# --- redeeming -------------------------------------------------------------------------------


async def redeem(update: Update, context: LinliContext) -> None:
    """/redeem <number>: hold the points and the item until an owner approves or rejects."""
    message = update.effective_message
    if message is None:
        return
    number = parse_number(command_text(update), REDEEM_USAGE)
    me = await _me(context, update.effective_user)
    here = await context.services.community.buildings.by_chat(message.chat.id)
    request_key = f"{message.chat.id}:{message.message_id}"  # a replayed update redeems once
    result = await context.services.points.redeem(Actor(me.id), number, here, request_key)
    await show(update, context, views.redeemed(context.t, result, me.started))


# --- the ranking -----------------------------------------------------------------------------


async def leaderboard(update: Update, context: LinliContext) -> None:
    """/leaderboard [hours] [community | building]: this month's ranking by points (owners
    get a post button) or by service hours."""
    words = command_text(update).split(maxsplit=1)
    if words and words[0].lower() in HOURS_WORDS:
        await _hours_leaderboard(update, context, words[1] if len(words) > 1 else "")
        return
    building = await _ranking_place(update, context, command_text(update))
    board = await context.services.points.leaderboard(building)
    place = building.name if building else context.services.settings.community.name
    posts = await _posting_places(update, context, building)
    await show(update, context, views.leaderboard(context.t, board, place, posts))


async def _hours_leaderboard(update: Update, context: LinliContext, name: str) -> None:
    """/leaderboard hours [community | building]: this month's ranking by hours served; owners
    get a post button (pressed, it is handled by the hours feature)."""
    building = await _ranking_place(update, context, name)
    board = await context.services.hours.leaderboard(building)
    place = building.name if building else context.services.settings.community.name
    posts = await _posting_places(update, context, building)
    await show(update, context, hours_views.leaderboard(context.t, board, place, posts))


async def _ranking_place(update: Update, context: LinliContext, name: str) -> Building | None:
    """The building a ranking is for (named, or this group's); None for the whole community."""
    if name.lower() in COMMUNITY_WORDS:
        return None
    if name:
        return await context.services.community.building_named(name)
    return await group_building(update, context) if place_of(update) is not None else None


async def _posting_places(
    update: Update, context: LinliContext, building: Building | None
) -> list[Building]:
    """The buildings whose group this person may post the ranking in (owners)."""
    if update.effective_user is None:
        return []
    await fresh_admins(update, context, [building])
    owned = await context.services.community.scope(actor_of(update), None, Role.OWNER)
    if building is not None:
        return [b for b in owned if b.id == building.id]
    return owned[:MAX_POST_BUTTONS]


# --- buttons ---------------------------------------------------------------------------------


async def button(update: Update, context: LinliContext) -> None:
    """Owners' buttons: approve or reject a redemption, post a ranking.

    The service checks the rights again on every press. The query is answered once, with
    the outcome: a refusal raised here becomes that answer (as an alert) in handlers.errors.
    """
    query = update.callback_query
    if query is None:
        return
    pressed = parse_button(query.data, BUTTONS)
    action = action_for(BUTTON_ACTIONS, pressed)
    await query.answer(await action(update, context, pressed.int_arg()))


async def _approve(update: Update, context: LinliContext, redemption_id: int) -> str:
    return await _decide(update, context, redemption_id, approve=True)


async def _reject(update: Update, context: LinliContext, redemption_id: int) -> str:
    return await _decide(update, context, redemption_id, approve=False)


async def _decide(update: Update, context: LinliContext, redemption_id: int, approve: bool) -> str:
    """An owner of the redemption's building decides it."""
    service = context.services.points
    await fresh_admins(update, context, [await service.deciding(redemption_id)])
    decided = await service.decide(actor_of(update), redemption_id, approve)
    volunteer = await context.services.users.get(decided.user_id)
    name = volunteer.display_name if volunteer else str(decided.user_id)
    return views.decided_answer(context.t, decided, name)


async def _post(update: Update, context: LinliContext, building_id: int) -> str:
    """An owner posts the building's ranking in its group."""
    building = await context.services.community.buildings.by_id(building_id)
    if building is None:
        raise NotFound(N_("This button is no longer valid."))
    await fresh_admins(update, context, [building])
    posted = await context.services.points.post_leaderboard(actor_of(update), building)
    return views.posted_answer(context.t, building, posted)


ButtonAction = Callable[[Update, LinliContext, int], Awaitable[str]]
BUTTON_ACTIONS: dict[str, ButtonAction] = {"approve": _approve, "reject": _reject, "post": _post}


def wire(services: Services) -> Wiring:
    """The job that expires undecided redemptions (the cards are wired by LiveCards)."""
    return Wiring(jobs={EXPIRY_JOB: services.points.expire})


def get_handlers() -> list[BaseHandler[Update, LinliContext, None]]:
    """Handlers of this feature."""
    return [
        CommandHandler("points", points),
        CommandHandler("leaderboard", leaderboard),
        CommandHandler("award", award),
        CommandHandler("rewards", rewards),
        CommandHandler("reward", reward),
        CommandHandler("redeem", redeem),
        CallbackQueryHandler(button, pattern=pattern(BUTTONS)),
    ]


DESCRIPTION = Feature("points", get_handlers, MENU, wire=wire)
