"""``linli status``: what an operator should look at, read from the database alone.

The report is a list of sections, each a small function of the open database; one that
needs attention makes the command exit 1 (so that a cron job or a monitor can alert).
A new section is one more function in ``SECTIONS``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.heartbeat import last_heartbeat
from bot.services.backups import LAST_BACKUP_KEY, BackupRecord
from storage.db import Database
from storage.dead_letters import DeadLetterRepository
from storage.health import HealthRepository
from storage.meta import MetaRepository

LATEST_SHOWN = 5
OUTBOX_LATE_SECONDS = 15 * 60  # a message older than this should have left long ago
JOB_LATE_SECONDS = 5 * 60  # the scheduler wakes every second: a job this late is stuck
MISSED_WINDOW_SECONDS = 24 * 3600  # missed or failed jobs this recent want a look


@dataclass
class Section:
    """Lines of the report; ``attention`` when an operator should act."""

    lines: list[str] = field(default_factory=list)
    attention: bool = False


@dataclass(frozen=True)
class StatusContext:
    """What every section may read: the database, the settings, the operator's wishes."""

    db: Database
    settings: Settings
    now: float
    acknowledge: bool = False

    def when(self, timestamp: float) -> str:
        """A stored time in the community's time zone."""
        moment = datetime.fromtimestamp(timestamp, ZoneInfo(self.settings.community.timezone))
        return moment.strftime("%Y-%m-%d %H:%M:%S %Z")


async def dead_letters(context: StatusContext) -> Section:
    """Updates set aside because the bot could not store or parse them."""
    repository = DeadLetterRepository(context.db)
    total, unseen = await repository.count()
    section = Section()
    if context.acknowledge and unseen:
        await repository.acknowledge(context.now)
        section.lines.append(f"Marked {unseen} dead letter(s) as looked at.")
        unseen = 0
    if not total:
        section.lines.append("Dead letters: none.")
        return section
    waiting = f"{unseen} not yet looked at; `linli status --ack` marks them" if unseen else (
        "all looked at")
    section.lines.append(f"Dead letters: {total} ({waiting}). The latest:")
    for letter in await repository.latest(LATEST_SHOWN):
        update = "without an id" if letter.update_id is None else letter.update_id
        section.lines.append(
            f"  update {update}, {context.when(letter.received_at)}, from {letter.source}: "
            f"{letter.error}"
        )
    section.attention = unseen > 0
    return section


async def bot_process(context: StatusContext) -> Section:
    """Whether a bot is running on this database, from its heartbeat."""
    heartbeat = await last_heartbeat(MetaRepository(context.db))
    if heartbeat is None:
        return Section(["Bot: has never run on this database."])
    if heartbeat.running(context.now):
        return Section([f"Bot: running (process {heartbeat.pid} on {heartbeat.host}, "
                        f"alive {context.now - heartbeat.at:.0f}s ago)."])
    if heartbeat.stopped:
        return Section([f"Bot: stopped cleanly at {context.when(heartbeat.at)}."])
    return Section([f"Bot: NOT RUNNING. Its last sign of life was at {context.when(heartbeat.at)} "
                    "and it did not stop cleanly (a crash, a kill or a power cut): start it "
                    "again (systemctl start linli) and read its log."], attention=True)


async def last_update(context: StatusContext) -> Section:
    """The last update the bot handled."""
    handled = await HealthRepository(context.db).last_handled()
    if handled is None:
        return Section(["Last update handled: none yet."])
    update_id, at = handled
    return Section([f"Last update handled: {update_id}, at {context.when(at)}."])


async def outbox(context: StatusContext) -> Section:
    """Messages waiting to be sent, and how long the oldest has waited."""
    backlog = await HealthRepository(context.db).outbox_backlog()
    if not backlog.count or backlog.oldest is None:
        return Section(["Outbox: empty."])
    waited = context.now - backlog.oldest
    late = waited > OUTBOX_LATE_SECONDS
    advice = " Telegram may be out of reach (check the proxy) or the bot stopped." if late else ""
    return Section([f"Outbox: {backlog.count} message(s) waiting; the oldest since "
                    f"{context.when(backlog.oldest)} ({waited / 60:.0f} min).{advice}"], late)


async def jobs(context: StatusContext) -> Section:
    """Scheduled work that is due and not done, and work missed or failed lately."""
    repository = HealthRepository(context.db)
    due = await repository.jobs_overdue(context.now)
    stuck = await repository.jobs_overdue(context.now - JOB_LATE_SECONDS)
    missed = await repository.jobs_missed(context.now - MISSED_WINDOW_SECONDS)
    section = Section(attention=bool(stuck.count or missed))
    if due.count and due.oldest is not None:
        section.lines.append(f"Jobs due: {due.count}, the oldest due at {context.when(due.oldest)}"
                             + (" (the bot is not running them)." if stuck.count else "."))
    else:
        section.lines.append("Jobs due: none.")
    if not missed:
        section.lines.append("Jobs missed or failed in the last 24 hours: none.")
        return section
    section.lines.append(f"Jobs missed or failed in the last 24 hours: {len(missed)}. The latest:")
    for kind, state, at, why in missed[:LATEST_SHOWN]:
        section.lines.append(f"  {kind} {state} at {context.when(at)}: {why or 'no reason kept'}")
    return section


RIGHTS = {"member": "is not an admin", "admin_cannot_pin": "is an admin but may not pin messages"}


async def group_rights(context: StatusContext) -> Section:
    """Building groups where the bot lacks the rights it needs."""
    groups = await HealthRepository(context.db).group_rights()
    lacking = [group for group in groups if group.rights in RIGHTS]
    unknown = [group.building for group in groups if group.rights is None]
    section = Section(attention=bool(lacking))
    if not lacking:
        section.lines.append(f"Groups: {len(groups)}; the bot is an admin wherever it knows.")
    else:
        section.lines.append(f"Groups where the bot lacks rights: {len(lacking)} of {len(groups)} "
                             "(make it an admin that may pin messages):")
        section.lines += [f"  {group.building} ({group.chat_id}): the bot "
                          f"{RIGHTS[str(group.rights)]}" for group in lacking]
    if unknown:
        section.lines.append(f"  not known yet (since before this Linli): {', '.join(unknown)}")
    return section


async def last_backup(context: StatusContext) -> Section:
    """The last scheduled backup, and whether it is recent enough."""
    settings = context.settings.backup
    last = BackupRecord.from_json(await MetaRepository(context.db).get(LAST_BACKUP_KEY))
    if settings.folder is None:
        where = "" if last is None else f"; the last one was at {context.when(last.at)}"
        return Section([f"Backups: not scheduled (set [backup] folder){where}. "
                        "`linli backup PATH` takes one by hand."])
    if last is None:
        return Section([f"Backups: every {settings.every_hours:g} h to {settings.folder}; "
                        "none taken yet."])
    if not last.ok:
        return Section([f"Last backup: FAILED at {context.when(last.at)}: {last.error}."],
                       attention=True)
    age = context.now - last.at
    old = age > 2 * settings.every.total_seconds()
    note = f" That is {age / 3600:.0f} h ago: backups are not being taken." if old else ""
    return Section([f"Last backup: {context.when(last.at)}, {last.path} "
                    f"({(last.size or 0) / 1024:.0f} KiB, integrity ok).{note}"], attention=old)


SECTIONS: list[Callable[[StatusContext], Awaitable[Section]]] = [
    bot_process, last_update, outbox, jobs, group_rights, last_backup, dead_letters,
]


async def status_sections(context: StatusContext) -> list[tuple[str, Section]]:
    """Every section by name, in order."""
    return [(make.__name__, await make(context)) for make in SECTIONS]


async def status_report(context: StatusContext) -> Section:
    """Every section, in order, as one report."""
    report = Section()
    for _name, section in await status_sections(context):
        report.lines.extend(section.lines)
        report.attention = report.attention or section.attention
    return report


async def status_json(context: StatusContext) -> dict[str, object]:
    """The same report for a monitor (/healthz): ``ok`` is false when a person is needed."""
    sections = await status_sections(context)
    return {
        "ok": not any(section.attention for _name, section in sections),
        "sections": {
            name: {"attention": section.attention, "lines": section.lines}
            for name, section in sections
        },
    }
