"""/quiet: a building group's quiet hours, when scheduled posts wait."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.commands import MenuCommand
from bot.context import LinliContext, Services
from bot.features import Feature, Wiring
from bot.i18n import N_
from bot.services.quiet import RELEASE_JOB, read_quiet
from bot.views import recurring as views
from handlers.access import actor_of, group_building
from handlers.common import command_text, show

MENU = [
    MenuCommand(
        "quiet", N_("Quiet hours of the group: /quiet 22:00-07:00 (owners)"), private=False
    )
]


async def quiet(update: Update, context: LinliContext) -> None:
    """/quiet shows the group's quiet hours; /quiet 22:00-07:00 or /quiet off (owners)."""
    building = await group_building(update, context)
    service, text = context.services.quiet, command_text(update)
    if not text:
        await show(update, context, views.quiet(context.t, building, await service.get(building)))
        return
    hours = read_quiet(text)
    await service.set(actor_of(update), building, hours)
    await show(update, context, views.quiet_set(context.t, building, hours))


def get_handlers() -> list[BaseHandler[Update, LinliContext, None]]:
    """Handlers of this feature."""
    return [CommandHandler("quiet", quiet, filters=filters.UpdateType.MESSAGE)]


def wire(services: Services) -> Wiring:
    """The job that releases a group post held by quiet hours."""
    return Wiring(jobs={RELEASE_JOB: services.quiet.release})


DESCRIPTION = Feature("quiet", get_handlers, MENU, wire=wire)
