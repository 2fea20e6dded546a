-- Linli schema, version 15: photos, voice notes, videos and locations that go with a help
-- request. Kept by Telegram's file_id (the bot never downloads them); a row with no
-- request yet waits for the resident to say which request it belongs to.
CREATE TABLE IF NOT EXISTS request_media (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    chat_id     INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    album       TEXT,                   -- Telegram's media_group_id: the photos of one album
    kind        TEXT NOT NULL CHECK (kind IN ('photo', 'voice', 'video', 'location')),
    file_id     TEXT,                   -- NULL for a location
    latitude    REAL,
    longitude   REAL,
    caption     TEXT NOT NULL DEFAULT '',
    request_id  INTEGER REFERENCES requests (id) ON DELETE CASCADE,
    created_at  REAL NOT NULL,
    UNIQUE (chat_id, message_id)
);
CREATE INDEX IF NOT EXISTS request_media_request ON request_media (request_id, message_id);
CREATE INDEX IF NOT EXISTS request_media_album ON request_media (chat_id, album);
