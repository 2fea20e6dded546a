"""A community of many buildings, written straight through the repositories (fast), and
the same people and groups in the emulator."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.emulator import BotApiEmulator
from storage.buildings import BuildingRepository
from storage.chats import ChatRepository
from storage.db import Database
from storage.migrate import migrate
from storage.users import UserRepository


@dataclass
class Building:
    """One building group of the benchmark community."""

    number: int
    chat_id: int
    owner: int
    volunteers: list[int]
    residents: list[int]


@dataclass
class Community:
    """Everyone in the benchmark community."""

    buildings: list[Building] = field(default_factory=list)


def plan(buildings: int, volunteers: int, residents: int) -> Community:
    """User and chat ids for ``buildings`` buildings."""
    community = Community()
    for n in range(buildings):
        base = 1_000_000 + n * 1000
        community.buildings.append(
            Building(
                number=n + 1,
                chat_id=-1_001_000_000_000 - n,
                owner=base,
                volunteers=[base + 1 + v for v in range(volunteers)],
                residents=[base + 100 + r for r in range(residents)],
            )
        )
    return community


async def write_database(path: str, community: Community, now: float) -> None:
    """The buildings, their people and roles, through the repositories."""
    db = await Database.open(path)
    await migrate(db)
    users, chats, buildings = UserRepository(db), ChatRepository(db), BuildingRepository(db)
    async with db.transaction() as tx:
        for place in community.buildings:
            await chats.upsert(tx, place.chat_id, "supergroup", f"{place.number}号楼", now)
            building, _created = await buildings.register(
                tx, place.chat_id, f"{place.number}号楼", place.owner, now
            )
            for person in (place.owner, *place.volunteers, *place.residents):
                await users.upsert(tx, person, f"U{person}", None, f"u{person}", "zh", now)
                await users.set_started(tx, person, True, now)
                await chats.upsert(tx, person, "private", None, now)
            for person in place.residents:
                await buildings.add_resident(tx, building.id, person, now)
            for person in place.volunteers:
                await buildings.set_volunteer(tx, building.id, person, ["repair"], now)
    for place in community.buildings:
        await buildings.store_admins(place.chat_id, [place.owner], now + 10 * 365 * 86400)
    await db.close()


def populate_emulator(emulator: BotApiEmulator, community: Community) -> None:
    """The same people and groups on the Telegram side."""
    for place in community.buildings:
        for person in (place.owner, *place.volunteers, *place.residents):
            emulator.add_user(person, f"U{person}", username=f"u{person}", started=True)
        emulator.add_group(
            place.chat_id,
            f"{place.number}号楼",
            supergroup=True,
            members=[*place.volunteers, *place.residents],
            admins=[place.owner],
            creator=place.owner,
            bot_admin=True,
        )
