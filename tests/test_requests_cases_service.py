"""Waiting, internal notes, status and reopening, without Telegram: each rule and each
refusal, with nothing changed by a refusal."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import Conflict, InvalidInput, NotAllowed
from bot.services.community import Actor
from bot.services.requests import WAIT_HOUR, parse_wait
from tests.test_requests_service import LI, RESIDENT, STRANGER, WANG, World, world

__all__ = ["world"]  # the fixture

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime(2026, 12, 2, 12, 0, tzinfo=SHANGHAI).timestamp()


def test_a_wait_date_is_read_as_the_morning_of_a_day_after_today() -> None:
    until, reason = parse_wait("2026-12-05 waiting for the part", SHANGHAI, NOON)
    assert datetime.fromtimestamp(until, SHANGHAI) == datetime(2026, 12, 5, WAIT_HOUR,
                                                               tzinfo=SHANGHAI)
    assert reason == "waiting for the part"
    assert parse_wait("2026-12-03", SHANGHAI, NOON)[1] == ""


@pytest.mark.parametrize("text", ["", "2026-12-02", "2026-12-01 late", "12/05", "2026-13-01",
                                  "2027-06-01"])
def test_a_wait_date_that_is_missing_past_malformed_or_too_far_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_wait(text, SHANGHAI, NOON)


async def claimed(world: World) -> None:
    await world.open()
    await world.requests.claim(1, Actor(LI))


def later(world: World, days: int) -> float:
    return world.clock.now() + days * 86400


async def test_waiting_moves_the_stale_reminder_to_the_end_of_the_wait(world: World) -> None:
    await claimed(world)
    waited = await world.requests.wait(1, Actor(LI), later(world, 3), "the part", "1:10")
    assert waited.waiting and waited.stage == "waiting" and waited.waiting_reason == "the part"
    jobs = dict(await world.db.fetch_all("SELECT kind, status FROM jobs WHERE kind IN "
                                         "('request_stale', 'request_wait_over')"))
    assert jobs == {"request_stale": "cancelled", "request_wait_over": "pending"}
    again = await world.requests.wait(1, Actor(LI), later(world, 5), "other", "1:10")
    assert again.waiting_until == waited.waiting_until  # the same command: nothing new
    longer = await world.requests.wait(1, Actor(LI), later(world, 5), "longer", "1:11")
    waits = await world.db.fetch_all(
        "SELECT due_at, status FROM jobs WHERE kind = 'request_wait_over' ORDER BY id")
    assert [tuple(w) for w in waits] == [(waited.waiting_until, "cancelled"),
                                         (longer.waiting_until, "pending")]
    resumed = await world.requests.resume(1, Actor(LI))
    assert not resumed.waiting and resumed.stage == "in_progress"
    assert await world.events(1) == [
        "opened", "routed", "claimed", "waiting", "waiting", "resumed"
    ]


async def test_only_the_claimer_may_wait_or_resume_and_a_refusal_changes_nothing(
    world: World,
) -> None:
    await world.open()
    with pytest.raises(Conflict):  # nobody took it yet
        await world.requests.wait(1, Actor(LI), later(world, 1), "", None)
    await world.requests.claim(1, Actor(LI))
    before = await world.snapshot()
    for who, refusal in ((WANG, NotAllowed), (RESIDENT, NotAllowed), (STRANGER, NotAllowed)):
        with pytest.raises(refusal):
            await world.requests.wait(1, Actor(who), later(world, 1), "", None)
    with pytest.raises(InvalidInput):
        await world.requests.wait(1, Actor(LI), later(world, 1), "x" * 201, None)
    with pytest.raises(Conflict):
        await world.requests.resume(1, Actor(LI))
    with pytest.raises(InvalidInput):
        await world.requests.wait_for_days(1, Actor(LI), 2, "", None)
    assert await world.snapshot() == before


async def test_notes_are_internal_and_left_out_of_the_residents_history(world: World) -> None:
    await claimed(world)
    await world.requests.note(1, Actor(WANG), "call before going up", "4:7")
    await world.requests.note(1, Actor(WANG), "call before going up", "4:7")  # replayed
    seen = await world.requests.history(1, Actor(LI))
    assert [(e.kind, e.internal) for e in seen.events][-1] == ("note", True)
    assert len([e for e in seen.events if e.kind == "note"]) == 1
    own = await world.requests.history(1, Actor(RESIDENT))
    assert "note" not in [e.kind for e in own.events]
    status = await world.requests.status(1, Actor(RESIDENT))
    assert status.last is not None and status.last.kind == "claimed"
    for who in (RESIDENT, STRANGER):
        with pytest.raises(NotAllowed):
            await world.requests.note(1, Actor(who), "hello", None)
    with pytest.raises(NotAllowed):
        await world.requests.status(1, Actor(STRANGER))


async def test_reopening_within_the_days_offers_it_first_to_who_did_it(world: World) -> None:
    await claimed(world)
    await world.requests.finish(1, Actor(LI), "fixed")
    with pytest.raises(NotAllowed):
        await world.requests.reopen(1, Actor(WANG))
    world.clock.advance(timedelta(days=6).total_seconds())
    reopened = await world.requests.reopen(1, Actor(RESIDENT))
    assert (reopened.state, reopened.reopened, reopened.done_by, reopened.rating) == (
        "open", 1, LI, None)
    routed = await world.db.fetch_value(
        "SELECT detail FROM request_events WHERE kind = 'routed' ORDER BY id DESC LIMIT 1")
    assert routed == "first:1"
    with pytest.raises(Conflict):  # open now: not done
        await world.requests.reopen(1, Actor(RESIDENT))
    await world.requests.claim(1, Actor(LI))
    await world.requests.finish(1, Actor(LI), "fixed again")
    world.clock.advance(timedelta(days=7, minutes=1).total_seconds())
    before = await world.snapshot()
    with pytest.raises(Conflict):
        await world.requests.reopen(1, Actor(RESIDENT))
    assert await world.snapshot() == before
