-- The outcome report: every raw figure of domain/src/report.rs, as tidy rows
-- (measure, category, stat, n, value), in one statement so that all figures come from one snapshot.
-- The service runs exactly this text; bench/report.sh runs it with psql for comparison.
--
-- $1 from, $2 to (London dates, inclusive), $3 as_at (the earlier of `to` and today),
-- $4 jurisdiction, $5 local_authority, $6 exploitation_type, $7 age_group ('adult' | 'child');
-- a filter not given is null.
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
        SELECT c.id, pc.started_on, c.exploitation_types, c.nationalities,
               (c.presumed_child OR CASE
                    WHEN c.date_of_birth IS NOT NULL THEN pc.started_on < c.date_of_birth + interval '18 years'
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
people AS (
    SELECT * FROM scoped
),
-- The effective timeline of the cases in scope: events no correction supersedes, corrections
-- standing in for what they replaced (a withdrawal, with no replacement, stands for nothing).
-- Without filters every case is in scope, and the planner (planning with the values, see
-- reports.rs) drops the test.
sev AS MATERIALIZED (
    SELECT e.case_id, e.seq, coalesce(e.replacement_type, e.type) AS type, e.event_date, e.outcome, e.closure_reason
    FROM case_events e
    WHERE (e.type <> 'correction' OR e.replacement_type IS NOT NULL)
      AND e.id NOT IN (SELECT s.supersedes FROM case_events s WHERE s.supersedes IS NOT NULL)
      AND (($4::text IS NULL AND $5::text IS NULL AND $6::text IS NULL AND $7::text IS NULL) OR e.case_id IN (SELECT id FROM scoped))
),
-- Days since the case's latest referral and latest RG decision, at each decision (a window,
-- not a self-join: the latest on or before it, in date order).
waits AS (
    SELECT type, event_date,
           event_date - max(event_date) FILTER (WHERE type = 'nrm_referral_submitted') OVER w AS since_referral,
           event_date - max(event_date) FILTER (WHERE type = 'reasonable_grounds_decision') OVER w AS since_rg
    FROM sev
    WHERE type IN ('nrm_referral_submitted', 'reasonable_grounds_decision', 'conclusive_grounds_decision')
    WINDOW w AS (PARTITION BY case_id
                 ORDER BY event_date, CASE type WHEN 'nrm_referral_submitted' THEN 0 WHEN 'reasonable_grounds_decision' THEN 1 ELSE 2 END, seq
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
rg_waits AS (
    SELECT since_referral AS days FROM waits
    WHERE type = 'reasonable_grounds_decision' AND event_date BETWEEN $1::date AND $2::date AND since_referral IS NOT NULL
),
cg_waits AS (
    SELECT since_rg AS days FROM waits
    WHERE type = 'conclusive_grounds_decision' AND event_date BETWEEN $1::date AND $2::date AND since_rg IS NOT NULL
),
decisions AS (
    SELECT case_id, type, event_date, outcome FROM sev
    WHERE type IN ('reasonable_grounds_decision', 'conclusive_grounds_decision')
),
dl AS MATERIALIZED (
    SELECT d.case_id, d.rule_id, d.due_on, d.met_on, d.waived_at IS NOT NULL AS waived
    FROM deadlines d
    WHERE d.kind = 'deadline' AND d.due_on BETWEEN $1::date AND $2::date AND (($4::text IS NULL AND $5::text IS NULL AND $6::text IS NULL AND $7::text IS NULL) OR d.case_id IN (SELECT id FROM scoped))
),
gp AS (
    SELECT g.due_on, g.met_on, g.met_on - max(ss.event_date) AS days
    FROM dl g LEFT JOIN sev ss ON ss.case_id = g.case_id AND ss.type = 'support_started' AND ss.event_date <= g.due_on
    WHERE g.rule_id = 'gp_access' AND NOT g.waived
    GROUP BY g.case_id, g.due_on, g.met_on
),
nd AS (
    SELECT n.domain, n.status, n.met_on - n.identified_on AS days
    FROM needs n
    WHERE n.identified_on BETWEEN $1::date AND $2::date AND (($4::text IS NULL AND $5::text IS NULL AND $6::text IS NULL AND $7::text IS NULL) OR n.case_id IN (SELECT id FROM scoped))
),
iv AS MATERIALIZED (
    SELECT i.case_id, i.channel, i.counterpart_agency_id
    FROM interventions i
    WHERE i.occurred_at >= ($1::date)::timestamp AT TIME ZONE 'Europe/London'
      AND i.occurred_at < ($2::date + 1)::timestamp AT TIME ZONE 'Europe/London'
      AND (($4::text IS NULL AND $5::text IS NULL AND $6::text IS NULL AND $7::text IS NULL) OR i.case_id IN (SELECT id FROM scoped))
),
-- One pass over the period's interventions: counts by case and counterpart, and by channel.
iv_groups AS MATERIALIZED (
    SELECT case_id, counterpart_agency_id, count(*) AS n,
           count(*) FILTER (WHERE channel = 'phone_call') AS phone_call,
           count(*) FILTER (WHERE channel = 'email') AS email,
           count(*) FILTER (WHERE channel = 'meeting') AS meeting,
           count(*) FILTER (WHERE channel = 'video_call') AS video_call,
           count(*) FILTER (WHERE channel = 'text_message') AS text_message,
           count(*) FILTER (WHERE channel = 'letter') AS letter,
           count(*) FILTER (WHERE channel = 'visit') AS visit,
           count(*) FILTER (WHERE channel = 'other') AS other
    FROM iv GROUP BY case_id, counterpart_agency_id
),
per_case_iv AS (
    SELECT case_id, sum(n) AS n, count(*) AS agencies FROM iv_groups GROUP BY case_id
),
ac AS (
    SELECT a.status, a.due_on, a.closed_on FROM actions a
    WHERE a.due_on BETWEEN $1::date AND $2::date AND (($4::text IS NULL AND $5::text IS NULL AND $6::text IS NULL AND $7::text IS NULL) OR a.case_id IN (SELECT id FROM scoped))
),
oc AS (
    SELECT o.case_id, o.outcome,
           o.outcome NOT IN ('re_exploited', 'lost_contact', 'detained', 'removed') AS core
    FROM outcomes o
    WHERE o.achieved_on BETWEEN $1::date AND $2::date AND (($4::text IS NULL AND $5::text IS NULL AND $6::text IS NULL AND $7::text IS NULL) OR o.case_id IN (SELECT id FROM scoped))
)
SELECT x.measure, NULL::text AS category, 'count'::text AS stat, x.n, NULL::float8 AS value
FROM (SELECT count(*) FILTER (WHERE started_on BETWEEN $1::date AND $2::date) AS new,
             count(*) FILTER (WHERE supported) AS supported,
             count(*) FILTER (WHERE open_at_end) AS open_at_end
      FROM people) p
CROSS JOIN LATERAL (VALUES ('caseload.new', p.new), ('caseload.supported', p.supported), ('caseload.open_at_end', p.open_at_end))
    AS x(measure, n)
UNION ALL
SELECT 'caseload.closed_by_reason', closure_reason, CASE WHEN grouping(closure_reason) = 1 THEN 'total' ELSE 'count' END,
       count(*), NULL
FROM sev WHERE type = 'case_closed' AND event_date BETWEEN $1::date AND $2::date
GROUP BY GROUPING SETS ((closure_reason), ())
UNION ALL
SELECT 'people.exploitation_type', t, 'count', count(*), NULL
FROM people, unnest(exploitation_types) AS t WHERE supported GROUP BY t
UNION ALL
SELECT m, category, CASE WHEN category IS NULL THEN 'total' ELSE 'count' END, n, NULL
FROM (
    SELECT 'people.exploitation_type' AS m, NULL::text AS category, count(*) AS n FROM people WHERE supported
    UNION ALL
    SELECT 'people.age_group', CASE WHEN grouping(child) = 1 THEN NULL WHEN child THEN 'child' ELSE 'adult' END, count(*)
    FROM people WHERE supported GROUP BY GROUPING SETS ((child), ())
    UNION ALL
    SELECT 'people.nationality', nat, count(*)
    FROM (SELECT CASE WHEN 'GB' = ANY (nationalities) THEN 'uk' WHEN cardinality(nationalities) = 0 THEN 'not_recorded'
                      ELSE 'non_uk' END AS nat
          FROM people WHERE supported) q
    GROUP BY GROUPING SETS ((nat), ())
) profile
UNION ALL
SELECT x.measure, NULL, 'count', x.n, NULL
FROM (SELECT count(*) FILTER (WHERE type = 'nrm_referral_submitted') AS referrals,
             count(*) FILTER (WHERE type = 'duty_to_notify_submitted') AS dtn
      FROM sev WHERE type IN ('nrm_referral_submitted', 'duty_to_notify_submitted') AND event_date BETWEEN $1::date AND $2::date) f
CROSS JOIN LATERAL (VALUES ('nrm.referrals', f.referrals), ('nrm.duty_to_notify', f.dtn)) AS x(measure, n)
UNION ALL
SELECT CASE type WHEN 'reasonable_grounds_decision' THEN 'nrm.rg_decisions' ELSE 'nrm.cg_decisions' END, outcome,
       CASE WHEN grouping(outcome) = 1 THEN 'total' ELSE 'count' END, count(case_id), NULL
FROM (SELECT t.type, d.outcome, d.case_id
      FROM (VALUES ('reasonable_grounds_decision'), ('conclusive_grounds_decision')) t(type)
      LEFT JOIN decisions d ON d.type = t.type AND d.event_date BETWEEN $1::date AND $2::date) q
GROUP BY GROUPING SETS ((type, outcome), (type))
HAVING grouping(outcome) = 1 OR outcome IS NOT NULL
UNION ALL
SELECT 'nrm.rg_timeliness', NULL, x.stat, x.n, NULL
FROM (SELECT count(*) FILTER (WHERE met_on <= due_on) AS within, count(*) FILTER (WHERE met_on > due_on) AS later
      FROM deadlines d
      WHERE d.rule_id = 'rg_decision_expected' AND d.waived_at IS NULL AND d.met_on BETWEEN $1::date AND $2::date
        AND (($4::text IS NULL AND $5::text IS NULL AND $6::text IS NULL AND $7::text IS NULL) OR d.case_id IN (SELECT id FROM scoped))) t
CROSS JOIN LATERAL (VALUES ('within_5_working_days', t.within), ('later', t.later)) AS x(stat, n)
UNION ALL
SELECT m, NULL, x.stat, x.n, x.value
FROM (SELECT 'nrm.days_referral_to_rg' AS m, count(*) AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS median,
             percentile_cont(0.9) WITHIN GROUP (ORDER BY days) AS p90 FROM rg_waits
      UNION ALL
      SELECT 'nrm.days_rg_to_cg', count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY days),
             percentile_cont(0.9) WITHIN GROUP (ORDER BY days) FROM cg_waits) w
CROSS JOIN LATERAL (VALUES ('count', w.n, NULL::float8), ('median_days', w.n, w.median), ('p90_days', w.n, w.p90)) AS x(stat, n, value)
UNION ALL
SELECT 'nrm.awaiting_cg_over_a_year', NULL, 'count', count(*), NULL
FROM scoped
WHERE open_at_end AND rg_positive AND rg_on <= $3::date - 365 AND (after_rg_on IS NULL OR after_rg_on < rg_on)
UNION ALL
SELECT 'deadlines.by_rule', r.rule_id, x.stat, x.n, NULL
FROM (SELECT rule_id,
             count(*) FILTER (WHERE NOT waived AND met_on <= due_on) AS met,
             count(*) FILTER (WHERE NOT waived AND (met_on > due_on OR (met_on IS NULL AND $3::date > due_on))) AS missed,
             count(*) FILTER (WHERE waived) AS waived,
             count(*) FILTER (WHERE NOT waived AND met_on IS NULL AND $3::date <= due_on) AS open
      FROM dl GROUP BY rule_id) r
CROSS JOIN LATERAL (VALUES ('met', r.met), ('missed', r.missed), ('waived', r.waived), ('open', r.open)) AS x(stat, n)
UNION ALL
SELECT 'deadlines.gp_access', NULL, x.stat, x.n, x.value
FROM (SELECT count(*) FILTER (WHERE met_on <= due_on) AS within,
             count(*) FILTER (WHERE met_on > due_on) AS later,
             count(*) FILTER (WHERE met_on IS NULL AND $3::date > due_on) AS not_met,
             count(*) FILTER (WHERE met_on IS NULL AND $3::date <= due_on) AS open,
             count(days) AS n_days,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS median
      FROM gp) g
CROSS JOIN LATERAL (VALUES ('within_10_days', g.within, NULL::float8), ('later', g.later, NULL), ('not_met', g.not_met, NULL),
                           ('open', g.open, NULL), ('median_days', g.n_days, g.median)) AS x(stat, n, value)
UNION ALL
SELECT 'needs.by_domain', q.domain, x.stat, x.n, x.value
FROM (SELECT domain,
             count(*) FILTER (WHERE status = 'met') AS met,
             count(*) FILTER (WHERE status = 'not_met') AS not_met,
             count(*) FILTER (WHERE status = 'withdrawn') AS withdrawn,
             count(*) FILTER (WHERE status = 'open') AS open,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY days) FILTER (WHERE status = 'met') AS median,
             percentile_cont(0.9) WITHIN GROUP (ORDER BY days) FILTER (WHERE status = 'met') AS p90
      FROM nd GROUP BY domain) q
CROSS JOIN LATERAL (VALUES ('met', q.met, NULL::float8), ('not_met', q.not_met, NULL), ('withdrawn', q.withdrawn, NULL),
                           ('open', q.open, NULL), ('median_days', q.met, q.median), ('p90_days', q.met, q.p90)) AS x(stat, n, value)
UNION ALL
SELECT 'interventions.by_channel', x.channel, CASE WHEN x.channel IS NULL THEN 'total' ELSE 'count' END, x.n, NULL
FROM (SELECT coalesce(sum(n), 0)::bigint AS total, coalesce(sum(phone_call), 0)::bigint AS phone_call,
             coalesce(sum(email), 0)::bigint AS email, coalesce(sum(meeting), 0)::bigint AS meeting,
             coalesce(sum(video_call), 0)::bigint AS video_call, coalesce(sum(text_message), 0)::bigint AS text_message,
             coalesce(sum(letter), 0)::bigint AS letter, coalesce(sum(visit), 0)::bigint AS visit,
             coalesce(sum(other), 0)::bigint AS other
      FROM iv_groups) g
CROSS JOIN LATERAL (VALUES (NULL, g.total), ('phone_call', g.phone_call), ('email', g.email), ('meeting', g.meeting),
                           ('video_call', g.video_call), ('text_message', g.text_message), ('letter', g.letter),
                           ('visit', g.visit), ('other', g.other)) AS x(channel, n)
UNION ALL
SELECT 'interventions.by_counterpart_kind', a.kind, CASE WHEN grouping(a.kind) = 1 THEN 'total' ELSE 'count' END,
       coalesce(sum(g.n), 0)::bigint, NULL
FROM iv_groups g JOIN agencies a ON a.id = g.counterpart_agency_id
GROUP BY GROUPING SETS ((a.kind), ())
UNION ALL
SELECT x.measure, NULL, x.stat, x.n, x.value
FROM (SELECT count(*) AS cases, avg(n)::float8 AS mean_n, percentile_cont(0.5) WITHIN GROUP (ORDER BY n) AS median_n,
             avg(agencies)::float8 AS mean_a, percentile_cont(0.5) WITHIN GROUP (ORDER BY agencies) AS median_a
      FROM per_case_iv) c
CROSS JOIN LATERAL (VALUES ('interventions.per_case', 'count', c.cases, NULL::float8),
                           ('interventions.per_case', 'mean', c.cases, c.mean_n),
                           ('interventions.per_case', 'median', c.cases, c.median_n),
                           ('interventions.agencies_per_case', 'count', c.cases, NULL),
                           ('interventions.agencies_per_case', 'mean', c.cases, c.mean_a),
                           ('interventions.agencies_per_case', 'median', c.cases, c.median_a)) AS x(measure, stat, n, value)
UNION ALL
SELECT 'actions.by_due_date', NULL, x.stat, x.n, NULL
FROM (SELECT count(*) FILTER (WHERE status = 'done' AND closed_on <= due_on) AS on_time,
             count(*) FILTER (WHERE status = 'done' AND closed_on > due_on) AS late,
             count(*) FILTER (WHERE status = 'open' AND $3::date > due_on) AS overdue,
             count(*) FILTER (WHERE status = 'open' AND $3::date <= due_on) AS not_yet_due,
             count(*) FILTER (WHERE status = 'cancelled') AS cancelled
      FROM ac) a
CROSS JOIN LATERAL (VALUES ('done_by_due_date', a.on_time), ('done_late', a.late), ('overdue', a.overdue),
                           ('not_yet_due', a.not_yet_due), ('cancelled', a.cancelled)) AS x(stat, n)
UNION ALL
SELECT CASE WHEN core THEN 'outcomes.core' ELSE 'outcomes.adverse' END, outcome,
       CASE WHEN grouping(outcome) = 1 THEN 'total' ELSE 'count' END, count(DISTINCT case_id), NULL
FROM (SELECT * FROM oc UNION ALL SELECT NULL, NULL, k FROM (VALUES (true), (false)) v(k)) o
GROUP BY GROUPING SETS ((core, outcome), (core))
HAVING grouping(outcome) = 1 OR outcome IS NOT NULL
