"""Live cards: a message that stays current wherever it was delivered.

A request card in each volunteer's chat, a notice with its count in each group, an
event's sign-up list, a redemption in each owner's chat: each is a card. A feature
registers one render function for each kind of card, ``render(tx, ref, chat_id)``, that
returns the card as that chat should see it now. It sends copies with ``send`` and,
whenever the card's subject changes, calls ``touch``. Every delivered copy is then
edited from the same render function, only when what it shows changed, and batched to
stay under Telegram's edit limits when the kind asks for it. A copy still on its way
when the card changed is edited as soon as it is delivered (the catch-up on settle).

Copies are rows (``cards``), written in the caller's transaction with the outbox row
that sends them, so a restart loses none and a replay adds none.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.clock import Clock
from bot.domain.core import CardCopy, Job
from bot.outbox import ORDINARY, Delivery, Outbox, SettledHook
from bot.scheduler import JobHandler, Scheduler
from bot.views.common import OutMessage
from storage.cards import CardRepository
from storage.db import Database, Transaction

log = logging.getLogger(__name__)

REFRESH_JOB = "card_refresh"
LATE_OK = 7 * 86400  # a batched refresh found late still runs: it only shows the present

# The card ``ref`` as chat ``chat_id`` should see it now; None leaves that copy as it is.
Render = Callable[[Transaction, str, int], Awaitable[OutMessage | None]]


@dataclass(frozen=True)
class CardKind:
    """How one kind of card is drawn, sent and kept current."""

    name: str
    render: Render
    send_kind: str  # the outbox kind of the rows that send copies
    edit_kind: str  # and of the rows that edit them
    batch_seconds: float = 0.0  # 0: edit in the same transaction as the change
    leading: bool = False  # batched: the first change after a quiet window shows at once


class LiveCards:
    """Send cards by reference and keep every copy current."""

    def __init__(self, db: Database, clock: Clock, outbox: Outbox, scheduler: Scheduler) -> None:
        self.db = db
        self.clock = clock
        self.outbox = outbox
        self.scheduler = scheduler
        self.repo = CardRepository(db)
        self._kinds: dict[str, CardKind] = {}

    def register(
        self,
        name: str,
        render: Render,
        *,
        send_kind: str,
        edit_kind: str,
        batch_seconds: float = 0.0,
        leading: bool = False,
    ) -> None:
        """Say how cards of ``name`` are drawn; their sends and edits use these outbox kinds.

        ``leading``: a batched kind shows the first change after a quiet window at the next
        scheduler tick, and gathers the changes that follow into one edit per window.
        """
        self._kinds[name] = CardKind(name, render, send_kind, edit_kind, batch_seconds, leading)

    def jobs(self) -> dict[str, JobHandler]:
        """The job kind of batched refreshes."""
        return {REFRESH_JOB: self._refresh_job}

    def settled_hooks(self) -> dict[str, SettledHook]:
        """The outbox hooks that learn where each copy arrived (one per sending kind)."""
        return {kind.send_kind: self._settled for kind in self._kinds.values()}

    async def send(
        self,
        tx: Transaction,
        name: str,
        ref: str,
        chat_id: int,
        message: OutMessage | None = None,
        *,
        outbox_ref: str | None = None,
        reply_to: int | None = None,
        dedupe_key: str | None = None,
        batch: str | None = None,
        priority: int = ORDINARY,
    ) -> int | None:
        """Queue a copy of the card for a chat (drawn now unless ``message`` is given);
        returns the outbox row, or None if that chat has this card already."""
        kind = self._kinds[name]
        if message is None:
            message = await kind.render(tx, ref, chat_id)
            if message is None:
                return None
        row_id = await self.outbox.queue_message(
            tx,
            chat_id,
            message,
            reply_to=reply_to,
            kind=kind.send_kind,
            ref=outbox_ref or f"{name}:{ref}",
            dedupe_key=dedupe_key,
            batch=batch,
            priority=priority,
        )
        if row_id is None:
            return None
        added = await self.repo.add(
            tx, name, ref, chat_id, row_id, message.digest(), self.clock.now()
        )
        return row_id if added else None

    async def copies(self, name: str, ref: str) -> list[CardCopy]:
        """Where a card was sent."""
        return await self.repo.copies(self.db, name, ref)

    async def ref_at(self, name: str, chat_id: int, message_id: int) -> str | None:
        """The ref of the card of kind ``name`` that message ``message_id`` of a chat shows."""
        copy = await self.repo.at_message(name, chat_id, message_id)
        return None if copy is None else copy.ref

    async def touch(self, tx: Transaction, name: str, ref: str) -> None:
        """The card's subject changed: every copy will show it (now, or batched)."""
        kind = self._kinds[name]
        await self.repo.mark_dirty(tx, name, ref)
        if kind.batch_seconds <= 0:
            await self.refresh(tx, name, ref)
            return
        window, now = kind.batch_seconds, self.clock.now()
        slot = math.floor(now / window)  # the job of slot k edits at the end of window k
        due = (slot + 1) * window
        shown_now = _refresh_key(kind, ref, slot - 1)  # the edit made in this window, if any
        if kind.leading and await self.scheduler.repo.get(shown_now) is None:
            slot, due = slot - 1, now  # nothing was shown in this window yet
        await self.scheduler.schedule(
            tx,
            REFRESH_JOB,
            _refresh_key(kind, ref, slot),
            due,
            {"name": name, "ref": ref},
            grace_seconds=LATE_OK,
        )

    async def refresh(self, tx: Transaction, name: str, ref: str) -> int:
        """Edit every delivered copy whose picture changed; returns how many edits."""
        edits = 0
        for copy in await self.repo.copies(tx, name, ref):
            edits += await self._refresh_copy(tx, self._kinds[name], copy)
        return edits

    async def arrived(
        self, tx: Transaction, name: str, ref: str, chat_id: int, message_id: int
    ) -> None:
        """The copy in ``chat_id`` is known to be message ``message_id`` (a feature that reads
        its own deliveries may learn it before, or without, the outbox hook)."""
        for copy in await self.repo.copies(tx, name, ref):
            if copy.chat_id == chat_id and copy.message_id is None:
                await self.repo.delivered(tx, copy.id, message_id)

    async def forget(self, tx: Transaction, name: str, ref: str) -> None:
        """Stop keeping the card current."""
        await self.repo.forget(tx, name, ref)

    async def _refresh_copy(self, tx: Transaction, kind: CardKind, copy: CardCopy) -> int:
        if copy.message_id is None:
            return 0
        message = await kind.render(tx, copy.ref, copy.chat_id)
        if message is None:
            return 0
        digest = message.digest()
        if digest == copy.shown:
            return 0
        await self.outbox.queue_edit(
            tx,
            copy.chat_id,
            copy.message_id,
            message,
            kind=kind.edit_kind,
            ref=f"{kind.name}:{copy.ref}",
        )
        await self.repo.showing(tx, copy.id, digest)
        return 1

    async def _refresh_job(self, tx: Transaction, job: Job) -> None:
        name, ref = str(job.data["name"]), str(job.data["ref"])
        if name in self._kinds:
            await self.refresh(tx, name, ref)

    async def _settled(self, tx: Transaction, delivery: Delivery) -> None:
        """Outbox hook, in the transaction that marks the row: remember where a copy arrived,
        and catch up if the card changed meanwhile."""
        copy = await self.repo.by_outbox(tx, delivery.row.id)
        if copy is None:
            return
        message_id = delivery.message_id if delivery.ok else None
        await self.repo.delivered(tx, copy.id, message_id)
        kind = self._kinds.get(copy.kind)
        if kind is not None and message_id is not None and copy.dirty:
            arrived = copy.model_copy(update={"message_id": message_id})
            await self._refresh_copy(tx, kind, arrived)


def _refresh_key(kind: CardKind, ref: str, slot: int) -> str:
    """The job that edits a batched card's copies for one window."""
    return f"card {kind.name} {ref} {kind.batch_seconds:g}/{slot}"
