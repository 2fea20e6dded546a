"""The emulator's join requests and member tags, through PTB's real HTTP and parsing code:
what Telegram sends, allows and refuses (Bot API 9.5)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, ChatMemberMember
from telegram.error import BadRequest, Forbidden
from telegram.request import HTTPXRequest

from bot.emulator import BotApiEmulator, EmulatorClient

TOKEN = "123:abc"
OWNER, MEMBER, APPLICANT = 201, 202, 203
SUPERGROUP = -1001234567000


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    """A supergroup the bot administers, able to set tags, with one member."""
    async with BotApiEmulator(token=TOKEN) as emulator:
        emulator.add_user(OWNER, "Wang", started=True)
        emulator.add_user(MEMBER, "Li")
        emulator.add_user(APPLICANT, "Chen", username="chen")
        emulator.add_group(SUPERGROUP, "Building 3", supergroup=True, members=[MEMBER],
                           creator=OWNER, bot_admin=True, bot_can_manage_tags=True)
        yield emulator


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    """A PTB Bot pointed at the emulator."""
    request = HTTPXRequest(read_timeout=2.0, connect_timeout=2.0)
    async with Bot(TOKEN, base_url=emu.base_url, request=request) as tg_bot:
        yield tg_bot


async def test_a_join_request_arrives_and_approving_it_lets_the_user_in(
    emu: BotApiEmulator, bot: Bot
) -> None:
    emu.user_requests_to_join(APPLICANT, SUPERGROUP, bio="3-502")
    [update] = await bot.get_updates(timeout=0)
    request = update.chat_join_request
    assert request is not None and request.from_user.id == APPLICANT
    assert request.user_chat_id == APPLICANT and request.bio == "3-502"
    assert request.invite_link is not None and request.invite_link.creates_join_request
    await bot.send_message(request.user_chat_id, "您的房号？")  # allowed before Start
    assert await bot.approve_chat_join_request(SUPERGROUP, APPLICANT)
    assert emu.world.group(SUPERGROUP).status_of(APPLICANT) == "member"
    with pytest.raises(Forbidden):  # the request is handled: the window is closed
        await bot.send_message(APPLICANT, "再问一句")
    with pytest.raises(BadRequest, match=r"(?i)USER_ALREADY_PARTICIPANT"):
        await bot.approve_chat_join_request(SUPERGROUP, APPLICANT)
    updates = await bot.get_updates(offset=update.update_id + 1, timeout=0,
                                    allowed_updates=["message", "chat_member",
                                                     "chat_join_request"])
    joined = [u.chat_member for u in updates if u.chat_member is not None]
    assert joined and joined[0].new_chat_member.status == "member"
    assert joined[0].invite_link is not None


async def test_declining_or_a_missing_request_and_members_asking_are_refused(
    emu: BotApiEmulator, bot: Bot
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)HIDE_REQUESTER_MISSING"):
        await bot.decline_chat_join_request(SUPERGROUP, APPLICANT)
    emu.user_requests_to_join(APPLICANT, SUPERGROUP)
    assert emu.user_requests_to_join(APPLICANT, SUPERGROUP) == {}  # once while pending
    assert await bot.decline_chat_join_request(SUPERGROUP, APPLICANT)
    assert emu.world.group(SUPERGROUP).status_of(APPLICANT) == "left"
    with pytest.raises(ValueError, match="member"):
        emu.user_requests_to_join(MEMBER, SUPERGROUP)
    emu.add_group(-300, "Basic", members=[MEMBER], bot_admin=True)
    with pytest.raises(ValueError, match="supergroup"):
        emu.user_requests_to_join(APPLICANT, -300)


async def test_an_admin_adding_the_applicant_dismisses_the_request(
    emu: BotApiEmulator, bot: Bot
) -> None:
    emu.user_requests_to_join(APPLICANT, SUPERGROUP)
    emu.user_joins(APPLICANT, SUPERGROUP)
    assert not emu.world.group(SUPERGROUP).join_requests
    with pytest.raises(BadRequest, match=r"(?i)USER_ALREADY_PARTICIPANT"):
        await bot.approve_chat_join_request(SUPERGROUP, APPLICANT)


async def test_member_tags_need_the_right_and_follow_telegrams_limits(
    emu: BotApiEmulator, bot: Bot
) -> None:
    assert await bot.set_chat_member_tag(SUPERGROUP, MEMBER, "3-502")
    member = await bot.get_chat_member(SUPERGROUP, MEMBER)
    assert isinstance(member, ChatMemberMember) and member.tag == "3-502"
    me = await bot.get_chat_member(SUPERGROUP, bot.id)
    assert getattr(me, "can_manage_tags", None) is True
    for bad in ("x" * 17, "志愿者🙂"):
        with pytest.raises(BadRequest, match=r"(?i)TAG_INVALID"):
            await bot.set_chat_member_tag(SUPERGROUP, MEMBER, bad)
    with pytest.raises(BadRequest, match="administrator"):
        await bot.set_chat_member_tag(SUPERGROUP, OWNER, "楼长")
    with pytest.raises(BadRequest, match=r"(?i)USER_NOT_PARTICIPANT"):
        await bot.set_chat_member_tag(SUPERGROUP, APPLICANT, "3-502")
    assert await bot.set_chat_member_tag(SUPERGROUP, MEMBER)  # no tag: removed
    assert MEMBER not in emu.world.group(SUPERGROUP).tags
    emu.add_group(-400, "No tags", supergroup=True, members=[MEMBER], bot_admin=True)
    with pytest.raises(BadRequest, match="rights"):
        await bot.set_chat_member_tag(-400, MEMBER, "3-502")


async def test_the_control_api_sends_a_join_request(emu: BotApiEmulator, bot: Bot) -> None:
    client = EmulatorClient(emu.url)

    def ask() -> None:
        client.add_group(-1001234567001, "Building 5", supergroup=True, creator=OWNER,
                         bot_admin=True, bot_can_manage_tags=True)
        client.user_requests_to_join(APPLICANT, -1001234567001, bio="5-101")

    await asyncio.to_thread(ask)
    [update] = await bot.get_updates(timeout=0)
    assert update.chat_join_request is not None
    assert update.chat_join_request.chat.id == -1001234567001
    assert emu.world.group(-1001234567001).bot_can_manage_tags
