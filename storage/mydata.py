"""What the bot keeps about one person: every table with a user column, how /mydata exports
it and how /forgetme forgets it, in one registry (tests/test_mydata_registry.py fails when a
migration adds a user column this registry does not list)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from typing import Any

from bot.i18n import N_
from storage.db import Database, Transaction

# A column that holds a person's Telegram id (discovered with PRAGMA table_info).
USER_COLUMN = re.compile(
    r"^(user_id|.*_user|(resident|volunteer|claimer|author|actor|organiser|organizer|owner"
    r"|member|person|applicant|sender|giver|taker)_id|.*_by)$"
)
ANONYMOUS = "—"  # what a forgotten name becomes inside stored messages
SHORTEST_NAME = 2  # a one-letter name is not searched for in stored messages: it is everywhere


@dataclass(frozen=True)
class Personal:
    """A table that holds something about the person: shown by /mydata, forgotten by /forgetme.

    ``export`` selects the person's rows (``:user``); ``forget`` runs in the transaction of
    /forgetme (``:user``, ``:now``); ``kept`` says what stays after it and why ("": nothing).
    """

    table: str
    columns: tuple[str, ...]
    section: str
    export: str
    forget: tuple[str, ...] = ()
    kept: str = ""


@dataclass(frozen=True)
class LeftOut:
    """A user column that is not about the person it names, with the reason."""

    table: str
    columns: tuple[str, ...]
    reason: str


OWNERS_ACT = "an owner's act on someone else's record, or set up for the building"

PERSONAL: tuple[Personal, ...] = (
    Personal(
        "users", ("id",), "profile",
        """SELECT id, first_name, last_name, username, language_code, started, blocked,
                  created_at, updated_at FROM users WHERE id = :user""",
        ("""UPDATE users SET first_name = '', last_name = NULL, username = NULL,
                language_code = NULL, forgotten_at = :now, updated_at = :now
            WHERE id = :user""",),
        N_("your Telegram number, without any name: the records kept below point to it"),
    ),
    Personal(
        "chats", ("id",), "private_chat",
        "SELECT id, type, language, created_at FROM chats WHERE id = :user",
        ("UPDATE chats SET title = NULL, language = NULL WHERE id = :user",),
        N_("your private chat with the bot, so that it can still answer you"),
    ),
    Personal(
        "members", ("user_id",), "buildings",
        """SELECT b.name AS building, m.resident, m.volunteer, m.skills, m.joined_at,
                  m.left_at
           FROM members m JOIN buildings b ON b.id = m.building_id WHERE m.user_id = :user""",
        ("DELETE FROM members WHERE user_id = :user",),
    ),
    Personal(
        "flats", ("user_id",), "flats",
        """SELECT b.name AS building, f.flat, f.name, f.recorded_at FROM flats f
           JOIN buildings b ON b.id = f.building_id WHERE f.user_id = :user""",
        ("DELETE FROM flats WHERE user_id = :user",),
    ),
    Personal(
        "join_requests", ("user_id",), "join_requests",
        """SELECT b.name AS building, j.state, j.flat, j.name, j.created_at, j.decided_at
           FROM join_requests j JOIN buildings b ON b.id = j.building_id
           WHERE j.user_id = :user ORDER BY j.id""",
        ("UPDATE join_requests SET flat = NULL, name = NULL WHERE user_id = :user",),
        N_("your requests to join a group, by number and without the flat or name you gave: "
           "the owners' decisions"),
    ),
    Personal(
        "chat_admins", ("user_id",), "group_admin",
        """SELECT c.title AS chat, a.fetched_at FROM chat_admins a
           JOIN chats c ON c.id = a.chat_id WHERE a.user_id = :user""",
        (),
        N_("the groups you are an admin of, as Telegram shows them (refreshed from Telegram)"),
    ),
    Personal(
        "requests", ("resident_id",), "requests_opened",
        """SELECT r.id AS number, b.name AS building, r.category, r.text, r.state,
                  r.private, r.note, r.rating, r.created_at, r.claimed_at, r.done_at
           FROM requests r JOIN buildings b ON b.id = r.building_id
           WHERE r.resident_id = :user ORDER BY r.id""",
        ("UPDATE requests SET text = '' WHERE resident_id = :user AND state = 'cancelled'",),
        N_("your done requests, shown as from a former resident: the volunteers' work record "
        "(their points and hours) rests on them"),
    ),
    Personal(
        "requests", ("claimer_id", "done_by"), "requests_handled",
        """SELECT r.id AS number, b.name AS building, r.category, r.state, r.note,
                  r.claimed_at, r.done_at
           FROM requests r JOIN buildings b ON b.id = r.building_id
           WHERE r.claimer_id = :user OR r.done_by = :user ORDER BY r.id""",
        (),
        N_("the requests you handled: the residents' records and your points rest on them"),
    ),
    Personal(
        "request_events", ("actor_id",), "request_history",
        """SELECT e.request_id AS number, e.kind, e.detail, e.at,
                  e.actor_id = :user AS by_you
           FROM request_events e JOIN requests r ON r.id = e.request_id
           WHERE r.resident_id = :user OR e.actor_id = :user ORDER BY e.id""",
        (),
        N_("the history of the requests kept above, by number"),
    ),
    Personal(
        "request_drafts", ("user_id",), "request_drafts",
        "SELECT stage, text, created_at, expires_at FROM request_drafts WHERE user_id = :user",
        ("DELETE FROM request_drafts WHERE user_id = :user",),
    ),
    Personal(
        "request_media", ("user_id",), "request_media",
        """SELECT request_id AS number, kind, caption, file_id, latitude, longitude, created_at
           FROM request_media WHERE user_id = :user ORDER BY id""",
        ("DELETE FROM request_media WHERE user_id = :user",),
    ),
    Personal(
        "notice_confirmations", ("user_id",), "notice_confirmations",
        """SELECT n.id AS notice, n.text, c.confirmed_at FROM notice_confirmations c
           JOIN notice_posts p ON p.id = c.post_id JOIN notices n ON n.id = p.notice_id
           WHERE c.user_id = :user ORDER BY c.confirmed_at""",
        ("DELETE FROM notice_confirmations WHERE user_id = :user",),
    ),
    Personal(
        "notices", ("author_id",), "notices_written",
        "SELECT id, text, status, created_at, sent_at FROM notices WHERE author_id = :user",
        (),
        N_("the notices you sent to a building: they are the building's"),
    ),
    Personal(
        "recurring_notices", ("author_id",), "recurring_notices_written",
        """SELECT id, text, kind, minute, weekday, day, status, created_at, stopped_at
           FROM recurring_notices WHERE author_id = :user""",
        (),
        N_("the notices you sent to a building: they are the building's"),
    ),
    Personal(
        "relay_messages", ("sender_id", "recipient_id"), "messages_relayed",
        """SELECT request_id AS number, sender_id = :user AS by_you, text, created_at
           FROM relay_messages WHERE sender_id = :user OR recipient_id = :user ORDER BY id""",
        ("DELETE FROM relay_messages WHERE sender_id = :user OR recipient_id = :user",),
    ),
    Personal(
        "notice_nudged", ("user_id",), "notice_reminders",
        """SELECT p.notice_id AS notice, d.how, n.at
           FROM notice_nudged d JOIN notice_nudges n ON n.id = d.nudge_id
           JOIN notice_posts p ON p.id = d.post_id WHERE d.user_id = :user""",
        ("DELETE FROM notice_nudged WHERE user_id = :user",),
    ),
    Personal(
        "outages", ("author_id",), "outages_announced",
        """SELECT id, kind, starts_at, ends_at, reason, status, created_at
           FROM outages WHERE author_id = :user""",
        (),
        N_("the notices you sent to a building: they are the building's"),
    ),
    Personal(
        "shift_volunteers", ("user_id",), "shifts",
        """SELECT b.name AS building, s.weekday, s.start_minute, s.end_minute, v.from_day,
                  v.until_day, v.every_weeks
           FROM shift_volunteers v JOIN shifts s ON s.id = v.shift_id
           JOIN buildings b ON b.id = s.building_id WHERE v.user_id = :user""",
        ("DELETE FROM shift_volunteers WHERE user_id = :user",),
    ),
    Personal(
        "swaps", ("from_user", "to_user"), "swaps",
        """SELECT shift_id, day, from_user = :user AS offered_by_you, status, created_at,
                  decided_at
           FROM swaps WHERE from_user = :user OR to_user = :user ORDER BY id""",
        ("""UPDATE swaps SET status = 'withdrawn', decided_at = :now
            WHERE status = 'offered' AND (from_user = :user OR to_user = :user)""",),
        N_("swaps already decided, by number: the rota's history"),
    ),
    Personal(
        "handover_notes", ("user_id",), "handover_notes",
        "SELECT shift_id, day, note, written_at FROM handover_notes WHERE user_id = :user",
        ("DELETE FROM handover_notes WHERE user_id = :user",),
    ),
    Personal(
        "lockups", ("user_id",), "lockups",
        """SELECT f.name AS facility, l.day, l.status, l.late, l.note, l.reported_at
           FROM lockups l JOIN facilities f ON f.id = l.facility_id WHERE l.user_id = :user""",
        (),
        N_("the lock-ups you reported, by number: the building's record that rooms were locked"),
    ),
    Personal(
        "ledger", ("user_id",), "points",
        """SELECT amount, reason, note, source, created_at FROM ledger
           WHERE user_id = :user ORDER BY id""",
        (),
        N_("the points ledger, by number: it is append-only, and the rewards paid and the "
        "community's totals rest on it"),
    ),
    Personal(
        "redemptions", ("user_id",), "redemptions",
        """SELECT w.name AS reward, w.shop, r.cost, r.status, r.voucher, r.created_at,
                  r.decided_at
           FROM redemptions r JOIN rewards w ON w.id = r.reward_id WHERE r.user_id = :user""",
        (),
        N_("the rewards redeemed, by number: the shops check the vouchers"),
    ),
    Personal(
        "event_signups", ("user_id",), "event_signups",
        """SELECT e.title, e.starts_at, s.role, s.status, s.joined_at FROM event_signups s
           JOIN events e ON e.id = s.event_id WHERE s.user_id = :user""",
        ("DELETE FROM event_signups WHERE user_id = :user",),
    ),
    Personal(
        "event_attendance", ("user_id",), "event_attendance",
        """SELECT e.title, e.starts_at, a.role, a.present, a.helped FROM event_attendance a
           JOIN events e ON e.id = a.event_id WHERE a.user_id = :user""",
        (),
        N_("who came to past events, by number: the points and hours they gave rest on it"),
    ),
    Personal(
        "event_drafts", ("user_id",), "event_drafts",
        "SELECT step, answers, created_at FROM event_drafts WHERE user_id = :user",
        ("DELETE FROM event_drafts WHERE user_id = :user",),
    ),
    Personal(
        "hours_attendance", ("user_id",), "hours_attendance",
        """SELECT h.title, a.checked_in_at, a.checked_out_at, a.status
           FROM hours_attendance a JOIN hours_activities h ON h.id = a.activity_id
           WHERE a.user_id = :user ORDER BY a.id""",
        (),
        N_("check-ins and check-outs, by number: the hours entries rest on them"),
    ),
    Personal(
        "hours_entries", ("user_id",), "hours",
        """SELECT id, minutes, kind, origin, content, served_at, source, created_at
           FROM hours_entries WHERE user_id = :user ORDER BY id""",
        (),
        N_("the service hours ledger, by number: it is append-only, and certificates already "
        "issued can still be verified"),
    ),
    Personal(
        "hours_levels", ("user_id",), "hours_levels",
        "SELECT level, reached_at FROM hours_levels WHERE user_id = :user",
        (),
        N_("the star levels reached, by number: they come from the hours ledger"),
    ),
    Personal(
        "hours_certificates", ("user_id",), "certificates",
        """SELECT number, year, total_minutes, issued_at FROM hours_certificates
           WHERE user_id = :user""",
        (),
        N_("certificates issued, by number: whoever holds one can still verify it"),
    ),
    Personal(
        "volunteer_applications", ("user_id",), "volunteer_applications",
        """SELECT b.name AS building, a.skills, a.status, a.created_at, a.decided_at
           FROM volunteer_applications a JOIN buildings b ON b.id = a.building_id
           WHERE a.user_id = :user""",
        ("DELETE FROM volunteer_applications WHERE user_id = :user",),
    ),
    Personal(
        "aways", ("user_id",), "aways",
        "SELECT starts_on, ends_on, note, created_at FROM aways WHERE user_id = :user",
        ("DELETE FROM aways WHERE user_id = :user",),
    ),
    Personal(
        "open_shifts", ("user_id", "taken_by"), "open_shifts",
        """SELECT shift_id, day, reason, status, user_id = :user AS your_seat, taken_at
           FROM open_shifts WHERE user_id = :user OR taken_by = :user""",
        (),
        N_("seats of past shifts given up or taken, by number: the rota's history"),
    ),
    Personal(
        "bookings", ("user_id",), "bookings",
        """SELECT f.name AS room, b.starts_at, b.ends_at, b.purpose, b.status, b.reason,
                  b.created_at, b.checked_in_at
           FROM bookings b JOIN facilities f ON f.id = b.facility_id
           WHERE b.user_id = :user ORDER BY b.id""",
        ("UPDATE bookings SET purpose = NULL WHERE user_id = :user",),
        N_("room bookings, by number and without their purpose: the building's record of who "
           "held a room"),
    ),
    Personal(
        "mutes", ("user_id",), "mutes",
        """SELECT c.title AS chat, m.reason, m.muted_at, m.unmuted_at FROM mutes m
           JOIN chats c ON c.id = m.chat_id WHERE m.user_id = :user""",
        (),
        N_("mutes in a group for a flood or a link, by number: the owners can still lift them"),
    ),
    Personal(
        "prompts", ("user_id",), "prompts",
        "SELECT feature, step, asked_at, expires_at FROM prompts WHERE user_id = :user",
        ("DELETE FROM prompts WHERE user_id = :user",),
    ),
)

LEFT_OUT: tuple[LeftOut, ...] = (
    LeftOut("buildings", ("created_by",), OWNERS_ACT),
    LeftOut("shifts", ("created_by",), OWNERS_ACT),
    LeftOut("facilities", ("created_by",), OWNERS_ACT),
    LeftOut("rewards", ("created_by",), OWNERS_ACT),
    LeftOut("events", ("created_by",), OWNERS_ACT),
    LeftOut("hours_activities", ("organiser_id",), OWNERS_ACT),
    LeftOut("ledger", ("made_by",), OWNERS_ACT),
    LeftOut("hours_entries", ("made_by",), OWNERS_ACT),
    LeftOut("redemptions", ("decided_by",), OWNERS_ACT),
    LeftOut("volunteer_applications", ("decided_by",), OWNERS_ACT),
    LeftOut("event_attendance", ("marked_by",), OWNERS_ACT),
    LeftOut("aways", ("set_by",), OWNERS_ACT),
    LeftOut("mutes", ("unmuted_by",), OWNERS_ACT),
    LeftOut("bookings", ("decided_by",), OWNERS_ACT),
    LeftOut("join_requests", ("decided_by",), OWNERS_ACT),
    LeftOut("building_texts", ("set_by",), OWNERS_ACT),
    LeftOut("quiet_hours", ("set_by",), OWNERS_ACT),
    LeftOut("recurring_notices", ("stopped_by",), OWNERS_ACT),
    LeftOut("outages", ("ended_by",), OWNERS_ACT),
    LeftOut("building_topics", ("set_by",), OWNERS_ACT),
    LeftOut("canned_replies", ("created_by",), OWNERS_ACT),
    LeftOut("notice_nudges", ("by_user",), OWNERS_ACT),
    LeftOut("notice_confirmations", ("confirmed_by",),
            "how a confirmation came (button, reply, reaction): it names no one"),
)

# Tables without a user column that hold names inside stored messages: /forgetme rewrites
# the person's names out of them (tests/test_care.py searches every text column).
MESSAGE_TABLES = {"inbox": "update_id", "dead_letters": "id", "outbox": "id"}


def listed() -> set[tuple[str, str]]:
    """Every (table, column) the registry covers."""
    entries: Iterable[Personal | LeftOut] = (*PERSONAL, *LEFT_OUT)
    return {(entry.table, column) for entry in entries for column in entry.columns}


def kept_reasons() -> list[str]:
    """What stays after /forgetme and why, in registry order, each once."""
    return list(dict.fromkeys(entry.kept for entry in PERSONAL if entry.kept))


class MyDataRepository:
    """Reads a person's rows for /mydata and forgets them for /forgetme."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def export(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """Every section of the registry with the person's rows (empty ones left out)."""
        sections: dict[str, list[dict[str, Any]]] = {}
        for entry in PERSONAL:
            rows = await self.db.fetch_all(entry.export, {"user": user_id})
            if rows:
                sections.setdefault(entry.section, []).extend(dict(row) for row in rows)
        return sections

    async def user_columns(self) -> set[tuple[str, str]]:
        """Every (table, column) of the schema that names a person."""
        tables = await self.db.fetch_all(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        found: set[tuple[str, str]] = set()
        for (table,) in tables:
            for column in await self.db.fetch_all(f"PRAGMA table_info({table})"):
                if USER_COLUMN.match(column["name"]):
                    found.add((table, column["name"]))
        return found

    async def remaining(self, tx: Transaction, user_id: int) -> int:
        """How many rows /forgetme would still remove (0 after it, until the person does
        something new: then /forgetme has something to forget again)."""
        total = 0
        for entry in PERSONAL:
            if any(statement.lstrip().startswith("DELETE") for statement in entry.forget):
                value = await tx.fetch_value(
                    f"SELECT count(*) FROM {entry.table} WHERE {entry.columns[0]} = ?",
                    (user_id,),
                )
                total += int(value or 0)
        return total

    async def erase_names(self, tx: Transaction, user_id: int, now: float) -> None:
        """The first step of /forgetme: the person's row keeps no name from now on."""
        for statement in PERSONAL[0].forget:
            await tx.execute(statement, {"user": user_id, "now": now})

    async def confirmed_posts(self, tx: Transaction, user_id: int) -> list[int]:
        """The notice posts the person confirmed (their counts change when they are forgotten)."""
        rows = await tx.fetch_all(
            "SELECT post_id FROM notice_confirmations WHERE user_id = ?", (user_id,)
        )
        return [int(row["post_id"]) for row in rows]

    async def forget(self, tx: Transaction, user_id: int, names: list[str], now: float) -> None:
        """Run every forget statement of the registry, then rewrite the person's names out of
        the stored messages (updates received, messages sent, dead letters)."""
        params = {"user": user_id, "now": now}
        for entry in PERSONAL:
            for statement in entry.forget:
                await tx.execute(statement, params)
        await tx.execute("DELETE FROM stats_charts")  # drawn again; they may show names
        for table, key in MESSAGE_TABLES.items():
            await self._scrub(tx, table, key, user_id, names)

    async def scrub_update(
        self, tx: Transaction, update_id: int, user_id: int, names: list[str]
    ) -> None:
        """An update from a forgotten person, as Telegram sent it (with their names): stored
        in the inbox without them."""
        await self._scrub(tx, "inbox", "update_id", user_id, names, only=update_id)

    async def _scrub(
        self,
        tx: Transaction,
        table: str,
        key: str,
        user_id: int,
        names: list[str],
        only: int | None = None,
    ) -> None:
        """Rewrite the JSON payloads of ``table`` that mention the person (or row ``only``)."""
        wanted = [name for name in names if len(name) >= SHORTEST_NAME]
        forms = sorted({form for name in wanted for form in _forms(name)}, key=len, reverse=True)
        if not forms:
            return
        where = " OR ".join("instr(CAST(payload AS TEXT), ?) > 0" for _ in forms)
        params: list[object] = list(forms)
        if only is not None:
            where = f"{key} = ? AND ({where})"
            params.insert(0, only)
        rows = await tx.fetch_all(f"SELECT {key}, payload FROM {table} WHERE {where}", params)
        for row in rows:
            raw = row["payload"]
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
            try:
                cleaned = json.dumps(scrubbed(json.loads(text), user_id, forms),
                                     ensure_ascii=False)
            except ValueError:
                cleaned = "{}"  # not JSON: what it said cannot be kept without the name
            value: str | bytes = cleaned.encode() if isinstance(raw, bytes) else cleaned
            await tx.execute(f"UPDATE {table} SET payload = ? WHERE {key} = ?",
                             (value, row[key]))


def _forms(name: str) -> set[str]:
    """A name as it may be stored: as written, escaped in HTML, escaped in JSON."""
    return {name, escape(name), json.dumps(name)[1:-1], json.dumps(escape(name))[1:-1]}


def scrubbed(value: Any, user_id: int, forms: list[str]) -> Any:
    """A JSON value with the person's Telegram user objects nameless and their names
    replaced in every text."""
    if isinstance(value, dict):
        if value.get("id") == user_id and ("first_name" in value or "is_bot" in value):
            value = {k: v for k, v in value.items() if k not in ("last_name", "username")}
            value["first_name"] = ""
        return {k: scrubbed(v, user_id, forms) for k, v in value.items()}
    if isinstance(value, list):
        return [scrubbed(item, user_id, forms) for item in value]
    if isinstance(value, str):
        for form in forms:
            value = value.replace(form, ANONYMOUS)
        return value
    return value
