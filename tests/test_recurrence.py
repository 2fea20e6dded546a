"""The arithmetic of recurring notices and quiet hours: reading the rule, the next
occurrence across daylight-saving changes and month ends, and the end of a quiet period."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import InvalidInput
from bot.services.recurrence import (
    BAD_DAY,
    BAD_WEEKS,
    NO_TIME,
    TOO_OFTEN,
    UNKNOWN,
    Recurrence,
    quiet_until,
    read_every,
)
from bot.services.weektime import local_date

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")  # DST: 2026-03-08 02:00 → 03:00, 2026-11-01 02:00 → 01:00


def moment(tz: ZoneInfo, *parts: int) -> float:
    return datetime(*parts, tzinfo=tz).timestamp()  # type: ignore[misc]


def local(at: float, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(at, tz).strftime("%Y-%m-%d %a %H:%M")


# --- reading ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rule", "rest"),
    [
        ("every mon 09:00 健康小贴士", Recurrence("weekly", 540, weekday=0), "健康小贴士"),
        ("Every Monday 07:30 hi", Recurrence("weekly", 450, weekday=0), "hi"),
        ("every day 08:00 早安\n第二行", Recurrence("daily", 480), "早安\n第二行"),
        ("every 1st 09:00 交物业费", Recurrence("monthly", 540, day=1), "交物业费"),
        ("every 31st 09:00 月底", Recurrence("monthly", 540, day=31), "月底"),
        ("every 2 weeks mon 09:00 x", Recurrence("weekly", 540, weekday=0, weeks=2), "x"),
        ("每天 08:00 早安", Recurrence("daily", 480), "早安"),
        ("每周一 09:00 小贴士", Recurrence("weekly", 540, weekday=0), "小贴士"),
        ("每週五 18:00 小貼士", Recurrence("weekly", 1080, weekday=4), "小貼士"),
        ("每星期日 10:00 礼拜", Recurrence("weekly", 600, weekday=6), "礼拜"),
        ("每两周 周一 09:00 a", Recurrence("weekly", 540, weekday=0, weeks=2), "a"),
        ("每2週週三 09:00 b", Recurrence("weekly", 540, weekday=2, weeks=2), "b"),
        ("每月15日 09:00 c", Recurrence("monthly", 540, day=15), "c"),
        ("每月1號 09:00 d", Recurrence("monthly", 540, day=1), "d"),
    ],
)
def test_a_rule_is_read_in_english_and_both_chinese_scripts(
    text: str, rule: Recurrence, rest: str
) -> None:
    assert read_every(text) == (rule, rest)


@pytest.mark.parametrize(
    "text", ["每天都要注意安全", "every resident please", "明天停水", "every", ""]
)
def test_a_text_that_only_begins_like_a_rule_is_a_notice(text: str) -> None:
    assert read_every(text) == (None, text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("every 0 weeks mon 09:00 x", BAD_WEEKS),
        ("every 9 weeks mon 09:00 x", BAD_WEEKS),
        ("every 32nd 09:00 x", BAD_DAY),
        ("every 0th 09:00 x", BAD_DAY),
        ("every 5 minutes 喝水", TOO_OFTEN),
        ("every minute 09:00 x", TOO_OFTEN),
        ("every hour 09:00 x", TOO_OFTEN),
        ("每10分钟 09:00 提醒", TOO_OFTEN),
        ("every mon 9点 开会", NO_TIME),
        ("every mon 25:00 开会", NO_TIME),
        ("every day", NO_TIME),
        ("每周一 开会", NO_TIME),
        ("every 1 09:00 x", UNKNOWN),
    ],
)
def test_a_rule_that_never_fires_fires_too_often_or_has_no_time_is_refused(
    text: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        read_every(text)
    assert refused.value.message == message


# --- the next occurrence -------------------------------------------------------------------


def test_a_weekly_rule_fires_on_its_weekday_at_its_time() -> None:
    rule = Recurrence("weekly", 540, weekday=0)
    wednesday = moment(SHANGHAI, 2026, 12, 2, 10, 0)
    first = rule.next_after(wednesday, SHANGHAI)
    assert local(first, SHANGHAI) == "2026-12-07 Mon 09:00"
    assert local(rule.next_after(first, SHANGHAI), SHANGHAI) == "2026-12-14 Mon 09:00"
    just_before = moment(SHANGHAI, 2026, 12, 7, 8, 59)
    assert rule.next_after(just_before, SHANGHAI) == first


def test_every_two_weeks_counts_from_the_week_of_the_first_occurrence() -> None:
    now = moment(SHANGHAI, 2026, 12, 2, 10, 0)
    rule = Recurrence("weekly", 540, weekday=0, weeks=2).anchored(now, SHANGHAI)
    assert rule.anchor == date(2026, 12, 7)
    times, at = [], now
    for _ in range(3):
        at = rule.next_after(at, SHANGHAI)
        times.append(local(at, SHANGHAI))
    assert times == ["2026-12-07 Mon 09:00", "2026-12-21 Mon 09:00", "2027-01-04 Mon 09:00"]


def test_every_31st_is_the_last_day_of_a_shorter_month() -> None:
    rule = Recurrence("monthly", 540, day=31)
    times, at = [], moment(SHANGHAI, 2027, 1, 1, 0, 0)
    for _ in range(4):
        at = rule.next_after(at, SHANGHAI)
        times.append(local(at, SHANGHAI)[:10])
    assert times == ["2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30"]
    leap = Recurrence("monthly", 540, day=30).next_after(moment(SHANGHAI, 2028, 2, 1, 0, 0),
                                                          SHANGHAI)
    assert local(leap, SHANGHAI)[:10] == "2028-02-29"


def test_the_wall_clock_time_holds_across_daylight_saving_changes() -> None:
    rule = Recurrence("daily", 540)
    at = moment(NEW_YORK, 2026, 3, 7, 10, 0)
    spring = rule.next_after(at, NEW_YORK)
    assert local(spring, NEW_YORK) == "2026-03-08 Sun 09:00"
    assert spring - rule.next_after(at - 86_400, NEW_YORK) == 23 * 3600  # a 23-hour day
    autumn = rule.next_after(moment(NEW_YORK, 2026, 10, 31, 10, 0), NEW_YORK)
    assert local(autumn, NEW_YORK) == "2026-11-01 Sun 09:00"


def test_a_time_in_the_spring_gap_moves_forward_and_an_ambiguous_one_fires_once() -> None:
    gap = Recurrence("daily", 150)  # 02:30 does not exist on 2026-03-08 in New York
    sunday = gap.next_after(moment(NEW_YORK, 2026, 3, 7, 12, 0), NEW_YORK)
    assert local(sunday, NEW_YORK) == "2026-03-08 Sun 03:30"
    twice = Recurrence("daily", 90)  # 01:30 happens twice on 2026-11-01
    first = twice.next_after(moment(NEW_YORK, 2026, 10, 31, 12, 0), NEW_YORK)
    after = twice.next_after(first, NEW_YORK)
    assert local(first, NEW_YORK) == "2026-11-01 Sun 01:30"
    assert local(after, NEW_YORK) == "2026-11-02 Mon 01:30"


RULES = st.one_of(
    st.builds(Recurrence, st.just("daily"), st.integers(0, 1439)),
    st.builds(lambda m, w, n: Recurrence("weekly", m, weekday=w, weeks=n),
              st.integers(0, 1439), st.integers(0, 6), st.integers(1, 4)),
    st.builds(lambda m, d: Recurrence("monthly", m, day=d),
              st.integers(0, 1439), st.integers(1, 31)),
)
MOMENTS = st.floats(moment(NEW_YORK, 2025, 1, 1, 0, 0), moment(NEW_YORK, 2030, 1, 1, 0, 0))


@given(RULES, MOMENTS, st.sampled_from([SHANGHAI, NEW_YORK]))
def test_the_next_occurrence_is_later_on_a_day_of_the_rule_and_none_is_skipped(
    rule: Recurrence, after: float, tz: ZoneInfo
) -> None:
    rule = rule.anchored(after, tz)
    found = rule.next_after(after, tz)
    day = local_date(found, tz)
    assert found > after and rule.on(day)
    assert found - after <= (7 * rule.weeks + 32) * 86_400
    # no day of the rule lies between: the day before the found one never qualifies after
    between = local_date(after, tz)
    while between < day:
        assert not (rule.on(between) and rule.at(between, tz) > after)
        between += timedelta(days=1)


# --- quiet hours ---------------------------------------------------------------------------


def test_quiet_hours_over_midnight_end_at_their_end_and_not_before() -> None:
    start, end = 22 * 60, 7 * 60
    late = moment(SHANGHAI, 2026, 12, 2, 23, 30)
    early = moment(SHANGHAI, 2026, 12, 3, 6, 59)
    seven = moment(SHANGHAI, 2026, 12, 3, 7, 0)
    assert quiet_until(start, end, late, SHANGHAI) == seven
    assert quiet_until(start, end, early, SHANGHAI) == seven
    assert quiet_until(start, end, seven, SHANGHAI) is None
    assert quiet_until(start, end, moment(SHANGHAI, 2026, 12, 2, 21, 59), SHANGHAI) is None
    assert quiet_until(start, end, moment(SHANGHAI, 2026, 12, 2, 22, 0), SHANGHAI) == seven


def test_quiet_hours_within_a_day() -> None:
    start, end = 12 * 60, 14 * 60
    noon = moment(SHANGHAI, 2026, 12, 2, 13, 0)
    assert quiet_until(start, end, noon, SHANGHAI) == moment(SHANGHAI, 2026, 12, 2, 14, 0)
    assert quiet_until(start, end, moment(SHANGHAI, 2026, 12, 2, 15, 0), SHANGHAI) is None


@given(st.integers(0, 1439), st.integers(0, 1439), MOMENTS, st.sampled_from([SHANGHAI, NEW_YORK]))
def test_a_held_moment_is_released_within_a_day_at_a_moment_that_is_not_quiet(
    start: int, end: int, at: float, tz: ZoneInfo
) -> None:
    if start == end:
        return
    until = quiet_until(start, end, at, tz)
    if until is None:
        return
    assert at < until <= at + 25 * 3600
    assert quiet_until(start, end, until, tz) is None
    assert datetime.fromtimestamp(until, tz).hour * 60 + datetime.fromtimestamp(
        until, tz
    ).minute in (end, (end + 60) % 1440)  # the end, or an hour later in a DST gap
