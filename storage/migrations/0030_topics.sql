-- Linli schema: forum topics of a building's group.
--
-- In a supergroup with topics, an owner chooses the topic (its message_thread_id) where
-- the bot posts each kind of thing: notices, request posts, event cards. No row: the
-- general topic. A topic that Telegram says is closed or deleted loses its rows (the post
-- goes to the general topic instead, and the owners are told once).
CREATE TABLE IF NOT EXISTS building_topics (
    building_id INTEGER NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('notices', 'requests', 'events')),
    thread_id   INTEGER NOT NULL CHECK (thread_id > 0),
    name        TEXT,                           -- the topic's name, when Telegram showed it
    set_by      INTEGER,
    set_at      REAL NOT NULL,
    PRIMARY KEY (building_id, kind)
);
