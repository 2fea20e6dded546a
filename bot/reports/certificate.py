"""The service certificate (志愿服务记录证明) as a PDF, drawn with fpdf2.

Chinese needs a font with Chinese glyphs embedded in the file: the one the monthly chart
uses (``bot.reports.chart.cjk_font``: Debian's fonts-wqy-microhei or Noto CJK, found through
fontconfig at run time). Without one the certificate is refused with a clear message
rather than printed with boxes. fpdf2 embeds only the glyphs used, so the file stays small.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain.hours import hours_text
from bot.errors import LinliError
from bot.i18n import N_, Translator

if TYPE_CHECKING:
    from bot.services.hours import IssuedCertificate

FONT = "linli-cjk"
NO_FONT = N_(
    "I cannot print the certificate: the server has no font with Chinese characters. "
    "Ask the community admin to install fonts-wqy-microhei."
)
_drawing = threading.Lock()


class NoFont(LinliError):
    """The machine has no font that can draw the certificate."""


@dataclass(frozen=True)
class CertificateFont:
    """The font file and, in a collection (.ttc), which face."""

    path: str
    index: int = 0


@cache
def certificate_font() -> CertificateFont | None:
    """The installed font with Chinese glyphs (the chart's), or None."""
    from bot.reports.chart import cjk_font

    found = cjk_font()
    if found is None:
        return None
    return CertificateFont(found[1])


def render(t: Translator, issued: IssuedCertificate, tz: ZoneInfo,
           font: CertificateFont | None = None) -> bytes:
    """The PDF of a certificate in the translator's language."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos
    from fpdf.fonts import FontFace

    font = font or certificate_font()
    if font is None:
        raise NoFont(NO_FONT)
    cert, volunteer = issued.certificate, issued.volunteer
    with _drawing:  # fpdf2 keeps module-level font caches
        pdf = FPDF(format="A4")
        pdf.set_title(t.plain("Volunteer service record"))
        pdf.add_font(FONT, fname=font.path, collection_font_number=font.index)
        pdf.set_auto_page_break(auto=True, margin=18)
        pdf.add_page()
        pdf.set_font(FONT, size=20)
        pdf.cell(0, 14, t.plain("Volunteer service record"), align="C",
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, size=11)
        start, end = f"{cert.year}-01-01", f"{cert.year}-12-31"
        facts = [
            t.plain("Volunteer: {name}", name=volunteer.display_name),
            t.plain("Community: {community}", community=issued.community),
            t.plain("Period: {start} to {end}", start=start, end=end),
        ]
        if issued.buildings:
            facts.append(t.plain("Buildings: {buildings}", buildings=", ".join(issued.buildings)))
        for fact in facts:
            pdf.cell(0, 7, fact, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)
        with pdf.table(col_widths=(28, 112, 22, 28), text_align=("LEFT", "LEFT", "RIGHT", "LEFT"),
                       line_height=6.5, first_row_as_headings=True,
                       headings_style=FontFace(emphasis="", fill_color=(235, 235, 235))
                       ) as table:
            table.row([t.plain("Date"), t.plain("Activity"), t.plain("Hours"), t.plain("Kind")])
            for line in issued.lines:
                entry = line.entry
                table.row([
                    datetime.fromtimestamp(entry.served_at, tz).strftime("%Y-%m-%d"),
                    entry.content,
                    hours_text(line.minutes),
                    t.plain("make-up") if entry.kind == "makeup" else t.plain("recorded"),
                ])
        pdf.ln(4)
        pdf.set_font(FONT, size=12)
        pdf.cell(0, 8, t.plain("Total: {hours} hours", hours=hours_text(cert.total_minutes)),
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, size=11)
        pdf.cell(0, 7, t.plain("Recorded by check-in: {recorded} hours; make-up: {makeup} hours",
                               recorded=hours_text(cert.recorded_minutes),
                               makeup=hours_text(cert.makeup_minutes)),
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(4)
        issued_on = datetime.fromtimestamp(cert.issued_at, tz).strftime("%Y-%m-%d")
        pdf.cell(0, 7, t.plain("Issued on {date}. Verification number: {number}",
                               date=issued_on, number=cert.number),
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.cell(0, 7, t.plain("Anyone can check this number by sending /verify {number} "
                               "to the bot.", number=cert.number),
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return bytes(pdf.output())
