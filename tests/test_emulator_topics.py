"""Forum topics in the emulator, through PTB's real HTTP and parsing code: a supergroup
with topics, messages inside a topic, sends into a topic, and the errors Telegram gives
for a topic that is closed or deleted (and for topics where there are none)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import Bot
from telegram.error import BadRequest
from telegram.request import HTTPXRequest

from bot.emulator import BotApiEmulator

TOKEN = "123:abc"
ALICE, OWNER = 101, 103
FORUM, PLAIN = -1001234567890, -1001234567891


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    """A supergroup with topics and one without."""
    async with BotApiEmulator(token=TOKEN) as emulator:
        emulator.add_user(ALICE, "Alice", started=True)
        emulator.add_user(OWNER, "Wang", started=True)
        emulator.add_group(FORUM, "Building 3", supergroup=True, forum=True, members=[ALICE],
                           creator=OWNER, bot_admin=True)
        emulator.add_group(PLAIN, "Building 5", supergroup=True, members=[ALICE],
                           creator=OWNER, bot_admin=True)
        yield emulator


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    request = HTTPXRequest(read_timeout=2.0, connect_timeout=2.0)
    async with Bot(TOKEN, base_url=emu.base_url, request=request) as tg_bot:
        yield tg_bot


async def test_a_message_inside_a_topic_carries_its_thread_and_the_topics_opening(
    emu: BotApiEmulator, bot: Bot
) -> None:
    thread = emu.create_forum_topic(FORUM, OWNER, "Notices")
    emu.user_sends(ALICE, FORUM, "/topic notices", thread_id=thread)
    emu.user_sends(ALICE, FORUM, "hello everyone")
    opened, inside, general = [u.message for u in await bot.get_updates(timeout=0)]
    assert opened is not None and inside is not None and general is not None
    assert opened.chat.is_forum and opened.forum_topic_created is not None
    assert opened.forum_topic_created.name == "Notices" and opened.message_id == thread
    assert inside.is_topic_message and inside.message_thread_id == thread
    assert inside.reply_to_message is not None and inside.reply_to_message.message_id == thread
    assert not general.is_topic_message and general.message_thread_id is None


async def test_sends_land_in_their_topic_and_a_reply_stays_in_the_topic_it_answers(
    emu: BotApiEmulator, bot: Bot
) -> None:
    thread = emu.create_forum_topic(FORUM, OWNER, "Events")
    sent = await bot.send_message(FORUM, "📅 Health check", message_thread_id=thread)
    assert sent.is_topic_message and sent.message_thread_id == thread
    asked = emu.user_sends(ALICE, FORUM, "when?", thread_id=thread)
    answer = await bot.send_message(FORUM, "at 9", reply_to_message_id=asked["message_id"])
    general = await bot.send_message(FORUM, "to everyone")
    assert [m.message_thread_id for m in emu.sent(FORUM)] == [thread, thread, None]
    assert answer.message_thread_id == thread and general.message_thread_id is None


async def test_a_closed_or_deleted_topic_answers_with_telegrams_error(
    emu: BotApiEmulator, bot: Bot
) -> None:
    closed, deleted = (emu.create_forum_topic(FORUM, OWNER, name) for name in ("A", "B"))
    before = await bot.send_message(FORUM, "in B", message_thread_id=deleted)
    emu.close_forum_topic(FORUM, closed)
    emu.delete_forum_topic(FORUM, deleted)
    with pytest.raises(BadRequest, match=r"(?i)topic_closed"):
        await bot.send_message(FORUM, "x", message_thread_id=closed)
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.send_message(FORUM, "x", message_thread_id=deleted)
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.send_message(FORUM, "x", message_thread_id=1)  # the general topic
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.send_message(PLAIN, "x", message_thread_id=closed)  # a group without topics
    assert emu.world.message(FORUM, before.message_id).deleted, "a topic goes with its messages"
    with pytest.raises(ValueError, match="closed"):
        emu.user_sends(ALICE, FORUM, "anyone?", thread_id=closed)  # only admins write there
    emu.user_sends(OWNER, FORUM, "closed for now", thread_id=closed)
    emu.close_forum_topic(FORUM, closed, closed=False)
    assert (await bot.send_message(FORUM, "open again", message_thread_id=closed)) \
        .message_thread_id == closed


async def test_the_control_api_opens_closes_and_deletes_topics(emu: BotApiEmulator) -> None:
    async with httpx.AsyncClient(base_url=emu.url) as client:
        made = await client.post("/_emu/createForumTopic",
                                 json={"chat_id": FORUM, "user_id": OWNER, "name": "Help"})
        thread = made.json()["message_thread_id"]
        said = await client.post("/_emu/send", json={"user_id": ALICE, "chat_id": FORUM,
                                                      "text": "hi", "message_thread_id": thread})
        assert said.json()["message_thread_id"] == thread
        closed = await client.post("/_emu/closeForumTopic",
                                   json={"chat_id": FORUM, "message_thread_id": thread})
        assert "forum_topic_closed" in closed.json()
        await client.post("/_emu/deleteForumTopic",
                          json={"chat_id": FORUM, "message_thread_id": thread})
        refused = await client.post("/_emu/send", json={"user_id": ALICE, "chat_id": FORUM,
                                                        "text": "hi", "message_thread_id": thread})
        assert refused.status_code == 400
        forum = await client.post("/_emu/forum", json={"chat_id": PLAIN})
        assert forum.json()["is_forum"] is True
