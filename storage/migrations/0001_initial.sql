-- Linli schema, version 1: people, chats and buildings, roles, and the plumbing
-- that makes the bot durable (inbox of updates, outbox of messages, stored jobs).
--
-- Times are UTC unix seconds (REAL). Every column that holds a Telegram chat id
-- of a group references chats(id) ON UPDATE CASCADE, so that a group's migration
-- to a supergroup is one UPDATE of chats.id (see storage/chats.py).

CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS users (
    id            INTEGER PRIMARY KEY,          -- Telegram user id
    first_name    TEXT NOT NULL DEFAULT '',
    last_name     TEXT,
    username      TEXT,
    language_code TEXT,
    started       INTEGER NOT NULL DEFAULT 0,   -- pressed Start: the bot may write to them
    blocked       INTEGER NOT NULL DEFAULT 0,   -- blocked the bot after starting it
    created_at    REAL NOT NULL,
    updated_at    REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS users_username ON users (lower(username));

CREATE TABLE IF NOT EXISTS chats (
    id         INTEGER PRIMARY KEY,             -- Telegram chat id
    type       TEXT NOT NULL,                   -- private | group | supergroup | channel
    title      TEXT,
    language   TEXT,                            -- NULL: the community default
    active     INTEGER NOT NULL DEFAULT 1,      -- 0 once the bot was removed
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);

CREATE TABLE IF NOT EXISTS buildings (
    id         INTEGER PRIMARY KEY,
    chat_id    INTEGER NOT NULL UNIQUE REFERENCES chats (id) ON UPDATE CASCADE,
    name       TEXT NOT NULL UNIQUE,
    created_by INTEGER,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);

-- Residents and volunteers of a building. Owners are not stored here: they are the
-- group's Telegram admins (cached in chat_admins) plus the community admins of the config.
CREATE TABLE IF NOT EXISTS members (
    building_id INTEGER NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    resident    INTEGER NOT NULL DEFAULT 1,
    volunteer   INTEGER NOT NULL DEFAULT 0,
    skills      TEXT NOT NULL DEFAULT '',       -- space-separated skill names
    joined_at   REAL NOT NULL,
    left_at     REAL,
    PRIMARY KEY (building_id, user_id)
);
CREATE INDEX IF NOT EXISTS members_user ON members (user_id);

CREATE TABLE IF NOT EXISTS chat_admins (
    chat_id    INTEGER NOT NULL REFERENCES chats (id) ON UPDATE CASCADE ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    fetched_at REAL NOT NULL,
    PRIMARY KEY (chat_id, user_id)
);

-- Every update, stored before its getUpdates offset is confirmed to Telegram.
CREATE TABLE IF NOT EXISTS inbox (
    update_id   INTEGER PRIMARY KEY,
    payload     TEXT NOT NULL,                  -- the raw JSON of the update
    received_at REAL NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending',-- pending | handled | failed
    attempts    INTEGER NOT NULL DEFAULT 0,
    handled_at  REAL,
    error       TEXT
);
CREATE INDEX IF NOT EXISTS inbox_pending ON inbox (update_id) WHERE status = 'pending';

-- Messages owed to chats, written in the same transaction as the change that caused them.
CREATE TABLE IF NOT EXISTS outbox (
    id          INTEGER PRIMARY KEY,
    chat_id     INTEGER NOT NULL,
    method      TEXT NOT NULL DEFAULT 'sendMessage',
    payload     TEXT NOT NULL,                  -- Bot API parameters as JSON, without chat_id
    kind        TEXT NOT NULL DEFAULT '',       -- what the message is, for failure hooks
    ref         TEXT,                           -- what it is about, e.g. 'request:42'
    dedupe_key  TEXT UNIQUE,                    -- a notification is queued at most once
    batch       TEXT,                           -- rows of one broadcast
    status      TEXT NOT NULL DEFAULT 'pending',-- pending | sent | failed
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  REAL NOT NULL,
    created_at  REAL NOT NULL,
    sent_at     REAL,
    message_id  INTEGER,                        -- the sent message, to edit it later
    error       TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (not_before) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS outbox_pending_by_chat ON outbox (chat_id, id) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS outbox_ref ON outbox (ref) WHERE ref IS NOT NULL;
CREATE INDEX IF NOT EXISTS outbox_batch ON outbox (batch) WHERE batch IS NOT NULL;

-- Scheduled work is data: the scheduler runs what is due and marks it, once.
CREATE TABLE IF NOT EXISTS jobs (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    key           TEXT NOT NULL UNIQUE,         -- deterministic, e.g. 'escalate 42 1'
    due_at        REAL NOT NULL,
    payload       TEXT NOT NULL DEFAULT '{}',
    status        TEXT NOT NULL DEFAULT 'pending', -- pending | done | missed | cancelled | failed
    grace_seconds INTEGER,                      -- NULL: the config's scheduling.grace_seconds
    created_at    REAL NOT NULL,
    finished_at   REAL,
    error         TEXT
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (due_at) WHERE status = 'pending';
