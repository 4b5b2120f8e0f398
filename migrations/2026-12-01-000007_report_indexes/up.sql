-- Indexes for the outcome report (persistence/sql/outcome_report_*.sql) at national scale.
-- A year of interventions is read by an index-only scan instead of the whole table: the
-- report needs only these four columns of each. New rows arrive in time order, so the index
-- grows at its right edge and costs the logging path little.
CREATE INDEX interventions_report_idx ON interventions (occurred_at) INCLUDE (case_id, counterpart_agency_id, channel);
-- Which events a correction supersedes: looked up on every report (and few rows are corrections).
CREATE INDEX case_events_supersedes_idx ON case_events (supersedes) WHERE supersedes IS NOT NULL;
