-- Network actions have no case: they cannot outlive the board.
DROP INDEX cases_known_as_lower_idx;
DELETE FROM deadlines WHERE action_id IN (SELECT id FROM actions WHERE case_id IS NULL);
DELETE FROM inbox_links WHERE action_id IN (SELECT id FROM actions WHERE case_id IS NULL);
DELETE FROM actions WHERE case_id IS NULL;
ALTER TABLE actions DROP CONSTRAINT actions_case_or_challenge;
ALTER TABLE actions DROP COLUMN meeting_id;
ALTER TABLE actions DROP COLUMN challenge_id;
ALTER TABLE actions ALTER COLUMN case_id SET NOT NULL;
DROP TABLE meeting_notes;
DROP TABLE challenge_decisions;
DROP TABLE meetings;
DROP TABLE challenge_cases;
DROP TABLE challenges;
DROP SEQUENCE challenge_number_seq;
