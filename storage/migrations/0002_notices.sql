-- Notices and their confirmations (issue: notices).
--
-- A notice is what an owner wrote, once; it is posted to one or more building groups,
-- one post per group. Residents confirm a post with its button, once each
-- (UNIQUE (post_id, user_id) decides a double press). Group chat ids reference
-- chats(id) ON UPDATE CASCADE so that a move to a supergroup carries them along.

CREATE TABLE IF NOT EXISTS notices (
    id             INTEGER PRIMARY KEY,
    author_id      INTEGER NOT NULL REFERENCES users (id),
    origin_chat_id INTEGER NOT NULL REFERENCES chats (id) ON UPDATE CASCADE, -- where it was asked
    text           TEXT NOT NULL,                  -- as the owner typed it (escaped when shown)
    pin            INTEGER NOT NULL DEFAULT 0,
    status         TEXT NOT NULL,                  -- scheduled | sending | sent | cancelled
    send_at        REAL,                           -- the time it was scheduled for; NULL: at once
    created_at     REAL NOT NULL,
    sent_at        REAL,                           -- when its posts were queued
    settled_at     REAL,                           -- when every post was delivered or failed
    -- The command's message: the same update handled twice (after a crash) finds its
    -- notice again instead of posting a second one.
    source_message_id INTEGER,
    UNIQUE (origin_chat_id, source_message_id)
);
CREATE INDEX IF NOT EXISTS notices_by_status ON notices (status, created_at);
CREATE INDEX IF NOT EXISTS notices_by_author ON notices (author_id, created_at);

CREATE TABLE IF NOT EXISTS notice_posts (
    id              INTEGER PRIMARY KEY,
    notice_id       INTEGER NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
    building_id     INTEGER NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
    chat_id         INTEGER NOT NULL REFERENCES chats (id) ON UPDATE CASCADE,
    status          TEXT NOT NULL,                 -- scheduled | queued | posted | failed | cancelled
    outbox_id       INTEGER,                       -- the sendMessage row
    pin_outbox_id   INTEGER,                       -- the pinChatMessage row, once sent
    message_id      INTEGER,                       -- the message in the group, to edit the count
    error           TEXT,                          -- why it was not delivered
    pin_error       TEXT,                          -- why it was not pinned
    shown_count     INTEGER NOT NULL DEFAULT 0,    -- the count the message shows now
    count_due_at    REAL,                          -- an edit of the count is planned for then
    count_edited_at REAL,                          -- the last edit of the count
    UNIQUE (notice_id, building_id)
);
CREATE INDEX IF NOT EXISTS notice_posts_building ON notice_posts (building_id);
CREATE INDEX IF NOT EXISTS notice_posts_chat ON notice_posts (chat_id);
CREATE INDEX IF NOT EXISTS notice_posts_outbox ON notice_posts (outbox_id);
CREATE INDEX IF NOT EXISTS notice_posts_pin_outbox ON notice_posts (pin_outbox_id);

CREATE TABLE IF NOT EXISTS notice_confirmations (
    post_id      INTEGER NOT NULL REFERENCES notice_posts (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    confirmed_at REAL NOT NULL,
    UNIQUE (post_id, user_id)
);
