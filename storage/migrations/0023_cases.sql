-- Requests that follow a real case (issue 20): a claimed request may wait (for a part,
-- for the resident) until a date; volunteers keep internal notes in its history; a
-- resident may reopen a done request; a safety report that was fixed earns its reporter
-- points once.

-- Waiting is a claimed request with a date: the stale reminder pauses until then.
ALTER TABLE requests ADD COLUMN waiting_until REAL;
ALTER TABLE requests ADD COLUMN waiting_reason TEXT;
ALTER TABLE requests ADD COLUMN reopened INTEGER NOT NULL DEFAULT 0;  -- times reopened
-- The volunteer who did it before a reopening: offered it first.
ALTER TABLE requests ADD COLUMN done_by INTEGER REFERENCES users (id);

-- The command an event came from ('<chat>:<message>'): the same command replayed adds
-- nothing. Internal events (notes) are for the building's volunteers and owners only.
ALTER TABLE request_events ADD COLUMN source TEXT;
ALTER TABLE request_events ADD COLUMN internal INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX IF NOT EXISTS request_events_source
    ON request_events (source) WHERE source IS NOT NULL;

-- The ledger learns one more automatic reason, 'hazard_reported'. SQLite cannot change
-- a CHECK, so the table is copied (it is append-only: its triggers go and come back).
DROP TRIGGER IF EXISTS ledger_no_update;
DROP TRIGGER IF EXISTS ledger_no_delete;
CREATE TABLE ledger_new (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    amount     INTEGER NOT NULL CHECK (amount <> 0),
    reason     TEXT NOT NULL CHECK (reason IN (
                   'request_done', 'shift_served', 'lockup_on_time', 'event_helped',
                   'hazard_reported', 'award', 'correction', 'redemption',
                   'redemption_returned')),
    note       TEXT NOT NULL DEFAULT '',
    source     TEXT NOT NULL UNIQUE,           -- ... and 'hazard:42'
    made_by    INTEGER,
    created_at REAL NOT NULL
);
INSERT INTO ledger_new (id, user_id, amount, reason, note, source, made_by, created_at)
    SELECT id, user_id, amount, reason, note, source, made_by, created_at FROM ledger;
DROP TABLE ledger;
ALTER TABLE ledger_new RENAME TO ledger;
CREATE INDEX IF NOT EXISTS ledger_user ON ledger (user_id, id);
CREATE INDEX IF NOT EXISTS ledger_time ON ledger (created_at);
CREATE TRIGGER IF NOT EXISTS ledger_no_update BEFORE UPDATE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'the points ledger is append-only');
END;
CREATE TRIGGER IF NOT EXISTS ledger_no_delete BEFORE DELETE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'the points ledger is append-only');
END;
