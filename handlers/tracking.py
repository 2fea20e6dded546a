"""Runs first for every update: records the user and chat, and picks the chat's language."""

from __future__ import annotations

from telegram import Chat, ChatMember, ChatMemberUpdated, Message, MessageEntity, Update
from telegram.ext import BaseHandler, TypeHandler

from bot.context import LinliContext
from bot.services.flood import has_link
from handlers.access import refresh_admins
from handlers.common import chat_place, person_of


async def track(update: Update, context: LinliContext) -> None:
    """Remember who wrote where, and set the language for the handlers that follow."""
    people = context.services.people
    user, chat = update.effective_user, update.effective_chat
    person = person_of(user)
    await people.seen(person, chat_place(chat))
    if person is not None and await people.is_forgotten(person.id):
        await context.services.care.hide_names(update.update_id, person)
    if chat is not None:
        context.language = await people.language_of(chat.id)
    if update.my_chat_member is not None and chat is not None:
        await people.bot_rights_changed(chat.id, bot_rights(update.my_chat_member))
    if _spoke_in_group(update) and chat is not None and user is not None:
        await context.services.community.resident_seen(chat.id, user.id)
        await context.services.flood.message(chat.id, user.id, _has_link(update.message))
    if _asks_in_group(update) and chat is not None:
        await refresh_admins(context, chat.id)  # once per update: roles rest on it


def bot_rights(change: ChatMemberUpdated) -> str | None:
    """What the bot may do in the chat now: admin (able to pin or not), member, or gone."""
    member = change.new_chat_member
    if member.status == ChatMember.ADMINISTRATOR:
        return "admin" if getattr(member, "can_pin_messages", False) else "admin_cannot_pin"
    if member.status in (ChatMember.MEMBER, ChatMember.RESTRICTED):
        return "member"
    return None


def _has_link(message: Message | None) -> bool:
    """A link in a message: Telegram marked one, or the words hold one."""
    if message is None:
        return False
    if message.parse_entities([MessageEntity.URL, MessageEntity.TEXT_LINK]) or \
            message.parse_caption_entities([MessageEntity.URL, MessageEntity.TEXT_LINK]):
        return True
    return has_link(message.text or message.caption or "")


def _asks_in_group(update: Update) -> bool:
    """A command or a button press in a group: the handlers will ask who may."""
    chat = update.effective_chat
    if chat is None or chat.type not in (Chat.GROUP, Chat.SUPERGROUP):
        return False
    message = update.message
    return update.callback_query is not None or bool(
        message is not None and (message.text or "").startswith("/")
    )


def _spoke_in_group(update: Update) -> bool:
    """A person wrote in a group (with privacy mode on, only commands and replies reach us)."""
    message = update.message
    return (
        message is not None
        and message.chat.type in (Chat.GROUP, Chat.SUPERGROUP)
        and message.from_user is not None
        and not message.from_user.is_bot
        and not message.new_chat_members
        and message.left_chat_member is None
    )


def get_handlers() -> list[BaseHandler[Update, LinliContext, None]]:
    """The tracking handler (added in group -1 by the app factory)."""
    return [TypeHandler(Update, track)]
