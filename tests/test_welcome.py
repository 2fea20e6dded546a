"""Group care end to end: the welcome and the rules of a building, newcomers, join requests
through an invite link with approval, and member tags."""

from __future__ import annotations

from bot.emulator import SentMessage
from tests.harness import Harness

GROUP = -1001000000300  # a supergroup: join requests need one
OWNER, ZHANG, CHEN = 1, 2, 3  # the group's admin; a resident; a newcomer
MINUTE, HOUR = 60, 3600


async def building(harness: Harness, *, can_tag: bool = False) -> None:
    """3号楼 with its owner (who started the bot) and 张阿姨; 小陈 is not in the group."""
    emu = harness.emu
    emu.add_user(OWNER, "王主任", username="owner")
    emu.add_user(ZHANG, "张阿姨", username="zhang")
    emu.add_user(CHEN, "小陈", username="chen")
    emu.add_group(GROUP, "3号楼", supergroup=True, members=[ZHANG], admins=[OWNER],
                  bot_admin=True, bot_can_manage_tags=can_tag)
    await harness.say(OWNER, OWNER, "/start")
    await harness.say(OWNER, GROUP, "/setup 3号楼", expect="3号楼")
    await harness.settle()


def last(harness: Harness, chat_id: int) -> SentMessage:
    """The bot's newest message in a chat."""
    return harness.emu.sent(chat_id)[-1]


async def test_a_newcomer_gets_the_welcome_in_the_group_deleted_later_and_the_rules_in_private(
    harness: Harness,
) -> None:
    await building(harness)
    saved = await harness.say(OWNER, GROUP, "/welcome 欢迎 {name} 入住{building}！<b>请</b>看置顶",
                              expect="已保存")
    assert "欢迎 王主任 入住3号楼！<b>请</b>看置顶" in saved.text  # HTML shown, not obeyed
    await harness.say(OWNER, GROUP, "/rules 楼道里请不要堆放杂物。", expect="已保存")
    await harness.say(CHEN, CHEN, "/start")
    waiting = harness.emu.wait_for_message(GROUP, "欢迎 小陈")
    harness.emu.user_joins(CHEN, GROUP)
    welcome = await waiting
    assert welcome.text == "欢迎 小陈 入住3号楼！<b>请</b>看置顶"
    assert 'href="tg://user?id=3"' in welcome.raw_text  # the newcomer is mentioned
    await harness.settle()
    private = last(harness, CHEN)
    assert "欢迎来到3号楼" in private.text and "楼道里请不要堆放杂物。" in private.text
    assert private.reply_markup is not None and "keyboard" in private.reply_markup
    harness.clock.advance(9 * MINUTE)
    await harness.settle()
    assert not harness.emu.message(GROUP, welcome.message_id).deleted
    harness.clock.advance(2 * MINUTE)
    await harness.emu.wait_for(lambda: harness.emu.message(GROUP, welcome.message_id).deleted,
                               5, what="the welcome to be deleted")
    harness.emu.user_leaves(CHEN, GROUP)
    harness.emu.user_joins(CHEN, GROUP)
    await harness.settle()
    assert sum("欢迎 小陈" in text for text in harness.texts(GROUP)) == 2  # each join, once


async def test_without_a_welcome_a_join_changes_nothing_in_the_group(harness: Harness) -> None:
    await building(harness)
    before = len(harness.texts(GROUP))
    harness.emu.user_joins(CHEN, GROUP)
    await harness.settle()
    assert len(harness.texts(GROUP)) == before
    assert await harness.value("SELECT count(*) FROM jobs WHERE kind = 'welcome_delete'") == 0


async def test_a_broken_placeholder_is_refused_with_the_allowed_ones_and_nothing_stored(
    harness: Harness,
) -> None:
    await building(harness)
    typo = await harness.say(OWNER, GROUP, "/welcome 欢迎 {nmae}！", expect="{nmae}")
    assert "{building}, {name}" in typo.text
    unclosed = await harness.say(OWNER, GROUP, "/rules 请 {name 注意", expect="括号")
    assert "{building}, {name}" in unclosed.text
    long = await harness.say(OWNER, GROUP, "/welcome " + "长" * 3001, expect="太长")
    assert "3000" in long.text
    spec = await harness.say(OWNER, GROUP, "/welcome {name!r}", expect="{name!r}")
    assert "没有保存" in spec.text
    bare = await harness.say(OWNER, GROUP, "/welcome", expect="还没有欢迎词")
    assert "/welcome" in bare.text
    resident = await harness.say(ZHANG, GROUP, "/welcome 大家好", expect="管理员")
    assert "只有" in resident.text
    assert await harness.value("SELECT count(*) FROM building_texts") == 0
    assert not any(m.pinned for m in harness.emu.sent(GROUP))
    braces = await harness.say(OWNER, GROUP, "/welcome 欢迎 {{新邻居}} {name}", expect="已保存")
    assert "欢迎 {新邻居} 王主任" in braces.text


async def test_the_rules_are_one_pinned_post_kept_current_and_shown_to_anyone(
    harness: Harness,
) -> None:
    await building(harness)
    await harness.say(OWNER, GROUP, "/rules 一、{building}楼道不堆杂物。", expect="置顶")
    await harness.settle()
    posts = [m for m in harness.emu.sent(GROUP) if m.text.startswith("📜")]
    assert len(posts) == 1 and posts[0].pinned
    assert "一、3号楼楼道不堆杂物。" in posts[0].text
    await harness.say(OWNER, GROUP, "/rules 二、晚十点后请保持安静。", expect="置顶")
    await harness.settle()
    post = harness.emu.message(GROUP, posts[0].message_id)
    assert "二、晚十点后请保持安静。" in post.text and post.edits == 1 and post.pinned
    assert len([m for m in harness.emu.sent(GROUP) if m.text.startswith("📜")]) == 1
    shown = await harness.say(ZHANG, GROUP, "/rules", expect="晚十点")
    assert "3号楼的规则" in shown.text
    harness.emu.user_sends(ZHANG, GROUP, "大家好")  # 张阿姨 is known as a resident
    await harness.say(ZHANG, ZHANG, "/start")
    mine = await harness.say(ZHANG, ZHANG, "/rules", expect="晚十点")
    assert "3号楼的规则" in mine.text
    refused = await harness.say(ZHANG, ZHANG, "/rules 随便写写", expect="只有")
    assert "管理员" in refused.text
    await harness.say(OWNER, OWNER, "/rules 3号楼 三、电动车不进楼。", expect="置顶")
    await harness.settle()
    assert "三、电动车不进楼。" in harness.emu.message(GROUP, posts[0].message_id).text
    harness.emu.message(GROUP, posts[0].message_id).deleted = True  # an admin deleted it
    await harness.say(OWNER, GROUP, "/rules 四、垃圾请分类。", expect="置顶")
    await harness.settle()
    again = [m for m in harness.emu.sent(GROUP) if m.text.startswith("📜") and not m.deleted
             and m.reply_to_message_id is None]  # not the answers to /rules
    assert len(again) == 1 and again[0].pinned and "四、垃圾请分类。" in again[0].text
    harness.emu.add_user(50, "路人", started=True)
    stranger = await harness.say(50, 50, "/rules", expect="楼")
    assert "还不属于" in stranger.text


# --- join requests ---------------------------------------------------------------------------


async def applicant_answers(harness: Harness, flat: str = "3-502", name: str = "陈明") -> None:
    """小陈 asks to join through the link and answers the two questions."""
    waiting = harness.emu.wait_for_message(CHEN, "楼号-房号")
    harness.emu.user_requests_to_join(CHEN, GROUP)
    await waiting
    await harness.say(CHEN, CHEN, flat, expect="名字")
    await harness.say(CHEN, CHEN, name, expect="转给")
    await harness.settle()


def join_card(harness: Harness, user_id: int = OWNER) -> SentMessage:
    """The newest join request card in an owner's private chat."""
    cards = [m for m in harness.emu.sent(user_id) if "入群申请" in m.text]
    assert cards, harness.texts(user_id)
    return cards[-1]


async def test_a_join_request_asks_flat_and_name_and_the_owner_approves(harness: Harness) -> None:
    await building(harness, can_tag=True)
    waiting = harness.emu.wait_for_message(CHEN, "楼号-房号")
    harness.emu.user_requests_to_join(CHEN, GROUP)
    question = await waiting
    assert "3号楼" in question.text  # written before 小陈 ever pressed Start
    wrong = await harness.say(CHEN, CHEN, "三楼502", expect="3-502")
    assert "楼号-房号" in wrong.text
    assert await harness.value("SELECT flat FROM join_requests") is None
    await harness.say(CHEN, CHEN, "3－502", expect="名字")
    await harness.say(CHEN, CHEN, "陈明", expect="转给")
    await harness.settle()
    card = join_card(harness)
    assert "陈明 (3-502)" in card.text and "@chen" in card.text
    assert [label for label, _data in card.buttons] == ["✅ 批准", "❌ 拒绝"]
    approve, decline = (data or "" for _label, data in card.buttons)
    forged = await harness.press(ZHANG, ZHANG, card.message_id, approve)
    assert "只有" in forged
    assert await harness.value("SELECT state FROM join_requests") == "waiting"
    answer = await harness.press(OWNER, OWNER, card.message_id, approve)
    assert "已同意" in answer
    await harness.settle()
    assert harness.emu.world.group(GROUP).status_of(CHEN) == "member"
    assert any("管理员已同意" in text for text in harness.texts(CHEN))
    assert "欢迎来到3号楼" in last(harness, CHEN).text  # the newcomer's menu, in private
    assert "✅ 王主任已同意" in harness.emu.message(OWNER, card.message_id).text
    assert harness.emu.message(OWNER, card.message_id).buttons == []
    row = await harness.db.fetch_one("SELECT flat, name FROM flats WHERE user_id = ?", (CHEN,))
    assert row is not None and tuple(row) == ("3-502", "陈明")
    assert harness.emu.world.group(GROUP).tags[CHEN] == "3-502"  # the flat, by their name
    assert await harness.value(
        "SELECT count(*) FROM members WHERE user_id = ? AND resident = 1", CHEN) == 1
    again = await harness.press(OWNER, OWNER, card.message_id, decline)
    assert "已经处理" in again
    assert len(harness.emu.calls_to("approveChatJoinRequest")) == 1
    assert not harness.emu.calls_to("declineChatJoinRequest")


async def test_a_declined_applicant_is_told_kindly_and_stays_out(harness: Harness) -> None:
    await building(harness)
    await applicant_answers(harness)
    card = join_card(harness)
    answer = await harness.press(OWNER, OWNER, card.message_id, card.buttons[1][1] or "")
    assert "已拒绝" in answer
    await harness.settle()
    assert "没有同意" in last(harness, CHEN).text
    assert harness.emu.world.group(GROUP).status_of(CHEN) == "left"
    assert not harness.emu.world.group(GROUP).join_requests
    assert await harness.value("SELECT count(*) FROM flats") == 0
    assert "❌ 王主任已拒绝" in harness.emu.message(OWNER, card.message_id).text


async def test_no_answer_within_a_day_declines_the_request_politely(harness: Harness) -> None:
    await building(harness)
    waiting = harness.emu.wait_for_message(CHEN, "楼号-房号")
    harness.emu.user_requests_to_join(CHEN, GROUP)
    await waiting
    await harness.say(CHEN, CHEN, "3-502", expect="名字")  # and then no name
    harness.clock.advance(23 * HOUR)
    await harness.settle()
    assert harness.emu.world.group(GROUP).join_requests  # still open
    told = harness.emu.wait_for_message(CHEN, "随时")
    harness.clock.advance(2 * HOUR)
    await told
    await harness.settle()
    assert not harness.emu.world.group(GROUP).join_requests
    assert len(harness.emu.calls_to("declineChatJoinRequest")) == 1
    assert await harness.value("SELECT state FROM join_requests") == "expired"
    assert "停止等待" not in " ".join(harness.texts(CHEN))  # one message, not two
    assert not [m for m in harness.emu.sent(OWNER) if "入群申请" in m.text]
    late = await harness.say(CHEN, CHEN, "陈明")  # the prompt is gone: plain words again
    assert "转给" not in late.text


async def test_an_applicant_who_never_wrote_back_is_declined_without_a_message(
    harness: Harness,
) -> None:
    await building(harness)
    waiting = harness.emu.wait_for_message(CHEN, "楼号-房号")
    harness.emu.user_requests_to_join(CHEN, GROUP)
    await waiting
    harness.clock.advance(25 * HOUR)
    await harness.emu.wait_for(lambda: harness.emu.calls_to("declineChatJoinRequest"), 5,
                               what="the decline")
    await harness.settle()
    assert not harness.emu.world.group(GROUP).join_requests
    # Telegram lets a bot write to an applicant who never started it only while the
    # request is pending; the kind word is tried and refused, and nothing else breaks.
    assert await harness.value("SELECT state FROM join_requests") == "expired"


async def test_a_join_request_of_someone_who_is_a_member_already_is_explained(
    harness: Harness,
) -> None:
    await building(harness)
    await applicant_answers(harness)
    harness.emu.user_joins(CHEN, GROUP)  # another admin added 小陈 meanwhile
    await harness.settle()
    card = join_card(harness)
    answer = await harness.press(OWNER, OWNER, card.message_id, card.buttons[0][1] or "")
    assert "已经在群里" in answer
    await harness.settle()
    assert not harness.emu.calls_to("approveChatJoinRequest")
    assert await harness.value("SELECT state FROM join_requests") == "member"
    assert await harness.value("SELECT flat FROM flats WHERE user_id = ?", CHEN) == "3-502"
    assert "已经是群成员" in harness.emu.message(OWNER, card.message_id).text
    # A request that reaches the bot for a member (Telegram's app would open the group):
    await harness.say(ZHANG, ZHANG, "/start")
    waiting = harness.emu.wait_for_message(ZHANG, "已经是")
    harness.emu.push_update({"chat_join_request": {
        "chat": harness.emu.world.chat_json(GROUP), "from": harness.emu.world.user(ZHANG).to_json(),
        "user_chat_id": ZHANG, "date": 1_700_000_000,
    }})
    assert "没有需要批准" in (await waiting).text
    assert await harness.value("SELECT count(*) FROM join_requests") == 1


async def test_a_group_that_is_not_a_building_ignores_join_requests(harness: Harness) -> None:
    harness.emu.add_user(CHEN, "小陈")
    harness.emu.add_group(GROUP, "闲聊群", supergroup=True, bot_admin=True)
    harness.emu.user_requests_to_join(CHEN, GROUP)
    await harness.settle()
    assert harness.texts(CHEN) == [] and harness.emu.world.group(GROUP).join_requests
    assert await harness.value("SELECT count(*) FROM join_requests") == 0


async def test_volunteers_are_tagged_in_the_group_where_the_bot_may_set_tags(
    harness: Harness,
) -> None:
    await building(harness, can_tag=True)
    harness.emu.user_sends(ZHANG, GROUP, "大家好")
    await harness.say(OWNER, GROUP, "/volunteer @zhang", expect="志愿者")
    await harness.settle()
    assert harness.emu.world.group(GROUP).tags[ZHANG] == "志愿者"
    await harness.say(OWNER, GROUP, "/unvolunteer @zhang", expect="不再")
    await harness.settle()
    assert ZHANG not in harness.emu.world.group(GROUP).tags


async def handle_the_last_update_again(harness: Harness) -> None:
    """As if the bot died after it acted and before it marked the update handled."""
    async with harness.db.transaction() as tx:
        await tx.execute("UPDATE inbox SET status = 'pending' WHERE update_id = "
                         "(SELECT max(update_id) FROM inbox)")
    await harness.restart()
    await harness.settle()


async def test_a_join_and_a_join_request_handled_twice_greet_and_ask_once(
    harness: Harness,
) -> None:
    await building(harness)
    await harness.say(OWNER, GROUP, "/welcome 欢迎 {name}！", expect="已保存")
    harness.emu.add_user(40, "老周", started=True)
    harness.emu.user_joins(40, GROUP)
    await harness.settle()
    await handle_the_last_update_again(harness)
    assert sum("欢迎 老周" in text for text in harness.texts(GROUP)) == 1
    assert await harness.value("SELECT count(*) FROM jobs WHERE kind = 'welcome_delete'") == 1
    harness.emu.user_requests_to_join(CHEN, GROUP)
    await harness.settle()
    await handle_the_last_update_again(harness)
    assert sum("楼号-房号" in text for text in harness.texts(CHEN)) == 1
    assert await harness.value("SELECT count(*) FROM join_requests") == 1
    assert await harness.value("SELECT count(*) FROM jobs WHERE kind = 'join_timeout'") == 1


async def test_rules_without_the_right_to_pin_say_so(harness: Harness) -> None:
    harness.emu.add_user(OWNER, "王主任")
    harness.emu.add_group(GROUP, "3号楼", supergroup=True, admins=[OWNER], bot_admin=True,
                          bot_can_pin=False)
    await harness.say(OWNER, GROUP, "/setup 3号楼", expect="3号楼")
    told = await harness.say(OWNER, GROUP, "/rules 请爱护公共设施。", expect="已保存")
    assert "置顶消息的权限" in told.text
    await harness.settle()
    assert [m.text for m in harness.emu.sent(GROUP) if m.text.startswith("📜")]


async def test_with_no_admin_reachable_in_private_the_group_is_told_without_names(
    harness: Harness,
) -> None:
    harness.emu.add_user(OWNER, "王主任")  # never pressed Start
    harness.emu.add_user(CHEN, "小陈")
    harness.emu.add_group(GROUP, "3号楼", supergroup=True, admins=[OWNER], bot_admin=True)
    await harness.say(OWNER, GROUP, "/setup 3号楼", expect="3号楼")
    await applicant_answers(harness)
    note = last(harness, GROUP)
    assert "有人申请加入本群" in note.text and "陈" not in note.text and "502" not in note.text
    assert await harness.value("SELECT state FROM join_requests") == "waiting"


async def test_the_flat_shows_by_the_name_on_request_cards_and_notice_confirmations(
    harness: Harness,
) -> None:
    await building(harness)  # the bot may not set tags here: the names carry the flat
    harness.emu.add_user(11, "小李", username="li", started=True)
    harness.emu.user_joins(11, GROUP)
    await harness.say(11, 11, "/start")
    await harness.say(OWNER, GROUP, "/volunteer @li", expect="志愿者")
    await applicant_answers(harness)
    card = join_card(harness)
    await harness.press(OWNER, OWNER, card.message_id, card.buttons[0][1] or "")
    await harness.settle()
    assert not harness.emu.calls_to("setChatMemberTag")
    await harness.say(CHEN, GROUP, "/request 楼道灯坏了", expect="#1")
    await harness.settle()
    cards = [m for m in harness.emu.sent(11) if "求助 #1" in m.text]
    assert cards and "小陈 (3-502)" in cards[-1].text
    await harness.say(OWNER, GROUP, "/notice 明天停水", expect=None)
    await harness.settle()
    post = next(m for m in harness.emu.sent(GROUP) if "明天停水" in m.text and m.buttons)
    await harness.press(CHEN, GROUP, post.message_id, post.buttons[0][1] or "")
    names = await harness.say(OWNER, OWNER, "/notices 1", expect="确认")
    assert "小陈 (3-502)" in names.text
