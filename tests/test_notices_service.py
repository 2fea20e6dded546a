"""The rules of notices without Telegram: reading the command, confirmations, the batched
count, settling a notice to many groups, and cancelling a scheduled one."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.cards import REFRESH_JOB, LiveCards
from bot.clock import FakeClock
from bot.config import load_settings
from bot.domain.core import Building
from bot.errors import Conflict, InvalidInput, LinliError, NotAllowed, NotFound
from bot.outbox import Outbox
from bot.scheduler import Scheduler
from bot.services.community import Actor, Community
from bot.services.notices import (
    COUNT_EDIT_SECONDS,
    MAX_LENGTH,
    SEND_JOB,
    SETTLE_CHECK_SECONDS,
    SETTLE_JOB,
    NoticeService,
    checked_text,
    read_options,
    take_buildings,
)
from storage.db import Database
from storage.migrate import migrate

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI).timestamp()
OWNER = 10
RESIDENTS = [100, 101, 102]


def building(number: int, name: str) -> Building:
    return Building(id=number, chat_id=-number, name=name)


def refusal(error: LinliError) -> str:
    return error.message.format(**error.params)


# --- reading the command ------------------------------------------------------------------


def test_options_come_in_either_order_and_the_text_keeps_its_lines() -> None:
    pin, send_at, rest = read_options("at 2026-12-01 09:00 pin 停水\n请储水", SHANGHAI, NOW)
    assert pin and rest == "停水\n请储水"
    assert send_at == datetime(2026, 12, 1, 1, 0, tzinfo=ZoneInfo("UTC")).timestamp()
    assert read_options("置顶 明天停水", SHANGHAI, NOW) == (True, None, "明天停水")


def test_at_followed_by_words_is_part_of_the_text() -> None:
    assert read_options("at the meeting we agreed", SHANGHAI, NOW) == (
        False,
        None,
        "at the meeting we agreed",
    )


@pytest.mark.parametrize(
    "written",
    ["at 2026-13-01 09:00 x", "at 2026-12-01 9am x", "at 12-01 09:00 x", "at 2026-02-30 09:00 x"],
)
def test_a_malformed_time_is_refused_with_the_right_form(written: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        read_options(written, SHANGHAI, NOW)
    assert "/notice at 2026-11-24 09:00" in refusal(refused.value)
    assert "Asia/Shanghai" in refusal(refused.value)


def test_a_past_time_is_refused_with_a_future_example() -> None:
    with pytest.raises(InvalidInput) as refused:
        read_options("at 2026-11-23 09:59 晚了", SHANGHAI, NOW)
    assert refusal(refused.value).startswith("2026-11-23 09:59 has already passed")
    assert "/notice at 2026-11-24 09:00" in refusal(refused.value)


def test_buildings_are_named_with_commas_and_may_hold_spaces() -> None:
    known = [building(1, "3号楼"), building(2, "Block 5"), building(3, "Block 50")]
    picked, rest = take_buildings("3号楼，Block 50,block 5 停水 today", known)
    assert [b.name for b in picked] == ["3号楼", "Block 50", "Block 5"]
    assert rest.strip() == "停水 today"


def test_an_unknown_building_is_named_with_the_ones_that_exist() -> None:
    known = [building(1, "3号楼"), building(2, "5号楼")]
    with pytest.raises(NotFound) as refused:
        take_buildings("3号楼,9号楼 停水", known)
    text = refusal(refused.value)
    assert "«9号楼»" in text and "3号楼, 5号楼" in text and "/notice all" in text


def test_empty_and_over_long_notices_are_refused() -> None:
    with pytest.raises(InvalidInput) as empty:
        checked_text("  \n ", private=True, example="2026-11-24 09:00")
    assert "/notice all" in refusal(empty.value)
    assert checked_text("😀" * (MAX_LENGTH // 2), private=False, example="") == "😀" * 2000
    with pytest.raises(InvalidInput) as long:
        checked_text("😀" * (MAX_LENGTH // 2 + 1), private=False, example="")
    assert f"{MAX_LENGTH + 2} characters, at most {MAX_LENGTH}" in refusal(long.value)


# --- with a database ----------------------------------------------------------------------


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[SimpleNamespace]:
    """A NoticeService over a real database, with two buildings and three residents."""
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    settings = load_settings(
        tmp_path / "config.toml",
        telegram={"token": "1:x"},
        database={"path": str(tmp_path / "linli.db")},
    )
    db = await Database.open(tmp_path / "linli.db")
    await migrate(db)
    clock = FakeClock(NOW)
    services = SimpleNamespace(
        settings=settings,
        db=db,
        clock=clock,
        outbox=Outbox(db, clock),
        scheduler=Scheduler(db, clock, 600),
        community=Community(db, clock, settings),
    )
    async with db.transaction() as tx:
        for user in [OWNER, *RESIDENTS]:
            await services.community.users.upsert(tx, user, f"User {user}", None, None, None, NOW)
        await services.community.chats.upsert(tx, OWNER, "private", None, NOW)
        for chat, title in ((-1, "3号楼"), (-2, "5号楼")):
            await services.community.chats.upsert(tx, chat, "group", title, NOW)
    for chat, name in ((-1, "3号楼"), (-2, "5号楼")):
        await services.community.setup(chat, name, OWNER)
        await services.community.store_admins(chat, [OWNER])
    services.cards = LiveCards(db, clock, services.outbox, services.scheduler)
    notices = NoticeService(
        db=db,
        clock=clock,
        config=settings,
        outbox=services.outbox,
        scheduler=services.scheduler,
        community=services.community,
        cards=services.cards,
    )
    services.scheduler.register(SEND_JOB, notices.send_scheduled)
    services.scheduler.register(REFRESH_JOB, services.cards.jobs()[REFRESH_JOB])
    services.scheduler.register(SETTLE_JOB, notices.check_settled)
    yield SimpleNamespace(notices=notices, db=db, clock=clock, services=services)
    await db.close()


async def sent(world: SimpleNamespace, notice_id: int, message_ids: dict[int, int | None]) -> None:
    """Settle the notice's outbox rows as the sender would: sent (with a message id) or failed."""
    rows = await world.services.outbox.repo.by_ref(f"notice:{notice_id}")
    for row in rows:
        if row.status != "pending" or row.method != "sendMessage":
            continue
        message_id = message_ids.get(row.chat_id)
        if message_id is None:
            await world.services.outbox.repo.mark_failed(row.id, "Forbidden: bot was kicked", NOW)
        else:
            await world.services.outbox.repo.mark_sent(message_id, row.id, NOW)


async def value(world: SimpleNamespace, sql: str, *params: Any) -> Any:
    return await world.db.fetch_value(sql, params)


async def post_notice(world: SimpleNamespace, text: str, *, private: bool = True) -> int:
    draft = await world.notices.draft(text, private=private)
    buildings = list(draft.buildings) or (await world.services.community.buildings.all())[:1]
    origin = OWNER if private else buildings[0].chat_id
    notice = await world.notices.create(Actor(OWNER), origin, buildings, draft)
    return int(notice.id)


async def test_a_second_press_is_refused_politely_and_counted_once(world: SimpleNamespace) -> None:
    notice_id = await post_notice(world, "3号楼 停水")
    await sent(world, notice_id, {-1: 500})
    post = await value(world, "SELECT id FROM notice_posts")
    assert await world.notices.confirm(Actor(RESIDENTS[0]), post, -1, 500) == 1
    with pytest.raises(Conflict) as again:
        await world.notices.confirm(Actor(RESIDENTS[0]), post, -1, 500)
    assert "already confirmed" in refusal(again.value)
    assert await world.notices.confirm(Actor(RESIDENTS[1]), post, -1, 500) == 2


async def test_a_withdrawn_thumbs_up_takes_back_only_a_confirmation_it_made_alone(
    world: SimpleNamespace,
) -> None:
    notice_id = await post_notice(world, "3号楼 停水")
    await sent(world, notice_id, {-1: 500})
    post = await value(world, "SELECT id FROM notice_posts")
    reacted, pressed, replied = (Actor(user) for user in RESIDENTS[:3])
    assert await world.notices.confirm_at(reacted, -1, 500, "reaction") == 1
    assert await world.notices.confirm(pressed, post, -1, 500) == 2
    assert await world.notices.confirm_at(replied, -1, 500, "reaction") == 3
    assert await world.notices.confirm_at(replied, -1, 500, "reply") is None  # said it too
    assert await world.notices.withdraw_reaction_at(pressed, -1, 500) is None
    assert await world.notices.withdraw_reaction_at(replied, -1, 500) is None
    assert await world.notices.withdraw_reaction_at(reacted, -1, 501) is None  # no post
    assert await world.notices.withdraw_reaction_at(reacted, -1, 500) == 2
    assert await world.notices.withdraw_reaction_at(reacted, -1, 500) is None  # once
    kept = await world.db.fetch_all("SELECT user_id, confirmed_by FROM notice_confirmations")
    assert {(row[0], row[1]) for row in kept} == {
        (pressed.user_id, "button"), (replied.user_id, "reply")}


async def test_a_button_moved_to_another_message_or_chat_is_refused(world: SimpleNamespace) -> None:
    notice_id = await post_notice(world, "3号楼 停水")
    await sent(world, notice_id, {-1: 500})
    post = await value(world, "SELECT id FROM notice_posts")
    for chat, message in ((-1, 501), (-2, 500)):
        with pytest.raises(InvalidInput):
            await world.notices.confirm(Actor(RESIDENTS[0]), post, chat, message)
    with pytest.raises(InvalidInput):
        await world.notices.confirm(Actor(RESIDENTS[0]), post + 99, -1, 500)
    assert await value(world, "SELECT count(*) FROM notice_confirmations") == 0


async def test_a_burst_of_presses_plans_one_edit_of_the_count_at_a_time(
    world: SimpleNamespace,
) -> None:
    notice_id = await post_notice(world, "3号楼 停水")
    await sent(world, notice_id, {-1: 500})
    post = await value(world, "SELECT id FROM notice_posts")
    await world.notices.confirm(Actor(RESIDENTS[0]), post, -1, 500)
    assert await world.services.scheduler.run_due() == 1  # the first press shows at once
    for user in RESIDENTS[1:]:
        await world.notices.confirm(Actor(user), post, -1, 500)
    assert await value(world, "SELECT count(*) FROM jobs WHERE kind = ?", REFRESH_JOB) == 2
    assert await world.services.scheduler.run_due() == 0  # the rest wait for the interval
    world.clock.advance(COUNT_EDIT_SECONDS)
    assert await world.services.scheduler.run_due() == 1
    edits = await world.db.fetch_all(
        "SELECT payload FROM outbox WHERE method = 'editMessageText' ORDER BY id"
    )
    texts = [json.loads(row[0])["text"] for row in edits]
    assert len(texts) == 2
    assert "已确认：1 人" in texts[0] and "已确认：3 人" in texts[1]


async def test_a_notice_to_two_buildings_settles_once_with_one_summary(
    world: SimpleNamespace,
) -> None:
    notice_id = await post_notice(world, "3号楼,5号楼 停电")
    await sent(world, notice_id, {-1: 500, -2: None})
    for row in await world.services.outbox.repo.by_ref(f"notice:{notice_id}"):
        if row.method == "sendMessage":
            async with world.db.transaction() as tx:
                await world.notices.on_settled(tx, SimpleNamespace(row=row))  # type: ignore[arg-type]
    summaries = await world.db.fetch_all(
        "SELECT payload FROM outbox WHERE chat_id = ? AND kind = 'notice_summary'", (OWNER,)
    )
    assert len(summaries) == 1
    text = json.loads(summaries[0][0])["text"]
    assert text.startswith("通知 #1 已送达 2 个群中的 1 个。")
    assert "• 5号楼：我已经不在那个群里了" in text
    assert await value(world, "SELECT status FROM notices") == "sent"


async def test_a_post_failed_without_a_hook_is_settled_by_the_check_job(
    world: SimpleNamespace,
) -> None:
    notice_id = await post_notice(world, "3号楼 停电")
    await world.services.outbox.repo.fail_pending_for_chat(-1, "the bot was removed", NOW)
    world.clock.advance(SETTLE_CHECK_SECONDS)
    assert await world.services.scheduler.run_due() == 1
    assert await value(world, "SELECT status FROM notices WHERE id = ?", notice_id) == "sent"
    assert await value(world, "SELECT count(*) FROM outbox WHERE kind = 'notice_summary'") == 1


async def test_a_scheduled_notice_is_cancelled_once_and_never_sent(world: SimpleNamespace) -> None:
    notice_id = await post_notice(world, "at 2026-11-23 11:00 置顶 下午停电", private=False)
    assert await value(world, "SELECT status FROM jobs WHERE kind = 'notice.send'") == "pending"
    await world.notices.cancel(Actor(OWNER), notice_id)
    with pytest.raises(Conflict):
        await world.notices.cancel(Actor(OWNER), notice_id)
    assert await value(world, "SELECT status FROM jobs WHERE kind = 'notice.send'") == "cancelled"
    assert await value(world, "SELECT count(*) FROM outbox") == 0


async def test_in_private_options_may_follow_the_buildings(world: SimpleNamespace) -> None:
    draft = await world.notices.draft(
        "5号楼，3号楼 pin at 2026-11-24 08:30 明早\n停水", private=True
    )
    assert [b.name for b in draft.buildings] == ["5号楼", "3号楼"]
    assert draft.pin and draft.text == "明早\n停水"
    assert draft.send_at == datetime(2026, 11, 24, 8, 30, tzinfo=SHANGHAI).timestamp()
    everywhere = await world.notices.draft("at 2026-11-24 08:30 all 明早停水", private=True)
    assert everywhere.to_all and everywhere.send_at == draft.send_at and not everywhere.pin


# --- rights ---------------------------------------------------------------------------------


async def test_a_notice_to_a_building_the_author_does_not_own_is_refused_and_stores_nothing(
    world: SimpleNamespace,
) -> None:
    await world.services.community.store_admins(-2, [RESIDENTS[2]])  # 5号楼 has another owner
    draft = await world.notices.draft("3号楼,5号楼 停电", private=True)
    with pytest.raises(NotAllowed) as refused:
        await world.notices.create(Actor(OWNER), OWNER, list(draft.buildings), draft)
    assert refusal(refused.value).startswith("You are not an owner of 5号楼.")
    in_group = await world.notices.draft("停电", private=False)
    [home] = [b for b in draft.buildings if b.chat_id == -1]
    with pytest.raises(NotAllowed):
        await world.notices.create(Actor(RESIDENTS[0]), -1, [home], in_group)
    assert await value(world, "SELECT count(*) FROM notices") == 0
    assert await value(world, "SELECT count(*) FROM outbox") == 0


async def test_only_an_owner_of_its_buildings_cancels_a_notice_or_sees_who_confirmed_it(
    world: SimpleNamespace,
) -> None:
    notice_id = await post_notice(world, "at 2026-11-23 11:00 下午停电", private=False)
    for attempt in (world.notices.cancel, world.notices.confirmations):
        with pytest.raises(NotAllowed) as refused:
            await attempt(Actor(RESIDENTS[0]), notice_id)
        assert refusal(refused.value).startswith("Only the owners of the buildings notice #1")
    assert await value(world, "SELECT status FROM notices") == "scheduled"
    assert await value(world, "SELECT status FROM jobs WHERE kind = 'notice.send'") == "pending"
    shown = await world.notices.confirmations(Actor(OWNER), notice_id)
    assert (shown.notice_id, shown.people, shown.residents) == (notice_id, [], {"3号楼": 0})


async def test_a_post_whose_delivery_hook_was_lost_still_gets_its_count_edited(
    world: SimpleNamespace,
) -> None:
    notice_id = await post_notice(world, "3号楼 停水")
    await sent(world, notice_id, {-1: 500})  # marked sent, but no hook told the card
    assert await value(world, "SELECT message_id FROM cards WHERE kind = 'notice_post'") is None
    post = await value(world, "SELECT id FROM notice_posts")
    await world.notices.confirm(Actor(RESIDENTS[0]), post, -1, 500)
    assert await value(world, "SELECT message_id FROM cards WHERE kind = 'notice_post'") == 500
    assert await world.services.scheduler.run_due() == 1
    edit = await value(world, "SELECT payload FROM outbox WHERE method = 'editMessageText'")
    assert json.loads(edit)["message_id"] == 500 and "已确认：1 人" in json.loads(edit)["text"]
