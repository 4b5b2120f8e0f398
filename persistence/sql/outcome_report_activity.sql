-- Deadlines, needs, interventions, actions and outcomes (after outcome_report_scope.sql).
-- When support started, by case, on the effective timeline (the GP-access wait counts from it).
starts AS (
    SELECT e.case_id, e.event_date FROM case_events e
    WHERE coalesce(e.replacement_type, e.type) = 'support_started'
      AND e.id NOT IN (SELECT s.supersedes FROM case_events s WHERE s.supersedes IS NOT NULL)
),
dl AS MATERIALIZED (
    SELECT d.case_id, d.rule_id, d.due_on, d.met_on, d.waived_at IS NOT NULL AS waived
    FROM deadlines d
    WHERE d.kind = 'deadline' AND d.due_on BETWEEN $1::date AND $2::date AND (($4::text IS NULL AND $5::text IS NULL AND $6::text IS NULL AND $7::text IS NULL) OR d.case_id IN (SELECT id FROM scoped))
),
gp AS (
    SELECT g.due_on, g.met_on, g.met_on - max(ss.event_date) AS days
    FROM dl g LEFT JOIN starts ss ON ss.case_id = g.case_id AND ss.event_date <= g.due_on
    WHERE g.rule_id = 'gp_access' AND NOT g.waived
    GROUP BY g.case_id, g.due_on, g.met_on
),
nd AS (
    SELECT n.domain, n.status, n.met_on - n.identified_on AS days
    FROM needs n
    WHERE n.identified_on BETWEEN $1::date AND $2::date AND (($4::text IS NULL AND $5::text IS NULL AND $6::text IS NULL AND $7::text IS NULL) OR n.case_id IN (SELECT id FROM scoped))
),
-- One pass over the period's interventions (an index-only scan of interventions_report_idx),
-- hashed two ways at once: by case and counterpart (channel null), and by channel (case null).
iv_groups AS MATERIALIZED (
    SELECT i.case_id, i.counterpart_agency_id, i.channel, count(*) AS n
    FROM interventions i
    WHERE i.occurred_at >= ($1::date)::timestamp AT TIME ZONE 'Europe/London'
      AND i.occurred_at < ($2::date + 1)::timestamp AT TIME ZONE 'Europe/London'
      AND (($4::text IS NULL AND $5::text IS NULL AND $6::text IS NULL AND $7::text IS NULL) OR i.case_id IN (SELECT id FROM scoped))
    GROUP BY GROUPING SETS ((i.case_id, i.counterpart_agency_id), (i.channel))
),
per_case_iv AS (
    SELECT case_id, sum(n) AS n, count(*) AS agencies FROM iv_groups WHERE case_id IS NOT NULL GROUP BY case_id
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
SELECT 'nrm.rg_timeliness'::text AS measure, NULL::text AS category, x.stat, x.n, NULL::float8 AS value
FROM (SELECT count(*) FILTER (WHERE met_on <= due_on) AS within, count(*) FILTER (WHERE met_on > due_on) AS later
      FROM deadlines d
      WHERE d.rule_id = 'rg_decision_expected' AND d.waived_at IS NULL AND d.met_on BETWEEN $1::date AND $2::date
        AND (($4::text IS NULL AND $5::text IS NULL AND $6::text IS NULL AND $7::text IS NULL) OR d.case_id IN (SELECT id FROM scoped))) t
CROSS JOIN LATERAL (VALUES ('within_5_working_days', t.within), ('later', t.later)) AS x(stat, n)
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
SELECT 'deadlines.support_ended_early', e.rule_id, x.stat, x.n, NULL
FROM (SELECT d.rule_id,
             count(*) FILTER (WHERE d.support_ended_on IS NOT NULL) AS ended,
             count(*) FILTER (WHERE d.support_ended_on IS NULL) AS kept
      FROM deadlines d
      WHERE d.kind = 'milestone' AND d.due_on BETWEEN $1::date AND $2::date
        AND (($4::text IS NULL AND $5::text IS NULL AND $6::text IS NULL AND $7::text IS NULL) OR d.case_id IN (SELECT id FROM scoped))
      GROUP BY d.rule_id) e
CROSS JOIN LATERAL (VALUES ('ended_early', e.ended), ('kept', e.kept)) AS x(stat, n)
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
SELECT 'interventions.by_channel', x.channel, CASE WHEN x.channel IS NULL THEN 'total' ELSE 'count' END,
       coalesce(CASE WHEN x.channel IS NULL THEN (SELECT sum(n) FROM iv_groups WHERE case_id IS NULL) ELSE g.n END, 0)::bigint, NULL
FROM (VALUES (NULL), ('phone_call'), ('email'), ('meeting'), ('video_call'), ('text_message'), ('letter'), ('visit'), ('other')) AS x(channel)
LEFT JOIN iv_groups g ON g.case_id IS NULL AND g.channel = x.channel
UNION ALL
SELECT 'interventions.by_counterpart_kind', a.kind, CASE WHEN grouping(a.kind) = 1 THEN 'total' ELSE 'count' END,
       coalesce(sum(g.n), 0)::bigint, NULL
FROM iv_groups g JOIN agencies a ON a.id = g.counterpart_agency_id AND g.channel IS NULL
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
