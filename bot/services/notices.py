"""Notices to building groups, their confirmations, and scheduled notices.

A notice is stored once and posted to each of its buildings through the outbox, so a
notice to forty groups is paced under Telegram's limits and survives a restart. A
notice's posts settle with their outbox rows (``on_settled`` hooks, in the same
transaction, with a stored check job as a safety net); when the last one has settled,
the owner who asked in private gets one summary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.callbacks import button_data
from bot.clock import Clock
from bot.config import Settings
from bot.domain.core import Building, Job
from bot.domain.notices import Confirmer, Notice, NoticeLine, NoticePost
from bot.errors import Conflict, InvalidInput, NotFound
from bot.i18n import N_, Html, Translator, html_escape, translator
from bot.outbox import Delivery, Outbox
from bot.scheduler import Scheduler
from bot.services.community import Community
from bot.text import tidy
from storage.db import Database, Transaction
from storage.notices import SEND_JOB_PREFIX, NoticeRepository

FEATURE = "notice"
SEND_JOB = "notice.send"
COUNT_JOB = "notice.count"
SETTLE_JOB = "notice.settle"
NOTICE_KIND = "notice"
PIN_KIND = "notice_pin"
COUNT_KIND = "notice_count"

MAX_LENGTH = 4000  # Telegram's 4096, less the heading and the count line
COUNT_EDIT_SECONDS = 6.0  # at most one edit of a notice's count this often (10 a minute)
STALE_PLAN_SECONDS = 300.0
SETTLE_CHECK_SECONDS = 60.0
LATE_GRACE_SECONDS = 86_400  # a count edit or a settle check is still worth doing a day late
REMOVED = "the bot was removed from the group"

PIN_WORDS = {"pin", "置顶"}
ALL_WORDS = {"all", "全部"}
SEPARATORS = ",，、"
_FIRST_WORD = re.compile(r"\s*(\S*)\s*(.*)", re.DOTALL)
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_TIME = re.compile(r"^(\d{1,2})[:：](\d{2})$")


@dataclass(frozen=True)
class Draft:
    """A /notice command, read: the text, its options and (in private) its buildings."""

    text: str
    pin: bool = False
    send_at: float | None = None
    to_all: bool = False
    buildings: tuple[Building, ...] = ()


class NoticeService:
    """Notices to building groups, their confirmations, and scheduled notices."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        config: Settings,
        outbox: Outbox,
        scheduler: Scheduler,
        community: Community,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.outbox = outbox
        self.scheduler = scheduler
        self.community = community
        self.repo = NoticeRepository(db)

    @property
    def tz(self) -> ZoneInfo:
        """The community's time zone, in which owners write times."""
        return self.config.community.tz

    # --- reading the command -------------------------------------------------------------

    async def draft(self, text: str, *, private: bool) -> Draft:
        """Read ``[pin] [at DATE TIME] [buildings] text``; buildings come first in private."""
        now = self.clock.now()
        pin, send_at, rest = read_options(text, self.tz, now)
        to_all, buildings = False, tuple[Building, ...]()
        if private and rest:
            word, tail = first_word(rest)
            if word.lower() in ALL_WORDS:
                to_all, rest = True, tail
            else:
                known = await self.community.buildings.all(active_only=False)
                picked, rest = take_buildings(rest, known)
                buildings = tuple(picked)
            pin, send_at, rest = read_options(rest, self.tz, now, pin=pin, send_at=send_at)
        body = checked_text(rest, private=private, example=self.example_time())
        return Draft(body, pin, send_at, to_all, buildings)

    def example_time(self) -> str:
        """Tomorrow at 09:00 in the community's time zone, as owners write it."""
        tomorrow = datetime.fromtimestamp(self.clock.now(), self.tz) + timedelta(days=1)
        return tomorrow.strftime("%Y-%m-%d 09:00")

    def local_time(self, timestamp: float) -> str:
        """A time as owners read it, in the community's time zone."""
        return datetime.fromtimestamp(timestamp, self.tz).strftime("%Y-%m-%d %H:%M")

    # --- posting -------------------------------------------------------------------------

    async def create(
        self,
        author_id: int,
        origin_chat_id: int,
        buildings: list[Building],
        draft: Draft,
        source_message_id: int | None = None,
    ) -> Notice:
        """Store a notice for these buildings: queued at once, or scheduled for its time.

        The same command message handled twice (a crash before its update was marked
        handled) returns the notice it created the first time.
        """
        if not buildings:
            raise NotFound(
                N_("There is no building yet. Add me to a building's group and run /setup there.")
            )
        now = self.clock.now()
        async with self.db.transaction() as tx:
            if source_message_id is not None and (
                seen := await self.repo.by_source(tx, origin_chat_id, source_message_id)
            ):
                return await self._notice(tx, seen)
            notice_id = await self.repo.add(
                tx, author_id, origin_chat_id, draft.text, draft.pin, draft.send_at, now,
                source_message_id,
            )
            for building in buildings:
                await self.repo.add_post(tx, notice_id, building.id, building.chat_id, "scheduled")
            if draft.send_at is None:
                await self.repo.mark_sending(tx, notice_id, now)
                await self._send(tx, notice_id, now)
            else:
                await self.scheduler.schedule(
                    tx,
                    SEND_JOB,
                    f"{SEND_JOB_PREFIX}{notice_id}",
                    draft.send_at,
                    {"notice": notice_id},
                )
            return await self._notice(tx, notice_id)

    async def _notice(self, tx: Transaction, notice_id: int) -> Notice:
        notice = await self.repo.get(notice_id, tx)
        assert notice is not None
        return notice

    async def send_scheduled(self, tx: Transaction, job: Job) -> None:
        """Job: a scheduled notice's time has come (skipped if it was cancelled)."""
        notice_id = int(job.data["notice"])
        if await self.repo.start_sending(tx, notice_id, self.clock.now()):
            await self._send(tx, notice_id, self.clock.now())

    async def _send(self, tx: Transaction, notice_id: int, now: float) -> None:
        """Queue a post for every building group; a group the bot left fails at once."""
        notice = await self.repo.get(notice_id, tx)
        assert notice is not None
        for post in await self.repo.posts(tx, notice_id):
            if post.status != "scheduled":
                continue
            if not post.chat_active:
                await self.repo.set_failed(tx, post.id, REMOVED)
                continue
            text, markup = self.render(notice, post.id, 0, post.language)
            row_id = await self.outbox.queue(
                tx,
                post.chat_id,
                text,
                reply_markup=markup,
                kind=NOTICE_KIND,
                ref=f"notice:{notice_id}",
                dedupe_key=f"notice post {post.id}",
                batch=f"notice:{notice_id}",
            )
            await self.repo.set_queued(tx, post.id, row_id)
        await self._check_later(tx, notice_id, 1, now)
        await self._settle(tx, notice_id, now)

    def render(
        self, notice: Notice, post_id: int, count: int, language: str | None
    ) -> tuple[str, dict[str, Any]]:
        """The notice as the group sees it (HTML), with its «Got it» button."""
        t = self._t(language)
        text = "\n\n".join(
            [
                t("📢 <b>Notice</b>"),
                html_escape(notice.text),
                t("✅ {count} confirmed", count=count),
            ]
        )
        button = {"text": t.plain("Got it"), "callback_data": button_data(FEATURE, "ok", post_id)}
        return text, {"inline_keyboard": [[button]]}

    # --- settling: every post delivered or failed ----------------------------------------

    async def on_settled(self, tx: Transaction, delivery: Delivery) -> None:
        """Outbox hook: a notice's message or pin was sent or failed for good. It runs in
        the transaction that settles the row, so a crash cannot leave the row sent and the
        post (and the summary after the last one) unsettled."""
        notice_id = notice_of_ref(delivery.row.ref)
        if notice_id is None:
            return
        posts = await self.repo.posts_of_outbox(tx, delivery.row.id)
        await self._settle(tx, notice_id, self.clock.now(), posts)

    async def check_settled(self, tx: Transaction, job: Job) -> None:
        """Job: the safety net for a settle that no hook saw (a crash, a group that left)."""
        notice_id, round_ = int(job.data["notice"]), int(job.data.get("round", 1))
        now = self.clock.now()
        await self._settle(tx, notice_id, now)
        notice = await self.repo.get(notice_id, tx)
        if notice is not None and notice.status == "sending":
            await self._check_later(tx, notice_id, round_ + 1, now)

    async def _check_later(self, tx: Transaction, notice_id: int, round_: int, now: float) -> None:
        await self.scheduler.schedule(
            tx,
            SETTLE_JOB,
            f"notice settle {notice_id} {round_}",
            now + SETTLE_CHECK_SECONDS,
            {"notice": notice_id, "round": round_},
            grace_seconds=LATE_GRACE_SECONDS,
        )

    async def _settle(
        self, tx: Transaction, notice_id: int, now: float, posts: list[NoticePost] | None = None
    ) -> None:
        """Bring the posts (all of them, or those given) up to date with their outbox rows;
        report once all have settled. A hook passes the one post whose row settled: reading
        every post of a broadcast on every delivery would cost O(groups²)."""
        notice = await self.repo.get(notice_id, tx)
        if notice is None or notice.status != "sending":
            return
        for post in posts if posts is not None else await self.repo.posts(tx, notice_id):
            if post.status == "queued":
                await self._settle_post(tx, notice, post)
        if await self.repo.finish(tx, notice_id, now):
            await self._report(tx, notice)

    async def _settle_post(self, tx: Transaction, notice: Notice, post: NoticePost) -> None:
        if post.send_status == "failed":
            await self.repo.set_failed(tx, post.id, post.send_error or "failed")
            return
        if post.send_status != "sent":
            return
        if notice.pin and post.pin_outbox_id is None and post.sent_message_id is not None:
            pin_row = await self.outbox.queue_call(
                tx,
                post.chat_id,
                "pinChatMessage",
                {"message_id": post.sent_message_id},
                kind=PIN_KIND,
                ref=f"notice:{notice.id}",
                dedupe_key=f"notice pin {post.id}",
            )
            if pin_row is not None:
                await self.repo.set_pinning(tx, post.id, post.sent_message_id, pin_row)
                return
        if post.pin_status == "pending":
            return
        pin_error = (post.pin_failure or "failed") if post.pin_status == "failed" else None
        await self.repo.set_posted(tx, post.id, post.sent_message_id, pin_error)
        if pin_error and notice.origin_chat_id < 0:
            t = self._t(post.language)
            await self.outbox.queue(
                tx,
                post.chat_id,
                t("I could not pin the notice: {reason}", reason=reason(t, pin_error)),
                kind="notice_note",
                dedupe_key=f"notice pin note {post.id}",
            )

    async def _report(self, tx: Transaction, notice: Notice) -> None:
        """The summary for an owner who sent the notice from a private chat."""
        if notice.origin_chat_id < 0:
            return
        language = await self.repo.chat_language(tx, notice.origin_chat_id)
        text = self.summary(notice, await self.repo.posts(tx, notice.id), language)
        await self.outbox.queue(
            tx,
            notice.origin_chat_id,
            text,
            kind="notice_summary",
            ref=f"notice:{notice.id}",
            dedupe_key=f"notice summary {notice.id}",
        )

    def summary(self, notice: Notice, posts: list[NoticePost], language: str | None) -> str:
        """Delivered to N groups; the ones that failed, and the pins that failed, with why."""
        t = self._t(language)
        delivered = [post for post in posts if post.status == "posted"]
        failed = [post for post in posts if post.status == "failed"]
        unpinned = [post for post in delivered if post.pin_error]
        lines = [
            t("Notice #{id} was delivered to all {total} groups.", id=notice.id, total=len(posts))
            if not failed
            else t(
                "Notice #{id} was delivered to {delivered} of {total} groups.",
                id=notice.id,
                delivered=len(delivered),
                total=len(posts),
            )
        ]
        if failed:
            lines.append("\n" + t("<b>Not delivered:</b>"))
            lines += [bullet(t, post.building_name, post.error) for post in failed[:50]]
        if unpinned:
            lines.append("\n" + t("<b>Not pinned:</b>"))
            lines += [bullet(t, post.building_name, post.pin_error) for post in unpinned[:50]]
        lines.append("\n" + t("See who confirmed it: /notices {id}", id=notice.id))
        return "\n".join(lines)

    # --- confirmations and the live count -------------------------------------------------

    async def confirm(self, post_id: int, user_id: int, chat_id: int, message_id: int) -> int:
        """Record a resident's confirmation, once; returns how many confirmed the post.

        A second press is a Conflict (the UNIQUE constraint decides, even for two presses
        at once). The button must be pressed on the post's own message: a payload moved
        to another message or chat is refused as forged.
        """
        now = self.clock.now()
        async with self.db.transaction() as tx:
            post = await self.repo.post(tx, post_id)
            if post is None or (post.chat_id, post.posted_message_id) != (chat_id, message_id):
                raise InvalidInput(N_("This button is no longer valid."))
            if not await self.repo.confirm(tx, post_id, user_id, now):
                raise Conflict(N_("You have already confirmed this notice. Thank you!"))
            count = await self.repo.count(tx, post_id)
            await self._plan_count_edit(tx, post, now)
        return count

    async def _plan_count_edit(self, tx: Transaction, post: NoticePost, now: float) -> None:
        """Plan one edit of the count, at most one per COUNT_EDIT_SECONDS for a message.

        Telegram allows about 20 messages and edits a minute in a group, so an edit for
        every press would be refused in a burst. The first press after a quiet spell is
        shown at the next scheduler tick; presses that follow are gathered into one edit
        COUNT_EDIT_SECONDS after the last one. The plan is a stored job (not a debounced
        outbox row) because the count must be read when the edit is made, not when it is
        planned: an outbox row would freeze the count of the first press in its slot, and
        the last presses of a burst would never be shown. Claiming the plan is one
        conditional UPDATE, so a burst plans one job.
        """
        due = max(now, (post.count_edited_at or 0.0) + COUNT_EDIT_SECONDS)
        if await self.repo.plan_count_edit(tx, post.id, due, now - STALE_PLAN_SECONDS):
            await self.scheduler.schedule(
                tx,
                COUNT_JOB,
                f"notice count {post.id} {due:.3f}",
                due,
                {"post": post.id},
                grace_seconds=LATE_GRACE_SECONDS,
            )

    async def refresh_count(self, tx: Transaction, job: Job) -> None:
        """Job: edit the post's message to show the count as it is now."""
        post = await self.repo.post(tx, int(job.data["post"]))
        if post is None:
            return
        count = await self.repo.count(tx, post.id)
        message_id = post.posted_message_id
        notice = await self.repo.get(post.notice_id, tx)
        if count == post.shown_count or message_id is None or notice is None:
            await self.repo.count_shown(tx, post.id, post.shown_count, None)
            return
        text, markup = self.render(notice, post.id, count, post.language)
        params = {
            "message_id": message_id,
            "text": text,
            "parse_mode": "HTML",
            "reply_markup": markup,
        }
        await self.outbox.queue_call(
            tx,
            post.chat_id,
            "editMessageText",
            params,
            kind=COUNT_KIND,
            ref=f"notice:{notice.id}",
            dedupe_key=job.key,
        )
        await self.repo.count_shown(tx, post.id, count, self.clock.now())

    # --- what owners see and do ----------------------------------------------------------

    async def get(self, notice_id: int) -> Notice:
        """A notice by number, or a refusal."""
        notice = await self.repo.get(notice_id)
        if notice is None:
            raise NotFound(N_("There is no notice #{id}."), id=notice_id)
        return notice

    async def buildings_of(self, notice_id: int) -> list[Building]:
        """The buildings a notice goes to."""
        buildings = self.community.buildings
        found = [await buildings.by_id(b) for b in await self.repo.building_ids(notice_id)]
        return [building for building in found if building is not None]

    async def lines(
        self, buildings: list[Building], author_id: int | None, limit: int = 15
    ) -> list[NoticeLine]:
        """Scheduled and recent notices of these buildings (and of the author)."""
        return await self.repo.lines([b.id for b in buildings], author_id, limit)

    async def confirmers(self, notice_id: int) -> list[Confirmer]:
        """Who confirmed a notice, building by building."""
        await self.get(notice_id)
        return await self.repo.confirmers(notice_id)

    async def cancel(self, notice_id: int) -> None:
        """Cancel a scheduled notice; refused if it went out or was cancelled already."""
        async with self.db.transaction() as tx:
            if not await self.repo.cancel(tx, notice_id):
                raise Conflict(N_("Notice #{id} was already sent or cancelled."), id=notice_id)
            await self.scheduler.cancel(tx, f"{SEND_JOB_PREFIX}{notice_id}")

    def _t(self, language: str | None) -> Translator:
        return translator(language or self.config.community.language)


# --- pure helpers: reading the command, and words for failures ----------------------------


def first_word(text: str) -> tuple[str, str]:
    """The first word of a text and the rest (line breaks in the rest are kept)."""
    match = _FIRST_WORD.match(text)
    assert match is not None
    return match.group(1), match.group(2)


def read_options(
    text: str, tz: ZoneInfo, now: float, *, pin: bool = False, send_at: float | None = None
) -> tuple[bool, float | None, str]:
    """Leading ``pin`` and ``at DATE TIME`` options (either order); returns the rest too.

    ``at`` is an option only when a number follows it, so a notice may begin with "at".
    ``pin`` and ``send_at`` are the options already read (before the buildings, in private).
    """
    rest = text.strip()
    while True:
        word, tail = first_word(rest)
        if word.lower() in PIN_WORDS and not pin:
            pin, rest = True, tail
        elif word.lower() == "at" and send_at is None and tail[:1].isdigit():
            send_at, rest = read_time(tail, tz, now)
        else:
            return pin, send_at, rest


def read_time(text: str, tz: ZoneInfo, now: float) -> tuple[float, str]:
    """``2026-12-01 09:00 rest…`` in the community's time zone; refuses bad or past times."""
    day, tail = first_word(text)
    clock, rest = first_word(tail)
    example = (datetime.fromtimestamp(now, tz) + timedelta(days=1)).strftime("%Y-%m-%d 09:00")
    date_match, time_match = _DATE.match(day), _TIME.match(clock)
    try:
        if date_match is None or time_match is None:
            raise ValueError(day)
        year, month, date = (int(part) for part in date_match.groups())
        hour, minute = (int(part) for part in time_match.groups())
        moment = datetime(year, month, date, hour, minute, tzinfo=tz)
    except ValueError:
        raise InvalidInput(
            N_(
                "I could not read the time «{time}». Write it like this, in the "
                "{timezone} time zone: /notice at {example} followed by the text."
            ),
            time=f"{day} {clock}".strip(),
            timezone=tz.key,
            example=example,
        ) from None
    if moment.timestamp() <= now:
        raise InvalidInput(
            N_(
                "{time} has already passed. Give a time in the future, for example: "
                "/notice at {example} followed by the text."
            ),
            time=moment.strftime("%Y-%m-%d %H:%M"),
            example=example,
        )
    return moment.timestamp(), rest


def take_buildings(text: str, known: list[Building]) -> tuple[list[Building], str]:
    """Building names at the start of ``text``, separated by commas; returns the rest.

    Names may hold spaces, so the longest known name that fits is taken each time.
    """
    by_length = sorted(known, key=lambda building: -len(building.name))
    picked: list[Building] = []
    rest = text
    while True:
        found = next((b for b in by_length if _starts_with_name(rest, b.name)), None)
        if found is None:
            raise NotFound(
                N_(
                    "There is no building called «{name}». Buildings: {names}\n"
                    "Write /notice all followed by the text, or name the buildings with "
                    "commas: /notice 3号楼,5号楼 followed by the text."
                ),
                name=re.split(rf"[\s{SEPARATORS}]", rest.strip(), maxsplit=1)[0],
                names=", ".join(b.name for b in known[:50]) or "—",
            )
        if found not in picked:
            picked.append(found)
        rest = rest[len(found.name) :]
        if not rest[:1] or rest[0] not in SEPARATORS:
            return picked, rest
        rest = rest[1:].lstrip()


def _starts_with_name(text: str, name: str) -> bool:
    head = text[: len(name)]
    after = text[len(name) : len(name) + 1]
    return head.lower() == name.lower() and (not after or after.isspace() or after in SEPARATORS)


def checked_text(text: str, *, private: bool, example: str) -> str:
    """The notice's text, refused when empty or over Telegram's limit."""
    body = tidy(text)
    if not body:
        raise InvalidInput(EMPTY_IN_PRIVATE if private else EMPTY_IN_GROUP, example=example)
    length = len(body.encode("utf-16-le")) // 2  # Telegram counts UTF-16 code units
    if length > MAX_LENGTH:
        raise InvalidInput(
            N_(
                "The notice is too long: {length} characters, at most {limit}. "
                "Please shorten it or split it in two."
            ),
            length=length,
            limit=MAX_LENGTH,
        )
    return body


EMPTY_IN_GROUP = N_(
    "Write the text of the notice after the command, for example:\n"
    "/notice The water is off on Monday from 9:00 to 12:00.\n"
    "Add pin to pin it, or a time to post it later: /notice pin at {example} …"
)
EMPTY_IN_PRIVATE = N_(
    "Name the buildings, then write the text of the notice:\n"
    "/notice all The water is off on Monday from 9:00 to 12:00.\n"
    "/notice 3号楼,5号楼 The water is off on Monday from 9:00 to 12:00.\n"
    "Add pin to pin it, or a time to post it later: /notice pin at {example} all …"
)


def notice_of_ref(ref: str | None) -> int | None:
    """The notice an outbox row belongs to (its ref is ``notice:<id>``)."""
    prefix, _, number = (ref or "").partition(":")
    return int(number) if prefix == "notice" and number.isdigit() else None


def reason(t: Translator, error: str | None) -> str:
    """Why a message or a pin failed, in words an owner can act on."""
    lowered = (error or "").lower()
    if any(word in lowered for word in ("kicked", "not a member", "removed", "chat not found")):
        return t("I am no longer in that group. Add me again and run /setup.")
    if "rights" in lowered or "not enough" in lowered:
        return t("I need to be an admin with the right to pin messages.")
    return t("Telegram refused it ({error}).", error=error or "?")


def bullet(t: Translator, building: str, error: str | None) -> str:
    """One line of a summary: the building and why."""
    return t("• {building}: {reason}", building=building, reason=Html(reason(t, error)))
