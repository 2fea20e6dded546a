"""Points, rewards and redemptions through the real bot and the Bot API emulator."""

from __future__ import annotations

from bot.emulator import SentMessage
from tests.harness import Harness

OWNER = 100
VOLUNTEERS = {
    201: ("小李", "li"),
    202: ("小赵", "zhao"),
    203: ("小钱", "qian"),
    204: ("小孙", "sun"),
}
LI, ZHAO, QIAN, SUN = VOLUNTEERS
RESIDENT = 300
GROUP = -100


async def building(harness: Harness, volunteers: tuple[int, ...] = (LI,)) -> None:
    """3号楼 with its owner 王主任, a resident, and volunteers who started the bot."""
    emu = harness.emu
    emu.add_user(OWNER, "王主任", username="wang", started=True)
    emu.add_user(RESIDENT, "张阿姨", username="zhang")
    for user_id in volunteers:
        name, username = VOLUNTEERS[user_id]
        emu.add_user(user_id, name, username=username, started=True)
    emu.add_group(GROUP, "3号楼", members=[RESIDENT, *volunteers], admins=[OWNER], bot_admin=True)
    await harness.say(OWNER, GROUP, "/setup 3号楼", expect="3号楼")
    await harness.say(OWNER, OWNER, "/start")  # the owner decides redemptions in private
    for user_id in volunteers:
        await harness.say(user_id, user_id, "/start")
        username = VOLUNTEERS[user_id][1]
        await harness.say(OWNER, GROUP, f"/volunteer @{username}", expect="志愿者")


async def give(harness: Harness, user_id: int, points: int, source: str) -> None:
    """Points from elsewhere, as another feature would award them."""
    services = harness.bot.services
    async with services.db.transaction() as tx:
        await services.points.award_in(tx, user_id, points, "request_done", source, None)


async def add_reward(harness: Harness, description: str) -> int:
    """The owner adds a reward in the group; returns its number."""
    await harness.say(OWNER, GROUP, f"/reward add {description}", expect="已添加")
    return int(await harness.value("SELECT max(id) FROM rewards"))


async def card_of(harness: Harness, redemption_id: int) -> SentMessage:
    """The owners' card for a redemption, in the owner's private chat (issue 16: never in
    the building group, where every neighbour would read it)."""
    await harness.settle()
    wanted = f"兑换 #{redemption_id}"
    assert not any(wanted in m.text and m.buttons for m in harness.emu.sent(GROUP))
    return next(m for m in harness.emu.sent(OWNER) if wanted in m.text and m.buttons)


async def balance(harness: Harness, user_id: int) -> int:
    return int(
        await harness.value(
            "SELECT coalesce(sum(amount), 0) FROM ledger WHERE user_id = ?", user_id
        )
    )


# --- earning -------------------------------------------------------------------------------


async def test_an_automatic_award_pays_once_when_its_source_finishes_twice(
    harness: Harness,
) -> None:
    # The requests feature is not built yet: this calls award_in as its /done will, with the
    # request as the source, twice in one transaction and once more later.
    await building(harness)
    services = harness.bot.services
    amount = services.settings.points.request_done
    async with services.db.transaction() as tx:
        first = await services.points.award_in(tx, LI, amount, "request_done", "request:42", None)
        again = await services.points.award_in(tx, LI, amount, "request_done", "request:42", None)
    async with services.db.transaction() as tx:
        later = await services.points.award_in(tx, LI, amount, "request_done", "request:42", None)
    assert (first, again, later) == (True, False, False)
    reply = await harness.say(LI, LI, "/points", expect="我的积分")
    assert "我的积分：10" in reply.text
    assert "+10  完成求助：#42" in reply.text
    assert await balance(harness, LI) == 10


async def test_an_owner_awards_points_and_the_volunteer_is_told(harness: Harness) -> None:
    await building(harness)
    reply = await harness.say(OWNER, GROUP, "/award @li 20 义卖会帮忙", expect="获得")
    assert "小李 获得 20 积分：义卖会帮忙" in reply.text and "余额：20 积分" in reply.text
    await harness.settle()
    assert any("您获得了 20 积分：义卖会帮忙" in text for text in harness.texts(LI))
    row = await harness.db.fetch_one("SELECT amount, reason, note, made_by FROM ledger")
    assert row is not None and tuple(row) == (20, "award", "义卖会帮忙", OWNER)


async def test_a_replayed_update_does_not_pay_twice(harness: Harness) -> None:
    await building(harness)
    emu = harness.emu
    waiting = emu.wait_for_message(GROUP, "获得")
    command = emu.user_sends(OWNER, GROUP, "/award @li 20 义卖会帮忙")
    await waiting
    replay = emu.push_update({"message": command})  # the same message, as a new update
    assert replay["update_id"] != command.get("update_id")
    reply = await emu.wait_for_message(GROUP, "已经记录过了")
    assert "小李 现有 20 积分" in reply.text
    await harness.settle()
    assert await harness.value("SELECT count(*) FROM ledger") == 1
    assert await balance(harness, LI) == 20
    told = [text for text in harness.texts(LI) if "您获得了" in text]
    assert len(told) == 1


async def test_a_replayed_redeem_holds_the_points_once(harness: Harness) -> None:
    await building(harness)
    await give(harness, LI, 100, "request:1")
    number = await add_reward(harness, "大米 | 社区超市 | 30 | 5")
    emu = harness.emu
    waiting = emu.wait_for_message(LI, "已冻结")
    command = emu.user_sends(LI, LI, f"/redeem {number}")
    await waiting
    emu.push_update({"message": command})
    await emu.wait_for_message(LI, "已经记录过了")
    await harness.settle()
    assert await harness.value("SELECT count(*) FROM redemptions") == 1
    assert await harness.value("SELECT stock FROM rewards") == 4
    assert await balance(harness, LI) == 70


async def test_a_correction_that_would_go_below_zero_is_refused(harness: Harness) -> None:
    await building(harness)
    await harness.say(OWNER, GROUP, "/award @li 5 帮忙", expect="获得")
    reply = await harness.say(OWNER, GROUP, "/award @li -8 多给了", expect="低于零")
    assert "小李 现有 5 积分，扣除 8 分后将低于零" in reply.text
    reply = await harness.say(OWNER, GROUP, "/award @li -5 多给了", expect="更正")
    assert "余额：0 积分" in reply.text
    assert await balance(harness, LI) == 0


async def test_only_owners_award_and_bad_input_shows_the_form(harness: Harness) -> None:
    await building(harness)
    reply = await harness.say(RESIDENT, GROUP, "/award @li 50 自己人", expect="只有")
    assert "只有这位志愿者所服务楼栋的负责人" in reply.text
    reply = await harness.say(OWNER, GROUP, "/award @li 很多", expect="请这样写")
    assert "/award @用户名 10" in reply.text
    assert await harness.value("SELECT count(*) FROM ledger") == 0


# --- the catalogue -------------------------------------------------------------------------


async def test_owners_manage_the_catalogue_and_volunteers_see_it(harness: Harness) -> None:
    await building(harness)
    number = await add_reward(harness, "洗车券 | 老王洗车行 | 50 | 3 | 每月")
    reply = await harness.say(LI, LI, "/rewards", expect="奖品")
    assert f"#{number} 洗车券 — 老王洗车行：50 积分，剩余 3 份（每月限兑一次）" in reply.text
    refused = await harness.say(LI, GROUP, "/reward add 蛋糕 | 面包房 | 10 | 1", expect="只有")
    assert "只有群管理员（楼栋负责人）和社区管理员可以这样做" in refused.text
    await harness.say(OWNER, GROUP, f"/reward edit {number} 库存 10", expect="已修改")
    assert await harness.value("SELECT stock FROM rewards WHERE id = ?", number) == 10
    await harness.say(OWNER, OWNER, f"/reward retire {number}", expect="已下架")
    reply = await harness.say(LI, GROUP, "/rewards", expect="奖品")
    assert "还没有奖品" in reply.text
    assert await harness.value("SELECT count(*) FROM rewards") == 1


# --- redeeming -----------------------------------------------------------------------------


async def test_a_redemption_approved_gives_a_voucher_code_in_private(harness: Harness) -> None:
    await building(harness, (LI, ZHAO))
    await give(harness, LI, 60, "request:1")
    number = await add_reward(harness, "洗车券 | 老王洗车行 | 50 | 3")
    reply = await harness.say(LI, LI, f"/redeem {number}", expect="已冻结")
    assert "已冻结 50 积分，您的余额为 10" in reply.text
    card = await card_of(harness, 1)
    assert "小李 想用 50 积分兑换 老王洗车行 的 「洗车券」" in card.text
    approve = dict((label, data) for label, data in card.buttons)["✅ 批准"]
    assert approve is not None
    refused = await harness.press(ZHAO, ZHAO, card.message_id, approve)  # a volunteer
    assert "只有群管理员（楼栋负责人）" in refused
    assert await harness.value("SELECT status FROM redemptions") == "pending"
    answer = await harness.press(OWNER, OWNER, card.message_id, approve)
    assert "已批准：小李 将收到兑换码" in answer
    await harness.settle()
    voucher = await harness.value("SELECT voucher FROM redemptions")
    assert any(f"请在店里出示兑换码：{voucher}" in text for text in harness.texts(LI))
    card = harness.emu.message(OWNER, card.message_id)
    assert "✅ 已由 王主任 批准" in card.text and not card.buttons
    again = await harness.press(OWNER, OWNER, card.message_id, approve)
    assert "已经批准过了" in again
    statement = await harness.say(LI, LI, "/points", expect="我的积分")
    assert f"兑换码 {voucher}" in statement.text
    assert await balance(harness, LI) == 10
    assert await harness.value("SELECT stock FROM rewards") == 2


async def test_a_redemption_rejected_gives_the_points_and_the_item_back(
    harness: Harness,
) -> None:
    await building(harness)
    await give(harness, LI, 60, "request:1")
    number = await add_reward(harness, "洗车券 | 老王洗车行 | 50 | 3")
    await harness.say(LI, GROUP, f"/redeem {number}", expect="已冻结")
    card = await card_of(harness, 1)
    reject = dict(card.buttons)["❌ 拒绝"]
    assert reject is not None
    answer = await harness.press(OWNER, OWNER, card.message_id, reject)
    assert "已拒绝：积分已退还给 小李" in answer
    await harness.settle()
    assert any("未获批准，50 积分已退回" in text for text in harness.texts(LI))
    assert "❌ 已被 王主任 拒绝" in harness.emu.message(OWNER, card.message_id).text
    assert await balance(harness, LI) == 60
    assert await harness.value("SELECT stock FROM rewards") == 3
    reasons = [r[0] for r in await harness.db.fetch_all("SELECT reason FROM ledger ORDER BY id")]
    assert reasons == ["request_done", "redemption", "redemption_returned"]


async def test_a_forged_button_changes_nothing(harness: Harness) -> None:
    await building(harness)
    await give(harness, LI, 60, "request:1")
    number = await add_reward(harness, "洗车券 | 老王洗车行 | 50 | 3")
    await harness.say(LI, LI, f"/redeem {number}", expect="已冻结")
    card = await card_of(harness, 1)
    for data in ("points:approve:999", "points:approve:x", "points:steal:1"):
        answer = await harness.press(OWNER, OWNER, card.message_id, data)
        assert "这个按钮已经失效了" in answer
    assert await harness.value("SELECT status FROM redemptions") == "pending"


async def test_racing_for_the_last_item_exactly_one_volunteer_wins(harness: Harness) -> None:
    racers = (LI, ZHAO, QIAN, SUN)
    await building(harness, racers)
    for user_id in racers:
        await give(harness, user_id, 40, f"request:{user_id}")
    number = await add_reward(harness, "电影票 | 星光影院 | 40 | 1")
    for user_id in racers:  # all at once, each in their own private chat
        harness.emu.user_sends(user_id, user_id, f"/redeem {number}")
    await harness.settle()
    won = [u for u in racers if any("已冻结" in t for t in harness.texts(u))]
    lost = [u for u in racers if any("已兑完" in t for t in harness.texts(u))]
    assert len(won) == 1 and sorted(lost) == sorted(set(racers) - set(won))
    assert await harness.value("SELECT count(*) FROM redemptions") == 1
    assert await harness.value("SELECT stock FROM rewards") == 0
    assert [await balance(harness, u) for u in racers].count(0) == 1


async def test_owners_pressing_approve_and_reject_at_once_decide_once(harness: Harness) -> None:
    await building(harness, (LI,))
    harness.emu.add_user(101, "刘副主任", username="liu", started=True)
    harness.emu.promote(GROUP, 101)
    await give(harness, LI, 60, "request:1")
    number = await add_reward(harness, "洗车券 | 老王洗车行 | 50 | 3")
    await harness.say(LI, LI, f"/redeem {number}", expect="已冻结")
    card = await card_of(harness, 1)
    buttons = dict(card.buttons)
    first = harness.emu.user_presses(OWNER, OWNER, card.message_id, str(buttons["✅ 批准"]))
    second = harness.emu.user_presses(101, 101, card.message_id, str(buttons["❌ 拒绝"]))
    await harness.settle()
    answers = [harness.emu.callback_answers[q][0] or "" for q in (first, second)]
    assert sum("已经" in answer for answer in answers) == 1
    status = await harness.value("SELECT status FROM redemptions")
    assert await balance(harness, LI) == (10 if status == "approved" else 60)


async def test_an_undecided_redemption_expires_and_gives_everything_back(
    harness: Harness,
) -> None:
    await building(harness)
    await give(harness, LI, 60, "request:1")
    number = await add_reward(harness, "洗车券 | 老王洗车行 | 50 | 1")
    await harness.say(LI, LI, f"/redeem {number}", expect="已冻结")
    card = await card_of(harness, 1)
    harness.clock.advance(73 * 3600)
    await harness.bot.services.scheduler.run_due()
    await harness.settle()
    assert await harness.value("SELECT status FROM redemptions") == "expired"
    assert await balance(harness, LI) == 60
    assert await harness.value("SELECT stock FROM rewards") == 1
    assert any("在负责人审批前已过期" in text for text in harness.texts(LI))
    expired = harness.emu.message(OWNER, card.message_id)
    assert "⌛ 已过期" in expired.text and not expired.buttons


async def test_a_resident_cannot_redeem(harness: Harness) -> None:
    await building(harness)
    number = await add_reward(harness, "洗车券 | 老王洗车行 | 50 | 1")
    reply = await harness.say(RESIDENT, GROUP, f"/redeem {number}", expect="志愿者")
    assert "仅限 3号楼 的志愿者兑换" in reply.text
    reply = await harness.say(RESIDENT, GROUP, "/points", expect="志愿者")
    assert "积分是给志愿者的" in reply.text


# --- the ranking ---------------------------------------------------------------------------


async def test_the_leaderboard_ranks_this_month_and_an_owner_posts_it(harness: Harness) -> None:
    await building(harness, (LI, ZHAO))
    await give(harness, LI, 15, "request:1")
    await give(harness, ZHAO, 25, "request:2")
    reply = await harness.say(LI, GROUP, "/leaderboard", expect="本月优秀志愿者")
    assert reply.text.index("🥇 小赵 — 25 积分") < reply.text.index("🥈 小李 — 15 积分")
    assert not reply.buttons  # a volunteer may look, not post
    reply = await harness.say(OWNER, OWNER, "/leaderboard 3号楼", expect="本月优秀志愿者")
    post = dict(reply.buttons)["📣 在 3号楼 发布排行榜"]
    assert post is not None
    answer = await harness.press(OWNER, OWNER, reply.message_id, post)
    assert "已在 3号楼 发布" in answer
    await harness.settle()
    notice = harness.emu.sent(GROUP)[-1]
    assert "本月优秀志愿者" in notice.text and notice.reply_to_message_id is None
    again = await harness.press(OWNER, OWNER, reply.message_id, post)
    assert "已经在 3号楼 发布过了" in again
    refused = await harness.press(LI, OWNER, reply.message_id, post)
    assert "只有群管理员（楼栋负责人）" in refused
    await harness.settle()
    posted = [m for m in harness.emu.sent(GROUP) if "本月优秀志愿者" in m.text]
    assert len(posted) == 2  # the volunteer's /leaderboard reply and the owner's notice


async def test_the_community_leaderboard_in_private(harness: Harness) -> None:
    await building(harness, (LI,))
    await give(harness, LI, 15, "request:1")
    reply = await harness.say(LI, LI, "/leaderboard", expect="本月优秀志愿者")
    assert "邻里社区" in reply.text and "🥇 小李 — 15 积分" in reply.text
