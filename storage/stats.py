"""The reads behind /stats, the monthly report and the spreadsheet export, and the stored
charts of monthly reports.

Every figure is for a set of buildings and a month given as UTC bounds [start, end) that
the caller worked out in the community's time zone. Each query ranges over an index by
building (or facility, or event) and time (migration 0007), so one month costs the same
however many years the database holds. Totals that could count a person or an event
twice (someone in two buildings, an event posted in two groups) have their own query.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain.stats import (
    BookingCounts,
    BookingLine,
    DayCount,
    EventCounts,
    HistoryLine,
    HoursCounts,
    HoursLine,
    LockupCounts,
    LockupLine,
    PeopleCounts,
    PointCounts,
    RequestCounts,
    RequestLine,
    RequestTimes,
    SignupLine,
    VolunteerLine,
)
from storage.db import Database, LongReads, Transaction

# Points earned are work; spending and its returns are not (as in the leaderboard).
_EARNED = "l.reason NOT IN ('redemption', 'redemption_returned')"
# The first time a volunteer took the request; claimed_at for rows without events.
_FIRST_CLAIM = """coalesce((SELECT min(e.at) FROM request_events e
                            WHERE e.request_id = r.id AND e.kind = 'claimed'), r.claimed_at)"""
_NAME = "trim({u}.first_name || ' ' || coalesce({u}.last_name, ''))"
# The month's hours entries of the buildings: those made for one of them, and those made for
# none (a check-in at an event posted elsewhere) of a person who volunteers in one.
_HOURS_OF = """(e.building_id IN ({marks})
                OR (e.building_id IS NULL AND e.user_id IN (
                    SELECT user_id FROM members WHERE volunteer = 1
                    AND building_id IN ({marks}))))"""
# Who served in [:start, :end): an hours entry or a check-in (each from its time index).
_ACTIVE = """SELECT user_id FROM hours_entries
             WHERE served_at >= :start AND served_at < :end
             UNION SELECT user_id FROM hours_attendance
             WHERE checked_in_at >= :start AND checked_in_at < :end"""
# A building's volunteers at :end, as people() counts them.
_VOLUNTEER_AT_END = """m.volunteer = 1 AND m.joined_at < :end
                       AND (m.left_at IS NULL OR m.left_at >= :end)"""


def _marks(ids: Sequence[Any]) -> str:
    return ", ".join("?" for _ in ids)


class StatsRepository:
    """Month-by-month reads for a set of buildings; the stored charts of monthly reports."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # Figures and sheets read whole months: off the event loop (either would serve).
        self.reads: Database | LongReads = db.long_reads

    # --- figures --------------------------------------------------------------------------

    async def request_counts(
        self, building_ids: Sequence[int], start: float, end: float, in_time: float
    ) -> list[RequestCounts]:
        """Requests opened in [start, end) by building; ``in_time``: the escalation seconds."""
        rows = await self.reads.fetch_all(
            f"""SELECT building_id, count(*) AS opened,
                       sum(state = 'done') AS done,
                       sum(state = 'cancelled') AS cancelled,
                       sum(state IN ('open', 'claimed')) AS still_open,
                       sum(state = 'claimed' AND waiting_until IS NOT NULL) AS waiting,
                       coalesce(sum(reopened), 0) AS reopened,
                       sum(first_claim IS NOT NULL AND first_claim - created_at <= ?)
                           AS claimed_in_time,
                       sum(state <> 'cancelled' OR first_claim IS NOT NULL) AS needed_claim,
                       count(rating) AS ratings, coalesce(sum(rating), 0) AS rating_sum
                FROM (SELECT r.building_id, r.state, r.rating, r.created_at, r.waiting_until,
                             r.reopened,
                             {_FIRST_CLAIM} AS first_claim
                      FROM requests r
                      WHERE r.building_id IN ({_marks(building_ids)})
                        AND r.created_at >= ? AND r.created_at < ?)
                GROUP BY building_id""",
            (in_time, *building_ids, start, end),
        )
        return [RequestCounts.from_row(row) for row in rows]

    async def request_times(
        self, building_ids: Sequence[int], start: float, end: float
    ) -> list[RequestTimes]:
        """Seconds from opening to the first claim, and to done, of the month's requests."""
        rows = await self.reads.fetch_all(
            f"""SELECT r.building_id, {_FIRST_CLAIM} - r.created_at AS claim,
                       r.done_at - r.created_at AS finish
                FROM requests r
                WHERE r.building_id IN ({_marks(building_ids)})
                  AND r.created_at >= ? AND r.created_at < ?""",
            (*building_ids, start, end),
        )
        claims: dict[int, list[float]] = {}
        finishes: dict[int, list[float]] = {}
        for building_id, claim, finish in rows:
            if claim is not None:
                claims.setdefault(building_id, []).append(claim)
            if finish is not None:
                finishes.setdefault(building_id, []).append(finish)
        return [
            RequestTimes(
                building_id=building_id,
                claim=claims.get(building_id, []),
                finish=finishes.get(building_id, []),
            )
            for building_id in claims.keys() | finishes.keys()
        ]

    async def requests_by_day(
        self, building_ids: Sequence[int], days: Sequence[tuple[float, float]]
    ) -> list[DayCount]:
        """Requests opened on each local day (given as UTC bounds), by category."""
        if not days:
            return []
        values = ", ".join("(?, ?, ?)" for _ in days)
        bounds = [value for n, (low, high) in enumerate(days, 1) for value in (n, low, high)]
        rows = await self.reads.fetch_all(
            f"""WITH days (day, low, high) AS (VALUES {values})
                SELECT d.day, r.category, count(*) AS requests
                FROM days d JOIN requests r ON r.created_at >= d.low AND r.created_at < d.high
                WHERE r.building_id IN ({_marks(building_ids)})
                GROUP BY d.day, r.category ORDER BY d.day, r.category""",
            (*bounds, *building_ids),
        )
        return [DayCount.from_row(row) for row in rows]

    async def people(self, building_ids: Sequence[int], end: float) -> list[PeopleCounts]:
        """Residents and volunteers of each building as of ``end`` (who had joined, not left)."""
        rows = await self.reads.fetch_all(
            f"""SELECT building_id, count(*) AS people, sum(volunteer) AS volunteers
                FROM members
                WHERE building_id IN ({_marks(building_ids)}) AND (resident = 1 OR volunteer = 1)
                  AND joined_at < ? AND (left_at IS NULL OR left_at >= ?)
                GROUP BY building_id""",
            (*building_ids, end, end),
        )
        return [PeopleCounts.from_row(row) for row in rows]

    async def people_total(self, building_ids: Sequence[int], end: float) -> PeopleCounts:
        """The same for several buildings, each person counted once."""
        row = await self.reads.fetch_one(
            f"""SELECT count(DISTINCT user_id) AS people,
                       count(DISTINCT CASE WHEN volunteer = 1 THEN user_id END) AS volunteers
                FROM members
                WHERE building_id IN ({_marks(building_ids)}) AND (resident = 1 OR volunteer = 1)
                  AND joined_at < ? AND (left_at IS NULL OR left_at >= ?)""",
            (*building_ids, end, end),
        )
        return PeopleCounts.from_row(row)

    async def lockups(
        self,
        building_ids: Sequence[int],
        first_day: str,
        next_first_day: str,
        now: float,
        missing_after: float,
    ) -> list[LockupCounts]:
        """Lock-ups of closing days in [first_day, next_first_day) that are due by ``now``:
        on time, late, or missing (unreported and escalated, or ``missing_after`` seconds
        past closing), as /lockups tells them."""
        rows = await self.reads.fetch_all(
            f"""SELECT f.building_id,
                       sum(l.status = 'reported' AND l.late = 0) AS on_time,
                       sum(l.status = 'reported' AND l.late = 1) AS late,
                       sum(l.status <> 'reported' AND (l.escalated_at IS NOT NULL
                           OR l.closing_at + ? < ?)) AS missing
                FROM facilities f JOIN lockups l ON l.facility_id = f.id
                WHERE f.building_id IN ({_marks(building_ids)})
                  AND l.day >= ? AND l.day < ? AND l.closing_at <= ?
                GROUP BY f.building_id""",
            (missing_after, now, *building_ids, first_day, next_first_day, now),
        )
        return [LockupCounts.from_row(row) for row in rows]

    async def events(
        self, building_ids: Sequence[int], start: float, end: float
    ) -> list[EventCounts]:
        """Events starting in [start, end) posted in each building (not cancelled), and the
        sign-ups (going) made in each building's group, with how many came."""
        marks = _marks(building_ids)
        counts = {
            row[0]: EventCounts(building_id=row[0], events=row[1])
            for row in await self.reads.fetch_all(
                f"""SELECT p.building_id, count(*) FROM events e
                    JOIN event_posts p ON p.event_id = e.id
                    WHERE p.building_id IN ({marks}) AND e.starts_at >= ? AND e.starts_at < ?
                      AND e.status <> 'cancelled'
                    GROUP BY p.building_id""",
                (*building_ids, start, end),
            )
        }
        for building_id, signups, attended in await self.reads.fetch_all(
            f"""SELECT b.id, count(*), coalesce(sum(a.present), 0)
                FROM events e JOIN event_signups s ON s.event_id = e.id
                JOIN buildings b ON b.chat_id = s.chat_id
                LEFT JOIN event_attendance a ON a.event_id = s.event_id AND a.user_id = s.user_id
                WHERE b.id IN ({marks}) AND e.starts_at >= ? AND e.starts_at < ?
                  AND e.status <> 'cancelled' AND s.status = 'going'
                GROUP BY b.id""",
            (*building_ids, start, end),
        ):
            known = counts.get(building_id, EventCounts(building_id=building_id))
            counts[building_id] = known.model_copy(
                update={"signups": signups, "attended": attended}
            )
        return list(counts.values())

    async def events_total(self, building_ids: Sequence[int], start: float, end: float) -> int:
        """How many distinct events of the month were posted in any of the buildings."""
        return int(
            await self.reads.fetch_value(
                f"""SELECT count(DISTINCT e.id) FROM events e
                    JOIN event_posts p ON p.event_id = e.id
                    WHERE p.building_id IN ({_marks(building_ids)})
                      AND e.starts_at >= ? AND e.starts_at < ? AND e.status <> 'cancelled'""",
                (*building_ids, start, end),
            )
        )

    async def points(
        self, building_ids: Sequence[int], start: float, end: float
    ) -> list[PointCounts]:
        """Points earned in [start, end) by each building's volunteers, and the points of the
        rewards its owners handed out (approved redemptions)."""
        marks = _marks(building_ids)
        counts = {
            row[0]: PointCounts(building_id=row[0], earned=row[1])
            for row in await self.reads.fetch_all(
                # The month's entries, each looked up by person: "+" keeps SQLite from
                # probing (building, person) for every building (6x slower on 1M requests).
                f"""SELECT m.building_id, sum(l.amount) FROM ledger l
                    JOIN members m ON m.user_id = l.user_id AND m.volunteer = 1
                    WHERE +m.building_id IN ({marks}) AND l.created_at >= ? AND l.created_at < ?
                      AND {_EARNED}
                    GROUP BY m.building_id""",
                (*building_ids, start, end),
            )
        }
        for building_id, redeemed in await self.reads.fetch_all(
            f"""SELECT building_id, sum(cost) FROM redemptions
                WHERE status = 'approved' AND decided_at >= ? AND decided_at < ?
                  AND building_id IN ({marks})
                GROUP BY building_id""",
            (start, end, *building_ids),
        ):
            known = counts.get(building_id, PointCounts(building_id=building_id))
            counts[building_id] = known.model_copy(update={"redeemed": redeemed})
        return list(counts.values())

    async def points_earned_total(
        self, building_ids: Sequence[int], start: float, end: float
    ) -> int:
        """Points earned in [start, end) by the volunteers of any of the buildings."""
        return int(
            await self.reads.fetch_value(
                f"""SELECT coalesce(sum(l.amount), 0) FROM ledger l
                    WHERE l.created_at >= ? AND l.created_at < ? AND {_EARNED}
                      AND l.user_id IN (SELECT user_id FROM members WHERE volunteer = 1
                                        AND building_id IN ({_marks(building_ids)}))""",
                (start, end, *building_ids),
            )
        )

    async def hours(
        self, building_ids: Sequence[int], start: float, end: float
    ) -> list[HoursCounts]:
        """Minutes of hours served in [start, end) for each building (an entry made for no
        building counts for each building its volunteer serves), and the volunteers of each
        building who were active."""
        marks = _named(building_ids)
        params = {"start": start, "end": end, **_named_values(building_ids)}
        counts = {
            row[0]: HoursCounts(building_id=row[0], minutes=row[1])
            for row in await self.reads.fetch_all(
                f"""SELECT building_id, sum(minutes) FROM (
                        SELECT e.building_id, e.minutes FROM hours_entries e
                        WHERE e.served_at >= :start AND e.served_at < :end
                          AND e.building_id IN ({marks})
                        UNION ALL
                        SELECT m.building_id, e.minutes FROM hours_entries e
                        JOIN members m ON m.user_id = e.user_id AND m.volunteer = 1
                        WHERE e.served_at >= :start AND e.served_at < :end
                          AND e.building_id IS NULL AND +m.building_id IN ({marks}))
                    GROUP BY building_id""",
                params,
            )
        }
        for building_id, active in await self.reads.fetch_all(
            f"""SELECT m.building_id, count(*) FROM members m
                WHERE m.building_id IN ({marks}) AND {_VOLUNTEER_AT_END}
                  AND m.user_id IN ({_ACTIVE})
                GROUP BY m.building_id""",
            params,
        ):
            known = counts.get(building_id, HoursCounts(building_id=building_id))
            counts[building_id] = known.model_copy(update={"active": active})
        return list(counts.values())

    async def hours_total(
        self, building_ids: Sequence[int], start: float, end: float
    ) -> HoursCounts:
        """The same for several buildings, each entry and each volunteer counted once."""
        marks = _named(building_ids)
        params = {"start": start, "end": end, **_named_values(building_ids)}
        minutes = await self.reads.fetch_value(
            f"""SELECT coalesce(sum(e.minutes), 0) FROM hours_entries e
                WHERE e.served_at >= :start AND e.served_at < :end
                  AND {_HOURS_OF.format(marks=marks)}""",
            params,
        )
        active = await self.reads.fetch_value(
            f"""SELECT count(DISTINCT m.user_id) FROM members m
                WHERE m.building_id IN ({marks}) AND {_VOLUNTEER_AT_END}
                  AND m.user_id IN ({_ACTIVE})""",
            params,
        )
        return HoursCounts(minutes=int(minutes), active=int(active))

    async def bookings(
        self, building_ids: Sequence[int], start: float, end: float, now: float
    ) -> list[BookingCounts]:
        """Each bookable facility of the buildings (active, or with bookings in the month)
        with its bookings whose slot started in [start, end), by status; ``unchecked``: the
        approved ones that ended by ``now`` with nobody checked in."""
        rows = await self.reads.fetch_all(
            f"""SELECT f.id AS facility_id, f.building_id, f.name AS facility_name,
                       k.hours, k.capacity,
                       coalesce(sum(b.status = 'approved'), 0) AS approved,
                       coalesce(sum(b.status = 'declined'), 0) AS declined,
                       coalesce(sum(b.status = 'cancelled'), 0) AS cancelled,
                       coalesce(sum(CASE WHEN b.status = 'approved'
                                    THEN b.ends_at - b.starts_at END), 0) AS booked_seconds,
                       coalesce(sum(b.status = 'approved' AND b.checked_in_at IS NULL
                                    AND b.ends_at <= :now), 0) AS unchecked
                FROM bookable k JOIN facilities f ON f.id = k.facility_id
                LEFT JOIN bookings b ON b.facility_id = f.id
                    AND b.starts_at >= :start AND b.starts_at < :end
                WHERE f.building_id IN ({_named(building_ids)})
                GROUP BY f.id
                HAVING max(f.active) = 1 OR count(b.id) > 0
                ORDER BY f.building_id, f.name, f.id""",
            {"start": start, "end": end, "now": now, **_named_values(building_ids)},
        )
        return [BookingCounts.from_row(row) for row in rows]

    # --- the spreadsheet ------------------------------------------------------------------

    async def request_lines(
        self, building_ids: Sequence[int], start: float, end: float
    ) -> list[RequestLine]:
        """The requests opened in [start, end), by number."""
        rows = await self.reads.fetch_all(
            f"""SELECT r.id, b.name AS building_name, r.category, r.state, r.text, r.note,
                       r.rating, r.private, r.created_at, r.done_at, r.anonymous,
                       {_FIRST_CLAIM} AS first_claim_at,
                       CASE WHEN r.anonymous = 1 THEN NULL
                            ELSE {_NAME.format(u="res")} END AS resident_name,
                       {_NAME.format(u="vol")} AS claimer_name
                FROM requests r JOIN buildings b ON b.id = r.building_id
                JOIN users res ON res.id = r.resident_id
                LEFT JOIN users vol ON vol.id = r.claimer_id
                WHERE r.building_id IN ({_marks(building_ids)})
                  AND r.created_at >= ? AND r.created_at < ?
                ORDER BY r.id""",
            (*building_ids, start, end),
        )
        return [RequestLine.from_row(row) for row in rows]

    async def history_lines(
        self, building_ids: Sequence[int], start: float, end: float
    ) -> list[HistoryLine]:
        """Every event of the requests opened in [start, end), request by request."""
        rows = await self.reads.fetch_all(
            f"""SELECT e.request_id, e.kind, e.detail, e.at, b.name AS building_name,
                       CASE WHEN r.anonymous = 1 AND e.actor_id = r.resident_id THEN NULL
                            ELSE {_NAME.format(u="u")} END AS actor_name,
                       (r.anonymous = 1 AND coalesce(e.actor_id = r.resident_id, 0)) AS anonymous
                FROM requests r JOIN request_events e ON e.request_id = r.id
                JOIN buildings b ON b.id = r.building_id
                LEFT JOIN users u ON u.id = e.actor_id
                WHERE r.building_id IN ({_marks(building_ids)})
                  AND r.created_at >= ? AND r.created_at < ?
                ORDER BY e.request_id, e.id""",
            (*building_ids, start, end),
        )
        return [HistoryLine.from_row(row) for row in rows]

    async def volunteer_lines(
        self, building_ids: Sequence[int], start: float, end: float
    ) -> list[VolunteerLine]:
        """Each building's volunteers with their requests done and points in [start, end),
        and their balance."""
        rows = await self.reads.fetch_all(
            f"""WITH earned AS (
                    SELECT l.user_id, sum(l.amount) AS points FROM ledger l
                    WHERE l.created_at >= :start AND l.created_at < :end AND {_EARNED}
                    GROUP BY l.user_id),
                redeemed AS (
                    SELECT user_id, sum(cost) AS points FROM redemptions
                    WHERE status = 'approved' AND decided_at >= :start AND decided_at < :end
                    GROUP BY user_id)
                SELECT b.name AS building_name, u.id AS user_id, u.username, m.skills,
                       {_NAME.format(u="u")} AS name,
                       (SELECT count(*) FROM requests r WHERE r.claimer_id = u.id
                          AND r.state = 'done' AND r.done_at >= :start AND r.done_at < :end
                          AND r.building_id = b.id) AS done,
                       coalesce(e.points, 0) AS earned, coalesce(d.points, 0) AS redeemed,
                       (SELECT coalesce(sum(l.amount), 0) FROM ledger l
                          WHERE l.user_id = u.id) AS balance
                FROM members m JOIN buildings b ON b.id = m.building_id
                JOIN users u ON u.id = m.user_id
                LEFT JOIN earned e ON e.user_id = u.id
                LEFT JOIN redeemed d ON d.user_id = u.id
                WHERE m.volunteer = 1 AND m.building_id IN ({_named(building_ids)})
                ORDER BY b.name, u.first_name, u.id""",
            {"start": start, "end": end, **_named_values(building_ids)},
        )
        return [VolunteerLine.from_row(row) for row in rows]

    async def signup_lines(
        self, building_ids: Sequence[int], start: float, end: float
    ) -> list[SignupLine]:
        """The events starting in [start, end) posted in the buildings, each with its sign-ups
        (waitlist included), in the order people signed up."""
        rows = await self.reads.fetch_all(
            f"""SELECT e.id AS event_id, e.title, e.place, e.starts_at, e.status, e.capacity,
                       (SELECT group_concat(pb.name, ', ') FROM event_posts p
                          JOIN buildings pb ON pb.id = p.building_id
                          WHERE p.event_id = e.id) AS buildings,
                       {_NAME.format(u="u")} AS person_name, sb.name AS building_name,
                       s.role, s.status AS signup_status, s.joined_at, a.present
                FROM events e
                LEFT JOIN event_signups s ON s.event_id = e.id
                LEFT JOIN users u ON u.id = s.user_id
                LEFT JOIN buildings sb ON sb.chat_id = s.chat_id
                LEFT JOIN event_attendance a ON a.event_id = e.id AND a.user_id = s.user_id
                WHERE e.starts_at >= ? AND e.starts_at < ?
                  AND e.id IN (SELECT event_id FROM event_posts
                               WHERE building_id IN ({_marks(building_ids)}))
                ORDER BY e.starts_at, e.id, s.id""",
            (start, end, *building_ids),
        )
        return [SignupLine.from_row(row) for row in rows]

    async def lockup_lines(
        self, building_ids: Sequence[int], first_day: str, next_first_day: str
    ) -> list[LockupLine]:
        """The lock-ups of closing days in [first_day, next_first_day), by day."""
        rows = await self.reads.fetch_all(
            f"""SELECT l.*, b.name AS building_name, f.name AS facility_name,
                       {_NAME.format(u="u")} AS user_name
                FROM facilities f JOIN lockups l ON l.facility_id = f.id
                JOIN buildings b ON b.id = f.building_id
                LEFT JOIN users u ON u.id = l.user_id
                WHERE f.building_id IN ({_marks(building_ids)})
                  AND l.day >= ? AND l.day < ?
                ORDER BY l.day, b.name, f.name""",
            (*building_ids, first_day, next_first_day),
        )
        return [LockupLine.from_row(row) for row in rows]

    async def hours_lines(
        self, building_ids: Sequence[int], start: float, end: float
    ) -> list[HoursLine]:
        """The hours entries served in [start, end) for the buildings, in the order served."""
        rows = await self.reads.fetch_all(
            f"""SELECT e.id, e.served_at, e.origin, e.kind, e.minutes, e.content, e.corrects,
                       {_NAME.format(u="u")} AS volunteer_name, b.name AS building_name
                FROM hours_entries e JOIN users u ON u.id = e.user_id
                LEFT JOIN buildings b ON b.id = e.building_id
                WHERE e.served_at >= :start AND e.served_at < :end
                  AND {_HOURS_OF.format(marks=_named(building_ids))}
                ORDER BY e.served_at, e.id""",
            {"start": start, "end": end, **_named_values(building_ids)},
        )
        return [HoursLine.from_row(row) for row in rows]

    async def booking_lines(
        self, building_ids: Sequence[int], start: float, end: float
    ) -> list[BookingLine]:
        """The bookings whose slot started in [start, end), in the order of their slots."""
        rows = await self.reads.fetch_all(
            f"""SELECT k.id, k.starts_at, k.ends_at, f.name AS facility_name,
                       b.name AS building_name, {_NAME.format(u="u")} AS resident_name,
                       k.status, k.purpose, k.checked_in_at
                FROM bookings k JOIN facilities f ON f.id = k.facility_id
                JOIN buildings b ON b.id = f.building_id
                JOIN users u ON u.id = k.user_id
                WHERE k.facility_id IN (SELECT id FROM facilities
                                        WHERE building_id IN ({_marks(building_ids)}))
                  AND k.starts_at >= ? AND k.starts_at < ?
                ORDER BY k.starts_at, b.name, f.name, k.id""",
            (*building_ids, start, end),
        )
        return [BookingLine.from_row(row) for row in rows]

    # --- the charts of monthly reports ------------------------------------------------------

    async def add_chart(self, tx: Transaction, month: str, language: str, now: float) -> int:
        """The chart row of a month's report in a language (created once); returns its id."""
        await tx.execute(
            """INSERT INTO stats_charts (month, language, created_at) VALUES (?, ?, ?)
               ON CONFLICT (month, language) DO NOTHING""",
            (month, language, now),
        )
        return int(
            await tx.fetch_value(
                "SELECT id FROM stats_charts WHERE month = ? AND language = ?", (month, language)
            )
        )

    async def chart(self, chart_id: int) -> tuple[str, str, bytes | None] | None:
        """(month, language, png or None if not drawn yet) of a chart row; None if unknown."""
        row = await self.db.fetch_one(
            "SELECT month, language, png FROM stats_charts WHERE id = ?", (chart_id,)
        )
        return None if row is None else (row[0], row[1], row[2])

    async def store_chart(self, chart_id: int, png: bytes, now: float) -> None:
        """Keep the drawn chart; the first one stored wins."""
        async with self.db.transaction() as tx:
            await tx.execute(
                """UPDATE stats_charts SET png = ?, rendered_at = ?
                   WHERE id = ? AND png IS NULL""",
                (png, now, chart_id),
            )


def _named(ids: Sequence[int]) -> str:
    return ", ".join(f":b{n}" for n in range(len(ids)))


def _named_values(ids: Sequence[int]) -> dict[str, int]:
    return {f"b{n}": value for n, value in enumerate(ids)}
