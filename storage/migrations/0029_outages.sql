-- Outages (issue 19): a water, power or lift cut in some buildings, from a time to a time.
--
-- Announced as an ordinary notice (notice_id); a reminder before the start and the
-- "restored" post at the end are stored jobs ("outage remind <id>", "outage restore <id>").
-- The end is one conditional UPDATE (planned -> ended): the Restored button and the end
-- time race, and only one of them posts "restored".
CREATE TABLE IF NOT EXISTS outages (
    id                INTEGER PRIMARY KEY,
    kind              TEXT NOT NULL CHECK (kind IN ('water', 'power', 'lift')),
    starts_at         REAL NOT NULL,
    ends_at           REAL NOT NULL,
    reason            TEXT NOT NULL DEFAULT '',
    author_id         INTEGER NOT NULL REFERENCES users (id),
    origin_chat_id    INTEGER NOT NULL REFERENCES chats (id) ON UPDATE CASCADE,
    notice_id         INTEGER REFERENCES notices (id),
    status            TEXT NOT NULL DEFAULT 'planned', -- planned | ended
    ended_at          REAL,
    ended_by          INTEGER,                         -- NULL: the end time passed
    created_at        REAL NOT NULL,
    source_message_id INTEGER,
    UNIQUE (origin_chat_id, source_message_id),
    CHECK (ends_at > starts_at)
);
CREATE INDEX IF NOT EXISTS outages_open ON outages (status, ends_at);

CREATE TABLE IF NOT EXISTS outage_buildings (
    outage_id   INTEGER NOT NULL REFERENCES outages (id) ON DELETE CASCADE,
    building_id INTEGER NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
    PRIMARY KEY (outage_id, building_id)
);
CREATE INDEX IF NOT EXISTS outage_buildings_building ON outage_buildings (building_id);

-- A help request opened during an outage of its building that its words are about.
ALTER TABLE requests ADD COLUMN outage_id INTEGER REFERENCES outages (id);
