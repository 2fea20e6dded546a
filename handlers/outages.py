"""/outage and /outages: water, power and lift outages, and the ✅ Restored button."""

from __future__ import annotations

import contextlib

from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.callbacks import parse_button, pattern
from bot.commands import MenuCommand
from bot.context import LinliContext, Services
from bot.errors import InvalidInput
from bot.features import Feature, Wiring
from bot.i18n import N_
from bot.services.outages import REMIND_JOB, RESTORE_JOB
from bot.views import outages as views
from bot.views.outages import FEATURE
from handlers.access import actor_of, fresh_admins, owner_actor, place_of
from handlers.common import command_text, show

MENU = [
    MenuCommand("outage", N_("Announce a water, power or lift outage (owners)")),
    MenuCommand("outages", N_("Outages now and coming")),
]


async def outage(update: Update, context: LinliContext) -> None:
    """/outage water 3号楼,5号楼 2026-12-03 08:00-12:00 reason (owners of every building);
    in a group the buildings may be left out: the group's own."""
    service, place = context.services.outages, place_of(update)
    here = None if place is None else await context.services.community.buildings.by_chat(place)
    draft = await service.draft(command_text(update), here)
    await fresh_admins(update, context, draft.buildings)
    actor = await owner_actor(update, context)
    message = update.effective_message
    origin = place or actor.user_id
    made = await service.create(actor, origin, draft, message.message_id if message else None)
    tz = context.services.settings.community.tz
    await show(update, context, views.created(context.t, made, tz, service.reminder_at(made)))


async def outages(update: Update, context: LinliContext) -> None:
    """/outages: the outages now and coming, by building (anyone)."""
    service = context.services.outages
    board = await service.board(actor_of(update), place_of(update))
    tz = context.services.settings.community.tz
    await show(update, context, views.board(context.t, board.entries, board.endable, tz,
                                            context.services.clock.now()))


async def button(update: Update, context: LinliContext) -> None:
    """✅ Restored: an owner ends the outage now (the right is checked again)."""
    query = update.callback_query
    if query is None:
        return
    pressed = parse_button(query.data, FEATURE)
    if pressed.action != "restored":
        raise InvalidInput(N_("This button is no longer valid."))
    outage_id = pressed.int_arg()
    service = context.services.outages
    await fresh_admins(update, context, await service.buildings_of(outage_id))
    ended = await service.end(actor_of(update), outage_id)
    await query.answer(views.ended_alert(context.t, ended))
    await _drop_button(update, query.data or "")


async def _drop_button(update: Update, data: str) -> None:
    """The pressed button leaves the message it was on (the others stay)."""
    query = update.callback_query
    message = query.message if query is not None else None
    markup = getattr(message, "reply_markup", None)
    if query is None or not isinstance(markup, InlineKeyboardMarkup):
        return
    rows = [[b for b in row if b.callback_data != data] for row in markup.inline_keyboard]
    kept = [row for row in rows if row]
    with contextlib.suppress(TelegramError):  # only a view; the outage is ended
        await query.edit_message_reply_markup(InlineKeyboardMarkup(kept) if kept else None)


def get_handlers() -> list[BaseHandler[Update, LinliContext, None]]:
    """Handlers of this feature."""
    return [
        CommandHandler("outage", outage, filters=filters.UpdateType.MESSAGE),
        CommandHandler("outages", outages, filters=filters.UpdateType.MESSAGE),
        CallbackQueryHandler(button, pattern=pattern(FEATURE)),
    ]


def wire(services: Services) -> Wiring:
    """The reminder before an outage and the "restored" post at its end."""
    return Wiring(jobs={REMIND_JOB: services.outages.remind,
                        RESTORE_JOB: services.outages.restore})


DESCRIPTION = Feature("outages", get_handlers, MENU, wire=wire)
