"""/start and /help through the real Application and the emulator."""

from __future__ import annotations

from tests.harness import Harness

ZHANG = 101


async def test_start_in_private_welcomes_and_lets_the_bot_write(harness: Harness) -> None:
    harness.emu.add_user(ZHANG, "张阿姨", username="zhang")
    reply = await harness.say(ZHANG, ZHANG, "/start")
    assert "张阿姨，您好！我是邻里" in reply.text
    assert reply.parse_mode == "HTML"
    await harness.settle()
    assert await harness.value("SELECT started FROM users WHERE id = ?", ZHANG) == 1
    last = await harness.value("SELECT status FROM inbox ORDER BY update_id DESC LIMIT 1")
    assert last == "handled"


async def test_help_lists_the_commands_of_the_chat(harness: Harness) -> None:
    harness.emu.add_user(ZHANG, "Zhang")
    harness.emu.add_group(-500, "3号楼", members=[ZHANG])
    private = await harness.say(ZHANG, ZHANG, "/help")
    group = await harness.say(ZHANG, -500, "/help@linli_bot")
    assert "/start" in private.text and "/help" in private.text
    assert "/setup" in group.text and "/start" not in group.text


async def test_names_are_escaped_in_html_replies(harness: Harness) -> None:
    harness.emu.add_user(ZHANG, "<b>Z&Co</b>")
    reply = await harness.say(ZHANG, ZHANG, "/start")
    assert reply.text.startswith("<b>Z&Co</b>，您好")  # shown as typed, not as markup
    assert "&lt;b&gt;Z&amp;Co&lt;/b&gt;" in reply.raw_text


async def test_each_scopes_command_menu_lists_what_help_allows_there(harness: Harness) -> None:
    from telegram import BotCommandScopeAllChatAdministrators, BotCommandScopeAllGroupChats

    from bot.services.community import Role
    from bot.views.help import allowed

    commands = harness.emu.commands  # what the bot registered with setMyCommands

    def names(scope: str, language: str = "") -> list[str]:
        return [c["command"] for c in commands[(scope, language)]]

    private, group = names("all_private_chats"), names("all_group_chats")
    admins = names("all_chat_administrators")
    assert {"start", "help", "lang", "request", "duty"} <= set(private)
    assert not {"setup", "claim", "notice", "stats"} & set(private)
    assert {"help", "request", "duty", "lang"} <= set(group) and "start" not in group
    for owners_only in ("setup", "volunteer", "notice", "award", "stats", "roster"):
        assert owners_only not in group and owners_only in admins, owners_only
    assert set(group) < set(admins) and "start" not in admins and "claim" in admins
    menu = harness.bot.services.menu
    assert group == [item.command for item in allowed(menu, Role.RESIDENT, private=False)]
    assert admins == [item.command for item in allowed(menu, Role.OWNER, private=False)]
    for scope in ("all_private_chats", "all_group_chats", "all_chat_administrators"):
        assert names(scope, "en") == names(scope)  # the same commands in every language
    english = {c["description"] for c in commands[("all_chat_administrators", "en")]}
    assert "Register this group as a building" in english
    bot = harness.bot.application.bot  # getMyCommands answers per scope, as Telegram does
    shown = await bot.get_my_commands(scope=BotCommandScopeAllGroupChats())
    assert [command.command for command in shown] == group
    shown = await bot.get_my_commands(scope=BotCommandScopeAllChatAdministrators())
    assert [command.command for command in shown] == admins


async def test_the_bot_asks_for_every_update_type_it_handles(harness: Harness) -> None:
    calls = await harness.emu.wait_for(lambda: harness.emu.calls_to("getUpdates"), 5,
                                       what="the first poll")
    call = calls[-1]
    assert set(call.params["allowed_updates"]) >= {"message", "callback_query",
                                                   "my_chat_member", "chat_member"}


async def test_bare_lang_shows_the_language_in_use_with_a_button_for_each(
    harness: Harness,
) -> None:
    harness.emu.add_user(ZHANG, "张阿姨", username="zhang")
    shown = await harness.say(ZHANG, ZHANG, "/lang", expect="这里的语言是中文")
    assert "不认识" not in shown.text
    assert shown.buttons == [
        ("中文", "lang:set:zh"), ("繁體中文", "lang:set:zh-Hant"), ("English", "lang:set:en")
    ]
    assert await harness.press(ZHANG, ZHANG, shown.message_id, "lang:set:en") == (
        "Language set: English."
    )
    assert await harness.value("SELECT language FROM chats WHERE id = ?", ZHANG) == "en"
    again = await harness.say(ZHANG, ZHANG, "/lang", expect="The language here is English")
    assert again.buttons == shown.buttons
    forged = await harness.press(ZHANG, ZHANG, again.message_id, "lang:set:fr")
    assert "Unknown language" in forged
    assert await harness.value("SELECT language FROM chats WHERE id = ?", ZHANG) == "en"


async def test_a_resident_pressing_a_language_button_in_the_group_is_refused(
    harness: Harness,
) -> None:
    harness.emu.add_user(1, "王主任")
    harness.emu.add_user(ZHANG, "张阿姨")
    harness.emu.add_group(-500, "3号楼", members=[ZHANG], admins=[1], bot_admin=True)
    await harness.say(1, -500, "/setup 3号楼", expect="3号楼")
    shown = await harness.say(ZHANG, -500, "/lang", expect="这里的语言是中文")
    refusal = await harness.press(ZHANG, -500, shown.message_id, "lang:set:en")
    assert "只有" in refusal
    assert await harness.value("SELECT language FROM chats WHERE id = -500") is None
