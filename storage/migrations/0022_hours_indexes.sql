-- Hours for the office (issue 17, item 5): /stats, the monthly report, /export and
-- /leaderboard hours read a month of hours entries and check-ins for every volunteer.
-- These indexes range over the month and hold what those reads need, so a month costs the
-- same however many years the ledger holds. The new entries index starts with served_at,
-- so it serves what hours_entries_time did.
DROP INDEX IF EXISTS hours_entries_time;
CREATE INDEX IF NOT EXISTS hours_entries_served
    ON hours_entries (served_at, user_id, building_id, minutes);
CREATE INDEX IF NOT EXISTS hours_attendance_time ON hours_attendance (checked_in_at, user_id);
