-- Anonymous reports (issue 20, item 5): a dispute or a safety report may hide the name of
-- the resident who sent it. Volunteers and owners read «a resident of 3号楼»; the
-- community admins alone may look the name up (/whois N), and every look-up is logged.

ALTER TABLE requests ADD COLUMN anonymous INTEGER NOT NULL DEFAULT 0;
-- The offer of plain words remembers the «Don't show my name» toggle until Confirm.
ALTER TABLE request_drafts ADD COLUMN anonymous INTEGER NOT NULL DEFAULT 0;

-- Who looked up the resident of an anonymous request, and when. ``source`` is the command
-- ('<chat>:<message>'): the same /whois handled again logs nothing more.
CREATE TABLE IF NOT EXISTS request_identity_lookups (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests (id),
    admin_id   INTEGER NOT NULL,
    at         REAL NOT NULL,
    source     TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS request_identity_lookups_request
    ON request_identity_lookups (request_id, id);
