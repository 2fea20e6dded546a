"""The registry of a person's data (storage/mydata.py) covers the schema: a migration that
adds a column naming a person fails here until the registry says how /mydata exports it and
how /forgetme forgets it, or why it is left out."""

from __future__ import annotations

from pathlib import Path

from storage.migrate import open_migrated
from storage.mydata import LEFT_OUT, PERSONAL, USER_COLUMN, MyDataRepository, listed, scrubbed


async def test_every_user_column_of_the_schema_is_in_the_registry(tmp_path: Path) -> None:
    db = await open_migrated(str(tmp_path / "linli.db"))
    try:
        found = await MyDataRepository(db).user_columns()
    finally:
        await db.close()
    assert ("requests", "resident_id") in found and ("ledger", "made_by") in found
    missing = sorted(found - listed() - {("users", "id"), ("chats", "id")})
    assert not missing, f"add these to storage/mydata.py (PERSONAL or LEFT_OUT): {missing}"


async def test_the_registry_names_only_columns_that_exist_and_its_queries_run(
    tmp_path: Path,
) -> None:
    db = await open_migrated(str(tmp_path / "linli.db"))
    try:
        tables = await db.fetch_all("SELECT name FROM sqlite_master WHERE type = 'table'")
        columns = {
            (table, column["name"])
            for (table,) in tables
            for column in await db.fetch_all(f"PRAGMA table_info({table})")
        }
        assert listed() <= columns, sorted(listed() - columns)
        for entry in PERSONAL:
            await db.fetch_all(entry.export, {"user": 1})  # a typo in a query fails here
        async with db.transaction() as tx:
            await MyDataRepository(db).forget(tx, 1, ["Nobody"], 0.0)
    finally:
        await db.close()


def test_a_left_out_column_says_why_and_the_discovery_knows_user_columns() -> None:
    assert all(entry.reason for entry in LEFT_OUT)
    for name in ("user_id", "resident_id", "volunteer_id", "claimed_by", "created_by",
                 "from_user", "to_user", "organiser_id"):
        assert USER_COLUMN.match(name), name
    for name in ("building_id", "chat_id", "message_id", "outbox_id", "status"):
        assert not USER_COLUMN.match(name), name


def test_scrubbing_a_stored_update_blanks_the_persons_user_objects_and_names_in_texts() -> None:
    update = {
        "update_id": 7,
        "message": {
            "from": {"id": 2, "is_bot": False, "first_name": "Ann", "last_name": "Lee",
                     "username": "ann_lee"},
            "chat": {"id": 2, "type": "private", "first_name": "Ann", "username": "ann_lee"},
            "text": "hi, I am Ann Lee (@ann_lee)",
            "reply_to_message": {"from": {"id": 3, "is_bot": False, "first_name": "Bob"},
                                 "text": "Ann?"},
        },
    }
    forms = ["Ann Lee", "@ann_lee", "ann_lee", "Ann", "Lee"]
    cleaned = scrubbed(update, 2, forms)
    message = cleaned["message"]
    assert message["from"] == {"id": 2, "is_bot": False, "first_name": ""}
    assert message["chat"] == {"id": 2, "type": "private", "first_name": ""}
    assert message["text"] == "hi, I am — (—)"
    assert message["reply_to_message"]["from"]["first_name"] == "Bob"  # someone else's
    assert message["reply_to_message"]["text"] == "—?"
    assert set(cleaned) == {"update_id", "message"}  # keys are never rewritten
