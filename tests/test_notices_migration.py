"""Migration 10: notice posts delivered before the upgrade become live cards, and a count
edit planned before it still happens."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from telegram import Bot

from bot.app import build_services
from bot.clock import FakeClock
from bot.config import load_settings
from bot.services.community import Actor
from storage.db import Database
from storage.migrate import migrate

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
OWNER, RESIDENT, NEIGHBOUR = 10, 100, 101


async def test_posts_delivered_before_the_upgrade_keep_their_live_count(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "linli.db")
    await migrate(db, target=9)
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    settings = load_settings(
        tmp_path / "config.toml", require_token=False, database={"path": str(tmp_path / "x.db")}
    )
    services = build_services(settings, FakeClock(NOW), db, Bot("1:unit-tests"))
    community = services.community
    async with db.transaction() as tx:
        for user in (OWNER, RESIDENT, NEIGHBOUR):  # as version 9 stored them
            await tx.execute(
                "INSERT INTO users (id, first_name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                (user, f"User {user}", NOW, NOW),
            )
        await community.chats.upsert(tx, OWNER, "private", None, NOW)
        for chat, name in ((-1, "3号楼"), (-2, "5号楼")):
            await community.chats.upsert(tx, chat, "group", name, NOW)
            await community.buildings.register(tx, chat, name, OWNER, NOW)
        # What version 9 left: one post in its group (its count planned for an edit), and
        # one still in the outbox.
        await tx.execute(
            """INSERT INTO notices (id, author_id, origin_chat_id, text, status, created_at)
               VALUES (1, ?, ?, '停水', 'sending', ?)""",
            (OWNER, OWNER, NOW),
        )
        for row, chat, status, message in ((1, -1, "sent", 500), (2, -2, "pending", None)):
            await tx.execute(
                """INSERT INTO outbox (id, chat_id, payload, kind, ref, status, not_before,
                                       created_at, message_id)
                   VALUES (?, ?, '{}', 'notice', 'notice:1', ?, ?, ?, ?)""",
                (row, chat, status, NOW, NOW, message),
            )
        await tx.execute(
            """INSERT INTO notice_posts (id, notice_id, building_id, chat_id, status, outbox_id,
                                         message_id)
               VALUES (1, 1, 1, -1, 'posted', 1, 500), (2, 1, 2, -2, 'queued', 2, NULL)"""
        )
        await tx.execute(
            "INSERT INTO notice_confirmations VALUES (1, ?, ?)", (RESIDENT, NOW)
        )
        await tx.execute(
            """INSERT INTO jobs (kind, key, due_at, payload, created_at)
               VALUES ('notice.count', 'notice count 1 1.000', ?, '{"post": 1}', ?)""",
            (NOW, NOW),
        )

    await migrate(db)
    copies = await db.fetch_all(
        "SELECT ref, chat_id, outbox_id, message_id FROM cards WHERE kind = 'notice_post'"
        " ORDER BY ref"
    )
    assert [tuple(copy) for copy in copies] == [("1", -1, None, 500), ("2", -2, 2, None)]

    assert await services.scheduler.run_due() == 1  # the planned edit, as a card refresh
    edits = await db.fetch_all(
        "SELECT chat_id, payload FROM outbox WHERE method = 'editMessageText' ORDER BY id"
    )
    [(chat, payload)] = [(row[0], json.loads(row[1])) for row in edits]
    assert chat == -1 and payload["message_id"] == 500 and "已确认：1 人" in payload["text"]
    assert payload["reply_markup"] == {
        "inline_keyboard": [[{"text": "收到", "callback_data": "notice:ok:1"}]]
    }

    await services.notices.confirm(Actor(NEIGHBOUR), 1, -1, 500)  # a press after the upgrade
    services.clock.advance(6)  # type: ignore[attr-defined]
    assert await services.scheduler.run_due() == 1
    last = await db.fetch_value(
        "SELECT payload FROM outbox WHERE method = 'editMessageText' ORDER BY id DESC LIMIT 1"
    )
    assert "已确认：2 人" in json.loads(last)["text"]
    await db.close()
