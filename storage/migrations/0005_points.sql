-- Points ledger, rewards and redemptions (issue: points).
--
-- The ledger is append-only (the triggers below refuse UPDATE and DELETE): a balance
-- is the sum of a person's entries, and a mistake is undone by a new entry. Every
-- entry names its source once (UNIQUE), so the same request, shift, command or
-- redemption never pays twice, however often it is replayed.

CREATE TABLE IF NOT EXISTS ledger (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    amount     INTEGER NOT NULL CHECK (amount <> 0),
    reason     TEXT NOT NULL CHECK (reason IN (
                   'request_done', 'shift_served', 'lockup_on_time', 'event_helped',
                   'award', 'correction', 'redemption', 'redemption_returned')),
    note       TEXT NOT NULL DEFAULT '',       -- the owner's words for an award or correction
    source     TEXT NOT NULL UNIQUE,           -- 'request:42', 'award:<chat>:<message>',
                                               -- 'redemption:7', 'redemption:7:returned'
    made_by    INTEGER,                        -- who made the entry; NULL: the bot itself
    created_at REAL NOT NULL
);
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

-- What shops donate. A reward of a building is managed by its owners; one without a
-- building (added by a community admin) is open to the volunteers of every building.
CREATE TABLE IF NOT EXISTS rewards (
    id            INTEGER PRIMARY KEY,
    building_id   INTEGER REFERENCES buildings (id),
    name          TEXT NOT NULL,
    shop          TEXT NOT NULL,
    cost          INTEGER NOT NULL CHECK (cost > 0),
    stock         INTEGER NOT NULL CHECK (stock >= 0),   -- what is left, reservations taken out
    monthly_limit INTEGER NOT NULL DEFAULT 0,            -- 1: one per volunteer per month
    active        INTEGER NOT NULL DEFAULT 1,            -- 0 once retired
    created_by    INTEGER,
    created_at    REAL NOT NULL,
    updated_at    REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS rewards_building ON rewards (building_id) WHERE active = 1;

-- A redemption holds the points (a 'redemption' ledger entry) and one item of stock
-- until an owner decides; rejected or expired, both come back.
CREATE TABLE IF NOT EXISTS redemptions (
    id          INTEGER PRIMARY KEY,
    reward_id   INTEGER NOT NULL REFERENCES rewards (id),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    building_id INTEGER NOT NULL REFERENCES buildings (id),  -- whose owners decide
    cost        INTEGER NOT NULL CHECK (cost > 0),           -- the points held
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
    month       TEXT,               -- 'YYYY-MM' (community time) if the reward is one a month
    request_key TEXT NOT NULL UNIQUE,  -- the command that asked: a replay redeems once
    voucher     TEXT UNIQUE,        -- the code to show at the shop, once approved
    decided_by  INTEGER,
    created_at  REAL NOT NULL,
    expires_at  REAL NOT NULL,
    decided_at  REAL,
    CHECK ((status = 'approved') = (voucher IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS redemptions_user ON redemptions (user_id, id);
CREATE UNIQUE INDEX IF NOT EXISTS redemptions_one_a_month
    ON redemptions (reward_id, user_id, month)
    WHERE month IS NOT NULL AND status IN ('pending', 'approved');
