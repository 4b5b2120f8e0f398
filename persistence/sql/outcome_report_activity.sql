-- Deadlines, needs, interventions, actions and outcomes (after outcome_report_scope.sql).
-- Each row a count is made of carries its case's record key (rk), summed beside the count.
-- When support started, by case, on the effective timeline (the GP-access wait counts from it).
starts AS (
    SELECT e.case_id, e.event_date FROM case_events e
    WHERE coalesce(e.replacement_type, e.type) = 'support_started'
      AND e.id NOT IN (SELECT s.supersedes FROM case_events s WHERE s.supersedes IS NOT NULL)
),
dl AS MATERIALIZED (
    SELECT d.case_id, c.record_key AS rk, d.rule_id, d.due_on, d.met_on, d.waived_at IS NOT NULL AS waived
    FROM deadlines d JOIN cases c ON c.id = d.case_id
    WHERE d.kind = 'deadline' AND d.due_on BETWEEN $1::date AND $2::date AND (($4::text IS NULL AND $5::text IS NULL AND $6::text IS NULL AND $7::text IS NULL) OR d.case_id IN (SELECT id FROM scoped))
),
gp AS (
    SELECT g.rk, g.due_on, g.met_on, g.met_on - max(ss.event_date) AS days
    FROM dl g LEFT JOIN starts ss ON ss.case_id = g.case_id AND ss.event_date <= g.due_on
    WHERE g.rule_id = 'gp_access' AND NOT g.waived
    GROUP BY g.case_id, g.rk, g.due_on, g.met_on
),
nd AS (
    SELECT n.domain, n.status, n.met_on - n.identified_on AS days, c.record_key AS rk
    FROM needs n JOIN cases c ON c.id = n.case_id
    WHERE n.identified_on BETWEEN $1::date AND $2::date AND (($4::text IS NULL AND $5::text IS NULL AND $6::text IS NULL AND $7::text IS NULL) OR n.case_id IN (SELECT id FROM scoped))
),
-- The period's interventions by case and counterpart (an index-only scan of
-- interventions_report_idx), and by channel with their cases' keys (a second scan of the same
-- index, joined to the cases: cheaper than grouping by case and channel).
iv_cases AS MATERIALIZED (
    SELECT i.case_id, i.counterpart_agency_id, count(*) AS n
    FROM interventions i
    WHERE i.occurred_at >= ($1::date)::timestamp AT TIME ZONE 'Europe/London'
      AND i.occurred_at < ($2::date + 1)::timestamp AT TIME ZONE 'Europe/London'
      AND (($4::text IS NULL AND $5::text IS NULL AND $6::text IS NULL AND $7::text IS NULL) OR i.case_id IN (SELECT id FROM scoped))
    GROUP BY i.case_id, i.counterpart_agency_id
),
iv_channels AS MATERIALIZED (
    SELECT i.channel, count(*) AS n, sum(c.record_key) AS k
    FROM interventions i JOIN cases c ON c.id = i.case_id
    WHERE i.occurred_at >= ($1::date)::timestamp AT TIME ZONE 'Europe/London'
      AND i.occurred_at < ($2::date + 1)::timestamp AT TIME ZONE 'Europe/London'
      AND (($4::text IS NULL AND $5::text IS NULL AND $6::text IS NULL AND $7::text IS NULL) OR i.case_id IN (SELECT id FROM scoped))
    GROUP BY i.channel
),
per_case_iv AS (
    SELECT g.case_id, c.record_key AS rk, sum(g.n) AS n, count(*) AS agencies
    FROM iv_cases g JOIN cases c ON c.id = g.case_id GROUP BY g.case_id, c.record_key
),
ac AS (
    SELECT a.status, a.due_on, a.closed_on, c.record_key AS rk FROM actions a JOIN cases c ON c.id = a.case_id
    WHERE a.due_on BETWEEN $1::date AND $2::date AND (($4::text IS NULL AND $5::text IS NULL AND $6::text IS NULL AND $7::text IS NULL) OR a.case_id IN (SELECT id FROM scoped))
),
ak AS (
    SELECT g.kind, k.answered_at IS NOT NULL AS answered, k.answered_at IS NULL AND $3::date > k.ask_on + 14 AS unanswered,
           c.record_key AS rk
    FROM asks k JOIN cases c ON c.id = k.case_id JOIN agencies g ON g.id = k.agency_id
    WHERE k.ask_on BETWEEN $1::date AND $2::date AND (($4::text IS NULL AND $5::text IS NULL AND $6::text IS NULL AND $7::text IS NULL) OR k.case_id IN (SELECT id FROM scoped))
),
oc AS (
    SELECT DISTINCT o.case_id, c.record_key AS rk, o.outcome,
           o.outcome NOT IN ('re_exploited', 'lost_contact', 'detained', 'removed') AS core
    FROM outcomes o JOIN cases c ON c.id = o.case_id
    WHERE o.achieved_on BETWEEN $1::date AND $2::date AND (($4::text IS NULL AND $5::text IS NULL AND $6::text IS NULL AND $7::text IS NULL) OR o.case_id IN (SELECT id FROM scoped))
),
-- The network's own work: challenges and the actions given out on them (the whole network's:
-- the report's filters select cases). A challenge's or action's key comes from its id, as a
-- case's record key is fixed at random.
ch AS (
    SELECT h.status, h.resolved_on, (h.raised_at AT TIME ZONE 'Europe/London')::date AS raised_on,
           ('x' || substr(md5(h.id::text), 1, 8))::bit(32)::bigint AS rk
    FROM challenges h
),
nac AS (
    SELECT a.status, a.due_on, a.closed_on, g.kind, ('x' || substr(md5(a.id::text), 1, 8))::bit(32)::bigint AS rk
    FROM actions a JOIN agencies g ON g.id = a.owner_agency_id
    WHERE a.challenge_id IS NOT NULL AND a.due_on BETWEEN $1::date AND $2::date
),
-- The figures, each count with the sum of its records' keys (made a cell key below).
figures AS (
    SELECT 'nrm.rg_timeliness'::text AS measure, NULL::text AS category, x.stat, x.n, NULL::float8 AS value, x.k AS key
    FROM (SELECT count(*) FILTER (WHERE d.met_on <= d.due_on) AS within, sum(c.record_key) FILTER (WHERE d.met_on <= d.due_on) AS within_k,
                 count(*) FILTER (WHERE d.met_on > d.due_on) AS later, sum(c.record_key) FILTER (WHERE d.met_on > d.due_on) AS later_k
          FROM deadlines d JOIN cases c ON c.id = d.case_id
          WHERE d.rule_id = 'rg_decision_expected' AND d.waived_at IS NULL AND d.met_on BETWEEN $1::date AND $2::date
            AND (($4::text IS NULL AND $5::text IS NULL AND $6::text IS NULL AND $7::text IS NULL) OR d.case_id IN (SELECT id FROM scoped))) t
    CROSS JOIN LATERAL (VALUES ('within_5_working_days', t.within, t.within_k), ('later', t.later, t.later_k)) AS x(stat, n, k)
    UNION ALL
    SELECT 'deadlines.by_rule', r.rule_id, x.stat, x.n, NULL, x.k
    FROM (SELECT rule_id,
                 count(*) FILTER (WHERE NOT waived AND met_on <= due_on) AS met,
                 sum(rk) FILTER (WHERE NOT waived AND met_on <= due_on) AS met_k,
                 count(*) FILTER (WHERE NOT waived AND (met_on > due_on OR (met_on IS NULL AND $3::date > due_on))) AS missed,
                 sum(rk) FILTER (WHERE NOT waived AND (met_on > due_on OR (met_on IS NULL AND $3::date > due_on))) AS missed_k,
                 count(*) FILTER (WHERE waived) AS waived,
                 sum(rk) FILTER (WHERE waived) AS waived_k,
                 count(*) FILTER (WHERE NOT waived AND met_on IS NULL AND $3::date <= due_on) AS open,
                 sum(rk) FILTER (WHERE NOT waived AND met_on IS NULL AND $3::date <= due_on) AS open_k
          FROM dl GROUP BY rule_id) r
    CROSS JOIN LATERAL (VALUES ('met', r.met, r.met_k), ('missed', r.missed, r.missed_k), ('waived', r.waived, r.waived_k),
                               ('open', r.open, r.open_k)) AS x(stat, n, k)
    UNION ALL
    SELECT 'deadlines.support_ended_early', e.rule_id, x.stat, x.n, NULL, x.k
    FROM (SELECT d.rule_id,
                 count(*) FILTER (WHERE d.support_ended_on IS NOT NULL) AS ended,
                 sum(c.record_key) FILTER (WHERE d.support_ended_on IS NOT NULL) AS ended_k,
                 count(*) FILTER (WHERE d.support_ended_on IS NULL) AS kept,
                 sum(c.record_key) FILTER (WHERE d.support_ended_on IS NULL) AS kept_k
          FROM deadlines d JOIN cases c ON c.id = d.case_id
          WHERE d.kind = 'milestone' AND d.due_on BETWEEN $1::date AND $2::date
            AND (($4::text IS NULL AND $5::text IS NULL AND $6::text IS NULL AND $7::text IS NULL) OR d.case_id IN (SELECT id FROM scoped))
          GROUP BY d.rule_id) e
    CROSS JOIN LATERAL (VALUES ('ended_early', e.ended, e.ended_k), ('kept', e.kept, e.kept_k)) AS x(stat, n, k)
    UNION ALL
    SELECT 'deadlines.gp_access', NULL, x.stat, x.n, x.value, x.k
    FROM (SELECT count(*) FILTER (WHERE met_on <= due_on) AS within,
                 sum(rk) FILTER (WHERE met_on <= due_on) AS within_k,
                 count(*) FILTER (WHERE met_on > due_on) AS later,
                 sum(rk) FILTER (WHERE met_on > due_on) AS later_k,
                 count(*) FILTER (WHERE met_on IS NULL AND $3::date > due_on) AS not_met,
                 sum(rk) FILTER (WHERE met_on IS NULL AND $3::date > due_on) AS not_met_k,
                 count(*) FILTER (WHERE met_on IS NULL AND $3::date <= due_on) AS open,
                 sum(rk) FILTER (WHERE met_on IS NULL AND $3::date <= due_on) AS open_k,
                 count(days) AS n_days,
                 sum(rk) FILTER (WHERE days IS NOT NULL) AS n_days_k,
                 percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS median
          FROM gp) g
    CROSS JOIN LATERAL (VALUES ('within_10_days', g.within, NULL::float8, g.within_k), ('later', g.later, NULL, g.later_k),
                               ('not_met', g.not_met, NULL, g.not_met_k), ('open', g.open, NULL, g.open_k),
                               ('median_days', g.n_days, g.median, g.n_days_k)) AS x(stat, n, value, k)
    UNION ALL
    SELECT 'needs.by_domain', q.domain, x.stat, x.n, x.value, x.k
    FROM (SELECT domain,
                 count(*) FILTER (WHERE status = 'met') AS met,
                 sum(rk) FILTER (WHERE status = 'met') AS met_k,
                 count(*) FILTER (WHERE status = 'not_met') AS not_met,
                 sum(rk) FILTER (WHERE status = 'not_met') AS not_met_k,
                 count(*) FILTER (WHERE status = 'withdrawn') AS withdrawn,
                 sum(rk) FILTER (WHERE status = 'withdrawn') AS withdrawn_k,
                 count(*) FILTER (WHERE status = 'open') AS open,
                 sum(rk) FILTER (WHERE status = 'open') AS open_k,
                 percentile_cont(0.5) WITHIN GROUP (ORDER BY days) FILTER (WHERE status = 'met') AS median,
                 percentile_cont(0.9) WITHIN GROUP (ORDER BY days) FILTER (WHERE status = 'met') AS p90
          FROM nd GROUP BY domain) q
    CROSS JOIN LATERAL (VALUES ('met', q.met, NULL::float8, q.met_k), ('not_met', q.not_met, NULL, q.not_met_k),
                               ('withdrawn', q.withdrawn, NULL, q.withdrawn_k), ('open', q.open, NULL, q.open_k),
                               ('median_days', q.met, q.median, q.met_k), ('p90_days', q.met, q.p90, q.met_k)) AS x(stat, n, value, k)
    UNION ALL
    SELECT 'interventions.by_channel', x.channel, CASE WHEN x.channel IS NULL THEN 'total' ELSE 'count' END,
           coalesce(CASE WHEN x.channel IS NULL THEN (SELECT sum(n) FROM iv_channels) ELSE g.n END, 0)::bigint, NULL,
           CASE WHEN x.channel IS NULL THEN (SELECT sum(k) FROM iv_channels) ELSE g.k END
    FROM (VALUES (NULL), ('phone_call'), ('email'), ('meeting'), ('video_call'), ('text_message'), ('letter'), ('visit'), ('other')) AS x(channel)
    LEFT JOIN iv_channels g ON g.channel = x.channel
    UNION ALL
    SELECT 'interventions.by_counterpart_kind', a.kind, CASE WHEN grouping(a.kind) = 1 THEN 'total' ELSE 'count' END,
           coalesce(sum(g.n), 0)::bigint, NULL, sum(g.n * c.record_key)
    FROM iv_cases g JOIN agencies a ON a.id = g.counterpart_agency_id JOIN cases c ON c.id = g.case_id
    GROUP BY GROUPING SETS ((a.kind), ())
    UNION ALL
    SELECT x.measure, NULL, x.stat, x.n, x.value, c.k
    FROM (SELECT count(*) AS cases, sum(rk) AS k, avg(n)::float8 AS mean_n, percentile_cont(0.5) WITHIN GROUP (ORDER BY n) AS median_n,
                 avg(agencies)::float8 AS mean_a, percentile_cont(0.5) WITHIN GROUP (ORDER BY agencies) AS median_a
          FROM per_case_iv) c
    CROSS JOIN LATERAL (VALUES ('interventions.per_case', 'count', c.cases, NULL::float8),
                               ('interventions.per_case', 'mean', c.cases, c.mean_n),
                               ('interventions.per_case', 'median', c.cases, c.median_n),
                               ('interventions.agencies_per_case', 'count', c.cases, NULL),
                               ('interventions.agencies_per_case', 'mean', c.cases, c.mean_a),
                               ('interventions.agencies_per_case', 'median', c.cases, c.median_a)) AS x(measure, stat, n, value)
    UNION ALL
    SELECT 'actions.by_due_date', NULL, x.stat, x.n, NULL, x.k
    FROM (SELECT count(*) FILTER (WHERE status = 'done' AND closed_on <= due_on) AS on_time,
                 sum(rk) FILTER (WHERE status = 'done' AND closed_on <= due_on) AS on_time_k,
                 count(*) FILTER (WHERE status = 'done' AND closed_on > due_on) AS late,
                 sum(rk) FILTER (WHERE status = 'done' AND closed_on > due_on) AS late_k,
                 count(*) FILTER (WHERE status = 'open' AND $3::date > due_on) AS overdue,
                 sum(rk) FILTER (WHERE status = 'open' AND $3::date > due_on) AS overdue_k,
                 count(*) FILTER (WHERE status = 'open' AND $3::date <= due_on) AS not_yet_due,
                 sum(rk) FILTER (WHERE status = 'open' AND $3::date <= due_on) AS not_yet_due_k,
                 count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
                 sum(rk) FILTER (WHERE status = 'cancelled') AS cancelled_k
          FROM ac) a
    CROSS JOIN LATERAL (VALUES ('done_by_due_date', a.on_time, a.on_time_k), ('done_late', a.late, a.late_k),
                               ('overdue', a.overdue, a.overdue_k), ('not_yet_due', a.not_yet_due, a.not_yet_due_k),
                               ('cancelled', a.cancelled, a.cancelled_k)) AS x(stat, n, k)
    UNION ALL
    SELECT 'actions.asks_by_agency_kind', q.kind, x.stat, x.n, NULL, x.k
    FROM (SELECT kind,
                 count(*) FILTER (WHERE answered) AS answered, sum(rk) FILTER (WHERE answered) AS answered_k,
                 count(*) FILTER (WHERE unanswered) AS unanswered, sum(rk) FILTER (WHERE unanswered) AS unanswered_k,
                 count(*) FILTER (WHERE NOT answered AND NOT unanswered) AS waiting,
                 sum(rk) FILTER (WHERE NOT answered AND NOT unanswered) AS waiting_k
          FROM ak GROUP BY kind) q
    CROSS JOIN LATERAL (VALUES ('answered', q.answered, q.answered_k), ('unanswered', q.unanswered, q.unanswered_k),
                               ('waiting', q.waiting, q.waiting_k)) AS x(stat, n, k)
    UNION ALL
    -- People reaching each outcome (a person once per outcome), and reaching any in each group.
    SELECT CASE WHEN core THEN 'outcomes.core' ELSE 'outcomes.adverse' END, outcome, 'count', count(*), NULL, sum(rk)
    FROM oc GROUP BY core, outcome
    UNION ALL
    SELECT CASE WHEN v.k THEN 'outcomes.core' ELSE 'outcomes.adverse' END, NULL, 'total', count(p.case_id), NULL, sum(p.rk)
    FROM (VALUES (true), (false)) v(k)
    LEFT JOIN (SELECT DISTINCT case_id, rk, core FROM oc) p ON p.core = v.k
    GROUP BY v.k
    UNION ALL
    SELECT 'network.challenges', NULL, x.stat, x.n, NULL, x.k
    FROM (SELECT count(*) FILTER (WHERE status = 'raised') AS waiting, sum(rk) FILTER (WHERE status = 'raised') AS waiting_k,
                 count(*) FILTER (WHERE status = 'declined') AS declined, sum(rk) FILTER (WHERE status = 'declined') AS declined_k,
                 count(*) FILTER (WHERE status IN ('accepted', 'being_worked', 'escalated')) AS in_hand,
                 sum(rk) FILTER (WHERE status IN ('accepted', 'being_worked', 'escalated')) AS in_hand_k,
                 count(*) FILTER (WHERE status = 'resolved') AS resolved, sum(rk) FILTER (WHERE status = 'resolved') AS resolved_k
          FROM ch WHERE raised_on BETWEEN $1::date AND $2::date) c
    CROSS JOIN LATERAL (VALUES ('waiting', c.waiting, c.waiting_k), ('declined', c.declined, c.declined_k),
                               ('in_hand', c.in_hand, c.in_hand_k), ('resolved', c.resolved, c.resolved_k)) AS x(stat, n, k)
    UNION ALL
    SELECT 'network.days_to_resolve', NULL, x.stat, x.n, x.value, x.k
    FROM (SELECT count(*) AS n, sum(rk) AS k, percentile_cont(0.5) WITHIN GROUP (ORDER BY resolved_on - raised_on) AS median,
                 percentile_cont(0.9) WITHIN GROUP (ORDER BY resolved_on - raised_on) AS p90
          FROM ch WHERE resolved_on BETWEEN $1::date AND $2::date) w
    CROSS JOIN LATERAL (VALUES ('count', w.n, NULL::float8, w.k), ('median_days', w.n, w.median, w.k), ('p90_days', w.n, w.p90, w.k))
        AS x(stat, n, value, k)
    UNION ALL
    SELECT 'network.actions_by_agency_kind', q.kind, x.stat, x.n, NULL, x.k
    FROM (SELECT kind,
                 count(*) FILTER (WHERE status = 'done' AND closed_on <= due_on) AS on_time,
                 sum(rk) FILTER (WHERE status = 'done' AND closed_on <= due_on) AS on_time_k,
                 count(*) FILTER (WHERE status = 'done' AND closed_on > due_on) AS late,
                 sum(rk) FILTER (WHERE status = 'done' AND closed_on > due_on) AS late_k,
                 count(*) FILTER (WHERE status = 'open' AND $3::date > due_on) AS overdue,
                 sum(rk) FILTER (WHERE status = 'open' AND $3::date > due_on) AS overdue_k,
                 count(*) FILTER (WHERE status = 'open' AND $3::date <= due_on) AS not_yet_due,
                 sum(rk) FILTER (WHERE status = 'open' AND $3::date <= due_on) AS not_yet_due_k,
                 count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
                 sum(rk) FILTER (WHERE status = 'cancelled') AS cancelled_k
          FROM nac GROUP BY kind) q
    CROSS JOIN LATERAL (VALUES ('done_by_due_date', q.on_time, q.on_time_k), ('done_late', q.late, q.late_k),
                               ('overdue', q.overdue, q.overdue_k), ('not_yet_due', q.not_yet_due, q.not_yet_due_k),
                               ('cancelled', q.cancelled, q.cancelled_k)) AS x(stat, n, k)
)
SELECT measure, category, stat, n, value, coalesce(mod(key, 4294967296), 0)::bigint AS key FROM figures
