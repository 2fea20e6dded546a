"""Emergencies without Telegram: reading /emergency, the urgent rows it queues (ahead of an
ordinary notice in the same group, pinned with notification), and the summary's words."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from bot.domain.notices import NoticeLine
from bot.errors import InvalidInput, LinliError, NotAllowed
from bot.i18n import translator
from bot.outbox import URGENT
from bot.services.community import Actor
from bot.services.emergency import EmergencyService
from bot.services.notices import MAX_LENGTH, Draft
from bot.views import notices as views
from tests.test_notices_service import OWNER, RESIDENTS, building, sent, value
from tests.test_notices_service import world as world  # the fixture
from tests.test_notices_views import NOW, SHANGHAI, notice, post

EN, ZH = translator("en"), translator("zh")
OWNED = [building(1, "3号楼"), building(2, "5号楼")]


def refusal(error: LinliError) -> str:
    return ZH(error.message, **error.params)


def alerts(world: SimpleNamespace) -> EmergencyService:
    return EmergencyService(notices=world.notices, community=world.services.community)


async def test_the_buildings_come_first_in_private_and_the_only_one_may_be_left_out(
    world: SimpleNamespace,
) -> None:
    service = alerts(world)
    everywhere = await service.draft("all 煤气泄漏\n请撤离", OWNED)
    assert everywhere == Draft("煤气泄漏\n请撤离", pin=True, to_all=True, urgent=True)
    named = await service.draft("5号楼 煤气泄漏", OWNED)
    assert [b.name for b in named.buildings] == ["5号楼"] and named.text == "煤气泄漏"
    only = await service.draft("煤气泄漏", OWNED[:1])
    assert [b.name for b in only.buildings] == ["3号楼"] and only.text == "煤气泄漏"
    here = await service.draft("5号楼 的煤气泄漏了", None)
    assert here.text == "5号楼 的煤气泄漏了" and here.urgent and here.pin


@pytest.mark.parametrize(
    ("text", "owned", "words"),
    [
        ("", None, "请在命令后面写上紧急通知的内容"),
        (" \u200b ", None, "请在命令后面写上紧急通知的内容"),
        ("", OWNED, "再写紧急通知的内容"),
        ("all", OWNED, "再写紧急通知的内容"),
        ("5号楼", OWNED, "再写紧急通知的内容"),
        ("煤气泄漏", OWNED, "您是 3号楼, 5号楼 的负责人"),
        ("撤" * (MAX_LENGTH + 1), None, f"{MAX_LENGTH + 1} 个字，最多 {MAX_LENGTH} 个"),
        ("all " + "😀" * (MAX_LENGTH // 2 + 1), OWNED, "不会截断"),
    ],
)
async def test_bad_emergencies_are_refused_with_what_to_write(
    world: SimpleNamespace, text: str, owned: list[object] | None, words: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await alerts(world).draft(text, owned)  # type: ignore[arg-type]
    assert words in refusal(refused.value)


async def test_an_emergency_queues_urgent_rows_ahead_of_a_notice_and_pins_loudly(
    world: SimpleNamespace,
) -> None:
    notices, owner = world.notices, Actor(OWNER)
    await notices.create(owner, OWNER, OWNED, Draft("周六消防演练"), 1)
    service = alerts(world)
    draft = await service.draft("all 煤气泄漏", OWNED)
    urgent = await service.send(owner, OWNER, OWNED, draft, 2)
    assert urgent.urgent and urgent.pin
    assert await service.send(owner, OWNER, OWNED, draft, 2) == urgent, "a replay posts nothing"
    heads = list(await world.services.outbox.repo.heads(10))
    assert [(h.chat_id, h.priority) for h in heads] == [(-1, URGENT), (-2, URGENT)]
    assert all("紧急通知" in h.params["text"] for h in heads)
    assert all(h.params["disable_notification"] is False for h in heads)

    await sent(world, urgent.id, {-1: 70, -2: None})
    async with world.db.transaction() as tx:
        for row in await world.services.outbox.repo.by_ref(f"notice:{urgent.id}"):
            await notices.on_settled(tx, SimpleNamespace(row=row))  # type: ignore[arg-type]
    [pin] = [r for r in await world.services.outbox.repo.by_ref(f"notice:{urgent.id}")
             if r.method == "pinChatMessage"]
    assert (pin.chat_id, pin.priority) == (-1, URGENT)
    assert json.loads(pin.payload) == {"message_id": 70, "disable_notification": False}
    assert [h.id for h in await world.services.outbox.repo.heads(1)] == [pin.id]
    assert await value(world, "SELECT count(*) FROM notices WHERE urgent = 1") == 1


async def test_a_resident_may_not_send_an_emergency(world: SimpleNamespace) -> None:
    service = alerts(world)
    draft = await service.draft("all 煤气泄漏", OWNED)
    with pytest.raises(NotAllowed):
        await service.send(Actor(RESIDENTS[0]), RESIDENTS[0], OWNED, draft, 3)
    assert await value(world, "SELECT count(*) FROM notices") == 0
    assert await value(world, "SELECT count(*) FROM outbox") == 0


def test_the_summary_of_an_emergency_says_where_it_arrived_and_why_not() -> None:
    posts = [
        post(1, "3号楼", "posted"),
        post(2, "5号楼", "failed", error="the bot was removed from the group"),
        post(3, "7号楼", "posted", pin_error="Bad Request: not enough rights"),
        post(4, "9号楼", "failed", error="Bad Request: chat not found"),
    ]
    text = views.summary(EN, notice(urgent=True), posts).text
    assert text.startswith("🚨 Emergency #7 arrived in 2 of 4 groups.")
    assert "• 5号楼: I am no longer in that group." in text
    assert "• 9号楼: That group no longer exists." in text
    assert "<b>Not pinned:</b>\n• 7号楼: I need to be an admin" in text
    everywhere = views.summary(ZH, notice(urgent=True), [post(1, "3号楼", "posted")]).text
    assert everywhere.startswith("🚨 紧急通知 #7 已送达全部 1 个群。")


def test_the_post_of_an_emergency_has_its_heading_and_notifies() -> None:
    shown = views.post(ZH, notice(urgent=True), 3, 0)
    assert shown.text.startswith("🚨 <b>紧急通知</b>")
    assert shown.send_params()["disable_notification"] is False
    assert "disable_notification" not in views.post(ZH, notice(), 3, 0).send_params()


def test_an_emergency_is_marked_in_the_list_of_notices() -> None:
    line = NoticeLine(id=4, author_id=10, text="煤气泄漏", status="sent", created_at=NOW,
                      buildings=1, building_name="3号楼", confirmed=0, delivered=1, urgent=True)
    assert views.notice_line(ZH, line, SHANGHAI).startswith("🚨 #4 · ")
    plain = line.model_copy(update={"urgent": False})
    assert views.notice_line(ZH, plain, SHANGHAI).startswith("#4 · ")
