"""Talking to the resident of a request: /replies (canned replies), /tell, the Reply…
buttons, and Telegram replies to a card or to a relayed message (handlers.chat hands
those here)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Chat, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import ButtonData, action_for, parse_button, pattern
from bot.commands import MenuCommand
from bot.context import LinliContext, Services
from bot.errors import InvalidInput
from bot.features import Feature, Wiring
from bot.i18n import N_
from bot.services.relay import RELAYED
from bot.views import relay as view
from handlers.access import actor_of, place_of
from handlers.common import answer_in_private, command_text, message_key, reply, show
from handlers.requests import fresh_owners, request_number

MENU = [
    MenuCommand("tell", N_("Write to the resident of a request you took: /tell N text")),
    MenuCommand("replies", N_("The building's canned replies; owners add and remove them")),
]
ADD, REMOVE = ("add", "添加"), ("remove", "delete", "删除")


async def replies(update: Update, context: LinliContext) -> None:
    """/replies, /replies add title | text, /replies remove title."""
    if update.effective_user is None:
        return
    service, actor, place = context.services.relay, actor_of(update), place_of(update)
    word, _sep, rest = command_text(update).partition(" ")
    if word.lower() in ADD:
        added = await service.add(actor, place, rest, message_key(update))
        await reply(update, context, view.added_text(context.t, added))
    elif word.lower() in REMOVE:
        title = await service.remove(actor, place, rest)
        await reply(update, context, view.removed_text(context.t, title))
    elif word:
        raise InvalidInput(
            N_("Write /replies to list them, /replies add title | text, or /replies remove "
               "title.")
        )
    else:
        found = await service.shelves(actor, place)
        owner = await service.may_edit(actor, place)
        await show(update, context, view.shelves(context.t, found, owner))


async def tell(update: Update, context: LinliContext) -> None:
    """/tell N text: the claimer writes to the resident through the bot (in private: the
    words are theirs alone)."""
    chat = update.effective_chat
    if update.effective_user is None or chat is None:
        return
    if chat.type != Chat.PRIVATE:
        raise InvalidInput(N_("Please write /tell to me in private: what you write to the "
                              "resident stays between the two of you."))
    number, text = request_number(command_text(update), "tell")
    await context.services.relay.tell(number, actor_of(update), text, message_key(update))
    await reply(update, context, view.sent_text(context.t, number))


async def relay_by_reply(update: Update, context: LinliContext) -> bool:
    """A Telegram reply in private to a card or a relayed message: the words are relayed.
    False when it replies to something else (the words are then plain words)."""
    message, chat = update.effective_message, update.effective_chat
    replied = None if message is None else message.reply_to_message
    if message is None or chat is None or replied is None or chat.type != Chat.PRIVATE:
        return False
    relayed = await context.services.relay.by_reply(
        actor_of(update), chat.id, replied.message_id, message.text or "", message_key(update)
    )
    if relayed is None:
        return False
    number = relayed.request.number
    words = view.sent_text if relayed.to_resident else view.answered_text
    await reply(update, context, words(context.t, number))
    return True


# --- buttons ------------------------------------------------------------------------------


async def button(update: Update, context: LinliContext) -> None:
    """Every button of this feature; the rights are checked again on each press."""
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    pressed = parse_button(query.data, view.FEATURE)
    action = action_for(BUTTONS, pressed)
    await action(update, context, pressed)


async def menu_button(update: Update, context: LinliContext, pressed: ButtonData) -> None:
    """Reply… on the claimer's card: the canned replies as buttons, in private."""
    number = pressed.int_arg()
    await fresh_owners(context, number)
    found = await context.services.relay.menu(number, actor_of(update))
    await answer_in_private(update, context, view.menu(context.t, number, found))


async def send_button(update: Update, context: LinliContext, pressed: ButtonData) -> None:
    """A canned reply's button: it goes to the resident (once, however often it is handled)."""
    query = update.callback_query
    number, canned_id = pressed.int_arg(0), pressed.int_arg(1)
    await fresh_owners(context, number)
    source = None if query is None else f"press:{query.id}"
    await context.services.relay.send_canned(number, canned_id, actor_of(update), source)
    await reply(update, context, view.sent_text(context.t, number))


BUTTONS: dict[str, Callable[[Update, LinliContext, ButtonData], Awaitable[None]]] = {
    "menu": menu_button,
    "send": send_button,
}


def wire(services: Services) -> Wiring:
    """The outbox hook of relayed messages (their copies, or the news they failed)."""
    return Wiring(settled={RELAYED: services.relay.settled})


def get_handlers() -> list[BaseHandler[Update, LinliContext, None]]:
    """Handlers of this feature."""
    return [
        CommandHandler("replies", replies),
        CommandHandler("tell", tell),
        CallbackQueryHandler(button, pattern=pattern(view.FEATURE)),
    ]


DESCRIPTION = Feature("relay", get_handlers, MENU, wire=wire)
