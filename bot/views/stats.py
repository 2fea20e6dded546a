"""Stats as people see them: a month's figures, its chart's caption, the spreadsheet's.

The figures' own texts are rendered in ``bot/reports``; this module turns them into the
messages the service queues and the handlers show.
"""

from __future__ import annotations

from bot.i18n import Translator
from bot.reports.chart import CHART_CAPTION
from bot.reports.figures import MonthStats, report_messages
from bot.reports.month import Month
from bot.views.common import OutMessage


def figures(t: Translator, stats: MonthStats) -> list[OutMessage]:
    """The month's figures as messages under Telegram's limit: a header, each building,
    the total."""
    return [OutMessage(text) for text in report_messages(t, stats)]


def chart_caption(t: Translator, month: Month) -> str:
    """The caption of a month's chart."""
    return t(CHART_CAPTION, month=month.key)


def chart(t: Translator, month: Month, photo: str) -> OutMessage:
    """The chart as a photo message (``photo``: a file id, or the outbox's reference of a
    file it reads when the row is sent)."""
    return OutMessage(chart_caption(t, month), photo=photo)


def export_caption(t: Translator, month: Month) -> str:
    """The caption of a month's spreadsheet."""
    return t(
        "📎 Figures for {month}: requests with their history, volunteers and points, "
        "events and sign-ups, lock-ups, service hours, bookings.",
        month=month.key,
    )
