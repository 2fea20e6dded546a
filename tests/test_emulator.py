"""The local Bot API emulator, exercised through PTB's real HTTP and parsing code."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from telegram import (
    Bot,
    ChatMemberAdministrator,
    ChatMemberOwner,
    ChatMemberRestricted,
    ChatPermissions,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

from bot.emulator import BotApiEmulator, EmulatorClient, Faults, RateLimits
from bot.emulator.limits import RateLimiter

TOKEN = "123:abc"
ALICE = 101
BOB = 102
OWNER = 103
GROUP = -100
SUPERGROUP = -1001234567890


@pytest.fixture(autouse=True)
def timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22 warns when it builds RetryAfter unless it may use timedelta (PTB 23 behaviour)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    """A running emulator with three users and one building group."""
    async with BotApiEmulator(token=TOKEN) as emulator:
        emulator.add_user(ALICE, "Alice", username="alice", started=True)
        emulator.add_user(BOB, "Bob")
        emulator.add_user(OWNER, "Wang", username="wang_owner", started=True)
        emulator.add_group(GROUP, "Building 3", members=[ALICE, BOB], creator=OWNER, bot_admin=True)
        yield emulator


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    """A PTB Bot pointed at the emulator, with short timeouts."""
    request = HTTPXRequest(read_timeout=2.0, connect_timeout=2.0)
    async with Bot(TOKEN, base_url=emu.base_url, request=request) as tg_bot:
        yield tg_bot


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    """One row of callback buttons."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data)] for text, data in pairs]
    )


def seconds(error: RetryAfter) -> float:
    """retry_after in seconds, whichever type PTB chose."""
    after = error.retry_after
    return after.total_seconds() if isinstance(after, timedelta) else float(after)


# --- PTB understands every answer -------------------------------------------------------


async def test_ptb_parses_what_the_emulator_answers_for_the_core_methods(
    emu: BotApiEmulator, bot: Bot
) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (7000000001, "linli_bot", True)

    card = await bot.send_message(
        GROUP,
        "<b>Request #1</b> &lt;leaking pipe&gt; — 3-201",
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard(("Claim", "req:claim:1")),
    )
    assert card.text == "Request #1 <leaking pipe> — 3-201"
    assert card.entities[0].type == "bold" and card.entities[0].length == 10
    assert card.reply_markup is not None
    assert card.from_user is not None and card.from_user.id == me.id

    edited = await bot.edit_message_text(
        "Request #1 claimed by Alice", chat_id=GROUP, message_id=card.message_id
    )
    assert isinstance(edited, type(card)) and edited.edit_date is not None
    stored = emu.message(GROUP, card.message_id)
    assert (stored.text, stored.edits, stored.reply_markup) == (
        "Request #1 claimed by Alice",
        1,
        None,
    )

    query_id = emu.user_presses(ALICE, GROUP, card.message_id, "req:claim:1")
    assert await bot.answer_callback_query(query_id, text="Claimed", show_alert=True)
    assert emu.callback_answers[query_id] == ("Claimed", True)

    document = await bot.send_document(
        ALICE, b"id,kind\n1,pipe\n", filename="requests.csv", caption="Export"
    )
    assert document.document is not None
    assert document.document.file_name == "requests.csv"
    assert emu.sent(ALICE)[-1].file_bytes == b"id,kind\n1,pipe\n"

    admins = await bot.get_chat_administrators(GROUP)
    assert isinstance(admins[0], ChatMemberOwner) and admins[0].user.id == OWNER
    assert isinstance(admins[-1], ChatMemberAdministrator) and admins[-1].can_pin_messages

    chat = await bot.get_chat(GROUP)
    assert (chat.title, chat.type) == ("Building 3", "group")
    member = await bot.get_chat_member(GROUP, BOB)
    assert member.status == "member"

    assert await bot.pin_chat_message(GROUP, card.message_id)
    assert emu.message(GROUP, card.message_id).pinned


async def test_a_photo_upload_and_commands_round_trip(emu: BotApiEmulator, bot: Bot) -> None:
    photo = await bot.send_photo(ALICE, b"\x89PNG fake", caption="<i>chart</i>", parse_mode="HTML")
    assert photo.photo and photo.caption == "chart"
    assert emu.sent(ALICE)[-1].kind == "photo"
    assert emu.sent(ALICE)[-1].caption == "chart"

    await bot.set_my_commands(
        [("request", "Ask for help"), ("duty", "Who is on duty")], language_code="en"
    )
    commands = await bot.get_my_commands(language_code="en")
    assert [command.command for command in commands] == ["request", "duty"]
    assert emu.commands[("default", "en")][0]["command"] == "request"


async def test_free_text_that_looks_like_json_stays_a_string(emu: BotApiEmulator, bot: Bot) -> None:
    for text in ("123", "true", "null", '{"a": 1}'):
        message = await bot.send_message(ALICE, text)
        assert message.text == text
    assert [sent.text for sent in emu.sent(ALICE)] == ["123", "true", "null", '{"a": 1}']


# --- updates ---------------------------------------------------------------------------


async def test_long_poll_wakes_on_a_user_message_and_the_offset_confirms_it(
    emu: BotApiEmulator, bot: Bot
) -> None:
    async def later() -> None:
        await asyncio.sleep(0.2)
        emu.user_sends(ALICE, ALICE, "/request@linli_bot the pipe leaks")

    started = time.monotonic()
    sender = asyncio.create_task(later())
    updates = await bot.get_updates(timeout=5, read_timeout=7)
    await sender
    assert time.monotonic() - started < 2.0
    message = updates[0].message
    assert message is not None and message.text == "/request@linli_bot the pipe leaks"
    assert message.entities[0].type == "bot_command" and message.entities[0].length == 18
    assert emu.pending_updates() == 1

    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == ()
    assert emu.pending_updates() == 0


async def test_chat_member_updates_arrive_only_when_asked_for(
    emu: BotApiEmulator, bot: Bot
) -> None:
    emu.add_user(104, "Zhao")
    emu.user_joins(104, GROUP)
    kinds = [_kind(update) for update in await bot.get_updates(timeout=0)]
    assert kinds == ["message"]

    emu.user_leaves(104, GROUP)
    asked = await bot.get_updates(timeout=0, allowed_updates=["message", "chat_member"])
    assert [_kind(update) for update in asked] == ["message", "message", "chat_member"]
    change = asked[-1].chat_member
    assert change is not None and change.new_chat_member.status == "left"

    emu.user_joins(104, GROUP)  # the last list given is remembered
    remembered = await bot.get_updates(offset=asked[-1].update_id + 1, timeout=0)
    assert [_kind(update) for update in remembered] == ["message", "chat_member"]


async def test_chat_member_updates_need_the_bot_to_be_an_admin(
    emu: BotApiEmulator, bot: Bot
) -> None:
    emu.add_group(-300, "Building 7", members=[ALICE], creator=OWNER)
    emu.user_joins(BOB, -300)
    updates = await bot.get_updates(timeout=0, allowed_updates=["message", "chat_member"])
    assert [_kind(update) for update in updates] == ["message"]


async def test_privacy_mode_shows_the_bot_only_commands_and_replies() -> None:
    async with BotApiEmulator(token=TOKEN, privacy_mode=True) as emulator:
        emulator.add_user(ALICE, "Alice")
        emulator.add_group(GROUP, "Building 3", members=[ALICE])
        emulator.user_sends(ALICE, GROUP, "anyone home?")
        emulator.user_sends(ALICE, GROUP, "/duty")
        assert emulator.pending_updates() == 1


def _kind(update: Update) -> str:
    return next(key for key in update.to_dict() if key != "update_id")


async def test_forged_button_press_still_reaches_the_bot(emu: BotApiEmulator, bot: Bot) -> None:
    card = await bot.send_message(GROUP, "Notice", reply_markup=keyboard(("Got it", "ntc:ack:1")))
    emu.user_presses(BOB, GROUP, card.message_id, "ntc:ack:999")
    emu.user_presses(BOB, GROUP, 424242, "req:claim:1")
    updates = await bot.get_updates(timeout=0)
    real, ghost = (update.callback_query for update in updates)
    assert real is not None and real.data == "ntc:ack:999"
    assert real.message is not None and real.message.message_id == card.message_id
    assert ghost is not None and ghost.message is not None and not ghost.message.is_accessible
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("no-such-query")


# --- rate limits and faults ------------------------------------------------------------


async def test_rate_limits_answer_429_with_retry_after_and_are_never_exceeded(
    emu: BotApiEmulator, bot: Bot
) -> None:
    emu.rate_limits = RateLimits(
        global_per_second=30, per_chat_per_second=1, per_group_per_minute=20
    )
    await bot.send_message(ALICE, "first")
    with pytest.raises(RetryAfter) as refused:
        await bot.send_message(ALICE, "second, too soon")
    assert seconds(refused.value) == 1
    assert [sent.text for sent in emu.sent(ALICE)] == ["first"]

    for attempt in range(25):
        with contextlib.suppress(RetryAfter):
            await bot.send_message(GROUP, f"burst {attempt}")
    assert len(emu.sent(GROUP)) == 1  # one a second per chat
    assert emu.stats.rate_limited == 25
    assert emu.max_rate_observed()["per_chat_per_second"] == 1
    assert emu.rate_violations() == [] and emu.stats.violations == 0


async def test_group_limit_counts_edits_and_global_limit_spans_chats(
    emu: BotApiEmulator, bot: Bot
) -> None:
    emu.rate_limits = RateLimits(
        global_per_second=3, per_chat_per_second=None, per_group_per_minute=2
    )
    card = await bot.send_message(GROUP, "v1")
    await bot.edit_message_text("v2", chat_id=GROUP, message_id=card.message_id)
    with pytest.raises(RetryAfter) as refused:
        await bot.edit_message_text("v3", chat_id=GROUP, message_id=card.message_id)
    assert 50 <= seconds(refused.value) <= 60
    assert emu.message(GROUP, card.message_id).text == "v2"

    emu.add_user(105, "Qian", started=True)
    await bot.send_message(ALICE, "a")
    with pytest.raises(RetryAfter):
        await bot.send_message(105, "b")
    assert emu.max_rate_observed()["global_per_second"] == 3
    assert emu.rate_violations() == []


def test_sliding_windows_never_accept_more_than_the_limit() -> None:
    limiter = RateLimiter(RateLimits(global_per_second=30, per_chat_per_second=None))
    refusals = [limiter.acquire(chat_id=n % 7 + 1, now=n * 0.01) for n in range(300)]
    assert limiter.accepted == 90 and limiter.limited == 210
    assert limiter.max_observed()["global_per_second"] == 30
    assert {wait for wait in refusals if wait is not None} == {1}
    assert limiter.exceeded() == [] and limiter.violations == 0

    limiter.limits = RateLimits(global_per_second=10, per_chat_per_second=None)
    assert limiter.exceeded() == ["global_per_second: 30 sends > limit 10"]


async def test_a_second_bot_instance_ends_the_first_ones_long_poll(emu: BotApiEmulator) -> None:
    async with (
        Bot(TOKEN, base_url=emu.base_url) as first,
        Bot(TOKEN, base_url=emu.base_url) as second,
    ):
        waiting = asyncio.create_task(first.get_updates(timeout=5, read_timeout=7))
        await emu.wait_for(lambda: len(emu.calls_to("getUpdates")) == 1)
        assert await second.get_updates(timeout=0) == ()
        with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates request"):
            await waiting


@pytest.mark.parametrize(
    ("kind", "error"),
    [("500", NetworkError), ("timeout", TimedOut), ("drop", NetworkError), ("429", RetryAfter)],
)
async def test_each_fault_kind_raises_the_ptb_error_and_delivers_nothing(
    emu: BotApiEmulator, bot: Bot, kind: str, error: type[Exception]
) -> None:
    emu.faults = Faults(rate=1.0, kinds=(kind,), timeout_seconds=2.0)
    with pytest.raises(error):
        await bot.send_message(ALICE, "lost", read_timeout=0.5)
    assert emu.sent(ALICE) == []
    assert emu.stats.faults_by_kind == {kind: 1}
    emu.user_sends(ALICE, ALICE, "/start")
    assert len(await bot.get_updates(timeout=0)) == 1  # getUpdates is spared by default
    emu.faults = None
    await bot.send_message(ALICE, "delivered")
    assert [sent.text for sent in emu.sent(ALICE)] == ["delivered"]


async def test_seeded_faults_fail_the_same_calls_every_run(emu: BotApiEmulator, bot: Bot) -> None:
    outcomes: list[list[bool]] = []
    for _ in range(2):
        emu.faults = Faults(rate=0.5, kinds=("500",), seed=7, methods={"sendChatAction"})
        run = []
        for _ in range(12):
            try:
                run.append(await bot.send_chat_action(ALICE, "typing"))
            except NetworkError:
                run.append(False)
        outcomes.append(run)
    assert outcomes[0] == outcomes[1] and True in outcomes[0] and False in outcomes[0]
    await bot.send_message(ALICE, "not covered by the methods filter")


# --- Telegram's refusals ---------------------------------------------------------------


async def test_a_group_that_removed_the_bot_is_forbidden(emu: BotApiEmulator, bot: Bot) -> None:
    emu.bot_removed(GROUP, OWNER)
    with pytest.raises(Forbidden, match=r"(?i)bot was kicked from the group chat"):
        await bot.send_message(GROUP, "hello?")
    update = (await bot.get_updates(timeout=0))[-1].my_chat_member
    assert update is not None and update.new_chat_member.status == "kicked"


async def test_users_who_never_started_or_blocked_the_bot_are_forbidden(
    emu: BotApiEmulator, bot: Bot
) -> None:
    with pytest.raises(Forbidden, match=r"(?i)can't initiate conversation"):
        await bot.send_message(BOB, "hi")
    emu.user_sends(BOB, BOB, "/start")
    await bot.send_message(BOB, "welcome")
    emu.user_blocks_bot(BOB)
    with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
        await bot.send_message(BOB, "still there?")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(999, "nobody")


async def test_a_migrated_group_answers_with_the_new_chat_id(emu: BotApiEmulator, bot: Bot) -> None:
    emu.migrate_to_supergroup(GROUP, SUPERGROUP)
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(GROUP, "notice")
    assert migrated.value.new_chat_id == SUPERGROUP
    messages = [update.message for update in await bot.get_updates(timeout=0)]
    assert [m.migrate_to_chat_id for m in messages if m] == [SUPERGROUP, None]
    assert [m.migrate_from_chat_id for m in messages if m] == [None, GROUP]
    await bot.send_message(SUPERGROUP, "notice")
    member = await bot.get_chat_member(SUPERGROUP, ALICE)
    assert member.status == "member"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("x" * 4097, "message is too long"),
        ("", "message text is empty"),
        ("<b>unclosed", "can't parse entities"),
        ("a < b", "can't parse entities"),
        ("R&D", "can't parse entities"),
        ("<script>x</script>", 'Unsupported start tag "script"'),
        ("<b>x</i>", "can't parse entities"),
    ],
)
async def test_bad_text_is_rejected_with_telegrams_reason(
    emu: BotApiEmulator, bot: Bot, text: str, reason: str
) -> None:
    with pytest.raises(BadRequest, match=rf"(?i){reason}"):
        await bot.send_message(ALICE, text, parse_mode=ParseMode.HTML)
    assert emu.sent(ALICE) == []


async def test_html_at_the_limit_counts_visible_characters(bot: Bot) -> None:
    text = "<b>" + "字" * 4096 + "</b>"
    message = await bot.send_message(ALICE, text, parse_mode=ParseMode.HTML)
    assert len(message.text or "") == 4096


async def test_oversized_button_data_and_unchanged_edits_are_refused(
    emu: BotApiEmulator, bot: Bot
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(ALICE, "pick", reply_markup=keyboard(("A", "x" * 65)))
    card = await bot.send_message(ALICE, "pick", reply_markup=keyboard(("A", "a:1")))
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "pick", chat_id=ALICE, message_id=card.message_id, reply_markup=keyboard(("A", "a:1"))
        )
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("gone", chat_id=ALICE, message_id=999)
    await bot.edit_message_reply_markup(ALICE, card.message_id, reply_markup=None)
    assert emu.message(ALICE, card.message_id).buttons == []


async def test_a_location_button_is_sent_in_private_only(emu: BotApiEmulator, bot: Bot) -> None:
    share = ReplyKeyboardMarkup([[KeyboardButton("Where am I", request_location=True)]],
                                one_time_keyboard=True)
    with pytest.raises(BadRequest, match=r"(?i)location can be requested in a private chats"):
        await bot.send_message(GROUP, "share", reply_markup=share)
    phone = ReplyKeyboardMarkup([[KeyboardButton("My number", request_contact=True)]])
    with pytest.raises(BadRequest, match=r"(?i)phone number can be requested in a private"):
        await bot.send_message(GROUP, "share", reply_markup=phone)
    assert emu.sent(GROUP) == []
    sent = await bot.send_message(ALICE, "share", reply_markup=share)
    assert emu.message(ALICE, sent.message_id).reply_markup == share.to_dict()


async def test_pinning_needs_the_pin_right(emu: BotApiEmulator, bot: Bot) -> None:
    notice = await bot.send_message(GROUP, "Water off 9-12")
    emu.set_bot_rights(GROUP, admin=True, can_pin=False)
    with pytest.raises(BadRequest, match=r"(?i)not enough rights to manage pinned messages"):
        await bot.pin_chat_message(GROUP, notice.message_id)
    member = await bot.get_chat_member(GROUP, 7000000001)
    assert isinstance(member, ChatMemberAdministrator) and member.can_pin_messages is False


async def test_the_record_says_which_sends_and_pins_notified_the_members(
    emu: BotApiEmulator, bot: Bot
) -> None:
    quiet = await bot.send_message(GROUP, "Health tip", disable_notification=True)
    loud = await bot.send_message(GROUP, "Gas leak: leave now", disable_notification=False)
    assert emu.message(GROUP, quiet.message_id).silent
    assert not emu.message(GROUP, loud.message_id).silent
    assert emu.message(GROUP, loud.message_id).pin_silent is None
    await bot.pin_chat_message(GROUP, quiet.message_id, disable_notification=True)
    await bot.pin_chat_message(GROUP, loud.message_id, disable_notification=False)
    assert emu.message(GROUP, quiet.message_id).pin_silent is True
    assert emu.message(GROUP, loud.message_id).pin_silent is False


async def test_wrong_token_and_unknown_method_answer_like_telegram(emu: BotApiEmulator) -> None:
    async with httpx.AsyncClient() as client:
        wrong = await client.post(f"{emu.base_url}999:nope/getMe")
        unknown = await client.post(f"{emu.base_url}{TOKEN}/getMeaning")
        json_body = await client.post(
            f"{emu.base_url}{TOKEN}/sendMessage", json={"chat_id": ALICE, "text": "via json"}
        )
        query = await client.get(f"{emu.base_url}{TOKEN}/sendmessage?chat_id={ALICE}&text=42")
    assert (wrong.status_code, wrong.json()["description"]) == (401, "Unauthorized")
    assert unknown.json() == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found: method not found",
    }
    assert json_body.json()["result"]["text"] == "via json"
    assert query.json()["result"]["text"] == "42"
    assert [call.params["text"] for call in emu.calls if call.method == "sendMessage"] == [
        "via json",
        "42",
    ]


# --- the bot's whole loop, and the control API -----------------------------------------


async def test_a_ptb_application_answers_start_and_a_button_through_polling(
    emu: BotApiEmulator,
) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            "欢迎", reply_markup=keyboard(("Help", "start:help:0"))
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer("ok")
        await update.callback_query.edit_message_text("帮助")

    application = Application.builder().token(TOKEN).base_url(emu.base_url).build()
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(pressed, pattern=r"^start:help:\d+$"))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(timeout=1, poll_interval=0)
        emu.user_sends(BOB, BOB, "/start")
        welcome = await emu.wait_for_message(BOB, contains="欢迎")
        assert welcome.buttons == [("Help", "start:help:0")]
        query_id = emu.user_presses(BOB, BOB, welcome.message_id, "start:help:0")
        await emu.wait_for(lambda: emu.message(BOB, welcome.message_id).text == "帮助")
        assert emu.callback_answers[query_id] == ("ok", False)
        await application.updater.stop()
        await application.stop()
    assert emu.pending_updates() == 0


async def test_wait_for_explains_what_it_was_waiting_for(emu: BotApiEmulator, bot: Bot) -> None:
    await bot.send_message(ALICE, "something else")
    with pytest.raises(AssertionError, match=r"(?i)containing 'never'(.|\n)*sendMessage"):
        await emu.wait_for_message(ALICE, contains="never", timeout=0.2)


async def test_the_control_api_and_sync_client_drive_the_emulator(
    emu: BotApiEmulator, bot: Bot
) -> None:
    client = EmulatorClient(emu.url)

    def set_up_and_write() -> str:
        client.add_user(201, "Sun", started=True)
        client.add_group(-200, "Building 5", members=[201], creator=OWNER)
        client.user_sends(201, -200, "/request broken light")
        return client.user_presses(201, -200, 1, "req:claim:1")

    query_id = await asyncio.to_thread(set_up_and_write)
    assert await asyncio.to_thread(client.pending) == 2
    updates = await bot.get_updates(timeout=0)
    assert updates[0].message is not None and updates[0].message.text == "/request broken light"
    assert updates[1].callback_query is not None and updates[1].callback_query.id == query_id

    not_admin = await asyncio.to_thread(client.user_reacts, 201, -200, 1, ["👍"])
    assert not_admin is None  # Telegram sends reactions only to an admin bot
    emu.set_bot_rights(-200, admin=True, can_pin=True)
    await asyncio.to_thread(client.user_reacts, 201, -200, 1, [], old=["👍"])
    updates = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0,
                                    allowed_updates=["message_reaction"])
    changed = updates[-1].message_reaction
    assert changed is not None and changed.user is not None and changed.user.id == 201
    assert [r.emoji for r in changed.old_reaction] == ["👍"] and changed.new_reaction == ()

    await bot.send_message(-200, "<b>#1</b> opened", parse_mode="HTML")
    messages = await asyncio.to_thread(client.messages, -200)
    assert [(m["text"], m["raw_text"]) for m in messages] == [("#1 opened", "<b>#1</b> opened")]
    calls = await asyncio.to_thread(client.calls, "sendMessage")
    assert calls[-1]["params"]["chat_id"] == -200

    await asyncio.to_thread(client.set_faults, 1.0, ("500",))
    with pytest.raises(NetworkError):
        await bot.send_message(-200, "lost")
    await asyncio.to_thread(client.clear_faults)
    stats = await asyncio.to_thread(client.stats)
    assert stats["faults_injected"] == 1 and stats["rate_violations"] == []


async def test_the_control_api_reports_bad_input_as_json(emu: BotApiEmulator) -> None:
    async with httpx.AsyncClient() as client:
        missing = await client.post(f"{emu.url}/_emu/send", json={"user_id": ALICE})
        unknown = await client.post(f"{emu.url}/_emu/teleport", json={})
        pending = await client.get(f"{emu.url}/_emu/pending")
    assert missing.status_code == 400 and "chat_id" in missing.json()["error"]
    assert unknown.status_code == 404
    assert json.loads(pending.text) == {"pending": 0}


async def test_restrict_chat_member_mutes_and_lifts_in_a_supergroup_only(
    emu: BotApiEmulator, bot: Bot
) -> None:
    emu.add_group(SUPERGROUP, "Building 5", supergroup=True, members=[ALICE, BOB],
                  creator=OWNER, bot_admin=True)
    silent = ChatPermissions(can_send_messages=False)
    assert await bot.restrict_chat_member(SUPERGROUP, BOB, silent)
    member = await bot.get_chat_member(SUPERGROUP, BOB)
    assert isinstance(member, ChatMemberRestricted) and not member.can_send_messages
    assert await bot.restrict_chat_member(SUPERGROUP, BOB, ChatPermissions.all_permissions())
    assert (await bot.get_chat_member(SUPERGROUP, BOB)).status == "member"

    with pytest.raises(BadRequest, match=r"(?i)only for supergroups"):
        await bot.restrict_chat_member(GROUP, BOB, silent)
    with pytest.raises(BadRequest, match=r"(?i)chat owner"):
        await bot.restrict_chat_member(SUPERGROUP, OWNER, silent)
    emu.set_bot_rights(SUPERGROUP, admin=False, can_pin=False)
    with pytest.raises(BadRequest, match=r"(?i)not enough rights"):
        await bot.restrict_chat_member(SUPERGROUP, ALICE, silent)
    assert emu.world.chats[SUPERGROUP].status_of(ALICE) == "member"
