"""Service hours: check-in windows, attendance, the append-only hours ledger, star levels,
certificates and volunteers' applications.

Every write two presses could race for is one conditional statement: a check-in goes in
once per activity and person, a check-out moves an attendance only while it is 'in', an
entry goes in once per source, a decision moves an application only while it is pending.
"""

from __future__ import annotations

from typing import Any

from bot.domain.core import User
from bot.domain.hours import (
    Activity,
    Application,
    Attendance,
    Certificate,
    HoursEntry,
    HoursStanding,
    ServiceLine,
    Totals,
)
from storage.db import Database, Row, Transaction

Reader = Database | Transaction

# Each entry with its corrections added in (the index on ``corrects`` finds them).
_LINES = """SELECT e.*, e.minutes + coalesce((SELECT sum(c.minutes) FROM hours_entries c
                                             WHERE c.corrects = e.id), 0) AS effective
            FROM hours_entries e"""


def _line(row: Row) -> ServiceLine:
    fields = {key: row[key] for key in row.keys() if key != "effective"}  # noqa: SIM118
    return ServiceLine(entry=HoursEntry.model_validate(fields), minutes=row["effective"])


class HoursRepository:
    """SQL of the hours feature."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- activities -----------------------------------------------------------------------

    async def events_to_open(
        self, now: float, before: float, length: float, event_id: int | None = None
    ) -> list[Row]:
        """Events (or one) whose check-in window is open now and has no activity yet."""
        one = "AND e.id = ?" if event_id is not None else ""
        return await self.db.fetch_all(
            f"""SELECT e.id, e.title, e.starts_at, e.created_by FROM events e
                WHERE e.status <> 'cancelled' AND e.starts_at - ? <= ? AND e.starts_at + ? > ?
                  AND e.starts_at > ? - 86400 {one}
                  AND NOT EXISTS (SELECT 1 FROM hours_activities a
                                  WHERE a.ref = 'event:' || e.id)
                ORDER BY e.starts_at""",
            (before, now, length, now, now, *((event_id,) if event_id is not None else ())),
        )

    async def event_start(self, reader: Reader, event_id: int) -> float | None:
        """When an event starts."""
        value = await reader.fetch_value("SELECT starts_at FROM events WHERE id = ?",
                                         (event_id,))
        return None if value is None else float(value)

    async def code_in_use(self, tx: Transaction, code: str, opens_at: float) -> bool:
        """Whether a window that is still open then holds this code."""
        row = await tx.fetch_one(
            "SELECT 1 FROM hours_activities WHERE code = ? AND ends_at >= ?", (code, opens_at)
        )
        return row is not None

    async def add_activity(self, tx: Transaction, fields: dict[str, Any]) -> Activity | None:
        """Store a check-in window; None if one exists for this ref."""
        cursor = await tx.execute(
            """INSERT INTO hours_activities (ref, title, organiser_id, code, opens_at,
                                             starts_at, ends_at, created_at)
               VALUES (:ref, :title, :organiser_id, :code, :opens_at, :starts_at, :ends_at,
                       :created_at)
               ON CONFLICT (ref) DO NOTHING""",
            fields,
        )
        return await self.activity(tx, int(cursor.lastrowid or 0)) if cursor.rowcount else None

    async def activity(self, reader: Reader, activity_id: int) -> Activity | None:
        """A check-in window by id."""
        row = await reader.fetch_one("SELECT * FROM hours_activities WHERE id = ?",
                                     (activity_id,))
        return None if row is None else Activity.from_row(row)

    async def activity_by_ref(self, reader: Reader, ref: str) -> Activity | None:
        """The check-in window of an event ('event:12'), if it was opened."""
        row = await reader.fetch_one("SELECT * FROM hours_activities WHERE ref = ?", (ref,))
        return None if row is None else Activity.from_row(row)

    async def event_point(self, reader: Reader, event_id: int) -> tuple[float, float] | None:
        """Where an event is on the map (latitude, longitude), if its owner said."""
        row = await reader.fetch_one(
            "SELECT latitude, longitude FROM events WHERE id = ? AND latitude IS NOT NULL "
            "AND longitude IS NOT NULL", (event_id,))
        return None if row is None else (float(row[0]), float(row[1]))

    async def by_code(self, reader: Reader, code: str, now: float) -> list[Activity]:
        """The windows with this code, the latest first (an old one may share it)."""
        rows = await reader.fetch_all(
            "SELECT * FROM hours_activities WHERE code = ? ORDER BY ends_at >= ? DESC, id DESC",
            (code, now),
        )
        return [Activity.from_row(row) for row in rows]

    async def open_for(self, organiser_id: int, now: float) -> list[Activity]:
        """The windows an organiser has open (or coming) now."""
        rows = await self.db.fetch_all(
            """SELECT * FROM hours_activities WHERE organiser_id = ? AND ends_at >= ?
               ORDER BY starts_at""",
            (organiser_id, now),
        )
        return [Activity.from_row(row) for row in rows]

    async def close_activity(self, tx: Transaction, activity_id: int, now: float) -> bool:
        """Mark the end as handled; False if it already was."""
        cursor = await tx.execute(
            "UPDATE hours_activities SET closed_at = ? WHERE id = ? AND closed_at IS NULL",
            (now, activity_id),
        )
        return cursor.rowcount == 1

    async def event_buildings(self, event_id: int) -> list[int]:
        """The buildings an event is posted in."""
        rows = await self.db.fetch_all(
            "SELECT building_id FROM event_posts WHERE event_id = ?", (event_id,)
        )
        return [row[0] for row in rows]

    async def eligible(self, reader: Reader, event_id: int) -> list[tuple[User, int | None]]:
        """Who may check in at an event: its helpers, and the volunteers on its list; with
        the building of the group they signed up in."""
        rows = await reader.fetch_all(
            """SELECT u.*, b.id AS building_id FROM event_signups s
               JOIN users u ON u.id = s.user_id
               LEFT JOIN buildings b ON b.chat_id = s.chat_id
               WHERE s.event_id = ? AND s.status = 'going'
                 AND (s.role = 'helper' OR EXISTS (SELECT 1 FROM members m
                      WHERE m.user_id = s.user_id AND m.volunteer = 1))
               ORDER BY s.id""",
            (event_id,),
        )
        found = []
        for row in rows:
            user = User.model_validate({k: row[k] for k in row.keys()  # noqa: SIM118
                                        if k != "building_id" and k in User.model_fields})
            found.append((user, row["building_id"]))
        return found

    # --- attendance -----------------------------------------------------------------------

    async def check_in(
        self, tx: Transaction, activity_id: int, user_id: int, building_id: int | None,
        now: float,
    ) -> bool:
        """Record a check-in; False if the person already checked in here."""
        cursor = await tx.execute(
            """INSERT INTO hours_attendance (activity_id, user_id, building_id, checked_in_at)
               VALUES (?, ?, ?, ?) ON CONFLICT (activity_id, user_id) DO NOTHING""",
            (activity_id, user_id, building_id, now),
        )
        return cursor.rowcount == 1

    async def attendance(
        self, reader: Reader, activity_id: int, user_id: int
    ) -> Attendance | None:
        """Someone's attendance at an activity."""
        row = await reader.fetch_one(
            "SELECT * FROM hours_attendance WHERE activity_id = ? AND user_id = ?",
            (activity_id, user_id),
        )
        return None if row is None else Attendance.from_row(row)

    async def attendance_by_id(self, reader: Reader, attendance_id: int) -> Attendance | None:
        """An attendance by id."""
        row = await reader.fetch_one("SELECT * FROM hours_attendance WHERE id = ?",
                                     (attendance_id,))
        return None if row is None else Attendance.from_row(row)

    async def checked_in(self, reader: Reader, user_id: int) -> list[Attendance]:
        """The attendances someone has not checked out of."""
        rows = await reader.fetch_all(
            "SELECT * FROM hours_attendance WHERE user_id = ? AND status = 'in' ORDER BY id",
            (user_id,),
        )
        return [Attendance.from_row(row) for row in rows]

    async def check_out(
        self, tx: Transaction, attendance_id: int, at: float, status: str
    ) -> bool:
        """Close an attendance that is 'in' (checked out, or closed at the end)."""
        cursor = await tx.execute(
            """UPDATE hours_attendance SET checked_out_at = ?, status = ?
               WHERE id = ? AND status = 'in'""",
            (at, status, attendance_id),
        )
        return cursor.rowcount == 1

    async def confirm(self, tx: Transaction, attendance_id: int) -> bool:
        """The owner confirms an attendance closed without a check-out."""
        cursor = await tx.execute(
            """UPDATE hours_attendance SET status = 'confirmed'
               WHERE id = ? AND status = 'no_checkout'""",
            (attendance_id,),
        )
        return cursor.rowcount == 1

    async def still_in(self, tx: Transaction, activity_id: int) -> list[Attendance]:
        """Who has not checked out of an activity."""
        rows = await tx.fetch_all(
            "SELECT * FROM hours_attendance WHERE activity_id = ? AND status = 'in' ORDER BY id",
            (activity_id,),
        )
        return [Attendance.from_row(row) for row in rows]

    # --- the ledger -----------------------------------------------------------------------

    async def add_entry(self, tx: Transaction, fields: dict[str, Any]) -> bool:
        """Append an entry unless its source is already in; False means nothing was written."""
        cursor = await tx.execute(
            """INSERT INTO hours_entries (user_id, minutes, kind, origin, content, served_at,
                   year, month, building_id, corrects, cap_minutes, source, made_by, created_at)
               VALUES (:user_id, :minutes, :kind, :origin, :content, :served_at, :year,
                       :month, :building_id, :corrects, :cap_minutes, :source, :made_by,
                       :created_at)
               ON CONFLICT (source) DO NOTHING""",
            fields,
        )
        return cursor.rowcount == 1

    async def entry_by_source(self, reader: Reader, source: str) -> HoursEntry | None:
        """The entry a source made, if it did."""
        row = await reader.fetch_one("SELECT * FROM hours_entries WHERE source = ?", (source,))
        return None if row is None else HoursEntry.from_row(row)

    async def line(self, reader: Reader, entry_id: int) -> ServiceLine | None:
        """An entry (not a correction) with its corrections added in."""
        row = await reader.fetch_one(f"{_LINES} WHERE e.id = ? AND e.corrects IS NULL",
                                     (entry_id,))
        return None if row is None else _line(row)

    async def totals(self, reader: Reader, user_id: int, year: int | None = None) -> Totals:
        """Minutes by kind, for a year or all time (read from the index alone)."""
        where, params = ("AND year = ?", (user_id, year)) if year is not None else ("", (user_id,))
        rows = await reader.fetch_all(
            f"""SELECT kind, sum(minutes) FROM hours_entries INDEXED BY hours_entries_user
                WHERE user_id = ? {where} GROUP BY kind""",
            params,
        )
        found = {row[0]: int(row[1]) for row in rows}
        return Totals(recorded=found.get("recorded", 0), makeup=found.get("makeup", 0))

    async def month_makeup(self, reader: Reader, user_id: int, month: str) -> int:
        """Make-up minutes of a person in a month."""
        value = await reader.fetch_value(
            """SELECT coalesce(sum(minutes), 0) FROM hours_entries
               INDEXED BY hours_entries_month
               WHERE user_id = ? AND month = ? AND kind = 'makeup'""",
            (user_id, month),
        )
        return int(value)

    async def latest(self, user_id: int, limit: int) -> list[ServiceLine]:
        """A person's latest entries (corrections added in), newest first."""
        rows = await self.db.fetch_all(
            f"""{_LINES} WHERE e.user_id = ? AND e.corrects IS NULL
                ORDER BY e.served_at DESC, e.id DESC LIMIT ?""",
            (user_id, limit),
        )
        return [_line(row) for row in rows]

    async def year_lines(self, reader: Reader, user_id: int, year: int) -> list[ServiceLine]:
        """A person's entries of a year (corrections added in), in the order served."""
        rows = await reader.fetch_all(
            f"""{_LINES} WHERE e.user_id = ? AND e.year = ? AND e.corrects IS NULL
                ORDER BY e.served_at, e.id""",
            (user_id, year),
        )
        return [_line(row) for row in rows]

    async def standings(
        self, start: float, end: float, building_id: int | None, limit: int
    ) -> list[HoursStanding]:
        """Minutes served in [start, end) by person, most first (one building's volunteers,
        or everyone); a month's read, off the event loop."""
        where, params = "", [start, end]
        if building_id is not None:
            where = """AND e.user_id IN (SELECT user_id FROM members
                                         WHERE volunteer = 1 AND building_id = ?)"""
            params.append(building_id)
        rows = await self.db.long_reads.fetch_all(
            f"""SELECT u.*, sum(e.minutes) AS minutes FROM hours_entries e
                JOIN users u ON u.id = e.user_id
                WHERE e.served_at >= ? AND e.served_at < ? {where}
                GROUP BY e.user_id HAVING sum(e.minutes) > 0
                ORDER BY minutes DESC, u.first_name, u.id LIMIT ?""",
            (*params, limit),
        )
        return [HoursStanding(user=User.from_row(row), minutes=row["minutes"]) for row in rows]

    # --- levels and settings --------------------------------------------------------------

    async def reach_level(self, tx: Transaction, user_id: int, level: int, now: float) -> bool:
        """Record a star level reached; False if it was reached before."""
        cursor = await tx.execute(
            """INSERT INTO hours_levels (user_id, level, reached_at) VALUES (?, ?, ?)
               ON CONFLICT (user_id, level) DO NOTHING""",
            (user_id, level, now),
        )
        return cursor.rowcount == 1

    async def announces(self, reader: Reader, building_id: int) -> bool:
        """Whether the building's group hears of new star levels."""
        value = await reader.fetch_value(
            "SELECT announce_levels FROM hours_building_settings WHERE building_id = ?",
            (building_id,),
        )
        return bool(value)

    async def set_announce(self, tx: Transaction, building_id: int, on: bool) -> None:
        """Turn the group's note of new star levels on or off."""
        await tx.execute(
            """INSERT INTO hours_building_settings (building_id, announce_levels) VALUES (?, ?)
               ON CONFLICT (building_id)
               DO UPDATE SET announce_levels = excluded.announce_levels""",
            (building_id, int(on)),
        )

    # --- certificates ---------------------------------------------------------------------

    async def add_certificate(self, tx: Transaction, fields: dict[str, Any]) -> bool:
        """Store an issued certificate; False if its command issued one before."""
        cursor = await tx.execute(
            """INSERT INTO hours_certificates (number, user_id, year, total_minutes,
                   recorded_minutes, makeup_minutes, entries, source, issued_at)
               VALUES (:number, :user_id, :year, :total_minutes, :recorded_minutes,
                       :makeup_minutes, :entries, :source, :issued_at)
               ON CONFLICT (source) DO NOTHING""",
            fields,
        )
        return cursor.rowcount == 1

    async def certificate(self, reader: Reader, number: str) -> Certificate | None:
        """A certificate by its number."""
        row = await reader.fetch_one("SELECT * FROM hours_certificates WHERE number = ?",
                                     (number,))
        return None if row is None else Certificate.from_row(row)

    async def certificate_by_source(self, reader: Reader, source: str) -> Certificate | None:
        """The certificate a command issued."""
        row = await reader.fetch_one("SELECT * FROM hours_certificates WHERE source = ?",
                                     (source,))
        return None if row is None else Certificate.from_row(row)

    # --- applications ---------------------------------------------------------------------

    async def apply(
        self, tx: Transaction, building_id: int, user_id: int, skills: str, source: str,
        now: float,
    ) -> Application | None:
        """Store an application; None if one is pending (or this command made one)."""
        cursor = await tx.execute(
            """INSERT INTO volunteer_applications (building_id, user_id, skills, source,
                                                   created_at)
               VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
            (building_id, user_id, skills, source, now),
        )
        return await self.application(tx, int(cursor.lastrowid or 0)) if cursor.rowcount else None

    async def application(self, reader: Reader, application_id: int) -> Application | None:
        """An application by id."""
        row = await reader.fetch_one("SELECT * FROM volunteer_applications WHERE id = ?",
                                     (application_id,))
        return None if row is None else Application.from_row(row)

    async def application_by_source(self, reader: Reader, source: str) -> Application | None:
        """The application a command made."""
        row = await reader.fetch_one("SELECT * FROM volunteer_applications WHERE source = ?",
                                     (source,))
        return None if row is None else Application.from_row(row)

    async def decide(
        self, tx: Transaction, application_id: int, status: str, by: int, now: float
    ) -> bool:
        """Approve or decline a pending application; of two owners at once, one wins."""
        cursor = await tx.execute(
            """UPDATE volunteer_applications SET status = ?, decided_by = ?, decided_at = ?
               WHERE id = ? AND status = 'pending'""",
            (status, by, now, application_id),
        )
        return cursor.rowcount == 1
