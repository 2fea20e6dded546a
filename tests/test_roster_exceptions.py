"""Changes from a date on, weekdays-only shifts and alternate weeks, without Telegram: the
roster changes only from the date asked, alternate weeks alternate, and bad input (a date
in the past, a forged form) changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.context import Services
from bot.errors import InvalidInput
from bot.services.community import Actor
from bot.services.roster import parse_roster_command
from tests.harness import Harness
from tests.test_roster import OWNER as E2E_OWNER
from tests.test_roster import go_to_next_monday_noon, set_up_building
from tests.test_roster_service import (
    LI,
    OWNER,
    WANG,
    ZHAO,
    advance_to,
    building_with_volunteers,
    local,
    services,
)

__all__ = ["services"]


async def run(services: Services, text: str) -> None:
    building = await services.community.buildings.by_id(1)
    assert building is not None
    await services.roster.run_command(Actor(OWNER), building, parse_roster_command(text))


def test_the_text_forms() -> None:
    weekdays = parse_roster_command("add weekdays 09:00-12:00 @zhao")
    assert weekdays.weekdays == (0, 1, 2, 3, 4) and weekdays.every_weeks == 1
    assert parse_roster_command("add mon-wed 09:00-12:00").weekdays == (0, 1, 2)
    alternate = parse_roster_command("add sat 09:00-12:00 @wang alternate")
    assert alternate.every_weeks == 2 and alternate.usernames == ("wang",)
    dated = parse_roster_command("from 2026-12-15 unassign mon 18:00-22:00 @li")
    assert dated.from_day == date(2026, 12, 15) and dated.action == "unassign"
    for bad in ("from add mon 18:00-22:00", "from 2026-13-01 add mon 18:00-22:00",
                "from 2026-12-15 announce on", "remove mon 18:00-22:00 alternate"):
        with pytest.raises(InvalidInput):
            parse_roster_command(bad)


async def test_a_change_from_a_date_on_leaves_the_weeks_before_it(services: Services) -> None:
    building = await building_with_volunteers(services)
    await run(services, "add mon 18:00-22:00 @li")
    await run(services, "from 2026-12-07 unassign mon 18:00-22:00 @li")
    await run(services, "from 2026-12-07 assign mon 18:00-22:00 @wang")
    on_duty = services.roster.on_duty
    assert await on_duty(building.id, local(30, 19)) == [LI]  # 30 November: as before
    assert await on_duty(building.id, local(30, 19) + 7 * 86400) == [WANG]  # 7 December
    await run(services, "from 2026-12-14 remove mon 18:00-22:00")
    assert await on_duty(building.id, local(30, 19) + 14 * 86400) == []
    assert await on_duty(building.id, local(30, 19) + 7 * 86400) == [WANG]
    await run(services, "from 2026-12-21 add tue 08:00-12:00 @zhao")
    tuesday = local(24, 9)
    assert await on_duty(building.id, tuesday + 21 * 86400) == []  # 15 December: not yet
    assert await on_duty(building.id, tuesday + 28 * 86400) == [ZHAO]  # 22 December
    tue = next(s for s in await services.roster.repo.shifts(building.id) if s.weekday == 1)
    job = await services.scheduler.repo.get(f"duty remind {tue.id} 2026-12-22")
    assert job is not None and job.status == "pending"  # its first reminder is planned


async def test_weekdays_only_and_alternate_weeks(services: Services) -> None:
    building = await building_with_volunteers(services)
    await run(services, "add weekdays 09:00-12:00 @zhao")
    assert len(await services.roster.repo.shifts(building.id)) == 5
    on_duty = services.roster.on_duty
    assert await on_duty(building.id, local(27, 10)) == [ZHAO]  # Friday
    assert await on_duty(building.id, local(28, 10)) == []  # Saturday
    await run(services, "add sat 14:00-16:00 @wang alternate")
    await run(services, "from 2026-12-05 assign sat 14:00-16:00 @li alternate")
    saturdays = [await on_duty(building.id, local(28, 15) + weeks * 7 * 86400)
                 for weeks in range(4)]
    assert saturdays == [[WANG], [LI], [WANG], [LI]]


async def test_a_change_in_the_past_or_to_a_missing_shift_changes_nothing(
    services: Services,
) -> None:
    building = await building_with_volunteers(services)
    await run(services, "add mon 18:00-22:00 @li")
    advance_to(services, local(25, 12))
    before = await services.db.fetch_all("SELECT * FROM shift_volunteers")
    with pytest.raises(InvalidInput, match="past"):
        await run(services, "from 2026-11-20 unassign mon 18:00-22:00 @li")
    with pytest.raises(Exception, match="no such shift"):
        await run(services, "from 2026-12-07 unassign weekdays 18:00-22:00 @li")
    assert await services.db.fetch_all("SELECT * FROM shift_volunteers") == before
    assert await services.roster.on_duty(building.id, local(30, 19)) == [LI]


async def test_the_owner_writes_a_dated_change_and_the_week_shows_it(harness: Harness) -> None:
    monday = go_to_next_monday_noon(harness)
    await set_up_building(harness)
    start = (monday + timedelta(days=8)).date()
    week = await harness.say(
        E2E_OWNER, E2E_OWNER, f"/roster from {start} add weekdays 09:00-12:00 @zhao", expect="好了")
    assert f"周二 09:00–12:00：Zhao（{start} 起）" in week.text
    assert "周五 09:00–12:00：Zhao" in week.text
    past = "/roster from 2020-01-01 add mon 09:00-12:00 @zhao"
    assert await harness.say(E2E_OWNER, E2E_OWNER, past, expect="已经过去")
    assert await harness.value("SELECT count(*) FROM shifts") == 5
