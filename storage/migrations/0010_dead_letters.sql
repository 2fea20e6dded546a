-- Updates the bot could not take: text that cannot be stored (lone surrogates), a shape
-- python-telegram-bot refuses, a body that is not JSON. Each is kept here as it came,
-- with the reason, and confirmed to Telegram, so that one bad update never stops intake.
-- `linli status` shows them; `linli status --ack` marks them as looked at.

CREATE TABLE IF NOT EXISTS dead_letters (
    id          INTEGER PRIMARY KEY,
    update_id   INTEGER UNIQUE,                 -- NULL when the update had no usable id
    source      TEXT NOT NULL,                  -- getUpdates | webhook | inbox
    payload     BLOB NOT NULL,                  -- the update as received
    error       TEXT NOT NULL,
    received_at REAL NOT NULL,
    seen_at     REAL                            -- when an operator acknowledged it
);
CREATE INDEX IF NOT EXISTS dead_letters_unseen ON dead_letters (id) WHERE seen_at IS NULL;
