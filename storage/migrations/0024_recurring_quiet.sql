-- Linli schema, version 16: recurring notices and quiet hours.
--
-- A recurring notice is a rule stored as data (its kind, local time, weekday, day of the
-- month, every N weeks counted from the Monday ``anchor``). Each occurrence is a stored job
-- keyed "notice recurring <rule> <local time>"; when it runs it posts an ordinary notice
-- (notices.recurring_id, one per occurrence: the unique index decides) and plans the next.
CREATE TABLE IF NOT EXISTS recurring_notices (
    id                INTEGER PRIMARY KEY,
    author_id         INTEGER NOT NULL REFERENCES users (id),
    origin_chat_id    INTEGER NOT NULL REFERENCES chats (id) ON UPDATE CASCADE,
    text              TEXT NOT NULL,
    pin               INTEGER NOT NULL DEFAULT 0,
    kind              TEXT NOT NULL CHECK (kind IN ('daily', 'weekly', 'monthly')),
    minute            INTEGER NOT NULL CHECK (minute BETWEEN 0 AND 1439),
    weekday           INTEGER CHECK (weekday BETWEEN 0 AND 6),
    day               INTEGER CHECK (day BETWEEN 1 AND 31),
    weeks             INTEGER NOT NULL DEFAULT 1 CHECK (weeks BETWEEN 1 AND 4),
    anchor            TEXT,                      -- weekly: the Monday weeks count from
    status            TEXT NOT NULL DEFAULT 'active', -- active | stopped
    next_at           REAL,                      -- the planned occurrence
    created_at        REAL NOT NULL,
    stopped_at        REAL,
    stopped_by        INTEGER,
    source_message_id INTEGER,
    UNIQUE (origin_chat_id, source_message_id)
);

CREATE TABLE IF NOT EXISTS recurring_notice_buildings (
    recurring_id INTEGER NOT NULL REFERENCES recurring_notices (id) ON DELETE CASCADE,
    building_id  INTEGER NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
    PRIMARY KEY (recurring_id, building_id)
);
CREATE INDEX IF NOT EXISTS recurring_notice_buildings_building
    ON recurring_notice_buildings (building_id);

ALTER TABLE notices ADD COLUMN recurring_id INTEGER REFERENCES recurring_notices (id);
CREATE UNIQUE INDEX IF NOT EXISTS notices_occurrence ON notices (recurring_id, send_at)
    WHERE recurring_id IS NOT NULL;

-- A post held by its group's quiet hours: when it goes out (NULL: not held).
ALTER TABLE notice_posts ADD COLUMN held_until REAL;

-- Quiet hours of a building's group (off unless a row is here): local minutes after
-- midnight; an end before the start is the next morning. Scheduled posts that fall inside
-- wait for the end (a stored release job).
CREATE TABLE IF NOT EXISTS quiet_hours (
    building_id  INTEGER PRIMARY KEY REFERENCES buildings (id) ON DELETE CASCADE,
    start_minute INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute   INTEGER NOT NULL CHECK (end_minute BETWEEN 0 AND 1439),
    set_by       INTEGER,
    set_at       REAL NOT NULL,
    CHECK (start_minute <> end_minute)
);
