"""The roster and lock-up rules against a real database, without Telegram: who is on duty,
one-date swaps, and the jobs that chain week after week."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import build_application, open_services
from bot.clock import FakeClock
from bot.config import load_settings
from bot.context import Services
from bot.domain.core import Building
from bot.errors import Conflict, NotAllowed
from bot.services.community import Actor
from bot.services.lockup import FacilitySpec
from bot.services.roster import parse_roster_command

TZ = ZoneInfo("Asia/Shanghai")
OWNER, LI, WANG, ZHAO = 10, 11, 12, 13
MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=TZ)
EVENING, NIGHT = (0, 18 * 60, 22 * 60), (0, 22 * 60, 2 * 60)


def local(day: int, hour: int, minute: int = 0) -> float:
    """A moment in the week of Monday 23 November 2026, Shanghai time."""
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ).timestamp()


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    settings = load_settings(
        config,
        telegram={"token": "123456:TEST"},
        database={"path": str(tmp_path / "linli.db")},
        community={"admins": [900]},
    )
    opened = await open_services(settings, FakeClock(MONDAY_NOON), build_application(settings))
    yield opened
    await opened.db.close()


async def building_with_volunteers(services: Services) -> Building:
    now = services.clock.now()
    async with services.db.transaction() as tx:
        await services.chats.upsert(tx, -100, "supergroup", "3号楼", now)
        for user_id, name in ((OWNER, "Owner"), (LI, "Li"), (WANG, "Wang"), (ZHAO, "Zhao")):
            await services.users.upsert(tx, user_id, name, None, name.lower(), None, now)
    building = (await services.community.setup(-100, "3号楼", OWNER)).building
    for user_id in (LI, WANG, ZHAO):
        user = await services.users.get(user_id)
        assert user is not None
        await services.community.add_volunteer(building, user, [])
    await services.community.store_admins(-100, [OWNER])
    return building


async def add(
    services: Services, building: Building, times: tuple[int, int, int], *people: int
) -> int:
    users = [await services.users.get(user_id) for user_id in people]
    shift = await services.roster.add_shift(Actor(OWNER), building, *times, [u for u in users if u])
    return shift.id


def advance_to(services: Services, moment: float) -> None:
    clock = services.clock
    assert isinstance(clock, FakeClock)
    clock.advance(moment - clock.now())


async def texts_to(services: Services, chat_id: int, kind: str) -> list[str]:
    rows = await services.db.fetch_all(
        "SELECT payload FROM outbox WHERE chat_id = ? AND kind = ? ORDER BY id", (chat_id, kind)
    )
    return [json.loads(row[0])["text"] for row in rows]


async def test_on_duty_follows_the_roster_across_midnight_and_overlaps(services: Services) -> None:
    building = await building_with_volunteers(services)
    await add(services, building, EVENING, LI)
    await add(services, building, NIGHT, WANG)
    await add(services, building, (0, 20 * 60, 23 * 60), ZHAO)
    on_duty = services.roster.on_duty
    assert await on_duty(building.id, local(23, 17, 59)) == []
    assert await on_duty(building.id, local(23, 19)) == [LI]
    assert await on_duty(building.id, local(23, 21)) == [LI, ZHAO]
    assert await on_duty(building.id, local(23, 22, 30)) == [ZHAO, WANG]  # earliest start first
    assert await on_duty(building.id, local(24, 1, 59)) == [WANG]  # Tuesday, small hours
    assert await on_duty(building.id, local(24, 2)) == []
    assert await on_duty(building.id, local(30, 19)) == [LI]  # and again next week


async def test_an_accepted_swap_changes_only_that_date_and_tells_the_owners(
    services: Services,
) -> None:
    building = await building_with_volunteers(services)
    shift_id = await add(services, building, EVENING, LI)
    monday = datetime(2026, 11, 23).date()
    swap = await services.roster.offer_swap(Actor(LI), shift_id, monday, ZHAO)
    assert await services.roster.on_duty(building.id, local(23, 19)) == [LI]  # only offered
    with pytest.raises(NotAllowed):
        await services.roster.answer_swap(Actor(WANG), swap.id, accept=True)
    await services.roster.answer_swap(Actor(ZHAO), swap.id, accept=True)
    with pytest.raises(Conflict):
        await services.roster.answer_swap(Actor(ZHAO), swap.id, accept=True)
    assert await services.roster.on_duty(building.id, local(23, 19)) == [ZHAO]
    assert await services.roster.on_duty(building.id, local(30, 19)) == [LI]
    assert len(await texts_to(services, OWNER, "swap_owner")) == 1
    assert "accepted" in (await texts_to(services, LI, "swap_answer"))[0] or "接受" in (
        await texts_to(services, LI, "swap_answer")
    )[0]


async def test_a_declined_swap_and_a_swap_of_someone_elses_shift_change_nothing(
    services: Services,
) -> None:
    building = await building_with_volunteers(services)
    shift_id = await add(services, building, EVENING, LI)
    monday = datetime(2026, 11, 23).date()
    with pytest.raises(NotAllowed):
        await services.roster.offer_swap(Actor(WANG), shift_id, monday, ZHAO)
    swap = await services.roster.offer_swap(Actor(LI), shift_id, monday, WANG)
    await services.roster.answer_swap(Actor(WANG), swap.id, accept=False)
    assert await services.roster.on_duty(building.id, local(23, 19)) == [LI]
    assert await texts_to(services, OWNER, "swap_owner") == []
    advance_to(services, local(23, 18, 30))
    with pytest.raises(Conflict):  # a shift under way cannot be offered any more
        await services.roster.offer_swap(Actor(LI), shift_id, monday, WANG)


async def test_jobs_have_deterministic_keys_and_chain_week_after_week(services: Services) -> None:
    building = await building_with_volunteers(services)
    shift_id = await add(services, building, EVENING, LI)
    jobs = services.scheduler.repo
    remind = await jobs.get(f"duty remind {shift_id} 2026-11-23")
    handover = await jobs.get(f"duty handover {shift_id} 2026-11-23")
    assert remind is not None and remind.due_at == local(23, 17, 30)
    assert handover is not None and handover.due_at == local(23, 22)
    assert await jobs.get("roster plan 2026-11-24") is not None
    advance_to(services, local(23, 17, 30, ))
    assert await services.scheduler.run_due() == 1
    assert len(await texts_to(services, LI, "duty_reminder")) == 1
    following = await jobs.get(f"duty remind {shift_id} 2026-11-30")
    assert following is not None and following.status == "pending"
    assert following.due_at == local(30, 17, 30)


async def test_the_daily_plan_repairs_a_chain_broken_by_a_long_downtime(services: Services) -> None:
    building = await building_with_volunteers(services)
    shift_id = await add(services, building, EVENING, LI)
    advance_to(services, local(25, 12))  # the bot was down from Monday noon to Wednesday noon
    await services.scheduler.run_due()
    jobs = services.scheduler.repo
    missed = await jobs.get(f"duty remind {shift_id} 2026-11-23")
    assert missed is not None and missed.status == "missed"
    assert await texts_to(services, LI, "duty_reminder") == []  # too late to be useful
    repaired = await jobs.get(f"duty remind {shift_id} 2026-11-30")
    assert repaired is not None and repaired.status == "pending"
    assert await jobs.get("roster plan 2026-11-26") is not None


async def test_removing_a_shift_cancels_its_coming_jobs(services: Services) -> None:
    building = await building_with_volunteers(services)
    shift_id = await add(services, building, EVENING, LI)
    await services.roster.remove_shift(Actor(OWNER), building, shift_id)
    remind = await services.scheduler.repo.get(f"duty remind {shift_id} 2026-11-23")
    assert remind is not None and remind.status == "cancelled"
    assert await services.roster.on_duty(building.id, local(23, 19)) == []


async def test_a_handover_passes_the_note_and_thanks_only_those_who_wrote_none(
    services: Services,
) -> None:
    building = await building_with_volunteers(services)
    await add(services, building, EVENING, LI, ZHAO)
    await add(services, building, NIGHT, WANG)
    advance_to(services, local(23, 21))
    result = await services.roster.write_note(Actor(LI), "302 的水龙头修好了")
    assert not result.handed_over
    advance_to(services, local(23, 22))
    await services.scheduler.run_due()
    incoming = await texts_to(services, WANG, "handover")
    assert len(incoming) == 1 and "302 的水龙头修好了" in incoming[0] and "Li" in incoming[0]
    assert await texts_to(services, LI, "handover") == []  # wrote a note already
    assert len(await texts_to(services, ZHAO, "handover")) == 1  # asked for one
    late = await services.roster.write_note(Actor(ZHAO), "钥匙在门卫处")
    assert [user.id for user in late.forwarded_to] == [WANG]
    assert "钥匙在门卫处" in (await texts_to(services, WANG, "handover_note"))[0]


async def test_a_lockup_report_is_late_after_the_grace_time(services: Services) -> None:
    building = await building_with_volunteers(services)
    spec = FacilitySpec("自习室", [21 * 60] * 7, ["窗户", "门"])
    facility = await services.lockup.add_facility(Actor(OWNER), building, spec)
    advance_to(services, local(23, 21, 25))
    view = await services.lockup.start(Actor(LI), facility.id)
    await services.lockup.tick(Actor(LI), view.lockup.id, 0)
    finished = await services.lockup.tick(Actor(LI), view.lockup.id, 1)
    assert finished.lockup.status == "awaiting_note"
    with pytest.raises(Conflict):
        await services.lockup.tick(Actor(WANG), view.lockup.id, 0)
    reported = await services.lockup.report(Actor(LI), view.lockup.id, "都关好了", None)
    assert reported.lockup.late and reported.lockup.note == "都关好了"
    with pytest.raises(Conflict):
        await services.lockup.report(Actor(LI), view.lockup.id, None, None)


async def test_only_an_owner_changes_the_roster_and_a_refusal_changes_nothing(
    services: Services,
) -> None:
    building = await building_with_volunteers(services)
    shift_id = await add(services, building, EVENING, LI)
    roster, volunteer = services.roster, Actor(LI)
    li = await services.users.get(LI)
    assert li is not None
    assign_wang = parse_roster_command("assign mon 18:00-22:00 @wang")
    refused: list[Callable[[], Awaitable[object]]] = [
        lambda: roster.add_shift(volunteer, building, *NIGHT, [li]),
        lambda: roster.remove_shift(volunteer, building, shift_id),
        lambda: roster.toggle_volunteer(volunteer, building, shift_id, WANG, True),
        lambda: roster.run_command(volunteer, building, assign_wang),
        lambda: roster.set_handover_in_group(volunteer, building, True),
        lambda: roster.managed(volunteer, building.id),
    ]
    for attempt in refused:
        with pytest.raises(NotAllowed):
            await attempt()
    week = await roster.week(building)
    assert [(item.shift.id, [u.id for u in item.volunteers]) for item in week] == [(shift_id, [LI])]
    assert not await roster.handover_in_group(building)


async def test_a_volunteer_who_was_removed_can_neither_give_away_nor_take_a_shift(
    services: Services,
) -> None:
    building = await building_with_volunteers(services)
    shift_id = await add(services, building, EVENING, LI)
    monday = datetime(2026, 11, 23).date()
    swap = await services.roster.offer_swap(Actor(LI), shift_id, monday, WANG)
    wang = await services.users.get(WANG)
    assert wang is not None
    await services.community.remove_volunteer(building, wang)
    with pytest.raises(NotAllowed):  # the offer's buttons are still in Wang's chat
        await services.roster.answer_swap(Actor(WANG), swap.id, accept=True)
    li = await services.users.get(LI)
    assert li is not None
    await services.community.remove_volunteer(building, li)  # still on the weekly roster
    with pytest.raises(NotAllowed):
        await services.roster.offer_swap(Actor(LI), shift_id, monday, ZHAO)
    assert await services.roster.on_duty(building.id, local(23, 19)) == [LI]
    assert await texts_to(services, LI, "swap_answer") == []
    assert len(await texts_to(services, ZHAO, "swap_offer")) == 0


async def test_only_an_owner_adds_or_removes_a_facility(services: Services) -> None:
    building = await building_with_volunteers(services)
    spec = FacilitySpec("自习室", [21 * 60] * 7, ["窗户", "门"])
    with pytest.raises(NotAllowed):
        await services.lockup.add_facility(Actor(LI), building, spec)
    assert await services.lockup.facilities(building) == []
    await services.lockup.add_facility(Actor(OWNER), building, spec)
    with pytest.raises(NotAllowed):
        await services.lockup.remove_facility(Actor(LI), building, "自习室")
    with pytest.raises(NotAllowed):
        await services.lockup.managed_facilities(Actor(LI), building)
    assert [f.name for f in await services.lockup.facilities(building)] == ["自习室"]
