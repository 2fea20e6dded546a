"""Recurring notices and quiet hours: reading the rule, and the arithmetic of local time.

Pure functions, no I/O. A rule fires at a wall-clock time in the community's time zone
(``zoneinfo``: 09:00 stays 09:00 across a daylight-saving change; a time that does not
exist that day moves forward with the clock, an ambiguous one fires once, at its first
occurrence). Decisions:

- ``every 31st`` (29th, 30th) fires on the last day of a month that is shorter, so a
  monthly rule fires every month.
- ``every N weeks`` takes N from 1 to MAX_WEEKS and counts weeks from the week of the
  first occurrence. Nothing fires more often than once a day.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.errors import InvalidInput
from bot.i18n import N_
from bot.services.weektime import (
    WEEKDAY_WORDS,
    local_date,
    local_moment,
    parse_clock,
    parse_weekday,
)

MAX_WEEKS = 4
MAX_DAY = 31
RuleKind = Literal["daily", "weekly", "monthly"]

EVERY_WORDS = {"every"}
_DAILY = {"day", "daily", "天", "日"}
_NUMBERS = {"一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
            "八": 8, "九": 9, "十": 10, "零": 0}
_WEEKS = re.compile(
    r"^(\d+|[零一二两兩三四五六七八九十])(?:weeks?|周|週|个星期|個星期|星期)(.+)$"
)
_MONTH_DAY = re.compile(r"^(?:(\d+)(?:st|nd|rd|th)|月(\d+)[日号號])$")
_TOO_OFTEN = re.compile(r"(minute|hour|分钟|分鐘|小时|小時|钟头|鐘頭)")
# What a Chinese rule looks like as one word, so that "每天都要注意安全" stays a notice's text.
_ZH_RULE = re.compile(
    r"^每(?:天|日|(?:周|週|星期)[一二三四五六日天]|月\d+[日号號]"
    r"|(?:\d+|[零一二两兩三四五六七八九十])(?:周|週|个星期|個星期)(?:(?:周|週|星期)[一二三四五六日天])?"
    r"|\d*(?:分钟|分鐘|小时|小時))$"
)
_WORD = re.compile(r"\s*(\S*)\s*(.*)", re.DOTALL)
_EN_START = re.compile(r"^(?:day|daily|\d+(?:st|nd|rd|th)?|minutes?|hours?)$")

NO_TIME = N_(
    "I could not read the time of the recurring notice. Write it like this: "
    "/notice every mon 09:00 followed by the text. Also: every day 08:00, "
    "every 1st 09:00 (a day of the month), every 2 weeks mon 09:00."
)
UNKNOWN = N_(
    "I could not read «{rule}» as a repetition. Write it like this: "
    "/notice every mon 09:00 followed by the text. Also: every day 08:00, "
    "every 1st 09:00 (a day of the month), every 2 weeks mon 09:00."
)
TOO_OFTEN = N_(
    "A recurring notice goes out at most once a day. Write it like this: "
    "/notice every mon 09:00 followed by the text. Also: every day 08:00, "
    "every 1st 09:00 (a day of the month), every 2 weeks mon 09:00."
)
BAD_WEEKS = N_("Every {weeks} weeks is not possible: write 1 to {most} weeks, or a day of "
               "the month (every 1st 09:00).")
BAD_DAY = N_("There is no day {day} in a month: write a day from 1 to {most} "
             "(every 31st is the last day of a shorter month).")


@dataclass(frozen=True)
class Recurrence:
    """When a recurring notice goes out: at ``minute`` after local midnight, on the days
    of its kind. ``anchor`` is the Monday of the first occurrence's week (weekly rules
    count their weeks from it)."""

    kind: RuleKind
    minute: int
    weekday: int | None = None  # weekly: 0 = Monday
    day: int | None = None  # monthly: 1..31 (the last day of a shorter month)
    weeks: int = 1  # weekly: every N weeks
    anchor: date | None = None

    def on(self, day: date) -> bool:
        """Whether an occurrence falls on this local date."""
        if self.kind == "daily":
            return True
        if self.kind == "weekly":
            if day.weekday() != self.weekday:
                return False
            anchor = self.anchor or monday_of(day)
            return (monday_of(day) - anchor).days // 7 % self.weeks == 0
        assert self.day is not None
        return day.day == min(self.day, calendar.monthrange(day.year, day.month)[1])

    def at(self, day: date, tz: ZoneInfo) -> float:
        """The moment of the occurrence on ``day``."""
        return local_moment(day, self.minute, tz)

    def next_after(self, after: float, tz: ZoneInfo) -> float:
        """The first occurrence strictly later than ``after``."""
        day = local_date(after, tz) - timedelta(days=1)
        for _ in range(7 * MAX_WEEKS + 64):  # a month and a few days covers every rule
            if self.on(day) and self.at(day, tz) > after:
                return self.at(day, tz)
            day += timedelta(days=1)
        raise AssertionError(f"{self} never fires")  # every rule that parses fires

    def anchored(self, now: float, tz: ZoneInfo) -> Recurrence:
        """The rule counting its weeks from the week of its first occurrence after ``now``."""
        if self.kind != "weekly" or self.weeks == 1:
            return self
        first = Recurrence("weekly", self.minute, self.weekday).next_after(now, tz)
        return Recurrence("weekly", self.minute, self.weekday, weeks=self.weeks,
                          anchor=monday_of(local_date(first, tz)))


def monday_of(day: date) -> date:
    """The Monday of the week of ``day``."""
    return day - timedelta(days=day.weekday())


def read_every(text: str) -> tuple[Recurrence | None, str]:
    """A leading ``every mon 09:00`` / ``每周一 09:00`` and the rest; (None, text) when the
    text does not begin with a repetition. Refuses one that is malformed or too often."""
    word, rest = split_word(text)
    english = word.lower() in EVERY_WORDS
    if not (english and _english_rule(rest)) and not _ZH_RULE.match(word):
        return None, text
    spec = [] if english else [word[1:]]  # the words between every/每 and the time
    for _ in range(4):
        word, after = split_word(rest)
        minute = parse_clock(word)
        if minute is not None and spec:
            return parse_spec("".join(spec).lower(), minute), after
        if not word:
            break
        spec.append(word)
        rest = after
    if _TOO_OFTEN.search("".join(spec).lower()):
        raise InvalidInput(TOO_OFTEN)
    raise InvalidInput(NO_TIME)


def split_word(text: str) -> tuple[str, str]:
    """The first word and the rest (its line breaks kept)."""
    match = _WORD.match(text)
    assert match is not None
    return match.group(1), match.group(2)


def _english_rule(rest: str) -> bool:
    """Whether the word after "every" starts a rule ("every resident" is a notice's text)."""
    second = split_word(rest)[0].lower()
    return second in WEEKDAY_WORDS or bool(_EN_START.match(second))


def parse_spec(spec: str, minute: int) -> Recurrence:
    """The rule of ``day``, ``mon``, ``2weeksmon``, ``1st`` (Chinese: ``天``, ``周一``,
    ``两周周一``, ``月1日``), with the leading every/每 and the spaces removed."""
    if _TOO_OFTEN.search(spec):
        raise InvalidInput(TOO_OFTEN)
    if spec in _DAILY:
        return Recurrence("daily", minute)
    weekday = parse_weekday(spec)
    if weekday is not None:
        return Recurrence("weekly", minute, weekday)
    weeks = _WEEKS.match(spec)
    if weeks is not None and parse_weekday(weeks[2]) is not None:
        count = _number(weeks[1]) if weeks[1].isdigit() else _NUMBERS[weeks[1]]
        if not 1 <= count <= MAX_WEEKS:
            raise InvalidInput(BAD_WEEKS, weeks=_short(weeks[1]), most=MAX_WEEKS)
        return Recurrence("weekly", minute, parse_weekday(weeks[2]), weeks=count)
    month_day = _MONTH_DAY.match(spec)
    if month_day is not None:
        day = _number(month_day[1] or month_day[2])
        if not 1 <= day <= MAX_DAY:
            raise InvalidInput(BAD_DAY, day=_short(month_day[1] or month_day[2]), most=MAX_DAY)
        return Recurrence("monthly", minute, day=day)
    raise InvalidInput(UNKNOWN, rule=spec)


def _number(digits: str) -> int:
    """The value of digits; a huge one is just too big (int() refuses 5000 digits)."""
    return int(digits) if len(digits) <= 6 else 10**6


def _short(number: str) -> str:
    """A number as written, cut when it is absurdly long (a refusal quotes it)."""
    return number if len(number) <= 12 else number[:12] + "…"


# --- quiet hours --------------------------------------------------------------------------


def quiet_until(start: int, end: int, at: float, tz: ZoneInfo) -> float | None:
    """The end of the quiet period (daily, ``start``..``end`` minutes, over midnight when
    ``end < start``) that ``at`` falls in; None outside. The end itself is not quiet."""
    today = local_date(at, tz)
    for day in (today - timedelta(days=1), today):
        begins = local_moment(day, start, tz)
        ends = local_moment(day + timedelta(days=int(end <= start)), end, tz)
        if begins <= at < ends:
            return ends
    return None
