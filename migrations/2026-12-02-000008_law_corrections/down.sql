DROP TABLE rule_book_applied;
ALTER TABLE deadlines DROP CONSTRAINT deadlines_support_ended_check;
ALTER TABLE deadlines DROP COLUMN support_ended_on;

-- ISO 639-3 codes were valid before too: languages stay as they are.

ALTER TABLE cases DROP CONSTRAINT cases_gender_check;
UPDATE cases SET gender = CASE gender
        WHEN 'transgender_female' THEN 'transgender'
        WHEN 'transgender_male' THEN 'transgender'
        WHEN 'non_conforming' THEN 'other'
        WHEN 'not_specified' THEN 'unknown'
        ELSE gender END
    WHERE gender IN ('transgender_female', 'transgender_male', 'non_conforming', 'not_specified');
ALTER TABLE cases ADD CONSTRAINT cases_gender_check CHECK (gender IN ('female', 'male', 'transgender', 'other', 'unknown'));

UPDATE cases SET stage = 'exit_support' WHERE stage = 'awaiting_reconsideration';
ALTER TABLE cases DROP CONSTRAINT cases_stage_check;
ALTER TABLE cases ADD CONSTRAINT cases_stage_check CHECK (stage IN (
    'intake', 'nrm_referred', 'dtn_only', 'recovery_period', 'awaiting_cg',
    'move_on', 'exit_support', 'closed'));
