"""Traditional Chinese and each person's own language, end to end through the emulator."""

from __future__ import annotations

from pathlib import Path

from bot.emulator import BotApiEmulator
from tests.harness import Harness, settings_for
from tests.test_requests import GROUP, LI, OWNER, ZHANG, ask, building

HK, TW, EN, FR = 201, 202, 203, 204


async def test_a_private_chat_starts_in_the_persons_telegram_language(harness: Harness) -> None:
    emu = harness.emu
    emu.add_user(HK, "陳太", language_code="zh-hk")
    emu.add_user(TW, "林先生", language_code="zh-hant")
    emu.add_user(EN, "Ann", language_code="en-GB")
    emu.add_user(FR, "Luc", language_code="fr")
    assert "陳太，您好！我是鄰里" in (await harness.say(HK, HK, "/start")).text
    assert "傳送 /help 查看我能做什麼" in (await harness.say(TW, TW, "/start")).text
    assert "Hello, Ann!" in (await harness.say(EN, EN, "/start")).text
    assert "Luc，您好！我是邻里" in (await harness.say(FR, FR, "/start")).text  # the default
    assert await harness.value("SELECT language FROM chats WHERE id = ?", HK) is None


async def test_lang_in_private_is_the_persons_and_the_group_keeps_its_own(
    harness: Harness,
) -> None:
    emu = harness.emu
    emu.add_user(OWNER, "王主任", language_code="zh-hans")
    emu.add_group(GROUP, "3号楼", members=[], admins=[OWNER], bot_admin=True)
    await harness.say(OWNER, GROUP, "/setup 3号楼", expect="3号楼")
    answer = await harness.say(OWNER, OWNER, "/lang zh-hant")
    assert answer.text == "語言已設為繁體中文。"
    assert await harness.value("SELECT language FROM chats WHERE id = ?", OWNER) == "zh-Hant"
    await harness.say(OWNER, OWNER, "/roster add mon 18:00-22:00")
    assert "週一 18:00–22:00：暫無人員" in (await harness.say(OWNER, OWNER, "/roster")).text
    shown = await harness.say(OWNER, GROUP, "/lang")
    assert "这里的语言是中文" in shown.text  # the group is not the person
    refused = await harness.say(OWNER, OWNER, "/lang klingon")
    assert "不認識這種語言" in refused.text
    assert await harness.value("SELECT language FROM chats WHERE id = ?", OWNER) == "zh-Hant"


async def test_a_volunteers_card_and_the_residents_receipts_are_in_their_own_language(
    harness: Harness,
) -> None:
    await building(harness, {LI: ""}, resident_started=True)
    await harness.say(LI, LI, "/lang zh-hant", expect="繁體中文")
    await harness.say(ZHANG, ZHANG, "/lang en", expect="English")
    answer = await ask(harness, "厨房水龙头漏水了")
    assert "求助 #1 已登记" in answer.text  # answered in the group, in the group's language
    await harness.settle()
    sent = [m for m in harness.emu.sent(LI) if "求助 #1</b>" in m.raw_text and m.buttons]
    assert sent and "類別：維修" in sent[-1].text, harness.texts(LI)
    assert sent[-1].buttons[0] == ("🙋 接單", "requests:claim:1")
    await harness.press(LI, LI, sent[-1].message_id, "requests:claim:1")
    await harness.settle()
    assert any("has taken your request #1" in text for text in harness.texts(ZHANG)), (
        harness.texts(ZHANG)
    )


async def test_a_community_in_traditional_chinese(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    community = Harness(
        emulator, settings_for(emulator, tmp_path, community={"language": "zh-hant"})
    )
    assert community.settings.community.language == "zh-Hant"
    await community.start()
    try:
        emulator.add_user(OWNER, "王主任", language_code=None)
        emulator.add_group(GROUP, "3號樓", members=[], admins=[OWNER], bot_admin=True)
        setup = await community.say(OWNER, GROUP, "/setup 3號樓")
        assert "本群已登記為樓棟「3號樓」" in setup.text
        help_text = await community.say(OWNER, OWNER, "/help")
        assert "您在這裡可以做的事" in help_text.text  # the help that fits the person
        assert "負責人" in help_text.text
        menus = emulator.commands
        assert "zh-Hant" not in {language for _scope, language in menus}  # not a menu code
        chinese = {c["description"] for c in menus[("all_private_chats", "zh")]}
        assert "選擇語言：/lang zh-hant、/lang zh 或 /lang en" in chinese
    finally:
        await community.stop()
