"""The month's spreadsheet for the community office (.xlsx, written with openpyxl).

Sheets: a summary of the figures (one column per building, and the total); the requests,
each with its history; the volunteers with their work and points; the events with their
sign-ups; the lock-ups; the hours entries, each with its kind; the bookings, one row per
booking, under them a summary row per bookable facility (the figures of /stats). Times are
local to the community, as the office reads them.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.core import Building
from bot.domain.stats import (
    BookingLine,
    HistoryLine,
    HoursLine,
    LockupLine,
    RequestLine,
    SignupLine,
    VolunteerLine,
)
from bot.i18n import N_, Translator
from bot.reports.figures import MonthStats, StatsReader, figure_rows
from bot.reports.month import Month
from bot.services.lockup import lockup_state
from bot.services.requests import STATES, category_label
from bot.views.requests import anonymous_resident, detail_words, skill_words

TIME_FORMAT = "yyyy-mm-dd hh:mm"
SHARE_FORMAT = "0%"
MAX_CELL = 32767  # Excel's limit for the text of one cell
WRAP_WIDTH = 30  # columns this wide hold long text: wrap it

HISTORY_KINDS = {
    "opened": N_("opened"),
    "attached": N_("attachment"),
    "routed": N_("sent to volunteers"),
    "claimed": N_("claimed"),
    "released": N_("given back"),
    "escalated": N_("escalated"),
    "done": N_("done"),
    "cancelled": N_("cancelled"),
    "rated": N_("rated"),
    "reminded": N_("reminder sent"),
    "unreachable": N_("volunteer unreachable"),
    "waiting": N_("waiting"),
    "resumed": N_("resumed"),
    "wait_over": N_("waiting date came"),
    "note": N_("🔒 internal note"),
    "reopened": N_("reopened (not fixed)"),
    "told": N_("message to the resident"),
    "answered": N_("message from the resident"),
    "undelivered": N_("message not delivered"),
}
LOCKUP_STATES = {
    "on_time": N_("on time"),
    "late": N_("late"),
    "missing": N_("missing"),
    "open": N_("not reported yet"),
}
EVENT_STATES = {"open": N_("planned"), "cancelled": N_("cancelled"), "done": N_("held")}
ROLES = {"guest": N_("guest"), "helper": N_("helper")}
SIGNUP_STATES = {"going": N_("going"), "waiting": N_("waiting list")}
HOURS_KINDS = {  # an entry's origin, as the office tells them apart
    "event": N_("recorded"),
    "makeup": N_("make-up"),
    "correction": N_("correction"),
    "shift": N_("shift"),
    "request": N_("request"),
}

BOOKING_STATES = {
    "pending": N_("waiting for approval"),
    "approved": N_("approved"),
    "declined": N_("declined"),
    "cancelled": N_("cancelled"),
}


class _Verbatim(str):
    """A header that is a name (a building's), not a message to translate."""

    __slots__ = ()


@dataclass(frozen=True)
class Column:
    """A column of a sheet: its header (a message id) and its width in characters."""

    header: str
    width: int = 12
    number_format: str | None = None


@dataclass(frozen=True)
class ExportRows:
    """What the sheets list, besides the figures."""

    requests: list[RequestLine]
    history: list[HistoryLine]
    volunteers: list[VolunteerLine]
    signups: list[SignupLine]
    lockups: list[LockupLine]
    hours: list[HoursLine]
    bookings: list[BookingLine]


async def export_month(
    reader: StatsReader, buildings: Sequence[Building], month: Month, t: Translator
) -> bytes:
    """The month's spreadsheet for these buildings, as .xlsx bytes."""
    stats = await reader.figures(buildings, month)
    tz = reader.settings.community.tz
    ids = [building.id for building in buildings]
    start, end = month.start(tz), month.end(tz)
    first, following = month.first_day.isoformat(), month.next().first_day.isoformat()
    repo = reader.repo
    rows = ExportRows(
        requests=await repo.request_lines(ids, start, end),
        history=await repo.history_lines(ids, start, end),
        volunteers=await repo.volunteer_lines(ids, start, end),
        signups=await repo.signup_lines(ids, start, end),
        lockups=await repo.lockup_lines(ids, first, following),
        hours=await repo.hours_lines(ids, start, end),
        bookings=await repo.booking_lines(ids, start, end),
    )
    check_in = reader.settings.booking.check_in
    sheets = Sheets(t, tz, reader.clock.now(), reader.missing_after / 2, check_in)
    return await asyncio.to_thread(sheets.workbook, stats, rows)


class Sheets:
    """Writes the workbook in one language and time zone."""

    def __init__(
        self, t: Translator, tz: ZoneInfo, now: float, lockup_grace: float,
        check_in: bool = False,
    ) -> None:
        self.t = t
        self.tz = tz
        self.now = now
        self.lockup_grace = lockup_grace
        self.check_in = check_in  # booking.check_in: whether "checked in" can say "no"

    def workbook(self, stats: MonthStats, rows: ExportRows) -> bytes:
        """Every sheet, saved to bytes."""
        from openpyxl import Workbook

        book = Workbook()
        book.remove(book.active)
        self._summary(book, stats)
        self._sheet(book, N_("Requests"), REQUEST_COLUMNS, self._requests(rows))
        self._sheet(book, N_("Volunteers and points"), VOLUNTEER_COLUMNS,
                    [self._volunteer(line) for line in rows.volunteers])
        self._sheet(book, N_("Events and sign-ups"), EVENT_COLUMNS,
                    [self._signup(line) for line in rows.signups])
        self._sheet(book, N_("Lock-ups"), LOCKUP_COLUMNS,
                    [self._lockup(line) for line in rows.lockups])
        self._sheet(book, N_("Hours"), HOURS_COLUMNS, [self._hours(line) for line in rows.hours])
        self._bookings(book, stats, rows.bookings)
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()

    def time(self, moment: float | None) -> datetime | None:
        """A local time for a cell (Excel has no time zones)."""
        if moment is None:
            return None
        return datetime.fromtimestamp(moment, self.tz).replace(tzinfo=None, microsecond=0)

    def _sheet(
        self,
        book: Any,
        title: str,
        columns: Sequence[Column],
        rows: list[list[Any]],
        heading: str | None = None,
    ) -> Any:
        """A sheet with a bold header row (under an optional heading), filters and widths."""
        from openpyxl.styles import Alignment, Font
        from openpyxl.utils import get_column_letter

        sheet = book.create_sheet(self.t.plain(title)[:31])
        if heading is not None:
            sheet.append([heading])
            sheet["A1"].font = Font(bold=True, size=13)
        top = sheet.max_row + 1 if heading is not None else 1
        sheet.append([_header(self.t, column.header) for column in columns])
        for cell in sheet[top]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_cell(value) for value in row])
        for n, column in enumerate(columns, 1):
            sheet.column_dimensions[get_column_letter(n)].width = column.width
            for (cell,) in sheet.iter_rows(min_row=top + 1, min_col=n, max_col=n):
                if column.number_format:
                    cell.number_format = column.number_format
                if column.width >= WRAP_WIDTH:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = f"{'B' if heading else 'A'}{top + 1}"
        if rows:
            last = get_column_letter(len(columns))
            sheet.auto_filter.ref = f"A{top}:{last}{sheet.max_row}"
        return sheet

    def _summary(self, book: Any, stats: MonthStats) -> None:
        """One row per figure, one column per building, and the total."""
        names = [row.building.name for row in stats.buildings]
        figures = [row.figures for row in stats.buildings]
        if len(figures) > 1:
            names.append(self.t.plain("Total"))
            figures.append(stats.total)
        table = [figure_rows(self.t, f) for f in figures]
        rows = [
            [label, *(column[n][1] for column in table)]
            for n, (label, _value, _share) in enumerate(table[0])
        ]
        heading = self.t.plain("Linli figures for {month}", month=stats.month)
        columns = [Column(N_("Figure"), 30), *(Column(_Verbatim(name), 14) for name in names)]
        sheet = self._sheet(book, N_("Summary"), columns, rows, heading)
        for n, (_label, _value, share) in enumerate(table[0], 3):
            if share:
                for cell in sheet[n][1:]:
                    cell.number_format = SHARE_FORMAT

    def _requests(self, rows: ExportRows) -> list[list[Any]]:
        history: dict[int, list[str]] = {}
        for event in rows.history:
            history.setdefault(event.request_id, []).append(self._history(event))
        return [self._request(line, history.get(line.id, [])) for line in rows.requests]

    def _request(self, line: RequestLine, history: list[str]) -> list[Any]:
        t = self.t
        claim = _minutes(line.first_claim_at, line.created_at)
        finish = _minutes(line.done_at, line.created_at)
        return [
            line.id,
            line.building_name,
            t.plain(category_label(line.category)),
            t.plain(STATES.get(line.state, line.state), name=line.claimer_name or "—"),
            t.plain(N_("🙈 anonymous")) if line.anonymous else line.resident_name,
            line.claimer_name,
            self.time(line.created_at),
            self.time(line.first_claim_at),
            self.time(line.done_at),
            claim,
            finish,
            line.rating,
            line.text,
            line.note,
            "\n".join(history),
        ]

    def _history(self, event: HistoryLine) -> str:
        moment = self.time(event.at)
        parts = [
            moment.strftime("%m-%d %H:%M") if moment else "",
            self.t.plain(HISTORY_KINDS.get(event.kind, event.kind)),
        ]
        if event.anonymous:
            parts.append(anonymous_resident(self.t, event.building_name))
        elif event.actor_name:
            parts.append(event.actor_name)
        if event.detail:
            parts.append(detail_words(self.t, event.kind, event.detail))
        return " · ".join(parts)

    def _volunteer(self, line: VolunteerLine) -> list[Any]:
        username = f"@{line.username}" if line.username else None
        skills = skill_words(self.t, line.skills.split())
        return [line.building_name, line.name, username, skills, line.done, line.earned,
                line.redeemed, line.balance]

    def _signup(self, line: SignupLine) -> list[Any]:
        t = self.t
        came = None if line.present is None else t.plain(N_("yes") if line.present else N_("no"))
        return [
            line.event_id,
            line.title,
            line.place,
            self.time(line.starts_at),
            t.plain(EVENT_STATES.get(line.status, line.status)),
            line.capacity,
            line.buildings,
            line.person_name,
            line.building_name,
            t.plain(ROLES[line.role]) if line.role in ROLES else None,
            t.plain(SIGNUP_STATES[line.signup_status])
            if line.signup_status in SIGNUP_STATES else None,
            self.time(line.joined_at),
            came,
        ]

    def _lockup(self, line: LockupLine) -> list[Any]:
        state = lockup_state(line, self.now, self.lockup_grace)
        return [
            line.building_name,
            line.facility_name,
            line.day,
            self.time(line.closing_at),
            self.t.plain(LOCKUP_STATES.get(state, state)),
            self.time(line.reported_at),
            line.user_name,
            line.note,
        ]

    def _hours(self, line: HoursLine) -> list[Any]:
        moment = self.time(line.served_at)
        content = line.content
        if line.corrects is not None:
            content = self.t.plain("#{number}: {reason}", number=line.corrects, reason=content)
        return [
            line.id,
            moment.date() if moment else None,
            line.volunteer_name,
            line.building_name,
            self.t.plain(HOURS_KINDS.get(line.origin, line.origin)),
            round(line.minutes / 60, 2),
            content,
        ]

    def _bookings(self, book: Any, stats: MonthStats, lines: list[BookingLine]) -> None:
        """One row per booking; under them, after a blank row, one per bookable facility."""
        from openpyxl.styles import Font

        sheet = self._sheet(book, N_("Bookings"), BOOKING_COLUMNS,
                            [self._booking(line) for line in lines])
        sheet.append([])
        sheet.append([self.t.plain(header) for header in BOOKING_SUMMARY])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in stats.buildings:
            for room in row.rooms:
                sheet.append([_cell(value) for value in (
                    room.facility, row.building.name, room.booked, room.declined,
                    room.cancelled, _hours_of(room.booked_seconds),
                    _hours_of(room.offered_seconds), room.use_rate, room.no_shows,
                )])
                sheet.cell(sheet.max_row, 8).number_format = SHARE_FORMAT

    def _booking(self, line: BookingLine) -> list[Any]:
        starts, ends = self.time(line.starts_at), self.time(line.ends_at)
        return [
            starts.date() if starts else None,
            starts.time() if starts else None,
            ends.time() if ends else None,
            line.facility_name,
            line.building_name,
            line.resident_name,
            self.t.plain(BOOKING_STATES.get(line.status, line.status)),
            line.purpose,
            self._checked_in(line),
        ]

    def _checked_in(self, line: BookingLine) -> str | None:
        """Yes once checked in; no for an approved booking that ended without (check-in
        on); nothing where there was nothing to check in to."""
        if line.checked_in_at is not None:
            return self.t.plain(N_("yes"))
        if self.check_in and line.status == "approved" and line.ends_at <= self.now:
            return self.t.plain(N_("no"))
        return None


def _header(t: Translator, header: str) -> str:
    return str(header) if isinstance(header, _Verbatim) else t.plain(header)


def _hours_of(seconds: float) -> float:
    return round(seconds / 3600, 2)


def _minutes(later: float | None, earlier: float) -> float | None:
    return None if later is None else round((later - earlier) / 60, 1)


def _cell(value: Any) -> Any:
    """Text is cut to Excel's limit and never read as a formula."""
    if isinstance(value, str):
        value = value[:MAX_CELL]
        return "'" + value if value.startswith("=") else value
    return value


REQUEST_COLUMNS = (
    Column(N_("Number"), 8),
    Column(N_("Building"), 12),
    Column(N_("Category"), 12),
    Column(N_("State"), 16),
    Column(N_("Resident"), 14),
    Column(N_("Volunteer"), 14),
    Column(N_("Opened"), 17, TIME_FORMAT),
    Column(N_("First claimed"), 17, TIME_FORMAT),
    Column(N_("Done"), 17, TIME_FORMAT),
    Column(N_("Minutes to claim"), 12),
    Column(N_("Minutes to finish"), 12),
    Column(N_("Rating"), 8),
    Column(N_("Request"), 40),
    Column(N_("Note"), 30),
    Column(N_("History"), 60),
)
VOLUNTEER_COLUMNS = (
    Column(N_("Building"), 12),
    Column(N_("Volunteer"), 16),
    Column(N_("Username"), 16),
    Column(N_("Skills"), 20),
    Column(N_("Requests done"), 12),
    Column(N_("Points earned"), 12),
    Column(N_("Points redeemed"), 12),
    Column(N_("Balance"), 10),
)
EVENT_COLUMNS = (
    Column(N_("Event"), 8),
    Column(N_("Title"), 24),
    Column(N_("Place"), 16),
    Column(N_("Starts"), 17, TIME_FORMAT),
    Column(N_("Status"), 10),
    Column(N_("Capacity"), 10),
    Column(N_("Posted in"), 16),
    Column(N_("Person"), 14),
    Column(N_("Signed up in"), 12),
    Column(N_("Role"), 10),
    Column(N_("Place on the list"), 12),
    Column(N_("Signed up at"), 17, TIME_FORMAT),
    Column(N_("Came"), 8),
)
LOCKUP_COLUMNS = (
    Column(N_("Building"), 12),
    Column(N_("Facility"), 14),
    Column(N_("Day"), 12),
    Column(N_("Closing time"), 17, TIME_FORMAT),
    Column(N_("State"), 14),
    Column(N_("Reported at"), 17, TIME_FORMAT),
    Column(N_("Volunteer"), 14),
    Column(N_("Note"), 30),
)
HOURS_COLUMNS = (
    Column(N_("Number"), 8),
    Column(N_("Date"), 12, "yyyy-mm-dd"),
    Column(N_("Volunteer"), 16),
    Column(N_("Building"), 12),
    Column(N_("Kind"), 12),
    Column(N_("Hours"), 8),
    Column(N_("Activity or reason"), 40),
)
BOOKING_COLUMNS = (
    Column(N_("Date"), 12, "yyyy-mm-dd"),
    Column(N_("Start"), 8, "hh:mm"),
    Column(N_("End"), 8, "hh:mm"),
    Column(N_("Facility"), 14),
    Column(N_("Building"), 12),
    Column(N_("Resident"), 14),
    Column(N_("Status"), 14),
    Column(N_("Purpose"), 30),
    Column(N_("Checked in"), 10),
)
BOOKING_SUMMARY = (  # the summary rows' header, under the bookings
    N_("Facility"),
    N_("Building"),
    N_("Bookings"),
    N_("Declined"),
    N_("Cancelled"),
    N_("Booked place-hours"),
    N_("Offered place-hours"),
    N_("Use of open hours"),
    N_("No-shows"),
)
