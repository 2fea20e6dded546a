-- Roster, shifts, swaps, handovers, facilities, lock-ups (issue: roster).
--
-- A shift is a weekly slot in the community's time zone: a weekday and a range of
-- minutes after local midnight. An end at or before the start means the shift ends
-- the next day (22:00-02:00). One occurrence of a shift is named by the local date
-- it starts on ("day", YYYY-MM-DD): swaps, handover notes and scheduled jobs
-- ("remind 12 2026-11-24") all use that name.

CREATE TABLE IF NOT EXISTS shifts (
    id           INTEGER PRIMARY KEY,
    building_id  INTEGER NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
    weekday      INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),          -- 0 = Monday
    start_minute INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute   INTEGER NOT NULL CHECK (end_minute BETWEEN 0 AND 1439),    -- <= start: next day
    created_by   INTEGER,
    created_at   REAL NOT NULL,
    CHECK (start_minute <> end_minute),
    UNIQUE (building_id, weekday, start_minute, end_minute)
);

CREATE TABLE IF NOT EXISTS shift_volunteers (
    shift_id INTEGER NOT NULL REFERENCES shifts (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (shift_id, user_id)
);
CREATE INDEX IF NOT EXISTS shift_volunteers_user ON shift_volunteers (user_id);

-- A volunteer offers one occurrence of their shift to another. Only an accepted swap
-- counts, and only for that day; swaps of one day apply in the order they were made.
CREATE TABLE IF NOT EXISTS swaps (
    id         INTEGER PRIMARY KEY,
    shift_id   INTEGER NOT NULL REFERENCES shifts (id) ON DELETE CASCADE,
    day        TEXT NOT NULL,
    from_user  INTEGER NOT NULL REFERENCES users (id),
    to_user    INTEGER NOT NULL REFERENCES users (id),
    status     TEXT NOT NULL DEFAULT 'offered'
               CHECK (status IN ('offered', 'accepted', 'declined', 'withdrawn')),
    created_at REAL NOT NULL,
    decided_at REAL
);
CREATE INDEX IF NOT EXISTS swaps_occurrence ON swaps (shift_id, day);
-- One open offer for each volunteer and occurrence: a new offer withdraws the old one.
CREATE UNIQUE INDEX IF NOT EXISTS swaps_one_open_offer
    ON swaps (shift_id, day, from_user) WHERE status = 'offered';

-- The end of an occurrence: who took over (space-separated user ids), once it ran.
CREATE TABLE IF NOT EXISTS handovers (
    shift_id  INTEGER NOT NULL REFERENCES shifts (id) ON DELETE CASCADE,
    day       TEXT NOT NULL,
    incoming  TEXT NOT NULL DEFAULT '',
    handed_at REAL NOT NULL,
    PRIMARY KEY (shift_id, day)
);

-- /handover notes of the outgoing volunteers, delivered with the handover (or at once
-- to those who took over, when written after it).
CREATE TABLE IF NOT EXISTS handover_notes (
    shift_id     INTEGER NOT NULL REFERENCES shifts (id) ON DELETE CASCADE,
    day          TEXT NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    note         TEXT NOT NULL,
    written_at   REAL NOT NULL,
    delivered_at REAL,
    PRIMARY KEY (shift_id, day, user_id)
);

CREATE TABLE IF NOT EXISTS building_settings (
    building_id       INTEGER PRIMARY KEY REFERENCES buildings (id) ON DELETE CASCADE,
    handover_in_group INTEGER NOT NULL DEFAULT 0   -- post "duty passes from A to B" in the group
);

-- A room that a volunteer closes: a closing time for each weekday and a checklist.
CREATE TABLE IF NOT EXISTS facilities (
    id          INTEGER PRIMARY KEY,
    building_id INTEGER NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    closing     TEXT NOT NULL,     -- JSON: 7 closing minutes, Monday first; null: closed all day
    checklist   TEXT NOT NULL,     -- JSON: the items to tick
    active      INTEGER NOT NULL DEFAULT 1,
    created_by  INTEGER,
    created_at  REAL NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS facilities_name
    ON facilities (building_id, lower(name)) WHERE active = 1;

-- One lock-up for each facility and closing day. open: items being ticked;
-- awaiting_note: all ticked, the next private message of user_id is the note;
-- reported: posted to the group. Missing = not reported and escalated.
CREATE TABLE IF NOT EXISTS lockups (
    id           INTEGER PRIMARY KEY,
    facility_id  INTEGER NOT NULL REFERENCES facilities (id) ON DELETE CASCADE,
    day          TEXT NOT NULL,
    closing_at   REAL NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open'
                 CHECK (status IN ('open', 'awaiting_note', 'reported')),
    ticked       INTEGER NOT NULL DEFAULT 0,        -- bit i: checklist item i is ticked
    user_id      INTEGER REFERENCES users (id),     -- who finished the checklist
    reported_at  REAL,
    late         INTEGER NOT NULL DEFAULT 0,
    note         TEXT,
    photo        TEXT,                              -- Telegram file_id of the photo
    reminded_at  REAL,
    escalated_at REAL,
    UNIQUE (facility_id, day)
);
CREATE INDEX IF NOT EXISTS lockups_awaiting ON lockups (user_id) WHERE status = 'awaiting_note';
