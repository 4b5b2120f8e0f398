-- The outcome report: every raw figure of domain/src/report.rs, as tidy rows
-- (measure, category, stat, n, value), in one statement so that all figures come from one snapshot.
-- The service runs exactly this text; bench/report.sh runs it with psql for comparison.
--
-- $1 from, $2 to (London dates, inclusive), $3 as_at (the earlier of `to` and today),
-- $4 jurisdiction, $5 local_authority, $6 exploitation_type, $7 age_group ('adult' | 'child');
-- a filter not given is null.
WITH
-- The effective timeline: events no correction supersedes, corrections standing in for what they
-- replaced (a withdrawal, with no replacement, stands for nothing).
ev AS MATERIALIZED (
    SELECT e.case_id, e.seq, coalesce(e.replacement_type, e.type) AS type, e.event_date, e.outcome, e.closure_reason
    FROM case_events e
    WHERE (e.type <> 'correction' OR e.replacement_type IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM case_events s WHERE s.supersedes = e.id)
),
started AS (
    SELECT case_id, min(event_date) AS started_on FROM ev GROUP BY case_id
),
scoped AS MATERIALIZED (
    SELECT * FROM (
        SELECT c.id, st.started_on, c.exploitation_types, c.nationalities,
               (c.presumed_child OR CASE
                    WHEN c.date_of_birth IS NOT NULL THEN st.started_on < c.date_of_birth + interval '18 years'
                    WHEN c.birth_year IS NOT NULL THEN st.started_on < make_date(c.birth_year + 18, 12, 31)
                    ELSE false END) AS child
        FROM cases c JOIN started st ON st.case_id = c.id
        WHERE ($4::text IS NULL OR c.jurisdiction = $4::text)
          AND ($5::text IS NULL OR c.local_authority = $5::text)
          AND ($6::text IS NULL OR $6::text = ANY (c.exploitation_types))
    ) s
    WHERE $7::text IS NULL OR s.child = ($7::text = 'child')
),
sev AS MATERIALIZED (
    SELECT ev.* FROM ev JOIN scoped s ON s.id = ev.case_id
),
closures AS (
    SELECT case_id,
           (array_agg(type ORDER BY event_date DESC, seq DESC) FILTER (WHERE event_date < $1::date))[1] AS before_period,
           (array_agg(type ORDER BY event_date DESC, seq DESC) FILTER (WHERE event_date <= $2::date))[1] AS at_end,
           bool_or(type = 'case_reopened' AND event_date BETWEEN $1::date AND $2::date) AS reopened_in_period
    FROM sev WHERE type IN ('case_closed', 'case_reopened')
    GROUP BY case_id
),
people AS MATERIALIZED (
    SELECT s.*,
           s.started_on <= $2::date AND (coalesce(c.before_period, '') <> 'case_closed' OR coalesce(c.reopened_in_period, false))
               AS supported,
           s.started_on <= $2::date AND coalesce(c.at_end, '') <> 'case_closed' AS open_at_end
    FROM scoped s LEFT JOIN closures c ON c.case_id = s.id
),
decisions AS (
    SELECT case_id, seq, type, event_date, outcome FROM sev
    WHERE type IN ('nrm_referral_submitted', 'reasonable_grounds_decision', 'conclusive_grounds_decision', 'disqualified')
),
rg_waits AS (
    SELECT rg.event_date - max(r.event_date) AS days
    FROM decisions rg JOIN decisions r ON r.case_id = rg.case_id AND r.type = 'nrm_referral_submitted' AND r.event_date <= rg.event_date
    WHERE rg.type = 'reasonable_grounds_decision' AND rg.event_date BETWEEN $1::date AND $2::date
    GROUP BY rg.case_id, rg.seq, rg.event_date
),
cg_waits AS (
    SELECT cg.event_date - max(r.event_date) AS days
    FROM decisions cg JOIN decisions r ON r.case_id = cg.case_id AND r.type = 'reasonable_grounds_decision' AND r.event_date <= cg.event_date
    WHERE cg.type = 'conclusive_grounds_decision' AND cg.event_date BETWEEN $1::date AND $2::date
    GROUP BY cg.case_id, cg.seq, cg.event_date
),
latest_decisions AS (
    SELECT case_id,
           max(event_date) FILTER (WHERE type = 'reasonable_grounds_decision') AS rg_on,
           (array_agg(outcome ORDER BY event_date DESC, seq DESC) FILTER (WHERE type = 'reasonable_grounds_decision'))[1] AS rg_outcome,
           max(event_date) FILTER (WHERE type IN ('conclusive_grounds_decision', 'disqualified')) AS after_rg_on
    FROM decisions WHERE event_date <= $3::date
    GROUP BY case_id
),
dl AS MATERIALIZED (
    SELECT d.case_id, d.rule_id, d.due_on, d.met_on, d.waived_at IS NOT NULL AS waived
    FROM deadlines d JOIN scoped s ON s.id = d.case_id
    WHERE d.kind = 'deadline' AND d.due_on BETWEEN $1::date AND $2::date
),
gp AS (
    SELECT g.due_on, g.met_on, g.met_on - max(ss.event_date) AS days
    FROM dl g LEFT JOIN sev ss ON ss.case_id = g.case_id AND ss.type = 'support_started' AND ss.event_date <= g.due_on
    WHERE g.rule_id = 'gp_access' AND NOT g.waived
    GROUP BY g.case_id, g.due_on, g.met_on
),
nd AS (
    SELECT n.domain, n.status, n.met_on - n.identified_on AS days
    FROM needs n JOIN scoped s ON s.id = n.case_id
    WHERE n.identified_on BETWEEN $1::date AND $2::date
),
iv AS MATERIALIZED (
    SELECT i.case_id, i.channel, i.counterpart_agency_id
    FROM interventions i JOIN scoped s ON s.id = i.case_id
    WHERE i.occurred_at >= ($1::date)::timestamp AT TIME ZONE 'Europe/London'
      AND i.occurred_at < ($2::date + 1)::timestamp AT TIME ZONE 'Europe/London'
),
per_case AS (
    SELECT case_id, sum(n) AS n, count(*) AS agencies
    FROM (SELECT case_id, counterpart_agency_id, count(*) AS n FROM iv GROUP BY case_id, counterpart_agency_id) x
    GROUP BY case_id
),
ac AS (
    SELECT a.status, a.due_on, a.closed_on FROM actions a JOIN scoped s ON s.id = a.case_id
    WHERE a.due_on BETWEEN $1::date AND $2::date
),
oc AS (
    SELECT o.case_id, o.outcome,
           o.outcome NOT IN ('re_exploited', 'lost_contact', 'detained', 'removed') AS core
    FROM outcomes o JOIN scoped s ON s.id = o.case_id
    WHERE o.achieved_on BETWEEN $1::date AND $2::date
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
      FROM deadlines d JOIN scoped s ON s.id = d.case_id
      WHERE d.rule_id = 'rg_decision_expected' AND d.waived_at IS NULL AND d.met_on BETWEEN $1::date AND $2::date) t
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
FROM latest_decisions l JOIN people p ON p.id = l.case_id
WHERE p.open_at_end AND l.rg_outcome = 'positive' AND l.rg_on <= $3::date - 365
  AND (l.after_rg_on IS NULL OR l.after_rg_on < l.rg_on)
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
SELECT 'interventions.by_channel', channel, CASE WHEN grouping(channel) = 1 THEN 'total' ELSE 'count' END, count(*), NULL
FROM iv GROUP BY GROUPING SETS ((channel), ())
UNION ALL
SELECT 'interventions.by_counterpart_kind', a.kind, CASE WHEN grouping(a.kind) = 1 THEN 'total' ELSE 'count' END, count(*), NULL
FROM iv JOIN agencies a ON a.id = iv.counterpart_agency_id
GROUP BY GROUPING SETS ((a.kind), ())
UNION ALL
SELECT x.measure, NULL, x.stat, x.n, x.value
FROM (SELECT count(*) AS cases, avg(n)::float8 AS mean_n, percentile_cont(0.5) WITHIN GROUP (ORDER BY n) AS median_n,
             avg(agencies)::float8 AS mean_a, percentile_cont(0.5) WITHIN GROUP (ORDER BY agencies) AS median_a
      FROM per_case) c
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
