"""Fuzzing the intake: any batch of JSON from getUpdates, any body posted to the webhook,
is taken without raising, and the intake goes on (a bounded number of examples, so that it
runs in every test run)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Bot, Update

from bot.clock import FakeClock
from bot.config import WebhookSettings
from bot.inbox import Intake, describe, update_id_of
from bot.webhook import SECRET_HEADER, WebhookServer
from storage.db import Database
from storage.dead_letters import DeadLetterRepository
from storage.inbox import InboxRepository
from storage.migrate import open_migrated
from tests.harness import TOKEN
from tests.test_intake import dead_letters, free_port, start_update

SURROGATES = st.sampled_from(["\udcff", "\ud800", "\udfff"])
TEXT = st.text(max_size=12) | SURROGATES | st.builds(lambda a, b: a + b, st.text(max_size=5),
                                                     SURROGATES)
SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=True) | TEXT)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(TEXT, inner, max_size=4), max_leaves=12)
USER = st.fixed_dictionaries({"id": st.integers(1, 10**9) | JSON, "is_bot": st.booleans(),
                              "first_name": TEXT})
CHAT = st.fixed_dictionaries({"id": st.integers(-(10**12), 10**9) | JSON,
                              "type": st.sampled_from(["private", "group", "supergroup"]) | TEXT})
MESSAGE = st.fixed_dictionaries(
    {"message_id": st.integers(1, 10**6) | JSON, "date": st.integers(0, 2**33) | JSON,
     "chat": CHAT | JSON},
    optional={"from": USER | JSON, "text": TEXT | JSON, "poll": JSON,
              "entities": st.lists(st.fixed_dictionaries(
                  {"type": TEXT, "offset": st.integers(-2, 20), "length": st.integers(-2, 20)}))})
CALLBACK = st.fixed_dictionaries(
    {"id": TEXT, "from": USER | JSON, "chat_instance": TEXT},
    optional={"data": TEXT | JSON, "message": MESSAGE | JSON})
UPDATE = st.fixed_dictionaries(
    {"update_id": st.integers(0, 10**6) | st.integers() | JSON},
    optional={"message": MESSAGE | JSON, "edited_message": MESSAGE, "callback_query": CALLBACK,
              "my_chat_member": JSON, "chat_member": JSON})
ITEM = UPDATE | JSON
FUZZ = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


async def open_intake(folder: Path) -> tuple[Database, Intake]:
    db = await open_migrated(folder / "linli.db")
    intake = Intake(Bot(TOKEN), InboxRepository(db), DeadLetterRepository(db), FakeClock(0.0),
                    asyncio.Event())
    return db, intake


async def check_batch(db: Database, intake: Intake, batch: list[object]) -> None:
    """Whatever the batch holds: the intake takes it without raising, every item with an
    id ends up stored or set aside (never both), the offset moves past all of them, and
    what was stored parses again for the worker."""
    await db.write("DELETE FROM inbox")
    await db.write("DELETE FROM dead_letters")
    intake.fresh.clear()
    highest = await intake.take(batch, "getUpdates")
    ids = {update_id_of(item) for item in batch} - {None}
    assert highest == (max(ids) if ids else None)
    stored = {row[0]: row[1] for row in await db.fetch_all("SELECT update_id, payload FROM inbox")}
    set_aside = set(await dead_letters(db)) - {None}
    assert set(stored) | set_aside == ids
    assert not set(stored) & set_aside or len(batch) != len(ids)  # only a repeated id can be both
    for update_id, payload in stored.items():
        update = Update.de_json(json.loads(payload), intake.bot)
        assert update is not None and update.update_id == update_id
        assert isinstance(describe(update), str)


def test_the_intake_takes_any_batch_of_json_without_stopping(tmp_path: Path) -> None:
    with asyncio.Runner() as runner:
        db, intake = runner.run(open_intake(tmp_path))

        @FUZZ
        @given(st.lists(ITEM, max_size=4))
        def check(batch: list[object]) -> None:
            runner.run(check_batch(db, intake, batch))

        try:
            check()
        finally:
            runner.run(db.close())


async def open_webhook(folder: Path) -> tuple[Database, WebhookServer, str]:
    db, intake = await open_intake(folder)
    port = free_port()
    server = WebhookServer(intake, WebhookSettings(port=port, url_path="tg"), "s3cret")
    await server.start()
    return db, server, f"http://127.0.0.1:{port}/tg"


def test_the_webhook_answers_any_body_and_keeps_taking_updates(tmp_path: Path) -> None:
    with asyncio.Runner() as runner:
        db, server, url = runner.run(open_webhook(tmp_path))

        async def post(body: bytes) -> int:
            async with aiohttp.ClientSession() as client, client.post(
                url, data=body, headers={SECRET_HEADER: "s3cret"}
            ) as answer:
                return answer.status

        @FUZZ
        @given(st.binary(max_size=300) | JSON.map(lambda value: json.dumps(value).encode())
               | UPDATE.map(lambda value: json.dumps(value).encode()))
        def check(body: bytes) -> None:
            assert runner.run(post(body)) == 200

        try:
            check()
            assert runner.run(post(json.dumps(start_update(10**7, 11)).encode())) == 200
            assert runner.run(db.fetch_value(
                "SELECT count(*) FROM inbox WHERE update_id = ?", (10**7,))) == 1
        finally:
            runner.run(server.stop())
            runner.run(db.close())
