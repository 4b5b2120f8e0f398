-- Fills a migrated, empty FourthP database with 100,000 cases and about 300,000 deadlines
-- (a decade of national NRM volume), then shows the plans of the coordinators' queue.
-- Usage: psql "$DATABASE_URL" -f bench/queue-plan.sql   (after `fourthp migrate`)
\set ON_ERROR_STOP on
BEGIN;
INSERT INTO agencies (id, name, kind, active, version, created_at, updated_at)
VALUES ('00000000-0000-7000-8000-000000000001', 'Bench Victim Care', 'victim_care_contract_provider', true, 1, now(), now());

INSERT INTO cases (id, reference, known_as, birth_year, presumed_child, gender, nationalities, languages,
                   interpreter_needed, exploitation_types, county_lines, jurisdiction, local_authority,
                   nrm_consent, data_sharing, consent_recorded_on, consent_recorded_by, lead_coordinator,
                   stage, version, created_by, created_at, updated_at)
SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(n), 12, '0'))::uuid,
       (2016 + n / 10000)::text || '-' || lpad(n::text, 6, '0'),
       'X.' || n, 1990, false, 'male', '{GB}', '{en}', false, '{labour}', false, 'england_wales', 'Bench',
       'given', 'confidential', date '2016-01-01' + (n / 30), 'vcc', 'vcc-' || (n % 37),
       (ARRAY['intake','nrm_referred','recovery_period','move_on','exit_support','closed','closed','closed'])[1 + n % 8],
       1, 'vcc', now(), now()
FROM generate_series(1, 100000) AS n;

INSERT INTO case_events (id, case_id, type, event_date, recorded_at, recorded_by)
SELECT ('00000000-0000-7000-9000-' || lpad(to_hex(n), 12, '0'))::uuid,
       ('00000000-0000-7000-8000-' || lpad(to_hex(n), 12, '0'))::uuid,
       'support_started', date '2016-01-01' + (n / 30), now(), 'vcc'
FROM generate_series(1, 100000) AS n;

-- Three deadlines a case; older ones mostly met.
INSERT INTO deadlines (id, case_id, case_reference, rule_id, rule_version, kind, trigger_event_id, due_on, met_on,
                       explanation, created_at, updated_at)
SELECT gen_random_uuid(), c.id, c.reference, r.rule, '2023', 'deadline',
       ('00000000-0000-7000-9000-' || lpad(to_hex(n), 12, '0'))::uuid,
       date '2016-01-01' + (n / 30) + r.days,
       CASE WHEN n < 97000 AND n % 10 <> 0 THEN date '2016-01-01' + (n / 30) + r.days - 1 END,
       'bench', now(), now()
FROM generate_series(1, 100000) AS n
JOIN cases c ON c.id = ('00000000-0000-7000-8000-' || lpad(to_hex(n), 12, '0'))::uuid
CROSS JOIN (VALUES ('gp_access', 10), ('rg_decision_expected', 7), ('move_on_end', 200)) AS r(rule, days);
COMMIT;
ANALYZE;

\echo '== default queue (outstanding), first page'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT d.*, c.stage, c.stage_advances_on FROM deadlines d JOIN cases c ON c.id = d.case_id
WHERE c.stage <> 'closed' AND d.met_on IS NULL AND d.waived_at IS NULL AND (d.kind = 'deadline' OR d.due_on > date '2026-11-24')
ORDER BY d.due_on, d.case_reference, d.id LIMIT 51;

\echo '== one coordinator''s queue, due before a date'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT d.*, c.stage, c.stage_advances_on FROM deadlines d JOIN cases c ON c.id = d.case_id
WHERE c.stage <> 'closed' AND d.met_on IS NULL AND d.waived_at IS NULL AND (d.kind = 'deadline' OR d.due_on > date '2026-11-24')
  AND d.due_on < date '2026-12-31' AND c.lead_coordinator = 'vcc-7'
ORDER BY d.due_on, d.case_reference, d.id LIMIT 51;

\echo '== open only (not yet due), gp_access'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT d.*, c.stage, c.stage_advances_on FROM deadlines d JOIN cases c ON c.id = d.case_id
WHERE c.stage <> 'closed'
  AND ((d.waived_at IS NULL AND d.met_on IS NULL AND d.due_on >= date '2026-11-24' AND (d.kind = 'milestone' OR d.due_on >= date '2026-11-24')))
  AND d.rule_id = 'gp_access'
ORDER BY d.due_on, d.case_reference, d.id LIMIT 51;
