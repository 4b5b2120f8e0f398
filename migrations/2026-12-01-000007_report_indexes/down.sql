DROP INDEX IF EXISTS case_events_supersedes_idx;
DROP INDEX IF EXISTS interventions_report_idx;
