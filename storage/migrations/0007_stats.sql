-- Stats, the monthly report and the spreadsheet export (issue 8).
--
-- /stats reads one month of a few buildings: each query below ranges over an index
-- by building (or facility, or event) and time, so a month answers in milliseconds
-- however many years of requests the database holds (bench/stats.py).

-- Requests opened in a month, building by building.
CREATE INDEX IF NOT EXISTS requests_building_created ON requests (building_id, created_at);

-- The requests each volunteer finished in a month (the spreadsheet's volunteers sheet).
CREATE INDEX IF NOT EXISTS requests_done_by
    ON requests (claimer_id, done_at) WHERE state = 'done';

-- The first claim of each request (time to claim), read from the index alone.
CREATE INDEX IF NOT EXISTS request_events_kind ON request_events (request_id, kind, at);

-- Events that take place in a month, whatever their status.
CREATE INDEX IF NOT EXISTS events_starts ON events (starts_at);

-- Rewards handed out in a month.
CREATE INDEX IF NOT EXISTS redemptions_decided
    ON redemptions (decided_at) WHERE status = 'approved';

-- The chart of a monthly report, as sent to the community admins. The report job queues
-- the outbox rows and this row in one transaction; the chart itself (png) is drawn once,
-- by the outbox sender when the first of those rows goes out, and kept, so that a retry
-- or a second admin gets the very same picture.
CREATE TABLE IF NOT EXISTS stats_charts (
    id          INTEGER PRIMARY KEY,
    month       TEXT NOT NULL,                  -- 'YYYY-MM' in the community's time zone
    language    TEXT NOT NULL,                  -- of the labels
    png         BLOB,                           -- NULL until drawn
    created_at  REAL NOT NULL,
    rendered_at REAL,
    UNIQUE (month, language)
);
