"""/emergency: an urgent message to one's buildings, ahead of everything queued, pinned."""

from __future__ import annotations

from telegram import Chat, Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.commands import MenuCommand
from bot.context import LinliContext
from bot.features import Feature
from bot.i18n import N_
from bot.services.community import Role
from bot.views import emergency as views
from handlers.access import actor_of, group_building
from handlers.common import command_text, show
from handlers.notices import command_message_id, owned_in_private

MENU = [
    MenuCommand(
        "emergency", N_("An emergency to your buildings, ahead of everything, pinned (owners)")
    ),
]


async def emergency(update: Update, context: LinliContext) -> None:
    """/emergency text in a building's group; /emergency [all|3号楼,5号楼] text in private."""
    chat = update.effective_chat
    if chat is not None and chat.type == Chat.PRIVATE:
        await _from_private(update, context)
    else:
        await _in_group(update, context)


async def _in_group(update: Update, context: LinliContext) -> None:
    """To this group's building (its owners): the post itself is the answer."""
    actor, place = actor_of(update), await group_building(update, context)
    [building] = await context.services.community.scope(actor, place.chat_id, Role.OWNER)
    service = context.services.emergency
    draft = await service.draft(command_text(update), None)
    await service.send(actor, building.chat_id, [building], draft, command_message_id(update))


async def _from_private(update: Update, context: LinliContext) -> None:
    """To the buildings named (or all one owns), with a summary once every post settled."""
    actor = actor_of(update)
    owned = await owned_in_private(update, context)
    service = context.services.emergency
    draft = await service.draft(command_text(update), owned)
    targets = owned if draft.to_all else list(draft.buildings)
    posted = await service.send(actor, actor.user_id, targets, draft, command_message_id(update))
    await show(update, context, views.on_its_way(context.t, posted, len(targets)))


def get_handlers() -> list[BaseHandler[Update, LinliContext, None]]:
    """Handlers of this feature (not on edited messages: an edit must not post it again)."""
    return [CommandHandler("emergency", emergency, filters=filters.UpdateType.MESSAGE)]


# Its rows are notices' (kinds notice and notice_pin): the notices' hooks settle them.
DESCRIPTION = Feature("emergency", get_handlers, MENU)
