"""/calendar end to end: the .ics file parsed back by icalendar has the shifts at the right
times in local time and in UTC (one crossing midnight), the zone's VTIMEZONE, alarms, and
the same UIDs when made again; owners get the whole rota; nothing coming is a clear answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Calendar

from bot.emulator import SentMessage
from tests.harness import Harness
from tests.test_roster import (
    GROUP,
    OWNER,
    RESIDENT,
    TZ,
    WANG,
    go_to_next_monday_noon,
    set_up_building,
)


async def calendar_of(harness: Harness, user_id: int) -> tuple[SentMessage, Calendar]:
    """Ask for /calendar and parse the file that comes back."""
    sent = await harness.say(user_id, user_id, "/calendar", expect="日历")
    assert sent.kind == "document" and sent.file_name == "linli-duty.ics"
    assert sent.file_bytes is not None
    return sent, Calendar.from_ical(sent.file_bytes)


def entries(ical: Calendar) -> list[Any]:
    return [component for component in ical.walk("VEVENT")]


async def test_the_calendar_file_has_local_and_utc_times_and_stable_uids(
    harness: Harness,
) -> None:
    monday = go_to_next_monday_noon(harness)
    await set_up_building(harness)
    await harness.say(OWNER, OWNER, "/roster add mon 22:00-02:00 @wang", expect="好了")
    await harness.say(OWNER, OWNER, "/roster add wed 09:00-12:00 @li", expect="好了")

    sent, ical = await calendar_of(harness, WANG)
    assert "班次（8 个）" in sent.text
    [zone] = ical.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Asia/Shanghai"
    shifts = entries(ical)
    assert len(shifts) == 8  # eight Mondays, every week of the coming eight
    first = shifts[0]
    start, end = first.decoded("dtstart"), first.decoded("dtend")
    assert start == datetime.combine(monday.date(), datetime.min.time().replace(hour=22), TZ)
    assert (start.hour, end.hour, (end.date() - start.date()).days) == (22, 2, 1)
    assert first["dtstart"].params["TZID"] == "Asia/Shanghai"
    assert start.astimezone(UTC).hour == 14 and end.astimezone(UTC).hour == 18
    assert end.astimezone(UTC).date() == monday.date()  # 02:00 Tuesday is still Monday in UTC
    assert str(first["summary"]) == "在3号楼值班"
    [alarm] = first.walk("VALARM")
    assert alarm.decoded("trigger") == timedelta(minutes=-30)

    _again, second = await calendar_of(harness, WANG)
    assert [str(e["uid"]) for e in entries(second)] == [str(e["uid"]) for e in shifts]
    assert len({str(e["uid"]) for e in shifts}) == 8

    _rota, whole = await calendar_of(harness, OWNER)
    summaries = [str(e["summary"]) for e in entries(whole)]
    assert len(summaries) == 16
    assert "3号楼值班：Wang" in summaries and "3号楼值班：Li" in summaries

    nothing = await harness.say(RESIDENT, RESIDENT, "/calendar", expect="近期没有安排")
    assert nothing.kind != "document"
    await harness.say(WANG, GROUP, "/calendar", expect="私聊")


async def test_an_event_signed_up_for_is_in_the_file(harness: Harness) -> None:
    go_to_next_monday_noon(harness)
    await set_up_building(harness)
    now = harness.clock.now()
    async with harness.db.transaction() as tx:
        cursor = await tx.execute(
            "INSERT INTO events (title, place, starts_at, created_by, created_at) "
            "VALUES ('义诊', '活动室', ?, ?, ?)", (now + 3 * 86400, OWNER, now))
        await tx.execute(
            "INSERT INTO event_signups (event_id, user_id, chat_id, role, status, joined_at) "
            "VALUES (?, ?, ?, 'helper', 'going', ?)", (cursor.lastrowid, WANG, GROUP, now))
    _sent, ical = await calendar_of(harness, WANG)
    [event] = entries(ical)
    assert str(event["uid"]) == "event-1@linli" and str(event["location"]) == "活动室"
    assert event.decoded("dtstart").timestamp() == int(now + 3 * 86400)
    [alarm] = event.walk("VALARM")
    assert alarm.decoded("trigger") == timedelta(hours=-2)
