"""Domain errors. Services raise them; one place turns them into replies.

Each carries a translatable message (marked with ``N_``) and the values to fill in,
so the reply is rendered in the language of the chat that asked.
"""

from __future__ import annotations

from typing import Any


class LinliError(Exception):
    """A refusal the user should read, in their language."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class InvalidInput(LinliError):
    """The input is malformed; the message shows the right form."""


class NotAllowed(LinliError):
    """The user has no right to do this; the message says who has."""


class NotFound(LinliError):
    """The thing named does not exist (or is not theirs to see)."""


class Conflict(LinliError):
    """The state moved on: already claimed, already done, sold out."""
