-- Aways and open shifts (issue 18).
--
-- An away is a period of local dates (first and last day away, inclusive) when a
-- volunteer is not routed requests and is on no shift. An open shift is one seat of one
-- occurrence (shift, day) left without its volunteer: because of an away, a volunteer
-- taken off the shift, or "I can't make it" on the reminder. It is offered to the
-- building's other volunteers; the first to take it fills the seat for that date only.

CREATE TABLE IF NOT EXISTS aways (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    starts_on  TEXT NOT NULL,                 -- YYYY-MM-DD, local
    ends_on    TEXT NOT NULL,                 -- YYYY-MM-DD, local, inclusive
    note       TEXT NOT NULL DEFAULT '',
    set_by     INTEGER,
    created_at REAL NOT NULL,
    CHECK (ends_on >= starts_on)
);
CREATE INDEX IF NOT EXISTS aways_user ON aways (user_id, ends_on);

CREATE TABLE IF NOT EXISTS open_shifts (
    id         INTEGER PRIMARY KEY,
    shift_id   INTEGER NOT NULL REFERENCES shifts (id) ON DELETE CASCADE,
    day        TEXT NOT NULL,                 -- the occurrence, by the date it starts
    user_id    INTEGER NOT NULL,              -- whose seat is open
    reason     TEXT NOT NULL CHECK (reason IN ('away', 'removed', 'cant')),
    status     TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'taken', 'cancelled')),
    taken_by   INTEGER REFERENCES users (id),
    taken_at   REAL,
    created_at REAL NOT NULL,
    UNIQUE (shift_id, day, user_id)
);
CREATE INDEX IF NOT EXISTS open_shifts_occurrence ON open_shifts (shift_id, day);

-- The weekly digest a building's group gets (off unless a row is here): its local weekday
-- (0 = Monday) and minute after midnight.
CREATE TABLE IF NOT EXISTS digest_settings (
    building_id INTEGER PRIMARY KEY REFERENCES buildings (id) ON DELETE CASCADE,
    weekday     INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    minute      INTEGER NOT NULL CHECK (minute BETWEEN 0 AND 1439)
);

-- Changes from a date on, and alternate weeks. A shift occurs from valid_from to
-- valid_until (local dates, NULL: open-ended); a volunteer is on it from from_day to
-- until_day, every week or every other week (counted from the week of from_day).
ALTER TABLE shifts ADD COLUMN valid_from TEXT;
ALTER TABLE shifts ADD COLUMN valid_until TEXT;
ALTER TABLE shift_volunteers ADD COLUMN from_day TEXT;
ALTER TABLE shift_volunteers ADD COLUMN until_day TEXT;
ALTER TABLE shift_volunteers ADD COLUMN every_weeks INTEGER NOT NULL DEFAULT 1
    CHECK (every_weeks IN (1, 2));
