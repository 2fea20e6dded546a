-- Group care (issue 22): a building's welcome and rules, the flats residents live in, and
-- the join requests of a group that admits people through an invite link with approval.
--
-- A text is kept as the owner wrote it (plain text with {building} and {name}); it is
-- escaped and filled in when shown. A join request lives from the applicant's request
-- through their answers (flat, name) to the owners' decision, or the polite decline when
-- the applicant does not answer within a day; only one request per person and building is
-- open at a time.
CREATE TABLE IF NOT EXISTS building_texts (
    building_id INTEGER NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('welcome', 'rules')),
    text        TEXT NOT NULL,
    set_by      INTEGER NOT NULL,
    updated_at  REAL NOT NULL,
    PRIMARY KEY (building_id, kind)
);

CREATE TABLE IF NOT EXISTS flats (
    building_id INTEGER NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    flat        TEXT NOT NULL,          -- 楼号-房号, e.g. 3-502
    name        TEXT NOT NULL DEFAULT '',
    recorded_at REAL NOT NULL,
    PRIMARY KEY (building_id, user_id)
);

CREATE TABLE IF NOT EXISTS join_requests (
    id           INTEGER PRIMARY KEY,
    building_id  INTEGER NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL,
    user_chat_id INTEGER NOT NULL,      -- where Telegram lets the bot write to the applicant
    state        TEXT NOT NULL CHECK (state IN
                     ('asking', 'waiting', 'approved', 'declined', 'expired', 'member')),
    flat         TEXT,
    name         TEXT,
    decided_by   INTEGER,
    created_at   REAL NOT NULL,
    decided_at   REAL
);
CREATE UNIQUE INDEX IF NOT EXISTS join_requests_open
    ON join_requests (building_id, user_id) WHERE state IN ('asking', 'waiting');
