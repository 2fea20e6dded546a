"""Check-in on the event's card in the group, and the optional location check, end to end.

While the check-in window is open the card shows Check in / Check out and the organiser's
code; a volunteer on the list checks in and out there, anyone else is refused in an answer
only they see, and the card drops the buttons at the end. With ``hours.location_radius_m``
on and the event placed on the map (a step of the /event form), a check-in waits for the
volunteer's location, shared in private, and is recorded only within the radius.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.events import EventForm
from bot.domain.hours import distance_m
from bot.emulator import BotApiEmulator, SentMessage
from bot.errors import Conflict, NotAllowed
from bot.i18n import translator
from bot.services.community import Actor
from bot.services.hours import LocationAsked
from tests.harness import Harness, settings_for
from tests.test_hours import (
    GROUP,
    OWNER,
    RESIDENT,
    SHANGHAI,
    VOLUNTEER,
    at,
    building,
    event,
    last,
    window,
)
from tests.test_points_service import OWNER as WORLD_OWNER
from tests.test_points_service import VOLUNTEERS, World, open_world

HALL = (31.230416, 121.473701)  # the community hall, on the map
NEAR = (31.230800, 121.473900)  # some 47 m away
FAR = (31.239400, 121.473701)  # 1 km north
RADIUS = 300


def start(emulator: BotApiEmulator, tmp_path: Path, **hours: object) -> Harness:
    return Harness(emulator, settings_for(emulator, tmp_path, hours={"star_levels": [5, 20],
                                                                       **hours}))


@pytest.fixture
async def harness(emulator: BotApiEmulator, tmp_path: Path) -> AsyncIterator[Harness]:
    """The bot without the location check (the default)."""
    community = start(emulator, tmp_path)
    await community.start()
    try:
        yield community
    finally:
        await community.stop()


@pytest.fixture
async def located(emulator: BotApiEmulator, tmp_path: Path) -> AsyncIterator[Harness]:
    """The bot with the location check on: within 300 m of the event."""
    community = start(emulator, tmp_path, location_radius_m=RADIUS)
    await community.start()
    try:
        yield community
    finally:
        await community.stop()


async def card_of(harness: Harness, event_id: int) -> SentMessage:
    """The event's card in the group, as it shows now."""
    await harness.settle()
    message_id = await harness.value(
        "SELECT message_id FROM cards WHERE kind = 'event' AND ref = ?", str(event_id))
    return harness.emu.message(GROUP, int(message_id))


def hours_buttons(card: SentMessage) -> list[tuple[str, str | None]]:
    return [(label, data) for label, data in card.buttons if str(data).startswith("hours:")]


async def press(harness: Harness, user: int, message_id: int, data: str) -> tuple[str, bool]:
    """A press on the card; the answer only the presser sees, and whether it is an alert."""
    query_id = harness.emu.user_presses(user, GROUP, message_id, data)
    await harness.emu.wait_for(lambda: query_id in harness.emu.callback_answers, 5.0,
                               what=f"an answer to {data!r}")
    text, alert = harness.emu.callback_answers[query_id]
    return text or "", alert


async def attendance(harness: Harness) -> list[tuple[object, ...]]:
    rows = await harness.db.fetch_all(
        "SELECT user_id, status FROM hours_attendance ORDER BY id")
    return [tuple(row) for row in rows]


async def test_a_volunteer_checks_in_and_out_on_the_group_card_and_others_are_refused(
    harness: Harness,
) -> None:
    await building(harness)
    event_id, when = await event(harness, "健康义诊", 3)
    card = await card_of(harness, event_id)
    assert hours_buttons(card) == []  # before the window: sign-up only
    await press(harness, RESIDENT, card.message_id, f"event:join:{event_id}")  # a guest
    await harness.settle()

    code, _invitation = await window(harness, "健康义诊", when)
    activity = await harness.value("SELECT id FROM hours_activities WHERE ref = ?",
                                   f"event:{event_id}")
    card = await card_of(harness, event_id)
    assert hours_buttons(card) == [
        ("✅ 签到", f"hours:in:{activity}"), ("👋 签退", f"hours:out:{activity}"),
        ("🔑 打卡码（组织者）", f"hours:code:{activity}"),
    ]
    assert card.buttons[0] == ("✋ 报名", f"event:join:{event_id}")  # sign-up is still open

    # A resident on the list as a guest, not a volunteer: refused, nothing stored.
    answer, _alert = await press(harness, RESIDENT, card.message_id, f"hours:in:{activity}")
    assert "只有 «健康义诊» 名单上的志愿者和帮手才能签到" in answer
    answer, _alert = await press(harness, RESIDENT, card.message_id, f"hours:out:{activity}")
    assert "您还没有签到" in answer
    answer, _alert = await press(harness, RESIDENT, card.message_id, f"hours:code:{activity}")
    assert "只有活动的组织者" in answer and code not in answer
    assert await attendance(harness) == []

    # The organiser's code: an alert only they see.
    answer, alert = await press(harness, OWNER, card.message_id, f"hours:code:{activity}")
    assert code in answer and "健康义诊" in answer and alert

    # Forged presses: an activity that does not exist, a word for a number, an action.
    for forged in ("hours:in:999", "hours:in:abc", "hours:fly:1", "hours:in:-1"):
        answer, _alert = await press(harness, VOLUNTEER, card.message_id, forged)
        assert "按钮已经失效" in answer, (forged, answer)
    assert await attendance(harness) == []

    answer, _alert = await press(harness, VOLUNTEER, card.message_id, f"hours:in:{activity}")
    assert "已在 08:40 签到 «健康义诊»" in answer
    assert await attendance(harness) == [(VOLUNTEER, "in")]
    answer, _alert = await press(harness, VOLUNTEER, card.message_id, f"hours:in:{activity}")
    assert "您已在 08:40 签到" in answer  # twice changes nothing
    await harness.settle()
    assert not [m for m in harness.emu.sent(GROUP) if "签到 «健康义诊»" in m.text]  # no post

    await at(harness, when + timedelta(minutes=80))
    answer, _alert = await press(harness, VOLUNTEER, card.message_id, f"hours:out:{activity}")
    assert "记录志愿服务时长 1.5 小时" in answer  # 08:40 to 10:20: 100 minutes, in half hours
    assert await attendance(harness) == [(VOLUNTEER, "out")]

    # The end: the stored close job edits the card, whose check-in buttons are gone.
    await at(harness, when + timedelta(hours=2, minutes=-1))  # the edits due so far are made
    assert len(hours_buttons(await card_of(harness, event_id))) == 3
    await at(harness, when + timedelta(hours=2, minutes=1))
    card = await card_of(harness, event_id)
    assert card.buttons == [] and card.edits >= 3
    answer, _alert = await press(harness, VOLUNTEER, card.message_id, f"hours:in:{activity}")
    assert "已经结束" in answer  # a press on an old copy


async def form_with_a_place_on_the_map(harness: Harness) -> tuple[int, datetime]:
    """The owner's step-by-step /event form in private, the hall's location among the
    answers (a text first, refused); the volunteer helps out on the card."""
    today = datetime.fromtimestamp(harness.clock.now(), SHANGHAI)
    when = (today + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    await harness.say(OWNER, OWNER, "/event", expect="活动叫什么名字")
    await harness.say(OWNER, OWNER, "健康义诊", expect="什么时候")
    await harness.say(OWNER, OWNER, f"{when:%Y-%m-%d %H:%M}", expect="在哪里举行")
    asked = await harness.say(OWNER, OWNER, "社区活动室", expect="地图")
    assert "志愿者到了现场才能签到" in asked.text
    refused = await harness.say(OWNER, OWNER, "活动室门口")
    assert "请发送活动地点的位置" in refused.text
    waiting = harness.emu.wait_for_message(OWNER, "名额", 5)
    harness.emu.user_sends_location(OWNER, OWNER, *HALL)
    await waiting
    await harness.say(OWNER, OWNER, "-", expect="志愿者")
    await harness.say(OWNER, OWNER, "2", expect="还有什么")
    await harness.say(OWNER, OWNER, "-", expect="已发布")
    row = await harness.db.fetch_one("SELECT id, latitude, longitude FROM events")
    assert row is not None and (row[1], row[2]) == HALL
    card = await card_of(harness, row[0])
    answer, _alert = await press(harness, VOLUNTEER, card.message_id, f"event:help:{row[0]}")
    assert "您是第 1 位志愿者" in answer
    await harness.settle()
    return int(row[0]), when


def location_button(message: SentMessage) -> dict[str, object]:
    [[button]] = (message.reply_markup or {})["keyboard"]
    return dict(button)


async def test_with_the_location_check_a_check_in_counts_only_near_the_event(
    located: Harness,
) -> None:
    harness = located
    await building(harness)
    event_id, when = await form_with_a_place_on_the_map(harness)
    code, _invitation = await window(harness, "健康义诊", when)

    # By code, in private: the location is asked for, nothing is recorded yet.
    asked = await harness.say(VOLUNTEER, VOLUNTEER, f"/checkin {code}", expect="发送您的位置")
    assert f"活动地点 {RADIUS} 米以内" in asked.text
    assert location_button(asked) == {"text": "📍 发送我的位置", "request_location": True}
    assert await attendance(harness) == []

    # Too far: refused with the distance; nothing stored; the question stays.
    far = round(distance_m(FAR, HALL))
    waiting = harness.emu.wait_for_message(VOLUNTEER, "米", 5)
    harness.emu.user_sends_location(VOLUNTEER, VOLUNTEER, *FAR)
    refused = await waiting
    assert f"您距离 «健康义诊» {far:,} 米" in refused.text and f"{RADIUS} 米以内" in refused.text
    assert await attendance(harness) == []
    refused = await harness.say(VOLUNTEER, VOLUNTEER, "我到了")  # words are no location
    assert "📍 发送我的位置" in refused.text
    forwarded = harness.emu.wait_for_message(VOLUNTEER, "转发", 5)
    harness.emu.user_sends_other(VOLUNTEER, VOLUNTEER, {
        "location": {"latitude": NEAR[0], "longitude": NEAR[1]},
        "forward_origin": {"type": "hidden_user", "sender_user_name": "某人", "date": 1}})
    await forwarded
    assert await attendance(harness) == []

    # The card's button asks again in private; near the hall the check-in is recorded.
    card = await card_of(harness, event_id)
    activity = await harness.value("SELECT id FROM hours_activities")
    asked_again = harness.emu.wait_for_message(VOLUNTEER, "发送您的位置", 5)
    answer, _alert = await press(harness, VOLUNTEER, card.message_id, f"hours:in:{activity}")
    assert "我已私信您" in answer
    assert location_button(await asked_again)["request_location"] is True
    done = harness.emu.wait_for_message(VOLUNTEER, "签到", 5)
    harness.emu.user_sends_location(VOLUNTEER, VOLUNTEER, *NEAR)
    checked = await done
    assert "已在 08:40 签到 «健康义诊»" in checked.text
    assert "request_location" not in str(checked.reply_markup)  # the menu is back
    assert await attendance(harness) == [(VOLUNTEER, "in")]
    assert await harness.value("SELECT count(*) FROM prompts") == 0
    again = await harness.say(VOLUNTEER, VOLUNTEER, f"/checkin {code}", expect="签到")
    assert "您已在 08:40 签到" in again.text  # no second question

    # Checking out needs no location.
    await at(harness, when + timedelta(minutes=80))
    out = await harness.say(VOLUNTEER, VOLUNTEER, "/checkout", expect="签退")
    assert "1.5 小时" in out.text


async def test_a_question_nobody_answers_expires_and_records_nothing(located: Harness) -> None:
    harness = located
    await building(harness)
    _event_id, when = await form_with_a_place_on_the_map(harness)
    code, _invitation = await window(harness, "健康义诊", when)
    await harness.say(VOLUNTEER, VOLUNTEER, f"/checkin {code}", expect="发送您的位置")
    await at(harness, when - timedelta(minutes=4))  # the question waits 15 minutes
    assert "您还没有签到 «健康义诊»" in last(harness, VOLUNTEER, "不再等待").text
    assert await attendance(harness) == []
    assert await harness.value("SELECT count(*) FROM prompts") == 0


def test_the_distance_between_two_points_on_the_earth() -> None:
    assert distance_m(HALL, HALL) == 0
    # One degree of latitude is 111.2 km on the mean sphere; a minute of it 1,853 m.
    assert distance_m((0.0, 0.0), (1.0, 0.0)) == pytest.approx(111_195, abs=1)
    assert distance_m((31.0, 121.0), (31.0 + 1 / 60, 121.0)) == pytest.approx(1_853, abs=1)
    # Along a parallel the degrees shrink with the cosine of the latitude.
    assert distance_m((60.0, 10.0), (60.0, 11.0)) == pytest.approx(55_597, rel=1e-3)
    # Shanghai's People's Square to Beijing's Tiananmen: about 1,067 km.
    assert distance_m((31.2304, 121.4737), (39.9087, 116.3975)) == pytest.approx(
        1_067_000, rel=0.01)
    assert distance_m(NEAR, HALL) == pytest.approx(47, abs=3)
    assert distance_m((0.0, 179.9), (0.0, -179.9)) == pytest.approx(22_239, abs=1)


# --- the rules, without Telegram --------------------------------------------------------------


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    opened = await open_world(tmp_path)
    opened.services.settings.hours.location_radius_m = RADIUS
    try:
        yield opened
    finally:
        await opened.db.close()


async def test_the_card_rows_follow_the_window_and_a_check_in_waits_for_a_near_location(
    world: World,
) -> None:
    services, li = world.services, VOLUNTEERS[0]
    form = EventForm(title="健康义诊", starts_at=world.clock.now() + 20 * 60, place="活动室",
                     helpers=2, point=HALL)
    event = await services.events.create(Actor(WORLD_OWNER), [world.building], form)
    await services.events.join(Actor(li), event.id, world.building, "helper")
    t = translator("en")
    async with world.db.transaction() as tx:
        assert await services.hours.card_rows(tx, event, t) == ()  # no window yet
        await services.hours.open_windows(tx)
        rows = await services.hours.card_rows(tx, event, t)
    activity = await services.hours.repo.activity_by_ref(world.db, f"event:{event.id}")
    assert activity is not None
    assert [b.data for row in rows for b in row] == [
        f"hours:in:{activity.id}", f"hours:out:{activity.id}", f"hours:code:{activity.id}"]

    with pytest.raises(Conflict) as refused:  # no private chat to ask in
        await services.hours.check_in(Actor(li), activity.id)
    assert "Start" in refused.value.message
    async with world.db.transaction() as tx:
        await services.users.set_started(tx, li, True, world.clock.now())
    asked = await services.hours.check_in(Actor(li), activity.id)
    assert isinstance(asked, LocationAsked) and asked.radius_m == RADIUS
    prompt = await services.prompts.current(li, li)
    assert prompt is not None and services.hours.waiting_for(prompt) == activity.id
    with pytest.raises(Conflict) as refused:
        await services.hours.check_in_here(Actor(li), activity.id, FAR)
    assert refused.value.params["distance"] == f"{round(distance_m(FAR, HALL)):,}"
    with pytest.raises(NotAllowed):  # someone not on the list, near or not
        await services.hours.check_in_here(Actor(VOLUNTEERS[1]), activity.id, NEAR)
    assert await world.value("SELECT count(*) FROM hours_attendance") == 0
    done = await services.hours.check_in_here(Actor(li), activity.id, NEAR)
    assert done.attendance.user_id == li and await services.prompts.current(li, li) is None

    async with world.db.transaction() as tx:
        await services.hours.close_activity(tx, activity.id)
        assert await services.hours.card_rows(tx, event, t) == ()  # closed: gone
