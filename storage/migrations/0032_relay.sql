-- Talking to the resident of a request (issue 20, items 3 and 4): the short answers a
-- building keeps ready (canned replies), and the messages relayed between the volunteer
-- who took a request and its resident, so that a Telegram reply to a relayed message
-- finds its request and the one who should read it.

CREATE TABLE IF NOT EXISTS canned_replies (
    id          INTEGER PRIMARY KEY,
    building_id INTEGER NOT NULL REFERENCES buildings (id),
    title       TEXT NOT NULL,                  -- the button's label
    text        TEXT NOT NULL,                  -- what the resident reads
    created_by  INTEGER,
    source      TEXT UNIQUE,                    -- the /replies add it came from
    created_at  REAL NOT NULL,
    UNIQUE (building_id, title)
);

-- One relayed message: queued as ``outbox_id``; once delivered, the recipient's copy is
-- (recipient_id, message_id), which a reply to it names.
CREATE TABLE IF NOT EXISTS relay_messages (
    id           INTEGER PRIMARY KEY,
    request_id   INTEGER NOT NULL REFERENCES requests (id),
    sender_id    INTEGER NOT NULL,
    recipient_id INTEGER NOT NULL,
    text         TEXT NOT NULL,
    outbox_id    INTEGER,
    message_id   INTEGER,
    failed       INTEGER NOT NULL DEFAULT 0,
    created_at   REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS relay_messages_outbox ON relay_messages (outbox_id)
    WHERE outbox_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS relay_messages_copy ON relay_messages (recipient_id, message_id)
    WHERE message_id IS NOT NULL;
