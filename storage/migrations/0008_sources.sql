-- The command message that created an event or a reward: "<chat id>:<message id>".
--
-- An update handled twice (the bot died after it answered and before it marked the
-- update handled) finds what it created the first time instead of creating it again.
-- NULL for rows made before this migration, and for an event from the step-by-step form
-- (its last answer drops the form in the same transaction, so a replay finds no form).

ALTER TABLE events ADD COLUMN source TEXT;
CREATE UNIQUE INDEX IF NOT EXISTS events_source ON events (source);

ALTER TABLE rewards ADD COLUMN source TEXT;
CREATE UNIQUE INDEX IF NOT EXISTS rewards_source ON rewards (source);
