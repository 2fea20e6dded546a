"""A resident's own data: /mydata (the file of everything kept about them) and /forgetme
(with its Confirm / Cancel buttons), in private only; and the owners' Unmute button of the
antiflood (the guard itself runs from tracking, on every message in a group)."""

from __future__ import annotations

from telegram import Chat, InputFile, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import parse_button, pattern
from bot.commands import MenuCommand
from bot.context import LinliContext
from bot.errors import InvalidInput
from bot.features import Feature
from bot.i18n import N_
from bot.views import care as views
from handlers.access import actor_of, refresh_admins
from handlers.common import show

MENU = [
    MenuCommand("mydata", N_("A file of everything I keep about you"), group=False),
    MenuCommand("forgetme", N_("Ask me to forget you (with a confirmation)"), group=False),
]


def _in_private(update: Update, refusal: str) -> None:
    """Personal data is never shown in a group: there the answer says where to ask."""
    chat = update.effective_chat
    if chat is None or chat.type != Chat.PRIVATE:
        raise InvalidInput(refusal)


async def mydata(update: Update, context: LinliContext) -> None:
    """/mydata: everything the bot keeps about the person, as a JSON file, in private."""
    _in_private(update, N_("Your data is personal: write /mydata to me in a private chat."))
    message = update.effective_message
    if message is None:
        return
    record = await context.services.care.record(actor_of(update))
    tz = context.services.settings.community.tz
    await message.reply_document(
        InputFile(views.record_file(record, tz), filename="linli-mydata.json"),
        caption=views.record_caption(context.t, record), parse_mode=ParseMode.HTML)


async def forgetme(update: Update, context: LinliContext) -> None:
    """/forgetme: asks for confirmation (only for oneself: there is no form for another)."""
    _in_private(update, N_("Write /forgetme to me in a private chat."))
    actor = actor_of(update)
    await context.services.care.check_forget(actor)
    await show(update, context, views.forget_question(context.t, actor.user_id))


async def button(update: Update, context: LinliContext) -> None:
    """Yes, forget me / Cancel (the service checks again that the presser is the person),
    and an owner's Unmute (checked again that they own the group's building)."""
    query = update.callback_query
    if query is None:
        return
    _in_private(update, N_("This button is no longer valid."))
    pressed = parse_button(query.data, views.FEATURE)
    number = pressed.int_arg()  # the person (Yes, forget me / Cancel) or the mute (Unmute)
    if pressed.action == "keep":
        context.services.care.same_person(actor_of(update), number)
        text = views.kept(context.t)
    elif pressed.action == "forget":
        done = await context.services.care.forget(actor_of(update), number)
        text = views.forgotten(context.t, done)
    elif pressed.action == "unmute":
        text = await _unmute(context, update, number)
    else:
        raise InvalidInput(N_("This button is no longer valid."))
    await query.answer()
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML)
    except BadRequest:  # the question is gone: the answer comes as a new message
        await context.bot.send_message(query.from_user.id, text, parse_mode=ParseMode.HTML)


async def _unmute(context: LinliContext, update: Update, mute_id: int) -> str:
    """An owner lifts a mute; their rights rest on the group's admin list, fetched fresh."""
    flood = context.services.flood
    building = await flood.building_of(mute_id)
    await refresh_admins(context, building.chat_id)
    await flood.unmute(actor_of(update), mute_id)
    return views.unmuted(context.t)


def get_handlers() -> list[BaseHandler[Update, LinliContext, None]]:
    """Handlers of this feature."""
    return [
        CommandHandler("mydata", mydata),
        CommandHandler("forgetme", forgetme),
        CallbackQueryHandler(button, pattern=pattern(views.FEATURE)),
    ]


DESCRIPTION = Feature("care", get_handlers, MENU)
