-- Adds 1,000,000 audit records (as written by coordinators over a long period) to a migrated
-- FourthP database, for timing the chainer and `fourthp audit verify`.
-- Usage: psql "$DATABASE_URL" -f bench/audit-records.sql
\set ON_ERROR_STOP on
INSERT INTO audit_records (id, recorded_at, action, outcome, agent_sub, agent_role, agent_agency_id, entity_type, entity_id,
                           case_id, changed_fields, request_id, client_address, purpose, source)
SELECT gen_random_uuid(), timestamptz '2020-01-01' + n * interval '1 second',
       (ARRAY['C','R','U','R','R'])[1 + n % 5], 'success', 'vcc-' || (n % 40), 'coordinator', NULL, 'case', gen_random_uuid(),
       gen_random_uuid(), '{summary,channel}', 'req-' || n, '127.0.0.1', NULL, 'fourthp@bench:1'
FROM generate_series(1, 1000000) AS n;
ANALYZE;
