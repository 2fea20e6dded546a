"""Month figures, the chart and the spreadsheet, without Telegram: a real SQLite database
with a small community whose figures are worked out by hand below.

The community, in Asia/Shanghai time. November 2026 is the month looked at; what happens
in October or December must not count.

3号楼: residents 张 (R1), 李 (R2), 王 (R3), 赵 (left the group); volunteers 小周 (V1, also
       a resident) and 小吴 (V2). People known 5, volunteers 2 (40%).
5号楼: resident 钱 (R4); volunteers 小郑 (V3) and 小周 (V1 serves both). People 3,
       volunteers 2. In total 7 people and 3 volunteers (小周 counts once).

Requests (escalation after 15 minutes):
  #1  Oct 31, 3号楼, done: October, not counted.
  #2  3号楼 repair: claimed by V1 after 10 min, done after 70 min, rated 5.
  #3  3号楼 errand: claimed by V2 after 30 min, given back, claimed by V1 after 50 min,
      done after 120 min, rated 3. Its first claim (30 min) is what counts.
  #4  3号楼 health: cancelled after 5 min, never claimed.
  #5  3号楼 repair: still open.
  #6  5号楼 dispute: claimed by V3 after 5 min, still claimed.
  => 3号楼: opened 4, done 2, cancelled 1, still open 1; median to claim 20 min (10, 30),
     to finish 95 min (70, 120); in time 1 of 3; rating 4.0 of 2.
     5号楼: opened 1, still open 1; to claim 5 min; in time 1 of 1.
     Total: opened 5; to claim 10 min (5, 10, 30); in time 2 of 4.

Lock-ups of 3号楼's study room: Oct 31 on time (not counted); Nov 10 on time; Nov 11 late;
Nov 12 escalated (missing); Nov 13 unreported long past closing (missing); Nov 30 not due.

Events: E1 (Nov 15, both buildings, 2 places): 张 (3号楼) and 钱 (5号楼) going, 李 waiting;
张 came. E2 (Nov 18, 3号楼) cancelled. E3 (Dec 2) next month.
=> 3号楼: 1 event, 1 sign-up, 1 came; 5号楼: 1 event, 1 sign-up; total 1 event, 2, 1.

Points in November: V1 10 + 10 for #2 and #3, V3 an award of 7; V2's award was in October.
V1 redeemed a 15-point reward in 3号楼. => 3号楼 earned 20 (V1), 5号楼 27 (V1 + V3),
total 27 (V1 once), redeemed 15.
"""

from __future__ import annotations

import io
import subprocess
import warnings
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from telegram import Bot

from bot.app import build_services
from bot.clock import FakeClock
from bot.config import load_settings
from bot.context import Services
from bot.domain.core import Building
from bot.errors import InvalidInput, NotFound
from bot.i18n import translator
from bot.reports.chart import (
    DPI,
    FALLBACK_FONT,
    HEIGHT,
    PROBE,
    WIDTH,
    chart_texts,
    cjk_font,
    missing_glyphs,
    render_chart,
)
from bot.reports.figures import (
    Figures,
    MonthStats,
    duration_text,
    figures_text,
    report_messages,
)
from bot.reports.month import Month
from bot.services.community import Actor
from bot.services.lockup import parse_facility
from bot.services.people import Person, Place
from bot.services.points import RewardDraft
from bot.services.requests import Source
from bot.services.stats import REPORT_GRACE, REPORT_JOB, report_key
from bot.views.requests import waited_text
from storage.db import Database
from storage.events import EventRepository
from storage.lockups import LockupRepository
from storage.migrate import migrate

TZ = ZoneInfo("Asia/Shanghai")
OWNER, ADMIN = 10, 900
R1, R2, R3, R4, GONE = 21, 22, 23, 24, 25
V1, V2, V3 = 31, 32, 33
CHAT3, CHAT5 = -100, -200
NOVEMBER = Month(2026, 11)
NAMES = {OWNER: "王主任", ADMIN: "社区办", R1: "张", R2: "李", R3: "王", R4: "钱", GONE: "赵",
         V1: "小周", V2: "小吴", V3: "小郑"}


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


@dataclass
class Community:
    services: Services
    clock: FakeClock
    b3: Building
    b5: Building

    @property
    def db(self) -> Database:
        return self.services.db

    def at(self, moment: datetime) -> None:
        self.clock.set(moment)

    async def request(self, building: Building, resident: int, text: str, message: int) -> int:
        chat = CHAT3 if building.id == self.b3.id else CHAT5
        opened = await self.services.requests.open(
            building, Actor(resident), text, Source(chat, message, private=False)
        )
        return opened.request.number


async def open_community(
    folder: Path, admins: list[int] | None = None, booking: dict[str, object] | None = None
) -> Community:
    config = folder / "config.toml"
    config.write_text("", encoding="utf-8")
    settings = load_settings(
        config,
        require_token=False,
        database={"path": str(folder / "linli.db")},
        community={"admins": [ADMIN] if admins is None else admins},
        booking=booking or {},
    )
    clock = FakeClock(local(10, 31, 9))
    db = await Database.open(folder / "linli.db")
    await migrate(db)
    services = build_services(settings, clock, db, Bot("1:unit-tests"))  # never called
    for user_id, name in NAMES.items():
        await services.people.seen(Person(user_id, name, username=f"u{user_id}"), None)
        await services.people.started(user_id)
    await services.people.seen(None, Place(CHAT3, "group", "3号楼"))
    await services.people.seen(None, Place(CHAT5, "group", "5号楼"))
    b3 = (await services.community.setup(CHAT3, "3号楼", OWNER)).building
    b5 = (await services.community.setup(CHAT5, "5号楼", OWNER)).building
    await services.community.store_admins(CHAT3, [OWNER])
    await services.community.store_admins(CHAT5, [OWNER])
    return Community(services, clock, b3, b5)


async def people(c: Community) -> None:
    community = c.services.community
    for user_id in (R1, R2, R3, GONE, V1):
        await community.resident_seen(CHAT3, user_id)
    await community.resident_seen(CHAT5, R4)
    await community.member_left(CHAT3, GONE)
    users = c.services.users
    for building, volunteers in ((c.b3, (V1, V2)), (c.b5, (V3, V1))):
        for user_id in volunteers:
            user = await users.get(user_id)
            assert user is not None
            await community.add_volunteer(building, user, [])


async def october(c: Community) -> None:
    """What happens before the month: it must not count."""
    c.at(local(10, 31, 9))
    number = await c.request(c.b3, R1, "repair the door lock", 1)
    await c.services.requests.claim(number, Actor(V1))
    await c.services.requests.finish(number, Actor(V1))
    async with c.db.transaction() as tx:
        await c.services.points.award_in(tx, V2, 5, "award", "test:october", OWNER)


async def november_requests(c: Community) -> None:
    requests = c.services.requests
    c.at(local(11, 10, 9))
    two = await c.request(c.b3, R1, "repair the kitchen tap leaks", 2)
    c.clock.advance(10 * 60)
    await requests.claim(two, Actor(V1))
    c.clock.advance(60 * 60)
    await requests.finish(two, Actor(V1), "new washer")
    await requests.rate(two, Actor(R1), 5)

    c.at(local(11, 11, 9))
    three = await c.request(c.b3, R2, "errand: buy groceries", 3)
    c.clock.advance(30 * 60)
    await requests.claim(three, Actor(V2))
    c.clock.advance(10 * 60)
    await requests.release(three, Actor(V2))
    c.clock.advance(10 * 60)
    await requests.claim(three, Actor(V1))
    c.clock.advance(70 * 60)
    await requests.finish(three, Actor(V1))
    await requests.rate(three, Actor(R2), 3)

    c.at(local(11, 12, 9))
    four = await c.request(c.b3, R3, "health: blood pressure check", 4)
    c.clock.advance(5 * 60)
    await requests.cancel(four, Actor(R3))
    await c.request(c.b3, R1, "repair: the stair light is broken", 5)

    c.at(local(11, 13, 9))
    six = await c.request(c.b5, R4, "dispute: noise at night", 6)
    c.clock.advance(5 * 60)
    await requests.claim(six, Actor(V3))
    async with c.db.transaction() as tx:
        await c.services.points.award_in(tx, V3, 7, "award", "test:v3", OWNER)


async def lockups(c: Community) -> None:
    spec = parse_facility("自习室 | 21:00 | 窗户关好, 门锁好")
    facility = await c.services.lockup.add_facility(Actor(OWNER), c.b3, spec)
    repo = LockupRepository(c.db)
    grace = 20 * 60
    async with c.db.transaction() as tx:
        for month, day, outcome in ((10, 31, "on_time"), (11, 10, "on_time"), (11, 11, "late"),
                                    (11, 12, "escalated"), (11, 13, "silent"),
                                    (11, 30, "future")):
            closing = local(month, day, 21).timestamp()
            lockup = await repo.open_lockup(tx, facility.id, f"2026-{month:02d}-{day:02d}",
                                            closing)
            if outcome in ("on_time", "late"):
                assert await repo.finish_checklist(tx, lockup.id, V1, 0)
                late = outcome == "late"
                at = closing + (2 * grace if late else 60)
                assert await repo.report(tx, lockup.id, V1, at, late, "都关好了", None)
            elif outcome == "escalated":
                await repo.mark(tx, lockup.id, "escalated_at", closing + 2 * grace)


async def events(c: Community) -> None:
    repo = EventRepository(c.db)
    c.at(local(11, 13, 12))
    now = c.clock.now()

    def fields(title: str, starts: datetime, capacity: int | None) -> dict[str, object]:
        return {"title": title, "place": "活动室", "description": "", "helpers": 0,
                "starts_at": starts.timestamp(), "capacity": capacity}

    async with c.db.transaction() as tx:
        e1 = await repo.create(tx, fields("健康讲座", local(11, 15, 18), 2),
                               [c.b3.id, c.b5.id], OWNER, now)
        for user_id, chat in ((R1, CHAT3), (R4, CHAT5), (R2, CHAT3)):
            assert await repo.sign_up(tx, e1.id, user_id, chat, "guest", now)
        assert await repo.toggle_present(tx, e1.id, R1, OWNER, now)
        e2 = await repo.create(tx, fields("包饺子", local(11, 18, 10), None), [c.b3.id],
                               OWNER, now)
        assert await repo.sign_up(tx, e2.id, R3, CHAT3, "guest", now)
        assert await repo.close(tx, e2.id, "cancelled", now, started=False)
        e3 = await repo.create(tx, fields("年终聚餐", local(12, 2, 18), None), [c.b5.id],
                               OWNER, now)
        assert await repo.sign_up(tx, e3.id, R4, CHAT5, "guest", now)


async def redemption(c: Community) -> None:
    points = c.services.points
    reward = await points.add_reward(
        Actor(OWNER), c.b3, RewardDraft("洗车券", "老王洗车行", 15, 5, False)
    )
    redeemed = await points.redeem(Actor(V1), reward.id, c.b3, "test:redeem")
    await points.decide(Actor(OWNER), redeemed.redemption.id, approve=True)


async def build(folder: Path) -> Community:
    c = await open_community(folder)
    await people(c)
    await october(c)
    await november_requests(c)
    await lockups(c)
    await events(c)
    await redemption(c)
    c.at(local(11, 20, 12))
    return c


@pytest.fixture
async def community(tmp_path: Path) -> AsyncIterator[Community]:
    built = await build(tmp_path)
    try:
        yield built
    finally:
        await built.db.close()


def minutes(value: float | None) -> float | None:
    return None if value is None else round(value / 60, 2)


async def test_the_month_figures_match_the_hand_count(community: Community) -> None:
    c = community
    stats = await c.services.stats.figures([c.b3, c.b5], NOVEMBER)
    b3, b5 = (row.figures for row in stats.buildings)
    assert [row.building.name for row in stats.buildings] == ["3号楼", "5号楼"]
    assert (b3.people, b3.volunteers, b3.volunteer_share) == (5, 2, 0.4)
    assert (b3.opened, b3.done, b3.cancelled, b3.still_open) == (4, 2, 1, 1)
    assert (minutes(b3.median_claim), minutes(b3.median_finish)) == (20, 95)
    assert (b3.claimed_in_time, b3.needed_claim) == (1, 3)
    assert (b3.ratings, b3.average_rating) == (2, 4.0)
    assert (b3.lockups_on_time, b3.lockups_late, b3.lockups_missing) == (1, 1, 2)
    assert (b3.events, b3.signups, b3.attended) == (1, 1, 1)
    assert (b3.points_earned, b3.points_redeemed) == (20, 15)

    assert (b5.people, b5.volunteers) == (3, 2)
    assert (b5.opened, b5.done, b5.cancelled, b5.still_open) == (1, 0, 0, 1)
    assert (minutes(b5.median_claim), b5.median_finish) == (5, None)
    assert (b5.claimed_in_time, b5.needed_claim, b5.average_rating) == (1, 1, None)
    assert (b5.lockups_on_time, b5.lockups_late, b5.lockups_missing) == (0, 0, 0)
    assert (b5.events, b5.signups, b5.attended) == (1, 1, 0)
    assert (b5.points_earned, b5.points_redeemed) == (27, 0)

    total = stats.total
    assert (total.people, total.volunteers) == (7, 3)
    assert (total.opened, total.done, total.cancelled, total.still_open) == (5, 2, 1, 2)
    assert (minutes(total.median_claim), minutes(total.median_finish)) == (10, 95)
    assert (total.claimed_in_time, total.needed_claim, total.in_time_share) == (2, 4, 0.5)
    assert (total.ratings, total.average_rating) == (2, 4.0)
    assert (total.lockups_on_time, total.lockups_late, total.lockups_missing) == (1, 1, 2)
    assert (total.events, total.signups, total.attended) == (1, 2, 1)
    assert (total.points_earned, total.points_redeemed) == (27, 15)


async def test_requests_per_day_by_category_and_claim_times_feed_the_chart(
    community: Community,
) -> None:
    stats = await community.services.stats.figures([community.b3, community.b5], NOVEMBER)
    assert set(stats.by_day) == {"repair", "errand", "health", "dispute"}
    assert all(len(days) == 30 for days in stats.by_day.values())
    assert stats.by_day["repair"][9] == 1 and stats.by_day["repair"][11] == 1  # 10th, 12th
    assert stats.by_day["errand"][10] == 1 and stats.by_day["dispute"][12] == 1
    assert sum(map(sum, stats.by_day.values())) == 5
    assert sorted(round(m) for m in stats.claim_minutes) == [5, 10, 30]
    assert stats.escalate_minutes == 15


async def test_october_is_its_own_month(community: Community) -> None:
    stats = await community.services.stats.figures([community.b3], Month(2026, 10))
    [row] = stats.buildings
    f = row.figures
    # V1's 10 for the October request, and V2's award of 5.
    assert (f.opened, f.done, f.lockups_on_time, f.points_earned) == (1, 1, 1, 15)
    assert (f.events, f.points_redeemed) == (0, 0)


async def test_one_building_only_sees_its_own_figures(community: Community) -> None:
    stats = await community.services.stats.figures([community.b5], NOVEMBER)
    assert [row.building.name for row in stats.buildings] == ["5号楼"]
    assert stats.total.opened == 1 and stats.total.points_earned == 27
    assert sum(map(sum, stats.by_day.values())) == 1


async def test_the_report_text_in_chinese(community: Community) -> None:
    stats = await community.services.stats.figures([community.b3, community.b5], NOVEMBER)
    [text] = report_messages(translator("zh"), stats)
    assert "2026-11" in text
    assert "<b>3号楼</b>" in text and "<b>5号楼</b>" in text and "<b>合计</b>" in text
    assert "已知人数：7 · 志愿者：3（43%）" in text
    assert "认领用时中位数：10 分钟 · 完成用时中位数：1.6 小时" in text
    assert "15 分钟内被认领：50%（4 个中的 2 个）" in text
    english = "\n".join(report_messages(translator("en"), stats))
    assert "Requests opened: 4 · done: 2 · cancelled: 1 · still open: 1" in english
    assert "Lock-ups on time: 1 · late: 1 · missing: 2" in english


def test_counts_and_settings_read_right_in_english_one_rating_and_no_zero_minutes() -> None:
    en, zh = translator("en"), translator("zh")
    one = Figures(ratings=1, rating_sum=4)
    assert "⭐ Average rating: 4.0 (1 rating)" in figures_text(en, "3", one, 15)
    assert "(2 ratings)" in figures_text(en, "3", Figures(ratings=2, rating_sum=9), 15)
    assert "（1 个评价）" in figures_text(zh, "3", one, 15)
    assert "Claimed within 0.5 min" in figures_text(en, "3", one, 0.5)
    assert waited_text(en, 0.4) == "No volunteer has taken this request in 24 seconds."
    assert waited_text(en, 1) == "No volunteer has taken this request in 1 minute."
    assert waited_text(en, 30) == "No volunteer has taken this request in 30 minutes."
    assert waited_text(zh, 0.4) == "这条求助已经 24 秒没有志愿者接单了。"


async def test_a_long_report_is_split_under_telegrams_limit(community: Community) -> None:
    stats = await community.services.stats.figures([community.b3, community.b5], NOVEMBER)
    many = stats.model_copy(update={"buildings": stats.buildings * 20})
    messages = report_messages(translator("zh"), many)
    assert len(messages) > 1 and all(len(m) < 4096 for m in messages)
    assert sum(m.count("<b>3号楼</b>") for m in messages) == 20


def test_durations_in_words() -> None:
    t = translator("en")
    assert [duration_text(t, s) for s in (None, 30, 8 * 60, 150 * 60, 3 * 86400)] == [
        "—", "under a minute", "8 min", "2.5 h", "3.0 days"
    ]


def test_months_are_read_and_bounded_in_the_community_time_zone() -> None:
    assert Month.parse("2026-10") == Month(2026, 10) == Month.parse("2026年10月")
    assert Month.parse("2026-13") is None and Month.parse("soon") is None
    assert Month(2026, 12).next() == Month(2027, 1) and Month(2027, 1).previous().key == "2026-12"
    assert NOVEMBER.start(TZ) == local(11, 1).timestamp()
    assert NOVEMBER.end(TZ) == local(12, 1).timestamp()
    berlin = ZoneInfo("Europe/Berlin")  # the clocks go back on Oct 25: a 25-hour day
    days = Month(2026, 10).days(berlin)
    assert len(days) == 31 and days[24][1] - days[24][0] == 25 * 3600


async def test_a_month_to_come_or_a_bad_month_is_refused(community: Community) -> None:
    service = community.services.stats
    assert service.month("") == NOVEMBER
    assert service.month("2026-10") == Month(2026, 10)
    with pytest.raises(InvalidInput):
        service.month("2026-12")
    with pytest.raises(InvalidInput):
        service.month("november")
    with pytest.raises(NotFound):
        await service.figures([], NOVEMBER)


# --- the chart -----------------------------------------------------------------------------


def test_a_chinese_font_is_installed_and_has_every_glyph_of_the_labels() -> None:
    chosen = cjk_font()
    assert chosen is not None, "no font with Chinese glyphs: install fonts-wqy-microhei"
    name, path = chosen
    stats = MonthStats(month="2026-11", buildings=[], total=Figures(), claim_minutes=[3.0],
                       by_day={code: [1] * 30 for code in ("repair", "errand", "health",
                                                           "elderly", "safety", "dispute",
                                                           "other")},
                       escalate_minutes=15)
    labels = "".join(chart_texts(translator("zh"), stats, "邻里社区").values())
    chinese = {char for char in labels if ord(char) >= 0x2E80}
    assert len(chinese) > 20
    assert not missing_glyphs("".join(chinese), path), name
    from matplotlib import font_manager

    dejavu = font_manager.findfont(FALLBACK_FONT)
    assert missing_glyphs("".join(chinese), dejavu) == chinese  # DejaVu alone draws boxes
    assert_real_glyphs(chinese, path)


async def test_the_chart_is_a_png_of_the_expected_size_drawn_without_missing_glyphs(
    community: Community, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matplotlib import font_manager
    from PIL import Image

    stats = await community.services.stats.figures([community.b3, community.b5], NOVEMBER)
    drawn = record_drawing(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)"
        png = render_chart(stats, translator("zh"), "邻里社区")
    # Last Resort draws every character without a warning, as a box: look at the glyphs.
    (texts, family), = drawn
    chinese = {char for char in "".join(texts.values()) if ord(char) >= 0x2E80}
    assert "每日" in texts["per_day"] and family[0] != FALLBACK_FONT
    assert_real_glyphs(chinese, font_manager.findfont(family[0], fallback_to_default=False))
    assert png.startswith(b"\x89PNG")
    image = Image.open(io.BytesIO(png))
    assert image.size == (WIDTH * DPI, HEIGHT * DPI)
    from matplotlib import image as mpimg

    pixels = mpimg.imread(io.BytesIO(png), format="png")
    assert pixels.shape[:2] == (HEIGHT * DPI, WIDTH * DPI)
    assert pixels.std() > 0.05  # something is drawn


async def test_without_a_chinese_font_the_chart_falls_back_to_english_not_boxes(
    community: Community, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.reports.chart as chart

    stats = await community.services.stats.figures([community.b3], NOVEMBER)
    monkeypatch.setattr(chart, "cjk_font", lambda: None)
    assert chart.font_family("每日求助") == ([FALLBACK_FONT], False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a box would come with a missing-glyph warning
        png = render_chart(stats, translator("zh"), "邻里社区")
    assert png.startswith(b"\x89PNG")


def glyph_image(path: str, char: str) -> bytes:
    """The character as FreeType draws it with the font, in pixels."""
    import numpy
    from matplotlib.ft2font import FT2Font

    font = FT2Font(path)
    font.set_size(32, 72)
    font.set_text(char)
    font.draw_glyphs_to_bitmap()
    return numpy.asarray(font.get_image()).tobytes()


def assert_real_glyphs(chinese: set[str], path: str) -> None:
    """Every character drawn differently: a placeholder font draws them all as one box."""
    images = {glyph_image(path, char) for char in chinese}
    assert len(images) == len(chinese), f"{path} draws placeholders for Chinese characters"


def record_drawing(monkeypatch: pytest.MonkeyPatch) -> list[tuple[dict[str, str], list[str]]]:
    """The texts and font family of each chart drawn from now on."""
    import bot.reports.chart as chart

    drawn: list[tuple[dict[str, str], list[str]]] = []
    draw = chart._draw

    def recording(stats: MonthStats, texts: dict[str, str], family: list[str]) -> bytes:
        drawn.append((texts, family))
        return draw(stats, texts, family)

    monkeypatch.setattr(chart, "_draw", recording)
    return drawn


@pytest.fixture
def bundled_fonts_only() -> Iterator[None]:
    """matplotlib's font list as it was cached before any system font was installed."""
    import matplotlib
    from matplotlib import font_manager

    manager = font_manager.fontManager
    installed = manager.ttflist
    manager.ttflist = [
        entry for entry in installed if entry.fname.startswith(matplotlib.get_data_path())
    ]
    manager._findfont_cached.cache_clear()
    cjk_font.cache_clear()
    yield
    manager.ttflist = installed
    manager._findfont_cached.cache_clear()
    cjk_font.cache_clear()


def test_matplotlibs_last_resort_placeholders_are_not_taken_for_chinese_glyphs() -> None:
    from matplotlib import font_manager

    last_resort = [e.fname for e in font_manager.fontManager.ttflist if "LastResort" in e.fname]
    if not last_resort:
        pytest.skip("this matplotlib has no Last Resort font")
    assert missing_glyphs(PROBE, last_resort[0]) == set(PROBE)
    assert missing_glyphs("Day 1–30", last_resort[0]) == set()  # its Latin is not the point


def test_a_chinese_font_installed_after_matplotlib_cached_its_fonts_is_found(
    bundled_fonts_only: None,
) -> None:
    from matplotlib import font_manager

    listed = subprocess.run(
        ["fc-list", ":lang=zh", "--format=%{file}\\n"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert listed, "no font with Chinese glyphs: install fonts-wqy-microhei"
    chosen = cjk_font()
    assert chosen is not None and chosen[1] in listed
    assert font_manager.findfont(chosen[0], fallback_to_default=False) == chosen[1]
    assert_real_glyphs(set(PROBE), chosen[1])


async def test_with_no_chinese_font_at_all_the_labels_are_english(
    community: Community, bundled_fonts_only: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matplotlib import font_manager

    import bot.reports.chart as chart

    monkeypatch.setattr(chart, "_fontconfig_chinese", list, raising=False)
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *args, **kwargs: [])
    assert cjk_font() is None
    stats = await community.services.stats.figures([community.b3], NOVEMBER)
    drawn = record_drawing(monkeypatch)
    assert render_chart(stats, translator("zh"), "邻里社区").startswith(b"\x89PNG")
    (texts, family), = drawn
    assert texts["per_day"] == "Requests per day by category" and family == [FALLBACK_FONT]


async def test_an_empty_month_still_draws_a_chart(community: Community) -> None:
    stats = await community.services.stats.figures([community.b3], Month(2026, 9))
    png = await community.services.stats.chart(stats, translator("zh"))
    assert png.startswith(b"\x89PNG")


# --- the spreadsheet -----------------------------------------------------------------------


async def test_the_spreadsheet_reads_back_with_every_sheet(community: Community) -> None:
    from openpyxl import load_workbook

    c = community
    content = await c.services.stats.export([c.b3, c.b5], NOVEMBER, translator("zh"))
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["汇总", "求助", "志愿者与积分", "活动与报名", "锁门", "时长", "预约"]

    summary = {row[0]: row[1:] for row in book["汇总"].iter_rows(min_row=3, values_only=True)}
    assert book["汇总"]["A1"].value == "邻里 2026-11 数据"
    assert [cell.value for cell in book["汇总"][2]] == ["指标", "3号楼", "5号楼", "合计"]
    assert summary["新求助"] == (4, 1, 5)
    assert summary["认领用时中位数（分钟）"] == (20, 5, 10)
    assert summary["志愿者占比"] == pytest.approx((0.4, 2 / 3, 3 / 7))
    assert book["汇总"]["B5"].number_format == "0%"

    requests = list(book["求助"].iter_rows(values_only=True))
    header, rows = requests[0], requests[1:]
    assert header[:4] == ("编号", "楼", "类别", "状态")
    assert [row[0] for row in rows] == [2, 3, 4, 5, 6]
    three = rows[1]
    assert three[1] == "3号楼" and three[4] == "李" and three[5] == "小周"
    assert three[6] == datetime(2026, 11, 11, 9, 0)  # local time, as the office reads it
    assert (three[9], three[10], three[11]) == (30, 120, 3)
    history = three[14].splitlines()
    assert [line.split(" · ")[1] for line in history] == [
        "新建", "已发给志愿者", "已认领", "已退回", "已发给志愿者", "已认领", "已完成", "已评价"
    ]
    assert "小吴" in history[2] and "小周" in history[5]

    volunteers = list(book["志愿者与积分"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[4], r[5], r[6], r[7]) for r in volunteers] == [
        ("3号楼", "小吴", 0, 0, 0, 5),
        ("3号楼", "小周", 2, 20, 15, 15),
        ("5号楼", "小周", 0, 20, 15, 15),
        ("5号楼", "小郑", 0, 7, 0, 7),
    ]

    signups = list(book["活动与报名"].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[7], r[8], r[10], r[12]) for r in signups] == [
        ("健康讲座", "张", "3号楼", "已报名", "是"),
        ("健康讲座", "钱", "5号楼", "已报名", None),  # attendance not saved yet
        ("健康讲座", "李", "3号楼", "候补", None),
        ("包饺子", "王", "3号楼", "已报名", None),
    ]
    assert signups[3][4] == "已取消"

    lockup_rows = list(book["锁门"].iter_rows(min_row=2, values_only=True))
    assert [(r[2], r[4]) for r in lockup_rows] == [
        ("2026-11-10", "按时"),
        ("2026-11-11", "迟报"),
        ("2026-11-12", "缺报"),
        ("2026-11-13", "缺报"),
        ("2026-11-30", "尚未报告"),
    ]


async def test_formulas_are_never_written_into_the_spreadsheet(community: Community) -> None:
    from openpyxl import load_workbook

    c = community
    number = await c.request(c.b3, R1, "=HYPERLINK(\"http://example.org\")", 9)
    content = await c.services.stats.export([c.b3], NOVEMBER, translator("en"))
    rows = list(load_workbook(io.BytesIO(content))["Requests"].iter_rows(values_only=True))
    text = next(row[12] for row in rows if row[0] == number)
    assert text.startswith("'=")


# --- the monthly report --------------------------------------------------------------------


async def test_the_monthly_report_queues_figures_and_chart_and_plans_the_next(
    tmp_path: Path,
) -> None:
    c = await build(tmp_path)
    try:
        service, scheduler = c.services.stats, c.services.scheduler
        await service.plan_report()
        job = await scheduler.repo.get(report_key(NOVEMBER))
        assert job is not None and job.kind == REPORT_JOB
        assert job.due_at == local(12, 1, 9).timestamp() and job.grace_seconds == REPORT_GRACE
        c.at(local(12, 1, 9, 1))
        assert await scheduler.run_due() >= 1
        rows = await c.db.fetch_all(
            "SELECT chat_id, method, kind, payload FROM outbox WHERE kind LIKE 'stats%' "
            "ORDER BY id"
        )
        assert [(row[0], row[1], row[2]) for row in rows] == [
            (ADMIN, "sendMessage", "stats_report"),
            (ADMIN, "sendPhoto", "stats_chart"),
        ]
        assert "合计" in rows[0][3] and '"_files": {"photo": "stats_chart:1"}' in rows[1][3]
        following = await scheduler.repo.get(report_key(Month(2026, 12)))
        assert following is not None and following.status == "pending"
        assert following.due_at == datetime(2027, 1, 1, 9, tzinfo=TZ).timestamp()
        png, name = await service.chart_file("stats_chart:1")
        again, _ = await service.chart_file("stats_chart:1")
        assert png.startswith(b"\x89PNG") and again == png and name == "linli-2026-11.png"
        with pytest.raises(LookupError):
            await service.chart_file("stats_chart:99")
    finally:
        await c.db.close()
