"""Canned replies and relayed words, without Telegram: each rule and each refusal, with
nothing changed by a refusal; a relayed message that fails tells its sender once."""

from __future__ import annotations

import pytest

from bot.domain.core import OutboxMessage
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.outbox import Delivery
from bot.services.community import Actor
from bot.services.relay import MAX_REPLIES, RELAYED, UNDELIVERED, parse_canned
from tests.test_requests_service import GROUP, LI, OWNER, RESIDENT, WANG, World, world

__all__ = ["world"]  # the fixture


def test_a_canned_reply_is_a_title_and_a_text() -> None:
    phone = "物业值班电话：12345678"
    assert parse_canned(f"物业电话 | {phone}") == ("物业电话", phone)
    assert parse_canned("电话｜全角竖线也行") == ("电话", "全角竖线也行")


@pytest.mark.parametrize("text", ["", "物业电话", "物业电话 |", "| 只有内容", "长" * 25 + " | x",
                                  "x | " + "长" * 501])
def test_a_canned_reply_without_a_part_or_too_long_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_canned(text)


async def claimed(world: World) -> None:
    await world.open()
    await world.requests.claim(1, Actor(LI))


async def relayed(world: World) -> list[tuple[object, ...]]:
    rows = await world.db.fetch_all(
        "SELECT chat_id, kind FROM outbox WHERE kind IN (?, ?) ORDER BY id", (RELAYED, UNDELIVERED)
    )
    return [tuple(row) for row in rows]


async def test_owners_keep_canned_replies_and_a_replayed_add_adds_nothing(world: World) -> None:
    relay = world.services.relay
    added = await relay.add(Actor(OWNER), GROUP, "物业电话 | 12345678", "-100:5")
    again = await relay.add(Actor(OWNER), GROUP, "物业电话 | 12345678", "-100:5")
    assert again == added
    with pytest.raises(Conflict):
        await relay.add(Actor(OWNER), GROUP, "物业电话 | 别的", "-100:6")
    with pytest.raises(NotAllowed):
        await relay.add(Actor(LI), GROUP, "钥匙 | 在门卫处", "-100:7")
    shelves = await relay.shelves(Actor(LI), None)
    assert [(s.building.id, [r.title for r in s.replies]) for s in shelves] == [
        (world.building.id, ["物业电话"])
    ]
    assert await relay.may_edit(Actor(OWNER), GROUP) and not await relay.may_edit(Actor(LI), None)
    with pytest.raises(NotAllowed):
        await relay.shelves(Actor(RESIDENT), None)
    assert await relay.remove(Actor(OWNER), GROUP, "物业电话") == "物业电话"
    with pytest.raises(NotFound):
        await relay.remove(Actor(OWNER), GROUP, "物业电话")


async def test_a_building_keeps_a_bounded_number_of_canned_replies(world: World) -> None:
    relay = world.services.relay
    for n in range(MAX_REPLIES):
        await relay.add(Actor(OWNER), GROUP, f"回复{n} | 内容{n}", f"-100:{n}")
    with pytest.raises(Conflict):
        await relay.add(Actor(OWNER), GROUP, "再一条 | 内容", "-100:99")


async def test_only_the_claimer_tells_and_a_replayed_tell_sends_once(world: World) -> None:
    await claimed(world)
    relay = world.services.relay
    for actor in (WANG, OWNER, RESIDENT):
        with pytest.raises(NotAllowed):
            await relay.tell(1, Actor(actor), "你好", "x")
    with pytest.raises(InvalidInput):
        await relay.tell(1, Actor(LI), "  ", "x")
    assert await relayed(world) == []
    await relay.tell(1, Actor(LI), "我三点到", "3:10")
    await relay.tell(1, Actor(LI), "我三点到", "3:10")  # the same command handled again
    assert await relayed(world) == [(RESIDENT, RELAYED)]
    await relay.answer(1, Actor(RESIDENT), "好的", "2:11")
    assert await relayed(world) == [(RESIDENT, RELAYED), (LI, RELAYED)]
    with pytest.raises(NotAllowed):
        await relay.answer(1, Actor(WANG), "我也说一句", "4:12")
    await world.requests.finish(1, Actor(LI))
    with pytest.raises(Conflict):
        await relay.tell(1, Actor(LI), "还好吗", "3:13")
    with pytest.raises(Conflict):
        await relay.answer(1, Actor(RESIDENT), "又坏了", "2:14")
    assert len(await relayed(world)) == 2


async def test_a_relayed_message_that_fails_tells_its_sender_once(world: World) -> None:
    await claimed(world)
    relay = world.services.relay
    await relay.tell(1, Actor(LI), "明天上午来修", "3:10")
    row = OutboxMessage.from_row(
        await world.db.fetch_one("SELECT * FROM outbox WHERE kind = ?", (RELAYED,))
    )
    failed = Delivery(row, ok=False, error="Forbidden: bot was blocked by the user",
                      chat_gone=True)
    async with world.db.transaction() as tx:
        await relay.settled(tx, failed)
    async with world.db.transaction() as tx:
        await relay.settled(tx, failed)  # a hook run again finds the row settled already
    assert await relayed(world) == [(RESIDENT, RELAYED), (LI, UNDELIVERED)]
    assert await world.events(1) == ["opened", "routed", "claimed", "told", "undelivered"]
    history = await world.requests.history(1, Actor(RESIDENT))
    assert [e.kind for e in history.events][-1] == "told"  # the failure is for volunteers
