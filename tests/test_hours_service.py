"""The hours rules without Telegram: rounding, star levels, the append-only ledger, the
monthly make-up limit, corrections as new entries, and /hours read from an index."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.domain.core import User
from bot.domain.hours import credited_minutes, hours_text, star_level
from bot.errors import Conflict, InvalidInput, NotAllowed
from bot.i18n import translator
from bot.reports import certificate
from bot.services.community import Actor
from bot.services.hours import CORRECT_USAGE, HoursService, parse_hours
from tests.test_points_service import OWNER, VOLUNTEERS, World, open_world

LI, WANG = VOLUNTEERS[0], VOLUNTEERS[1]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    opened = await open_world(tmp_path)
    await opened.services.community.store_admins(opened.building.chat_id, [OWNER])
    try:
        yield opened
    finally:
        await opened.db.close()


def hours_of(world: World) -> HoursService:
    return world.services.hours


@pytest.mark.parametrize(("minutes", "counted"), [
    (0, 0), (14, 0), (15, 30), (29, 30), (44, 30), (45, 60), (100, 90), (130, 120), (600, 120),
])
def test_an_attendance_counts_whole_half_hours_nothing_under_15_minutes_and_at_most_the_length(
    minutes: int, counted: int
) -> None:
    assert credited_minutes(minutes * 60, 30, 15, cap=120) == counted


def test_a_short_activity_caps_at_its_own_length() -> None:
    assert credited_minutes(40 * 60, 30, 15, cap=20) == 20
    assert credited_minutes(-60, 30, 15, cap=None) == 0


def test_star_levels_and_what_the_next_needs() -> None:
    levels = [100, 300, 600, 1000, 1500]
    assert star_level(0, levels).model_dump() == {
        "stars": 0, "next_at_hours": 100, "missing_minutes": 6000}
    assert star_level(100 * 60, levels).stars == 1
    assert star_level(1499 * 60, levels).missing_minutes == 60
    assert star_level(2000 * 60, levels).next_at_hours is None


@pytest.mark.parametrize("text", ["", "abc", "1.25", "nan", "inf", "1e3", "123456789"])
def test_hours_written_wrongly_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_hours(text, CORRECT_USAGE)


def test_hours_are_read_as_minutes_and_shown_back() -> None:
    assert [parse_hours(t, CORRECT_USAGE) for t in ("2", "1.5", "0,5", "-1")] == [120, 90, 30, -60]
    assert [hours_text(m) for m in (120, 90, 20, 0)] == ["2", "1.5", "0.33", "0"]


async def test_make_up_hours_stop_at_the_monthly_limit_and_a_replay_counts_once(
    world: World,
) -> None:
    service, li = hours_of(world), world.people[LI]
    owner = Actor(OWNER)
    first = await service.add_makeup(owner, li, "12", "社区值守", "makeup:1")
    again = await service.add_makeup(owner, li, "12", "社区值守", "makeup:1")  # replayed
    assert (first.created, again.created, again.all_time.makeup) == (True, False, 720)
    await service.add_makeup(owner, li, "8", "整理物资", "makeup:2")
    with pytest.raises(Conflict) as refused:
        await service.add_makeup(owner, li, "0.5", "多一点", "makeup:3")
    assert refused.value.params["left"] == "0"
    with pytest.raises(InvalidInput):
        await service.add_makeup(owner, li, "13", "太多", "makeup:4")
    with pytest.raises(NotAllowed):
        await service.add_makeup(Actor(WANG), li, "1", "同事互评", "makeup:5")
    assert (await service.repo.totals(world.db, LI)).makeup == 20 * 60


async def test_a_correction_is_a_new_entry_and_the_ledger_refuses_edits(world: World) -> None:
    service, li = hours_of(world), world.people[LI]
    made = await service.add_makeup(Actor(OWNER), li, "2", "帮忙搬家", "makeup:1")
    fixed = await service.correct(Actor(OWNER), made.line.entry.id, "1.5", "记多了", "fix:1")
    assert fixed.line.minutes == 90 and fixed.all_time.total == 90
    rows = await world.db.fetch_all("SELECT minutes, origin, corrects FROM hours_entries")
    assert [tuple(r) for r in rows] == [(120, "makeup", None), (-30, "correction", 1)]
    with pytest.raises(Conflict):
        await service.correct(Actor(OWNER), made.line.entry.id, "1.5", "再改", "fix:2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        async with world.db.transaction() as tx:
            await tx.execute("UPDATE hours_entries SET minutes = 600")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        async with world.db.transaction() as tx:
            await tx.execute("DELETE FROM hours_entries")


async def test_a_new_star_level_is_congratulated_once_and_the_group_told_when_asked(
    world: World,
) -> None:
    service, li = hours_of(world), world.people[LI]
    world.services.settings.hours.star_levels[:] = [3, 10]
    await service.set_announce(Actor(OWNER), world.building, True)
    await service.add_makeup(Actor(OWNER), li, "2", "a", "m:1")
    await service.add_makeup(Actor(OWNER), li, "2", "b", "m:2")  # 4 h: one star
    await service.add_makeup(Actor(OWNER), li, "1", "c", "m:3")
    kinds = await world.db.fetch_all(
        "SELECT kind, chat_id FROM outbox WHERE kind LIKE 'hours_level%' ORDER BY id")
    assert [tuple(row) for row in kinds] == [("hours_level_note", world.building.chat_id)]
    # (小李 never pressed Start here: the private congratulation is not queued.)
    assert await world.value("SELECT count(*) FROM hours_levels") == 1


async def test_hours_totals_are_read_from_the_index_alone(world: World) -> None:
    plan = await world.db.fetch_all(
        "EXPLAIN QUERY PLAN SELECT kind, sum(minutes) FROM hours_entries "
        "INDEXED BY hours_entries_user WHERE user_id = ? AND year = ? GROUP BY kind", (LI, 2026))
    details = " ".join(row["detail"] for row in plan)
    assert "COVERING INDEX hours_entries_user" in details, details


async def test_a_resident_who_is_already_a_volunteer_cannot_apply(world: World) -> None:
    service = hours_of(world)
    await world.services.community.resident_seen(world.building.chat_id, LI)
    with pytest.raises(Conflict):
        await service.apply(Actor(LI), world.building, ["repair"], "apply:1")
    with pytest.raises(InvalidInput):
        await service.apply(Actor(LI), world.building, ["不行 的"], "apply:2")
    assert await world.value("SELECT count(*) FROM volunteer_applications") == 0
    assert isinstance(world.people[LI], User)


async def test_the_certificate_is_in_english_for_an_english_chat_and_refused_without_a_font(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    service, li = hours_of(world), world.people[LI]
    await service.add_makeup(Actor(OWNER), li, "2", "整理图书角", "m:1")
    year = datetime.fromtimestamp(world.clock.now(), world.services.settings.community.tz).year
    issued = await service.certificate(Actor(LI), year, "cert:1")
    tz = world.services.settings.community.tz
    pdf = certificate.render(translator("en"), issued, tz)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Volunteer service record" in text and "整理图书角" in text
    assert "Total: 2 hours" in text and issued.certificate.number in text
    monkeypatch.setattr(certificate, "certificate_font", lambda: None)
    with pytest.raises(certificate.NoFont) as refused:
        certificate.render(translator("zh"), issued, tz)
    assert "fonts-wqy-microhei" in refused.value.message
