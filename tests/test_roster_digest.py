"""The weekly digest without Telegram: off until an owner turns it on, then each week at its
local time the group gets who is on duty each day of the coming week, the open shifts, the
requests still open, coming events and closing times; off again, nothing more is posted."""

from __future__ import annotations

import json

import pytest

from bot.context import Services
from bot.errors import InvalidInput, NotAllowed
from bot.services.community import Actor
from bot.services.lockup import parse_facility
from bot.services.roster import parse_roster_command
from tests.test_roster_service import (
    EVENING,
    LI,
    NIGHT,
    OWNER,
    WANG,
    add,
    advance_to,
    building_with_volunteers,
    local,
    services,
)

__all__ = ["services"]


async def digests(services: Services) -> list[str]:
    rows = await services.db.fetch_all(
        "SELECT payload FROM outbox WHERE kind = 'duty_digest' ORDER BY id")
    return [json.loads(row[0])["text"] for row in rows]


def test_the_text_form_of_the_digest_switch() -> None:
    assert parse_roster_command("digest on").at == (6, 19 * 60)
    assert parse_roster_command("digest on sat 08:30").at == (5, 8 * 60 + 30)
    off = parse_roster_command("digest off")
    assert off.action == "digest" and off.at is None
    for bad in ("digest", "digest on someday 19:00", "digest on sun 25:00", "digest maybe"):
        with pytest.raises(InvalidInput):
            parse_roster_command(bad)


async def test_the_digest_is_off_until_turned_on_then_posts_each_week(services: Services) -> None:
    building = await building_with_volunteers(services)
    await add(services, building, EVENING, LI)
    await add(services, building, NIGHT, WANG)
    spec = parse_facility("自习室 | mon-fri 21:00 sat 18:00 | 关灯")
    await services.lockup.add_facility(Actor(OWNER), building, spec)
    advance_to(services, local(29, 20))  # a Sunday evening passes: off by default
    await services.scheduler.run_due()
    assert await digests(services) == []

    with pytest.raises(NotAllowed):
        await services.roster.set_digest(Actor(LI), building, (6, 19 * 60))
    await services.roster.set_digest(Actor(OWNER), building, (6, 19 * 60))
    job = await services.scheduler.repo.get(f"duty digest {building.id} 2026-12-06")
    assert job is not None and job.due_at == local(29, 19) + 7 * 86400
    advance_to(services, job.due_at + 60)
    await services.scheduler.run_due()
    [text] = await digests(services)
    assert "下周值班" in text
    assert "周一 12-07：18:00–22:00 Li; 22:00–02:00 Wang" in text.replace("；", "; ")
    assert "周二 12-08：无人值班" in text
    assert "待处理的求助：0 个" in text
    assert "无人值班的小时数：160" in text  # 168 hours, Monday 18:00 to Tuesday 02:00 covered
    assert "自习室：周一–周五 21:00, 周六 18:00" in text.replace("，", ", ")
    following = await services.scheduler.repo.get(f"duty digest {building.id} 2026-12-13")
    assert following is not None and following.status == "pending"

    await services.roster.set_digest(Actor(OWNER), building, None)
    advance_to(services, following.due_at + 60)
    await services.scheduler.run_due()
    assert len(await digests(services)) == 1
