"""Volunteer points: /points, /leaderboard, /award, /rewards, /reward, /redeem, and the
owners' buttons on redemption cards and rankings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram import User as TelegramUser
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import button_data, parse_button, pattern
from bot.commands import MenuCommand
from bot.context import LinliContext, Services
from bot.domain.core import Building, User
from bot.domain.points import Reward
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.features import Feature, Wiring
from bot.i18n import N_, Translator
from bot.services.community import Role
from bot.services.points import (
    AWARD_USAGE,
    BUTTONS,
    EXPIRY_JOB,
    POINTS_ARE_FOR_VOLUNTEERS,
    REWARD_USAGE,
    Award,
    Redeemed,
    Statement,
    entry_line,
    leaderboard_text,
    parse_award,
    parse_number,
    parse_reward,
    parse_reward_edit,
    redemption_line,
    reward_line,
)
from handlers.access import REFUSALS, group_building, require_role, role_of
from handlers.common import command_text, message_key, reply

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
MAX_LISTED = 20  # rewards in one reply: 20 long lines stay under Telegram's 4096 characters
MAX_POST_BUTTONS = 6


# --- who is who ----------------------------------------------------------------------------


def _in_group(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type in (Chat.GROUP, Chat.SUPERGROUP)


async def _me(context: LinliContext, user: TelegramUser | None) -> User:
    """The person acting, as the bot recorded them (tracking runs before every handler)."""
    if user is None:
        raise NotAllowed(REFUSALS[Role.VOLUNTEER])
    known = await context.services.users.get(user.id)
    return known or User(id=user.id, first_name=user.first_name, username=user.username)


async def _named_person(update: Update, context: LinliContext, username: str | None) -> User:
    """The person a command names by @username, or the author of the replied-to message."""
    community = context.services.community
    if username:
        return await community.find_person(username)
    message = update.effective_message
    replied = message.reply_to_message if message else None
    if replied is not None and replied.from_user and not replied.from_user.is_bot:
        known = await community.users.get(replied.from_user.id)
        if known is not None:
            return known
    raise InvalidInput(AWARD_USAGE)


async def require_owner_of(update: Update, context: LinliContext, volunteer_id: int) -> None:
    """Refuse unless the user owns a building the volunteer serves (community admins may)."""
    user = update.effective_user
    community = context.services.community
    if user is not None and community.is_admin(user.id):
        return
    for building in await community.buildings.volunteering(volunteer_id):
        if await role_of(update, context, building) >= Role.OWNER:
            return
    raise NotAllowed(N_("Only the owners of a building this volunteer serves may do this."))


async def require_reward_rights(update: Update, context: LinliContext, reward: Reward) -> None:
    """Owners manage their building's rewards; community admins the community's."""
    building = await _building(context, reward.building_id)
    if building is not None:
        await require_role(update, context, building, Role.OWNER)
    elif not (
        update.effective_user and context.services.community.is_admin(update.effective_user.id)
    ):
        raise NotAllowed(REFUSALS[Role.ADMIN])


async def _building(context: LinliContext, building_id: int | None) -> Building | None:
    if building_id is None:
        return None
    building = await context.services.community.buildings.by_id(building_id)
    if building is None:
        raise NotFound(N_("This button is no longer valid."))
    return building


# --- points ----------------------------------------------------------------------------------


async def points(update: Update, context: LinliContext) -> None:
    """/points [@user]: the balance, latest entries and open redemptions (owners: anyone's)."""
    me = await _me(context, update.effective_user)
    words = command_text(update).split()
    person = await context.services.community.find_person(words[0]) if words else me
    if person.id != me.id:
        await require_owner_of(update, context, person.id)
    statement = await context.services.points.statement(person.id)
    private = not _in_group(update) and person.id == me.id
    await reply(update, context, statement_text(context, person, statement, me, private))


def statement_text(
    context: LinliContext, person: User, statement: Statement, me: User, private: bool
) -> str:
    """A balance, its latest entries and the open redemptions."""
    t, tz = context.t, context.services.settings.community.tz
    lines = [
        t("<b>Your points: {balance}</b>", balance=statement.balance)
        if person.id == me.id
        else t(
            "<b>Points of {name}: {balance}</b>",
            name=person.display_name,
            balance=statement.balance,
        )
    ]
    if not statement.entries and not statement.volunteer:
        return t(POINTS_ARE_FOR_VOLUNTEERS)
    lines += [t("Latest entries:")] if statement.entries else [t("No entries yet.")]
    lines += [entry_line(t, entry, tz) for entry in statement.entries]
    if statement.redemptions:
        lines += ["", t("Redemptions:")]
        lines += [redemption_line(t, r, tz, private) for r in statement.redemptions]
    if person.id == me.id:
        lines += ["", t("See /rewards for what your points can buy.")]
    return "\n".join(lines)


async def award(update: Update, context: LinliContext) -> None:
    """/award @user <points> <reason>: a manual award, or a correction with a minus (owners)."""
    message, me = update.effective_message, await _me(context, update.effective_user)
    if message is None:
        return
    order = parse_award(command_text(update))
    volunteer = await _named_person(update, context, order.username)
    await require_owner_of(update, context, volunteer.id)
    source = f"award:{message_key(update)}"  # a replayed update pays once
    result = await context.services.points.award(me.id, volunteer, order.amount, order.note, source)
    await reply(update, context, award_text(context.t, result))


def award_text(t: Translator, result: Award) -> str:
    """What the owner reads after /award."""
    name, entry = result.volunteer.display_name, result.entry
    if not result.created:
        return t(
            "This was already recorded. {name} has {balance} points.",
            name=name,
            balance=result.balance,
        )
    if entry.amount > 0:
        text = t(
            "{name} received {points} points: {note}",
            name=name,
            points=entry.amount,
            note=entry.note,
        )
    else:
        text = t(
            "Correction for {name}: {points} points ({note}).",
            name=name,
            points=entry.amount,
            note=entry.note,
        )
    return text + "\n" + t("Balance: {balance} points.", balance=result.balance)


# --- the catalogue ---------------------------------------------------------------------------


async def rewards(update: Update, context: LinliContext) -> None:
    """/rewards: the catalogue open to this building (in a group) or to you (in private)."""
    t = context.t
    found = await context.services.points.catalogue(await _catalogue_scope(update, context))
    if not found:
        await reply(update, context, t("No rewards yet. Owners add them with /reward add."))
        return
    lines = [t("<b>Rewards from local shops</b>")]
    lines += [reward_line(t, reward) for reward in found[:MAX_LISTED]]
    lines += ["…"] if len(found) > MAX_LISTED else []
    lines += [
        "",
        t("Redeem one with its number, for example: /redeem {number}", number=found[0].id),
    ]
    await reply(update, context, "\n".join(lines))


async def _catalogue_scope(update: Update, context: LinliContext) -> list[Building] | None:
    """The buildings whose rewards a person sees: the group's, or all of theirs (admins: all)."""
    if _in_group(update):
        return [await group_building(update, context)]
    user = update.effective_user
    community = context.services.community
    if user is None or community.is_admin(user.id):
        return None
    mine = await community.buildings.of_user(user.id) + await community.owned_buildings(user.id)
    return list({building.id: building for building in mine}.values())


async def reward(update: Update, context: LinliContext) -> None:
    """/reward add|edit|retire …: manage the catalogue (owners; admins for the community)."""
    words = command_text(update).split(maxsplit=1)
    action = REWARD_ACTIONS.get(words[0].lower()) if words else None
    if action is None:
        raise InvalidInput(REWARD_USAGE)
    await reply(update, context, await action(update, context, words[1] if len(words) > 1 else ""))


async def _add_reward(update: Update, context: LinliContext, text: str) -> str:
    """/reward add name | shop | points | stock [| monthly]."""
    me = await _me(context, update.effective_user)
    building = await _catalogue_of_chat(update, context, me)
    added = await context.services.points.add_reward(
        me.id, building, parse_reward(text), message_key(update)
    )
    place = building.name if building else context.services.settings.community.name
    t = context.t
    return t("Added to the rewards of {place}:", place=place) + "\n" + reward_line(t, added)


async def _catalogue_of_chat(update: Update, context: LinliContext, me: User) -> Building | None:
    """A group adds to its building (owners); a private chat to the community (admins)."""
    if _in_group(update):
        building = await group_building(update, context)
        await require_role(update, context, building, Role.OWNER)
        return building
    if not context.services.community.is_admin(me.id):
        raise InvalidInput(
            N_(
                "Add a reward in your building's group. Rewards for every building are "
                "added here by the community admins."
            )
        )
    return None


async def _edit_reward(update: Update, context: LinliContext, text: str) -> str:
    """/reward edit <number> <field> <value>."""
    number, field, value = parse_reward_edit(text)
    service = context.services.points
    found = await service.reward(number)
    await require_reward_rights(update, context, found)
    changed = await service.edit_reward(found, field, value)
    return context.t("Reward changed:") + "\n" + reward_line(context.t, changed)


async def _retire_reward(update: Update, context: LinliContext, text: str) -> str:
    """/reward retire <number>."""
    service = context.services.points
    found = await service.reward(parse_number(text, REWARD_USAGE))
    await require_reward_rights(update, context, found)
    await service.retire_reward(found)
    return context.t(
        "«{name}» is out of the catalogue. Redemptions already made are still decided.",
        name=found.name,
    )


RewardAction = Callable[[Update, LinliContext, str], Awaitable[str]]
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
    result = await context.services.points.redeem(me, number, here, request_key)
    await reply(update, context, redeemed_text(context.t, result, me))


def redeemed_text(t: Translator, result: Redeemed, me: User) -> str:
    """What the volunteer reads after /redeem."""
    redemption = result.redemption
    if not result.created:
        return t("Redemption #{number} is already recorded.", number=redemption.id)
    text = t(
        "🎁 Redemption #{number}: «{reward}» from {shop}. {cost} points are held; "
        "your balance is {balance}.\n"
        "An owner of {building} will approve it, and I will send you the voucher code "
        "in our private chat.",
        number=redemption.id,
        reward=redemption.reward_name,
        shop=redemption.shop,
        cost=redemption.cost,
        balance=result.balance,
        building=result.building.name,
    )
    if not me.started:
        text += "\n" + t("Please open a private chat with me and press Start to get the code.")
    return text


# --- the ranking -----------------------------------------------------------------------------


async def leaderboard(update: Update, context: LinliContext) -> None:
    """/leaderboard [community | building]: this month's ranking; owners get a post button."""
    building = await _ranking_place(update, context)
    board = await context.services.points.leaderboard(building)
    place = building.name if building else context.services.settings.community.name
    buttons = await _post_buttons(update, context, building)
    await reply(
        update,
        context,
        leaderboard_text(context.t, board, place),
        reply_markup=InlineKeyboardMarkup([[b] for b in buttons]) if buttons else None,
    )


async def _ranking_place(update: Update, context: LinliContext) -> Building | None:
    """The building a ranking is for; None for the whole community."""
    name = command_text(update)
    if name.lower() in COMMUNITY_WORDS:
        return None
    if name:
        return await context.services.community.building_named(name)
    return await group_building(update, context) if _in_group(update) else None


async def _post_buttons(
    update: Update, context: LinliContext, building: Building | None
) -> list[InlineKeyboardButton]:
    """'Post to the group' buttons for the buildings this owner may post a ranking in."""
    user = update.effective_user
    if user is None:
        return []
    if building is not None:
        chosen = [building] if await role_of(update, context, building) >= Role.OWNER else []
    else:
        chosen = (await context.services.community.owned_buildings(user.id))[:MAX_POST_BUTTONS]
    return [
        InlineKeyboardButton(
            context.t.plain("📣 Post the ranking in {building}", building=b.name),
            callback_data=button_data(BUTTONS, "post", b.id),
        )
        for b in chosen
    ]


# --- buttons ---------------------------------------------------------------------------------


async def button(update: Update, context: LinliContext) -> None:
    """Owners' buttons: approve or reject a redemption, post a ranking.

    Rights are checked again on every press. The query is answered once, with the
    outcome: a refusal raised here becomes that answer (as an alert) in handlers.errors.
    """
    query = update.callback_query
    if query is None:
        return
    pressed = parse_button(query.data, BUTTONS)
    action = BUTTON_ACTIONS.get(pressed.action)
    if action is None:
        raise InvalidInput(N_("This button is no longer valid."))
    await query.answer(await action(update, context, pressed.int_arg()))


async def _approve(update: Update, context: LinliContext, redemption_id: int) -> str:
    return await _decide(update, context, redemption_id, approve=True)


async def _reject(update: Update, context: LinliContext, redemption_id: int) -> str:
    return await _decide(update, context, redemption_id, approve=False)


async def _decide(update: Update, context: LinliContext, redemption_id: int, approve: bool) -> str:
    """An owner of the redemption's building decides it."""
    service = context.services.points
    redemption = await service.redemption(redemption_id)
    building = await _building(context, redemption.building_id)
    assert building is not None
    await require_role(update, context, building, Role.OWNER)
    decided = await service.decide(
        redemption.id, await _me(context, update.effective_user), approve
    )
    volunteer = await context.services.users.get(decided.user_id)
    name = volunteer.display_name if volunteer else str(decided.user_id)
    if approve:
        return context.t.plain("Approved: {name} gets the voucher code.", name=name)
    return context.t.plain("Rejected: the points went back to {name}.", name=name)


async def _post(update: Update, context: LinliContext, building_id: int) -> str:
    """An owner posts the building's ranking in its group."""
    building = await _building(context, building_id)
    assert building is not None
    await require_role(update, context, building, Role.OWNER)
    if await context.services.points.post_leaderboard(building):
        return context.t.plain("Posted in {building}.", building=building.name)
    return context.t.plain("This ranking is already posted in {building}.", building=building.name)


ButtonAction = Callable[[Update, LinliContext, int], Awaitable[str]]
BUTTON_ACTIONS: dict[str, ButtonAction] = {"approve": _approve, "reject": _reject, "post": _post}


def wire(services: Services) -> Wiring:
    """The job that expires undecided redemptions."""
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
