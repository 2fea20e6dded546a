"""The coverage picture (/coverage): for each building a grid of the coming days (rows) by
the hours of the day (columns), green where someone is on duty and red where nobody is.
Drawn like the monthly chart (Agg canvas, the same Chinese font detection)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from bot.domain.roster import Coverage
from bot.i18n import Translator, translator
from bot.reports.chart import DPI, FALLBACK_FONT, _drawing, font_family
from bot.views.roster import WEEKDAYS

MAX_BUILDINGS = 6  # more panels would be too small to read


def coverage_texts(t: Translator, found: Sequence[Coverage]) -> dict[str, str]:
    """Every text the picture shows, translated."""
    texts = {
        "hour": t.plain("Hour of the day"),
        "title": t.plain("Duty coverage: red hours have nobody on duty"),
    }
    for item in found[:MAX_BUILDINGS]:
        texts[f"building:{item.building.id}"] = t.plain(
            "{building}: {hours} hours uncovered", building=item.building.name,
            hours=f"{item.gap_hours:g}")
        for day in item.days:
            texts[f"day:{day}"] = f"{day:%m-%d} {t.plain(WEEKDAYS[day.weekday()])}"
    return texts


def render_coverage(found: Sequence[Coverage], t: Translator) -> bytes:
    """The grid as PNG bytes; English labels when no installed font draws the language."""
    texts = coverage_texts(t, found)
    family, complete = font_family("".join(texts.values()))
    if not complete:
        texts, family = coverage_texts(translator("en"), found), [FALLBACK_FONT]
    with _drawing:
        return _draw(found[:MAX_BUILDINGS], texts, family)


def _draw(found: Sequence[Coverage], texts: dict[str, str], family: list[str]) -> bytes:
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = max((len(item.days) for item in found), default=7)
    with rc_context({"font.family": "sans-serif", "font.sans-serif": family}):
        figure = Figure(figsize=(4.5 * max(1, len(found)), 1.5 + rows * 0.28), dpi=DPI,
                        layout="constrained")
        FigureCanvasAgg(figure)
        figure.suptitle(texts["title"], fontsize=13)
        panels = figure.subplots(1, max(1, len(found)), squeeze=False)[0]
        for axes, item in zip(panels, found, strict=False):
            axes.imshow(item.grid, cmap="RdYlGn", vmin=0, vmax=1, aspect="auto",
                        interpolation="nearest")
            axes.set_title(texts[f"building:{item.building.id}"], fontsize=11)
            axes.set_xticks(range(0, 24, 3))
            axes.set_xlabel(texts["hour"])
            axes.set_yticks(range(len(item.days)))
            axes.set_yticklabels([texts[f"day:{day}"] for day in item.days], fontsize=8)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
