"""Weekly times in the community's time zone: parsing, occurrences, midnight and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.roster import Swap
from bot.errors import InvalidInput
from bot.services.lockup import parse_facility
from bot.services.roster import apply_swaps, parse_roster_command
from bot.services.weektime import (
    WeeklySlot,
    closing_reported,
    next_closing,
    parse_closing,
    parse_range,
    parse_weekday,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2026, 11, 23)


def at(tz: ZoneInfo, *parts: int) -> float:
    """A local wall-clock time as a UTC moment."""
    return datetime(*parts, tzinfo=tz).timestamp()  # type: ignore[misc]


def utc(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%m-%d %H:%M")


def test_times_and_weekdays_parse_in_english_and_chinese() -> None:
    assert parse_range("18:00-22:00") == (1080, 1320)
    assert parse_range("22:00–02:00") == (1320, 120)
    assert parse_range("20:00-24:00") == (1200, 0)
    assert parse_range("9：00～12：00") == (540, 720)
    for bad in ("18:00-18:00", "25:00-26:00", "18-22", "18:60-19:00", "24:00-02:00", ""):
        assert parse_range(bad) is None, bad
    words = ("mon", "Sunday", "周三", "星期日", "周天")
    assert [parse_weekday(word) for word in words] == [0, 6, 2, 6, 6]
    assert parse_weekday("someday") is None


def test_closing_times_are_given_per_weekday() -> None:
    assert parse_closing("21:00") == [1260] * 7
    assert parse_closing("mon-fri 21:00, sat 18:00") == [1260] * 5 + [1080, None]
    assert parse_closing("周一至周五 21:30 周日 17:00") == [1290] * 5 + [None, 1020]
    assert parse_closing("fri-mon 20:00") == [1200, None, None, None, 1200, 1200, 1200]
    for bad in ("", "mon", "mon 25:00", "someday 21:00"):
        assert parse_closing(bad) is None, bad


def test_a_shift_falls_at_its_local_time() -> None:
    evening = WeeklySlot(0, 18 * 60, 22 * 60)
    assert utc(evening.starts_at(MONDAY, SHANGHAI)) == "11-23 10:00"
    assert utc(evening.ends_at(MONDAY, SHANGHAI)) == "11-23 14:00"
    assert evening.covering(at(SHANGHAI, 2026, 11, 23, 21, 59), SHANGHAI) == [MONDAY]
    assert evening.covering(at(SHANGHAI, 2026, 11, 23, 22, 0), SHANGHAI) == []
    assert evening.covering(at(SHANGHAI, 2026, 11, 30, 18, 0), SHANGHAI) == [date(2026, 11, 30)]


def test_a_shift_crossing_midnight_covers_the_small_hours_of_the_next_day() -> None:
    night = WeeklySlot(0, 22 * 60, 2 * 60)
    assert night.crosses_midnight
    assert utc(night.ends_at(MONDAY, SHANGHAI)) == "11-23 18:00"  # Tuesday 02:00 local
    assert night.covering(at(SHANGHAI, 2026, 11, 24, 1, 30), SHANGHAI) == [MONDAY]
    assert night.covering(at(SHANGHAI, 2026, 11, 24, 2, 0), SHANGHAI) == []
    assert night.covering(at(SHANGHAI, 2026, 11, 23, 1, 30), SHANGHAI) == []  # Sunday night
    after = at(SHANGHAI, 2026, 11, 23, 23, 0)
    assert night.next_day(after, SHANGHAI, at_end=True) == MONDAY  # its handover is still to come
    assert night.next_day(after, SHANGHAI) == date(2026, 11, 30)  # its start has passed


def test_the_reminder_lead_can_reach_back_into_the_day_before() -> None:
    early = WeeklySlot(1, 15, 6 * 60)  # Tuesday 00:15-06:00
    monday_evening = at(SHANGHAI, 2026, 11, 23, 23, 0)
    day = early.next_day(monday_evening, SHANGHAI, lead=30 * 60)
    assert day == date(2026, 11, 24)
    assert utc(early.starts_at(day, SHANGHAI) - 30 * 60) == "11-23 15:45"  # Monday 23:45 local
    assert early.next_day(at(SHANGHAI, 2026, 11, 23, 23, 50), SHANGHAI, lead=1800) == date(
        2026, 12, 1
    )


def test_shifts_keep_their_wall_clock_time_across_daylight_saving() -> None:
    sunday_evening = WeeklySlot(6, 18 * 60, 22 * 60)
    before, after = date(2026, 3, 22), date(2026, 3, 29)  # Europe moves clocks on 29 March
    assert utc(sunday_evening.starts_at(before, BERLIN)) == "03-22 17:00"
    assert utc(sunday_evening.starts_at(after, BERLIN)) == "03-29 16:00"
    reminder_after = sunday_evening.starts_at(before, BERLIN) - 1800
    assert sunday_evening.next_day(reminder_after, BERLIN, lead=1800) == after
    night = WeeklySlot(5, 22 * 60, 6 * 60)  # Saturday 22:00 to Sunday 06:00 loses an hour
    length = night.ends_at(date(2026, 3, 28), BERLIN) - night.starts_at(date(2026, 3, 28), BERLIN)
    assert length == 7 * 3600
    autumn = night.ends_at(date(2026, 10, 24), BERLIN) - night.starts_at(date(2026, 10, 24), BERLIN)
    assert autumn == 9 * 3600


def test_occurrences_starting_in_a_window() -> None:
    evening = WeeklySlot(0, 18 * 60, 22 * 60)
    since = at(SHANGHAI, 2026, 11, 23, 18, 0)
    days = evening.starting_between(since, since + 21 * 86400, SHANGHAI)
    assert days == [date(2026, 11, 23), date(2026, 11, 30), date(2026, 12, 7)]
    assert evening.starting_between(since + 1, since + 7 * 86400, SHANGHAI) == []


def test_a_lockup_belongs_to_the_closing_just_past_or_the_next_one() -> None:
    closing = [21 * 60] * 5 + [18 * 60, None]  # weekdays 21:00, Saturday 18:00, Sunday closed
    assert closing_reported(closing, at(SHANGHAI, 2026, 11, 23, 20, 50), SHANGHAI) == MONDAY
    assert closing_reported(closing, at(SHANGHAI, 2026, 11, 23, 21, 30), SHANGHAI) == MONDAY
    assert closing_reported(closing, at(SHANGHAI, 2026, 11, 24, 2, 0), SHANGHAI) == MONDAY
    assert closing_reported(closing, at(SHANGHAI, 2026, 11, 24, 14, 0), SHANGHAI) == date(
        2026, 11, 24
    )
    saturday_night = at(SHANGHAI, 2026, 11, 28, 23, 0)
    assert next_closing(closing, saturday_night, SHANGHAI) == date(2026, 11, 30)  # not Sunday
    assert next_closing([None] * 7, saturday_night, SHANGHAI) is None


def test_one_date_swaps_replace_the_volunteer_in_order() -> None:
    def swap(n: int, giver: int, taker: int) -> Swap:
        return Swap(id=n, shift_id=1, day="2026-11-23", from_user=giver, to_user=taker,
                    status="accepted", created_at=0)

    assert apply_swaps([1, 2], [swap(1, 1, 3)]) == [3, 2]
    assert apply_swaps([1, 2], [swap(1, 1, 3), swap(2, 3, 4)]) == [4, 2]  # passed on again
    assert apply_swaps([1, 2], [swap(1, 1, 2)]) == [1, 2]  # already on it: no change
    assert apply_swaps([1], [swap(1, 5, 6)]) == [1]


def test_the_compact_roster_form() -> None:
    command = parse_roster_command("add mon 22:00-02:00 @li @wang")
    assert (command.action, command.weekday, command.start, command.end) == ("add", 0, 1320, 120)
    assert command.usernames == ("li", "wang")
    assert parse_roster_command("remove 周三 09:00 - 12:00").start == 540
    assert parse_roster_command("announce ON").switch is True
    for bad in ("", "add", "add someday 18:00-22:00", "assign mon 18:00-22:00", "drop mon 1-2"):
        with pytest.raises(InvalidInput):
            parse_roster_command(bad)


def test_the_facility_form() -> None:
    spec = parse_facility("自习室 | mon-fri 21:00 sat 18:00 | 窗户关好，灯关了、门锁好")
    assert spec.name == "自习室"
    assert spec.closing == [1260] * 5 + [1080, None]
    assert spec.checklist == ["窗户关好", "灯关了", "门锁好"]
    too_long = "x" * 41 + " | 21:00 | a"
    for bad in ("study room", "x | 21:00 |", "| 21:00 | a", "x | never | a", too_long):
        with pytest.raises(InvalidInput):
            parse_facility(bad)
