"""Group care without Telegram: the owner's text and its placeholders, flats as people write
them, and an owner's decision on a join request taken once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain.core import Building
from bot.errors import Conflict, InvalidInput, NotAllowed
from bot.i18n import Html
from bot.services.community import Actor
from bot.services.people import Person
from bot.services.welcome import parse_flat, parse_template
from bot.views.welcome import filled
from tests.test_points_service import OWNER, VOLUNTEERS, World, open_world

APPLICANT = 77
SECOND_OWNER = 78


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    opened = await open_world(tmp_path)
    await opened.services.people.seen(Person(SECOND_OWNER, "李主任"), None)
    await opened.services.community.store_admins(opened.building.chat_id,
                                                 [OWNER, SECOND_OWNER])
    try:
        yield opened
    finally:
        await opened.db.close()


@pytest.mark.parametrize("text", [
    "欢迎 {nmae}", "欢迎 {name", "欢迎 name}", "{name!r}", "{building:>9}", "{0}", "{}",
    "{name.title}", "   ", "长" * 3001, "<" * 1000, "{name}" * 8,
])
def test_a_text_with_a_wrong_placeholder_or_none_at_all_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_template("welcome", text)


def test_placeholders_are_filled_after_the_owners_html_is_escaped() -> None:
    template = parse_template("welcome", "  <b>欢迎</b> {name} 入住{building}，{{请}}看置顶  ")
    building = Building(id=1, chat_id=-5, name="3<号>楼")
    shown = filled(template, building, Html('<a href="tg://user?id=1">小&陈</a>'))
    assert shown == ('&lt;b&gt;欢迎&lt;/b&gt; <a href="tg://user?id=1">小&陈</a> '
                     "入住3&lt;号&gt;楼，{请}看置顶")
    assert filled("{name}", building, "<i>x</i>") == "&lt;i&gt;x&lt;/i&gt;"


@pytest.mark.parametrize(("written", "stored"), [
    ("3-502", "3-502"), ("3 - 502", "3-502"), ("３－５０２", "3-502"), ("03-0502", "3-502"),
    ("12—1101", "12-1101"),
])
def test_a_flat_is_read_as_people_write_it(written: str, stored: str) -> None:
    assert parse_flat(written) == stored


@pytest.mark.parametrize("written", ["", "三楼502", "3502", "3-", "-502", "3-502-1", "1234-5"])
def test_a_flat_in_another_form_is_refused(written: str) -> None:
    with pytest.raises(InvalidInput):
        parse_flat(written)


async def waiting_request(world: World) -> int:
    """An applicant who answered both questions."""
    services = world.services
    await services.people.seen(Person(APPLICANT, "小陈"), None)
    request = await services.welcome.join_requested(
        world.building.chat_id, APPLICANT, APPLICANT, member=False, key="k1")
    assert request is not None
    await services.welcome.answer_flat(Actor(APPLICANT), request.id, "3-502", 1)
    await services.welcome.answer_name(Actor(APPLICANT), request.id, "陈明")
    return request.id


async def test_two_owners_deciding_at_once_make_one_decision(world: World) -> None:
    request_id = await waiting_request(world)
    welcome = world.services.welcome
    results = await asyncio.gather(
        welcome.decide(Actor(OWNER), request_id, True),
        welcome.decide(Actor(SECOND_OWNER), request_id, False),
        return_exceptions=True,
    )
    assert sum(isinstance(result, Conflict) for result in results) == 1
    decided = await world.value("SELECT count(*) FROM outbox WHERE kind = 'join_decision'")
    assert decided == 1


async def test_a_volunteer_may_not_decide_and_nothing_changes(world: World) -> None:
    request_id = await waiting_request(world)
    with pytest.raises(NotAllowed):
        await world.services.welcome.decide(Actor(VOLUNTEERS[0]), request_id, True)
    assert await world.value("SELECT state FROM join_requests") == "waiting"
    assert await world.value("SELECT count(*) FROM flats") == 0
