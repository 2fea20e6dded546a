"""People who behave as people do when the network fails: with no answer after a few
seconds they send the command again, or press the button again, and a resident who is not
sure their request went through looks at /myrequests instead of asking twice."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.emulator import SentMessage
from tests.harness import Harness

SOMETHING_WENT_WRONG = "出了点问题"  # the error handler's "please try again"
PATIENCE = 8.0  # seconds a person waits for an answer before trying again
TRIES = 4


@dataclass
class Patient:
    """Acts for everyone in a harness, and keeps count of every second try."""

    harness: Harness
    patience: float = PATIENCE
    tries: int = TRIES
    again: list[str] = field(default_factory=list)  # what had to be done a second time

    async def says(
        self, user: int, chat: int, text: str, *answers: str, reply_to: int | None = None
    ) -> SentMessage:
        """Send until a new message in the chat contains one of ``answers`` (any, if none)."""
        for attempt in range(self.tries):
            found = await self._send_and_wait(user, chat, text, answers, reply_to)
            if found is not None:
                return found
            self.again.append(f"{user} in {chat}: {text[:40]} (try {attempt + 2})")
        raise AssertionError(f"{user} never got an answer to {text!r} in {chat}")

    async def _send_and_wait(
        self, user: int, chat: int, text: str, answers: tuple[str, ...], reply_to: int | None
    ) -> SentMessage | None:
        emu = self.harness.emu
        seen = len(emu.sent(chat))
        emu.user_sends(user, chat, text, reply_to_message_id=reply_to)
        try:
            found = await emu.wait_for(
                lambda: _first_new(emu.sent(chat)[seen:], (*answers, SOMETHING_WENT_WRONG)),
                self.patience,
                what=f"an answer to {text[:30]!r}",
            )
        except AssertionError:
            return None
        return None if SOMETHING_WENT_WRONG in found.text else found

    async def asks_for_help(self, user: int, chat: int, text: str) -> int:
        """/request once; with no answer, look at /myrequests (in private) before asking again.

        Returns the request's number.
        """
        for _attempt in range(self.tries):
            answer = await self._send_and_wait(user, chat, f"/request {text}", ("已登记",), None)
            if answer is not None:
                return _number(answer.text)
            mine = await self.says(user, user, "/myrequests", "求助")
            listed = re.search(r"#(\d+) [^\n]*\n\s+" + re.escape(text[:20]), mine.text)
            self.again.append(f"{user}: /request {text[:20]} (looked at /myrequests)")
            if listed:
                return int(listed.group(1))
        raise AssertionError(f"{user} could not ask for help: {text!r}")

    async def presses(
        self, user: int, chat: int, message_id: int, data: str, *answers: str
    ) -> str:
        """Press until the bot answers the press with one of ``answers`` (any, if none)."""
        emu = self.harness.emu
        for attempt in range(self.tries):
            query = emu.user_presses(user, chat, message_id, data)
            try:
                await emu.wait_for(lambda q=query: q in emu.callback_answers, self.patience,
                                   what=f"an answer to {data}")
            except AssertionError:
                self.again.append(f"{user} pressed {data} (try {attempt + 2})")
                continue
            text = emu.callback_answers[query][0] or ""
            if SOMETHING_WENT_WRONG in text:
                self.again.append(f"{user} pressed {data} after «try again»")
                continue
            assert not answers or any(a in text for a in answers), (data, text)
            return text
        raise AssertionError(f"{user} never got an answer to the button {data}")


def _first_new(messages: list[SentMessage], answers: tuple[str, ...]) -> SentMessage | None:
    for message in messages:
        if not answers or any(answer in message.text for answer in answers):
            return message
    return None


def _number(text: str) -> int:
    match = re.search(r"#(\d+)", text)
    assert match, text
    return int(match.group(1))
