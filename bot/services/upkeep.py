"""The bot's own troubles that the community admins hear of: a disk that was full."""

from __future__ import annotations

import math

from bot.clock import Clock
from bot.config import Settings
from bot.outbox import Outbox
from bot.services.people import People
from storage.db import Database
from storage.users import UserRepository

DISK_KIND = "disk_recovered"


class Upkeep:
    """Tells the community admins about the bot's own health."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        config: Settings,
        outbox: Outbox,
        people: People,
        users: UserRepository,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.outbox = outbox
        self.people = people
        self.users = users

    async def disk_recovered(self, seconds: float) -> None:
        """Tell each community admin (but those who blocked the bot) that the disk was full
        and is no more; retried with the database's backoff should it fill up again."""
        await self.db.space.retry(lambda: self._queue_recovered(seconds))

    async def _queue_recovered(self, seconds: float) -> None:
        minutes = max(1, math.ceil(seconds / 60))
        now = self.clock.now()
        async with self.db.transaction() as tx:
            for admin_id in self.config.community.admins:
                admin = await self.users.get(admin_id)
                if admin is not None and admin.blocked:
                    continue
                t = await self.people.translator_for(admin_id)
                text = t(
                    "The disk of my server was full for about {minutes} min: I could not save "
                    "anything meanwhile, and commands sent then may have failed. There is "
                    "space again and I work normally. Please keep enough free space on it.",
                    minutes=minutes,
                )
                key = f"disk recovered {now} {admin_id}"
                await self.outbox.queue(tx, admin_id, text, kind=DISK_KIND, dedupe_key=key)
