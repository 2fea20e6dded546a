"""A broadcast killed at every step: the bot dies right after each commit of a
``/notice all`` (the update stored, the notice queued, each group's post settled, the
summary sent), starts again on the same database, and still every group gets the
notice once and the owner one summary. The same for an ``/emergency all``, whose pins
are steps too: each group gets it once, pinned once, and the sender one summary.

The kill is simulated in the process, deterministically: after the chosen commit the
database connection is closed (nothing more is written) and the emulator refuses every
call (nothing more reaches Telegram), as if the process had died on the spot. The
outbox sends one message at a time here, so that no other send is under way at a kill:
such a send would be the documented at-least-once window, which the SIGKILL suite in
test_crashes.py covers."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

from bot.emulator import BotApiEmulator, Faults
from tests.harness import ADMIN_ID, Harness, settings_for

GROUPS = {-401: "1号楼", -402: "2号楼", -403: "3号楼"}
MAX_STEPS = 40


class KillAfterCommit:
    """Wraps the bot's sqlite3 connection and kills the bot right after the n-th commit."""

    def __init__(self, connection: sqlite3.Connection, emu: BotApiEmulator, n: int) -> None:
        self._connection = connection
        self._emu = emu
        self._left = n
        self.killed = asyncio.Event()

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        """Run the statement; count it if it committed something."""
        changes = self._connection.total_changes
        cursor = self._connection.execute(sql, params)
        committed = sql.strip().upper() == "COMMIT" or (
            not self._connection.in_transaction and self._connection.total_changes > changes
        )
        if committed and not self.killed.is_set():
            self._left -= 1
            if self._left == 0:
                self._kill()
        return cursor

    def _kill(self) -> None:
        self._connection.close()
        self._emu.faults = Faults(rate=1.0, kinds=("500",))
        self.killed.set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


async def set_up_groups(harness: Harness) -> None:
    emu = harness.emu
    emu.add_user(ADMIN_ID, "社区管理员", started=True)
    for chat_id, name in GROUPS.items():
        emu.add_group(chat_id, name, admins=[ADMIN_ID], bot_admin=True)
        emu.user_sends(ADMIN_ID, chat_id, f"/setup {name}")
    await harness.settle()


async def start_one_send_at_a_time(harness: Harness) -> None:
    await harness.start()
    harness.bot.services.sender._slots = asyncio.Semaphore(1)


async def broadcast_killed_after(
    harness: Harness, step: int, command: str = "/notice all", reported: str = "通知"
) -> bool:
    """Send a notice (or an emergency: ``command``, and the summary's ``reported`` word) to
    every group, killing the bot after its ``step``-th commit and starting it again; False
    if the broadcast was over before that commit."""
    db = harness.db
    kill = KillAfterCommit(db.connection, harness.emu, step)
    db.connection = kill  # type: ignore[assignment]
    text = f"第 {step} 次停水通知"
    summary = harness.emu.wait_for_message(ADMIN_ID, "已送达", timeout=10)
    harness.emu.user_sends(ADMIN_ID, ADMIN_ID, f"{command} {text}")
    done = asyncio.ensure_future(summary)
    killed = asyncio.ensure_future(kill.killed.wait())
    await asyncio.wait([done, killed], return_when=asyncio.FIRST_COMPLETED)
    if not kill.killed.is_set():
        killed.cancel()
        await harness.settle()
        db.connection = kill._connection
        return False
    done.cancel()
    await harness.stop()
    harness.emu.faults = None
    await start_one_send_at_a_time(harness)
    await harness.settle()
    notice_id = await harness.value("SELECT id FROM notices WHERE text = ?", text)
    await harness.emu.wait_for(
        lambda: all(text in "".join(harness.texts(chat_id)) for chat_id in GROUPS),
        5,
        what=f"the notice in every group after a kill at commit {step}",
    )
    await harness.emu.wait_for(
        lambda: any(f"{reported} #{notice_id} 已送达" in t for t in harness.texts(ADMIN_ID)),
        5,
        what=f"the summary of notice #{notice_id} after a kill at commit {step}",
    )
    await harness.settle()
    for chat_id in GROUPS:
        assert len([t for t in harness.texts(chat_id) if text in t]) == 1, (step, chat_id)
    summaries = [t for t in harness.texts(ADMIN_ID) if f"{reported} #{notice_id} 已送达" in t]
    assert len(summaries) == 1, (step, summaries)
    assert f"{reported} #{notice_id} 已送达全部 3 个群" in summaries[0], summaries[0]
    assert await harness.value("SELECT status FROM notices WHERE id = ?", notice_id) == "sent"
    return True


async def test_a_broadcast_killed_after_any_commit_reaches_every_group_once_with_one_summary(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    harness = Harness(
        emulator, settings_for(emulator, tmp_path, outbox={"per_group_per_minute": 1000})
    )
    await start_one_send_at_a_time(harness)
    try:
        await set_up_groups(harness)
        steps = 0
        while await broadcast_killed_after(harness, steps + 1):
            steps += 1
            assert steps < MAX_STEPS
        assert steps >= 2 + len(GROUPS), "every post and the summary had a kill after it"
    finally:
        await harness.stop()


async def test_an_emergency_killed_after_any_commit_reaches_every_group_once_pinned(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    harness = Harness(
        emulator, settings_for(emulator, tmp_path, outbox={"per_group_per_minute": 1000})
    )
    await start_one_send_at_a_time(harness)
    try:
        await set_up_groups(harness)
        steps = 0
        while await broadcast_killed_after(harness, steps + 1, "/emergency all", "紧急通知"):
            steps += 1
            assert steps < MAX_STEPS
            for chat_id in GROUPS:
                [post] = [m for m in emulator.sent(chat_id) if f"第 {steps} 次" in m.text]
                assert post.pinned and not post.silent, (steps, chat_id)
                pins = [c for c in emulator.calls if c.method == "pinChatMessage"
                        and c.status == 200 and c.params["chat_id"] == chat_id
                        and c.params["message_id"] == post.message_id]
                assert len(pins) == 1, (steps, chat_id, "pinned once")
        assert steps >= 2 * len(GROUPS) + 1, "every post, pin and the summary had a kill after it"
    finally:
        await harness.stop()
