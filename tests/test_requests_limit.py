"""The hourly limit on new requests (requests.max_per_hour), without Telegram: counted in
the transaction of the insert, so that requests sent at the same moment cannot pass it
together; a replay of a request already opened is not refused; 0 means no limit."""

from __future__ import annotations

import asyncio

from bot.errors import Conflict
from bot.services.community import Actor
from bot.services.requests import Source
from tests.test_requests_service import GROUP, RESIDENT, World, world  # noqa: F401 - fixture


async def test_requests_at_once_cannot_pass_the_limit_together(world: World) -> None:  # noqa: F811
    limit = world.services.settings.requests.max_per_hour
    opens = [
        world.requests.open(world.building, Actor(RESIDENT), f"need help {n}",
                            Source(GROUP, 100 + n, private=False))
        for n in range(limit + 3)
    ]
    results = await asyncio.gather(*opens, return_exceptions=True)
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(refused) == 3 and "{limit}" in refused[0].message
    assert await world.db.fetch_value("SELECT count(*) FROM requests") == limit

    first = await world.db.fetch_one("SELECT id, source_message_id FROM requests LIMIT 1")
    replay = await world.open("again", message_id=first["source_message_id"])  # handled again
    assert replay.number == first["id"]
    world.clock.advance(3600)
    assert (await world.open("a new hour", message_id=200)).number == limit + 1


async def test_no_limit_when_it_is_zero(world: World) -> None:  # noqa: F811
    world.requests.settings = world.requests.settings.model_copy(update={"max_per_hour": 0})
    for n in range(8):
        await world.open(f"need help {n}", message_id=300 + n)
    assert await world.db.fetch_value("SELECT count(*) FROM requests") == 8
