"""`linli demo`: the sample community seeded through the real bot, and the page in a browser."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import urllib.request
import zlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from bot.clock import ShiftableClock
from bot.demo.community import (
    ADMIN,
    BUILDINGS,
    PEOPLE,
    RESIDENT,
    building,
    owner,
    person,
    volunteers_of,
)
from bot.demo.stack import DemoStack
from bot.emulator.timeline import ChangeFeed, timeline
from bot.emulator.world import SentMessage, UserRecord, World

if TYPE_CHECKING:
    from playwright.async_api import Page

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
B3, B5 = building("b3").chat_id, building("b5").chat_id
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[DemoStack]:
    """`linli demo` in this process, on a free port, with its database in tmp_path."""
    stack = DemoStack(port=0, language="zh", db_path=tmp_path / "demo.db")
    await stack.start()
    try:
        yield stack
    finally:
        await stack.stop()


async def rows(stack: DemoStack, sql: str) -> list[tuple[object, ...]]:
    """Rows of the demo bot's database, as tuples."""
    assert stack.runtime is not None
    return [tuple(row) for row in await stack.runtime.services.db.fetch_all(sql, ())]


async def test_the_sample_community_is_set_up_by_people_talking_to_the_bot(
    demo: DemoStack,
) -> None:
    assert await rows(demo, "SELECT name, chat_id FROM buildings ORDER BY name") == [
        ("3号楼", B3),
        ("5号楼", B5),
    ]
    volunteers = await rows(
        demo,
        """SELECT u.username, b.name, m.skills FROM members m
           JOIN users u ON u.id = m.user_id JOIN buildings b ON b.id = m.building_id
           WHERE m.volunteer = 1 ORDER BY u.username""",
    )
    assert volunteers == [
        ("chenjing", "3号楼", "health elderly"),
        ("liming", "3号楼", "repair errand"),
        ("liuyang", "5号楼", "repair safety"),
        ("zhaomin", "5号楼", "errand elderly"),
    ]
    residents = await rows(
        demo,
        """SELECT b.chat_id, m.user_id FROM members m JOIN buildings b ON b.id = m.building_id
           WHERE m.resident = 1 AND m.left_at IS NULL""",
    )
    for someone in PEOPLE:
        if someone.role == RESIDENT:
            assert (building(someone.building).chat_id, someone.user_id) in residents
    assert await rows(demo, "SELECT count(*) FROM users WHERE started = 1") == [(len(PEOPLE),)]


async def test_each_group_got_the_bots_greeting_and_setup_reply(demo: DemoStack) -> None:
    for plan in BUILDINGS:
        texts = [message.text for message in demo.emulator.sent(plan.chat_id)]
        assert any("/setup" in text for text in texts)  # the greeting asks an admin to set up
        assert any(f"「{plan.name('zh')}」" in text for text in texts)
        for volunteer in volunteers_of(plan.key):
            assert any(f"{volunteer.name('zh')} 现在是 {plan.name('zh')} 的志愿者" in text
                       for text in texts)
    assert demo.report is not None
    assert demo.report.done


async def test_the_parts_the_bot_can_do_are_seeded_and_the_rest_is_reported(
    demo: DemoStack,
) -> None:
    report = demo.report
    assert report is not None
    for command in ("roster", "facility", "reward", "event"):
        seeded = any(line.startswith(command) for line in report.done)
        assert seeded == (command in demo.commands), (command, report)
        assert seeded != any(f"/{command}" in line for line in report.skipped)


async def test_the_community_admin_persona_sees_every_building_and_only_they_do(
    demo: DemoStack,
) -> None:
    admin, resident = person("zhaozhuren"), person("zhangwei")
    assert admin.role == ADMIN and demo.runtime is not None
    assert demo.runtime.services.community.is_admin(admin.user_id)
    assert not demo.runtime.services.community.is_admin(owner().user_id)
    answer = demo.emulator.wait_for_message(admin.user_id, "5号楼", 10)
    demo.emulator.user_sends(admin.user_id, admin.user_id, "/stats")
    figures = await answer
    assert "<b>3号楼</b>" in figures.raw_text and "合计" in figures.text
    refusal = demo.emulator.wait_for_message(resident.user_id, None, 10)
    demo.emulator.user_sends(resident.user_id, resident.user_id, "/stats")
    assert "5号楼" not in (await refusal).text


async def test_the_first_volunteer_of_each_building_is_on_duty_now(demo: DemoStack) -> None:
    if "duty" not in demo.commands:
        pytest.skip("the bot has no roster yet")
    assert demo.runtime is not None
    services = demo.runtime.services
    for plan in BUILDINGS:
        found = await services.community.buildings.by_chat(plan.chat_id)
        assert found is not None
        duty = await services.roster.duty(found)
        on_duty = {user_id for occurrence in duty.now for user_id in occurrence.volunteer_ids}
        assert volunteers_of(plan.key)[0].user_id in on_duty


async def test_a_demo_started_at_night_still_has_someone_on_duty(tmp_path: Path) -> None:
    clock = ShiftableClock()
    local = datetime.now(ZoneInfo("Asia/Shanghai"))
    three_am = local.replace(hour=3, minute=0) + timedelta(days=1)
    clock.advance((three_am - local).total_seconds())
    stack = DemoStack(port=0, db_path=tmp_path / "night.db", clock=clock)
    await stack.start()
    try:
        if "duty" not in stack.commands:
            pytest.skip("the bot has no roster yet")
        assert stack.runtime is not None
        services = stack.runtime.services
        found = await services.community.buildings.by_chat(B3)
        assert found is not None
        duty = await services.roster.duty(found)
        on_duty = {user_id for occurrence in duty.now for user_id in occurrence.volunteer_ids}
        assert person("liming").user_id in on_duty
    finally:
        await stack.stop()


async def test_the_page_and_its_api_show_both_sides_of_a_chat(demo: DemoStack) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(demo.url) as page:
            assert page.status == 200 and "Linli" in await page.text()
        for name in ("app.js", "style.css"):
            async with http.get(f"{demo.url}static/{name}") as asset:
                assert asset.status == 200
        async with http.get(f"{demo.url}_demo/community") as answer:
            community = await answer.json()
        assert community["ready"] is True
        assert len(community["people"]) == 18  # with the community admin
        assert {group["chat_id"] for group in community["groups"]} == {B3, B5}
        menus = {kind: {c["command"] for c in listed}
                 for kind, listed in community["commands"].items()}
        assert "setup" in menus["admins"] and "setup" not in menus["group"]  # as Telegram shows
        wangfang = next(p for p in community["people"] if p["username"] == "wangfang")
        assert B3 in wangfang["admin_of"]
        async with http.get(f"{demo.url}_emu/timeline", params={"chat_id": B3}) as answer:
            timeline = await answer.json()
    owner_id = person("wangfang").user_id
    setup = next(entry for entry in timeline if entry["text"] == "/setup 3号楼")
    assert setup["from"]["id"] == owner_id
    reply = next(entry for entry in timeline if entry["reply_to_message_id"] == setup["message_id"])
    assert reply["from"]["is_bot"] and "3号楼" in reply["text"]
    joined = [entry for entry in timeline if entry["kind"] == "service"]
    assert len(joined) >= 9  # the bot, two volunteers and six residents
    ids = [entry["message_id"] for entry in timeline]
    assert ids == sorted(ids)


async def test_the_event_stream_announces_a_new_message_in_a_chat(demo: DemoStack) -> None:
    zhang = person("zhangwei")
    async with aiohttp.ClientSession() as http, http.get(f"{demo.url}_emu/events") as stream:
        assert (await next_event(stream))[0] == "hello"
        demo.emulator.user_sends(zhang.user_id, B3, "有人在吗？")
        name, data = await next_event(stream)
    assert (name, data["chat_id"]) == ("chat", B3)


async def next_event(stream: aiohttp.ClientResponse) -> tuple[str, dict[str, object]]:
    """The next server-sent event (name, data), skipping keep-alive comments."""
    name, data = "", ""
    while True:
        line = (await asyncio.wait_for(stream.content.readline(), 5)).decode().rstrip("\n")
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data = line.removeprefix("data: ")
        elif not line and name:
            return name, json.loads(data)


def tiny_png() -> bytes:
    """A real 2×2 PNG, so the browser can draw what the bot sends back."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        checksum = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + checksum

    pixels = b"".join(b"\x00" + b"\x1f\x8f\xff" * 2 for _row in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(pixels))
            + chunk(b"IEND", b""))


def photo_form(user_id: int, chat_id: int, caption: str = "", photos: int = 1,
               mime: str = "image/png") -> aiohttp.FormData:
    """The page's upload: who sends, where, the caption, and the pictures."""
    form = aiohttp.FormData()
    form.add_field("user_id", str(user_id))
    form.add_field("chat_id", str(chat_id))
    form.add_field("caption", caption)
    for number in range(photos):
        form.add_field("photo", tiny_png(), filename=f"leak{number}.png", content_type=mime)
    return form


def button_data(message: SentMessage, label_part: str) -> str:
    """The callback data of the button whose label contains ``label_part``."""
    found = [data for label, data in message.buttons if label_part in label]
    assert found, f"no button {label_part!r} in {message.buttons}"
    return found[0] or ""


async def test_a_photo_sent_from_the_page_becomes_a_request_the_volunteer_sees_with_it(
    demo: DemoStack,
) -> None:
    if "request" not in demo.commands:
        pytest.skip("the bot has no requests yet")
    emu, zhang = demo.emulator, person("zhangwei")
    asked = emu.wait_for_message(zhang.user_id, "新的求助", 10)
    async with aiohttp.ClientSession() as http:
        form = photo_form(zhang.user_id, zhang.user_id, "卫生间水管接口在滴水")
        async with http.post(f"{demo.url}_demo/photo", data=form) as answer:
            assert answer.status == 200, await answer.text()
            [sent] = await answer.json()
        question = await asked
        emu.user_presses(zhang.user_id, zhang.user_id, question.message_id,
                         button_data(question, "新的求助"))
        offer = await emu.wait_for(
            lambda: "发给志愿者" in str(emu.message(zhang.user_id, question.message_id).buttons)
            and emu.message(zhang.user_id, question.message_id), 10, what="the offer")
        emu.user_presses(zhang.user_id, zhang.user_id, offer.message_id,
                         button_data(offer, "发给志愿者"))
        volunteers = [someone.user_id for someone in volunteers_of("b3")]
        photo = await emu.wait_for(
            lambda: next((m for v in volunteers for m in emu.sent(v) if m.kind == "photo"), None),
            10, what="the photo on a volunteer's card")
        async with http.get(f"{demo.url}_emu/files/{photo.file_id}") as served:
            assert served.status == 200 and await served.read() == tiny_png()
        async with http.get(f"{demo.url}_emu/timeline",
                            params={"chat_id": zhang.user_id}) as answer:
            mine = [e for e in await answer.json() if e["message_id"] == sent["message_id"]]
    assert mine[0]["kind"] == "photo" and mine[0]["file_id"] == sent["photo"][-1]["file_id"]
    assert "卫生间水管" in (photo.caption or "")
    assert await rows(demo, "SELECT r.text, m.kind, m.file_id FROM requests r "
                            "JOIN request_media m ON m.request_id = r.id") == [
        ("卫生间水管接口在滴水", "photo", sent["photo"][-1]["file_id"])
    ]
    assert photo.file_id == sent["photo"][-1]["file_id"]


async def test_the_photo_upload_refuses_what_a_person_could_not_send_and_sends_nothing(
    demo: DemoStack,
) -> None:
    zhang = person("zhangwei")
    before = dict(demo.emulator.world.user_messages)
    attempts = {
        "not in this chat": photo_form(zhang.user_id, B5),
        "choose a photo": photo_form(zhang.user_id, zhang.user_id, photos=0),
        "only pictures": photo_form(zhang.user_id, zhang.user_id, mime="text/plain"),
        "no such person": photo_form(4242, 4242),
        "at most 10": photo_form(zhang.user_id, B3, photos=11),
        "caption is longer": photo_form(zhang.user_id, B3, "漏" * 1025),
        "missing field": aiohttp.FormData({"chat_id": str(B3), "photo": "not a file"}),
        "invalid literal": aiohttp.FormData({"user_id": "张伟", "chat_id": str(B3)}),
        "choose a photo ": aiohttp.FormData(  # a text field named photo is no picture
            {"user_id": str(zhang.user_id), "chat_id": str(B3), "photo": "x"},
            default_to_multipart=True),
    }
    async with aiohttp.ClientSession() as http:
        for reason, form in attempts.items():
            async with http.post(f"{demo.url}_demo/photo", data=form) as answer:
                assert answer.status == 400, reason
                assert reason.strip() in (await answer.json())["error"]
        async with http.post(f"{demo.url}_demo/photo", data=photo_form(zhang.user_id, B3,
                                                                        photos=2)) as answer:
            album = await answer.json()
    assert dict(list(demo.emulator.world.user_messages.items())[: len(before)]) == before
    assert len(demo.emulator.world.user_messages) == len(before) + 2
    assert album[0]["media_group_id"] == album[1]["media_group_id"]


def chromium() -> str:
    """Debian's Chromium, or a skip that says what to install."""
    found = ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"))
    for candidate in found:
        if candidate and Path(candidate).exists():
            return candidate
    pytest.skip("Chromium is not installed: `apt-get install chromium` (bash .ci/run does it)")


async def test_a_visitor_asks_for_help_as_a_resident_and_claims_it_as_the_volunteer(
    demo: DemoStack,
) -> None:
    from playwright.async_api import async_playwright, expect

    executable = chromium()
    zhang, li = person("zhangwei"), person("liming")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 820})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(demo.url)
        await page.wait_for_selector("body.ready")

        await page.get_by_test_id("persona-wangfang").click()
        await expect(page.locator("#me")).to_contain_text("王芳")
        await page.get_by_test_id("persona-zhangwei").click()
        await page.get_by_test_id(f"chat-{B3}").click()
        messages = page.get_by_test_id("messages")
        await expect(messages).to_contain_text("大家好，我是 502 新搬来的张伟")
        await say(page, '<b>hi</b> <img src=x onerror="window.hacked = 1">')
        await expect(messages).to_contain_text('<b>hi</b> <img src=x onerror="window.hacked = 1">')
        written = messages.locator(".message", has_text="<b>hi</b>").last
        assert await written.locator("img, b, strong").count() == 0

        if "request" in demo.commands:
            await say(page, "/request 厨房水龙头一直在漏水，能帮忙看看吗？")
            await expect(messages.locator(".from-bot").last).to_contain_text("#1")

            await page.get_by_test_id("persona-liming").click()
            await page.get_by_test_id("chat-private").click()
            claim = messages.locator('[data-callback^="requests:claim:"]').last
            await expect(messages.locator(".from-bot").last).to_contain_text("厨房水龙头")
            await claim.click()
            await expect(page.locator("#toast")).to_be_visible()
            await expect(messages.locator('[data-callback^="requests:done:"]')).to_have_count(1)
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "demo-volunteer.png"))

            await page.get_by_test_id("persona-zhangwei").click()
            await page.get_by_test_id("chat-private").click()
            await expect(messages.locator(".from-bot").last).to_contain_text(li.name("zh"))
            await expect(messages.locator(".from-bot").last).to_contain_text("#1")

            await page.get_by_test_id("tour-4").click()  # the photo step
            caption = "卫生间水管接口在滴水，照片如下"
            await expect(page.get_by_test_id("composer")).to_have_value(caption)
            await page.get_by_test_id("photo-input").set_input_files(
                files=[{"name": "leak.png", "mimeType": "image/png", "buffer": tiny_png()}]
            )
            await expect(page.get_by_test_id("composer")).to_have_value("")
            await expect(messages.locator(".mine img.photo").last).to_be_visible()
            await messages.locator(".key", has_text="新的求助").last.click()
            await messages.locator(".key", has_text="发给志愿者").last.click()
            await expect(messages.locator(".from-bot").last).to_contain_text("#2")
            await page.get_by_test_id("persona-liming").click()
            await page.get_by_test_id("chat-private").click()
            shown = messages.locator(".from-bot", has=page.locator("img.photo")).last
            await expect(shown).to_contain_text("求助 #2")
            assert await shown.locator("img.photo").evaluate("img => img.naturalWidth") == 2
        else:  # until the requests feature exists: the same moves with /help and /start
            await say(page, "/help")
            await expect(messages.locator(".from-bot").last).to_contain_text("/help")
            await page.get_by_test_id("persona-liming").click()
            await page.get_by_test_id("chat-private").click()
            await say(page, "/start")
            await expect(messages.locator(".from-bot").last).to_contain_text(li.name("zh"))

        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "demo.png"))
        await page.set_viewport_size({"width": 390, "height": 780})
        await page.get_by_test_id(f"persona-{zhang.username}").click()
        await page.screenshot(path=str(ARTIFACTS / "demo-phone.png"))
        hacked = await page.evaluate("window.hacked")
        await browser.close()
    assert errors == []
    assert hacked is None


async def say(page: Page, text: str) -> None:
    """Type into the message box and send with Enter."""
    box = page.get_by_test_id("composer")
    await box.fill(text)
    await box.press("Enter")
    await page.wait_for_function("document.querySelector('[data-testid=composer]').value === ''")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def linli_demo(folder: Path, *args: str) -> subprocess.Popen[str]:
    """`python -m bot demo …` in a folder without a config, as a newcomer runs it."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LINLI_")}
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", *args],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_linli_demo_prints_its_address_serves_the_page_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    port = free_port()
    process = linli_demo(tmp_path, "--port", str(port), "--lang", "en")
    try:
        assert process.stdout is not None
        announced = ""
        while "Open http" not in announced:
            announced = process.stdout.readline()
            assert announced, process.stderr.read() if process.stderr else "no output"
        assert f"http://127.0.0.1:{port}/" in announced
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_demo/community") as answer:
            community = json.load(answer)
        assert community["ready"] and community["language"] == "en"
        assert community["groups"][0]["building"] == "Building 3"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "stopped" in out


def test_linli_demo_will_not_overwrite_a_database(tmp_path: Path) -> None:
    existing = tmp_path / "mine.db"
    existing.write_bytes(b"precious")
    process = linli_demo(tmp_path, "--db", str(existing))
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 1 and "exists already" in err
    assert existing.read_bytes() == b"precious"


def test_the_change_feed_reports_new_messages_edits_and_button_answers() -> None:
    world = World(UserRecord(7000000001, "Linli", "linli_bot", is_bot=True))
    world.add_user(101, "Zhang", started=True)
    feed = ChangeFeed(world)
    assert feed.changes() == []
    world.user_sends(101, 101, "/start")
    sent = SentMessage(world.next_message_id(101), 101, "text", "Hello", date=0)
    world.record_sent(sent)
    assert [name for name, _data in feed.changes()] == ["chat"]
    sent.edits += 1
    assert feed.changes() == [("chat", {"chat_id": 101, "revision": feed.revisions[101]})]
    world.callback_answers["q1"] = ("Thank you!", False)
    assert feed.changes() == [
        ("answer", {"callback_query_id": "q1", "text": "Thank you!", "show_alert": False})
    ]
    assert [entry["text"] for entry in timeline(world, 101)] == ["/start", "Hello"]


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_the_page_fits_a_phone_and_a_desktop_in_each_language(
    tmp_path: Path, language: str
) -> None:
    from playwright.async_api import async_playwright

    executable = chromium()
    stack = DemoStack(port=0, language=language, db_path=tmp_path / "demo.db")
    await stack.start()
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=executable, args=CHROMIUM_FLAGS
            )
            page = await browser.new_page(viewport={"width": 1280, "height": 820})
            await page.goto(stack.url)
            await page.wait_for_selector("body.ready")
            await page.get_by_test_id(f"chat-{B3}").click()
            overflow = {}
            for width in (360, 390, 1280):
                await page.set_viewport_size({"width": width, "height": 780})
                overflow[width] = await page.evaluate(OVERFLOW)
                ARTIFACTS.mkdir(exist_ok=True)
                await page.screenshot(path=str(ARTIFACTS / f"demo-{language}-{width}.png"))
            await browser.close()
    finally:
        await stack.stop()
    assert overflow == {360: [], 390: [], 1280: []}


# What sticks out past the edges of the window: the page itself, the tour and send buttons
# (the ones a visitor must reach), and any element of the top bar and the message box (the
# persona chips scroll sideways in their own strip, so they may go past it).
OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const out = [];
    if (document.documentElement.scrollWidth > width) {
        out.push(`page ${document.documentElement.scrollWidth}px`);
    }
    const watched = ["#tour-toggle", "#send", ".topbar *", ".composer-row *"];
    for (const element of document.querySelectorAll(watched.join(","))) {
        if (element.closest(".persona-chips")) continue;
        const box = element.getBoundingClientRect();
        if (box.width && box.height && (box.right > width + 0.5 || box.left < -0.5)) {
            const name = element.id || element.className || element.tagName;
            out.push(`${name} ${Math.round(box.right)}px`);
        }
    }
    return [...new Set(out)];
}"""
