"""Antiflood end to end (groups.antiflood): a new member who posts a link or floods the
building group is muted through restrictChatMember, the owner hears of it in private with
an Unmute button that only owners may press; old members and a bot without it on are left
alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.emulator import BotApiEmulator
from tests.harness import Harness, settings_for

GROUP = -1001000000100
OWNER, OLD, NEW, LOUD = 1, 2, 3, 4


@pytest.fixture
async def guarded(emulator: BotApiEmulator, tmp_path: Path) -> AsyncIterator[Harness]:
    """The bot with antiflood on: more than 3 messages in 10 seconds is a flood."""
    settings = settings_for(emulator, tmp_path, groups={
        "antiflood": True, "burst_messages": 3, "burst_seconds": 10})
    community = Harness(emulator, settings)
    await community.start()
    try:
        yield community
    finally:
        await community.stop()


async def building(harness: Harness) -> str:
    """3号楼, a supergroup where the bot is an admin; 老住户 has lived there for days.
    Returns /setup's answer."""
    emu = harness.emu
    emu.add_user(OWNER, "王主任", username="owner", started=True)
    emu.add_user(OLD, "老住户", username="old")
    emu.add_user(NEW, "新人", username="new")
    emu.add_user(LOUD, "刷屏的人", username="loud")
    emu.add_group(GROUP, "3号楼", supergroup=True, members=[OLD], admins=[OWNER],
                  bot_admin=True)
    await harness.say(OWNER, OWNER, "/start")
    answer = await harness.say(OWNER, GROUP, "/setup 3号楼", expect="3号楼")
    emu.user_sends(OLD, GROUP, "大家好")
    await harness.settle()
    harness.clock.advance(25 * 3600)
    return answer.text


def status(harness: Harness, user_id: int) -> str:
    return harness.emu.world.chats[GROUP].status_of(user_id)


async def test_a_new_members_link_and_a_flood_are_muted_and_an_owner_unmutes(
    guarded: Harness,
) -> None:
    harness, emu = guarded, guarded.emu
    setup = await building(harness)
    assert "防刷屏已开启" in setup

    emu.user_sends(OLD, GROUP, "物业通知看这里 https://example.org/notice")
    await harness.settle()
    assert await harness.value("SELECT count(*) FROM mutes") == 0  # not a new member

    emu.user_joins(NEW, GROUP)
    await harness.settle()
    waiting = emu.wait_for_message(OWNER, "🔇")
    emu.user_sends(NEW, GROUP, "低价优惠 t.me/cheap_deals")
    notice = await waiting
    await harness.settle()
    assert "新人" in notice.text and "链接" in notice.text
    assert status(harness, NEW) == "restricted"
    assert emu.world.chats[GROUP].restrictions[NEW]["can_send_messages"] is False
    assert [label for label, _data in notice.buttons] == ["🔊 解除禁言"]
    assert not any("新人" in text for text in harness.texts(GROUP))  # nothing said in the group

    emu.user_joins(LOUD, GROUP)
    await harness.settle()
    for number in range(4):  # the fourth within ten seconds is one too many
        emu.user_sends(LOUD, GROUP, f"第{number}条")
    await harness.settle()
    assert status(harness, LOUD) == "restricted"
    reasons = await harness.db.fetch_all("SELECT user_id, reason FROM mutes ORDER BY id")
    assert [tuple(row) for row in reasons] == [(NEW, "link"), (LOUD, "burst")]

    # Only an owner may unmute: a forged press by a resident changes nothing.
    [(_label, data)] = notice.buttons
    refused = await harness.press(OLD, OLD, notice.message_id, str(data))
    assert "管理员" in refused
    assert status(harness, NEW) == "restricted"
    await harness.press(OWNER, OWNER, notice.message_id, str(data))
    await emu.wait_for(lambda: status(harness, NEW) == "member", 5.0, what="the unmute")
    assert await harness.value("SELECT unmuted_by FROM mutes WHERE user_id = ?", NEW) == OWNER
    again = await harness.press(OWNER, OWNER, notice.message_id, str(data))
    assert "已经解除" in again


async def test_without_antiflood_a_new_members_link_is_left_alone(harness: Harness) -> None:
    setup = await building(harness)
    assert "防刷屏" not in setup
    harness.emu.user_joins(NEW, GROUP)
    harness.emu.user_sends(NEW, GROUP, "低价优惠 https://example.org")
    await harness.settle()
    assert status(harness, NEW) == "member"
    assert await harness.value("SELECT count(*) FROM mutes") == 0
