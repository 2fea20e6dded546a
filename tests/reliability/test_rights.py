"""Who may run what: every command and every button against every role, as a table that
follows ../shared/DESIGN.md. Each row gets a fresh building, and each role a fresh thing to
act on, so that one allowed case never changes what the next one finds.

The roles are those of the building under test: a stranger (started the bot, lives in no
building), a resident, a volunteer of another building, a volunteer, an owner (the group's
Telegram admin) and a community admin (from the config). A stranger and the other
building's volunteer are not members of the group: they write to the bot in private, and
a command that only works in a group is refused to them there.

"ok" means the bot did it; otherwise it refused with a reply that says why, and nothing
changed. In private, a command works on the person's own buildings: /open of the other
building's volunteer lists the open requests of *their* building, which is allowed.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import menu
from bot.emulator import BotApiEmulator
from bot.services.bookings import parse_bookable
from bot.services.community import Actor
from bot.services.lockup import parse_facility
from bot.services.points import parse_reward
from bot.views import care as care_views
from bot.views import hours as hours_views
from bot.views import outages as outage_views
from bot.views import welcome as welcome_views
from handlers import bookings, events, notices, points, relay, requests, roster
from storage.flood import MuteRepository
from tests.harness import Harness, settings_for
from tests.reliability.community import (
    ADMIN,
    OTHER_GROUP,
    ROLES,
    SOMETHING_WENT_WRONG,
    Community,
    Outcome,
    Place,
    add_place,
    logged_errors,
    open_community,
)

EVERYONE = frozenset(ROLES)
MEMBERS = frozenset({"resident", "volunteer", "owner", "admin"})  # may write in the group
SERVING = frozenset({"volunteer", "owner", "admin"})
OWNERS = frozenset({"owner", "admin"})
OWN_BUILDING = frozenset({"other_volunteer"})  # allowed, on their own building
NON_MEMBERS = frozenset({"stranger", "other_volunteer"})
FAST_OUTBOX = {"global_per_second": 1000, "per_chat_per_second": 1000,
               "per_group_per_minute": 100_000}


@dataclass(frozen=True)
class Row:
    """One command (``/…``) or button (``feature:action:…``) and the roles that may use it.

    ``where``: "group" (the building's group; people who are not members use their private
    chat), "topic" (a topic of the group, made a forum by the preparation "topic"),
    "private", or for buttons the message they are pressed on ("private": the presser's own
    chat; "post"/"card": the notice or event in the group).
    ``prepare`` makes what the row acts on, fresh for each role; its values fill the
    ``{placeholders}``.
    """

    what: str
    where: str
    allowed: frozenset[str]
    prepare: str = ""
    note: str = ""


COMMANDS = [
    Row("/start", "private", EVERYONE),
    Row("/help", "group", EVERYONE),
    Row("/menu", "private", EVERYONE),
    Row("/setup {name}", "group", OWNERS, note="group admin"),
    Row("/lang zh", "group", OWNERS | NON_MEMBERS,
        note="non-members write in private, where it sets their own language"),
    Row("/lang zh", "private", EVERYONE, note="one's own language"),
    Row("/volunteer @{target}", "group", OWNERS, "target"),
    Row("/unvolunteer @{target}", "group", OWNERS, "target_volunteer"),
    Row("/notice 明天停水", "group", OWNERS),
    Row("/notice {name} 明天停水", "private", OWNERS),
    Row("/notice every mon 09:00 每周小贴士", "group", OWNERS),
    Row("/notice {name} every day 08:00 早安", "private", OWNERS),
    Row("/notice remind after 6h 明天停水", "group", OWNERS),
    Row("/notice {name} remind after 6h 明天停水", "private", OWNERS),
    Row("/notices", "group", OWNERS),
    Row("/quiet", "group", MEMBERS, note="anyone in the group may see the quiet hours"),
    Row("/quiet 22:00-07:00", "group", OWNERS),
    Row("/quiet off", "group", OWNERS),
    Row("/notices {notice}", "private", OWNERS, "notice"),
    Row("/emergency 地下室煤气泄漏，请立即撤离", "group", OWNERS,
        note="the post itself is the answer"),
    Row("/emergency {name} 地下室煤气泄漏，请立即撤离", "private", OWNERS),
    Row("/outage water {name} {tomorrow} 08:00-12:00 管道维修", "group", OWNERS,
        note="non-members name the building in private: not theirs"),
    Row("/outage 停电 {name} {tomorrow} 08:00-12:00", "private", OWNERS),
    Row("/outages", "group", EVERYONE,
        note="in private, a non-member sees their own buildings' (or every building's)"),
    Row("/topic", "group", MEMBERS, note="anyone in the group may see where posts go"),
    Row("/topic notices", "topic", OWNERS, "topic",
        note="sent inside the topic of a group with topics"),
    Row("/topic events off", "group", OWNERS),
    Row("/request 帮忙修一下灯", "group", MEMBERS | OWN_BUILDING,
        note="in private, the other volunteer asks in their own building"),
    Row("/myrequests", "private", EVERYONE),
    Row("/cancel {own}", "private", frozenset({"resident"}), "own_request",
        note="only the resident who asked"),
    Row("/open", "group", SERVING | OWN_BUILDING),
    Row("/claim {open}", "private", SERVING, "open_request"),
    Row("/release {claimed}", "private", SERVING, "claimed_request",
        note="the volunteer who took it, or an owner"),
    Row("/done {claimed} 修好了", "private", SERVING, "claimed_request"),
    Row("/wait {claimed} {tomorrow} 等配件", "private", frozenset({"volunteer"}),
        "claimed_request", note="only the volunteer who took it"),
    Row("/note {claimed} 先打电话再上门", "private", SERVING, "claimed_request",
        note="the building's volunteers and owners; never the resident"),
    Row("/status {own}", "private", frozenset({"resident"}) | SERVING, "own_request",
        note="the resident who asked, and the building's volunteers and owners"),
    Row("/whois {anonymous}", "private", frozenset({"admin"}), "anonymous_request",
        note="who sent an anonymous request: the community admins alone (each look-up logged)"),
    Row("/tell {claimed} 我三点到", "private", frozenset({"volunteer"}), "claimed_request",
        note="only the volunteer who took it writes to its resident"),
    Row("/replies", "group", SERVING | OWN_BUILDING,
        note="the building's volunteers and owners (the other volunteer: their own building)"),
    Row("/replies add 电话{n} | 物业值班电话：12345678", "group", OWNERS),
    Row("/replies remove {canned}", "group", OWNERS, "canned"),
    Row("/duty", "group", MEMBERS | OWN_BUILDING),
    Row("/roster {name}", "private", SERVING),
    Row("/roster {name} add tue 08:00-12:00", "private", OWNERS),
    Row("/roster {name} digest on sun 19:00", "private", OWNERS),
    Row("/roster {name} from {tomorrow} add weekdays 08:00-12:00", "private", OWNERS),
    Row("/swap", "private", frozenset({"volunteer"}), "shift", note="one's own shifts"),
    Row("/handover 钥匙在门卫处", "private", frozenset({"volunteer"}), "shift_now",
        note="the volunteer on duty"),
    Row("/away {tomorrow}", "private", frozenset({"volunteer", "other_volunteer"}),
        note="one's own away: a volunteer of any building"),
    Row("/away @{volunteer} {tomorrow}", "private", OWNERS | frozenset({"volunteer"}),
        note="owners set it for a volunteer of their building (or the volunteer, themselves)"),
    Row("/back", "private", frozenset({"volunteer"}), "away", note="only someone away"),
    Row("/back @{volunteer}", "private", OWNERS | frozenset({"volunteer"}), "away"),
    Row("/coverage", "group", OWNERS),
    Row("/coverage 2", "private", OWNERS),
    Row("/calendar", "private", SERVING, "shift",
        note="owners get the whole rota; with nothing coming it is a refusal"),
    Row("/facility {name}", "private", OWNERS),
    Row("/facility {name} add 健身房{n} | 22:00 | 关灯", "private", OWNERS),
    Row("/lockup", "private", frozenset({"volunteer"}) | OWN_BUILDING, "facility",
        note="the other volunteer's own building has a facility too"),
    Row("/lockups", "group", SERVING | OWN_BUILDING),
    Row("/facility {name} book 自习室 | daily 06:00-24:00 | 60 | 10 | auto", "private", OWNERS,
        "facility"),
    Row("/book", "private", MEMBERS | OWN_BUILDING, "room",
        note="the other volunteer: the rooms of their own building"),
    Row("/book 自习室 {tomorrow} 10:00", "private", MEMBERS, "room"),
    Row("/bookings", "private", EVERYONE, note="one's own bookings, possibly none"),
    Row("/bookings {tomorrow}", "group", OWNERS, "room"),
    Row("/points", "private", EVERYONE),
    Row("/points @{target}", "private", OWNERS, "target_volunteer",
        note="another volunteer's points"),
    Row("/leaderboard", "private", EVERYONE),
    Row("/leaderboard hours", "group", EVERYONE,
        note="the group's ranking by hours; non-members get the community's in private"),
    Row("/leaderboard hours community", "private", EVERYONE),
    Row("/award @{volunteer} 5 帮忙搬家", "group", OWNERS),
    Row("/rewards", "private", EVERYONE),
    Row("/redeem {reward}", "private", frozenset({"volunteer"}), "reward",
        note="a reward of this building, for its volunteers"),
    Row("/reward add 洗车 | 王记 | 10 | 5", "group", OWNERS),
    Row("/event {name} | {soon} | 义诊 | 活动室 | 40 | 2", "private", OWNERS),
    Row("/events", "group", EVERYONE),
    Row("/stats", "group", OWNERS),
    Row("/export", "private", OWNERS),
    Row("/checkin", "private", EVERYONE, note="an organiser's codes, or how to check in"),
    Row("/checkin {code}", "private", frozenset({"volunteer"}), "checkin_window",
        note="a volunteer on the event's list"),
    Row("/checkout", "private", frozenset({"volunteer"}), "checked_in",
        note="the volunteer who checked in"),
    Row("/hours", "private", EVERYONE, note="one's own hours"),
    Row("/hours @{target}", "private", OWNERS, "target_volunteer",
        note="another volunteer's hours"),
    Row("/hours add @{volunteer} 2 打扫楼道", "group", OWNERS),
    Row("/hours correct {entry} 0.5 记错了", "private", OWNERS, "hours_entry"),
    Row("/hours announce on", "group", OWNERS),
    Row("/certificate", "private", frozenset({"volunteer"}), "hours_entry",
        note="whoever has hours this year"),
    Row("/verify {certificate}", "private", EVERYONE, "certificate"),
    Row("/welcome 欢迎新邻居", "group", OWNERS),
    Row("/welcome {name} 欢迎新邻居", "private", OWNERS),
    Row("/rules", "group", MEMBERS | OWN_BUILDING,
        note="in private, a non-member reads their own building's rules (a stranger has none)"),
    Row("/rules 楼道里请不要堆放杂物", "group", OWNERS),
    Row("/rules {name} 楼道里请不要堆放杂物", "private", OWNERS),
    Row("/apply repair", "group", frozenset({"resident", "owner", "admin"}),
        note="a member of the building who is not a volunteer yet"),
    Row("/mydata", "private", EVERYONE, note="one's own data, as a file"),
    Row("/mydata", "group", NON_MEMBERS,
        note="in the group a short line says to ask in private; non-members ask in private"),
    Row("/forgetme", "private", EVERYONE - {"admin"},
        note="asks for confirmation, only for oneself; the community admin (shared by every "
             "building) holds a request claimed in an earlier row: finish it first"),
    Row("/forgetme", "group", NON_MEMBERS, note="in the group: ask in private"),
]

BUTTONS = [
    Row("requests:claim:{open}", "private", SERVING, "open_request"),
    Row("requests:release:{claimed}", "private", SERVING, "claimed_request"),
    Row("requests:done:{claimed}", "private", SERVING, "claimed_request"),
    Row("requests:details:{open}", "private", SERVING, "open_request",
        note="the resident who asked may too (not this one)"),
    Row("requests:rate:{rated}:5", "private", frozenset({"resident"}), "done_request",
        note="only the resident who asked"),
    Row("requests:building:{draft}:{building_id}", "private", frozenset({"resident"}),
        "draft", note="only the resident who wrote it"),
    Row("requests:offer:{draft}:repair", "private", frozenset({"resident"}), "draft",
        note="another category under the offer of plain words"),
    Row("requests:confirm:{draft}:repair", "private", frozenset({"resident"}), "draft"),
    Row("requests:anon:{offer}:dispute:1", "private", frozenset({"resident"}), "dispute_offer",
        note="«Don't show my name» under one's own offer of a dispute or a safety report"),
    Row("requests:mnew:{media}", "private", frozenset({"resident"}), "media",
        note="only the resident who sent the photo"),
    Row("requests:mto:{media}:{own}", "private", frozenset({"resident"}), "media"),
    Row("requests:wait:{claimed}", "private", frozenset({"volunteer"}), "claimed_request",
        note="only the volunteer who took it"),
    Row("requests:waitdays:{claimed}:3", "private", frozenset({"volunteer"}),
        "claimed_request"),
    Row("requests:waitnow:{claimed}:3", "private", frozenset({"volunteer"}),
        "claimed_request"),
    Row("requests:resume:{waiting}", "private", frozenset({"volunteer"}), "waiting_request"),
    Row("requests:reopen:{rated}", "private", frozenset({"resident"}), "done_request",
        note="only the resident who asked, within the reopen days"),
    Row("relay:menu:{claimed}", "private", frozenset({"volunteer"}), "claimed_request",
        note="Reply… on the card: only the volunteer who took it"),
    Row("relay:send:{claimed}:{canned_id}", "private", frozenset({"volunteer"}),
        "claimed_canned"),
    Row("notice:ok:{post}", "post", EVERYONE, "notice",
        note="whoever sees the post is in the group"),
    Row("notice:names:{notice}", "private", OWNERS, "notice"),
    Row("notice:cancel:{scheduled}", "private", OWNERS, "scheduled_notice"),
    Row("notice:stop:{recurring}", "private", OWNERS, "recurring_notice"),
    Row("outage:restored:{outage}", "private", OWNERS, "outage",
        note="the owners of the outage's buildings; re-checked on every press"),
    Row("notice:remind:{notice}", "private", OWNERS, "notice",
        note="owners of the notice's buildings; once a day"),
    Row("notice:got:{post}", "private", frozenset({"resident", "volunteer"}), "nudged_notice",
        note="only someone the private reminder went to (the owner, a group admin, is "
             "not reminded)"),
    Row("roster:view:{building_id}", "private", OWNERS),
    Row("roster:add:{building_id}", "private", OWNERS),
    Row("roster:addday:{building_id}:1", "private", OWNERS),
    Row("roster:addshift:{building_id}:1:480:720", "private", OWNERS),
    Row("roster:remove:{building_id}", "private", OWNERS, "shift"),
    Row("roster:drop:{shift}", "private", OWNERS, "shift"),
    Row("roster:assign:{building_id}", "private", OWNERS, "shift"),
    Row("roster:pick:{shift}", "private", OWNERS, "shift"),
    Row("roster:toggle:{shift}:{volunteer_id}:0", "private", OWNERS, "shift"),
    Row("roster:announce:{building_id}", "private", OWNERS),
    Row("roster:swap:{shift}:{day}", "private", frozenset({"volunteer"}), "shift",
        note="the volunteer of the shift"),
    Row("roster:swapto:{shift}:{day}:{partner}", "private", frozenset({"volunteer"}), "shift"),
    Row("roster:yes:{swap}", "private", frozenset({"volunteer"}), "swap",
        note="the volunteer asked"),
    Row("roster:no:{swap}", "private", frozenset({"volunteer"}), "swap"),
    Row("roster:away:today", "private", frozenset({"volunteer", "other_volunteer"}),
        note="one's own away"),
    Row("roster:take:{open_shift}", "private", frozenset({"volunteer"}), "open_shift",
        note="a volunteer of the building, not the one who gave it up"),
    Row("roster:cant:{shift}:{day}", "private", frozenset({"volunteer"}), "shift",
        note="one's own coming shift"),
    Row("lockup:start:{facility}", "private", frozenset({"volunteer"}), "facility"),
    Row("booking:room:{room}", "private", MEMBERS, "room"),
    Row("booking:day:{room}:{day}", "private", MEMBERS, "room"),
    Row("booking:take:{room}:{slot}", "private", MEMBERS, "room"),
    Row("booking:here:{soon_booking}", "private", frozenset({"resident"}), "booking_soon",
        note="the resident who booked it, from a little before the start"),
    Row("booking:noop", "private", EVERYONE, note="a full slot's button: a toast, nothing else"),
    Row("booking:cancel:{booking}", "private", frozenset({"resident"}), "booking",
        note="the resident who booked it"),
    Row("booking:approve:{pending}", "private", OWNERS, "pending_booking"),
    Row("booking:decline:{pending}", "private", OWNERS, "pending_booking"),
    Row("booking:nowhy:{pending}", "private", OWNERS, "pending_booking"),
    Row("lockup:tick:{lockup}:0:1", "private", frozenset({"volunteer"}), "lockup"),
    Row("lockup:problem:{lockup}", "private", frozenset({"volunteer"}), "lockup"),
    Row("lockup:post:{ticked}", "private", frozenset({"volunteer"}), "ticked_lockup",
        note="the volunteer who ticked it"),
    Row("points:approve:{redemption}", "private", OWNERS, "redemption"),
    Row("points:reject:{redemption}", "private", OWNERS, "redemption"),
    Row("points:post:{building_id}", "private", OWNERS),
    Row("event:join:{event}", "card", EVERYONE, "event", note="whoever sees the card"),
    Row("event:leave:{event}", "card", EVERYONE, "joined_event", note="once signed up"),
    Row("event:help:{event}", "card", SERVING, "event"),
    Row("event:cancel:{event}", "private", OWNERS, "event"),
    Row("event:cancelok:{event}", "private", OWNERS, "event"),
    Row("event:keep:{event}", "private", OWNERS, "event"),
    Row("event:sheet:{started}:0", "private", OWNERS, "started_event"),
    Row("event:mark:{started}:{neighbour}:0", "private", OWNERS, "started_event"),
    Row("event:save:{started}", "private", OWNERS, "started_event"),
    Row("hours:in:{activity}", "private", frozenset({"volunteer"}), "checkin_window"),
    Row("hours:out:{activity}", "private", frozenset({"volunteer"}), "checked_in"),
    Row("hours:code:{activity}", "private", OWNERS, "checkin_window",
        note="the organiser (here the owner) and the owners of the event's buildings"),
    Row("hours:in:{activity}", "card", frozenset({"volunteer"}), "checkin_window",
        note="on the event's card: whoever sees it, only a volunteer on the list checks in"),
    Row("hours:out:{activity}", "card", frozenset({"volunteer"}), "checked_in"),
    Row("hours:code:{activity}", "card", OWNERS, "checkin_window",
        note="the card's code button: an alert for the organiser and the building's owners"),
    Row("hours:confirm:{attendance}", "private", OWNERS, "no_checkout"),
    Row("hours:approve:{application}", "private", OWNERS, "application"),
    Row("hours:decline:{application}", "private", OWNERS, "application"),
    Row("hours:post:{building_id}", "private", OWNERS,
        note="post the ranking by hours in the group"),
    Row("join:approve:{join}", "private", OWNERS, "join_request"),
    Row("join:decline:{join}", "private", OWNERS, "join_request"),
    Row("care:unmute:{mute}", "private", OWNERS, "mute",
        note="the owners of the group where the antiflood muted someone"),
    Row("care:keep:{me}", "private", EVERYONE, note="Cancel under one's own /forgetme"),
    Row("care:keep:{neighbour}", "private", frozenset(), note="someone else's: forged"),
    Row("care:forget:{neighbour}", "private", frozenset(),
        note="forgetting someone else (a forged payload): nobody, owners neither"),
    # Last: it forgets the people shared by every building (the stranger, the admin…).
    Row("care:forget:{me}", "private", EVERYONE - {"admin"},
        note="Yes, forget me: oneself only (the admin holds a request: finish it first)"),
]


@pytest.fixture
async def community(emulator: BotApiEmulator, tmp_path: Path) -> Any:
    """The bot with an outbox that does not pace itself and no hourly limit on requests (the
    limits are not under test)."""
    harness = Harness(emulator, settings_for(emulator, tmp_path, outbox=FAST_OUTBOX,
                                             booking={"per_week": 50, "check_in": True},
                                             requests={"max_per_hour": 0}))
    await harness.start()
    try:
        yield await open_community(harness)
    finally:
        await harness.stop()


def test_the_table_has_every_command_and_every_button() -> None:
    assert {row.what.split()[0][1:] for row in COMMANDS} == {item.command for item in menu()}
    actions = {
        "requests": requests.BUTTONS, "notice": notices.ACTIONS, "roster": roster.BUTTONS,
        "lockup": ("start", "tick", "post", "problem"), "points": points.BUTTON_ACTIONS,
        "event": events.BUTTONS, "hours": hours_views.BUTTONS, "care": care_views.BUTTONS,
        "booking": bookings.BUTTON_ACTIONS, "join": welcome_views.BUTTONS,
        "outage": outage_views.BUTTONS,
        "relay": relay.BUTTONS,
    }  # fmt: skip
    pressed = {tuple(row.what.split(":")[:2]) for row in BUTTONS}
    assert pressed == {(feature, action) for feature, names in actions.items()
                       for action in names}


async def test_every_command_against_every_role(community: Community) -> None:
    await check_rows(community, COMMANDS, command)


async def test_every_button_against_every_role(community: Community) -> None:
    await check_rows(community, BUTTONS, button)


Act = Callable[[Community, Place, Row, str, dict[str, Any]], Awaitable[Outcome]]


async def check_rows(community: Community, rows: list[Row], act: Act) -> None:
    """Each row in a fresh building; every role; the outcomes against the table."""
    mismatches: list[str] = []
    with logged_errors() as errors:
        for row in rows:
            place = await add_place(community)
            for role in ROLES:
                values = await prepare(community, place, row.prepare, role)
                before = await community.state()
                outcome = await act(community, place, row, role, values)
                problem = judge(row, role, outcome)
                if outcome.refused and await community.state() != before:
                    problem = problem or "refused, but the state changed"
                if problem:
                    mismatches.append(f"{row.what} ({row.where}) as {role}: {problem}")
    assert not errors, errors
    assert not mismatches, "\n".join(mismatches)


def judge(row: Row, role: str, outcome: Outcome) -> str:
    """What is wrong with an outcome, or ''."""
    if outcome.error is not None and not outcome.refused:
        return f"unhandled {outcome.error!r}"
    if not any(outcome.texts):
        return "no answer"
    if any(bad in text for text in outcome.texts for bad in SOMETHING_WENT_WRONG):
        return "'something went wrong'"
    allowed = role in row.allowed
    if allowed and outcome.refused:
        return f"refused: {outcome.texts}"
    if not allowed and not outcome.refused:
        return f"allowed: {outcome.texts[:1]}"
    return ""


# --- acting ---------------------------------------------------------------------------------


async def command(
    community: Community, place: Place, row: Row, role: str, values: dict[str, Any]
) -> Outcome:
    """The role's person sends the command where the row says (a non-member: in private)."""
    user = place.user(role)
    text = row.what.format(**values)
    in_group = row.where in ("group", "topic") and role in MEMBERS
    chat = place.group if in_group else user
    thread = values.get("thread") if in_group and row.where == "topic" else None
    watch = (place.group,) if row.what.startswith(
        ("/notice", "/event", "/emergency", "/outage")) else ()
    return await community.says(user, chat, text, watch=watch, thread=thread)


async def button(
    community: Community, place: Place, row: Row, role: str, values: dict[str, Any]
) -> Outcome:
    """The role's person presses the button: on the post or card in the group, or (forged
    or not) on a message of their own private chat."""
    user = place.user(role)
    data = row.what.format(**values)
    if row.where == "private":
        return await community.presses(user, user, community.harness.emu.sent(user)[0].message_id,
                                       data)
    message_id = values["message"]
    return await community.presses(user, place.group, message_id, data)


# --- what the rows act on -------------------------------------------------------------------


async def prepare(community: Community, place: Place, kind: str, role: str) -> dict[str, Any]:
    """The row's fresh objects, and the values every row may use."""
    building = await community.building(place)
    values: dict[str, Any] = {
        "name": place.name,
        "target": place.username(place.target),
        "volunteer": place.username(place.volunteer),
        "building_id": building.id,
        "volunteer_id": place.volunteer,
        "neighbour": place.neighbour,
        "me": place.user(role),
        "partner": place.target,
        "soon": local(community, hours=1),
        "tomorrow": local(community, hours=24)[:10],
        "n": next(_numbers),
    }
    if kind:
        values.update(await PREPARATIONS[kind](community, place, role))
    return values


def local(community: Community, *, hours: float) -> str:
    """A local time some hours from now, as people write it."""
    services = community.harness.bot.services
    moment = datetime.fromtimestamp(services.clock.now(), services.settings.community.tz)
    return (moment + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M")


async def ok(community: Community, user: int, chat: int, text: str) -> Outcome:
    """A preparation step that must work."""
    outcome = await community.says(user, chat, text)
    assert outcome.error is None, (text, outcome.error, outcome.texts)
    return outcome


async def last_id(community: Community, table: str) -> int:
    """The newest row of a table."""
    return int(await community.harness.value(f"SELECT max(id) FROM {table}"))


_asked = [0]
_numbers = itertools.count(1)


async def ask(community: Community, place: Place, user: int) -> int:
    """A resident asks for help in private; returns the request's number."""
    _asked[0] += 1
    await ok(community, user, user, f"/request 第{_asked[0]}次请帮忙修一下门锁")
    return await last_id(community, "requests")


async def open_request(community: Community, place: Place, role: str) -> dict[str, Any]:
    """An open request of the neighbour."""
    return {"open": await ask(community, place, place.neighbour)}


async def own_request(community: Community, place: Place, role: str) -> dict[str, Any]:
    """An open request of the resident."""
    return {"own": await ask(community, place, place.resident)}


async def claimed_request(community: Community, place: Place, role: str) -> dict[str, Any]:
    """A request of the neighbour that the volunteer took."""
    number = await ask(community, place, place.neighbour)
    await ok(community, place.volunteer, place.volunteer, f"/claim {number}")
    return {"claimed": number}


async def canned(community: Community, place: Place, role: str) -> dict[str, Any]:
    """A canned reply of the building, added by its owner."""
    title = f"电话{next(_numbers)}"
    await ok(community, place.owner, place.group, f"/replies add {title} | 物业值班电话：12345678")
    canned_id = await last_id(community, "canned_replies")
    return {"canned": title, "canned_id": canned_id}


async def claimed_canned(community: Community, place: Place, role: str) -> dict[str, Any]:
    """A request the volunteer took, and a canned reply of its building."""
    return {**await claimed_request(community, place, role),
            **await canned(community, place, role)}


async def waiting_request(community: Community, place: Place, role: str) -> dict[str, Any]:
    """A request of the neighbour that the volunteer took and set waiting."""
    number = (await claimed_request(community, place, role))["claimed"]
    tomorrow = local(community, hours=24)[:10]
    await ok(community, place.volunteer, place.volunteer, f"/wait {number} {tomorrow} 等配件")
    return {"waiting": number}


async def done_request(community: Community, place: Place, role: str) -> dict[str, Any]:
    """A request of the resident, taken and done by the volunteer."""
    number = await ask(community, place, place.resident)
    await ok(community, place.volunteer, place.volunteer, f"/claim {number}")
    await ok(community, place.volunteer, place.volunteer, f"/done {number}")
    return {"rated": number}


async def draft(community: Community, place: Place, role: str) -> dict[str, Any]:
    """The resident lives in two buildings: a private /request asks which one."""
    services = community.harness.bot.services
    await services.community.resident_seen(OTHER_GROUP, place.resident)
    await ok(community, place.resident, place.resident, "/request 帮我买点菜")
    return {"draft": await last_id(community, "request_drafts")}


async def anonymous_request(community: Community, place: Place, role: str) -> dict[str, Any]:
    """The neighbour reported a dispute in private without their name."""
    _asked[0] += 1
    await ok(community, place.neighbour, place.neighbour,
             f"/request 匿名 纠纷 第{_asked[0]}次楼上半夜太吵")
    return {"anonymous": await last_id(community, "requests")}


async def dispute_offer(community: Community, place: Place, role: str) -> dict[str, Any]:
    """The resident wrote about a dispute in private: the offer, with «Don't show my name»."""
    _asked[0] += 1
    await ok(community, place.resident, place.resident, f"第{_asked[0]}次楼上半夜太吵了")
    return {"offer": await last_id(community, "request_drafts")}


async def media(community: Community, place: Place, role: str) -> dict[str, Any]:
    """The resident sent a photo in private, with an open request of theirs."""
    number = await ask(community, place, place.resident)
    harness = community.harness
    waiting = harness.emu.wait_for_message(place.resident, "新的求助", 5)
    harness.emu.user_sends_photo(place.resident, place.resident, "楼道的灯")
    await waiting
    await harness.settle()
    return {"media": await last_id(community, "request_media"), "own": number}


_applicants = itertools.count(20_000)


async def join_request(community: Community, place: Place, role: str) -> dict[str, Any]:
    """Someone asked to join the group through the link and answered flat and name."""
    harness, applicant = community.harness, next(_applicants)
    harness.emu.add_user(applicant, f"App{applicant}", username=f"a{applicant}")
    waiting = harness.emu.wait_for_message(applicant, "楼号-房号", 5)
    harness.emu.user_requests_to_join(applicant, place.group)
    await waiting
    await ok(community, applicant, applicant, "3-502")
    await ok(community, applicant, applicant, "陈明")
    return {"join": await last_id(community, "join_requests")}


async def target(community: Community, place: Place, role: str) -> dict[str, Any]:
    """The person to make a volunteer is not one yet."""
    services = community.harness.bot.services
    user = await services.users.get(place.target)
    assert user is not None
    building = await community.building(place)
    if await services.community.buildings.is_volunteer(building.id, place.target):
        await services.community.remove_volunteer(building, user)
    return {}


async def target_volunteer(community: Community, place: Place, role: str) -> dict[str, Any]:
    """The person to remove is a volunteer."""
    services = community.harness.bot.services
    user = await services.users.get(place.target)
    assert user is not None
    await services.community.add_volunteer(await community.building(place), user, [])
    return {}


async def notice(community: Community, place: Place, role: str) -> dict[str, Any]:
    """A notice posted to the group by its owner from a private chat."""
    await ok(community, place.owner, place.owner, f"/notice {place.name} 今晚停电")
    notice_id = await last_id(community, "notices")
    post = await community.harness.db.fetch_one(
        "SELECT p.id, o.message_id FROM notice_posts p JOIN outbox o ON o.id = p.outbox_id "
        "WHERE p.notice_id = ?", (notice_id,))
    assert post is not None
    return {"notice": notice_id, "post": post[0], "message": post[1]}


async def nudged_notice(community: Community, place: Place, role: str) -> dict[str, Any]:
    """A notice whose owner pressed «Remind the rest»: the residents got a private reminder."""
    values = await notice(community, place, role)
    owner_chat = community.harness.emu.sent(place.owner)[0].message_id
    pressed = await community.presses(place.owner, place.owner, owner_chat,
                                      f"notice:remind:{values['notice']}")
    assert pressed.error is None, (pressed.error, pressed.texts)
    await community.harness.settle()
    return values


async def scheduled_notice(community: Community, place: Place, role: str) -> dict[str, Any]:
    """A notice scheduled for tomorrow."""
    at = local(community, hours=24)
    await ok(community, place.owner, place.owner, f"/notice {place.name} at {at} 明天停水")
    return {"scheduled": await last_id(community, "notices")}


async def recurring_notice(community: Community, place: Place, role: str) -> dict[str, Any]:
    """A notice posted every Monday at 09:00."""
    await ok(community, place.owner, place.owner, f"/notice {place.name} every mon 09:00 小贴士")
    return {"recurring": await last_id(community, "recurring_notices")}


async def outage(community: Community, place: Place, role: str) -> dict[str, Any]:
    """A water outage in the building tomorrow morning."""
    day = local(community, hours=24)[:10]
    await ok(community, place.owner, place.owner, f"/outage water {place.name} {day} 08:00-12:00")
    return {"outage": await last_id(community, "outages")}


async def shift(community: Community, place: Place, role: str) -> dict[str, Any]:
    """A shift of the volunteer tomorrow, and another volunteer to swap with."""
    services = community.harness.bot.services
    partner = await services.users.get(place.target)
    assert partner is not None
    await services.community.add_volunteer(await community.building(place), partner, [])
    tomorrow = datetime.fromtimestamp(services.clock.now(), services.settings.community.tz)
    tomorrow += timedelta(days=1)
    code = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[tomorrow.weekday()]
    await ok(community, place.owner, place.owner,
             f"/roster {place.name} add {code} 10:00-12:00 @{place.username(place.volunteer)}")
    return {"shift": await last_id(community, "shifts"), "day": tomorrow.strftime("%Y%m%d")}


async def shift_now(community: Community, place: Place, role: str) -> dict[str, Any]:
    """The volunteer is on duty now (a shift from the last hour to the next two)."""
    services = community.harness.bot.services
    start = datetime.fromtimestamp(services.clock.now(), services.settings.community.tz)
    start = start.replace(minute=0) - timedelta(hours=1)
    code = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[start.weekday()]
    end = start + timedelta(hours=3)
    await ok(community, place.owner, place.owner,
             f"/roster {place.name} add {code} {start:%H:%M}-{end:%H:%M} "
             f"@{place.username(place.volunteer)}")
    return {}


_slots = [0]


async def swap(community: Community, place: Place, role: str) -> dict[str, Any]:
    """The other volunteer of the building asks the volunteer to take their shift (a shift
    of its own for each role: an accepted swap changes who is on it)."""
    services = community.harness.bot.services
    partner = await services.users.get(place.target)
    assert partner is not None
    await services.community.add_volunteer(await community.building(place), partner, [])
    tomorrow = datetime.fromtimestamp(services.clock.now(), services.settings.community.tz)
    tomorrow += timedelta(days=1)
    code = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[tomorrow.weekday()]
    _slots[0] += 1
    slot = _slots[0] % 64  # quarter hours from 06:00, so that few repeat in one building
    hour, minute = 6 + slot // 4, 15 * (slot % 4)
    times = f"{hour:02d}:{minute:02d}-{hour:02d}:{minute + 10:02d}"
    await ok(community, place.owner, place.owner,
             f"/roster {place.name} add {code} {times} @{place.username(place.target)}")
    building = await community.building(place)
    # the shift of this building at that time (a slot used before makes no new row)
    shift_id = int(await community.harness.value(
        "SELECT id FROM shifts WHERE building_id = ? AND weekday = ? AND start_minute = ?",
        building.id, tomorrow.weekday(), hour * 60 + minute,
    ))
    day = tomorrow.strftime("%Y%m%d")
    offered = await community.presses(place.target, place.target,
                                      community.harness.emu.sent(place.target)[0].message_id,
                                      f"roster:swapto:{shift_id}:{day}:{place.volunteer}")
    assert offered.error is None, offered.texts
    return {"swap": await last_id(community, "swaps")}


async def away(community: Community, place: Place, role: str) -> dict[str, Any]:
    """The volunteer is away tomorrow (and nobody else is)."""
    async with community.harness.db.transaction() as tx:
        await tx.execute("DELETE FROM aways")
    tomorrow = local(community, hours=24)[:10]
    await ok(community, place.volunteer, place.volunteer, f"/away {tomorrow}")
    return {}


async def open_shift(community: Community, place: Place, role: str) -> dict[str, Any]:
    """The other volunteer of the building cannot make their shift tomorrow: it is open (a
    shift of its own for each role: taking it changes who is on it)."""
    values = await swap_partner_shift(community, place)
    services = community.harness.bot.services
    day = datetime.strptime(values["day"], "%Y%m%d").date()
    shown = await services.roster.cant_make_it(Actor(place.target), values["shift"], day)
    await services.scheduler.run_due()  # the offers that fall due at once go out now
    await community.harness.settle()
    return {"open_shift": shown.open_shift.id}


async def swap_partner_shift(community: Community, place: Place) -> dict[str, Any]:
    """A shift of the other volunteer (place.target) tomorrow, to open."""
    services = community.harness.bot.services
    partner = await services.users.get(place.target)
    assert partner is not None
    await services.community.add_volunteer(await community.building(place), partner, [])
    tomorrow = datetime.fromtimestamp(services.clock.now(), services.settings.community.tz)
    tomorrow += timedelta(days=1)
    code = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[tomorrow.weekday()]
    _slots[0] += 1
    hour = 6 + _slots[0] % 16
    # Minutes :30 to :59, apart from the swaps' slots: a seat opened here stays open.
    await ok(community, place.owner, place.owner,
             f"/roster {place.name} add {code} {hour:02d}:30-{hour:02d}:59 "
             f"@{place.username(place.target)}")
    building = await community.building(place)
    shift_id = await community.harness.value(  # the slot may exist already: not the newest
        "SELECT id FROM shifts WHERE building_id = ? AND weekday = ? AND start_minute = ?",
        building.id, tomorrow.weekday(), hour * 60 + 30)
    return {"shift": shift_id, "day": tomorrow.strftime("%Y%m%d")}


async def facility(community: Community, place: Place, role: str) -> dict[str, Any]:
    """The building's study room (added once)."""
    services = community.harness.bot.services
    found = await services.lockup.facilities(await community.building(place))
    if not found:
        await ok(community, place.owner, place.owner,
                 f"/facility {place.name} add 自习室 | 21:00 | 窗户, 门")
        found = await services.lockup.facilities(await community.building(place))
    other = await services.community.building_of_chat(OTHER_GROUP)
    if not await services.lockup.facilities(other):  # the other volunteer's own building
        spec = parse_facility("活动室 | 21:00 | 关灯")
        await services.lockup.add_facility(Actor(ADMIN), other, spec)
    return {"facility": found[0].id}


async def lockup(community: Community, place: Place, role: str) -> dict[str, Any]:
    """The volunteer has opened tonight's checklist (once: its state carries on)."""
    values = await facility(community, place, role)
    found = await community.harness.value(
        "SELECT max(id) FROM lockups WHERE facility_id = ?", values["facility"])
    if found is None:
        await ok(community, place.volunteer, place.volunteer, "/lockup")
        found = await last_id(community, "lockups")
    return {**values, "lockup": found}


async def ticked_lockup(community: Community, place: Place, role: str) -> dict[str, Any]:
    """The volunteer has ticked everything and may post the report."""
    values = await lockup(community, place, role)
    status = await community.harness.value(
        "SELECT status FROM lockups WHERE id = ?", values["lockup"])
    welcome = community.harness.emu.sent(place.volunteer)[0].message_id
    for item in range(2 if status == "open" else 0):
        pressed = await community.presses(place.volunteer, place.volunteer, welcome,
                                          f"lockup:tick:{values['lockup']}:{item}")
        assert pressed.error is None, pressed.texts
    return {"ticked": values["lockup"]}


async def reward(community: Community, place: Place, role: str) -> dict[str, Any]:
    """A reward of the building, and points for the person to redeem it with."""
    services = community.harness.bot.services
    added = await services.points.add_reward(
        Actor(place.owner), await community.building(place), parse_reward("洗车 | 王记 | 1 | 100"))
    async with community.harness.db.transaction() as tx:
        await services.points.award_in(tx, place.user(role), 10, "award",
                                       f"rights:{added.id}:{role}", ADMIN)
    return {"reward": added.id}


async def redemption(community: Community, place: Place, role: str) -> dict[str, Any]:
    """The volunteer redeemed a reward of the building; the owners are to decide."""
    values = await reward(community, place, "volunteer")
    await ok(community, place.volunteer, place.volunteer, f"/redeem {values['reward']}")
    return {"redemption": await last_id(community, "redemptions")}


async def event(community: Community, place: Place, role: str, hours: float = 1) -> dict[str, Any]:
    """An event in an hour, posted in the group by its owner."""
    when = local(community, hours=hours)
    await ok(community, place.owner, place.owner,
             f"/event {place.name} | {when} | 义诊 | 活动室 | 40 | 2")
    event_id = await last_id(community, "events")
    message_id = await community.harness.value(
        "SELECT message_id FROM cards WHERE kind = 'event' AND ref = ?", str(event_id))
    assert message_id is not None
    return {"event": event_id, "message": message_id}


async def event_form(community: Community, place: Place, role: str) -> dict[str, Any]:
    """The owner's step-by-step /event form in private, asking for the capacity."""
    for answer in (f"/event {place.name}", "义诊", local(community, hours=1), "活动室"):
        await ok(community, place.owner, place.owner, answer)
    return {}


async def joined_event(community: Community, place: Place, role: str) -> dict[str, Any]:
    """An event the person has signed up for."""
    values = await event(community, place, role)
    services = community.harness.bot.services
    await services.events.join(Actor(place.user(role)), values["event"],
                               await community.building(place), "guest")
    return values


async def started_event(community: Community, place: Place, role: str) -> dict[str, Any]:
    """An event that began a moment ago, with the neighbour on its list (one for the row,
    until its attendance is saved: making one means moving the clock past its start)."""
    found = await community.harness.value(
        "SELECT max(e.id) FROM events e JOIN event_posts p ON p.event_id = e.id "
        "WHERE p.building_id = ? AND e.status = 'open' AND e.starts_at < ?",
        (await community.building(place)).id, community.harness.clock.now())
    if found is not None:
        return {"started": found}
    values = await event(community, place, role, hours=2 / 60)
    services = community.harness.bot.services
    await services.events.join(Actor(place.neighbour), values["event"],
                               await community.building(place), "guest")
    community.harness.clock.advance(3 * 60)
    await services.scheduler.run_due()  # what falls due now happens before the press
    await community.harness.settle()
    return {"started": values["event"]}


async def checkin_window(community: Community, place: Place, role: str) -> dict[str, Any]:
    """An event in 20 minutes with the volunteer on its list as a helper: its check-in
    window is open (the owner organises it)."""
    when = local(community, hours=1 / 3)
    await ok(community, place.owner, place.owner,
             f"/event {place.name} | {when} | 义诊{next(_numbers)} | 活动室 | 40 | 2")
    event_id = await last_id(community, "events")
    services = community.harness.bot.services
    await services.events.join(Actor(place.volunteer), event_id,
                               await community.building(place), "helper")
    async with community.harness.db.transaction() as tx:
        await services.hours.open_windows(tx)
    await community.harness.settle()
    row = await community.harness.db.fetch_one(
        "SELECT id, code FROM hours_activities WHERE ref = ?", (f"event:{event_id}",))
    card = await community.harness.value(
        "SELECT message_id FROM cards WHERE kind = 'event' AND ref = ?", str(event_id))
    assert row is not None and card is not None
    return {"activity": row[0], "code": row[1], "message": card}


async def checked_in(community: Community, place: Place, role: str) -> dict[str, Any]:
    """The volunteer checked in at an open window."""
    values = await checkin_window(community, place, role)
    await community.harness.bot.services.hours.check_in(Actor(place.volunteer),
                                                        values["activity"])
    return values


async def no_checkout(community: Community, place: Place, role: str) -> dict[str, Any]:
    """The activity ended with the volunteer still checked in: "no check-out"."""
    values = await checked_in(community, place, role)
    async with community.harness.db.transaction() as tx:
        await community.harness.bot.services.hours.close_activity(tx, values["activity"])
    attendance = await last_id(community, "hours_attendance")
    return {**values, "attendance": attendance}


async def hours_entry(community: Community, place: Place, role: str) -> dict[str, Any]:
    """Two make-up hours of the person (the volunteer's, for a correction by others)."""
    services = community.harness.bot.services
    user = await services.users.get(place.volunteer if role != "volunteer" else place.user(role))
    assert user is not None
    await services.hours.add_makeup(Actor(ADMIN), user, "2", "帮忙搬家",
                                    f"rights:makeup:{next(_numbers)}")
    return {"entry": await last_id(community, "hours_entries")}


async def mute(community: Community, place: Place, role: str) -> dict[str, Any]:
    """The target muted in the group by the antiflood (as its guard records it), afresh for
    each role."""
    services = community.harness.bot.services
    async with services.db.transaction() as tx:
        await tx.execute("UPDATE mutes SET unmuted_at = 0 WHERE user_id = ? AND unmuted_at IS NULL",
                         (place.target,))
        muted = await MuteRepository(services.db).add(
            tx, place.group, place.target, "link", services.clock.now())
    assert muted is not None
    return {"mute": muted.id}


async def certificate(community: Community, place: Place, role: str) -> dict[str, Any]:
    """A certificate of the volunteer's hours this year."""
    await hours_entry(community, place, "volunteer")
    services = community.harness.bot.services
    year = datetime.fromtimestamp(services.clock.now(), services.settings.community.tz).year
    issued = await services.hours.certificate(Actor(place.volunteer), year,
                                              f"rights:certificate:{next(_numbers)}")
    return {"certificate": issued.certificate.number}


async def application(community: Community, place: Place, role: str) -> dict[str, Any]:
    """The person to make a volunteer asked to be one (a pending application)."""
    await target(community, place, role)
    services = community.harness.bot.services
    found = await community.harness.value(
        "SELECT max(id) FROM volunteer_applications WHERE user_id = ? AND status = 'pending'",
        place.target)
    if found is None:
        applied = await services.hours.apply(Actor(place.target), await community.building(place),
                                             [], f"rights:apply:{next(_numbers)}")
        found = applied.application.id
    return {"application": found}


async def room(community: Community, place: Place, role: str) -> dict[str, Any]:
    """The building's study room, bookable every day from 06:00 (and one in the other
    volunteer's building); a slot of tomorrow 10:00."""
    services = community.harness.bot.services
    values = await facility(community, place, role)
    building = await community.building(place)
    spec = parse_bookable("自习室 | daily 06:00-24:00 | 60 | 10 | auto")
    await services.bookings.make_bookable(Actor(ADMIN), building, spec)
    other = await services.community.building_of_chat(OTHER_GROUP)
    await services.bookings.make_bookable(
        Actor(ADMIN), other, parse_bookable("活动室 | daily 06:00-24:00 | 60 | 10 | auto"))
    tomorrow = datetime.strptime(local(community, hours=24)[:10], "%Y-%m-%d").date()
    slot = services.bookings.moment(tomorrow, 10 * 60)
    return {"room": values["facility"], "day": tomorrow.strftime("%Y%m%d"),
            "slot": int(slot // 60), "slot_at": slot}


_booked: dict[int, int] = {}  # bookings made so far in each place (the bad-input test reuses)


def fresh_slot(values: dict[str, Any], place: Place, role: str) -> float:
    """An hour of tomorrow the resident has not booked yet: one for each role, and one more
    for each booking made in the same place before."""
    earlier = _booked.get(place.index, 0)
    _booked[place.index] = earlier + 1
    return float(values["slot_at"] + 3600 * (1 + (ROLES.index(role) + earlier) % 13))


async def booking(community: Community, place: Place, role: str) -> dict[str, Any]:
    """The resident's booking of a slot tomorrow (a fresh hour)."""
    services = community.harness.bot.services
    values = await room(community, place, role)
    at = fresh_slot(values, place, role)
    booked = await services.bookings.book(Actor(place.resident), values["room"], at, None)
    return {"booking": booked.booking.id}


async def booking_soon(community: Community, place: Place, role: str) -> dict[str, Any]:
    """The resident's approved booking that starts in five minutes: check-in is open."""
    values = await room(community, place, role)
    now = community.harness.bot.services.clock.now()
    async with community.harness.db.transaction() as tx:
        cursor = await tx.execute(
            """INSERT INTO bookings (facility_id, user_id, starts_at, ends_at, status,
                                     created_at) VALUES (?, ?, ?, ?, 'approved', ?)""",
            (values["room"], place.resident, now + 300, now + 3900, now))
    return {"soon_booking": cursor.lastrowid}


async def pending_booking(community: Community, place: Place, role: str) -> dict[str, Any]:
    """A booking of the study room once the owners made it need their approval (a second
    facility would make /lockup ask which one, so the room itself changes)."""
    services = community.harness.bot.services
    values = await room(community, place, role)
    await services.bookings.make_bookable(
        Actor(ADMIN), await community.building(place),
        parse_bookable("自习室 | daily 06:00-24:00 | 60 | 10 | 审批"))
    at = fresh_slot(values, place, role)
    booked = await services.bookings.book(Actor(place.resident), values["room"], at, None)
    return {"pending": booked.booking.id}


async def lockup_problem(community: Community, place: Place, role: str) -> dict[str, Any]:
    """A finished checklist whose volunteer pressed Problem: their next line describes it."""
    values = await ticked_lockup(community, place, role)
    user = place.user(role)
    message = community.harness.emu.sent(user)[0].message_id
    await community.presses(user, user, message, f"lockup:problem:{values['ticked']}")
    return values


async def topic(community: Community, place: Place, role: str) -> dict[str, Any]:
    """The building's group has topics, and the owner opened one."""
    emu = community.harness.emu
    emu.set_forum(place.group)
    thread = emu.create_forum_topic(place.group, place.owner, f"话题{next(_numbers)}")
    await community.harness.settle()
    return {"thread": thread}


async def topic_chosen(community: Community, place: Place, role: str) -> dict[str, Any]:
    """Notices go to a topic of the building's group."""
    values = await topic(community, place, role)
    outcome = await community.says(place.owner, place.group, "/topic notices",
                                   thread=values["thread"])
    assert outcome.error is None, outcome.texts
    return values


PREPARATIONS: dict[str, Callable[[Community, Place, str], Awaitable[dict[str, Any]]]] = {
    "topic": topic,
    "topic_chosen": topic_chosen,
    "join_request": join_request,
    "mute": mute,
    "target": target,
    "target_volunteer": target_volunteer,
    "notice": notice,
    "scheduled_notice": scheduled_notice,
    "nudged_notice": nudged_notice,
    "recurring_notice": recurring_notice,
    "outage": outage,
    "own_request": own_request,
    "open_request": open_request,
    "claimed_request": claimed_request,
    "done_request": done_request,
    "waiting_request": waiting_request,
    "canned": canned,
    "claimed_canned": claimed_canned,
    "draft": draft,
    "anonymous_request": anonymous_request,
    "dispute_offer": dispute_offer,
    "media": media,
    "shift": shift,
    "shift_now": shift_now,
    "swap": swap,
    "away": away,
    "open_shift": open_shift,
    "facility": facility,
    "room": room,
    "booking": booking,
    "pending_booking": pending_booking,
    "booking_soon": booking_soon,
    "lockup_problem": lockup_problem,
    "lockup": lockup,
    "ticked_lockup": ticked_lockup,
    "reward": reward,
    "redemption": redemption,
    "event": event,
    "event_form": event_form,
    "joined_event": joined_event,
    "started_event": started_event,
    "checkin_window": checkin_window,
    "checked_in": checked_in,
    "no_checkout": no_checkout,
    "hours_entry": hours_entry,
    "certificate": certificate,
    "application": application,
}
