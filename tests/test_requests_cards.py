"""Request cards are live cards: every delivered copy shows the request as its volunteer
should see it now, including the cards sent before the upgrade that made them so."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import tests.test_requests_service as service_tests
from bot.errors import NotAllowed
from bot.services.community import Actor
from bot.services.requests import CARD, CARD_EDIT, Source
from tests.delivery import deliver as play
from tests.test_requests_service import (
    GROUP,
    LI,
    RESIDENT,
    STRANGER,
    WANG,
    ZHAO,
    World,
    refused,
)

world = service_tests.world  # the fixture: one building, its owner, a resident, three volunteers


async def deliver(world: World) -> None:
    """Play the outbox sender: every pending card arrives (message id 1000 + row id), and
    the hooks the app wired for cards hear of it."""
    await play(world.services, CARD, lambda row: 1000 + row.id)


async def edits(world: World) -> list[tuple[int, dict[str, Any]]]:
    found = await world.db.fetch_all(
        "SELECT chat_id, payload FROM outbox WHERE kind = ? ORDER BY id", (CARD_EDIT,)
    )
    return [(row[0], json.loads(row[1])) for row in found]


async def copies(world: World) -> list[tuple[str, int, int | None]]:
    rows = await world.db.fetch_all(
        "SELECT ref, chat_id, message_id FROM cards WHERE kind = 'request' ORDER BY ref, chat_id"
    )
    return [(row[0], row[1], row[2]) for row in rows]


async def test_a_card_sent_again_after_a_release_is_kept_current_beside_the_first(
    world: World,
) -> None:
    await world.open()
    await deliver(world)
    await world.requests.claim(1, Actor(LI))
    await world.requests.release(1, Actor(LI))
    await deliver(world)  # the second routing's cards, to Wang and Zhao
    assert [(ref, chat) for ref, chat, _message in await copies(world)] == [
        ("1", LI),
        ("1", WANG),
        ("1", ZHAO),
        ("1/2", WANG),
        ("1/2", ZHAO),
    ]
    before = len(await edits(world))
    await world.requests.claim(1, Actor(WANG))
    wang = [p for chat, p in (await edits(world))[before:] if chat == WANG]
    assert len(wang) == 2 and {p["message_id"] for p in wang} == {
        message for _ref, chat, message in await copies(world) if chat == WANG
    }
    assert all("您已接下这条求助" in p["text"] for p in wang)
    assert all(
        [b["callback_data"] for b in p["reply_markup"]["inline_keyboard"][0]]
        == ["requests:done:1", "requests:release:1"]
        for p in wang
    )


async def test_a_card_that_arrives_after_the_claim_is_edited_on_arrival(world: World) -> None:
    await world.open()
    await world.requests.claim(1, Actor(LI))  # before any card was delivered
    assert await edits(world) == []
    await deliver(world)
    shown = {chat: p["text"] for chat, p in await edits(world)}
    assert "已由 Li 接单" in shown[WANG] and "您已接下这条求助" in shown[LI]


def migration(name: str) -> str:
    """The SQL of the migration called ``name``, whatever its number."""
    folder = resources.files("storage") / "migrations"
    [found] = [entry for entry in folder.iterdir() if entry.name.endswith(f"_{name}.sql")]
    return found.read_text("utf-8")


async def test_cards_sent_before_the_upgrade_are_recorded_and_kept_current(
    world: World,
) -> None:
    await world.open()
    await world.requests.claim(1, Actor(LI))
    await world.requests.release(1, Actor(LI))
    await deliver(world)  # #1: three cards of the first routing, two of the second
    await world.open("buy bread", message_id=2)
    await world.requests.claim(2, Actor(LI))  # #2: its three cards are still on their way
    sent = await world.db.fetch_all(
        "SELECT id, chat_id, message_id, dedupe_key FROM outbox WHERE kind = ? ORDER BY id",
        (CARD,),
    )
    async with world.db.transaction() as tx:  # a database of version 9: no copies recorded
        await tx.execute("DELETE FROM cards")
        await tx.execute("DELETE FROM outbox WHERE kind = ?", (CARD_EDIT,))
    await world.db.execute_script(migration("cards_requests"))

    def ref(dedupe_key: str) -> str:
        number, routing = dedupe_key.split(":")[1:3]
        return number if routing == "1" else f"{number}/{routing}"

    assert await copies(world) == sorted(
        (ref(key), chat, message) for _id, chat, message, key in sent
    )
    assert [ref for ref, _chat, _message in await copies(world)].count("1/2") == 2

    await world.requests.claim(1, Actor(WANG))
    edited = {(chat, p["message_id"]): p["text"] for chat, p in await edits(world)}
    assert set(edited) == {(chat, message) for _id, chat, message, key in sent if message}
    assert all("已由 Wang 接单" in text for (chat, _m), text in edited.items() if chat != WANG)
    assert all("您已接下这条求助" in text for (chat, _m), text in edited.items() if chat == WANG)

    await deliver(world)  # #2's cards arrive: edited at once, as the old catch-up did
    arrived = {chat: p["text"] for chat, p in (await edits(world))[len(edited) :]}
    assert set(arrived) == {LI, WANG, ZHAO}
    assert "您已接下这条求助" in arrived[LI] and "已由 Li 接单" in arrived[WANG]


async def test_opening_a_request_needs_a_resident_of_the_building(world: World) -> None:
    await refused(
        world,
        world.requests.open(world.building, Actor(STRANGER), "help", Source(GROUP, 3, False)),
        NotAllowed,
        "Only residents",
    )
    assert (await world.open()).resident_id == RESIDENT
