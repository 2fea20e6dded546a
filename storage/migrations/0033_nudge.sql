-- Nudging those who have not confirmed a notice (issue 19, item 3).
--
-- A nudge is one reminder round of a notice: residents known in its groups who have not
-- confirmed get one private message each (if they started the bot) or a mention in one
-- group message. At most one round per notice and local day: UNIQUE (notice_id, day)
-- decides a double press. ``source`` is what made it (the press, or the remind-after job),
-- so the same press handled twice finds its round again instead of being refused.
CREATE TABLE IF NOT EXISTS notice_nudges (
    id         INTEGER PRIMARY KEY,
    notice_id  INTEGER NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
    day        TEXT NOT NULL,                  -- the community's local date, YYYY-MM-DD
    by_user    INTEGER,                        -- the owner who pressed; NULL: the job
    source     TEXT NOT NULL,
    at         REAL NOT NULL,
    in_private INTEGER NOT NULL DEFAULT 0,     -- how many were reminded in private
    in_group   INTEGER NOT NULL DEFAULT 0,     -- how many were mentioned in a group
    UNIQUE (notice_id, day)
);
CREATE INDEX IF NOT EXISTS notice_nudges_source ON notice_nudges (source);

-- Who one round reminded, and how: a private reminder's «Got it» confirms only for someone
-- it was sent to (a forged button is refused).
CREATE TABLE IF NOT EXISTS notice_nudged (
    nudge_id INTEGER NOT NULL REFERENCES notice_nudges (id) ON DELETE CASCADE,
    post_id  INTEGER NOT NULL REFERENCES notice_posts (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL,
    how      TEXT NOT NULL CHECK (how IN ('private', 'group')),
    PRIMARY KEY (nudge_id, user_id)
);
CREATE INDEX IF NOT EXISTS notice_nudged_post ON notice_nudged (post_id, user_id);
