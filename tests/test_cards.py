"""Live cards and stored prompts without Telegram: copies sent by reference, refreshed from one
render function, batched, caught up on delivery; prompts asked, replaced, closed, expired."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from telegram import Bot

from bot.app import build_services
from bot.clock import FakeClock
from bot.config import load_settings
from bot.context import Services
from bot.services.people import Person, Place
from bot.views.common import Button, OutMessage, keyboard
from storage.db import Database, Transaction
from storage.migrate import migrate
from tests.delivery import deliver as play

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ALICE, BOB, GROUP = 21, 22, -300


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    db = await Database.open(tmp_path / "linli.db")
    await migrate(db)
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    settings = load_settings(
        tmp_path / "config.toml", require_token=False, database={"path": str(tmp_path / "x.db")}
    )
    built = build_services(settings, FakeClock(NOW), db, Bot("1:unit-tests"))
    for user_id in (ALICE, BOB):
        await built.people.seen(Person(user_id, f"User {user_id}"), Place(user_id, "private"))
    try:
        yield built
    finally:
        await db.close()


class Counter:
    """The subject of a test card: a number that people change."""

    def __init__(self) -> None:
        self.value = 0
        self.renders = 0

    async def render(self, _tx: Transaction, ref: str, chat_id: int) -> OutMessage:
        self.renders += 1
        return OutMessage(
            f"<b>{ref}</b> for {chat_id}: {self.value}",
            keyboard([Button("+1", data=f"test:add:{ref}")]),
        )


async def rows(services: Services, kind: str) -> list[tuple[int, str, dict[str, Any]]]:
    found = await services.db.fetch_all(
        "SELECT chat_id, method, payload FROM outbox WHERE kind = ? ORDER BY id", (kind,)
    )
    return [(row[0], row[1], json.loads(row[2])) for row in found]


async def deliver(services: Services, kind: str, message_ids: dict[int, int]) -> None:
    """Play the outbox sender: each pending row of ``kind`` arrives with a message id."""
    await play(services, kind, lambda row: message_ids[row.chat_id])


async def test_a_change_edits_every_delivered_copy_once_and_only_when_it_shows_something_new(
    services: Services,
) -> None:
    counter = Counter()
    cards = services.cards
    cards.register("test", counter.render, send_kind="test_card", edit_kind="test_edit")
    async with services.db.transaction() as tx:
        for chat in (ALICE, BOB):
            assert await cards.send(tx, "test", "7", chat) is not None
        assert await cards.send(tx, "test", "7", ALICE) is None  # one copy per chat
    await deliver(services, "test_card", {ALICE: 100, BOB: 200})

    counter.value = 1
    async with services.db.transaction() as tx:
        await cards.touch(tx, "test", "7")
    edits = await rows(services, "test_edit")
    assert [(chat, method, p["message_id"]) for chat, method, p in edits] == [
        (ALICE, "editMessageText", 100), (BOB, "editMessageText", 200)]
    assert edits[0][2]["text"] == f"<b>7</b> for {ALICE}: 1"
    assert edits[0][2]["reply_markup"] == {
        "inline_keyboard": [[{"text": "+1", "callback_data": "test:add:7"}]]}

    async with services.db.transaction() as tx:  # nothing changed: no edit
        await cards.touch(tx, "test", "7")
    assert len(await rows(services, "test_edit")) == 2


async def test_a_copy_still_on_its_way_when_the_card_changed_is_edited_on_delivery(
    services: Services,
) -> None:
    counter = Counter()
    cards = services.cards
    cards.register("test", counter.render, send_kind="test_card", edit_kind="test_edit")
    async with services.db.transaction() as tx:
        await cards.send(tx, "test", "8", ALICE)
    counter.value = 5
    async with services.db.transaction() as tx:
        await cards.touch(tx, "test", "8")  # not delivered yet: nothing to edit
    assert await rows(services, "test_edit") == []
    await deliver(services, "test_card", {ALICE: 101})
    [(chat, _method, params)] = await rows(services, "test_edit")
    assert chat == ALICE and params["message_id"] == 101 and params["text"].endswith(": 5")


async def test_batched_cards_are_edited_once_per_window(services: Services) -> None:
    counter = Counter()
    cards = services.cards
    cards.register(
        "test", counter.render, send_kind="test_card", edit_kind="test_edit", batch_seconds=5
    )
    async with services.db.transaction() as tx:
        await cards.send(tx, "test", "9", GROUP)
    await deliver(services, "test_card", {GROUP: 300})
    for value in (1, 2, 3):
        counter.value = value
        async with services.db.transaction() as tx:
            await cards.touch(tx, "test", "9")
    assert await rows(services, "test_edit") == []  # waiting for the window's end
    services.clock.advance(5)  # type: ignore[attr-defined]
    assert await services.scheduler.run_due() == 1
    [(_chat, _method, params)] = await rows(services, "test_edit")
    assert params["text"].endswith(": 3")


async def test_a_prompt_is_replaced_by_the_next_question_and_expires_once_with_a_message(
    services: Services,
) -> None:
    prompts = services.prompts
    async with services.db.transaction() as tx:
        first = await prompts.ask(tx, ALICE, ALICE, "alpha", "one", {"n": 1}, ttl_seconds=60)
    async with services.db.transaction() as tx:
        second = await prompts.ask(tx, ALICE, ALICE, "beta", "two", {"n": 2}, ttl_seconds=60)
    current = await prompts.current(ALICE, ALICE)
    assert current is not None and (current.feature, current.payload) == ("beta", {"n": 2})
    assert second.id != first.id
    await prompts.load()
    assert prompts.may_answer(ALICE, ALICE) and not prompts.may_answer(BOB, BOB)
    async with services.db.transaction() as tx:
        assert not await prompts.close(tx, ALICE, ALICE, "alpha")  # not the one waiting
    services.clock.advance(61)  # type: ignore[attr-defined]
    assert await services.scheduler.run_due() == 1  # the first one's expiry was cancelled
    assert await prompts.current(ALICE, ALICE) is None
    assert not prompts.may_answer(ALICE, ALICE)
    [(chat, _method, params)] = await rows(services, "prompt_expired")
    assert chat == ALICE and "不再等您的回答" in params["text"]
