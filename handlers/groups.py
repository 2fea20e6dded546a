"""Building groups: the bot joining and leaving, /setup, /lang, volunteers, members, migration."""

from __future__ import annotations

from telegram import (
    Chat,
    ChatMember,
    ChatMemberUpdated,
    Update,
)
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import parse_button, pattern
from bot.commands import MenuCommand
from bot.context import LinliContext
from bot.domain.core import User
from bot.errors import InvalidInput
from bot.features import Feature
from bot.i18n import N_
from bot.services.community import Role
from bot.views import care as care_views
from bot.views import groups as views
from handlers.access import actor_of, bot_can_tag, group_building, refresh_admins
from handlers.common import command_text, message_key, named_person, show

VOLUNTEER_USAGE = N_(
    "Reply to a message of the person with the command, or name them: "
    "/volunteer @username [skills]"
)
MENU = [
    MenuCommand("setup", N_("Register this group as a building"), private=False),
    MenuCommand("lang", N_("Choose the language: /lang zh or /lang en")),
    MenuCommand("volunteer", N_("Add a volunteer (reply to them, or @username)"), private=False),
    MenuCommand("unvolunteer", N_("Remove a volunteer"), private=False),
]

PRESENT = {
    ChatMemberStatus.MEMBER,
    ChatMemberStatus.ADMINISTRATOR,
    ChatMemberStatus.OWNER,
    ChatMemberStatus.RESTRICTED,
}


def membership_change(update: ChatMemberUpdated) -> tuple[bool, bool] | None:
    """(was present, is present) for a member update, or None if presence did not change."""
    was = update.old_chat_member.status in PRESENT
    now = update.new_chat_member.status in PRESENT
    if update.old_chat_member.status == ChatMemberStatus.RESTRICTED:
        was = bool(getattr(update.old_chat_member, "is_member", True))
    if update.new_chat_member.status == ChatMemberStatus.RESTRICTED:
        now = bool(getattr(update.new_chat_member, "is_member", True))
    return None if was == now else (was, now)


async def bot_membership(update: Update, context: LinliContext) -> None:
    """Greet a group the bot was added to; mark it inactive when the bot is removed."""
    change = update.my_chat_member
    chat = update.effective_chat
    if change is None or chat is None or chat.type == Chat.PRIVATE:
        return
    community = context.services.community
    presence = membership_change(change)
    if presence == (False, True):
        await community.bot_added(chat.id)
        await context.bot.send_message(chat.id, views.greeting(context.t).text, parse_mode="HTML")
    elif presence == (True, False):
        await community.bot_removed(chat.id)
    elif change.new_chat_member.status != change.old_chat_member.status:
        await refresh_admins(context, chat.id, force=True)


async def member_update(update: Update, context: LinliContext) -> None:
    """Record residents as they join and leave (Telegram sends these only to admin bots)."""
    change = update.chat_member
    if change is None or change.new_chat_member.user.is_bot:
        return
    community = context.services.community
    user_id = change.new_chat_member.user.id
    presence = membership_change(change)
    if presence == (False, True):
        await community.resident_seen(change.chat.id, user_id)
        joined = f"{change.chat.id}:{user_id}:{int(change.date.timestamp())}"
        await context.services.welcome.newcomer(change.chat.id, user_id, joined)
    elif presence == (True, False):
        await community.member_left(change.chat.id, user_id)
    if ChatMemberStatus.ADMINISTRATOR in (
        change.old_chat_member.status,
        change.new_chat_member.status,
    ):
        await refresh_admins(context, change.chat.id, force=True)


async def service_message(update: Update, context: LinliContext) -> None:
    """Joins and leaves seen as service messages, and the move to a supergroup."""
    message = update.effective_message
    if message is None:
        return
    community = context.services.community
    if message.migrate_to_chat_id:
        await community.migrate_chat(message.chat.id, message.migrate_to_chat_id)
        context.services.people.forget_chat(message.chat.id)
        return
    for user in message.new_chat_members or ():
        if not user.is_bot:
            await community.resident_seen(message.chat.id, user.id)
    if message.left_chat_member and not message.left_chat_member.is_bot:
        await community.member_left(message.chat.id, message.left_chat_member.id)


async def setup(update: Update, context: LinliContext) -> None:
    """/setup <name>: register the group as a building, or rename it (group admins)."""
    chat = update.effective_chat
    if chat is None or chat.type not in (Chat.GROUP, Chat.SUPERGROUP):
        raise InvalidInput(N_("Please use /setup in the building's group."))
    actor = actor_of(update)
    await refresh_admins(context, chat.id, force=True)  # who may register rests on it
    result = await context.services.community.setup(
        chat.id, command_text(update), actor.user_id, actor=actor
    )
    advice = await rights_advice(context, chat.id)
    await show(update, context, views.set_up(context.t, result.building, result.created, advice))


async def rights_advice(context: LinliContext, chat_id: int) -> str:
    """What rights the bot still needs in the group ("" if Telegram would not say)."""
    try:
        me = await context.bot.get_chat_member(chat_id, context.bot.id)
    except TelegramError:
        return ""
    admin = me.status == ChatMember.ADMINISTRATOR
    can_pin = bool(getattr(me, "can_pin_messages", False))
    rights = ("admin" if can_pin else "admin_cannot_pin") if admin else "member"
    await context.services.people.bot_rights_changed(chat_id, rights)  # as Telegram says now
    advice = views.rights_advice(
        context.t, admin=admin, can_pin=can_pin
    )
    if context.services.settings.groups.antiflood:
        can_restrict = admin and bool(getattr(me, "can_restrict_members", False))
        advice += "\n" + care_views.antiflood_advice(context.t, can_restrict=can_restrict)
    return advice


async def lang(update: Update, context: LinliContext) -> None:
    """/lang zh|zh-hant|en: the group's language (owners), or your own in private.

    Bare /lang shows the language in use, with a button for each.
    """
    choice = command_text(update).lower()
    if choice:
        await _set_language(update, context, choice)
        return
    await show(update, context, views.language_choice(context.t))


async def lang_button(update: Update, context: LinliContext) -> None:
    """A language button of bare /lang; the rights are checked again on the press."""
    query = update.callback_query
    if query is None:
        return
    pressed = parse_button(query.data, "lang")
    if pressed.action != "set" or len(pressed.args) != 1:
        raise InvalidInput(N_("This button is no longer valid."))
    await _set_language(update, context, pressed.args[0])


async def _set_language(update: Update, context: LinliContext, language: str) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    if chat.type != Chat.PRIVATE:
        place = await group_building(update, context)
        await context.services.community.scope(actor_of(update), place.chat_id, Role.OWNER)
    context.language = await context.services.people.set_language(chat.id, language)
    await show(update, context, views.language_set(context.t))


async def volunteer(update: Update, context: LinliContext) -> None:
    """/volunteer (as a reply, or with @username) [skills…]: add a volunteer (owners)."""
    actor, place = actor_of(update), await group_building(update, context)
    [building] = await context.services.community.scope(actor, place.chat_id, Role.OWNER)
    person, skills = await _named_person(update, context)
    await context.services.community.add_volunteer(building, person, skills, actor=actor)
    if await bot_can_tag(context, building.chat_id):
        await context.services.welcome.volunteer_tagged(building, person, volunteer=True,
                                                        key=message_key(update))
    await show(update, context, views.volunteer_added(context.t, person, building, skills))


async def unvolunteer(update: Update, context: LinliContext) -> None:
    """/unvolunteer (as a reply, or with @username): remove a volunteer (owners)."""
    actor, place = actor_of(update), await group_building(update, context)
    [building] = await context.services.community.scope(actor, place.chat_id, Role.OWNER)
    person, _skills = await _named_person(update, context)
    await context.services.community.remove_volunteer(building, person, actor=actor)
    if await bot_can_tag(context, building.chat_id):
        await context.services.welcome.volunteer_tagged(building, person, volunteer=False,
                                                        key=message_key(update))
    await show(update, context, views.volunteer_removed(context.t, person, building))




async def _named_person(update: Update, context: LinliContext) -> tuple[User, list[str]]:
    """The person a command names (replied-to message, or @username first), and the rest."""
    words = command_text(update).split()
    named = words[0] if words and words[0].startswith("@") else None
    person = await named_person(update, context, named, VOLUNTEER_USAGE)
    return person, words[1:] if named else words


def get_handlers() -> list[BaseHandler[Update, LinliContext, None]]:
    """Handlers of this feature."""
    return [
        ChatMemberHandler(bot_membership, ChatMemberHandler.MY_CHAT_MEMBER),
        ChatMemberHandler(member_update, ChatMemberHandler.CHAT_MEMBER),
        CommandHandler("setup", setup),
        CommandHandler("lang", lang),
        CallbackQueryHandler(lang_button, pattern=pattern("lang")),
        CommandHandler("volunteer", volunteer),
        CommandHandler("unvolunteer", unvolunteer),
        MessageHandler(
            filters.StatusUpdate.MIGRATE
            | filters.StatusUpdate.NEW_CHAT_MEMBERS
            | filters.StatusUpdate.LEFT_CHAT_MEMBER,
            service_message,
        ),
    ]


DESCRIPTION = Feature("groups", get_handlers, MENU)
