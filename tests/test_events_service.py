"""The rules of events without Telegram: reading the form, the list and its waitlist,
the race for the last place, batched list edits, cancellation, attendance and the form."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from telegram import Bot

from bot.app import build_services
from bot.clock import FakeClock
from bot.config import load_settings
from bot.context import Services
from bot.domain.core import Building
from bot.domain.events import Event
from bot.errors import Conflict, InvalidInput, NotAllowed
from bot.i18n import translator
from bot.services.community import Actor
from bot.services.events import (
    EventForm,
    parse_building_names,
    parse_event_line,
    split_targets,
)
from bot.services.people import Person, Place
from bot.services.prompts import expiry_key
from storage.db import Database, Transaction
from storage.migrate import migrate
from tests.delivery import deliver

TOKEN = "1:unit-tests"
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)  # a Friday morning
GROUP = -100
OWNER, ZHANG, LI, WANG, CHEN = 1, 11, 12, 13, 14


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    db = await Database.open(tmp_path / "linli.db")
    await migrate(db)
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    settings = load_settings(
        tmp_path / "config.toml", require_token=False, database={"path": str(tmp_path / "x.db")}
    )
    clock = FakeClock(NOW)
    built = build_services(settings, clock, db, Bot(TOKEN))  # the bot is never called
    try:
        yield built
    finally:
        await db.close()


async def building(services: Services) -> Building:
    people = services.people
    for user_id, name in ((OWNER, "Owner"), (ZHANG, "Zhang"), (LI, "Li"), (WANG, "Wang"),
                          (CHEN, "Chen")):
        await people.seen(Person(user_id, name), Place(user_id, "private"))
    await people.seen(None, Place(GROUP, "supergroup", "3号楼"))
    await people.started(ZHANG)
    place = (await services.community.setup(GROUP, "3号楼", OWNER)).building
    await services.community.store_admins(GROUP, [OWNER])  # the group's Telegram admin
    for user_id in (LI, WANG, CHEN):  # who may help out
        volunteer = await services.users.get(user_id)
        assert volunteer is not None
        await services.community.add_volunteer(place, volunteer, [])
    return place


async def version_9_community(tx: Transaction) -> None:
    """3号楼 (its owner, three volunteers) and 5号楼, written as the schema of version 9 holds
    them: today's repositories write columns that came later."""
    now = NOW.timestamp()
    for user_id, name in ((OWNER, "Owner"), (ZHANG, "Zhang"), (LI, "Li"), (WANG, "Wang"),
                          (CHEN, "Chen")):
        await tx.execute(
            "INSERT INTO users (id, first_name, started, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?)", (user_id, name, int(user_id == ZHANG), now, now))
    for building_id, chat_id, name in ((1, GROUP, "3号楼"), (2, -200, "5号楼")):
        await tx.execute("INSERT INTO chats (id, type, title, created_at, updated_at) "
                         "VALUES (?, 'supergroup', ?, ?, ?)", (chat_id, name, now, now))
        await tx.execute("INSERT INTO buildings (id, chat_id, name, created_by, created_at, "
                         "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                         (building_id, chat_id, name, OWNER, now, now))
        await tx.execute("INSERT INTO chat_admins (chat_id, user_id, fetched_at) VALUES (?, ?, ?)",
                         (chat_id, OWNER, now))
    for user_id in (LI, WANG, CHEN):
        await tx.execute("INSERT INTO members (building_id, user_id, volunteer, joined_at) "
                         "VALUES (1, ?, 1, ?)", (user_id, now))


def at(day: int, hour: int, minute: int = 0) -> float:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI).timestamp()


async def post(services: Services, place: Building, **fields: Any) -> Event:
    form = EventForm(title="Health check", starts_at=at(25, 9), place="Hall", **fields)
    return await services.events.create(Actor(OWNER), [place], form)


async def outbox(services: Services, kind: str) -> list[tuple[int, dict[str, Any]]]:
    rows = await services.db.fetch_all(
        "SELECT chat_id, payload FROM outbox WHERE kind = ? ORDER BY id", (kind,)
    )
    return [(row[0], json.loads(row[1])) for row in rows]


async def delivered(services: Services, message_ids: dict[int, int]) -> None:
    """Play the outbox sender: the event's pending posts arrive with these message ids."""
    await deliver(services, "event_card", lambda row: message_ids[row.chat_id])


# --- reading the one-line form --------------------------------------------------------------


def test_one_line_form_is_read_in_the_community_time_zone() -> None:
    form = parse_event_line(
        "2026-12-05 09:00 | Health check | Community hall | 40 | 2 | Bring | your card",
        NOW.timestamp(),
        SHANGHAI,
    )
    assert form.starts_at == datetime(2026, 12, 5, 1, 0, tzinfo=ZoneInfo("UTC")).timestamp()
    assert (form.title, form.place, form.capacity, form.helpers) == (
        "Health check", "Community hall", 40, 2)
    assert form.description == "Bring | your card"
    short = parse_event_line("12-05 9:00 | Clean-up | Yard", NOW.timestamp(), SHANGHAI)
    assert (short.capacity, short.helpers, short.description) == (None, 0, "")
    assert short.starts_at == form.starts_at


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("2026-11-01 09:00 | Health check | Hall", "has already passed"),
        ("2026-12-05 09:00 | Health check | Hall | 0", "number of places"),
        ("2026-12-05 09:00 | Health check | Hall | forty", "number of places"),
        ("2026-12-05 09:00 |  | Hall | 40", "needs a title"),
        ("2026-12-05 09:00 | Health check", "at least a time, a title and a place"),
        ("tomorrow | Health check | Hall", "could not read the time"),
        ("2026-02-30 09:00 | Health check | Hall", "could not read the time"),
        ("2026-12-05 09:00 | Health check | Hall | 40 | -1", "number of helpers"),
    ],
)
def test_bad_one_line_forms_say_what_is_wrong(line: str, says: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_event_line(line, NOW.timestamp(), SHANGHAI)
    assert says in refused.value.message


def test_a_building_list_comes_before_the_time_in_private() -> None:
    assert split_targets("3号楼,5号楼 | 2026-12-05 09:00 | Tea | Hall") == (
        "3号楼,5号楼", "2026-12-05 09:00 | Tea | Hall")
    assert split_targets("2026-12-05 09:00 | Tea | Hall") == (None, "2026-12-05 09:00 | Tea | Hall")
    assert split_targets("all") == ("all", "")
    assert parse_building_names("3号楼，5号楼、7号楼") == ["3号楼", "5号楼", "7号楼"]
    assert parse_building_names("all") is None


# --- the list -------------------------------------------------------------------------------


async def test_two_people_racing_for_the_last_place_get_one_place_and_one_waitlist_spot(
    services: Services,
) -> None:
    place = await building(services)
    event = await post(services, place, capacity=2)
    await services.events.join(Actor(ZHANG), event.id, place, "guest")
    outcomes = await asyncio.gather(
        services.events.join(Actor(LI), event.id, place, "guest"),
        services.events.join(Actor(WANG), event.id, place, "guest"),
    )
    assert sorted((o.status, o.position) for o in outcomes) == [("going", 2), ("waiting", 1)]
    going = await services.db.fetch_value(
        "SELECT count(*) FROM event_signups WHERE event_id = ? AND status = 'going'", (event.id,)
    )
    assert going == 2


async def test_a_double_press_never_signs_up_twice(services: Services) -> None:
    place = await building(services)
    event = await post(services, place)
    await services.events.join(Actor(ZHANG), event.id, place, "guest")
    with pytest.raises(Conflict):
        await services.events.join(Actor(ZHANG), event.id, place, "guest")
    count = await services.db.fetch_value("SELECT count(*) FROM event_signups")
    assert count == 1


async def test_leaving_moves_the_first_on_the_waitlist_up_and_tells_them(
    services: Services,
) -> None:
    place = await building(services)
    event = await post(services, place, capacity=1)
    for user_id in (LI, ZHANG, WANG):  # Zhang (started the bot) waits first, Wang second
        await services.events.join(Actor(user_id), event.id, place, "guest")
    outcome = await services.events.leave(Actor(LI), event.id, place)
    assert outcome.promoted is not None and outcome.promoted.user.id == ZHANG
    [(chat, note)] = await outbox(services, "event_promoted")
    assert chat == ZHANG and "Health check" in note["text"]
    statuses = await services.db.fetch_all(
        "SELECT user_id, status FROM event_signups ORDER BY id"
    )
    assert [tuple(row) for row in statuses] == [(ZHANG, "going"), (WANG, "waiting")]
    await services.events.leave(Actor(ZHANG), event.id, place)  # Wang never started the bot
    [(chat, mention)] = await outbox(services, "event_group_note")
    assert chat == GROUP and f'tg://user?id={WANG}' in mention["text"]


async def test_a_waiting_person_who_leaves_moves_nobody_up(services: Services) -> None:
    place = await building(services)
    event = await post(services, place, capacity=1)
    for user_id in (LI, ZHANG, WANG):
        await services.events.join(Actor(user_id), event.id, place, "guest")
    outcome = await services.events.leave(Actor(ZHANG), event.id, place)
    assert outcome.promoted is None
    assert await outbox(services, "event_promoted") == []


async def test_helpers_have_their_own_places(services: Services) -> None:
    place = await building(services)
    event = await post(services, place, capacity=1, helpers=1)
    assert (await services.events.join(Actor(ZHANG), event.id, place, "guest")).status == "going"
    assert (await services.events.join(Actor(LI), event.id, place, "helper")).status == "going"
    assert (await services.events.join(Actor(WANG), event.id, place, "helper")).status == "waiting"
    without = await post(services, place)
    with pytest.raises(InvalidInput):
        await services.events.join(Actor(CHEN), without.id, place, "helper")


async def test_sign_up_closes_when_the_event_starts(services: Services) -> None:
    place = await building(services)
    event = await post(services, place)
    services.clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI))  # type: ignore[attr-defined]
    with pytest.raises(Conflict):
        await services.events.join(Actor(ZHANG), event.id, place, "guest")


async def test_changes_in_one_window_make_one_edit_of_the_list(services: Services) -> None:
    place = await building(services)
    event = await post(services, place)
    await delivered(services, {GROUP: 77})
    for user_id in (ZHANG, LI, WANG):
        await services.events.join(Actor(user_id), event.id, place, "guest")
    pending = await services.db.fetch_value(
        "SELECT count(*) FROM jobs WHERE kind = 'card_refresh' AND status = 'pending'"
    )
    assert pending == 1
    services.clock.advance(services.settings.events.list_edit_seconds)  # type: ignore[attr-defined]
    assert await services.scheduler.run_due() == 1
    [(chat, edit)] = await outbox(services, "event_card_edit")
    assert chat == GROUP and edit["message_id"] == 77
    assert "1. Zhang\n2. Li\n3. Wang" in edit["text"]
    join = edit["reply_markup"]["inline_keyboard"][0][0]
    assert join["callback_data"] == f"event:join:{event.id}"


# --- reminder, cancellation, attendance --------------------------------------------------------


async def test_the_reminder_is_a_stored_job_remind_before_the_start(services: Services) -> None:
    place = await building(services)
    event = await post(services, place)
    due = await services.db.fetch_value(
        "SELECT due_at FROM jobs WHERE key = ?", (f"event {event.id} remind",)
    )
    assert due == event.starts_at - 2 * 3600


async def test_cancelling_tells_everyone_and_stops_the_reminder(services: Services) -> None:
    place = await building(services)
    event = await post(services, place, capacity=1)
    for user_id in (ZHANG, LI, WANG):
        await services.events.join(Actor(user_id), event.id, place, "guest")
    assert await services.events.cancel(Actor(OWNER), event.id) == 3
    assert [chat for chat, _ in await outbox(services, "event_cancelled")] == [ZHANG]
    [(chat, group_note)] = await outbox(services, "event_group_note")
    assert chat == GROUP and "Li" in group_note["text"] and "Wang" in group_note["text"]
    statuses = await services.db.fetch_all("SELECT key, status FROM jobs ORDER BY key")
    assert dict((row[0], row[1]) for row in statuses)[f"event {event.id} remind"] == "cancelled"
    with pytest.raises(Conflict):
        await services.events.cancel(Actor(OWNER), event.id)


async def ledger(services: Services) -> list[tuple[int, int, str]]:
    rows = await services.db.fetch_all("SELECT user_id, amount, source FROM ledger ORDER BY id")
    return [(row[0], row[1], row[2]) for row in rows]


async def test_saving_attendance_pays_each_helper_who_came_once(services: Services) -> None:
    place = await building(services)
    event = await post(services, place, helpers=2)
    await services.events.join(Actor(ZHANG), event.id, place, "guest")
    await services.events.join(Actor(LI), event.id, place, "helper")
    await services.events.join(Actor(WANG), event.id, place, "helper")  # did not come
    with pytest.raises(Conflict):  # not before it starts
        await services.events.mark(Actor(OWNER), event.id, LI)
    services.clock.set(datetime(2026, 11, 25, 11, 0, tzinfo=SHANGHAI))  # type: ignore[attr-defined]
    await services.events.mark(Actor(OWNER), event.id, LI)
    await services.events.mark(Actor(OWNER), event.id, ZHANG)
    sheet = await services.events.save_attendance(Actor(OWNER), event.id)
    assert sheet.present == {LI, ZHANG} and sheet.event.status == "done"
    assert await ledger(services) == [(LI, 5, f"event:{event.id}:{LI}")]
    with pytest.raises(Conflict):
        await services.events.save_attendance(Actor(OWNER), event.id)
    assert await ledger(services) == [(LI, 5, f"event:{event.id}:{LI}")]
    rows = await services.db.fetch_all(
        "SELECT user_id, present, helped FROM event_attendance ORDER BY user_id"
    )
    assert [tuple(row) for row in rows] == [(ZHANG, 1, 0), (LI, 1, 1), (WANG, 0, 0)]


# --- the step-by-step form --------------------------------------------------------------------


async def test_the_form_asks_step_by_step_and_posts_the_event(services: Services) -> None:
    place = await building(services)
    events = services.events
    draft = await events.start_form(Actor(OWNER), GROUP, [place])
    for answer in ("Clean-up day", "2026-11-28 08:30", "Yard", "-", "2", "Gloves given"):
        opened = await events.open_form(GROUP, OWNER)
        assert opened is not None
        result = await events.answer_form(Actor(OWNER), opened, answer)
    assert isinstance(result, Event)
    assert (result.title, result.place, result.capacity, result.helpers) == (
        "Clean-up day", "Yard", None, 2)
    assert result.starts_at == at(28, 8, 30)
    assert await events.open_form(GROUP, OWNER) is None
    assert await services.db.fetch_value(
        "SELECT status FROM jobs WHERE key = ?", (expiry_key(draft),)
    ) == "cancelled"
    [(chat, card)] = await outbox(services, "event_card")
    assert chat == GROUP and "Clean-up day" in card["text"]


async def test_an_answer_handled_twice_does_not_answer_the_next_question(
    services: Services,
) -> None:
    """After a crash the same message comes again: it must not become the time."""
    place = await building(services)
    draft = await services.events.start_form(Actor(OWNER), GROUP, [place])
    await services.events.answer_form(Actor(OWNER), draft, "Tea", message_id=41)
    opened = await services.events.open_form(GROUP, OWNER)
    assert opened is not None and opened.step == "when"
    again = await services.events.answer_form(Actor(OWNER), opened, "Tea", message_id=41)
    assert again == opened
    assert await services.events.open_form(GROUP, OWNER) == opened
    await services.events.answer_form(
        Actor(OWNER), opened, "2026-11-28 08:30", message_id=42
    )
    moved = await services.events.open_form(GROUP, OWNER)
    assert moved is not None and moved.step == "place"
    assert moved.payload["title"] == "Tea" and moved.payload["when"] == at(28, 8, 30)


async def test_a_bad_answer_keeps_the_question(services: Services) -> None:
    place = await building(services)
    draft = await services.events.start_form(Actor(OWNER), GROUP, [place])
    draft = await services.events.answer_form(Actor(OWNER), draft, "Tea")  # type: ignore[assignment]
    with pytest.raises(InvalidInput):
        await services.events.answer_form(Actor(OWNER), draft, "2020-01-01 10:00")
    opened = await services.events.open_form(GROUP, OWNER)
    assert opened is not None and opened.step == "when"


async def test_an_unanswered_form_times_out_and_says_so(services: Services) -> None:
    await building(services)
    await services.events.start_form(Actor(OWNER), OWNER, [])
    services.clock.advance(30 * 60 + 1)  # type: ignore[attr-defined]
    assert await services.scheduler.run_due() == 1
    assert await services.events.open_form(OWNER, OWNER) is None
    assert await services.db.fetch_value("SELECT count(*) FROM prompts") == 0
    [(chat, note)] = await outbox(services, "event_form")
    assert chat == OWNER and "30" in note["text"]


def test_every_weekday_reads_in_chinese() -> None:
    t = translator("zh")
    from bot.views.common import local_time

    assert local_time(t, at(21, 9), SHANGHAI) == "2026-11-21（周六）09:00"


# --- rights in the service ----------------------------------------------------------------------


async def test_the_service_refuses_whoever_lacks_the_right_and_changes_nothing(
    services: Services,
) -> None:
    """A forged button or a person without the right reaches the service: it checks again."""
    place = await building(services)
    event = await post(services, place, helpers=1)
    events = services.events
    form = EventForm(title="Tea", starts_at=at(26, 9), place="Hall")
    with pytest.raises(NotAllowed):  # Zhang lives there but does not own the building
        await events.create(Actor(ZHANG), [place], form)
    with pytest.raises(NotAllowed):
        await events.start_form(Actor(ZHANG), GROUP, [place])
    with pytest.raises(NotAllowed):  # helping out is for the building's volunteers
        await events.join(Actor(ZHANG), event.id, place, "helper")
    with pytest.raises(NotAllowed):  # a volunteer is not an owner
        await events.cancel(Actor(LI), event.id)
    await events.join(Actor(LI), event.id, place, "guest")
    services.clock.set(datetime(2026, 11, 25, 11, 0, tzinfo=SHANGHAI))  # type: ignore[attr-defined]
    for attempt in (events.sheet(Actor(LI), event.id), events.mark(Actor(LI), event.id, LI),
                    events.save_attendance(Actor(LI), event.id)):  # fmt: skip
        with pytest.raises(NotAllowed):
            await attempt
    assert await services.db.fetch_value("SELECT count(*) FROM events") == 1
    assert await services.db.fetch_value("SELECT status FROM events") == "open"
    assert await services.db.fetch_value("SELECT count(*) FROM prompts") == 0
    assert await services.db.fetch_value("SELECT count(*) FROM event_attendance") == 0
    signups = await services.db.fetch_all("SELECT user_id, role FROM event_signups")
    assert [tuple(row) for row in signups] == [(LI, "guest")]


async def test_listing_offers_management_only_to_the_owners(services: Services) -> None:
    place = await building(services)
    event = await post(services, place)
    await services.community.resident_seen(GROUP, ZHANG)
    mine = await services.events.listing(Actor(OWNER), GROUP)
    theirs = await services.events.listing(Actor(ZHANG), GROUP)
    private = await services.events.listing(Actor(ZHANG), None)  # the buildings one lives in
    assert mine.manageable == {event.id} and theirs.manageable == set()
    assert [s.event.id for s in theirs.coming] == [s.event.id for s in private.coming] == [event.id]


# --- the list as a live card --------------------------------------------------------------------


async def test_a_post_delivered_after_the_list_changed_shows_the_change_on_delivery(
    services: Services,
) -> None:
    place = await building(services)
    event = await post(services, place)
    await services.events.join(Actor(ZHANG), event.id, place, "guest")
    services.clock.advance(services.settings.events.list_edit_seconds)  # type: ignore[attr-defined]
    await services.scheduler.run_due()  # the window ends before the post arrived
    assert await outbox(services, "event_card_edit") == []
    await delivered(services, {GROUP: 78})
    [(chat, edit)] = await outbox(services, "event_card_edit")
    assert chat == GROUP and edit["message_id"] == 78 and "1. Zhang" in edit["text"]


async def test_cancelling_edits_the_card_at_once_without_its_buttons(services: Services) -> None:
    place = await building(services)
    event = await post(services, place)
    await delivered(services, {GROUP: 79})
    await services.events.cancel(Actor(OWNER), event.id)
    [(_chat, edit)] = await outbox(services, "event_card_edit")
    assert edit["message_id"] == 79 and "❌ 本活动已取消。" in edit["text"]
    assert "reply_markup" not in edit  # an edit without it removes the buttons


async def test_an_upgraded_database_keeps_the_lists_it_had_delivered_current(
    tmp_path: Path,
) -> None:
    """Posts delivered (event_posts.message_id) or still queued before the upgrade, and a
    pending batched edit, all become the event's live card."""
    db = await Database.open(tmp_path / "old.db")
    await migrate(db, target=9)
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    settings = load_settings(
        tmp_path / "config.toml", require_token=False, database={"path": str(tmp_path / "x.db")}
    )
    services = build_services(settings, FakeClock(NOW), db, Bot(TOKEN))
    try:
        async with db.transaction() as tx:  # the community as version 9 stored it
            await version_9_community(tx)
            await tx.execute(
                "INSERT INTO events (id, title, place, starts_at, capacity, created_by, created_at)"
                " VALUES (5, 'Health check', 'Hall', ?, 10, ?, ?)",
                (at(25, 9), OWNER, NOW.timestamp()),
            )
            await tx.execute_many(
                "INSERT INTO event_posts (event_id, building_id, message_id) VALUES (5, ?, ?)",
                [(1, 77), (2, None)],
            )
            await tx.execute(
                """INSERT INTO outbox (chat_id, payload, kind, ref, status, not_before,
                                       created_at)
                   VALUES (-200, '{"text": "old post"}', 'event_card', 'event:5', 'pending',
                           ?, ?)""",
                (NOW.timestamp(), NOW.timestamp()),
            )
            await tx.execute(
                """INSERT INTO jobs (kind, key, due_at, payload, created_at)
                   VALUES ('event_list', 'event 5 list 3/1', ?, '{"event": 5}', ?)""",
                (NOW.timestamp() + 3, NOW.timestamp()),
            )
        await migrate(db)
        place = await services.community.building_of_chat(GROUP)
        copies = await db.fetch_all("SELECT chat_id, message_id FROM cards WHERE ref = '5'")
        assert sorted(tuple(row) for row in copies) == [(-200, None), (GROUP, 77)]

        services.clock.advance(3)  # type: ignore[attr-defined]
        assert await services.scheduler.run_due() == 1  # the pending edit, as a card refresh
        [(chat, edit)] = await outbox(services, "event_card_edit")
        assert chat == GROUP and edit["message_id"] == 77 and "Health check" in edit["text"]

        await delivered(services, {-200: 55})
        await services.events.join(Actor(ZHANG), 5, place, "guest")
        services.clock.advance(services.settings.events.list_edit_seconds)  # type: ignore[attr-defined]
        await services.scheduler.run_due()
        edits = {chat: edit for chat, edit in (await outbox(services, "event_card_edit"))[1:]}
        assert {chat: edit["message_id"] for chat, edit in edits.items()} == {GROUP: 77, -200: 55}
        assert all("1. Zhang" in edit["text"] for edit in edits.values())
    finally:
        await db.close()
