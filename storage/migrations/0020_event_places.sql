-- Where an event is on the map (issue 17, item 1): an owner may give it when posting, and
-- a check-in is then recorded only within hours.location_radius_m of it. NULL: no place
-- on the map, no location check.
ALTER TABLE events ADD COLUMN latitude REAL;
ALTER TABLE events ADD COLUMN longitude REAL;
