"""Aways and open shifts without Telegram: routing skips an away volunteer, their shifts
are offered ahead of time, exactly one volunteer takes each, and one nobody takes reaches
the owners."""

from __future__ import annotations

import asyncio
import json
from datetime import date

import pytest

from bot.context import Services
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.services.community import Actor
from bot.services.roster import parse_away_command
from tests.test_roster_service import (
    EVENING,
    LI,
    OWNER,
    WANG,
    ZHAO,
    add,
    advance_to,
    building_with_volunteers,
    local,
    services,
    texts_to,
)

__all__ = ["services"]  # the fixture, shared with the roster's service tests

MONDAY, NEXT_MONDAY = date(2026, 11, 23), date(2026, 11, 30)


async def user(services: Services, user_id: int):  # type: ignore[no-untyped-def]
    found = await services.users.get(user_id)
    assert found is not None
    return found


async def pending_jobs(services: Services, kind: str) -> list[tuple[str, float]]:
    rows = await services.db.fetch_all(
        "SELECT key, due_at FROM jobs WHERE kind = ? AND status = 'pending' ORDER BY due_at",
        (kind,),
    )
    return [(row[0], row[1]) for row in rows]


async def cards_to(services: Services) -> dict[int, list[str]]:
    rows = await services.db.fetch_all(
        "SELECT chat_id, payload FROM outbox WHERE kind = 'open_shift' ORDER BY id"
    )
    found: dict[int, list[str]] = {}
    for chat_id, payload in rows:
        found.setdefault(chat_id, []).append(json.loads(payload)["text"])
    return found


def test_the_text_form_of_away() -> None:
    command = parse_away_command("@li 2026-12-10 2026-12-20 visiting my daughter")
    assert (command.username, command.first, command.last, command.note) == (
        "li", date(2026, 12, 10), date(2026, 12, 20), "visiting my daughter")
    one_day = parse_away_command("2026-12-10 dentist")
    assert (one_day.first, one_day.last, one_day.note) == (
        date(2026, 12, 10), date(2026, 12, 10), "dentist")
    for bad in ("", "tomorrow", "2026-13-01", "@li"):
        with pytest.raises(InvalidInput):
            parse_away_command(bad)


async def test_an_away_volunteer_is_skipped_and_their_shift_is_open(services: Services) -> None:
    building = await building_with_volunteers(services)
    await add(services, building, EVENING, LI, WANG)
    li = await user(services, LI)
    result = await services.roster.set_away(Actor(LI), li, NEXT_MONDAY, date(2026, 12, 2))
    assert [o.day for o in result.opened] == [NEXT_MONDAY]
    assert await services.roster.on_duty(building.id, local(23, 19)) == [LI, WANG]
    assert await services.roster.on_duty(building.id, local(30, 19)) == [WANG]
    duty_next_week = await services.roster.occurrences_at(building.id, local(30, 19))
    assert duty_next_week[0].open_seats == 1
    offers = await pending_jobs(services, "duty offer")
    assert [key for key, _due in offers] == ["duty offer 1 48", "duty offer 1 12"]
    assert [due for _key, due in offers] == [local(28, 18), local(30, 6)]
    assert await pending_jobs(services, "duty open alert") == [("duty open alert 1", local(30, 16))]


async def test_bad_away_periods_change_nothing(services: Services) -> None:
    building = await building_with_volunteers(services)
    await add(services, building, EVENING, LI)
    li = await user(services, LI)
    with pytest.raises(InvalidInput, match="ends before"):
        await services.roster.set_away(Actor(LI), li, date(2026, 12, 5), date(2026, 12, 1))
    with pytest.raises(InvalidInput, match="past"):
        await services.roster.set_away(Actor(LI), li, date(2026, 11, 20), date(2026, 11, 22))
    with pytest.raises(NotAllowed):  # Wang is no owner
        await services.roster.set_away(Actor(WANG), li, NEXT_MONDAY, NEXT_MONDAY)
    owner = await user(services, OWNER)
    with pytest.raises(NotFound):  # the owner volunteers nowhere
        await services.roster.set_away(Actor(OWNER), owner, NEXT_MONDAY, NEXT_MONDAY)
    with pytest.raises(NotFound):
        await services.roster.come_back(Actor(LI), li)
    assert await services.db.fetch_value("SELECT count(*) FROM aways") == 0
    assert await services.db.fetch_value("SELECT count(*) FROM open_shifts") == 0
    assert await services.roster.on_duty(building.id, local(30, 19)) == [LI]


async def test_an_owner_sets_an_away_and_back_withdraws_the_offer(services: Services) -> None:
    building = await building_with_volunteers(services)
    await add(services, building, EVENING, LI)
    li = await user(services, LI)
    await services.roster.set_away(Actor(OWNER), li, MONDAY, NEXT_MONDAY, "in hospital")
    assert await services.roster.on_duty(building.id, local(23, 19)) == []
    assert await services.roster.aways_of(LI)
    withdrawn = await services.roster.come_back(Actor(OWNER), li)
    assert withdrawn == 2
    assert await services.roster.on_duty(building.id, local(30, 19)) == [LI]
    # today's date stays away (it started); from tomorrow on Li is back
    assert await services.roster.on_duty(building.id, local(23, 19)) == [LI]
    assert await services.db.fetch_value(
        "SELECT count(*) FROM open_shifts WHERE status = 'open'") == 0


async def test_offers_reach_the_others_and_exactly_one_wins_the_race(services: Services) -> None:
    building = await building_with_volunteers(services)
    await add(services, building, EVENING, LI)
    li = await user(services, LI)
    await services.roster.set_away(Actor(LI), li, NEXT_MONDAY, NEXT_MONDAY)
    advance_to(services, local(28, 18, 1))  # 48 hours ahead
    await services.scheduler.run_due()
    offered = await cards_to(services)
    assert set(offered) == {WANG, ZHAO}
    assert "接这个班" in str(await services.db.fetch_value(
        "SELECT payload FROM outbox WHERE kind = 'open_shift' LIMIT 1"))
    results = await asyncio.gather(
        services.roster.take_open_shift(Actor(WANG), 1),
        services.roster.take_open_shift(Actor(ZHAO), 1),
        return_exceptions=True,
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 1
    winner = winners[0].taker
    assert winner is not None and winner.id == WANG
    assert losers[0].params["name"] == "Wang"
    assert await services.roster.on_duty(building.id, local(30, 19)) == [WANG]
    assert len(await texts_to(services, OWNER, "open_shift_owner")) == 1
    advance_to(services, local(30, 18, 1))
    await services.scheduler.run_due()  # the 12-hour round and the alert find it taken
    assert len(await texts_to(services, OWNER, "open_shift_owner")) == 1
    assert len(await cards_to(services)) == 2 and len((await cards_to(services))[ZHAO]) == 1


async def test_a_shift_nobody_takes_reaches_the_owners_and_cannot_be_taken_late(
    services: Services,
) -> None:
    building = await building_with_volunteers(services)
    shift_id = await add(services, building, EVENING, LI)
    advance_to(services, local(23, 17, 30))
    view = await services.roster.cant_make_it(Actor(LI), shift_id, MONDAY)
    assert view.open_shift.reason == "cant"
    again = await services.roster.cant_make_it(Actor(LI), shift_id, MONDAY)
    assert again.open_shift.id == view.open_shift.id  # a press handled twice
    await services.scheduler.run_due()  # less than 12 hours ahead: offered and alerted at once
    assert set(await cards_to(services)) == {WANG, ZHAO}
    alerts = await texts_to(services, OWNER, "open_shift_owner")
    assert len(alerts) == 1 and "还没有人接" in alerts[0]
    advance_to(services, local(23, 18, 1))
    with pytest.raises(Conflict, match="already started"):
        await services.roster.take_open_shift(Actor(ZHAO), view.open_shift.id)
    assert await services.db.fetch_value("SELECT status FROM open_shifts") == "open"
    with pytest.raises(Conflict):
        await services.roster.take_open_shift(Actor(LI), view.open_shift.id)


async def test_a_volunteer_taken_off_a_shift_leaves_this_weeks_seat_open(
    services: Services,
) -> None:
    building = await building_with_volunteers(services)
    shift_id = await add(services, building, EVENING, LI)
    await services.roster.toggle_volunteer(Actor(OWNER), building, shift_id, LI, on=False)
    rows = await services.db.fetch_all("SELECT day, user_id, reason FROM open_shifts")
    assert [tuple(row) for row in rows] == [("2026-11-23", LI, "removed")]
    await services.roster.take_open_shift(Actor(ZHAO), 1)
    assert await services.roster.on_duty(building.id, local(23, 19)) == [ZHAO]
    assert await services.roster.on_duty(building.id, local(30, 19)) == []
