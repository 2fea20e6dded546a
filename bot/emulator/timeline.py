"""A chat as its members see it: the users' and the bot's messages in one ordered timeline.

The demo page shows both sides of a conversation; tests read the bot's side through
``World.sent``. Message ids in a chat are shared by users and the bot, so ordering by id is
the order in which the messages appeared.
"""

from __future__ import annotations

from bot.emulator.world import JSON, SentMessage, World

SERVICE_FIELDS = {
    "new_chat_members": "joined",
    "left_chat_member": "left",
    "migrate_to_chat_id": "migrated",
    "migrate_from_chat_id": "migrated",
}


def timeline(world: World, chat_id: int) -> list[JSON]:
    """Every message of a chat that still exists, oldest first, each as it is now."""
    entries = [
        user_entry(message)
        for (chat, _message_id), message in world.user_messages.items()
        if chat == chat_id
    ]
    entries += [
        bot_entry(world, sent) for sent in world.sent_messages.get(chat_id, []) if not sent.deleted
    ]
    return sorted(entries, key=lambda entry: int(entry["message_id"]))


def revisions(world: World) -> dict[int, str]:
    """A token for each chat that changes when a message there appears, changes or goes."""
    newest: dict[int, int] = {}
    user_counts: dict[int, int] = {}
    for chat_id, message_id in world.user_messages:
        newest[chat_id] = max(newest.get(chat_id, 0), message_id)
        user_counts[chat_id] = user_counts.get(chat_id, 0) + 1
    tokens: dict[int, str] = {}
    for chat_id in newest.keys() | world.sent_messages.keys():
        sent = world.sent_messages.get(chat_id, [])
        changes = sum(message.edits + message.deleted + message.pinned for message in sent)
        last = max([newest.get(chat_id, 0), *(message.message_id for message in sent)])
        tokens[chat_id] = f"{last}.{user_counts.get(chat_id, 0)}.{len(sent)}.{changes}"
    return tokens


def user_entry(message: JSON) -> JSON:
    """A user's message (or a service message) as a timeline entry."""
    service = _service(message)
    return {
        "message_id": message["message_id"],
        "chat_id": message["chat"]["id"],
        "date": message.get("date", 0),
        "from": message.get("from", {}),
        "kind": "service" if service else ("photo" if "photo" in message else "text"),
        "text": str(message.get("text") or message.get("caption") or ""),
        "entities": message.get("entities") or message.get("caption_entities") or [],
        "buttons": [],
        "reply_to_message_id": (message.get("reply_to_message") or {}).get("message_id"),
        "edits": 0,
        "pinned": False,
        "service": service,
        "file_id": message["photo"][-1]["file_id"] if "photo" in message else None,
    }


def bot_entry(world: World, sent: SentMessage) -> JSON:
    """A message the bot sent, with its current text, entities and inline buttons."""
    return {
        "message_id": sent.message_id,
        "chat_id": sent.chat_id,
        "date": sent.date,
        "from": world.bot.to_json(),
        "kind": sent.kind,
        "text": sent.text,
        "entities": sent.entities,
        "buttons": sent.button_rows,
        "reply_to_message_id": sent.reply_to_message_id,
        "edits": sent.edits,
        "pinned": sent.pinned,
        "service": None,
        "file_id": sent.file_id,
        "file_name": sent.file_name,
    }


def _service(message: JSON) -> JSON | None:
    """What a service message says: who joined or left, or that the group moved."""
    for field_name, kind in SERVICE_FIELDS.items():
        if field_name not in message:
            continue
        value = message[field_name]
        people = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
        return {"type": kind, "users": people}
    return None


class ChangeFeed:
    """What changed since the last look: chats with new or edited messages, button answers."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.revisions = revisions(world)
        self._answered = len(world.callback_answers)

    def changes(self) -> list[tuple[str, JSON]]:
        """(event name, data) for each change since the previous call, oldest first."""
        events: list[tuple[str, JSON]] = []
        current = revisions(self.world)
        for chat_id, token in current.items():
            if self.revisions.get(chat_id) != token:
                events.append(("chat", {"chat_id": chat_id, "revision": token}))
        self.revisions = current
        answers = list(self.world.callback_answers.items())
        for query_id, (text, show_alert) in answers[self._answered :]:
            answer = {"callback_query_id": query_id, "text": text, "show_alert": show_alert}
            events.append(("answer", answer))
        self._answered = len(answers)
        return events
