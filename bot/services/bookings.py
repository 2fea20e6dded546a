"""Booking the study room and the community hall: bookable facilities, the slot grid,
bookings with limits and approval, reminders, and the room's last use for the lock-up.

A slot holds ``capacity`` bookings (one place each). Taking a place is one conditional
INSERT (``BookingRepository.book``), so two residents pressing the last place at once
get one booking between them. Pending bookings hold their place until an owner decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config import Settings
from bot.domain.bookings import BookedSlot, Booking, Room, Slot
from bot.domain.core import Building, Job, Prompt
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.i18n import N_
from bot.outbox import Outbox
from bot.scheduler import JobHandler, Scheduler
from bot.services.community import Actor, Community, Role
from bot.services.lockup import LockupService
from bot.services.prompts import Prompts
from bot.services.roster import RosterService
from bot.services.weektime import (
    DAY_MINUTES,
    local_date,
    local_moment,
    parse_clock,
    parse_range,
    parse_weekly,
)
from bot.text import is_blank, one_line
from bot.views import bookings as views
from bot.views.bookings import BOOK_USAGE, BOOKABLE_USAGE
from storage.bookings import BookingRepository
from storage.db import Transaction

REMIND = "booking remind"
PROMPT = "booking"  # the feature name of its stored prompt (an owner's reason to decline)
REASON_WAIT = 3600  # how long a Decline press waits for the reason, in seconds
MAX_PURPOSE = 100
APPROVAL_WORDS = {
    "approval", "approve", "manual", "审批", "审核", "需审批", "審批", "審核", "需審批",
}
AUTO_WORDS = {"auto", "automatic", "自动", "自動"}


@dataclass(frozen=True)
class BookableSpec:
    """What /facility book describes: which facility, its hours, slot, capacity, approval."""

    name: str
    hours: list[list[int] | None]
    slot_minutes: int
    capacity: int
    approval: bool


def parse_opening(text: str) -> list[list[int] | None] | None:
    """Seven opening ranges (Monday first) from "mon-fri 16:00-21:00 sat 09:00-12:00".

    A range with no days before it is for every day; a range must end on its own day
    ("-24:00" at the latest). None if anything is malformed.
    """
    return parse_weekly(text, _opening)


def _opening(word: str) -> list[int] | None:
    found = parse_range(word)
    if found is None:
        return None
    start, end = found[0], found[1] or DAY_MINUTES
    return [start, end] if end > start else None


def parse_bookable(text: str) -> BookableSpec:
    """Parse "name | opening hours | slot minutes | capacity | auto or approval"."""
    parts = [part.strip() for part in text.split("|")]
    if len(parts) != 5 or is_blank(parts[0]):
        raise InvalidInput(BOOKABLE_USAGE)
    name, opening, slot, capacity, mode = parts
    hours = parse_opening(opening)
    mode = mode.lower()
    if (
        hours is None
        or not slot.isdigit()
        or not capacity.isdigit()
        or mode not in APPROVAL_WORDS | AUTO_WORDS
    ):
        raise InvalidInput(BOOKABLE_USAGE)
    minutes, places = int(slot), int(capacity)
    if not 15 <= minutes <= 720 or not 1 <= places <= 500:
        raise InvalidInput(
            N_("A slot lasts 15 to 720 minutes, and holds 1 to 500 people."),
        )
    if any(entry is not None and entry[1] - entry[0] < minutes for entry in hours):
        raise InvalidInput(N_("The opening hours are shorter than one slot."))
    return BookableSpec(" ".join(name.split()), hours, minutes, places, mode in APPROVAL_WORDS)


def slot_starts(hours: list[list[int] | None], slot_minutes: int, day: date) -> list[int]:
    """The minutes after midnight at which the slots of a local date start."""
    opening = hours[day.weekday()]
    if opening is None:
        return []
    start, end = opening
    return list(range(start, end - slot_minutes + 1, slot_minutes))


def parse_when(text: str, today: date) -> tuple[date, int] | None:
    """ "2026-12-05 16:00" or "12-05 16:00" (this year, or next if passed): date, minute."""
    parts = text.split()
    if len(parts) != 2:
        return None
    day, minute = parse_day(parts[0], today), parse_clock(parts[1])
    return None if day is None or minute is None else (day, minute)


def parse_day(word: str, today: date) -> date | None:
    """A date written "2026-12-05", "12-05" or "12/05"; None if malformed."""
    word = word.replace("/", "-")
    try:
        if word.count("-") == 2:
            return date.fromisoformat(word)
        month, day = (int(part) for part in word.split("-"))
        found = date(today.year, month, day)
    except ValueError:
        return None
    return found if found >= today else found.replace(year=today.year + 1)


class BookingService:
    """Bookable facilities, the grid of slots, bookings and their approval."""

    def __init__(
        self,
        *,
        clock: Clock,
        config: Settings,
        outbox: Outbox,
        scheduler: Scheduler,
        community: Community,
        prompts: Prompts,
        roster: RosterService,
        lockup: LockupService,
        repo: BookingRepository,
    ) -> None:
        self.clock = clock
        self.config = config
        self.outbox = outbox
        self.scheduler = scheduler
        self.community = community
        self.prompts = prompts
        self.roster = roster
        self.lockup = lockup
        self.repo = repo
        self.db = repo.db

    @property
    def tz(self) -> ZoneInfo:
        """The community's time zone: opening hours are local to it."""
        return self.config.community.tz

    def jobs(self) -> dict[str, JobHandler]:
        """The job kinds of this feature, and what runs each."""
        return {REMIND: self._remind}

    # --- owners: making a facility bookable --------------------------------------------

    async def make_bookable(self, actor: Actor, building: Building, spec: BookableSpec) -> Room:
        """Make one of the building's facilities bookable, or change its rules (owners)."""
        await self.community.require(actor, building, Role.OWNER)
        facility = await self.lockup.named(building, spec.name)
        async with self.db.transaction() as tx:
            await self.repo.set_rules(
                tx, facility.id, spec.hours, spec.slot_minutes, spec.capacity, spec.approval
            )
        return await self.room(facility.id)

    # --- residents: rooms, days, slots -------------------------------------------------

    async def room(self, facility_id: int) -> Room:
        """A bookable facility with its building and rules."""
        facility = await self.lockup.repo.facility(facility_id)
        rules = await self.repo.rules(facility_id)
        if facility is None or not facility.active or rules is None:
            raise NotFound(N_("This facility cannot be booked."))
        building = await self.community.buildings.by_id(facility.building_id)
        if building is None:
            raise NotFound(N_("This facility cannot be booked."))
        return Room(building, facility, rules)

    async def rooms_for(self, actor: Actor) -> list[Room]:
        """The bookable facilities of the buildings a person lives in or serves."""
        buildings = await self.community.buildings.of_user(actor.user_id)
        owned = await self.community.owned_buildings(actor.user_id)
        ids = sorted({b.id for b in buildings} | {b.id for b in owned})
        rooms = [await self.room(r.facility_id) for r in await self.repo.bookable_in(ids)]
        if not rooms:
            raise NotFound(N_("There is no room to book in your buildings yet."))
        return rooms

    async def resident_room(self, actor: Actor, facility_id: int) -> Room:
        """A bookable room, for a resident (or anyone above) of its building."""
        room = await self.room(facility_id)
        await self.community.require(actor, room.building, Role.RESIDENT)
        return room

    def days(self, room: Room) -> list[date]:
        """The coming days (``booking.days_ahead``) on which the room opens."""
        today = local_date(self.clock.now(), self.tz)
        ahead = (today + timedelta(days=n) for n in range(self.config.booking.days_ahead))
        return [
            day for day in ahead if self._open_slots(room, day)
        ]

    def _open_slots(self, room: Room, day: date) -> list[int]:
        """Slot starts of a day that have not begun yet."""
        now = self.clock.now()
        starts = slot_starts(room.rules.hours, room.rules.slot_minutes, day)
        return [m for m in starts if local_moment(day, m, self.tz) > now]

    async def grid(self, actor: Actor, facility_id: int, day: date) -> tuple[Room, list[Slot]]:
        """The slots of one day with the places taken, for the person choosing."""
        room = await self.resident_room(actor, facility_id)
        self._check_day(day)
        since = local_moment(day, 0, self.tz)
        taken = await self.repo.taken(room.facility.id, since, since + 2 * 86400)
        slots = []
        for minute in self._open_slots(room, day):
            start = local_moment(day, minute, self.tz)
            here = [b for b in taken if b.starts_at == start]
            slots.append(Slot(
                start, start + room.rules.slot_minutes * 60, len(here), room.rules.capacity,
                mine=any(b.user_id == actor.user_id for b in here),
            ))
        return room, slots

    def _check_day(self, day: date) -> None:
        today = local_date(self.clock.now(), self.tz)
        if not today <= day < today + timedelta(days=self.config.booking.days_ahead):
            raise InvalidInput(
                N_("Bookings are taken for the next {days} days only."),
                days=self.config.booking.days_ahead,
            )

    # --- booking -----------------------------------------------------------------------

    async def book(
        self,
        actor: Actor,
        facility_id: int,
        starts_at: float,
        source: str | None,
        purpose: str | None = None,
    ) -> BookedSlot:
        """Take a place in a slot (or ask the owners), within the limits; one winner for
        the last place."""
        room = await self.resident_room(actor, facility_id)
        self._check_slot(room, starts_at)
        purpose = one_line(purpose or "")[:MAX_PURPOSE] or None
        status = "pending" if room.rules.approval else "approved"
        now = self.clock.now()
        async with self.db.transaction() as tx:
            await self._check_week(tx, actor.user_id, starts_at)
            booking = await self.repo.book(tx, {
                "facility_id": facility_id, "user_id": actor.user_id, "starts_at": starts_at,
                "ends_at": starts_at + room.rules.slot_minutes * 60, "purpose": purpose,
                "status": status, "source": source, "created_at": now,
            }, room.rules.capacity)
            if booking is None:
                raise Conflict(await self._why_not(actor, room, starts_at))
            if booking.created_at == now:  # made now, not found again by a replay
                await self._after_booking(tx, room, booking)
        return await self._booked(booking, room)

    def _check_slot(self, room: Room, starts_at: float) -> None:
        """Refuse a moment that is not a slot of the grid, or lies in the past."""
        day = local_date(starts_at, self.tz)
        self._check_day(day)
        starts = slot_starts(room.rules.hours, room.rules.slot_minutes, day)
        if not any(local_moment(day, m, self.tz) == starts_at for m in starts):
            raise InvalidInput(N_("{facility} has no slot at that time."),
                               facility=room.facility.name)
        if starts_at <= self.clock.now():
            raise InvalidInput(N_("That slot has begun already."))

    async def _check_week(self, tx: Transaction, user_id: int, starts_at: float) -> None:
        """Refuse a booking over the weekly limit (Monday to Sunday, local time)."""
        day = local_date(starts_at, self.tz)
        monday = day - timedelta(days=day.weekday())
        since = local_moment(monday, 0, self.tz)
        until = local_moment(monday + timedelta(days=7), 0, self.tz)
        limit = self.config.booking.per_week
        if await self.repo.held_by(tx, user_id, since, until) >= limit:
            raise Conflict(N_("You already have {count} bookings that week, the most one "
                              "person may hold."), count=limit)

    async def _why_not(self, actor: Actor, room: Room, starts_at: float) -> str:
        taken = await self.repo.taken(room.facility.id, starts_at, starts_at + 1)
        if any(b.user_id == actor.user_id for b in taken):
            return N_("You have booked this slot already.")
        return N_("Sorry, this slot is full. Please choose another.")

    async def _after_booking(self, tx: Transaction, room: Room, booking: Booking) -> None:
        """An approved booking gets its reminder; a pending one goes to the owners."""
        if booking.status == "approved":
            await self._plan_reminder(tx, booking)
            return
        booked = await self._booked(booking, room)
        for owner in await self.roster.owner_ids(room.building):
            t = await self.roster.translator_for(owner)
            await self.outbox.queue_message(
                tx, owner, views.approval_request(t, booked, self.tz), kind="booking_ask",
                dedupe_key=f"booking ask {booking.id} {owner}",
            )

    async def _plan_reminder(self, tx: Transaction, booking: Booking) -> None:
        minutes = self.config.booking.remind_minutes
        at = booking.starts_at - minutes * 60
        if minutes and at > self.clock.now():
            await self.scheduler.schedule(
                tx, REMIND, f"{REMIND} {booking.id}", at, {"booking": booking.id}
            )

    # --- cancelling and deciding -------------------------------------------------------

    async def cancel(self, actor: Actor, booking_id: int) -> BookedSlot:
        """A person cancels their own booking before it starts."""
        booking = await self._booking(booking_id)
        if booking.user_id != actor.user_id:
            raise NotAllowed(N_("This is not your booking."))
        if booking.starts_at <= self.clock.now():
            raise Conflict(N_("This booking has begun already."))
        async with self.db.transaction() as tx:
            if not await self.repo.decide(tx, booking_id, "cancelled", actor.user_id,
                                          self.clock.now(), from_status=("pending", "approved")):
                raise Conflict(N_("This booking is no longer active."))
            await self.scheduler.cancel(tx, f"{REMIND} {booking_id}")
        return await self._booked(await self._booking(booking_id))

    async def decide(
        self, actor: Actor, booking_id: int, approve: bool, reason: str | None = None
    ) -> BookedSlot:
        """An owner of the room's building approves or declines a pending booking; the
        resident is told."""
        booking = await self._booking(booking_id)
        room = await self.room(booking.facility_id)
        await self.community.require(actor, room.building, Role.OWNER)
        status = "approved" if approve else "declined"
        reason = one_line(reason or "")[:MAX_PURPOSE] or None
        async with self.db.transaction() as tx:
            if not await self.repo.decide(tx, booking_id, status, actor.user_id,
                                          self.clock.now(), reason):
                raise Conflict(N_("This booking was decided already."))
            await self.prompts.close(tx, actor.user_id, actor.user_id, PROMPT)
            decided = await self._booked(await self._booking(booking_id), room)
            t = await self.roster.translator_for(booking.user_id)
            await self.outbox.queue_message(
                tx, booking.user_id, views.decided(t, decided, self.tz), kind="booking_decided",
                dedupe_key=f"booking decided {booking_id}",
            )
            if approve:
                await self._plan_reminder(tx, decided.booking)
        return decided

    async def ask_reason(self, actor: Actor, booking_id: int) -> BookedSlot:
        """An owner pressed Decline: their next private message is the reason."""
        booked = await self._pending_for_owner(actor, booking_id)
        async with self.db.transaction() as tx:
            await self.prompts.ask_unless_waiting(
                tx, actor.user_id, actor.user_id, PROMPT, "reason", {"booking": booking_id},
                ttl_seconds=REASON_WAIT,
            )
        return booked

    async def _pending_for_owner(self, actor: Actor, booking_id: int) -> BookedSlot:
        booked = await self._booked(await self._booking(booking_id))
        await self.community.require(actor, booked.room.building, Role.OWNER)
        if booked.booking.status != "pending":
            raise Conflict(N_("This booking was decided already."))
        return booked

    async def reason_expired(self, tx: Transaction, prompt: Prompt) -> bool:
        """The owner never wrote the reason: the booking stays pending, with its buttons."""
        return False

    async def check_in(self, actor: Actor, booking_id: int) -> BookedSlot:
        """The resident pressed "I'm here": from a little before the start to the end."""
        booking = await self._booking(booking_id)
        if booking.user_id != actor.user_id:
            raise NotAllowed(N_("This is not your booking."))
        settings = self.config.booking
        now = self.clock.now()
        opens = booking.starts_at - settings.check_in_minutes * 60
        if not settings.check_in or booking.status != "approved" or not opens <= now <= \
                booking.ends_at:
            raise Conflict(N_("Check-in is open from {minutes} minutes before the booking "
                              "until its end."), minutes=settings.check_in_minutes)
        async with self.db.transaction() as tx:
            await self.repo.check_in(tx, booking_id, now)
        return await self._booked(await self._booking(booking_id))

    # --- lists -------------------------------------------------------------------------

    async def mine(self, actor: Actor) -> list[BookedSlot]:
        """A person's coming bookings."""
        found = await self.repo.upcoming_of(actor.user_id, self.clock.now())
        return [await self._booked(booking) for booking in found]

    async def of_day(self, actor: Actor, place: int | None, day: date) -> list[BookedSlot]:
        """Everyone's bookings of a day, in the buildings the actor owns."""
        buildings = await self.community.scope(actor, place, Role.OWNER)
        if not buildings:
            raise NotAllowed(N_("Only owners see everyone's bookings."))
        since = local_moment(day, 0, self.tz)
        until = local_moment(day + timedelta(days=1), 0, self.tz)
        found = []
        for rules in await self.repo.bookable_in([b.id for b in buildings]):
            room = await self.room(rules.facility_id)
            for booking in await self.repo.taken(rules.facility_id, since, until):
                found.append(await self._booked(booking, room))
        return found

    def day_of(self, word: str) -> date:
        """The date an owner asks /bookings for."""
        today = local_date(self.clock.now(), self.tz)
        day = parse_day(word, today)
        if day is None:
            raise InvalidInput(N_("Write the date like 2026-12-05."))
        return day

    def when(self, text: str) -> tuple[date, int, str]:
        """ "2026-12-05 16:00 purpose" → date, minute, purpose."""
        today = local_date(self.clock.now(), self.tz)
        words = text.split(maxsplit=2)
        found = parse_when(" ".join(words[:2]), today) if len(words) >= 2 else None
        if found is None:
            raise InvalidInput(BOOK_USAGE)
        return found[0], found[1], words[2] if len(words) > 2 else ""

    async def named_room(self, actor: Actor, name: str) -> Room:
        """One of the person's bookable rooms by name."""
        wanted = " ".join(name.split()).lower()
        for room in await self.rooms_for(actor):
            if room.facility.name.lower() == wanted:
                return room
        raise NotFound(N_("There is no room called «{name}» to book."), name=name)

    def moment(self, day: date, minute: int) -> float:
        """The moment of a local date and time."""
        return local_moment(day, minute, self.tz)

    # --- scheduled work ----------------------------------------------------------------

    async def _remind(self, tx: Transaction, job: Job) -> None:
        """An hour before: remind the resident of an approved booking."""
        booking = await self.repo.booking(int(job.data["booking"]))
        if booking is None or booking.status != "approved":
            return
        booked = await self._booked(booking)
        t = await self.roster.translator_for(booking.user_id)
        await self.outbox.queue_message(
            tx, booking.user_id, views.reminder(t, booked, self.tz, self.config.booking.check_in),
            kind="booking_reminder",
            dedupe_key=job.key,
        )

    # --- lookups -----------------------------------------------------------------------

    async def _booking(self, booking_id: int) -> Booking:
        booking = await self.repo.booking(booking_id)
        if booking is None:
            raise NotFound(N_("There is no such booking."))
        return booking

    async def _booked(self, booking: Booking, room: Room | None = None) -> BookedSlot:
        room = room or await self.room(booking.facility_id)
        people = await self.roster.people_of([booking.user_id])
        return BookedSlot(booking, room, people[0].display_name if people else "")

