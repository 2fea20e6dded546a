"""The demo page's routes on the emulator's server: the page, its files, the community."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from bot.demo.community import BUILDINGS, COMMUNITY_NAME, PEOPLE, Person
from bot.emulator.world import PRESENT_STATUSES, World

if TYPE_CHECKING:
    from bot.demo.stack import DemoStack

STATIC = Path(__file__).parent / "static"
NO_CACHE = {"Cache-Control": "no-cache"}
MAX_PHOTO_BYTES = 10 * 1024 * 1024  # Telegram's limit for a photo
MAX_PHOTOS = 10  # an album holds at most ten
MAX_CAPTION = 1024


class DemoPage:
    """Serves the page (plain files) and what it needs to know about the community."""

    def __init__(self, stack: DemoStack) -> None:
        self.stack = stack
        self._albums = itertools.count(1)

    def routes(self) -> list[web.AbstractRouteDef]:
        """The routes to add to the emulator's server."""
        return [
            web.get("/", self._index),
            web.get("/_demo/community", self._community),
            web.post("/_demo/photo", self._photo),
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
                    "admins": world.commands.get(("all_chat_administrators", ""), []),
                },
                "features": sorted(stack.commands),
                "seeded": report.done if report else [],
                "skipped": report.skipped if report else [],
            },
            headers=NO_CACHE,
        )

    async def _photo(self, request: web.Request) -> web.Response:
        """POST /_demo/photo (multipart: user_id, chat_id, caption?, photo…): the person sends
        the photos to the chat as Telegram would, one album when several; 400 if not sensible."""
        fields, photos = await _photo_form(request)
        try:
            user_id, chat_id = int(fields["user_id"]), int(fields["chat_id"])
        except KeyError as missing:
            return _refuse(f"missing field {missing}")
        except ValueError as error:
            return _refuse(str(error))
        world = self.stack.emulator.world
        caption = fields.get("caption", "").strip()
        refusal = _photo_refusal(world, user_id, chat_id, caption, photos)
        if refusal:
            return _refuse(refusal)
        album = f"demo-album-{next(self._albums)}" if len(photos) > 1 else None
        sent = [
            world.user_sends_photo(
                user_id, chat_id, (caption or None) if index == 0 else None,
                data=data, mime_type=mime, album=album,
            )
            for index, (data, mime) in enumerate(photos)
        ]
        return web.json_response(sent)


async def _photo_form(request: web.Request) -> tuple[dict[str, str], list[tuple[bytes, str]]]:
    """The upload's text fields, and each file of it as (bytes, mime type)."""
    if not request.content_type.startswith("multipart/"):  # a form with no file at all
        return {name: str(value) for name, value in (await request.post()).items()}, []
    fields: dict[str, str] = {}
    photos: list[tuple[bytes, str]] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or not part.name:
            continue
        if part.filename is None:
            fields[part.name] = (await part.text())[: MAX_CAPTION * 4]
            continue
        data = await part.read_chunk(MAX_PHOTO_BYTES + 1)
        while len(data) <= MAX_PHOTO_BYTES and (chunk := await part.read_chunk()):
            data += chunk
        photos.append((data, part.headers.get("Content-Type", "")))
    return fields, photos


def _photo_refusal(
    world: World, user_id: int, chat_id: int, caption: str, photos: list[tuple[bytes, str]]
) -> str:
    """Why the upload cannot be sent as this person to this chat, or "" if it can."""
    if not any(someone.user_id == user_id for someone in PEOPLE):
        return "no such person in the demo"
    chat = world.chats.get(chat_id)
    in_group = chat is not None and chat.status_of(user_id) in PRESENT_STATUSES
    if chat_id != user_id and not in_group:
        return "that person is not in this chat"
    if not photos:
        return "choose a photo"
    if len(photos) > MAX_PHOTOS:
        return f"at most {MAX_PHOTOS} photos at once"
    for data, mime in photos:
        if not mime.startswith("image/"):
            return "only pictures can be sent as a photo"
        if not data:
            return "the photo is empty"
        if len(data) > MAX_PHOTO_BYTES:
            return "the photo is larger than 10 MB"
    if len(caption) > MAX_CAPTION:
        return f"the caption is longer than {MAX_CAPTION} characters"
    return ""


def _refuse(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)


def _person(world: World, someone: Person, language: str) -> dict[str, Any]:
    """One person as the page shows them, with the groups they are in now."""
    groups = [
        chat.chat_id
        for chat in world.chats.values()
        if chat.status_of(someone.user_id) in PRESENT_STATUSES
    ]
    admin_of = [
        chat.chat_id
        for chat in world.chats.values()
        if chat.status_of(someone.user_id) in ("administrator", "creator")
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
        "admin_of": admin_of,
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
