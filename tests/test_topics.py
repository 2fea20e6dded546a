"""Forum topics end to end: in a supergroup with topics, the owner chooses a topic for
notices and one for events (/topic … sent inside each); a notice and an event card land in
their topics; when the notices' topic is deleted (or closed) the next notice goes to the
general topic and the owner is told once in private; bad input changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.emulator import SentMessage
from tests.harness import Harness

SHANGHAI = ZoneInfo("Asia/Shanghai")
FORUM, PLAIN = -1001000000100, -1001000000200
OWNER, ZHANG, LI = 1, 2, 3


async def forum_building(harness: Harness, chat_id: int = FORUM, *, forum: bool = True) -> None:
    """3号楼's supergroup (with topics unless ``forum`` is False); the owner started the bot."""
    emu = harness.emu
    for user_id, name in ((OWNER, "王主任"), (ZHANG, "张阿姨"), (LI, "小李")):
        if user_id not in emu.world.users:
            emu.add_user(user_id, name, username=f"u{user_id}")
    emu.add_group(chat_id, "3号楼" if forum else "5号楼", supergroup=True, forum=forum,
                  members=[ZHANG, LI], admins=[OWNER], bot_admin=True)
    await harness.say(OWNER, OWNER, "/start")
    await harness.say(OWNER, chat_id, f"/setup {'3号楼' if forum else '5号楼'}", expect="楼")
    emu.user_sends(ZHANG, chat_id, "大家好")
    await harness.settle()


def topic(harness: Harness, name: str) -> int:
    """The owner opens a topic; its message_thread_id."""
    return harness.emu.create_forum_topic(FORUM, OWNER, name)


async def choose(harness: Harness, kind: str, thread: int) -> SentMessage:
    answer = await harness.say(OWNER, FORUM, f"/topic {kind}", thread=thread, expect="从现在起")
    assert answer.message_thread_id == thread, "the answer stays in the topic"
    return answer


async def notice(harness: Harness, text: str) -> SentMessage:
    """The owner posts a notice from the general topic; the post in the group."""
    waiting = harness.emu.wait_for_message(FORUM, text)
    harness.emu.user_sends(OWNER, FORUM, f"/notice {text}")
    post = await waiting
    await harness.settle()
    return post


async def chosen(harness: Harness) -> list[tuple[str, int]]:
    rows = await harness.db.fetch_all("SELECT kind, thread_id FROM building_topics ORDER BY kind")
    return [(row[0], row[1]) for row in rows]


async def test_notices_and_events_land_in_the_topics_the_owner_chose(harness: Harness) -> None:
    await forum_building(harness)
    notices, events = topic(harness, "通知公告"), topic(harness, "社区活动")
    answer = await choose(harness, "notices", notices)
    assert "「通知公告」" in answer.text
    await choose(harness, "活动", events)  # the Chinese word works too
    assert await chosen(harness) == [("events", events), ("notices", notices)]

    listing = await harness.say(ZHANG, FORUM, "/topic", expect="发消息的位置")
    assert "通知：话题「通知公告」" in listing.text
    assert "求助：General 综合话题" in listing.text
    assert "活动：话题「社区活动」" in listing.text

    post = await notice(harness, "明天上午停水")
    assert post.message_thread_id == notices
    assert post.buttons == [("收到", "notice:ok:1")]

    when = (datetime.now(SHANGHAI) + timedelta(days=3)).strftime("%Y-%m-%d 09:00")
    card = await harness.say(OWNER, FORUM, f"/event {when} | 健康义诊 | 社区活动室 | 20",
                             expect="📅")
    assert card.message_thread_id == events
    await harness.settle()
    replies = [m for m in harness.emu.sent(FORUM) if m.message_thread_id is None
               and ("健康义诊" in m.text or "明天上午停水" in m.text)]
    assert all(m.reply_to_message_id is not None for m in replies), \
        "only the answers to the commands stay in the general topic"

    off = await harness.say(OWNER, FORUM, "/topic notices off", expect="General")
    assert "通知会发在 General 综合话题里" in off.text
    assert await chosen(harness) == [("events", events)]
    assert (await notice(harness, "周五检修电梯")).message_thread_id is None


@pytest.mark.parametrize("how", ["deleted", "closed"])
async def test_a_notice_falls_back_to_the_general_topic_when_its_topic_is_gone(
    harness: Harness, how: str
) -> None:
    await forum_building(harness)
    notices = topic(harness, "通知公告")
    await choose(harness, "notices", notices)
    assert (await notice(harness, "明天上午停水")).message_thread_id == notices
    told_before = len(harness.emu.sent(OWNER))

    if how == "deleted":
        harness.emu.delete_forum_topic(FORUM, notices)
    else:
        harness.emu.close_forum_topic(FORUM, notices)
    post = await notice(harness, "今晚停电")
    assert post.message_thread_id is None, "sent again, to the general topic"
    assert not post.deleted
    told = harness.emu.sent(OWNER)[told_before:]
    assert len(told) == 1
    assert "3号楼群里用来发通知的话题已被关闭或删除" in told[0].text
    assert "「通知公告」" in told[0].text
    assert await chosen(harness) == []
    settled = await harness.db.fetch_all(
        "SELECT status, json_extract(payload, '$.message_thread_id') FROM outbox "
        "WHERE kind = 'notice' ORDER BY id")
    assert [tuple(row) for row in settled] == [("sent", notices), ("sent", None)]

    again = await notice(harness, "周五检修电梯")
    assert again.message_thread_id is None
    assert len(harness.emu.sent(OWNER)) == told_before + 1, "the owner is told once"
    tries = [call.status for call in harness.emu.calls_to("sendMessage")
             if str(call.params.get("message_thread_id")) == str(notices)]
    assert tries == [200, 200, 400], \
        "the answer to /topic, the first notice, then one try of the gone topic"


async def test_bad_topic_commands_get_clear_answers_and_change_nothing(harness: Harness) -> None:
    await forum_building(harness)
    await forum_building(harness, PLAIN, forum=False)
    notices = topic(harness, "通知公告")

    general = await harness.say(OWNER, FORUM, "/topic notices", expect="请在您选定的话题里")
    assert "/topic notices" in general.text
    no_topics = await harness.say(OWNER, PLAIN, "/topic notices", expect="本群没有开启话题")
    assert no_topics.text.startswith("本群没有开启话题")
    private = await harness.say(OWNER, OWNER, "/topic notices")
    assert "群" in private.text
    unknown = await harness.say(OWNER, FORUM, "/topic 公告", thread=notices, expect="这样写")
    assert unknown.message_thread_id == notices
    extra = await harness.say(OWNER, FORUM, "/topic notices now", thread=notices, expect="这样写")
    assert extra.text == unknown.text
    resident = await harness.say(ZHANG, FORUM, "/topic notices", thread=notices)
    assert "负责人" in resident.text
    assert await chosen(harness) == []


async def test_a_request_post_to_the_group_lands_in_the_requests_topic(harness: Harness) -> None:
    await forum_building(harness)
    requests = topic(harness, "邻里求助")
    await choose(harness, "求助", requests)
    harness.emu.user_sends(LI, FORUM, "我可以帮忙")  # 小李 never started the bot
    await harness.settle()
    await harness.say(OWNER, FORUM, "/volunteer @u3", expect="志愿者")
    await harness.say(ZHANG, ZHANG, "/start")
    waiting = harness.emu.wait_for_message(FORUM, "#1")
    harness.emu.user_sends(ZHANG, ZHANG, "/request 家里的猫跑丢了，能帮忙找找吗")
    mention = await waiting
    assert "小李" in mention.text and "猫" not in mention.text
    assert mention.message_thread_id == requests
