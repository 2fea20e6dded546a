"""/stats and /export: a month's figures, chart and spreadsheet, for the owners of a
building (their buildings) and the community admins (every building)."""

from __future__ import annotations

from telegram import Chat, InputFile, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CommandHandler

from bot.commands import MenuCommand
from bot.context import LinliContext, Services
from bot.domain.core import Building
from bot.errors import InvalidInput, NotAllowed
from bot.features import Feature, Wiring
from bot.i18n import N_
from bot.reports.chart import CHART_CAPTION
from bot.reports.figures import report_messages
from bot.services.community import Role
from bot.services.stats import CHART_REF, REPORT_JOB
from handlers.access import REFUSALS, group_building, require_role, role_of
from handlers.common import command_text, reply

MENU = [
    MenuCommand("stats", N_("A month's figures and chart: /stats 2026-10 (owners)")),
    MenuCommand(
        "export", N_("A month's spreadsheet: /export 2026-10 (owners, in private)"), group=False
    ),
]


async def buildings_for(update: Update, context: LinliContext) -> list[Building]:
    """The buildings whose figures the user may see here: in a group, that group's (owners);
    in private, every building they own (community admins: every building)."""
    chat, user = update.effective_chat, update.effective_user
    community = context.services.community
    if chat is not None and chat.type in (Chat.GROUP, Chat.SUPERGROUP):
        building = await group_building(update, context)
        await require_role(update, context, building, Role.OWNER)
        return [building]
    if user is None:
        raise NotAllowed(REFUSALS[Role.OWNER])
    if community.is_admin(user.id):
        return await community.buildings.all()
    owned = [
        building
        for building in await community.owned_buildings(user.id)
        if await role_of(update, context, building) >= Role.OWNER  # the admin list is fresh
    ]
    if not owned:
        raise NotAllowed(REFUSALS[Role.OWNER])
    return owned


async def stats(update: Update, context: LinliContext) -> None:
    """/stats [YYYY-MM]: the month's figures, building by building and in total, and the
    chart."""
    buildings = await buildings_for(update, context)
    service = context.services.stats
    month = service.month(command_text(update))
    figures = await service.figures(buildings, month)
    for text in report_messages(context.t, figures):
        await reply(update, context, text)
    chart = await service.chart(figures, context.t)
    if update.effective_message is not None:
        await update.effective_message.reply_photo(
            InputFile(chart, filename=f"linli-{month.key}.png"),
            caption=context.t(CHART_CAPTION, month=month.key),
            parse_mode=ParseMode.HTML,
        )


async def export(update: Update, context: LinliContext) -> None:
    """/export [YYYY-MM]: the month's spreadsheet, sent in a private chat."""
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None or chat.type != Chat.PRIVATE:
        raise InvalidInput(
            N_("The spreadsheet names residents: please ask for it with /export in a private "
               "chat with me.")
        )
    buildings = await buildings_for(update, context)
    service = context.services.stats
    month = service.month(command_text(update))
    workbook = await service.export(buildings, month, context.t)
    await message.reply_document(
        InputFile(workbook, filename=f"linli-{month.key}.xlsx"),
        caption=context.t(
            "📎 Figures for {month}: requests with their history, volunteers and points, "
            "events and sign-ups, lock-ups.",
            month=month.key,
        ),
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
