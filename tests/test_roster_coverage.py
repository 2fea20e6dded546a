"""Coverage gaps: the hours of the coming weeks with nobody on duty, counted from the roster
with its aways and open shifts (a shift across midnight included), as text and as a PNG
week grid; only owners see them; a bad number of weeks changes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from bot.context import Services
from bot.errors import InvalidInput, NotAllowed
from bot.services.community import Actor
from tests.harness import Harness
from tests.test_roster import GROUP, OWNER, RESIDENT, go_to_next_monday_noon, set_up_building
from tests.test_roster_service import (
    EVENING,
    LI,
    NIGHT,
    WANG,
    add,
    building_with_volunteers,
    services,
)
from tests.test_roster_service import OWNER as SERVICE_OWNER

__all__ = ["services"]


async def test_gap_hours_follow_the_roster_across_midnight_and_aways(services: Services) -> None:
    building = await building_with_volunteers(services)
    await add(services, building, EVENING, LI)
    await add(services, building, NIGHT, WANG)
    [week] = await services.roster.coverage(Actor(SERVICE_OWNER), None, "")
    assert week.days[0] == date(2026, 11, 24) and len(week.days) == 7
    # Tuesday 00:00-02:00 (Monday night's shift) and Monday 30th 18:00-24:00 are covered
    assert week.gap_hours == 168 - 8
    assert week.grid[0][:3] == [1.0, 1.0, 0.0]
    assert week.grid[6][17:] == [0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    li = await services.users.get(LI)
    assert li is not None
    await services.roster.set_away(Actor(LI), li, date(2026, 11, 30), date(2026, 11, 30))
    [away_week] = await services.roster.coverage(Actor(SERVICE_OWNER), None, "1")
    assert away_week.gap_hours == 168 - 4
    [four] = await services.roster.coverage(Actor(SERVICE_OWNER), None, "4")
    assert len(four.days) == 28
    for bad in ("0", "9", "x", "１２", "9" * 5000, "-1"):
        with pytest.raises(InvalidInput):
            await services.roster.coverage(Actor(SERVICE_OWNER), None, bad)
    with pytest.raises(NotAllowed):
        await services.roster.coverage(Actor(LI), None, "")


async def test_owners_get_the_gaps_as_text_and_a_week_grid(harness: Harness) -> None:
    go_to_next_monday_noon(harness)
    await set_up_building(harness)
    await harness.say(OWNER, OWNER, "/roster add mon 22:00-02:00 @wang", expect="好了")
    text = await harness.say(OWNER, OWNER, "/coverage 2", expect="无人值班")
    # two weeks from Tuesday: 336 hours, of which Monday nights 22:00-02:00 are covered
    assert "3号楼" in text.text and "有 328 小时无人值班" in text.text
    assert "2026" in text.text and "02:00 – " in text.text
    await harness.emu.wait_for(
        lambda: any(m.kind == "photo" for m in harness.emu.sent(OWNER)), 15.0,
        what="the coverage picture")
    [picture] = [m for m in harness.emu.sent(OWNER) if m.kind == "photo"]
    assert picture.file_bytes is not None and picture.file_bytes.startswith(b"\x89PNG")
    await harness.say(RESIDENT, GROUP, "/coverage", expect="管理员")
    await harness.say(OWNER, OWNER, "/coverage 99", expect="最多 8 周")
