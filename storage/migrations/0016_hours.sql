-- Volunteer service hours (志愿服务时长, issue 17): check-in windows, attendance, the hours
-- ledger, star levels reached, certificates issued, and volunteers' own applications.
--
-- The hours ledger is append-only like the points ledger: a correction is a new entry that
-- names the entry it corrects. Every entry names its source once (UNIQUE), so the same
-- attendance, command or shift never counts twice, however often it is replayed.

-- A check-in window: an event (from 30 minutes before its start to its end), with its code.
CREATE TABLE IF NOT EXISTS hours_activities (
    id           INTEGER PRIMARY KEY,
    ref          TEXT NOT NULL UNIQUE,          -- 'event:12'
    title        TEXT NOT NULL,
    organiser_id INTEGER NOT NULL,
    code         TEXT NOT NULL,                 -- six digits, unique among open windows
    opens_at     REAL NOT NULL,
    starts_at    REAL NOT NULL,
    ends_at      REAL NOT NULL,
    closed_at    REAL,                          -- the end was handled (missing check-outs)
    created_at   REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS hours_activities_code ON hours_activities (code, ends_at);

CREATE TABLE IF NOT EXISTS hours_attendance (
    id             INTEGER PRIMARY KEY,
    activity_id    INTEGER NOT NULL REFERENCES hours_activities (id),
    user_id        INTEGER NOT NULL REFERENCES users (id),
    building_id    INTEGER REFERENCES buildings (id),
    checked_in_at  REAL NOT NULL,
    checked_out_at REAL,
    status         TEXT NOT NULL DEFAULT 'in'
                   CHECK (status IN ('in', 'out', 'no_checkout', 'confirmed')),
    UNIQUE (activity_id, user_id)
);
CREATE INDEX IF NOT EXISTS hours_attendance_open ON hours_attendance (user_id)
    WHERE status = 'in';

CREATE TABLE IF NOT EXISTS hours_entries (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    minutes     INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('recorded', 'makeup')),
    origin      TEXT NOT NULL CHECK (origin IN ('event', 'shift', 'request', 'makeup',
                                                'correction')),
    content     TEXT NOT NULL,                  -- the activity, or the owner's reason
    served_at   REAL NOT NULL,                  -- when the service was done
    year        INTEGER NOT NULL,               -- of served_at, community time
    month       TEXT NOT NULL,                  -- 'YYYY-MM' of served_at, community time
    building_id INTEGER REFERENCES buildings (id),
    corrects    INTEGER REFERENCES hours_entries (id),
    cap_minutes INTEGER,                        -- the activity's length: never more
    source      TEXT NOT NULL UNIQUE,           -- 'attendance:7', 'makeup:<chat>:<message>'
    made_by     INTEGER,                        -- NULL: the bot itself
    created_at  REAL NOT NULL,
    CHECK ((origin = 'correction') = (corrects IS NOT NULL)),
    CHECK (origin = 'correction' OR minutes > 0)
);
-- /hours and the certificate read one person's entries through these, never the table.
CREATE INDEX IF NOT EXISTS hours_entries_user ON hours_entries (user_id, year, kind, minutes);
CREATE INDEX IF NOT EXISTS hours_entries_month ON hours_entries (user_id, month, kind, minutes);
CREATE INDEX IF NOT EXISTS hours_entries_corrects ON hours_entries (corrects)
    WHERE corrects IS NOT NULL;
CREATE INDEX IF NOT EXISTS hours_entries_time ON hours_entries (served_at);

CREATE TRIGGER IF NOT EXISTS hours_entries_no_update BEFORE UPDATE ON hours_entries
BEGIN
    SELECT RAISE(ABORT, 'the hours ledger is append-only');
END;
CREATE TRIGGER IF NOT EXISTS hours_entries_no_delete BEFORE DELETE ON hours_entries
BEGIN
    SELECT RAISE(ABORT, 'the hours ledger is append-only');
END;

-- Star levels reached (once each: a correction down does not take a level back).
CREATE TABLE IF NOT EXISTS hours_levels (
    user_id    INTEGER NOT NULL REFERENCES users (id),
    level      INTEGER NOT NULL CHECK (level BETWEEN 1 AND 20),
    reached_at REAL NOT NULL,
    PRIMARY KEY (user_id, level)
);

-- Whether a building group hears of its volunteers' new star levels.
CREATE TABLE IF NOT EXISTS hours_building_settings (
    building_id     INTEGER PRIMARY KEY REFERENCES buildings (id),
    announce_levels INTEGER NOT NULL DEFAULT 0
);

-- A certificate as issued: /verify checks a number against this row and the ledger.
CREATE TABLE IF NOT EXISTS hours_certificates (
    number           TEXT PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users (id),
    year             INTEGER NOT NULL,
    total_minutes    INTEGER NOT NULL,
    recorded_minutes INTEGER NOT NULL,
    makeup_minutes   INTEGER NOT NULL,
    entries          INTEGER NOT NULL,
    source           TEXT NOT NULL UNIQUE,      -- the command: a replay issues the same one
    issued_at        REAL NOT NULL
);

-- A resident asks to be a volunteer of their building; an owner decides.
CREATE TABLE IF NOT EXISTS volunteer_applications (
    id          INTEGER PRIMARY KEY,
    building_id INTEGER NOT NULL REFERENCES buildings (id),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    skills      TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'approved', 'declined')),
    source      TEXT NOT NULL UNIQUE,
    decided_by  INTEGER,
    created_at  REAL NOT NULL,
    decided_at  REAL
);
CREATE UNIQUE INDEX IF NOT EXISTS volunteer_applications_pending
    ON volunteer_applications (building_id, user_id) WHERE status = 'pending';
