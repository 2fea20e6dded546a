"""The request state machine, without Telegram: open → claimed → done, open → cancelled,
claimed → open, and every other move refused with nothing changed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot

from bot.app import build_services
from bot.clock import FakeClock
from bot.config import load_settings
from bot.context import Services
from bot.domain.core import Building
from bot.domain.requests import Request
from bot.errors import Conflict, InvalidInput, LinliError, NotAllowed, NotFound
from bot.services.community import Actor
from bot.services.requests import (
    RequestService,
    Source,
    guess_category,
    parse_request,
)
from storage.db import Database
from storage.migrate import migrate

GROUP = -100
OWNER, RESIDENT, LI, WANG, ZHAO, STRANGER = 1, 2, 3, 4, 5, 6
ADMIN = 900


@dataclass
class World:
    """A community with one building, its owner, a resident and three volunteers."""

    services: Services
    requests: RequestService
    building: Building
    clock: FakeClock

    @property
    def db(self) -> Database:
        return self.services.db

    async def open(self, text: str = "the kitchen tap leaks", message_id: int = 1) -> Request:
        opened = await self.requests.open(
            self.building, Actor(RESIDENT), text, Source(GROUP, message_id, private=False)
        )
        return opened.request

    async def snapshot(self) -> dict[str, Any]:
        """Everything a move could change."""
        tables = {}
        for table in ("requests", "request_events", "outbox", "jobs"):
            rows = await self.db.fetch_all(f"SELECT * FROM {table} ORDER BY 1")
            tables[table] = [tuple(row) for row in rows]
        return tables

    async def cards(self) -> list[int]:
        rows = await self.db.fetch_all(
            "SELECT chat_id FROM outbox WHERE kind = 'request_card' ORDER BY id"
        )
        return [row[0] for row in rows]

    async def events(self, number: int) -> list[str]:
        return [event.kind for event in await self.requests.repo.events(number)]


async def person(services: Services, user_id: int, name: str, started: bool = True) -> None:
    async with services.db.transaction() as tx:
        await services.users.upsert(tx, user_id, name, None, name.lower(), "zh", 0)
        await services.chats.upsert(tx, user_id, "private", None, 0)
        if started:
            await services.users.set_started(tx, user_id, True, 0)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    settings = load_settings(
        config,
        require_token=False,
        database={"path": str(tmp_path / "linli.db")},
        community={"admins": [ADMIN]},
    )
    db = await Database.open(settings.database.path)
    await migrate(db)
    clock = FakeClock(1_800_000_000)
    services = build_services(settings, clock, db, Bot("1:unit-tests"))  # the bot is never called
    for user_id, name in [
        (OWNER, "Owner"),
        (RESIDENT, "Resident"),
        (LI, "Li"),
        (WANG, "Wang"),
        (ZHAO, "Zhao"),
        (STRANGER, "Stranger"),
    ]:
        await person(services, user_id, name)
    async with db.transaction() as tx:
        await services.chats.upsert(tx, GROUP, "group", "3号楼", 0)
    community = services.community
    building = (await community.setup(GROUP, "3号楼", OWNER)).building
    await community.store_admins(GROUP, [OWNER])
    for user_id, skills in ((LI, []), (WANG, ["repair"]), (ZHAO, ["health"])):
        user = await services.users.get(user_id)
        assert user is not None
        await community.add_volunteer(building, user, skills)
    async with db.transaction() as tx:
        await community.buildings.add_resident(tx, building.id, RESIDENT, 0)
    try:
        yield World(services, services.requests, building, clock)
    finally:
        await db.close()


# --- the legal moves ------------------------------------------------------------------------


async def test_open_claimed_done_with_events_cards_and_jobs(world: World) -> None:
    request = await world.open("repair the kitchen tap leaks")
    assert (request.number, request.state, request.category) == (1, "open", "repair")
    assert request.text == "the kitchen tap leaks"
    assert await world.cards() == [WANG, LI, ZHAO]  # the plumber first
    claimed = await world.requests.claim(1, Actor(LI))
    assert (claimed.state, claimed.claimer_id) == ("claimed", LI)
    done = await world.requests.finish(1, Actor(LI), "new washer fitted")
    assert (done.state, done.note) == ("done", "new washer fitted")
    assert await world.events(1) == ["opened", "routed", "claimed", "done"]
    jobs = dict(await world.db.fetch_all("SELECT key, status FROM jobs ORDER BY id"))
    assert jobs == {
        "request:1:escalate:1:1": "cancelled",
        "request:1:escalate:1:2": "cancelled",
        f"request:1:stale:{claimed.version}": "cancelled",
    }
    told = await world.db.fetch_all(
        "SELECT chat_id, payload FROM outbox WHERE kind = 'request_update' ORDER BY id"
    )
    assert [row[0] for row in told] == [RESIDENT, RESIDENT]  # started: told in private
    rating_row = json.loads(told[1][1])["reply_markup"]["inline_keyboard"][0]
    assert [button["callback_data"] for button in rating_row] == [
        f"requests:rate:1:{stars}" for stars in range(1, 6)
    ]


async def test_open_then_cancelled_by_the_resident(world: World) -> None:
    await world.open()
    cancelled = await world.requests.cancel(1, Actor(RESIDENT))
    assert cancelled.state == "cancelled"
    assert await world.events(1) == ["opened", "routed", "cancelled"]
    pending = await world.db.fetch_value("SELECT count(*) FROM jobs WHERE status = 'pending'")
    assert pending == 0


async def test_claimed_then_released_goes_back_to_the_others(world: World) -> None:
    await world.open()
    await world.requests.claim(1, Actor(LI))
    released = await world.requests.release(1, Actor(LI))
    assert (released.state, released.claimer_id, released.routing) == ("open", None, 2)
    assert await world.events(1) == ["opened", "routed", "claimed", "released", "routed"]
    assert sorted((await world.cards())[3:]) == [WANG, ZHAO]  # not back to Li
    claimed_again = await world.requests.claim(1, Actor(WANG))
    assert claimed_again.claimer_id == WANG


async def test_an_owner_may_finish_or_release_a_volunteers_claim(world: World) -> None:
    await world.open(message_id=1)
    await world.open("buy bread", message_id=2)
    await world.requests.claim(1, Actor(LI))
    await world.requests.claim(2, Actor(LI))
    assert (await world.requests.finish(1, Actor(OWNER))).state == "done"
    assert (await world.requests.release(2, Actor(ADMIN))).state == "open"


async def test_the_resident_rates_a_done_request_once(world: World) -> None:
    await world.open()
    await world.requests.claim(1, Actor(LI))
    await world.requests.finish(1, Actor(LI))
    assert (await world.requests.rate(1, Actor(RESIDENT), 4)).rating == 4
    before = await world.snapshot()
    with pytest.raises(Conflict):
        await world.requests.rate(1, Actor(RESIDENT), 5)
    with pytest.raises(NotAllowed):
        await world.requests.rate(1, Actor(LI), 5)
    assert await world.snapshot() == before


async def test_finishing_pays_the_claimer_once_in_the_same_transaction(world: World) -> None:
    await world.open()
    await world.requests.claim(1, Actor(LI))
    await world.requests.finish(1, Actor(LI))
    with pytest.raises(Conflict):
        await world.requests.finish(1, Actor(LI))  # a second finish pays nothing
    rows = await world.db.fetch_all("SELECT user_id, amount, reason, source, made_by FROM ledger")
    assert [tuple(row) for row in rows] == [(LI, 10, "request_done", "request:1", LI)]


# --- every illegal move is refused and changes nothing ----------------------------------------


async def refused(world: World, move: Any, error: type[LinliError], contains: str = "") -> None:
    before = await world.snapshot()
    with pytest.raises(error) as raised:
        await move
    assert contains in raised.value.message.format(**raised.value.params)
    assert await world.snapshot() == before


async def test_claiming_a_done_request_is_refused(world: World) -> None:
    await world.open()
    await world.requests.claim(1, Actor(LI))
    await world.requests.finish(1, Actor(LI))
    await refused(world, world.requests.claim(1, Actor(WANG)), Conflict, "already done")


async def test_a_second_claim_is_refused_and_names_the_winner(world: World) -> None:
    await world.open()
    await world.requests.claim(1, Actor(LI))
    await refused(world, world.requests.claim(1, Actor(WANG)), Conflict, "already taken by Li")
    await refused(world, world.requests.claim(1, Actor(LI)), Conflict, "You have already taken #1")


async def test_finishing_or_releasing_someone_elses_claim_is_refused(world: World) -> None:
    await world.open()
    await world.requests.claim(1, Actor(LI))
    await refused(world, world.requests.finish(1, Actor(WANG)), NotAllowed, "Only Li")
    await refused(world, world.requests.release(1, Actor(WANG)), NotAllowed, "Only Li")


async def test_cancelling_someone_elses_request_is_refused(world: World) -> None:
    await world.open()
    await refused(world, world.requests.cancel(1, Actor(LI)), NotAllowed, "resident who asked")
    await refused(world, world.requests.cancel(1, Actor(STRANGER)), NotAllowed)


async def test_moves_that_do_not_start_from_their_state_are_refused(world: World) -> None:
    await world.open()
    await refused(world, world.requests.finish(1, Actor(LI)), Conflict, "not been taken")
    await refused(world, world.requests.release(1, Actor(LI)), Conflict, "not been taken")
    await refused(world, world.requests.rate(1, Actor(RESIDENT), 5), Conflict, "not done yet")
    await world.requests.claim(1, Actor(LI))
    await refused(world, world.requests.cancel(1, Actor(RESIDENT)), Conflict, "already taken by Li")
    await world.requests.release(1, Actor(LI))
    await world.requests.cancel(1, Actor(RESIDENT))
    await refused(world, world.requests.claim(1, Actor(LI)), Conflict, "cancelled")
    await refused(world, world.requests.cancel(1, Actor(RESIDENT)), Conflict, "cancelled")
    await refused(world, world.requests.finish(1, Actor(OWNER)), Conflict, "cancelled")


async def test_only_volunteers_may_claim_and_not_their_own_request(world: World) -> None:
    await world.open()
    await refused(
        world, world.requests.claim(1, Actor(STRANGER)), NotAllowed, "Only the volunteers"
    )
    async with world.db.transaction() as tx:  # Li asks for help herself
        await world.requests.repo.insert(
            tx,
            building_id=world.building.id,
            resident_id=LI,
            category="other",
            text="x",
            source_chat_id=GROUP,
            source_message_id=99,
            private=False,
            now=0,
        )
    await refused(world, world.requests.claim(2, Actor(LI)), NotAllowed, "your own")


async def test_an_unknown_number_is_not_found(world: World) -> None:
    await refused(world, world.requests.claim(42, Actor(LI)), NotFound, "no request #42")


# --- submitting ---------------------------------------------------------------------------


async def test_the_same_source_message_opens_one_request(world: World) -> None:
    first = await world.open(message_id=7)
    opened = await world.requests.open(
        world.building, Actor(RESIDENT), "the kitchen tap leaks", Source(GROUP, 7, private=False)
    )
    assert (opened.request.number, opened.created, opened.audience) == (first.number, False, "all")
    assert await world.db.fetch_value("SELECT count(*) FROM requests") == 1
    assert len(await world.cards()) == 3
    following = await world.open(message_id=8)  # the replay used up no number
    assert following.number == first.number + 1


async def test_empty_and_overlong_requests_are_refused_and_store_nothing(world: World) -> None:
    for text in ("", "   ", "repair", "x" * 5000):
        await refused(world, world.open(text), InvalidInput)
    assert await world.db.fetch_value("SELECT count(*) FROM requests") == 0


def test_a_category_is_named_first_or_guessed_from_keywords() -> None:
    assert parse_request("elderly care visit Mrs Wu on floor 3") == (
        "elderly",
        "visit Mrs Wu on floor 3",
    )
    assert parse_request("维修：厨房水龙头漏水") == ("repair", "厨房水龙头漏水")
    assert parse_request("Safety hazard: the stair light is out")[0] == "safety"
    assert guess_category("厨房水龙头漏水了") == "repair"
    assert guess_category("please pick up my parcel") == "errand"
    assert guess_category("楼下一直有噪音") == "dispute"
    assert guess_category("闻到煤气味") == "safety"
    assert guess_category("my blood pressure is high") == "health"
    assert guess_category("hello there") == "other"
    assert parse_request("repairman needed") == ("repair", "repairman needed")  # guessed


async def test_a_building_without_volunteers_sends_it_to_the_owners_who_started(
    world: World,
) -> None:
    for user_id in (LI, WANG, ZHAO):
        user = await world.services.users.get(user_id)
        assert user is not None
        await world.services.community.remove_volunteer(world.building, user)
    opened = await world.requests.open(
        world.building, Actor(RESIDENT), "help", Source(GROUP, 1, private=False)
    )
    assert opened.audience == "owners"
    assert await world.cards() == [OWNER]  # the community admin never started the bot


# --- scheduled work -------------------------------------------------------------------------


async def test_unclaimed_requests_escalate_to_everyone_then_to_the_owners(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def only_wang(building_id: int) -> tuple[list[int], bool]:
        return [WANG], True

    monkeypatch.setattr(world.requests, "volunteers_on_duty", only_wang)
    opened = await world.requests.open(
        world.building, Actor(RESIDENT), "help", Source(GROUP, 1, private=False)
    )
    assert opened.audience == "duty"
    assert await world.cards() == [WANG]
    world.clock.advance(15 * 60)
    assert await world.services.scheduler.run_due() == 1
    assert sorted(await world.cards()) == [LI, WANG, ZHAO]
    world.clock.advance(15 * 60)
    assert await world.services.scheduler.run_due() == 1
    assert (await world.cards())[-1] == OWNER
    assert await world.events(1) == ["opened", "routed", "escalated", "escalated"]


async def test_a_claim_stops_the_escalation_and_a_stale_claim_is_reminded(world: World) -> None:
    await world.open()
    await world.requests.claim(1, Actor(LI))
    world.clock.advance(24 * 3600)
    assert await world.services.scheduler.run_due() == 1  # only the reminder
    reminder = await world.db.fetch_one(
        "SELECT chat_id, payload FROM outbox WHERE kind = 'request_reminder'"
    )
    assert reminder is not None and reminder[0] == LI
    assert "/done 1" in json.loads(reminder[1])["text"]
    assert await world.events(1) == ["opened", "routed", "claimed", "reminded"]


async def test_twenty_concurrent_claims_have_one_winner(world: World) -> None:
    volunteers = list(range(100, 120))
    for user_id in volunteers:
        await person(world.services, user_id, f"V{user_id}")
        user = await world.services.users.get(user_id)
        assert user is not None
        await world.services.community.add_volunteer(world.building, user, [])
    await world.open()
    results = await asyncio.gather(
        *(world.requests.claim(1, Actor(user_id)) for user_id in volunteers), return_exceptions=True
    )
    winners = [r for r in results if isinstance(r, Request)]
    assert len(winners) == 1
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, Request))
    assert await world.events(1) == ["opened", "routed", "claimed"]


async def test_a_question_waits_for_the_answer_and_times_out(world: World) -> None:
    await world.requests.ask(Actor(RESIDENT), [world.building], Source(GROUP, 5, private=False))
    prompts = world.services.prompts
    await prompts.load()
    assert prompts.may_answer(GROUP, RESIDENT)
    assert not prompts.may_answer(GROUP, LI)
    prompt = await prompts.current(GROUP, RESIDENT)
    assert prompt is not None
    submission = await world.requests.answer(
        prompt, "the door lock is broken", Source(GROUP, 6, False)
    )
    assert submission is not None and submission.opened is not None
    assert submission.opened.request.source_message_id == 6
    assert not prompts.may_answer(GROUP, RESIDENT)
    await world.requests.ask(Actor(RESIDENT), [world.building], Source(GROUP, 7, private=False))
    world.clock.advance(11 * 60)
    await world.services.scheduler.run_due()
    assert await prompts.current(GROUP, RESIDENT) is None
    assert await world.db.fetch_value("SELECT count(*) FROM prompts") == 0
