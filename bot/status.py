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
from storage.db import Database
from storage.dead_letters import DeadLetterRepository

LATEST_SHOWN = 5


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


SECTIONS: list[Callable[[StatusContext], Awaitable[Section]]] = [dead_letters]


async def status_report(context: StatusContext) -> Section:
    """Every section, in order, as one report."""
    report = Section()
    for make in SECTIONS:
        section = await make(context)
        report.lines.extend(section.lines)
        report.attention = report.attention or section.attention
    return report
