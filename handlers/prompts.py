"""The one dispatcher of stored prompts: a person's next message goes to the feature that asked.

It runs in its own handler group before the features (see ``bot.app``). A message that
answers a prompt stops there; any other message, and every command, goes on to the
features as usual, so a command typed instead of an answer runs and drops nothing.
In a group a plain message answers as well as a reply does.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, MessageHandler, filters

from bot.context import BotData, LinliContext
from bot.errors import LinliError
from bot.features import PromptAnswer
from bot.views.menu import command_of
from handlers.errors import refuse

log = logging.getLogger(__name__)


class WaitedOn(filters.MessageFilter):
    """A message (not a command) from someone the bot is waiting on in that chat."""

    def __init__(self, bot_data: BotData) -> None:
        super().__init__(name="waited_on")
        self.bot_data = bot_data

    def filter(self, message: Message) -> bool:
        """Checked for every message; the prompts' mirror keeps it cheap."""
        user, services = message.from_user, self.bot_data.services
        if services is None or user is None or user.is_bot:
            return False
        if (message.text or "").startswith("/") or command_of(message.text or ""):
            return False  # a command, or a menu button that stands for one
        return services.prompts.may_answer(message.chat.id, user.id)


def dispatcher(
    bot_data: BotData, answers: Mapping[str, PromptAnswer]
) -> list[BaseHandler[Update, LinliContext, None]]:
    """The handler that hands answers to ``answers[prompt.feature]``."""

    async def dispatch(update: Update, context: LinliContext) -> None:
        """Hand the message to the feature whose prompt it answers."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        prompt = await context.services.prompts.current(message.chat.id, user.id)
        if prompt is None:  # the mirror said yes wrongly: let the features have it
            return
        if prompt.answered_message == message.message_id:  # the same answer, handled again
            raise ApplicationHandlerStop
        answer = answers.get(prompt.feature)
        if answer is None:
            log.warning("a prompt of %s has no answer handler", prompt.feature)
            return
        try:
            await answer(update, context, prompt)
        except LinliError as error:  # answered here: no feature after this may take it too
            await refuse(update, context, error)
        raise ApplicationHandlerStop

    return [MessageHandler(filters.UpdateType.MESSAGE & WaitedOn(bot_data), dispatch)]
