"""/topic: in a group with topics, the topic where notices, request posts and event cards go."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.commands import MenuCommand
from bot.context import LinliContext
from bot.features import Feature
from bot.i18n import N_
from bot.services.topics import TopicPlace, read_topic
from bot.views import topics as views
from handlers.access import actor_of, group_building
from handlers.common import command_text, show

MENU = [
    MenuCommand(
        "topic",
        N_("Topics of the group: /topic notices inside a topic posts notices there (owners)"),
        private=False,
    )
]


def topic_place(message: Message | None) -> TopicPlace:
    """Whether the command came from a group with topics, and from which topic (None: the
    general topic), with its name when Telegram shows it (the topic's first message)."""
    if message is None or not message.chat.is_forum:
        return TopicPlace(is_forum=False)
    if not message.is_topic_message or message.message_thread_id is None:
        return TopicPlace(is_forum=True)
    opening = message.reply_to_message
    created = opening.forum_topic_created if opening is not None else None
    name = created.name if created is not None and opening is not None \
        and opening.message_id == message.message_thread_id else None
    return TopicPlace(is_forum=True, thread_id=message.message_thread_id, name=name)


async def topic(update: Update, context: LinliContext) -> None:
    """/topic shows the choices; /topic notices (inside a topic) or /topic notices off."""
    building = await group_building(update, context)
    service, order = context.services.topics, read_topic(command_text(update))
    if order is None:
        await show(update, context, views.choices(context.t, building,
                                                  await service.choices(building)))
        return
    actor = actor_of(update)
    if order.off:
        was_set = await service.clear(actor, building, order.kind)
        await show(update, context, views.cleared(context.t, order.kind, was_set))
        return
    place = topic_place(update.effective_message)
    await service.choose(actor, building, order.kind, place)
    await show(update, context, views.chosen(context.t, order.kind, place.name))


def get_handlers() -> list[BaseHandler[Update, LinliContext, None]]:
    """Handlers of this feature."""
    return [CommandHandler("topic", topic, filters=filters.UpdateType.MESSAGE)]


DESCRIPTION = Feature("topics", get_handlers, MENU)
