-- Bookable facilities (the study room, the 亲邻之家 hall) and residents' bookings (issue #21).

-- A facility that residents may book: opening hours per weekday, slot length, how many
-- bookings one slot holds, and whether an owner must approve each booking.
CREATE TABLE IF NOT EXISTS bookable (
    facility_id  INTEGER PRIMARY KEY REFERENCES facilities (id) ON DELETE CASCADE,
    hours        TEXT NOT NULL,    -- JSON: 7 entries, Monday first: [open, close] minutes or null
    slot_minutes INTEGER NOT NULL CHECK (slot_minutes BETWEEN 15 AND 720),
    capacity     INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 500),
    approval     INTEGER NOT NULL DEFAULT 0
);

-- One booking of one slot. pending: waiting for an owner; approved: holds the place (an
-- automatic booking is approved at once); declined and cancelled free the place.
-- source: the message or button press that made it, so a replay finds it again.
CREATE TABLE IF NOT EXISTS bookings (
    id          INTEGER PRIMARY KEY,
    facility_id INTEGER NOT NULL REFERENCES facilities (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    starts_at   REAL NOT NULL,
    ends_at     REAL NOT NULL,
    purpose     TEXT,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'declined', 'cancelled')),
    reason      TEXT,
    source      TEXT UNIQUE,
    created_at  REAL NOT NULL,
    decided_by  INTEGER,
    decided_at  REAL,
    checked_in_at REAL   -- "I'm here" pressed (when booking.check_in is on)
);
CREATE INDEX IF NOT EXISTS bookings_slot
    ON bookings (facility_id, starts_at) WHERE status IN ('pending', 'approved');
CREATE INDEX IF NOT EXISTS bookings_user ON bookings (user_id, starts_at);

-- A lock-up report may note a problem ("the window is broken"), which becomes a repair
-- request of the building.
ALTER TABLE lockups ADD COLUMN problem TEXT;
ALTER TABLE lockups ADD COLUMN problem_request INTEGER;
