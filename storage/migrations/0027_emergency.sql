-- Linli schema, version 26: emergency broadcasts (issue 19).
--
-- An outbox row has a priority: the sender always takes the highest-priority due row first
-- (within a chat too), so an emergency overtakes every ordinary message already queued.
-- Priority 0 is ordinary; URGENT (10, bot/outbox.py) is an emergency, which quiet hours
-- never hold. The sender's next-row read (OutboxRepository.heads) picks each chat's head
-- through outbox_next: the top priority of the chat, then its oldest row.
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
DROP INDEX IF EXISTS outbox_pending_by_chat;
CREATE INDEX IF NOT EXISTS outbox_next ON outbox (chat_id, priority, id) WHERE status = 'pending';

-- An emergency is a notice that is urgent: posted ahead of everything, with notification,
-- and pinned. It keeps its command's message (source_message_id), so a replay finds it.
ALTER TABLE notices ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;
