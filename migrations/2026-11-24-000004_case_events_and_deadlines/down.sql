DROP TABLE deadlines;
ALTER TABLE cases DROP COLUMN stage_advances_on;
DROP TABLE case_events;
DROP FUNCTION case_events_append_only();
