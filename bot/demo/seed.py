"""Seed the demo community by driving the real bot through the emulator, as people would.

Nothing is written to the database directly: the owner adds the bot to each group and
sends /setup, residents join, the owner names the volunteers with /volunteer, and so on.
The parts that need a feature the bot does not have (yet) are skipped and reported.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from telegram.ext import BaseHandler, CommandHandler, ConversationHandler

from bot.demo.community import (
    BUILDINGS,
    CHATTER,
    EVENT_CAPACITY,
    EVENT_PLACE,
    EVENT_TITLE,
    PEOPLE,
    REWARDS,
    STUDY_ROOM,
    STUDY_ROOM_CHECKLIST,
    BuildingPlan,
    Person,
    building,
    owner,
    people_of,
    person,
    volunteers_of,
)
from bot.emulator import BotApiEmulator, SentMessage
from bot.runtime import Runtime

log = logging.getLogger(__name__)

SETTLE_SECONDS = 30.0
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_SHIFT_HOURS = (8, 22)
DAY_SHIFT = "08:00-22:00"
NIGHT_SHIFT = "22:00-08:00"
STUDY_ROOM_CLOSES = "21:30"


@dataclass
class SeedReport:
    """What the seeding did, and what it left out because the bot cannot do it yet."""

    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def registered_commands(runtime: Runtime) -> set[str]:
    """Every command the running bot has a handler for."""
    found: set[str] = set()
    for handlers in runtime.application.handlers.values():
        for handler in handlers:
            found |= _commands_of(handler)
    return found


def _commands_of(handler: BaseHandler[Any, Any, Any]) -> set[str]:
    if isinstance(handler, CommandHandler):
        return set(handler.commands)
    if isinstance(handler, ConversationHandler):
        nested = [*handler.entry_points, *handler.fallbacks]
        nested += [inner for state in handler.states.values() for inner in state]
        return set().union(*(_commands_of(inner) for inner in nested))
    return set()


class Seeder:
    """Sets up the sample community step by step, waiting for the bot after each step."""

    def __init__(self, emulator: BotApiEmulator, runtime: Runtime, language: str) -> None:
        self.emulator = emulator
        self.runtime = runtime
        self.language = language
        self.commands = registered_commands(runtime)
        self.report = SeedReport()

    async def run(self) -> SeedReport:
        """Seed everything; returns the report."""
        self._add_people()
        await self._everyone_starts()
        for plan in BUILDINGS:
            await self._set_up_building(plan)
        if self._has("roster", "a weekly roster with someone on duty now"):
            await self._roster()
        if self._has("facility", "the study room with its closing time and checklist"):
            await self._study_room()
        if self._has("reward", "rewards from local shops"):
            await self._rewards()
        if self._has("event", "an upcoming event"):
            await self._event()
        return self.report

    def name(self, someone: Person) -> str:
        """A person's name in the demo's language."""
        return someone.name(self.language)

    def local_now(self) -> datetime:
        """The bot's time, in the community's time zone."""
        return datetime.fromtimestamp(self.runtime.clock.now(), self.runtime.settings.community.tz)

    # --- people and groups ---------------------------------------------------------------

    def _add_people(self) -> None:
        for someone in PEOPLE:
            self.emulator.add_user(
                someone.user_id,
                self.name(someone),
                username=someone.username,
                language_code=self.language,
            )

    async def _everyone_starts(self) -> None:
        """Everyone opens the private chat with the bot and presses Start."""
        for someone in PEOPLE:
            self.emulator.user_sends(someone.user_id, someone.user_id, "/start")
        await self.settle()
        self.report.done.append(f"{len(PEOPLE)} people started the bot")

    async def _set_up_building(self, plan: BuildingPlan) -> None:
        """The owner adds the bot and registers the group; neighbours join; volunteers named."""
        boss = owner()
        self.emulator.add_group(
            plan.chat_id,
            plan.title(self.language),
            supergroup=True,
            creator=boss.user_id,
            bot_member=False,
        )
        self.emulator.bot_added(plan.chat_id, boss.user_id, as_admin=True)
        await self.settle()
        await self.say(boss, plan.chat_id, f"/setup {plan.name(self.language)}")
        for someone in people_of(plan.key):
            if someone.user_id != boss.user_id:
                self.emulator.user_joins(someone.user_id, plan.chat_id)
        await self.settle()
        for line in CHATTER.get(plan.key, ()):
            await self.say(person(line.username), plan.chat_id, line.text(self.language))
        for volunteer in volunteers_of(plan.key):
            skills = " ".join(volunteer.skills)
            await self.say(boss, plan.chat_id, f"/volunteer @{volunteer.username} {skills}")
        self.report.done.append(f"{plan.name(self.language)}: set up, neighbours and volunteers")

    # --- the features other parts of the bot bring ----------------------------------------

    async def _roster(self) -> None:
        """A week of day shifts taken in turns, with the first volunteer on duty right now.

        The owner edits it in private, as owners do. If the demo starts at night, a night
        shift makes sure someone is on duty now.
        """
        now = self.local_now()
        for plan in BUILDINGS:
            first, second = volunteers_of(plan.key)[:2]
            for weekday, day in enumerate(WEEKDAYS):
                turn = first if (weekday - now.weekday()) % 2 == 0 else second
                await self._roster_line(plan, f"add {day} {DAY_SHIFT} @{turn.username}")
            if not DAY_SHIFT_HOURS[0] <= now.hour < DAY_SHIFT_HOURS[1]:
                night = now if now.hour >= DAY_SHIFT_HOURS[1] else now - timedelta(days=1)
                shift = f"{WEEKDAYS[night.weekday()]} {NIGHT_SHIFT}"
                await self._roster_line(plan, f"add {shift} @{first.username}")
        self.report.done.append("roster: a week of shifts, someone on duty now in each building")

    async def _roster_line(self, plan: BuildingPlan, order: str) -> None:
        boss = owner()
        await self.say(boss, boss.user_id, f"/roster {plan.name(self.language)} {order}")

    async def _study_room(self) -> None:
        """The study room of building 3, closing at half past nine, with its checklist."""
        boss, plan = owner(), BUILDINGS[0]
        checklist = ", ".join(item(self.language) for item in STUDY_ROOM_CHECKLIST)
        await self.say(
            boss,
            boss.user_id,
            f"/facility {plan.name(self.language)} add {STUDY_ROOM(self.language)} | "
            f"{STUDY_ROOM_CLOSES} | {checklist}",
        )
        self.report.done.append("facility: the study room of building 3")

    async def _rewards(self) -> None:
        """A few rewards that local shops donate, added by the owner in each group."""
        for key, title, shop, cost, stock in REWARDS:
            text = f"/reward add {title(self.language)} | {shop(self.language)} | {cost} | {stock}"
            await self.say(owner(), building(key).chat_id, text)
        self.report.done.append(f"rewards: {len(REWARDS)} from local shops")

    async def _event(self) -> None:
        """A health check in three days' time, posted in building 3's group."""
        when = self.local_now() + timedelta(days=3)
        text = (
            f"/event {when:%Y-%m-%d} 09:00 | {EVENT_TITLE(self.language)} | "
            f"{EVENT_PLACE(self.language)} | {EVENT_CAPACITY}"
        )
        await self.say(owner(), BUILDINGS[0].chat_id, text)
        self.report.done.append("event: a health check in three days")

    def _has(self, command: str, what: str) -> bool:
        """Whether the bot has the command; if not, the part is skipped and reported."""
        if command in self.commands:
            return True
        self.report.skipped.append(f"{what}: the bot has no /{command} yet")
        return False

    # --- driving the bot -----------------------------------------------------------------

    async def say(self, someone: Person, chat_id: int, text: str) -> list[SentMessage]:
        """A person writes; returns what the bot then sent to that chat."""
        before = len(self.emulator.sent(chat_id))
        self.emulator.user_sends(someone.user_id, chat_id, text)
        await self.settle()
        answers = self.emulator.sent(chat_id)[before:]
        for answer in answers:
            first_line = (answer.text.splitlines() or [""])[0]
            log.info("seed: %s -> %s", text.split()[0], first_line[:80])
        return answers

    async def settle(self) -> None:
        """Wait until the bot has taken every update and sent everything it owes."""
        await self.emulator.wait_for(
            lambda: self.emulator.pending_updates() == 0,
            SETTLE_SECONDS,
            what="the bot to fetch every update",
        )
        await self.runtime.idle(SETTLE_SECONDS)


async def seed(emulator: BotApiEmulator, runtime: Runtime, language: str) -> SeedReport:
    """Seed the demo community into a freshly started bot."""
    return await Seeder(emulator, runtime, language).run()
