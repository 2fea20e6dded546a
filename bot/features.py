"""The typed description each feature module exports, and what its services wire in.

``handlers/<feature>.py`` ends with ``DESCRIPTION = Feature(...)``; ``bot.app`` adds every
feature's handlers, menu, prompt answers, jobs and outbox hooks in one loop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import BaseHandler

from bot.commands import MenuCommand
from bot.domain.core import Prompt
from bot.outbox import FileSource, SettledHook
from bot.scheduler import JobHandler
from bot.services.prompts import ExpiryHandler

if TYPE_CHECKING:
    from bot.context import LinliContext, Services

# Answers a stored prompt of the feature: the person's next message in that chat.
PromptAnswer = Callable[[Update, "LinliContext", Prompt], Awaitable[None]]
Handlers = list[BaseHandler[Update, Any, None]]


@dataclass(frozen=True)
class Wiring:
    """What a feature's services give the running bot: job kinds, outbox hooks, files."""

    jobs: Mapping[str, JobHandler] = field(default_factory=dict)
    missed: Mapping[str, JobHandler] = field(default_factory=dict)  # job kind → on missed
    settled: Mapping[str, SettledHook] = field(default_factory=dict)  # outbox kind → hook
    files: Mapping[str, FileSource] = field(default_factory=dict)  # file ref prefix → source
    expiry: Mapping[str, ExpiryHandler] = field(default_factory=dict)  # prompt.feature → handler
    on_start: Callable[[], Awaitable[None]] | None = None  # work at every start


def no_wiring(_services: Services) -> Wiring:
    """A feature whose services need nothing from the running bot."""
    return Wiring()


@dataclass(frozen=True)
class Feature:
    """One feature: its Telegram handlers, its commands for the menus, the prompts it
    answers, and what its services wire into the scheduler and the outbox."""

    name: str
    handlers: Callable[[], Handlers]
    menu: Sequence[MenuCommand] = ()
    prompts: Mapping[str, PromptAnswer] = field(default_factory=dict)  # prompt.feature → answer
    wire: Callable[[Services], Wiring] = no_wiring
