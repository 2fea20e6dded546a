"""Anonymous reports in the request service, without Telegram: who may send one, what the
history says of its resident, and /whois with its log."""

from __future__ import annotations

import pytest

from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.services.community import Actor
from bot.services.requests import Source
from tests.test_requests_service import ADMIN, GROUP, OWNER, RESIDENT, World, world

__all__ = ["world"]  # the fixture


async def test_an_anonymous_dispute_hides_its_resident_in_the_history(world: World) -> None:
    opened = await world.requests.open(
        world.building, Actor(RESIDENT), "dispute noise at night", Source(RESIDENT, 1, True),
        anonymous=True,
    )
    assert opened.request.anonymous
    [first, *_rest] = await world.requests.repo.events(opened.request.id)
    assert first.kind == "opened" and first.anonymous and first.actor_name is None


async def test_only_a_dispute_or_a_safety_report_may_be_anonymous(world: World) -> None:
    with pytest.raises(InvalidInput):
        await world.requests.open(
            world.building, Actor(RESIDENT), "repair the tap leaks", Source(RESIDENT, 1, True),
            anonymous=True,
        )
    with pytest.raises(InvalidInput):
        await world.requests.open(world.building, Actor(RESIDENT), "匿名 维修 水管漏",
                                  Source(RESIDENT, 2, True))
    draft_id, category, hidden = await world.requests.offer(
        Actor(RESIDENT), "the tap leaks", Source(RESIDENT, 3, True)
    )
    assert (category, hidden) == ("repair", False)
    with pytest.raises(InvalidInput):
        await world.requests.hide_name(draft_id, "repair", True, Actor(RESIDENT))
    with pytest.raises(InvalidInput):  # another person's draft
        await world.requests.hide_name(draft_id, "dispute", True, Actor(OWNER))
    assert await world.db.fetch_value("SELECT count(*) FROM requests") == 0
    assert await world.db.fetch_value("SELECT anonymous FROM request_drafts") == 0


async def test_whois_is_for_the_community_admins_and_logs_each_look_up(world: World) -> None:
    opened = await world.requests.open(
        world.building, Actor(RESIDENT), "匿名 安全 电线冒烟", Source(GROUP, 5, False)
    )
    number = opened.request.id
    for who in (OWNER, RESIDENT):
        with pytest.raises(NotAllowed):
            await world.requests.whois(number, Actor(who), "x:1")
    with pytest.raises(NotFound):
        await world.requests.whois(99, Actor(ADMIN), "x:2")
    shown = await world.requests.whois(number, Actor(ADMIN), "x:3")
    assert shown.resident is not None and shown.resident.id == RESIDENT
    again = await world.requests.whois(number, Actor(ADMIN), "x:3")  # the same command again
    assert len(shown.lookups) == len(again.lookups) == 1
    third = await world.requests.whois(number, Actor(ADMIN), "x:4")
    assert [lookup.admin_id for lookup in third.lookups] == [ADMIN, ADMIN]
    named = await world.open("the kitchen tap leaks", message_id=6)
    with pytest.raises(Conflict):
        await world.requests.whois(named.id, Actor(ADMIN), "x:5")
    hidden = "SELECT count(*) FROM outbox WHERE kind = 'request_hide' AND method = 'deleteMessage'"
    assert await world.db.fetch_value(hidden) == 1  # asked in the group: its message goes
