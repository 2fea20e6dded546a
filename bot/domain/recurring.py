"""Recurring notices (a rule that posts a notice again and again) and a group's quiet hours."""

from __future__ import annotations

from datetime import date
from typing import Literal

from bot.domain.core import Model

RecurringStatus = Literal["active", "stopped"]


class RecurringNotice(Model):
    """What an owner asked to post at every occurrence of a rule, to some buildings."""

    id: int
    author_id: int
    origin_chat_id: int
    text: str
    pin: bool
    kind: Literal["daily", "weekly", "monthly"]
    minute: int
    weekday: int | None = None
    day: int | None = None
    weeks: int = 1
    anchor: date | None = None
    status: RecurringStatus
    next_at: float | None = None
    created_at: float
    building_names: str = ""  # "3号楼, 5号楼", when read for a list


class QuietHours(Model):
    """A building group's quiet period, every day: local minutes, the end the next morning
    when it is before the start."""

    building_id: int
    start_minute: int
    end_minute: int
