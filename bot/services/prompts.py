"""Stored prompts: "the next message answers a question", one mechanism for every feature.

A feature asks (``Prompts.ask``) in the transaction that sends its question; the prompt is
a row (chat, user, feature, step, payload, expires_at), so it survives a restart. The
dispatcher (``handlers.prompts``) hands the person's next message in that chat to the
feature that asked, which answers it, asks its next step, or closes it. A command typed
instead of an answer runs as a command and leaves the prompt as it is. At its time a
prompt expires: the feature's expiry handler (or a plain "I stopped waiting") tells the
person, once.

Handler filters are synchronous and cannot read the database, so the dispatcher asks an
in-memory mirror of who is being waited on. Until it is loaded the mirror says yes to
everyone; it may wrongly say yes (the dispatcher then finds no prompt and does nothing),
never wrongly no.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.clock import Clock
from bot.domain.core import Job, Prompt
from bot.i18n import N_, Translator
from bot.outbox import Outbox
from bot.scheduler import Scheduler
from storage.db import Database, Transaction
from storage.prompts import PromptRepository

log = logging.getLogger(__name__)

EXPIRE_JOB = "prompt_expire"
EXPIRED_KIND = "prompt_expired"

# Runs in the expiry job's transaction when a feature's prompt runs out; it may queue
# its own message and returns True if it did (else the plain text below is sent).
ExpiryHandler = Callable[[Transaction, Prompt], Awaitable[bool]]
TranslatorFor = Callable[[int], Awaitable[Translator]]

STOPPED_WAITING = N_(
    "I stopped waiting for your answer. When you are ready, start again with the command."
)


class Prompts:
    """Ask, answer and expire the questions the bot is waiting on."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        outbox: Outbox,
        scheduler: Scheduler,
        translator_for: TranslatorFor,
    ) -> None:
        self.db = db
        self.clock = clock
        self.outbox = outbox
        self.scheduler = scheduler
        self.translator_for = translator_for
        self.repo = PromptRepository(db)
        self._expiry: dict[str, ExpiryHandler] = {}
        self._waiting: dict[tuple[int, int], float] = {}
        self.loaded = False

    def jobs(self) -> dict[str, Callable[[Transaction, Job], Awaitable[None]]]:
        """The job kinds of prompts."""
        return {EXPIRE_JOB: self._expire}

    def on_expire(self, feature: str, handler: ExpiryHandler) -> None:
        """Say what a feature tells the person when its prompt runs out."""
        self._expiry[feature] = handler

    async def load(self) -> None:
        """Fill the mirror from the database (keeping what was recorded meanwhile)."""
        for chat_id, user_id, expires_at in await self.repo.waiting(self.clock.now()):
            self._waiting.setdefault((chat_id, user_id), expires_at)
        self.loaded = True

    def may_answer(self, chat_id: int, user_id: int) -> bool:
        """Whether this person's message in this chat may answer a prompt."""
        if not self.loaded:
            return True
        expires_at = self._waiting.get((chat_id, user_id))
        return expires_at is not None and expires_at > self.clock.now()

    async def ask(
        self,
        tx: Transaction,
        chat_id: int,
        user_id: int,
        feature: str,
        step: str,
        payload: dict[str, Any] | None = None,
        *,
        ttl_seconds: float,
        answered_message: int | None = None,
    ) -> Prompt:
        """Wait for the person's next message in the chat (replacing any earlier prompt).

        ``answered_message`` is the message that answered the previous step, if this is a
        next step: the same message handled again is then not taken as this step's answer.
        """
        now = self.clock.now()
        expires_at = now + ttl_seconds
        earlier = await self.repo.get(tx, chat_id, user_id)
        if earlier is not None:
            await self.scheduler.cancel(tx, expiry_key(earlier))
        prompt = await self.repo.put(
            tx, chat_id, user_id, feature, step, payload or {}, now, expires_at, answered_message
        )
        await self.scheduler.schedule(
            tx,
            EXPIRE_JOB,
            expiry_key(prompt),
            expires_at,
            {"prompt": prompt.id},
        )
        tx.after_commit(lambda: self._waiting.__setitem__((chat_id, user_id), expires_at))
        return prompt

    async def ask_unless_waiting(
        self,
        tx: Transaction,
        chat_id: int,
        user_id: int,
        feature: str,
        step: str,
        payload: dict[str, Any],
        *,
        ttl_seconds: float,
    ) -> Prompt:
        """Ask, unless the very same question is waiting already: a button that asks,
        pressed again or handled again after a crash, leaves the prompt as it is."""
        waiting = await self.current(chat_id, user_id, tx)
        if waiting is not None and (waiting.feature, waiting.step, waiting.payload) == (
            feature, step, payload
        ):
            return waiting
        return await self.ask(tx, chat_id, user_id, feature, step, payload,
                              ttl_seconds=ttl_seconds)

    async def current(
        self, chat_id: int, user_id: int, tx: Transaction | None = None
    ) -> Prompt | None:
        """The person's prompt in the chat, if it has not expired."""
        prompt = await self.repo.get(tx or self.db, chat_id, user_id)
        if prompt is None or prompt.expires_at <= self.clock.now():
            return None
        return prompt

    async def close(self, tx: Transaction, chat_id: int, user_id: int, feature: str) -> bool:
        """The feature has its answer (or gave up): stop waiting. False if it had no prompt."""
        prompt = await self.repo.get(tx, chat_id, user_id)
        if prompt is None or prompt.feature != feature:
            return False
        await self.repo.delete(tx, prompt.id)
        await self.scheduler.cancel(tx, expiry_key(prompt))
        tx.after_commit(lambda: self._forget(chat_id, user_id, prompt.expires_at))
        return True

    def _forget(self, chat_id: int, user_id: int, expires_at: float) -> None:
        """Drop the mirror's entry, unless it is of a prompt asked since."""
        if self._waiting.get((chat_id, user_id)) == expires_at:
            del self._waiting[(chat_id, user_id)]

    async def _expire(self, tx: Transaction, job: Job) -> None:
        """Job: the prompt ran out; tell the person, once, unless it was answered or replaced."""
        prompt = await self.repo.by_id(tx, int(job.data["prompt"]))
        if prompt is None:
            return
        await self.repo.delete(tx, prompt.id)
        tx.after_commit(lambda: self._forget(prompt.chat_id, prompt.user_id, prompt.expires_at))
        handler = self._expiry.get(prompt.feature)
        if handler is not None and await handler(tx, prompt):
            return
        t = await self.translator_for(prompt.chat_id)
        await self.outbox.queue(
            tx, prompt.chat_id, t(STOPPED_WAITING), kind=EXPIRED_KIND, dedupe_key=job.key
        )


def expiry_key(prompt: Prompt) -> str:
    """The key of the job that ends a prompt."""
    return f"prompt {prompt.id}"
