-- Linli schema, version 9: one stored prompt per person and chat ("the next message
-- answers a question"), and the delivered copies of live cards.

-- The bot asked someone a question in a chat; their next message there is the answer.
-- One prompt per person and chat: asking anew replaces the old one.
CREATE TABLE IF NOT EXISTS prompts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,  -- a new one for every question asked
    chat_id          INTEGER NOT NULL,          -- no foreign key (moved by hand, as cards are)
    user_id          INTEGER NOT NULL,
    feature          TEXT NOT NULL,             -- who asked: the dispatcher hands it the answer
    step             TEXT NOT NULL,             -- which question of that feature
    payload          TEXT NOT NULL DEFAULT '{}',-- what the feature needs to go on (JSON)
    asked_at         REAL NOT NULL,
    expires_at       REAL NOT NULL,
    answered_message INTEGER,                   -- the message of the last answer: a replay of it
                                                -- (after a crash) leaves the prompt alone
    UNIQUE (chat_id, user_id)
);

-- The questions of a bare /request become prompts (their old expiry jobs are let go:
-- a prompt past its time is no longer answered).
INSERT OR IGNORE INTO prompts (chat_id, user_id, feature, step, payload, asked_at, expires_at)
    SELECT chat_id, user_id, 'requests', 'text', json_object('building', building_id),
           created_at, expires_at
    FROM request_drafts WHERE stage = 'question';
DELETE FROM request_drafts WHERE stage = 'question';
UPDATE jobs SET status = 'cancelled' WHERE kind = 'request_question_expired' AND status = 'pending';

-- So do the step-by-step /event forms (the message of their last answer moves with them).
INSERT OR IGNORE INTO prompts
        (chat_id, user_id, feature, step, payload, asked_at, expires_at, answered_message)
    SELECT chat_id, user_id, 'events', step, json_remove(answers, '$.answered_by'),
           created_at, expires_at, json_extract(answers, '$.answered_by')
    FROM event_drafts;
DELETE FROM event_drafts;
UPDATE jobs SET status = 'cancelled' WHERE kind = 'event_form_timeout' AND status = 'pending';

-- Every delivered copy of a card that stays current (a request card in a volunteer's
-- chat, a notice in a group, an event's sign-up list, a redemption for an owner).
-- The outbox row that sends a copy is ``outbox_id``; its message id comes back when it
-- is delivered. ``shown`` is the digest of what the copy shows (or was last queued to
-- show), so an edit goes out only when the card changed.
CREATE TABLE IF NOT EXISTS cards (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,                  -- the render function's name, e.g. 'request'
    ref         TEXT NOT NULL,                  -- what the card shows, e.g. '42'
    chat_id     INTEGER NOT NULL,               -- no foreign key: private chats too (moved by hand)
    outbox_id   INTEGER,
    message_id  INTEGER,
    shown       TEXT NOT NULL DEFAULT '',
    dirty       INTEGER NOT NULL DEFAULT 0,     -- changed before it was delivered: edit then
    created_at  REAL NOT NULL,
    UNIQUE (kind, ref, chat_id)
);
CREATE INDEX IF NOT EXISTS cards_outbox ON cards (outbox_id) WHERE outbox_id IS NOT NULL;
