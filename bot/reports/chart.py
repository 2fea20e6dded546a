"""The monthly chart: requests per day by category, and how long they waited for a
volunteer. A PNG drawn with matplotlib's Agg canvas (no pyplot, no display).

Chinese labels need a font with Chinese glyphs: matplotlib's own DejaVu Sans has none and
draws boxes, and its Last Resort font "has" every character, as one placeholder per
Unicode block. ``cjk_font`` picks an installed font with real glyphs (Noto Sans CJK,
WenQuanYi, Source Han…; CI installs Debian's fonts-wqy-microhei when none is there), also
one installed after matplotlib cached its list of fonts. Without one, the chart falls back
to English labels rather than boxes, and says so in the log.

matplotlib is imported when the first chart is drawn, not when the bot starts.
"""

from __future__ import annotations

import io
import itertools
import logging
import subprocess
import threading
import unicodedata
from collections import Counter
from functools import cache
from typing import TYPE_CHECKING

from bot.i18n import N_, Translator, translator
from bot.reports.figures import MonthStats, minutes_text, share_text
from bot.services.requests import category_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes

log = logging.getLogger(__name__)

WIDTH, HEIGHT, DPI = 10, 8, 100  # inches and dots per inch: a 1000 × 800 picture
# Fonts with Chinese glyphs, best first; any other installed font that has them comes after.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "AR PL UMing CN",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)
PROBE = "邻里社区求助维修楼号月日分钟"  # a font must have all of these to be chosen
FALLBACK_FONT = "DejaVu Sans"  # matplotlib's own: Latin, digits and punctuation
# Minutes to the first claim, as the buckets of the second panel (the last is open-ended).
CLAIM_BUCKETS = (0, 5, 15, 30, 60, 120, 360)
COLOURS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1")

_drawing = threading.Lock()  # matplotlib's font cache and rcParams are not thread-safe


def missing_glyphs(text: str, font_path: str) -> set[str]:
    """The characters of ``text`` (spaces aside) that the font has no real glyph for.

    A missing character maps to glyph 0, or, in a fallback font such as matplotlib's
    Last Resort, to one placeholder glyph for a whole Unicode block: Chinese characters
    that share a glyph with another are placeholders too (no real font draws two
    different ideographs alike).
    """
    from matplotlib.ft2font import FT2Font

    font = FT2Font(font_path)
    glyphs = {char: font.get_char_index(ord(char)) for char in set(text) if not char.isspace()}
    ideographs = Counter(glyph for char, glyph in glyphs.items() if _is_ideograph(char))
    return {
        char
        for char, glyph in glyphs.items()
        if not glyph or (_is_ideograph(char) and ideographs[glyph] > 1)
    }


def _is_ideograph(char: str) -> bool:
    return unicodedata.name(char, "").startswith("CJK UNIFIED IDEOGRAPH")


@cache
def cjk_font() -> tuple[str, str] | None:
    """(name, file) of an installed font that can draw Chinese, or None.

    matplotlib's list of fonts is cached on disk; a font installed after the cache was
    built is found through fontconfig (or the system's font folders) and added to it.
    """
    from matplotlib import font_manager

    fonts = sorted(
        font_manager.fontManager.ttflist,
        key=lambda entry: (
            CJK_FONTS.index(entry.name) if entry.name in CJK_FONTS else len(CJK_FONTS),
            entry.name,
        ),
    )
    for entry in fonts:
        if _covers(entry.fname):
            return entry.name, entry.fname
    known = {entry.fname for entry in fonts}
    for path in dict.fromkeys([*_fontconfig_chinese(), *sorted(font_manager.findSystemFonts())]):
        if path not in known and _covers(path):
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name(), path
    return None


def _fontconfig_chinese() -> list[str]:
    """The font files that fontconfig says have Chinese glyphs (none without fc-list)."""
    try:
        listed = subprocess.run(
            ["fc-list", ":lang=zh", "--format=%{file}\\n"],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted({line for line in listed.splitlines() if line})


def _covers(path: str) -> bool:
    """Whether the font file has a real glyph for every character of PROBE."""
    try:
        return not missing_glyphs(PROBE, path)
    except (OSError, RuntimeError, ValueError):  # a font file FreeType cannot read
        return False


def font_family(text: str) -> tuple[list[str], bool]:
    """The font family for a chart with this text, and whether every glyph is there.

    matplotlib looks for each glyph in the family's fonts in turn, so a character is
    drawn when the Chinese font or DejaVu Sans has it.
    """
    from matplotlib import font_manager

    needed = missing_glyphs(text, font_manager.findfont(FALLBACK_FONT))
    if not needed:
        return [FALLBACK_FONT], True
    chosen = cjk_font()
    if chosen is None:
        return [FALLBACK_FONT], False
    name, path = chosen
    return [name, FALLBACK_FONT], not needed & missing_glyphs(text, path)


def chart_texts(t: Translator, stats: MonthStats, community: str) -> dict[str, str]:
    """Every text the chart shows, translated."""
    texts = {
        "title": t.plain("{community} · {month}", community=community, month=stats.month),
        "per_day": t.plain("Requests per day by category"),
        "day": t.plain("Day of the month"),
        "requests": t.plain("Requests"),
        "claim": t.plain(
            "Time to claim: {share} within {minutes} min",
            share=share_text(stats.total.in_time_share),
            minutes=minutes_text(stats.escalate_minutes),
        ),
        "minutes": t.plain("Minutes from the request to its first claim"),
        "none": t.plain("No requests this month"),
    }
    texts.update({f"category:{code}": t.plain(category_label(code)) for code in stats.by_day})
    return texts


def render_chart(stats: MonthStats, t: Translator, community: str) -> bytes:
    """The month's chart as PNG bytes; falls back to English labels without a Chinese font."""
    texts = chart_texts(t, stats, community)
    family, complete = font_family("".join(texts.values()))
    if not complete:
        log.warning("no installed font can draw the chart's labels; drawing them in English")
        texts = chart_texts(translator("en"), stats, "Linli")
        family = [FALLBACK_FONT]
    with _drawing:
        return _draw(stats, texts, family)


def _draw(stats: MonthStats, texts: dict[str, str], family: list[str]) -> bytes:
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with rc_context({"font.family": "sans-serif", "font.sans-serif": family}):
        figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        per_day, claims = figure.subplots(2, 1, height_ratios=(3, 2))
        figure.suptitle(texts["title"], fontsize=15)
        _per_day(per_day, stats, texts)
        _claims(claims, stats, texts)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _per_day(axes: Axes, stats: MonthStats, texts: dict[str, str]) -> None:
    """Stacked bars: the requests opened each day, one colour per category."""
    from matplotlib.ticker import MaxNLocator

    days = len(next(iter(stats.by_day.values()), []))
    positions = list(range(1, days + 1))
    bottom = [0] * days
    for n, (code, counts) in enumerate(stats.by_day.items()):
        axes.bar(positions, counts, bottom=bottom, color=COLOURS[n % len(COLOURS)],
                 label=texts[f"category:{code}"])
        bottom = [low + count for low, count in zip(bottom, counts, strict=True)]
    if not stats.by_day:
        axes.text(0.5, 0.5, texts["none"], ha="center", va="center", transform=axes.transAxes)
    else:
        axes.legend(loc="upper left", ncols=min(4, len(stats.by_day)), fontsize=9)
        axes.set_xticks(positions[::2] if days > 16 else positions)
    axes.set_title(texts["per_day"])
    axes.set_xlabel(texts["day"])
    axes.set_ylabel(texts["requests"])
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))


def _claims(axes: Axes, stats: MonthStats, texts: dict[str, str]) -> None:
    """Bars: how many requests were first claimed within each span of minutes."""
    from matplotlib.ticker import MaxNLocator

    edges = [*CLAIM_BUCKETS, float("inf")]
    counts = [
        sum(1 for minutes in stats.claim_minutes if low <= minutes < high)
        for low, high in itertools.pairwise(edges)
    ]
    labels = [f"{low}–{high}" for low, high in itertools.pairwise(CLAIM_BUCKETS)]
    labels.append(f"{CLAIM_BUCKETS[-1]}+")
    in_time = [high <= stats.escalate_minutes for high in edges[1:]]
    colours = [COLOURS[4] if fast else COLOURS[1] for fast in in_time]
    axes.bar(labels, counts, color=colours)
    axes.set_title(texts["claim"])
    axes.set_xlabel(texts["minutes"])
    axes.set_ylabel(texts["requests"])
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))


CHART_CAPTION = N_("📊 The requests of {month}: per day by category, and time to claim.")
