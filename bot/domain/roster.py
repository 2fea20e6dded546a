"""The duty roster: shifts, swaps, handover notes and handovers."""

from __future__ import annotations

from bot.domain.core import Model


class Shift(Model):
    """A weekly shift of a building (end_minute <= start_minute: it ends the next day)."""

    id: int
    building_id: int
    weekday: int
    start_minute: int
    end_minute: int


class Swap(Model):
    """One occurrence of a shift, offered by one volunteer to another."""

    id: int
    shift_id: int
    day: str
    from_user: int
    to_user: int
    status: str
    created_at: float
    decided_at: float | None = None


class HandoverNote(Model):
    """What an outgoing volunteer wrote for the next one."""

    shift_id: int
    day: str
    user_id: int
    note: str
    written_at: float
    delivered_at: float | None = None


class Handover(Model):
    """The end of one occurrence, once it ran: who took over."""

    shift_id: int
    day: str
    incoming: str
    handed_at: float

    @property
    def incoming_ids(self) -> list[int]:
        """The user ids of the volunteers who took over."""
        return [int(part) for part in self.incoming.split()]


