-- A resident's own data (issue 22): /forgetme erases a person's names and marks the row,
-- so that the next update from them does not write the names back. /start clears the mark.
ALTER TABLE users ADD COLUMN forgotten_at REAL;
