"""The bot's own upkeep: scheduled backups. No commands; only stored jobs and a start step."""

from __future__ import annotations

from bot.context import Services
from bot.features import Feature, Handlers, Wiring


def get_handlers() -> Handlers:
    """None: upkeep answers no update."""
    return []


def wire(services: Services) -> Wiring:
    """The backup job, and planning the next backup at every start."""
    return Wiring(jobs=services.backups.jobs(), on_start=services.backups.plan)


DESCRIPTION = Feature("upkeep", get_handlers, wire=wire)
