-- The coordinators' board of what is due (issue 23) counts and pages the outstanding deadlines
-- of open cases by window and by case or agency. Both reads are answered from indexes alone:
-- the outstanding deadlines by kind then due date (a deadline outstanding whatever its date, a
-- milestone only while it is in the future: two ranges, not a scan of every past milestone),
-- carrying what the board filters, joins and sorts on; and the cases by stage carrying what
-- the counts by stage read (the stage a recovery period has advanced to, and the lead).
CREATE INDEX deadlines_board_idx ON deadlines (kind, due_on)
    INCLUDE (case_id, case_reference, id, rule_id, action_id, support_ended_on)
    WHERE met_on IS NULL AND waived_at IS NULL;

DROP INDEX cases_stage_idx;
CREATE INDEX cases_stage_idx ON cases (stage, id DESC) INCLUDE (stage_advances_on, lead_coordinator);
