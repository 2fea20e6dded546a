"""Residents as they write: plain words become a request with one tap, a greeting gets the
welcome, and odd messages get a clear answer or are left alone on purpose."""

from __future__ import annotations

from bot.emulator import SentMessage
from tests.harness import Harness
from tests.test_requests import GROUP, LI, OTHER_GROUP, OWNER, ZHANG, building, card

LEAK = "我家水管漏水了，怎么办？"


def data_of(message: SentMessage, label_part: str) -> str:
    """The payload of the button whose label contains ``label_part``."""
    found = [data for label, data in message.buttons if label_part in label]
    assert found, f"no button {label_part!r} in {message.buttons}"
    return found[0] or ""


async def test_plain_words_in_private_become_a_request_with_one_tap(harness: Harness) -> None:
    await building(harness, {LI: "repair"}, resident_started=True)
    offer = await harness.say(ZHANG, ZHANG, LEAK, expect="志愿者")
    assert "水管漏水" in offer.text and "维修" in offer.text
    labels = [label for label, _data in offer.buttons]
    assert "✓ 维修" in labels and "跑腿代办" in labels and "✅ 发给志愿者" in labels
    assert all(data and "水管" not in data for _label, data in offer.buttons)  # ids, not text
    assert await harness.value("SELECT count(*) FROM requests") == 0
    await harness.press(ZHANG, ZHANG, offer.message_id, data_of(offer, "发给志愿者"))
    await harness.settle()
    edited = harness.emu.message(ZHANG, offer.message_id)
    assert "求助 #1 已登记（维修）" in edited.text and edited.buttons == []
    assert LEAK in card(harness, LI).text
    row = await harness.db.fetch_one("SELECT category, text, private FROM requests")
    assert row is not None and tuple(row) == ("repair", LEAK, 1)
    again = await harness.press(ZHANG, ZHANG, offer.message_id, "requests:confirm:1:repair")
    assert "求助 #1 已登记" in again  # pressed twice: the same request
    assert await harness.value("SELECT count(*) FROM requests") == 1


async def test_another_category_is_one_tap_and_the_request_keeps_it(harness: Harness) -> None:
    await building(harness, {LI: ""}, resident_started=True)
    offer = await harness.say(ZHANG, ZHANG, "楼下有人吵架很久了", expect="志愿者")
    await harness.press(ZHANG, ZHANG, offer.message_id, data_of(offer, "其他"))
    await harness.settle()
    redrawn = harness.emu.message(ZHANG, offer.message_id)
    assert "✓ 其他" in [label for label, _data in redrawn.buttons]
    await harness.press(ZHANG, ZHANG, offer.message_id, data_of(redrawn, "发给志愿者"))
    await harness.settle()
    assert await harness.value("SELECT category FROM requests") == "other"
    forged = await harness.press(ZHANG, ZHANG, offer.message_id, "requests:confirm:1:bogus")
    assert "按钮已经失效" in forged
    stranger = await harness.press(LI, LI, offer.message_id, "requests:offer:1:repair")
    assert "按钮已经失效" in stranger  # someone else's draft


async def test_a_resident_of_two_buildings_confirms_then_picks_the_building(
    harness: Harness,
) -> None:
    await building(harness, {LI: ""}, resident_started=True)
    harness.emu.add_group(OTHER_GROUP, "5号楼", members=[ZHANG], admins=[OWNER], bot_admin=True)
    await harness.say(OWNER, OTHER_GROUP, "/setup 5号楼", expect="5号楼")
    harness.emu.user_sends(ZHANG, OTHER_GROUP, "大家好")
    await harness.settle()
    offer = await harness.say(ZHANG, ZHANG, "帮我买点菜", expect="志愿者")
    await harness.press(ZHANG, ZHANG, offer.message_id, data_of(offer, "发给志愿者"))
    await harness.settle()
    choice = harness.emu.message(ZHANG, offer.message_id)
    assert "哪栋楼" in choice.text
    assert [label for label, _data in choice.buttons] == ["3号楼", "5号楼"]
    await harness.press(ZHANG, ZHANG, offer.message_id, choice.buttons[0][1] or "")
    await harness.settle()
    assert "求助 #1 已登记（跑腿代办）" in harness.emu.message(ZHANG, offer.message_id).text
    assert await harness.value("SELECT category FROM requests") == "errand"


async def test_a_greeting_gets_the_welcome_and_a_stranger_learns_how_to_start(
    harness: Harness,
) -> None:
    await building(harness, {LI: ""}, resident_started=True)
    hello = await harness.say(ZHANG, ZHANG, "你好！", expect="您好")
    assert "告诉我" in hello.text
    assert await harness.value("SELECT count(*) FROM request_drafts") == 0
    harness.emu.add_user(77, "新邻居")
    unknown = await harness.say(77, 77, LEAK, expect="楼")
    assert "/request" in unknown.text  # no building known yet: how to start
    assert await harness.value("SELECT count(*) FROM request_drafts") == 0


async def test_in_a_group_plain_chat_is_left_alone_and_a_reply_to_the_bot_answered(
    harness: Harness,
) -> None:
    await building(harness, {LI: ""})
    before = len(harness.texts(GROUP))
    harness.emu.user_sends(ZHANG, GROUP, LEAK)
    await harness.settle()
    assert len(harness.texts(GROUP)) == before
    bot_message = harness.emu.sent(GROUP)[-1]
    answer = await harness.say(ZHANG, GROUP, "怎么求助？", reply_to=bot_message.message_id)
    assert "/request" in answer.text
    assert await harness.value("SELECT count(*) FROM request_drafts") == 0


async def test_odd_messages_get_a_clear_answer_or_are_ignored_and_make_nothing(
    harness: Harness,
) -> None:
    await building(harness, {LI: ""}, resident_started=True)
    emu = harness.emu
    waiting = emu.wait_for_message(ZHANG, "表情", 5)
    emu.user_sends_sticker(ZHANG, ZHANG)
    await waiting
    waiting = emu.wait_for_message(ZHANG, "名片", 5)
    emu.user_sends_contact(ZHANG, ZHANG, "+8613800000000", "王师傅")
    await waiting
    waiting = emu.wait_for_message(ZHANG, "转发", 5)
    emu.user_forwards_from_channel(ZHANG, ZHANG, "停水通知", -1009, "自来水公司")
    await waiting
    sent = emu.user_sends(ZHANG, ZHANG, "/myrequests")
    await harness.settle()
    before = len(harness.texts(ZHANG))
    emu.user_edits(ZHANG, ZHANG, sent["message_id"], "水管漏水")  # an edit: left alone
    await harness.settle()
    assert len(harness.texts(ZHANG)) == before
    assert await harness.value("SELECT count(*) FROM requests") == 0
    assert await harness.value("SELECT count(*) FROM request_drafts") == 0


async def test_a_shoudao_reply_and_a_thumbs_up_confirm_a_notice_once_like_the_button(
    harness: Harness,
) -> None:
    from bot.services.notices import COUNT_EDIT_SECONDS

    await building(harness, {LI: ""})
    emu = harness.emu
    for user in (31, 32, 33):
        emu.add_user(user, f"居民{user}")
        emu.user_sends(user, GROUP, "大家好")
    waiting = emu.wait_for_message(GROUP, "停水", 5)
    emu.user_sends(OWNER, GROUP, "/notice 明天停水")
    posted = await waiting
    await harness.settle()
    before = len(harness.texts(GROUP))
    emu.user_sends(ZHANG, GROUP, "收到！", reply_to_message_id=posted.message_id)
    emu.user_sends(ZHANG, GROUP, "收到", reply_to_message_id=posted.message_id)  # once only
    emu.user_sends(31, GROUP, "OK", reply_to_message_id=posted.message_id)
    emu.user_sends(32, GROUP, "明天几点？", reply_to_message_id=posted.message_id)  # a question
    assert emu.user_reacts(33, GROUP, posted.message_id, ["👍"]) is not None
    emu.user_reacts(LI, GROUP, posted.message_id, ["😢"])  # not a confirmation
    await harness.settle()
    confirmed = await harness.db.fetch_all(
        "SELECT user_id FROM notice_confirmations ORDER BY user_id"
    )
    assert [row[0] for row in confirmed] == [ZHANG, 31, 33]
    answer = await harness.press(LI, GROUP, posted.message_id, posted.buttons[0][1] or "")
    assert "谢谢" in answer
    again = await harness.press(ZHANG, GROUP, posted.message_id, posted.buttons[0][1] or "")
    assert "已经确认过" in again  # the reply counted as the button would
    harness.clock.advance(COUNT_EDIT_SECONDS)
    await emu.wait_for(
        lambda: "已确认：4 人" in emu.message(GROUP, posted.message_id).text, 5,
        what="the live count to include the reply and the reaction",
    )
    new = harness.texts(GROUP)[before:]
    assert len(new) == 1 and "/request" in new[0]  # only the question was answered


async def test_taking_the_thumbs_up_away_takes_back_only_the_confirmation_it_made(
    harness: Harness,
) -> None:
    from bot.services.notices import COUNT_EDIT_SECONDS

    await building(harness, {LI: ""})
    emu = harness.emu
    for user in (31, 32):
        emu.add_user(user, f"居民{user}")
        emu.user_sends(user, GROUP, "大家好")
    waiting = emu.wait_for_message(GROUP, "停水", 5)
    emu.user_sends(OWNER, GROUP, "/notice 明天停水")
    posted = await waiting
    await harness.settle()

    async def count_shows(number: int) -> None:
        harness.clock.advance(COUNT_EDIT_SECONDS)
        await emu.wait_for(
            lambda: f"已确认：{number} 人" in emu.message(GROUP, posted.message_id).text, 5,
            what=f"the live count to show {number}",
        )

    async def confirmed() -> list[tuple[int, str]]:
        found = await harness.db.fetch_all(
            "SELECT user_id, confirmed_by FROM notice_confirmations ORDER BY user_id")
        return [(row[0], row[1]) for row in found]

    emu.user_reacts(ZHANG, GROUP, posted.message_id, ["👍"])
    await harness.settle()
    await count_shows(1)
    assert await confirmed() == [(ZHANG, "reaction")]
    emu.user_reacts(ZHANG, GROUP, posted.message_id, [], old=["👍"])
    await harness.settle()
    await count_shows(0)
    assert await confirmed() == []
    async with harness.db.transaction() as tx:  # handled again after a crash: nothing more
        await tx.execute("UPDATE inbox SET status = 'pending' WHERE update_id = "
                         "(SELECT max(update_id) FROM inbox)")
    await harness.restart()
    await harness.settle()
    assert await confirmed() == []

    await harness.press(31, GROUP, posted.message_id, posted.buttons[0][1] or "")
    emu.user_reacts(31, GROUP, posted.message_id, ["👍"])
    emu.user_reacts(32, GROUP, posted.message_id, ["👍"])
    emu.user_sends(32, GROUP, "收到", reply_to_message_id=posted.message_id)  # says it too
    await harness.settle()
    emu.user_reacts(31, GROUP, posted.message_id, ["😢"], old=["👍"])
    emu.user_reacts(32, GROUP, posted.message_id, [], old=["👍"])
    await harness.settle()
    assert await confirmed() == [(31, "button"), (32, "reply")]
    await count_shows(2)


async def test_reactions_are_asked_for_and_setup_says_they_need_admin_rights(
    harness: Harness,
) -> None:
    from bot.inbox import ALLOWED_UPDATES

    assert "message_reaction" in ALLOWED_UPDATES
    emu = harness.emu
    emu.add_user(OWNER, "王主任")
    emu.add_group(-300, "7号楼", members=[], admins=[OWNER], bot_admin=False)
    setup = await harness.say(OWNER, -300, "/setup 7号楼", expect="7号楼")
    assert "👍" in setup.text and "管理员" in setup.text
    assert emu.user_reacts(OWNER, -300, setup.message_id, ["👍"]) is None  # not an admin


def keyboard_labels(message: SentMessage) -> list[str]:
    """The labels of a reply keyboard, row by row."""
    markup = message.reply_markup or {}
    return [str(b.get("text", b)) if isinstance(b, dict) else str(b)
            for row in markup.get("keyboard", []) for b in row]


async def test_the_button_menu_fits_each_role_and_a_press_does_what_the_command_does(
    harness: Harness,
) -> None:
    await building(harness, {LI: ""}, resident_started=True)
    resident = await harness.say(ZHANG, ZHANG, "/menu", expect="菜单")
    assert keyboard_labels(resident) == [
        "🆘 求助", "📋 我的求助", "📅 活动", "📢 通知", "隐藏菜单"
    ]
    assert resident.reply_markup is not None and resident.reply_markup.get("is_persistent")
    volunteer = await harness.say(LI, LI, "/menu", expect="菜单")
    assert keyboard_labels(volunteer)[4:8] == ["🙋 待接单", "🗓 值班", "⭐ 积分", "隐藏菜单"]
    owner = await harness.say(OWNER, OWNER, "/menu", expect="菜单")
    assert "✍️ 发通知" in keyboard_labels(owner) and "📊 统计" in keyboard_labels(owner)

    question = await harness.say(ZHANG, ZHANG, "🆘 求助", expect="您需要什么帮助")
    mine = await harness.say(ZHANG, ZHANG, "📋 我的求助")  # a button, not the answer
    assert "您需要什么帮助" not in mine.text
    await harness.say(ZHANG, ZHANG, "灯坏了", reply_to=question.message_id, expect="#1")
    mine = await harness.say(ZHANG, ZHANG, "📋 我的求助", expect="#1")
    assert "灯坏了" in mine.text
    waiting = await harness.say(LI, LI, "🙋 待接单", expect="#1")
    assert "灯坏了" in waiting.text
    await harness.say(OWNER, GROUP, "/notice 周六停电", expect="停电")
    latest = await harness.say(ZHANG, ZHANG, "📢 通知", expect="停电")
    assert "3号楼" in latest.text
    hidden = await harness.say(ZHANG, ZHANG, "隐藏菜单", expect="/menu")
    assert hidden.reply_markup == {"remove_keyboard": True}
    assert await harness.value("SELECT count(*) FROM requests") == 1
    assert await harness.value("SELECT count(*) FROM request_drafts") == 0
    start = await harness.say(ZHANG, ZHANG, "/start")
    assert "🆘 求助" in keyboard_labels(start)


async def test_help_shows_what_each_person_may_do_here_and_the_menus_match(
    harness: Harness,
) -> None:
    from bot.app import menu
    from bot.views.help import USAGE

    assert {item.command for item in menu()} <= set(USAGE)
    await building(harness, {LI: ""}, resident_started=True)
    resident = await harness.say(ZHANG, ZHANG, "/help", expect="您在这里")
    assert "/request" in resident.text and "例如：/request 厨房水龙头漏水" in resident.text
    assert "/claim" not in resident.text and "/notice" not in resident.text
    assert "/setup" not in resident.text
    volunteer = await harness.say(LI, LI, "/help", expect="您在这里")
    assert "<b>志愿者</b>" in volunteer.raw_text and "/claim" in volunteer.text
    assert "/stats" not in volunteer.text
    owner = await harness.say(OWNER, GROUP, "/help", expect="您在这里")
    assert "/notice" in owner.text and "<b>楼栋负责人</b>" in owner.raw_text
    assert "/start" not in owner.text  # a private command, not shown in the group
    in_group = await harness.say(ZHANG, GROUP, "/help", expect="您在这里")
    assert "/notice" not in in_group.text and "/setup" not in in_group.text

    commands = harness.emu.commands
    shared = {c["command"] for c in commands[("all_private_chats", "")]}
    assert "request" in shared and "claim" not in shared and "stats" not in shared
    admins = {c["command"] for c in commands[("all_chat_administrators", "")]}
    assert {"notice", "stats", "setup"} <= admins
    own = {c["command"] for c in commands[(f"chat:{LI}", "")]}
    assert "claim" in own and "stats" not in own  # the volunteer's own chat


async def test_an_unknown_command_names_the_three_likeliest(harness: Harness) -> None:
    await building(harness, {LI: ""}, resident_started=True)
    answer = await harness.say(ZHANG, ZHANG, "/requst", expect="不认识")
    assert "我不认识 /requst" in answer.text
    assert answer.text.count("\n/") == 3 and "/request —" in answer.text
    assert "/claim" not in answer.text  # only what a resident may use
    foo = await harness.say(ZHANG, ZHANG, "/foo", expect="不认识 /foo")
    assert "/help" in foo.text
    before = len(harness.texts(GROUP))
    harness.emu.user_sends(ZHANG, GROUP, "/foo@other_bot")  # for another bot: left alone
    await harness.settle()
    assert len(harness.texts(GROUP)) == before


def test_the_owner_role_has_one_word_in_chinese() -> None:
    from pathlib import Path

    locale = Path(__file__).parents[1] / "bot" / "locale"
    for catalogue in sorted([*locale.glob("zh/*.po"), *locale.glob("zh-Hant/*.po")]):
        assert "群主" not in catalogue.read_text(encoding="utf-8"), catalogue.name


async def test_the_rating_shows_the_score_and_skills_read_as_words_in_the_spreadsheet(
    harness: Harness,
) -> None:
    import io

    from openpyxl import load_workbook

    await building(harness, {LI: ""}, resident_started=True)
    added = await harness.say(OWNER, GROUP, "/volunteer @v11 repair errand", expect="志愿者")
    assert "技能：维修、跑腿代办" in added.text and "repair" not in added.text
    await harness.say(ZHANG, GROUP, "/request 厨房水龙头漏水", expect="#1")
    await harness.say(LI, LI, "/claim 1", expect="#1")
    await harness.say(LI, LI, "/done 1 换了垫圈", expect="#1")
    await harness.settle()
    rating = next(m for m in harness.emu.sent(ZHANG) if "打分" in m.text or "评价" in m.text
                  or any("rate" in (d or "") for _l, d in m.buttons))
    await harness.press(ZHANG, ZHANG, rating.message_id, "requests:rate:1:4")
    await harness.settle()
    shown = harness.emu.message(ZHANG, rating.message_id)
    assert "⭐⭐⭐⭐" in shown.text and "⭐⭐⭐⭐⭐" not in shown.text
    assert shown.buttons == [("❌ 没解决", "requests:reopen:1")]  # the stars go
    assert "请" not in shown.text.split("\n")[-1]  # no longer asks to rate

    waiting = harness.emu.wait_for(
        lambda: any(m.kind == "document" for m in harness.emu.sent(OWNER)), 10,
        what="the spreadsheet",
    )
    harness.emu.user_sends(OWNER, OWNER, "/export")
    await waiting
    document = [m for m in harness.emu.sent(OWNER) if m.kind == "document"][-1]
    assert document.file_bytes is not None
    book = load_workbook(io.BytesIO(document.file_bytes))
    [request] = list(book["求助"].iter_rows(min_row=2, values_only=True))
    history = str(request[14])
    assert "维修" in history and "⭐⭐⭐⭐" in history
    assert "repair" not in history and "duty:" not in history and "all:" not in history
    [volunteer] = list(book["志愿者与积分"].iter_rows(min_row=2, values_only=True))
    assert volunteer[3] == "维修、跑腿代办"


async def test_a_hazard_photo_and_location_become_a_request_the_volunteers_see(
    harness: Harness,
) -> None:
    await building(harness, {LI: ""}, resident_started=True)
    emu = harness.emu
    asked = emu.wait_for_message(ZHANG, "新的求助", 5)
    emu.user_sends_photo(ZHANG, ZHANG, "随手报：三楼楼道电线裸露", album="a1")
    emu.user_sends_photo(ZHANG, ZHANG, None, album="a1")  # the same album: asked once
    question = await asked
    await harness.settle()
    assert sum("新的求助" in text for text in harness.texts(ZHANG)) == 1
    await harness.press(ZHANG, ZHANG, question.message_id, question.buttons[0][1] or "")
    await harness.settle()
    offer = harness.emu.message(ZHANG, question.message_id)
    assert "电线裸露" in offer.text and "✓ 安全隐患" in [label for label, _d in offer.buttons]
    await harness.press(ZHANG, ZHANG, offer.message_id, data_of(offer, "发给志愿者"))
    await harness.settle()
    assert "求助 #1 已登记（安全隐患）" in harness.emu.message(ZHANG, offer.message_id).text

    asked = emu.wait_for_message(ZHANG, "新的求助", 5)
    emu.user_sends_location(ZHANG, ZHANG, 31.2304, 121.4737)  # then where it is
    where = await asked
    assert [label for label, _d in where.buttons][1].startswith("#1")
    await harness.press(ZHANG, ZHANG, where.message_id, where.buttons[1][1] or "")
    await harness.settle()
    assert "已补充到求助 #1" in harness.emu.message(ZHANG, where.message_id).text

    sent = harness.emu.sent(LI)
    kinds = [m.kind for m in sent if m.kind != "text" or "求助 #1" in m.raw_text]
    assert kinds[-4:] == ["text", "photo", "photo", "location"]  # the card, then in order
    photos = [m for m in sent if m.kind == "photo"]
    assert "📎 求助 #1" in (photos[0].caption or "") and "电线裸露" in (photos[0].caption or "")
    assert next(m for m in sent if m.kind == "location").location == {
        "latitude": 31.2304, "longitude": 121.4737}
    rows = await harness.db.fetch_all("SELECT kind, file_id FROM request_media ORDER BY id")
    assert [r[0] for r in rows] == ["photo", "photo", "location"] and rows[0][1]
    mine = await harness.say(ZHANG, ZHANG, "/myrequests", expect="#1")
    assert "📎 3" in mine.text
    details = await harness.press(LI, LI, card(harness, LI).message_id, "requests:details:1")
    await harness.settle()
    assert details == "" and any("附件：照片 ×2, 位置" in t or "附件：照片 ×2、位置" in t
                                 for t in harness.texts(LI))


async def test_a_voice_note_a_long_caption_and_a_stray_button_are_handled(
    harness: Harness,
) -> None:
    await building(harness, {LI: ""}, resident_started=True)
    emu = harness.emu
    asked = emu.wait_for_message(ZHANG, "新的求助", 5)
    emu.user_sends_voice(ZHANG, ZHANG)  # no caption, no request open
    question = await asked
    assert len(question.buttons) == 1  # only «a new request»
    await harness.press(ZHANG, ZHANG, question.message_id, question.buttons[0][1] or "")
    await harness.settle()
    offer = harness.emu.message(ZHANG, question.message_id)
    await harness.press(ZHANG, ZHANG, offer.message_id, data_of(offer, "发给志愿者"))
    await harness.settle()
    assert await harness.value("SELECT text FROM requests") == "🎤"
    assert any(m.kind == "voice" for m in harness.emu.sent(LI))
    forged = await harness.press(LI, LI, question.message_id, "requests:mto:1:1")
    assert "按钮已经失效" in forged  # not their attachment
    asked = emu.wait_for_message(ZHANG, "新的求助", 5)
    emu.user_sends_video(ZHANG, ZHANG, "水" * 3000)
    video_question = await asked
    await harness.press(ZHANG, ZHANG, video_question.message_id,
                        video_question.buttons[1][1] or "")
    await harness.settle()
    videos = [m for m in harness.emu.sent(LI) if m.kind == "video"]
    caption = videos[0].caption or "" if videos else ""
    assert len(caption) <= 1024 and caption.endswith("…")
    harness.emu.add_user(78, "路过的人")
    unknown = await harness.say(78, 78, "/start")
    assert unknown is not None
    waiting = emu.wait_for_message(78, "/request", 5)
    emu.user_sends_photo(78, 78, "看这里")
    await waiting  # no building yet: told how to start; nothing kept
    assert await harness.value("SELECT count(*) FROM request_media WHERE user_id = 78") == 0
