-- Events with a sign-up list (接龙), a waitlist, reminders and attendance (issue 7).
--
-- An event is posted in one or more building groups (event_posts) and has one list
-- (event_signups) shared by all of them. Times are UTC unix seconds; they are shown in
-- the community's time zone.

CREATE TABLE IF NOT EXISTS events (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL,
    place       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    starts_at   REAL NOT NULL,
    capacity    INTEGER CHECK (capacity IS NULL OR capacity > 0),  -- NULL: no limit
    helpers     INTEGER NOT NULL DEFAULT 0 CHECK (helpers >= 0),   -- volunteer helpers wanted
    status      TEXT NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'cancelled', 'done')),   -- done: attendance saved
    created_by  INTEGER NOT NULL,
    created_at  REAL NOT NULL,
    closed_at   REAL
);
CREATE INDEX IF NOT EXISTS events_open ON events (starts_at) WHERE status = 'open';

-- The event's message in each building group; message_id is known once the outbox sent it.
CREATE TABLE IF NOT EXISTS event_posts (
    event_id    INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    building_id INTEGER NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
    message_id  INTEGER,
    PRIMARY KEY (event_id, building_id)
);
CREATE INDEX IF NOT EXISTS event_posts_building ON event_posts (building_id);

-- The list. The id gives the order of sign-up (the waitlist moves up in that order), and
-- AUTOINCREMENT keeps an id from being reused after someone leaves. UNIQUE (event, user)
-- makes a double press harmless: the second INSERT does nothing.
CREATE TABLE IF NOT EXISTS event_signups (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id  INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users (id),
    chat_id   INTEGER NOT NULL REFERENCES chats (id) ON UPDATE CASCADE,  -- the group they signed up in
    role      TEXT NOT NULL CHECK (role IN ('guest', 'helper')),
    status    TEXT NOT NULL CHECK (status IN ('going', 'waiting')),
    joined_at REAL NOT NULL,
    UNIQUE (event_id, user_id)
);
CREATE INDEX IF NOT EXISTS event_signups_list ON event_signups (event_id, role, status, id);

-- Who came, as the owner marked it after the event. helped = a helper who came; it is set
-- once, when the attendance is saved, and is what the points for helping are paid from.
CREATE TABLE IF NOT EXISTS event_attendance (
    event_id  INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users (id),
    role      TEXT NOT NULL CHECK (role IN ('guest', 'helper')),
    present   INTEGER NOT NULL DEFAULT 0,
    helped    INTEGER NOT NULL DEFAULT 0,
    marked_by INTEGER NOT NULL,
    marked_at REAL NOT NULL,
    PRIMARY KEY (event_id, user_id)
);

-- The step-by-step /event form, one per person and chat, dropped after a timeout.
CREATE TABLE IF NOT EXISTS event_drafts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    chat_id    INTEGER NOT NULL REFERENCES chats (id) ON UPDATE CASCADE ON DELETE CASCADE,
    step       TEXT NOT NULL,
    answers    TEXT NOT NULL DEFAULT '{}',                              -- JSON
    expires_at REAL NOT NULL,
    created_at REAL NOT NULL,
    UNIQUE (user_id, chat_id)
);
