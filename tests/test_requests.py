"""Help requests end to end: residents ask, the volunteers on duty get cards, exactly one
takes each request, and the resident hears at every step."""

from __future__ import annotations

import asyncio

from bot.emulator import SentMessage
from tests.harness import ADMIN_ID, Harness

GROUP = -100
OTHER_GROUP = -200
OWNER, ZHANG = 1, 2  # the group's admin; a resident
LI, WANG, ZHAO = 11, 12, 13  # volunteers
NAMES = {OWNER: "王主任", ZHANG: "张阿姨", LI: "小李", WANG: "老王", ZHAO: "小赵"}


async def building(
    harness: Harness,
    volunteers: dict[int, str],
    *,
    started: bool = True,
    resident_started: bool = False,
) -> None:
    """3号楼 with its owner, 张阿姨 and volunteers added by the owner with /volunteer."""
    emu = harness.emu
    emu.add_user(OWNER, NAMES[OWNER], username="owner")
    emu.add_user(ZHANG, NAMES[ZHANG], username="zhang")
    for user_id in volunteers:
        emu.add_user(user_id, NAMES[user_id], username=f"v{user_id}")
    emu.add_group(GROUP, "3号楼", members=[ZHANG, *volunteers], admins=[OWNER], bot_admin=True)
    await harness.say(OWNER, OWNER, "/start")
    if resident_started:
        await harness.say(ZHANG, ZHANG, "/start")
    for user_id in volunteers:
        if started:
            await harness.say(user_id, user_id, "/start")
        else:
            emu.user_sends(user_id, GROUP, "大家好")
    await harness.say(OWNER, GROUP, "/setup 3号楼", expect="3号楼")
    emu.user_sends(ZHANG, GROUP, "大家好")
    for user_id, skills in volunteers.items():
        await harness.say(OWNER, GROUP, f"/volunteer @v{user_id} {skills}", expect="志愿者")
    await harness.settle()


async def ask(harness: Harness, text: str, user: int = ZHANG, chat: int = GROUP) -> SentMessage:
    """A resident asks for help; returns the bot's answer."""
    return await harness.say(user, chat, f"/request {text}", expect="#")


def card(harness: Harness, user_id: int, number: int = 1) -> SentMessage:
    """The newest card of request #N in a volunteer's private chat."""
    cards = [
        m for m in harness.emu.sent(user_id) if f"求助 #{number}</b>" in m.raw_text and m.buttons
    ]
    assert cards, f"no card of #{number} for {user_id}: {harness.texts(user_id)}"
    return cards[-1]


async def cards_arrive(harness: Harness, users: list[int], number: int = 1) -> None:
    def arrived() -> bool:
        return all(any(f"求助 #{number}" in m.text for m in harness.emu.sent(u)) for u in users)

    await harness.emu.wait_for(arrived, 10, what=f"the cards of #{number}")


async def test_a_request_in_the_group_reaches_the_volunteers_on_duty_skilled_first(
    harness: Harness,
) -> None:
    await building(harness, {LI: "", WANG: "repair"})
    answer = await ask(harness, "厨房水龙头漏水了")
    assert "求助 #1 已登记（维修）" in answer.text and "3号楼" in answer.text
    await harness.settle()
    for user_id in (LI, WANG):
        sent = card(harness, user_id)
        assert "张阿姨" in sent.text and "3号楼" in sent.text and "厨房水龙头漏水了" in sent.text
        assert sent.buttons == [("🙋 接单", "requests:claim:1"), ("📜 详情", "requests:details:1")]
    order = await harness.db.fetch_all(
        "SELECT chat_id FROM outbox WHERE kind = 'request_card' ORDER BY id"
    )
    assert [row[0] for row in order] == [WANG, LI]  # the plumber hears first
    assert await harness.value("SELECT state FROM requests WHERE id = 1") == "open"
    events = await harness.db.fetch_all("SELECT kind FROM request_events ORDER BY id")
    assert [row[0] for row in events] == ["opened", "routed"]


async def test_twenty_volunteers_press_claim_at_once_and_exactly_one_wins(
    harness: Harness,
) -> None:
    volunteers = list(range(300, 320))
    emu, services = harness.emu, harness.bot.services
    await building(harness, {})
    for user_id in volunteers:
        emu.add_user(user_id, f"志愿者{user_id}", started=True)
        emu.user_sends(user_id, user_id, "/start")
    await harness.settle()
    target = await services.community.building_of_chat(GROUP)
    # Added directly: twenty /volunteer replies would hit Telegram's limit for one group.
    for user_id in volunteers:
        user = await services.users.get(user_id)
        assert user is not None
        await services.community.add_volunteer(target, user, [])
    await ask(harness, "帮忙搬一下冰箱")
    await cards_arrive(harness, volunteers)
    queries = {
        emu.user_presses(
            user_id, user_id, card(harness, user_id).message_id, "requests:claim:1"
        ): user_id
        for user_id in volunteers
    }
    await emu.wait_for(
        lambda: all(q in emu.callback_answers for q in queries), 15, what="an answer to every press"
    )
    answers = {user_id: emu.callback_answers[q][0] or "" for q, user_id in queries.items()}
    winners = [user_id for user_id, text in answers.items() if "您接下了 #1" in text]
    assert len(winners) == 1
    winner = f"志愿者{winners[0]}"
    refusals = [text for text in answers.values() if "抱歉，#1 已经被" in text]
    assert len(refusals) == 19 and all(winner in text for text in refusals)
    assert await harness.value("SELECT claimer_id FROM requests WHERE id = 1") == winners[0]
    await harness.settle()
    for user_id in volunteers:
        edited = card(harness, user_id)
        assert edited.edits == 1
        if user_id == winners[0]:
            assert "您已接下这条求助" in edited.text
            assert [b[1] for b in edited.buttons] == [
                "requests:done:1",
                "requests:release:1",
                "requests:wait:1",
                "relay:menu:1",
                "requests:details:1",
            ]
        else:
            assert f"已由 {winner} 接单" in edited.text
            assert edited.buttons == [("📜 详情", "requests:details:1")]
    told = harness.emu.sent(GROUP)[-1]  # 张阿姨 never started the bot: told in the group
    assert f"{winner} 已接下您的求助 #1" in told.text and told.reply_to_message_id is not None
    claims = await harness.value("SELECT count(*) FROM request_events WHERE kind = 'claimed'")
    assert claims == 1


async def test_claim_release_done_and_rating_tell_the_resident_in_private(
    harness: Harness,
) -> None:
    await building(harness, {LI: "", WANG: ""}, resident_started=True)
    await ask(harness, "帮我取一下快递")
    await cards_arrive(harness, [LI, WANG])
    answer = await harness.say(LI, LI, "/claim 1", expect="您接下了 #1")
    assert "您接下了 #1" in answer.text
    told = await harness.emu.wait_for_message(ZHANG, "小李")
    assert "好消息：小李 已接下您的求助 #1" in told.text
    await harness.say(LI, LI, "/release 1", expect="退回")
    await harness.emu.wait_for_message(ZHANG, "退回了您的求助 #1")
    await harness.emu.wait_for(
        lambda: len([m for m in harness.emu.sent(WANG) if "求助 #1</b>" in m.raw_text]) == 2,
        5,
        what="a new card for 老王",
    )
    answer_text = await harness.press(
        WANG, WANG, card(harness, WANG).message_id, "requests:claim:1"
    )
    assert "您接下了 #1" in answer_text
    await harness.say(WANG, WANG, "/done 1 已经放在门口了", expect="已完成")
    done = await harness.emu.wait_for_message(ZHANG, "已完成")
    assert "老王" in done.text and "备注：已经放在门口了" in done.text
    points = await harness.say(WANG, WANG, "/points", expect="积分")
    assert "我的积分：10" in points.text  # the ledger paid the claimer for the done request
    assert [b[1] for b in done.buttons] == [
        *(f"requests:rate:1:{n}" for n in range(1, 6)), "requests:reopen:1"
    ]
    thanks = await harness.press(ZHANG, ZHANG, done.message_id, "requests:rate:1:5")
    assert "感谢您为 #1 打分" in thanks
    assert await harness.value("SELECT rating FROM requests WHERE id = 1") == 5
    again = await harness.press(ZHANG, ZHANG, done.message_id, "requests:rate:1:1")
    assert "已经给 #1 打过分了：5⭐" in again
    await harness.settle()
    assert harness.emu.message(ZHANG, done.message_id).buttons == [
        ("❌ 没解决", "requests:reopen:1")  # the stars go; Not fixed stays
    ]
    kinds = [
        row[0] for row in await harness.db.fetch_all("SELECT kind FROM request_events ORDER BY id")
    ]
    assert kinds == [
        "opened",
        "routed",
        "claimed",
        "released",
        "routed",
        "claimed",
        "done",
        "rated",
    ]


async def test_details_shows_the_history_and_only_to_those_who_may_see_it(
    harness: Harness,
) -> None:
    await building(harness, {LI: "", WANG: ""})
    await ask(harness, "楼道灯坏了")
    await cards_arrive(harness, [LI])
    await harness.say(WANG, WANG, "/claim 1", expect="您接下了 #1")
    waiting = harness.emu.wait_for_message(LI, "发起求助")
    await harness.press(LI, LI, card(harness, LI).message_id, "requests:details:1")
    history = await waiting
    assert "张阿姨 发起求助" in history.text and "老王 接单" in history.text
    assert "老王 已接单" in history.text
    harness.emu.add_user(99, "路人", started=True)
    refusal = await harness.press(99, 99, 1, "requests:details:1")
    assert "只有本楼的志愿者" in refusal
    forged = await harness.press(LI, LI, card(harness, LI).message_id, "requests:details:x")
    assert "按钮已经失效" in forged


async def test_unclaimed_requests_escalate_and_survive_a_restart(harness: Harness) -> None:
    await building(harness, {LI: "", WANG: "", ZHAO: ""})
    services = harness.bot.services

    async def only_li(building_id: int) -> tuple[list[int], bool]:
        return [LI], True  # as the roster would say

    services.requests.volunteers_on_duty = only_li  # type: ignore[method-assign]
    answer = await ask(harness, "独居老人需要有人陪同去医院")
    assert "值班志愿者" in answer.text
    await cards_arrive(harness, [LI])
    await harness.restart()  # a deploy while the request waits
    harness.clock.advance(16 * 60)
    await harness.bot.services.scheduler.run_due()
    await cards_arrive(harness, [WANG, ZHAO])
    assert len([m for m in harness.emu.sent(LI) if "求助 #1</b>" in m.raw_text]) == 1
    harness.clock.advance(15 * 60)
    await harness.bot.services.scheduler.run_due()
    owner_card = await harness.emu.wait_for_message(OWNER, "求助 #1")
    assert "已经 30 分钟没有志愿者接单了" in owner_card.text
    kinds = [
        row[0]
        for row in await harness.db.fetch_all(
            "SELECT kind || ':' || detail FROM request_events ORDER BY id"
        )
    ]
    assert kinds == [
        "opened:elderly",
        "routed:duty:1",
        "escalated:volunteers:3",
        "escalated:owners:1",
    ]
    missed = await harness.value("SELECT count(*) FROM jobs WHERE status = 'missed'")
    assert missed == 0


async def test_a_claim_left_unfinished_reminds_the_volunteer(harness: Harness) -> None:
    await building(harness, {LI: ""})
    await ask(harness, "帮忙修一下门锁")
    await harness.say(LI, LI, "/claim 1", expect="您接下了 #1")
    harness.clock.advance(24 * 3600 + 60)
    await harness.bot.services.scheduler.run_due()
    reminder = await harness.emu.wait_for_message(LI, "提醒")
    assert "/done 1" in reminder.text and "/release 1" in reminder.text


async def test_a_volunteer_who_never_started_the_bot_is_mentioned_and_the_owners_told(
    harness: Harness,
) -> None:
    await building(harness, {LI: ""}, started=False)
    await harness.say(ZHANG, ZHANG, "/start")
    answer = await ask(harness, "家里的猫跑丢了，能帮忙找找吗", chat=ZHANG)
    assert "#1" in answer.text
    mention = await harness.emu.wait_for_message(GROUP, "#1")
    assert "小李" in mention.text and "打开与我的私聊" in mention.text
    assert {"type": "text_link", "url": f"tg://user?id={LI}"}.items() <= mention.entities[0].items()
    assert "猫" not in mention.text  # a private request never reaches the group
    owner = await harness.emu.wait_for_message(OWNER, "小李")
    assert "求助卡片发不到对方" in owner.text
    await harness.settle()
    assert all("猫" not in text for text in harness.texts(GROUP))
    unreachable = await harness.value(
        "SELECT count(*) FROM request_events WHERE kind = 'unreachable' AND actor_id = ?", LI
    )
    assert unreachable == 1


async def test_a_resident_of_two_buildings_picks_one_with_a_button(harness: Harness) -> None:
    await building(harness, {LI: ""}, resident_started=True)
    harness.emu.add_group(OTHER_GROUP, "5号楼", members=[ZHANG], admins=[OWNER], bot_admin=True)
    await harness.say(OWNER, OTHER_GROUP, "/setup 5号楼", expect="5号楼")
    harness.emu.user_sends(ZHANG, OTHER_GROUP, "大家好")
    await harness.settle()
    question = await harness.say(ZHANG, ZHANG, "/request 帮我买点菜", expect="哪栋楼")
    buttons = list(question.buttons)  # the message object follows later edits
    assert [label for label, _data in buttons] == ["3号楼", "5号楼"]
    assert all(data and "菜" not in data for _label, data in buttons)
    await harness.press(ZHANG, ZHANG, question.message_id, buttons[0][1] or "")
    await harness.settle()
    edited = harness.emu.message(ZHANG, question.message_id)
    assert "求助 #1 已登记（跑腿代办）" in edited.text and edited.buttons == []
    assert "帮我买点菜" in card(harness, LI).text
    again = await harness.press(ZHANG, ZHANG, question.message_id, buttons[1][1] or "")
    assert "求助 #1 已登记" in again and "3号楼" in again  # pressed twice: the same request
    assert await harness.value("SELECT count(*) FROM requests") == 1
    assert all("菜" not in text for text in harness.texts(GROUP) + harness.texts(OTHER_GROUP))


async def test_a_bare_request_asks_and_the_next_message_becomes_the_request(
    harness: Harness,
) -> None:
    await building(harness, {LI: ""})
    question = await harness.say(ZHANG, GROUP, "/request", expect="您需要什么帮助")
    assert question.reply_markup == {"force_reply": True, "selective": True}
    await harness.restart()  # the question is in the database, not in memory
    answer = await harness.say(
        ZHANG, GROUP, "三楼楼道有电线冒烟", reply_to=question.message_id, expect="#1"
    )
    assert "安全隐患" in answer.text
    assert await harness.value("SELECT text FROM requests WHERE id = 1") == "三楼楼道有电线冒烟"
    harness.emu.user_sends(ZHANG, GROUP, "谢谢大家")  # no question pending: an ordinary message
    await harness.say(ZHANG, GROUP, "/request", expect="您需要什么帮助")
    harness.clock.advance(11 * 60)
    await harness.bot.services.scheduler.run_due()
    harness.emu.user_sends(ZHANG, GROUP, "太晚了的回答")
    await harness.settle()
    assert await harness.value("SELECT count(*) FROM requests") == 1
    assert await harness.value("SELECT count(*) FROM request_drafts") == 0


async def test_bad_input_gets_a_clear_refusal_and_changes_nothing(harness: Harness) -> None:
    await building(harness, {LI: "", WANG: ""})
    await ask(harness, "帮忙修一下门锁")
    await harness.settle()
    before = await harness.value("SELECT count(*) FROM outbox")
    too_long = await harness.say(ZHANG, GROUP, "/request " + "水" * 5000, expect="太长")
    assert "最多 1000 个字" in too_long.text
    category_only = await harness.say(ZHANG, GROUP, "/request 维修")
    assert "请说明您需要什么帮助" in category_only.text
    assert "没有 #99 号求助" in (await harness.say(LI, LI, "/claim 99")).text
    assert "请在命令后写上求助编号" in (await harness.say(LI, LI, "/claim abc")).text
    refusal = await harness.say(LI, GROUP, "/cancel 1")
    assert "只有发起求助的居民可以取消 #1" in refusal.text
    await harness.say(WANG, WANG, "/claim 1", expect="您接下了 #1")
    await harness.settle()  # the resident's news reaches the group before the next command
    refusal = await harness.say(LI, LI, "/done 1 我帮他修好了")
    assert "只有接下 #1 的 老王 或负责人可以这样做" in refusal.text
    refusal = await harness.say(ZHANG, GROUP, "/cancel 1")
    assert "已由 老王 接单" in refusal.text
    late = await harness.press(LI, LI, card(harness, LI).message_id, "requests:claim:1")
    assert "抱歉，#1 已经被 老王 接走了" in late
    forged = await harness.press(LI, LI, card(harness, LI).message_id, "requests:claim:abc")
    assert "按钮已经失效" in forged
    await harness.settle()
    assert await harness.value("SELECT count(*) FROM requests") == 1
    row = await harness.db.fetch_one("SELECT state, claimer_id, note FROM requests")
    assert tuple(row) == ("claimed", WANG, None)
    claim_and_edits = await harness.value("SELECT count(*) FROM outbox") - before
    assert claim_and_edits == 3  # 老王's claim: both cards edited and 张阿姨 told; no more


async def test_lists_and_cancel(harness: Harness) -> None:
    await building(harness, {LI: ""}, resident_started=True)
    await ask(harness, "帮忙修一下门锁")
    await ask(harness, "请帮我量一下血压")
    mine = await harness.say(ZHANG, ZHANG, "/myrequests")
    assert "#2 · 3号楼 · 健康 — 等待志愿者接单" in mine.text and "门锁" in mine.text
    waiting = await harness.say(LI, LI, "/open")
    assert waiting.text.index("#1") < waiting.text.index("#2")
    await cards_arrive(harness, [LI], number=2)
    cancelled = await harness.say(ZHANG, GROUP, "/cancel 2")
    assert "您的求助 #2 已取消" in cancelled.text
    await harness.settle()
    assert "居民已取消求助" in card(harness, LI, 2).text
    waiting = await harness.say(LI, LI, "/open")
    assert "#2" not in waiting.text
    assert "#2 · 3号楼 · 健康 — 已取消" in (await harness.say(ZHANG, ZHANG, "/myrequests")).text


async def test_the_same_update_delivered_twice_opens_one_request(harness: Harness) -> None:
    await building(harness, {LI: ""})
    sent = harness.emu.user_sends(ZHANG, GROUP, "/request 水管爆了")
    first = await harness.emu.wait_for_message(GROUP, "#1")
    await harness.settle()
    update_id = await harness.value("SELECT max(update_id) FROM inbox")
    async with harness.db.transaction() as tx:  # as if the bot died before marking it handled
        await tx.execute("UPDATE inbox SET status = 'pending' WHERE update_id = ?", (update_id,))
    waiting = harness.emu.wait_for_message(GROUP, "#1")
    await harness.restart()
    assert "#1" in (await waiting).text
    waiting = harness.emu.wait_for_message(GROUP, "#1")
    harness.emu.push_update({"message": sent})  # Telegram sends the message again
    assert (await waiting).text == first.text
    await harness.settle()
    assert await harness.value("SELECT count(*) FROM requests") == 1
    assert len([m for m in harness.emu.sent(LI) if "求助 #1</b>" in m.raw_text]) == 1


async def test_a_restart_between_the_commit_and_the_routing_still_delivers_the_cards(
    harness: Harness,
) -> None:
    await building(harness, {LI: "", WANG: ""})
    await harness.bot.services.sender.stop()  # the process dies before the cards go out
    answer = await ask(harness, "电梯困人了")
    assert "#1" in answer.text
    assert await harness.value("SELECT count(*) FROM outbox WHERE status = 'pending'") == 2
    await asyncio.sleep(0.2)
    assert not any("求助 #1" in text for text in harness.texts(LI) + harness.texts(WANG))
    await harness.restart()
    await cards_arrive(harness, [LI, WANG])


async def test_owners_escalation_goes_to_a_community_admin_who_started(harness: Harness) -> None:
    harness.emu.add_user(ADMIN_ID, "社区管理员", started=True)
    await harness.say(ADMIN_ID, ADMIN_ID, "/start")
    await building(harness, {})
    answer = await ask(harness, "楼下有人吵架")
    assert "还没有志愿者，我已转给本楼的负责人" in answer.text
    await cards_arrive(harness, [OWNER, ADMIN_ID])
    assert "邻里纠纷" in card(harness, ADMIN_ID).text


async def test_a_request_of_invisible_characters_is_asked_again_and_stores_no_blank_card(
    harness: Harness,
) -> None:
    await building(harness, {LI: ""})
    before = await harness.value("SELECT count(*) FROM outbox WHERE kind = 'request_card'")
    await harness.say(ZHANG, GROUP, "/request \u200b\u200d\u200f", expect="您需要什么帮助")
    question = await harness.say(ZHANG, GROUP, "/request", expect="您需要什么帮助")
    refusal = await harness.say(
        ZHANG, GROUP, "\u200b\u2060", reply_to=question.message_id, expect="请说明您需要什么帮助"
    )
    assert "#" not in refusal.text
    await harness.settle()
    assert await harness.value("SELECT count(*) FROM requests") == 0
    assert await harness.value("SELECT count(*) FROM outbox WHERE kind = 'request_card'") == before
    await ask(harness, "帮忙修一下门锁")
    await harness.say(LI, LI, "/claim 1", expect="您接下了 #1")
    await harness.say(LI, LI, "/done 1 \u200b", expect="#1")
    assert await harness.value("SELECT note FROM requests WHERE id = 1") is None
    await harness.say(OWNER, GROUP, "/setup \u200b\u200e", expect="请在命令后写上楼栋名称")
    assert await harness.value("SELECT name FROM buildings") == "3号楼"
    await harness.say(LI, LI, "/handover \u2060\u200b", expect="请在命令后写上")
    assert await harness.value("SELECT count(*) FROM handover_notes") == 0
