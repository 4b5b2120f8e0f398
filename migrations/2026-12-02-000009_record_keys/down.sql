ALTER TABLE cases DROP COLUMN record_key;
