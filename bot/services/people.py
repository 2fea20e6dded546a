"""Who the bot has seen, and in which chats; the language of each chat and person."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.config import known_language
from bot.errors import InvalidInput
from bot.i18n import N_, Translator, language_of_person, translator
from storage.chats import ChatRepository
from storage.db import Database
from storage.health import HealthRepository
from storage.users import UserRepository


@dataclass(frozen=True)
class Person:
    """A Telegram user as the bot met them."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


@dataclass(frozen=True)
class Place:
    """A chat as the bot met it."""

    id: int
    type: str
    title: str | None = None


class People:
    """Records users and chats as they appear, without a write when nothing changed."""

    def __init__(self, db: Database, clock: Clock, default_language: str = "zh") -> None:
        self.db = db
        self.clock = clock
        self.default_language = default_language
        self.users = UserRepository(db)
        self.chats = ChatRepository(db)
        self.health = HealthRepository(db)
        self._known_people: dict[int, Person] = {}
        self._known_places: dict[int, Place] = {}
        self._languages: dict[int, str | None] = {}
        self._forgotten: set[int] | None = None  # /forgetme: loaded on first use

    async def seen(self, person: Person | None, place: Place | None) -> None:
        """Remember the user and the chat of an update."""
        new_person = person is not None and self._known_people.get(person.id) != person
        new_place = place is not None and self._known_places.get(place.id) != place
        if not (new_person or new_place):
            return
        now = self.clock.now()
        async with self.db.transaction() as tx:
            if person is not None and new_person:
                await self.users.upsert(
                    tx,
                    person.id,
                    person.first_name,
                    person.last_name,
                    person.username,
                    person.language_code,
                    now,
                )
            if place is not None and new_place:
                await self.chats.upsert(tx, place.id, place.type, place.title, now)
        if person is not None:
            self._known_people[person.id] = person
            if new_person:  # their Telegram language may have changed
                self._languages.pop(person.id, None)
        if place is not None:
            self._known_places[place.id] = place

    async def started(self, user_id: int) -> None:
        """The user pressed Start: the bot may write to them in private from now on."""
        async with self.db.transaction() as tx:
            await self.users.set_started(tx, user_id, True, self.clock.now())
        self._known_people.pop(user_id, None)  # after /forgetme: the names are stored again
        if self._forgotten is not None:
            self._forgotten.discard(user_id)

    async def language_of(self, chat_id: int) -> str | None:
        """The chat's own language, or None for the community default.

        A private chat (a positive id, the person's own) that was never given one with
        /lang speaks the language the person's Telegram app is set to, when we have it.
        """
        if chat_id not in self._languages:
            chat = await self.chats.get(chat_id)
            language = chat.language if chat else None
            if language is None and chat_id > 0:
                user = await self.users.get(chat_id)
                language = language_of_person(user.language_code) if user else None
            self._languages[chat_id] = language
        return self._languages[chat_id]

    async def translator_for(self, chat_id: int) -> Translator:
        """The translator of a chat, or of a person for what is sent to them in private:
        its own language, else the community's."""
        return translator(await self.language_of(chat_id) or self.default_language)

    async def set_language(self, chat_id: int, word: str) -> str:
        """Set a chat's language (in private: the person's); returns it as stored."""
        language = known_language(word)
        if language is None:
            raise InvalidInput(N_("Unknown language. Write /lang zh or /lang en."))
        async with self.db.transaction() as tx:
            await self.chats.set_language(tx, chat_id, language, self.clock.now())
        self._languages[chat_id] = language
        return language

    async def bot_rights_changed(self, chat_id: int, rights: str | None) -> None:
        """Remember what the bot may do in a chat (for `linli status`), as Telegram told it."""
        async with self.db.transaction() as tx:
            await self.health.set_bot_rights(tx, chat_id, rights, self.clock.now())

    def forget_person(self, user_id: int) -> None:
        """Drop cached facts about a person (after /forgetme: their names, their language)."""
        self._known_people.pop(user_id, None)
        self.forget_chat(user_id)
        if self._forgotten is not None:
            self._forgotten.add(user_id)

    async def is_forgotten(self, user_id: int) -> bool:
        """Whether the person asked the bot to forget them (and has not pressed Start since)."""
        if self._forgotten is None:
            self._forgotten = set(await self.users.forgotten_ids())
        return user_id in self._forgotten

    def forget_chat(self, chat_id: int) -> None:
        """Drop cached facts about a chat (after a migration)."""
        self._known_places.pop(chat_id, None)
        self._languages.pop(chat_id, None)
