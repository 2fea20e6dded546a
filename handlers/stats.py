"""/stats and /export: a month's figures, chart and spreadsheet, for the owners of a
building (their buildings) and the community admins (every building)."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CommandHandler

from bot.commands import MenuCommand
from bot.context import LinliContext, Services
from bot.domain.core import Building
from bot.errors import InvalidInput, NotAllowed
from bot.features import Feature, Wiring
from bot.i18n import N_
from bot.services.community import REFUSALS, Role
from bot.services.stats import CHART_REF, REPORT_JOB
from bot.views import stats as views
from handlers.access import owner_actor, place_of
from handlers.common import command_text, show

MENU = [
    MenuCommand("stats", N_("A month's figures and chart: /stats 2026-10 (owners)")),
    MenuCommand(
        "export", N_("A month's spreadsheet: /export 2026-10 (owners, in private)"), group=False
    ),
]


async def owned_here(update: Update, context: LinliContext) -> list[Building]:
    """The buildings whose figures the user may see here: in a group, that group's (owners);
    in private, every building they own (community admins: every building)."""
    actor = await owner_actor(update, context)
    buildings = await context.services.community.scope(actor, place_of(update), Role.OWNER)
    if not buildings:
        raise NotAllowed(REFUSALS[Role.OWNER])
    return buildings


async def stats(update: Update, context: LinliContext) -> None:
    """/stats [YYYY-MM]: the month's figures, building by building and in total, and the
    chart."""
    buildings = await owned_here(update, context)
    service = context.services.stats
    month = service.month(command_text(update))
    figures = await service.figures(buildings, month)
    for message in views.figures(context.t, figures):
        await show(update, context, message)
    chart = await service.chart(figures, context.t)
    if update.effective_message is not None:
        await update.effective_message.reply_photo(
            InputFile(chart, filename=f"linli-{month.key}.png"),
            caption=views.chart_caption(context.t, month),
            parse_mode=ParseMode.HTML,
        )


async def export(update: Update, context: LinliContext) -> None:
    """/export [YYYY-MM]: the month's spreadsheet, sent in a private chat."""
    message = update.effective_message
    if message is None or place_of(update) is not None:
        raise InvalidInput(
            N_("The spreadsheet names residents: please ask for it with /export in a private "
               "chat with me.")
        )
    buildings = await owned_here(update, context)
    service = context.services.stats
    month = service.month(command_text(update))
    workbook = await service.export(buildings, month, context.t)
    await message.reply_document(
        InputFile(workbook, filename=f"linli-{month.key}.xlsx"),
        caption=views.export_caption(context.t, month),
        parse_mode=ParseMode.HTML,
    )


def wire(services: Services) -> Wiring:
    """The monthly report's job kind, the outbox's source of its chart, and at every
    start, making sure this month's report is planned."""
    stats = services.stats
    return Wiring(
        jobs={REPORT_JOB: stats.send_report},
        files={CHART_REF: stats.chart_file},
        on_start=stats.plan_report,
    )


def get_handlers() -> list[BaseHandler[Update, LinliContext, None]]:
    """Handlers of this feature."""
    return [CommandHandler("stats", stats), CommandHandler("export", export)]


DESCRIPTION = Feature("stats", get_handlers, MENU, wire=wire)
