"""Anonymous reports, end to end: a resident sends a dispute or a safety report without
their name; volunteers and owners read «一位3号楼的居民» everywhere, the group sees nothing
of it, the rating still works, and only a community admin can look the name up with
/whois, each look-up logged."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from bot.emulator import SentMessage
from bot.reports.month import Month
from bot.services.requests import split_anonymous
from bot.services.stats import report_key
from tests.harness import ADMIN_ID, Harness
from tests.test_requests import GROUP, LI, OWNER, WANG, ZHANG, building, card, cards_arrive
from tests.test_stats import newest

LAST_NAME = "陈秀兰"
SECRETS = ("张阿姨", LAST_NAME, "zhang", "3-502")  # first name, last name, username, flat
ANONYMOUS = "一位3号楼的居民"
WATCHED = (LI, WANG, OWNER, GROUP)  # the volunteers, the owner and the group


async def neighbourhood(harness: Harness, volunteers_started: bool = True) -> dict[int, int]:
    """3号楼 with 小李 and 老王, 张阿姨 陈秀兰 (who started the bot, flat 3-502) and a
    community admin; returns how many messages each watched chat had before the report."""
    harness.emu.add_user(ADMIN_ID, "社区管理员", started=True)
    await harness.say(ADMIN_ID, ADMIN_ID, "/start")
    await building(harness, {LI: "", WANG: ""}, started=volunteers_started,
                   resident_started=True)
    harness.emu.add_user(ZHANG, "张阿姨", username="zhang", last_name=LAST_NAME, started=True)
    await harness.say(ZHANG, ZHANG, "/start")  # the bot learns the last name
    services = harness.bot.services
    place = await services.community.building_of_chat(GROUP)
    async with harness.db.transaction() as tx:
        await services.requests.flats.record_flat(tx, place.id, ZHANG, "3-502", "张阿姨",
                                                  harness.clock.now())
    await harness.settle()
    return {chat: len(harness.emu.sent(chat)) for chat in WATCHED}


def delivered_since(harness: Harness, before: dict[int, int]) -> list[str]:
    """Everything the bot delivered to the volunteers, the owner and the group since: texts,
    raw HTML and button labels."""
    found = []
    for chat in WATCHED:
        for message in harness.emu.sent(chat)[before[chat]:]:
            found += [message.text, message.raw_text, *(label for label, _ in message.buttons)]
    return found


def assert_no_name(texts: list[str]) -> None:
    leaks = [(secret, text) for text in texts for secret in SECRETS if secret in text]
    assert not leaks, leaks


async def offer_without_name(harness: Harness, words: str) -> SentMessage:
    """The resident writes plain words in private and presses «Don't show my name»."""
    offer = await harness.say(ZHANG, ZHANG, words, expect="求助")
    draft = await harness.value("SELECT max(id) FROM request_drafts")
    assert ("🙈 不显示我的名字", f"requests:anon:{draft}:dispute:1") in offer.buttons
    await harness.press(ZHANG, ZHANG, offer.message_id, f"requests:anon:{draft}:dispute:1")
    await harness.settle()
    toggled = harness.emu.message(ZHANG, offer.message_id)
    assert ("✓ 🙈 已隐藏我的名字", f"requests:anon:{draft}:dispute:0") in toggled.buttons
    assert "志愿者不会看到您的名字" in toggled.text
    assert await harness.value("SELECT anonymous FROM request_drafts WHERE id = ?", draft) == 1
    return toggled


async def test_an_anonymous_dispute_is_seen_by_no_one_but_the_admin_who_looks_it_up(
    harness: Harness,
) -> None:
    before = await neighbourhood(harness)
    offer = await offer_without_name(harness, "楼上每天半夜很吵，影响休息")
    draft = await harness.value("SELECT max(id) FROM request_drafts")
    await harness.press(ZHANG, ZHANG, offer.message_id, f"requests:confirm:{draft}:dispute")
    await harness.settle()
    confirmed = harness.emu.message(ZHANG, offer.message_id).text
    assert "求助 #1 已登记（邻里纠纷）" in confirmed and f"志愿者只看到「{ANONYMOUS}」" in confirmed
    assert await harness.value("SELECT anonymous FROM requests WHERE id = 1") == 1
    await cards_arrive(harness, [LI, WANG])
    assert f"求助人：{ANONYMOUS}" in card(harness, WANG).text

    details = harness.emu.wait_for_message(WANG, "求助 #1")
    await harness.press(WANG, WANG, card(harness, WANG).message_id, "requests:details:1")
    assert f"{ANONYMOUS} 发起求助" in (await details).text
    listed = await harness.say(WANG, WANG, "/open", expect="#1")
    assert "楼上每天半夜很吵" in listed.text
    in_group = await harness.say(WANG, GROUP, "/open")
    assert "#1" not in in_group.text  # the group sees nothing of it
    status = await harness.say(LI, LI, "/status 1", expect="#1")
    assert f"{ANONYMOUS} 发起求助" in status.text
    assert "状态：已受理" in (await harness.say(OWNER, OWNER, "/status 1", expect="#1")).text
    hidden = await harness.say(ZHANG, GROUP, "/status 1", expect="#1")
    assert "不在群里显示" in hidden.text and "邻里纠纷" not in hidden.text
    mine = await harness.say(ZHANG, GROUP, "/myrequests")
    assert "#1" not in mine.text

    await harness.say(LI, LI, "/claim 1", expect="您接下了 #1")
    await harness.emu.wait_for_message(ZHANG, "小李 已接下您的求助 #1")
    await harness.say(LI, LI, "/done 1 已经和楼上沟通", expect="已完成")
    done = await harness.emu.wait_for_message(ZHANG, "已完成")
    assert "已经和楼上沟通" in done.text  # the resident hears in private and rates there
    assert "感谢您为 #1 打分" in await harness.press(ZHANG, ZHANG, done.message_id,
                                                  "requests:rate:1:4")
    assert await harness.value("SELECT rating FROM requests WHERE id = 1") == 4
    await harness.settle()
    details = harness.emu.wait_for_message(OWNER, "求助 #1")
    await harness.press(OWNER, OWNER, harness.emu.sent(OWNER)[0].message_id,
                        "requests:details:1")  # an owner gets no card here: from any message
    assert f"{ANONYMOUS} 评分 4⭐" in (await details).text

    await harness.say(OWNER, OWNER, "/export", expect="数据")
    document = newest(harness, OWNER, "document")
    assert document.file_bytes is not None
    book = load_workbook(io.BytesIO(document.file_bytes))
    [row] = list(book["求助"].iter_rows(min_row=2, values_only=True))
    assert row[4] == "🙈 匿名" and row[5] == "小李"
    assert f"已评价 · {ANONYMOUS}" in row[14]
    cells = [str(value) for sheet in book for line in sheet.iter_rows(values_only=True)
             for value in line if value is not None]
    assert_no_name(cells)
    assert_no_name(delivered_since(harness, before))

    refused = await harness.say(LI, LI, "/whois 1", expect="社区管理员")
    assert "只有社区管理员可以查看" in refused.text
    refused = await harness.say(OWNER, OWNER, "/whois 1", expect="社区管理员")
    assert "只有社区管理员可以查看" in refused.text
    assert await harness.value("SELECT count(*) FROM request_identity_lookups") == 0
    first = await harness.say(ADMIN_ID, ADMIN_ID, "/whois 1", expect="#1")
    assert f"张阿姨 {LAST_NAME} @zhang (3-502)" in first.text
    assert first.text.count("社区管理员") == 1  # one look-up so far: this one
    again = await harness.say(ADMIN_ID, ADMIN_ID, "/whois 1", expect="#1")
    assert again.text.count("• ") == 2
    logged = await harness.db.fetch_all("SELECT request_id, admin_id FROM request_identity_lookups")
    assert [tuple(r) for r in logged] == [(1, ADMIN_ID), (1, ADMIN_ID)]
    unknown = await harness.say(ADMIN_ID, ADMIN_ID, "/whois 99", expect="99")
    assert "没有 #99 号求助" in unknown.text
    in_group = await harness.say(ADMIN_ID, GROUP, "/whois 1", expect="私聊")
    assert "张阿姨" not in in_group.text
    assert await harness.value("SELECT count(*) FROM request_identity_lookups") == 2
    assert_no_name(delivered_since(harness, before))


async def test_a_named_request_has_no_whois_and_another_category_no_toggle(
    harness: Harness,
) -> None:
    await neighbourhood(harness)
    offer = await harness.say(ZHANG, ZHANG, "厨房水龙头漏水了", expect="求助")
    draft = await harness.value("SELECT max(id) FROM request_drafts")
    assert not any(data.startswith("requests:anon:") for _label, data in offer.buttons)
    forged = await harness.press(ZHANG, ZHANG, offer.message_id,
                                 f"requests:anon:{draft}:repair:1")
    assert "只有邻里纠纷和安全隐患可以匿名发送" in forged
    assert await harness.value("SELECT anonymous FROM request_drafts WHERE id = ?", draft) == 0
    await harness.press(ZHANG, ZHANG, offer.message_id, f"requests:confirm:{draft}:repair")
    await cards_arrive(harness, [LI])
    assert "张阿姨" in card(harness, LI).text
    answer = await harness.say(ADMIN_ID, ADMIN_ID, "/whois 1", expect="#1")
    assert "#1 不是匿名求助" in answer.text
    assert await harness.value("SELECT count(*) FROM request_identity_lookups") == 0


async def test_a_toggle_left_on_does_not_follow_the_offer_to_another_category(
    harness: Harness,
) -> None:
    await neighbourhood(harness)
    offer = await offer_without_name(harness, "楼道里邻居堆满了杂物，吵过好几次")
    draft = await harness.value("SELECT max(id) FROM request_drafts")
    await harness.press(ZHANG, ZHANG, offer.message_id, f"requests:offer:{draft}:other")
    await harness.settle()
    redrawn = harness.emu.message(ZHANG, offer.message_id)
    assert not any(data.startswith("requests:anon:") for _label, data in redrawn.buttons)
    await harness.press(ZHANG, ZHANG, offer.message_id, f"requests:confirm:{draft}:other")
    await cards_arrive(harness, [LI])
    assert await harness.value("SELECT anonymous FROM requests WHERE id = 1") == 0


async def test_request_with_the_word_anonymous_in_the_group_is_answered_in_private_only(
    harness: Harness,
) -> None:
    before = await neighbourhood(harness, volunteers_started=False)
    told = harness.emu.wait_for_message(ZHANG, "#1")
    harness.emu.user_sends(ZHANG, GROUP, "/request 纠纷 匿名 楼上天天深夜装修")
    answer = await told
    assert "求助 #1 已登记（邻里纠纷）" in answer.text and ANONYMOUS in answer.text
    await harness.settle()
    stored = await harness.db.fetch_one("SELECT category, text, anonymous FROM requests")
    assert tuple(stored) == ("dispute", "楼上天天深夜装修", 1)
    # The volunteers never started the bot: the owners hear of it, the group does not.
    assert any("小李 还没有打开与我的私聊" in text for text in harness.texts(OWNER))
    assert len(harness.emu.sent(GROUP)) == before[GROUP]
    deleted = await harness.value(
        "SELECT status FROM outbox WHERE kind = 'request_hide' AND method = 'deleteMessage'"
    )
    assert deleted == "sent"  # the message it was asked in is gone from the group
    assert_no_name(delivered_since(harness, before))


async def test_the_word_anonymous_is_refused_on_a_repair_and_needs_a_private_chat(
    harness: Harness,
) -> None:
    await neighbourhood(harness)
    refused = await harness.say(ZHANG, ZHANG, "/request 匿名 维修 水管漏了", expect="匿名")
    assert "只有邻里纠纷和安全隐患可以匿名发送" in refused.text
    refused = await harness.say(ZHANG, ZHANG, "/request 匿名 水管漏了", expect="匿名")
    assert "只有邻里纠纷和安全隐患可以匿名发送" in refused.text  # guessed: a repair
    harness.emu.add_user(77, "新邻居")  # never opened a chat with the bot
    harness.emu.user_sends(77, GROUP, "大家好")
    await harness.settle()
    refused = await harness.say(77, GROUP, "/request 匿名 纠纷 楼上太吵", expect="私聊")
    assert "要匿名发送，请先私聊我" in refused.text
    assert await harness.value("SELECT count(*) FROM requests") == 0
    answer = await harness.say(ZHANG, ZHANG, "/request 安全隐患 匿名 三楼电线冒烟", expect="#1")
    assert ANONYMOUS in answer.text
    assert await harness.value("SELECT anonymous FROM requests WHERE id = 1") == 1


async def test_a_fixed_anonymous_hazard_pays_its_reporter_without_naming_the_number(
    harness: Harness,
) -> None:
    await neighbourhood(harness)
    await harness.say(ZHANG, ZHANG, "/request 匿名 安全隐患 楼道电线裸露", expect="#1")
    await cards_arrive(harness, [LI])
    await harness.say(LI, LI, "/claim 1", expect="#1")
    await harness.say(LI, LI, "/done 1", expect="#1")
    ledger = await harness.db.fetch_all("SELECT reason, source FROM ledger WHERE user_id = ?",
                                        (ZHANG,))
    assert [tuple(r) for r in ledger] == [("hazard_reported", "hazard:1:anonymous")]
    statement = await harness.say(ZHANG, ZHANG, "/points", expect="积分")
    assert "#1" not in statement.text


async def test_the_monthly_report_to_the_admins_names_no_anonymous_resident(
    harness: Harness,
) -> None:
    await neighbourhood(harness)
    before = len(harness.emu.sent(ADMIN_ID))
    await harness.say(ZHANG, ZHANG, "/request 匿名 纠纷 楼下停车总是堵住单元门", expect="#1")
    await harness.say(LI, LI, "/claim 1", expect="#1")
    await harness.say(LI, LI, "/done 1", expect="#1")
    month = Month.of(harness.clock.now(), harness.settings.community.tz)
    scheduler = harness.bot.services.scheduler
    job = await scheduler.repo.get(report_key(month))
    assert job is not None
    harness.clock.advance(job.due_at - harness.clock.now() + 60)
    await scheduler.run_due()
    await harness.settle(timeout=20)
    report = harness.emu.sent(ADMIN_ID)[before:]
    assert any(f"{month.key} 数据" in m.text for m in report)
    assert_no_name([m.text for m in report])
    for message in report:
        if message.file_name and message.file_name.endswith(".xlsx") and message.file_bytes:
            book = load_workbook(io.BytesIO(message.file_bytes))
            assert_no_name([str(v) for sheet in book for line in sheet.iter_rows(values_only=True)
                            for v in line if v is not None])


def test_the_word_for_no_name_comes_first_or_right_after_the_category() -> None:
    assert split_anonymous("匿名 纠纷 楼上太吵") == (True, "纠纷 楼上太吵")
    assert split_anonymous("纠纷 匿名 楼上太吵") == (True, "dispute 楼上太吵")
    assert split_anonymous("Anonymous: safety the wires smoke") == (True, "safety the wires smoke")
    assert split_anonymous("纠纷 楼上太吵") == (False, "纠纷 楼上太吵")
    assert split_anonymous("匿名信塞满了信箱") == (False, "匿名信塞满了信箱")  # a word, not 匿名
    assert split_anonymous("楼上太吵 匿名") == (False, "楼上太吵 匿名")
