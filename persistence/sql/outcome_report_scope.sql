-- The outcome report's common scope, the first part of both of its statements
-- (outcome_report_people.sql and outcome_report_activity.sql follow it): every raw figure of
-- domain/src/report.rs comes out as tidy rows (measure, category, stat, n, value, key), where
-- key is the cell key of a count: the sum, modulo 2^32, of the record keys (cases.record_key) of
-- exactly the records it counts, each counted row adding its case's key (docs/disclosure-control.md).
-- The service runs the two statements at once, on two connections sharing one snapshot
-- (persistence/src/reports.rs); bench/report.sh runs the same text with psql for comparison.
--
-- $1 from, $2 to (London dates, inclusive), $3 as_at (the earlier of `to` and today),
-- $4 jurisdiction, $5 local_authority, $6 exploitation_type, $7 age_group ('adult' | 'child');
-- a filter not given is null. Without filters every case is in scope: the service plans with
-- the values (an unnamed statement), so the planner drops each `IN (SELECT id FROM scoped)`
-- test and never computes `scoped` where only the filters need it.
WITH
-- One row of facts per case, aggregated from the table itself (not from `ev`) so that the
-- planner can estimate it and join on it by hashing.
per_case AS MATERIALIZED (
    SELECT case_id,
           min(event_date) AS started_on,
           max(event_date) FILTER (WHERE type = 'case_closed' AND event_date < $1::date) AS closed_before,
           max(event_date) FILTER (WHERE type = 'case_reopened' AND event_date < $1::date) AS reopened_before,
           max(event_date) FILTER (WHERE type = 'case_closed' AND event_date <= $2::date) AS closed_by_end,
           max(event_date) FILTER (WHERE type = 'case_reopened' AND event_date <= $2::date) AS reopened_by_end,
           bool_or(type = 'case_reopened' AND event_date BETWEEN $1::date AND $2::date) AS reopened_in_period,
           max(event_date) FILTER (WHERE type = 'reasonable_grounds_decision' AND event_date <= $3::date) AS rg_on,
           max(event_date) FILTER (WHERE type = 'reasonable_grounds_decision' AND outcome = 'positive' AND event_date <= $3::date)
               AS positive_rg_on,
           max(event_date) FILTER (WHERE type IN ('conclusive_grounds_decision', 'disqualified') AND event_date <= $3::date)
               AS after_rg_on
    FROM (SELECT e.case_id, coalesce(e.replacement_type, e.type) AS type, e.event_date, e.outcome
          FROM case_events e
          WHERE (e.type <> 'correction' OR e.replacement_type IS NOT NULL)
            AND e.id NOT IN (SELECT s.supersedes FROM case_events s WHERE s.supersedes IS NOT NULL)) e
    GROUP BY case_id
),
-- The people in scope (the filters), with what the measures need to know of each.
scoped AS MATERIALIZED (
    SELECT * FROM (
        SELECT c.id, c.record_key AS rk, pc.started_on, c.exploitation_types, c.nationalities,
               (c.presumed_child OR CASE
                    -- age() counts whole years as domain/src/case.rs does: a 29 February birthday
                    -- falls on 1 March in other years.
                    WHEN c.date_of_birth IS NOT NULL THEN date_part('year', age(pc.started_on, c.date_of_birth)) < 18
                    WHEN c.birth_year IS NOT NULL THEN pc.started_on < make_date(c.birth_year + 18, 12, 31)
                    ELSE false END) AS child,
               -- Closed (and not reopened since, a reopening on the day of a closure coming after it)
               -- before the period began, unless reopened during it.
               pc.started_on <= $2::date
                   AND (pc.closed_before IS NULL OR pc.closed_before <= pc.reopened_before OR pc.reopened_in_period) AS supported,
               pc.started_on <= $2::date AND (pc.closed_by_end IS NULL OR pc.closed_by_end <= pc.reopened_by_end) AS open_at_end,
               pc.rg_on, pc.positive_rg_on = pc.rg_on AS rg_positive, pc.after_rg_on
        FROM cases c JOIN per_case pc ON pc.case_id = c.id
        WHERE ($4::text IS NULL OR c.jurisdiction = $4::text)
          AND ($5::text IS NULL OR c.local_authority = $5::text)
          AND ($6::text IS NULL OR $6::text = ANY (c.exploitation_types))
    ) s
    WHERE $7::text IS NULL OR s.child = ($7::text = 'child')
),
