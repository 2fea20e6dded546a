"""The demo page's routes on the emulator's server: the page, its files, the community."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.demo.community import BUILDINGS, COMMUNITY_NAME, PEOPLE, Person
from bot.emulator.world import PRESENT_STATUSES, World

if TYPE_CHECKING:
    from bot.demo.stack import DemoStack

STATIC = Path(__file__).parent / "static"
NO_CACHE = {"Cache-Control": "no-cache"}


class DemoPage:
    """Serves the page (plain files) and what it needs to know about the community."""

    def __init__(self, stack: DemoStack) -> None:
        self.stack = stack

    def routes(self) -> list[web.AbstractRouteDef]:
        """The routes to add to the emulator's server."""
        return [
            web.get("/", self._index),
            web.get("/_demo/community", self._community),
            web.static("/static", STATIC),
        ]

    async def _index(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html", headers=NO_CACHE)

    async def _community(self, request: web.Request) -> web.Response:
        """GET /_demo/community: the people to act as, their chats, and the bot's commands."""
        stack = self.stack
        world = stack.emulator.world
        language = stack.language
        report = stack.report
        return web.json_response(
            {
                "ready": stack.ready,
                "language": language,
                "community": COMMUNITY_NAME(language),
                "bot": world.bot.to_json(),
                "people": [_person(world, someone, language) for someone in PEOPLE],
                "groups": _groups(world, language),
                "commands": {
                    "private": world.commands.get(("all_private_chats", ""), []),
                    "group": world.commands.get(("all_group_chats", ""), []),
                },
                "features": sorted(stack.commands),
                "seeded": report.done if report else [],
                "skipped": report.skipped if report else [],
            },
            headers=NO_CACHE,
        )


def _person(world: World, someone: Person, language: str) -> dict[str, Any]:
    """One person as the page shows them, with the groups they are in now."""
    groups = [
        chat.chat_id
        for chat in world.chats.values()
        if chat.status_of(someone.user_id) in PRESENT_STATUSES
    ]
    return {
        "user_id": someone.user_id,
        "name": someone.name(language),
        "username": someone.username,
        "role": someone.role,
        "about": someone.about(language),
        "skills": list(someone.skills),
        "featured": someone.featured,
        "groups": groups,
    }


def _groups(world: World, language: str) -> list[dict[str, Any]]:
    """The building groups that exist so far."""
    return [
        {
            "chat_id": plan.chat_id,
            "key": plan.key,
            "title": plan.title(language),
            "building": plan.name(language),
        }
        for plan in BUILDINGS
        if plan.chat_id in world.chats
    ]
