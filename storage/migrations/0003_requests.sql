-- Help requests and their events (issue: requests).
--
-- A request's id is the number people see (#N): one sequence for the community.
-- AUTOINCREMENT keeps a number from ever being given out twice.

CREATE TABLE IF NOT EXISTS requests (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    building_id       INTEGER NOT NULL REFERENCES buildings (id),
    resident_id       INTEGER NOT NULL REFERENCES users (id),
    category          TEXT NOT NULL DEFAULT 'other',
    text              TEXT NOT NULL,
    state             TEXT NOT NULL DEFAULT 'open'
                      CHECK (state IN ('open', 'claimed', 'done', 'cancelled')),
    claimer_id        INTEGER REFERENCES users (id),
    -- The message that asked for help: a redelivered update finds its request again.
    -- A group's id follows it to its supergroup.
    source_chat_id    INTEGER NOT NULL REFERENCES chats (id) ON UPDATE CASCADE,
    source_message_id INTEGER NOT NULL,
    private           INTEGER NOT NULL DEFAULT 0,  -- asked in private: never shown in a group
    note              TEXT,                        -- the volunteer's note when done
    rating            INTEGER CHECK (rating BETWEEN 1 AND 5),
    routing           INTEGER NOT NULL DEFAULT 1,  -- bumped when a release routes it again
    version           INTEGER NOT NULL DEFAULT 0,  -- bumped on every change of state
    created_at        REAL NOT NULL,
    claimed_at        REAL,
    done_at           REAL,
    updated_at        REAL NOT NULL,
    UNIQUE (source_chat_id, source_message_id)
);
CREATE INDEX IF NOT EXISTS requests_open ON requests (building_id, id) WHERE state = 'open';
CREATE INDEX IF NOT EXISTS requests_resident ON requests (resident_id, id);
CREATE INDEX IF NOT EXISTS requests_claimer ON requests (claimer_id) WHERE state = 'claimed';

-- Every change of a request, with who made it (NULL: the bot) and when.
CREATE TABLE IF NOT EXISTS request_events (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests (id),
    kind       TEXT NOT NULL,  -- opened | routed | claimed | released | escalated | done
                               -- | cancelled | rated | reminded | unreachable
    actor_id   INTEGER,
    detail     TEXT NOT NULL DEFAULT '',
    at         REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS request_events_request ON request_events (request_id, id);

-- Requests not yet made: the bot asked "what do you need?" (stage 'question', text NULL),
-- or a resident of several buildings has to pick one (stage 'choice'). Buttons carry the
-- draft's id, never the text.
CREATE TABLE IF NOT EXISTS request_drafts (
    id          INTEGER PRIMARY KEY,
    chat_id     INTEGER NOT NULL REFERENCES chats (id) ON UPDATE CASCADE ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    stage       TEXT NOT NULL CHECK (stage IN ('question', 'choice')),
    building_id INTEGER REFERENCES buildings (id) ON DELETE CASCADE,  -- NULL: to be chosen
    message_id  INTEGER NOT NULL,  -- the message that asked (the source of the request)
    text        TEXT,
    created_at  REAL NOT NULL,
    expires_at  REAL NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS request_drafts_question
    ON request_drafts (chat_id, user_id) WHERE stage = 'question';
