"""The stats views: the month's figures as messages and the chart as a photo message."""

from __future__ import annotations

from bot.i18n import translator
from bot.reports.figures import Figures, MonthStats
from bot.reports.month import Month
from bot.views import stats as views


def test_the_figures_become_messages_and_the_chart_a_photo_with_its_caption() -> None:
    stats = MonthStats(month="2026-11", buildings=[], total=Figures(), by_day={},
                       claim_minutes=[], escalate_minutes=30)
    messages = views.figures(translator("en"), stats)
    assert [m.text for m in messages] == ["📊 <b>Figures for 2026-11</b>"]
    assert messages[0].send_params() == {"text": messages[0].text, "parse_mode": "HTML"}
    chart = views.chart(translator("en"), Month(2026, 11), "stats_chart:7")
    assert chart.method == "sendPhoto"
    assert chart.send_params() == {
        "photo": "stats_chart:7",
        "caption": "📊 The requests of 2026-11: per day by category, and time to claim.",
        "parse_mode": "HTML",
    }
