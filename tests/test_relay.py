"""Talking to the resident through the bot, end to end: an owner keeps canned replies, the
volunteer who took a request sends one with Reply… or writes with /tell or a reply to the
card, the resident answers with a reply, and neither sees the other's username; a resident
who blocked the bot is reported to the volunteer."""

from __future__ import annotations

from bot.emulator import SentMessage
from bot.services.community import Actor
from tests.harness import Harness
from tests.test_requests import GROUP, LI, OWNER, WANG, ZHANG, card
from tests.test_requests_cases import claimed

PHONE = "物业值班电话：12345678"
STRANGER = 99


async def add_phone(harness: Harness) -> None:
    """The owner keeps the property office's phone as a canned reply of 3号楼."""
    answer = await harness.say(OWNER, GROUP, f"/replies add 物业电话 | {PHONE}", expect="快捷回复")
    assert "已添加快捷回复「物业电话」" in answer.text


async def reply_menu(harness: Harness, user: int = LI) -> SentMessage:
    """The claimer presses 💬 Reply… on their card; returns the menu sent in private."""
    menu = harness.emu.wait_for_message(user, "/tell 1")
    await harness.press(user, user, card(harness, user).message_id, "relay:menu:1")
    return await menu


async def events(harness: Harness) -> list[tuple[object, ...]]:
    rows = await harness.db.fetch_all(
        "SELECT kind, actor_id, detail, internal FROM request_events "
        "WHERE kind IN ('told', 'answered', 'undelivered') ORDER BY id"
    )
    return [tuple(row) for row in rows]


def no_usernames(message: SentMessage) -> None:
    """What one side reads of the other: the request's number, never a username or name."""
    assert all(word not in message.text for word in ("@v11", "@zhang", "小李", "张阿姨"))


async def test_an_owner_adds_a_canned_reply_and_the_claimer_sends_it_with_one_tap(
    harness: Harness,
) -> None:
    await claimed(harness)
    await add_phone(harness)
    listed = await harness.say(WANG, GROUP, "/replies", expect="快捷回复")
    assert f"物业电话</b>: {PHONE}" in listed.raw_text
    assert "/replies add" not in listed.text  # a volunteer lists; only owners read how to add
    owners = await harness.say(OWNER, OWNER, "/replies", expect="快捷回复")
    assert "可复制的示例" in owners.text and "/replies add 马上到 |" in owners.text

    assert "relay:menu:1" in [b[1] for b in card(harness, LI).buttons]
    assert "relay:menu:1" not in [b[1] for b in card(harness, WANG).buttons]
    menu = await reply_menu(harness)
    assert menu.buttons == [("物业电话", "relay:send:1:1")]
    told = harness.emu.wait_for_message(ZHANG, PHONE)
    answer = await harness.press(LI, LI, menu.message_id, "relay:send:1:1")
    assert "已发给 #1 的居民" in answer
    relayed = await told
    assert relayed.text.startswith(f"志愿者（#1）：{PHONE}") and "回复这条消息" in relayed.text
    no_usernames(relayed)
    assert await events(harness) == [("told", LI, PHONE, 0)]

    details = harness.emu.wait_for_message(LI, "求助 #1")
    await harness.press(LI, LI, card(harness, LI).message_id, "requests:details:1")
    assert f"小李 给居民发了消息：{PHONE}" in (await details).text


async def test_a_canned_reply_removed_meanwhile_sends_nothing(harness: Harness) -> None:
    await claimed(harness)
    await add_phone(harness)
    menu = await reply_menu(harness)
    removed = await harness.say(OWNER, GROUP, "/replies remove 物业电话", expect="删除")
    assert "已删除快捷回复「物业电话」" in removed.text
    await harness.settle()
    before = len(harness.emu.sent(ZHANG))
    answer = await harness.press(LI, LI, menu.message_id, "relay:send:1:1")
    assert "刚被删除，没有发送" in answer
    await harness.settle()
    assert len(harness.emu.sent(ZHANG)) == before and await events(harness) == []
    empty = await reply_menu(harness)
    assert "还没有快捷回复" in empty.text and not empty.buttons


async def test_tell_and_a_reply_to_the_card_reach_the_resident_and_the_answer_comes_back(
    harness: Harness,
) -> None:
    await claimed(harness)
    told = harness.emu.wait_for_message(ZHANG, "志愿者（#1）")
    answer = await harness.say(LI, LI, "/tell 1 我三点过来，请在家", expect="#1")
    assert "已发给 #1 的居民" in answer.text
    first = await told
    assert "我三点过来，请在家" in first.text
    no_usernames(first)

    back = harness.emu.wait_for_message(LI, "居民（#1）")
    confirmed = await harness.say(ZHANG, ZHANG, "好的，我在家", reply_to=first.message_id,
                                  expect="#1")
    assert "已发给 #1 的志愿者" in confirmed.text
    answered = await back
    assert "好的，我在家" in answered.text and "/tell 1" in answered.text
    no_usernames(answered)
    assert await harness.value("SELECT count(*) FROM request_drafts") == 0  # not an offer

    again = harness.emu.wait_for_message(ZHANG, "带上钥匙")
    await harness.say(LI, LI, "请带上钥匙", reply_to=card(harness, LI).message_id, expect="#1")
    second = await again
    await harness.settle()
    more = harness.emu.wait_for_message(ZHANG, "马上到")
    await harness.say(LI, LI, "马上到", reply_to=answered.message_id, expect="#1")
    await more
    await harness.settle()
    assert [e[:3] for e in await events(harness)] == [
        ("told", LI, "我三点过来，请在家"), ("answered", ZHANG, "好的，我在家"),
        ("told", LI, "请带上钥匙"), ("told", LI, "马上到"),
    ]
    assert all(internal == 0 for *_rest, internal in await events(harness))
    assert "带上钥匙" in second.text


async def test_a_resident_who_blocked_the_bot_is_reported_to_the_volunteer(
    harness: Harness,
) -> None:
    await claimed(harness)
    harness.emu.user_blocks_bot(ZHANG, announce=False)  # the bot has not heard of it yet
    warned = harness.emu.wait_for_message(LI, "没能送达")
    await harness.say(LI, LI, "/tell 1 明天上午来修", expect="#1")
    warning = await warned
    assert "#1" in warning.text and "未送达：明天上午来修" in warning.text
    await harness.settle()
    assert await events(harness) == [
        ("told", LI, "明天上午来修", 0), ("undelivered", ZHANG, "明天上午来修", 1),
    ]
    refused = await harness.say(LI, LI, "/tell 1 在吗", expect="#1")
    assert "没有发送" in refused.text
    assert len(await events(harness)) == 2


async def test_bad_input_is_refused_clearly_and_changes_nothing(harness: Harness) -> None:
    await claimed(harness)
    harness.emu.add_user(STRANGER, "路人", started=True)
    cases = [
        (LI, "/tell", "编号"),
        (LI, "/tell 1", "/tell 12"),
        (LI, "/tell 7 你好", "没有 #7 号求助"),
        (LI, "/tell 1 " + "长" * 1001, "最多 1000"),
        (WANG, "/tell 1 你好", "只有接下 #1 的志愿者"),
        (OWNER, "/tell 1 你好", "只有接下 #1 的志愿者"),
        (ZHANG, "/tell 1 你好", "只有接下 #1 的志愿者"),
        (STRANGER, "/replies", "不是任何楼栋的志愿者"),
        (WANG, "/replies add 物业电话 | 12345678", "只有群管理员"),
        (OWNER, "/replies add 物业电话", "请写标题和内容"),
        (OWNER, "/replies add " + "长" * 25 + " | 内容", "最多 24 个字"),
        (OWNER, "/replies remove 没有这个", "没有快捷回复「没有这个」"),
        (OWNER, "/replies rename 物业电话", "/replies remove"),
    ]
    for user, text, expected in cases:
        answer = await harness.say(user, user, text)
        assert expected in answer.text, (text, answer.text)
    in_group = await harness.say(LI, GROUP, "/tell 1 你好", expect="私聊")
    assert "/tell" in in_group.text
    await add_phone(harness)
    twice = await harness.say(OWNER, GROUP, "/replies add 物业电话 | 别的", expect="已有")
    assert "已有快捷回复「物业电话」" in twice.text
    forged = await harness.press(LI, LI, card(harness, LI).message_id, "relay:send:1:99")
    assert "刚被删除" in forged
    bad = await harness.press(LI, LI, card(harness, LI).message_id, "relay:send:x")
    assert "按钮已经失效" in bad
    others = await harness.press(WANG, WANG, card(harness, WANG).message_id, "relay:menu:1")
    assert "只有接下 #1 的志愿者" in others
    await harness.say(LI, LI, "/done 1 修好了", expect="#1")
    closed = await harness.say(LI, LI, "/tell 1 还有问题吗", expect="#1")
    assert "#1 已结束" in closed.text
    await harness.settle()
    assert await events(harness) == []
    assert await harness.value("SELECT count(*) FROM canned_replies") == 1


async def test_a_resident_answer_handled_again_after_a_crash_is_relayed_once(
    harness: Harness,
) -> None:
    await claimed(harness)
    told = harness.emu.wait_for_message(ZHANG, "志愿者（#1）")
    await harness.say(LI, LI, "/tell 1 几点方便？", expect="#1")
    first = await told
    back = harness.emu.wait_for_message(LI, "居民（#1）")
    await harness.say(ZHANG, ZHANG, "下午都在", reply_to=first.message_id, expect="#1")
    await back
    await harness.settle()
    async with harness.db.transaction() as tx:  # died after answering, before marking it
        await tx.execute("UPDATE inbox SET status = 'pending' WHERE update_id = "
                         "(SELECT max(update_id) FROM inbox)")
    await harness.restart()
    await harness.settle()
    assert [e[0] for e in await events(harness)] == ["told", "answered"]
    assert sum("下午都在" in text for text in harness.texts(LI)) == 1
    resident = await harness.bot.services.requests.history(1, Actor(ZHANG))
    assert [e.kind for e in resident.events if e.kind in ("told", "answered")] == [
        "told", "answered"
    ]  # what passed between them is public to both
