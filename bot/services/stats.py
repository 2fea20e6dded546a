"""Stats: a month's figures (/stats), its chart, its spreadsheet (/export), and the monthly
report that the community admins get on the 1st.

The monthly report is stored scheduled work: the job "stats report 2026-11" falls due at
09:00 local time on the 1st of the next month. It runs in the transaction that marks it
done, and in that one transaction it queues the figures to every community admin, queues
the chart, and schedules next month's job, so that the chain never breaks and nothing is
sent twice.

The chart is a PNG: its bytes cannot go in the outbox's JSON, and drawing it takes a
moment that a job must not spend holding the database. So the job stores a row in
``stats_charts`` (month and language, no picture yet) and queues a sendPhoto whose
parameters name it, ``{"_files": {"photo": "stats_chart:7"}}``. When that row goes out,
the outbox sender asks ``chart_file`` for the file: the first time it draws the chart
from the month's figures (in a worker thread) and stores it in the row; a retry, or the
next admin, gets the very same bytes. A crash before it is stored only means it is drawn
again, because the rows that ask for it were committed with the job.

At every start the bot makes sure the current month's report job exists, which mends the
chain after a report was missed (the bot was down for longer than its grace).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config import Settings
from bot.domain.core import Building, Job
from bot.errors import InvalidInput
from bot.i18n import N_, Translator, translator
from bot.outbox import Outbox
from bot.reports.chart import render_chart
from bot.reports.figures import MonthStats, StatsReader
from bot.reports.month import Month
from bot.reports.workbook import export_month
from bot.scheduler import Scheduler
from bot.services.community import Community
from bot.services.people import People
from bot.views import stats as views
from storage.db import Database, Transaction
from storage.users import UserRepository

REPORT_JOB = "stats report"
REPORT_KIND = "stats_report"  # outbox: the figures
CHART_KIND = "stats_chart"  # outbox: the chart
CHART_REF = "stats_chart"  # outbox file references: "stats_chart:<id>"
REPORT_HOUR = 9  # local time on the 1st
# A report found late after downtime is still worth sending while its month is fresh.
REPORT_GRACE = 20 * 24 * 3600
MONTH_USAGE = N_("Write the month like 2026-10, or nothing for this month.")


class StatsService:
    """Figures, charts and spreadsheets of a month; the monthly report to the admins."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        config: Settings,
        outbox: Outbox,
        scheduler: Scheduler,
        community: Community,
        people: People,
        users: UserRepository,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.outbox = outbox
        self.scheduler = scheduler
        self.community = community
        self.people = people
        self.users = users
        self.reader = StatsReader(db, config, clock)
        self.repo = self.reader.repo
        self._drawing = asyncio.Lock()  # one chart at a time: a second asker reuses it

    @property
    def tz(self) -> ZoneInfo:
        """The community's time zone: months begin at its midnight."""
        return self.config.community.tz

    def month(self, text: str) -> Month:
        """The month a command names (this month when it names none); no future months."""
        this_month = Month.of(self.clock.now(), self.tz)
        if not text.strip():
            return this_month
        month = Month.parse(text)
        if month is None:
            raise InvalidInput(MONTH_USAGE)
        if month > this_month:
            raise InvalidInput(N_("{month} has not begun yet."), month=month.key)
        return month

    async def figures(self, buildings: Sequence[Building], month: Month) -> MonthStats:
        """The month's figures of each building and in total."""
        return await self.reader.figures(buildings, month)

    async def chart(self, stats: MonthStats, t: Translator) -> bytes:
        """The month's chart as PNG bytes, drawn in a worker thread."""
        community = self.config.community.name
        return await asyncio.to_thread(render_chart, stats, t, community)

    async def export(self, buildings: Sequence[Building], month: Month, t: Translator) -> bytes:
        """The month's spreadsheet (.xlsx bytes)."""
        return await export_month(self.reader, buildings, month, t)

    # --- the monthly report ----------------------------------------------------------------

    async def plan_report(self) -> None:
        """Make sure this month's report is scheduled (at start; harmless when it is)."""
        async with self.db.transaction() as tx:
            await self._schedule_report(tx, Month.of(self.clock.now(), self.tz))

    async def _schedule_report(self, tx: Transaction, month: Month) -> None:
        """The report of ``month``, due at REPORT_HOUR on the 1st of the month after."""
        await self.scheduler.schedule(
            tx,
            REPORT_JOB,
            report_key(month),
            month.next().at(1, REPORT_HOUR, self.tz),
            {"month": month.key},
            grace_seconds=REPORT_GRACE,
        )

    async def send_report(self, tx: Transaction, job: Job) -> None:
        """Job: the month's figures and chart to every community admin; plan the next one."""
        month = Month.parse(str(job.data["month"]))
        if month is None:
            raise ValueError(f"bad month in job {job.key}")
        buildings = await self.community.buildings.all()
        if buildings:
            stats = await self.reader.figures(buildings, month)
            for admin_id in self.config.community.admins:
                await self._report_to(tx, admin_id, stats, month)
        await self._schedule_report(tx, month.next())

    async def _report_to(
        self, tx: Transaction, admin_id: int, stats: MonthStats, month: Month
    ) -> None:
        """Queue the figures and the chart to one admin who can be written to."""
        admin = await self.users.get(admin_id)
        if admin is None or not admin.started or admin.blocked:
            return
        t = await self.translator_for(admin_id)
        key = report_key(month)
        for n, message in enumerate(views.figures(t, stats)):
            await self.outbox.queue_message(
                tx, admin_id, message, kind=REPORT_KIND, dedupe_key=f"{key} {admin_id} {n}"
            )
        chart_id = await self.repo.add_chart(tx, month.key, t.language, self.clock.now())
        ref = f"{CHART_REF}:{chart_id}"  # the sender reads the file when the row goes out
        chart = views.chart(t, month, ref)
        await self.outbox.queue_call(
            tx,
            admin_id,
            chart.method,
            chart.send_params(),
            files={"photo": ref},
            kind=CHART_KIND,
            dedupe_key=f"{key} {admin_id} chart",
        )

    async def chart_file(self, ref: str) -> tuple[bytes, str]:
        """Outbox file source: the PNG of a report's chart, drawn and kept on first use.

        Raises LookupError for a chart that does not exist (the row then fails for good).
        """
        chart_id = _chart_id(ref)
        async with self._drawing:
            found = await self.repo.chart(chart_id)
            if found is None:
                raise LookupError(ref)
            month_key, language, png = found
            if png is None:
                png = await self._draw(chart_id, month_key, language)
        return png, f"linli-{month_key}.png"

    async def _draw(self, chart_id: int, month_key: str, language: str) -> bytes:
        """Draw a report's chart from the month's figures and keep it (the first kept wins)."""
        month = Month.parse(month_key)
        if month is None:
            raise LookupError(month_key)
        stats = await self.reader.figures(await self.community.buildings.all(), month)
        await self.repo.store_chart(
            chart_id, await self.chart(stats, translator(language)), self.clock.now()
        )
        found = await self.repo.chart(chart_id)
        if found is None or found[2] is None:
            raise LookupError(chart_id)
        return found[2]

    async def translator_for(self, chat_id: int) -> Translator:
        """The translator of a chat: its own language, else the community's."""
        return await self.people.translator_for(chat_id)


def report_key(month: Month) -> str:
    """The job key of a month's report ("stats report 2026-11")."""
    return f"{REPORT_JOB} {month.key}"


def _chart_id(ref: str) -> int:
    tail = ref.removeprefix(f"{CHART_REF}:")
    if not tail.isdigit():
        raise LookupError(ref)
    return int(tail)
