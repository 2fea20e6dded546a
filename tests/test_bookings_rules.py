"""The booking rules without Telegram: opening hours, slots, the owner's line, dates."""

from __future__ import annotations

from datetime import date

import pytest

from bot.errors import InvalidInput
from bot.services.bookings import parse_bookable, parse_day, parse_opening, slot_starts


def test_opening_hours_by_weekday_and_for_every_day() -> None:
    assert parse_opening("mon-fri 16:00-21:00 sat 09:00-12:00") == [
        [960, 1260]] * 5 + [[540, 720], None]
    assert parse_opening("08:00-24:00") == [[480, 1440]] * 7
    assert parse_opening("周一-周五 16:00-21:00") == [[960, 1260]] * 5 + [None, None]


@pytest.mark.parametrize("text", ["", "mon", "mon 21:00-16:00", "mon 22:00-02:00",
                                  "16:00-16:00", "mon 16:00", "someday 16:00-21:00"])
def test_opening_hours_that_make_no_sense_are_refused(text: str) -> None:
    assert parse_opening(text) is None


def test_slots_fill_the_opening_hours_and_never_run_past_closing() -> None:
    hours = parse_opening("mon 16:00-21:30")
    assert hours is not None
    monday, tuesday = date(2026, 12, 7), date(2026, 12, 8)
    assert slot_starts(hours, 60, monday) == [960, 1020, 1080, 1140, 1200]
    assert slot_starts(hours, 90, monday) == [960, 1050, 1140]
    assert slot_starts(hours, 60, tuesday) == []


def test_the_owners_line_with_approval_in_either_language() -> None:
    spec = parse_bookable("自习室 | mon-fri 16:00-21:00 | 60 | 20 | 审批")
    assert (spec.name, spec.slot_minutes, spec.capacity, spec.approval) == ("自习室", 60, 20, True)
    assert not parse_bookable("hall | sat 09:00-12:00 | 120 | 1 | auto").approval


@pytest.mark.parametrize("text", [
    "自习室 | mon-fri 16:00-21:00 | 60 | 20",  # no mode
    " | mon-fri 16:00-21:00 | 60 | 20 | auto",  # no name
    "自习室 | | 60 | 20 | auto",  # no hours
    "自习室 | mon 16:00-21:00 | sixty | 20 | auto",
    "自习室 | mon 16:00-21:00 | 60 | 20 | maybe",
    "自习室 | mon 16:00-21:00 | 5 | 20 | auto",  # a slot under 15 minutes
    "自习室 | mon 16:00-21:00 | 60 | 0 | auto",  # nobody fits
    "自习室 | mon 16:00-16:30 | 60 | 2 | auto",  # shorter than one slot
])
def test_a_malformed_line_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_bookable(text)


def test_a_date_without_a_year_is_the_next_one_to_come() -> None:
    today = date(2026, 12, 30)
    assert parse_day("2027-01-02", today) == date(2027, 1, 2)
    assert parse_day("01-02", today) == date(2027, 1, 2)
    assert parse_day("12/31", today) == date(2026, 12, 31)
    assert parse_day("02-30", today) is None
    assert parse_day("tomorrow", today) is None
