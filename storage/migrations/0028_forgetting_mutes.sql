-- A resident's own data (issue 22): /forgetme erases a person's names and marks the row,
-- so that the next update from them does not write the names back. /start clears the mark.
ALTER TABLE users ADD COLUMN forgotten_at REAL;

-- Antiflood (issue 22): a new member muted in a building group for a burst of messages or
-- a link, until an owner presses Unmute. One active mute per person and group.
CREATE TABLE IF NOT EXISTS mutes (
    id         INTEGER PRIMARY KEY,
    chat_id    INTEGER NOT NULL REFERENCES chats (id) ON UPDATE CASCADE,
    user_id    INTEGER NOT NULL,
    reason     TEXT NOT NULL CHECK (reason IN ('burst', 'link')),
    muted_at   REAL NOT NULL,
    unmuted_by INTEGER,
    unmuted_at REAL
);
CREATE UNIQUE INDEX IF NOT EXISTS mutes_active ON mutes (chat_id, user_id)
    WHERE unmuted_at IS NULL;
