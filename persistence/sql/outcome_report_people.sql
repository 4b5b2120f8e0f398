-- Caseload, the people supported and the NRM flow (after outcome_report_scope.sql).
-- The effective timeline of the cases in scope: events no correction supersedes, corrections
-- standing in for what they replaced (a withdrawal, with no replacement, stands for nothing).
-- Without filters every case is in scope, and the planner (planning with the values, see
-- reports.rs) drops the test.
sev AS MATERIALIZED (
    SELECT e.case_id, c.record_key AS rk, e.seq, coalesce(e.replacement_type, e.type) AS type, e.event_date, e.outcome, e.closure_reason
    FROM case_events e JOIN cases c ON c.id = e.case_id
    WHERE (e.type <> 'correction' OR e.replacement_type IS NOT NULL)
      AND e.id NOT IN (SELECT s.supersedes FROM case_events s WHERE s.supersedes IS NOT NULL)
      AND (($4::text IS NULL AND $5::text IS NULL AND $6::text IS NULL AND $7::text IS NULL) OR e.case_id IN (SELECT id FROM scoped))
),
-- Days since the case's latest referral and latest RG decision, at each decision (a window,
-- not a self-join: the latest on or before it, in date order).
waits AS (
    SELECT type, event_date, rk,
           event_date - max(event_date) FILTER (WHERE type = 'nrm_referral_submitted') OVER w AS since_referral,
           event_date - max(event_date) FILTER (WHERE type = 'reasonable_grounds_decision') OVER w AS since_rg
    FROM sev
    WHERE type IN ('nrm_referral_submitted', 'reasonable_grounds_decision', 'conclusive_grounds_decision')
      AND case_id IN (SELECT case_id FROM sev WHERE type IN ('reasonable_grounds_decision', 'conclusive_grounds_decision')
                                                AND event_date BETWEEN $1::date AND $2::date)
    WINDOW w AS (PARTITION BY case_id
                 ORDER BY event_date, CASE type WHEN 'nrm_referral_submitted' THEN 0 WHEN 'reasonable_grounds_decision' THEN 1 ELSE 2 END, seq
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
rg_waits AS (
    SELECT since_referral AS days, rk FROM waits
    WHERE type = 'reasonable_grounds_decision' AND event_date BETWEEN $1::date AND $2::date AND since_referral IS NOT NULL
),
cg_waits AS (
    SELECT since_rg AS days, rk FROM waits
    WHERE type = 'conclusive_grounds_decision' AND event_date BETWEEN $1::date AND $2::date AND since_rg IS NOT NULL
),
decisions AS (
    SELECT case_id, rk, type, event_date, outcome FROM sev
    WHERE type IN ('reasonable_grounds_decision', 'conclusive_grounds_decision')
),
-- The figures, each count with the sum of its records' keys (made a cell key below).
figures AS (
    SELECT x.measure, NULL::text AS category, 'count'::text AS stat, x.n, NULL::float8 AS value, x.k AS key
    FROM (SELECT count(*) FILTER (WHERE started_on BETWEEN $1::date AND $2::date) AS new,
                 sum(rk) FILTER (WHERE started_on BETWEEN $1::date AND $2::date) AS new_k,
                 count(*) FILTER (WHERE supported) AS supported,
                 sum(rk) FILTER (WHERE supported) AS supported_k,
                 count(*) FILTER (WHERE open_at_end) AS open_at_end,
                 sum(rk) FILTER (WHERE open_at_end) AS open_at_end_k
          FROM scoped) p
    CROSS JOIN LATERAL (VALUES ('caseload.new', p.new, p.new_k), ('caseload.supported', p.supported, p.supported_k),
                               ('caseload.open_at_end', p.open_at_end, p.open_at_end_k))
        AS x(measure, n, k)
    UNION ALL
    SELECT 'caseload.closed_by_reason', closure_reason, CASE WHEN grouping(closure_reason) = 1 THEN 'total' ELSE 'count' END,
           count(*), NULL, sum(rk)
    FROM sev WHERE type = 'case_closed' AND event_date BETWEEN $1::date AND $2::date
    GROUP BY GROUPING SETS ((closure_reason), ())
    UNION ALL
    SELECT 'people.exploitation_type', t, 'count', count(*), NULL, sum(rk)
    FROM scoped, unnest(exploitation_types) AS t WHERE supported GROUP BY t
    UNION ALL
    SELECT m, category, CASE WHEN category IS NULL THEN 'total' ELSE 'count' END, n, NULL, k
    FROM (
        SELECT 'people.exploitation_type' AS m, NULL::text AS category, count(*) AS n, sum(rk) AS k FROM scoped WHERE supported
        UNION ALL
        SELECT 'people.age_group', CASE WHEN grouping(child) = 1 THEN NULL WHEN child THEN 'child' ELSE 'adult' END, count(*), sum(rk)
        FROM scoped WHERE supported GROUP BY GROUPING SETS ((child), ())
        UNION ALL
        SELECT 'people.nationality', nat, count(*), sum(rk)
        FROM (SELECT CASE WHEN 'GB' = ANY (nationalities) THEN 'uk' WHEN cardinality(nationalities) = 0 THEN 'not_recorded'
                          ELSE 'non_uk' END AS nat, rk
              FROM scoped WHERE supported) q
        GROUP BY GROUPING SETS ((nat), ())
    ) profile
    UNION ALL
    SELECT x.measure, NULL, 'count', x.n, NULL, x.k
    FROM (SELECT count(*) FILTER (WHERE type = 'nrm_referral_submitted') AS referrals,
                 sum(rk) FILTER (WHERE type = 'nrm_referral_submitted') AS referrals_k,
                 count(*) FILTER (WHERE type = 'duty_to_notify_submitted') AS dtn,
                 sum(rk) FILTER (WHERE type = 'duty_to_notify_submitted') AS dtn_k
          FROM sev WHERE type IN ('nrm_referral_submitted', 'duty_to_notify_submitted') AND event_date BETWEEN $1::date AND $2::date) f
    CROSS JOIN LATERAL (VALUES ('nrm.referrals', f.referrals, f.referrals_k), ('nrm.duty_to_notify', f.dtn, f.dtn_k)) AS x(measure, n, k)
    UNION ALL
    SELECT CASE type WHEN 'reasonable_grounds_decision' THEN 'nrm.rg_decisions' ELSE 'nrm.cg_decisions' END, outcome,
           CASE WHEN grouping(outcome) = 1 THEN 'total' ELSE 'count' END, count(case_id), NULL, sum(rk)
    FROM (SELECT t.type, d.outcome, d.case_id, d.rk
          FROM (VALUES ('reasonable_grounds_decision'), ('conclusive_grounds_decision')) t(type)
          LEFT JOIN decisions d ON d.type = t.type AND d.event_date BETWEEN $1::date AND $2::date) q
    GROUP BY GROUPING SETS ((type, outcome), (type))
    HAVING grouping(outcome) = 1 OR outcome IS NOT NULL
    UNION ALL
    SELECT m, NULL, x.stat, x.n, x.value, x.k
    FROM (SELECT 'nrm.days_referral_to_rg' AS m, count(*) AS n, sum(rk) AS k, percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS median,
                 percentile_cont(0.9) WITHIN GROUP (ORDER BY days) AS p90 FROM rg_waits
          UNION ALL
          SELECT 'nrm.days_rg_to_cg', count(*), sum(rk), percentile_cont(0.5) WITHIN GROUP (ORDER BY days),
                 percentile_cont(0.9) WITHIN GROUP (ORDER BY days) FROM cg_waits) w
    CROSS JOIN LATERAL (VALUES ('count', w.n, NULL::float8, w.k), ('median_days', w.n, w.median, w.k), ('p90_days', w.n, w.p90, w.k))
        AS x(stat, n, value, k)
    UNION ALL
    SELECT 'nrm.awaiting_cg_over_a_year', NULL, 'count', count(*), NULL, sum(rk)
    FROM scoped
    WHERE open_at_end AND rg_positive AND rg_on <= $3::date - 365 AND (after_rg_on IS NULL OR after_rg_on < rg_on)
)
SELECT measure, category, stat, n, value, coalesce(mod(key, 4294967296), 0)::bigint AS key FROM figures
