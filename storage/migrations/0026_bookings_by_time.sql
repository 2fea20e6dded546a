-- Bookings for the office (issue 21, item 5): /stats, the monthly report and /export read
-- a month of each facility's bookings in every status (declined and cancelled included),
-- which the partial slot index of 0021 does not hold.
CREATE INDEX IF NOT EXISTS bookings_facility_time ON bookings (facility_id, starts_at);
