"""A full disk (SQLITE_FULL, simulated with a low ``max_page_count`` on the bot's own
connection): the bot keeps running, retries its writes, logs one line, and tells the
community admins once there is space again."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.harness import ADMIN_ID, Harness

RESIDENT = 1
NO_LIMIT = 1_073_741_823  # SQLite's largest page count


def fill_the_disk(harness: Harness) -> None:
    """From now on every write that needs a new page of the database is refused."""
    connection = harness.db.connection
    connection.execute("CREATE TABLE IF NOT EXISTS ballast (filler BLOB)")
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.execute(f"PRAGMA max_page_count = {pages}")
    while True:  # use up the free pages and the room left in the last ones
        try:
            connection.execute("INSERT INTO ballast VALUES (zeroblob(512))")
        except Exception:
            return


def free_space(harness: Harness) -> None:
    harness.db.connection.execute(f"PRAGMA max_page_count = {NO_LIMIT}")


async def test_a_full_disk_holds_the_bot_up_without_ending_it_and_the_admins_hear_it_is_over(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    emu = harness.emu
    emu.add_user(ADMIN_ID, "社区管理员", started=True)
    emu.add_user(RESIDENT, "张阿姨", started=True)
    await harness.say(ADMIN_ID, ADMIN_ID, "/help")
    fill_the_disk(harness)
    caplog.set_level(logging.INFO)
    emu.user_sends(RESIDENT, RESIDENT, "/help " + "长" * 3000)  # its update cannot be stored
    emu.user_sends(RESIDENT, RESIDENT, "/help")
    await emu.wait_for(
        lambda: len([r for r in caplog.records if "disk is full" in r.getMessage()]) == 1,
        5,
        what="the log line about the full disk",
    )
    assert harness.texts(RESIDENT) == []
    assert await harness.value("SELECT count(*) FROM inbox WHERE status = 'pending'") == 0

    replies = emu.wait_for_message(RESIDENT, "/help", timeout=10)
    # waited on before the space comes back: the notice may arrive before the replies
    recovering = asyncio.ensure_future(emu.wait_for_message(ADMIN_ID, "磁盘", timeout=10))
    await asyncio.sleep(0)  # it counts the chat's messages now
    free_space(harness)
    await replies
    recovered = await recovering
    assert "磁盘满了大约 1 分钟" in recovered.text and "已恢复正常" in recovered.text
    await harness.settle()
    assert len(harness.texts(RESIDENT)) == 2
    full = [r for r in caplog.records if "disk is full" in r.getMessage()]
    assert len(full) == 1 and full[0].levelno == logging.ERROR
    stopped = [r for r in caplog.records if r.name == "bot.runtime" and "stopped" in r.getMessage()]
    assert not stopped
