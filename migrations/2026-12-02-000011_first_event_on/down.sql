ALTER TABLE cases DROP COLUMN first_event_on;
