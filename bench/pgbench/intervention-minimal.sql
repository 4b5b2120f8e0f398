-- The durable work of one logged intervention and nothing else (issue 16): the intervention,
-- its audit record and the stored idempotent response, in one transaction. No look-up, no lock,
-- no check: what the service's logging could reach at best. The same rows as
-- intervention.sql writes (the case and partner picked by one index probe on bench_cases, folded
-- into the first insert).
\set c random(1, :ncases)
\set k random(1, 1000000000000)
BEGIN;
INSERT INTO "interventions" ("id", "case_id", "channel", "direction", "counterpart_agency_id", "occurred_at", "need_domain", "need_id", "summary", "duration_minutes", "recorded_by", "recorded_by_agency", "recorded_at")
SELECT bench_uuid7(), b.case_id, 'phone_call', 'outbound', b.partner, date_trunc('second', now()), 'health_gp', NULL, 'Rang the practice about registration', 5, 'vcc-bench', :vccagency, now()
FROM bench_cases b WHERE b.n = :c RETURNING id AS iv_id, case_id, counterpart_agency_id AS partner \gset
INSERT INTO "audit_records" ("id", "recorded_at", "action", "outcome", "agent_sub", "agent_role", "agent_agency_id", "entity_type", "entity_id", "case_id", "changed_fields", "request_id", "client_address", "purpose", "source", "details_hash") VALUES (bench_uuid7(), now(), 'C', 'success', 'vcc-bench', 'coordinator', :vccagency, 'intervention', :iv_id, :case_id, '{channel,direction,counterpart_agency_id,occurred_at,need_domain,need_id,summary,duration_minutes}', bench_uuid7()::text, '127.0.0.1', DEFAULT, 'fourthp@bench', DEFAULT);
INSERT INTO "idempotency_keys" ("principal", "key", "request_hash", "response_status", "response_body", "response_location", "response_etag", "created_at") VALUES ('coordinator' || chr(58) || :vccagency::text || chr(58) || 'vcc-bench', 'pgbm-' || :k::text, sha256(convert_to(:iv_id::text, 'UTF8')), 201, jsonb_build_object('id', :iv_id::text, 'actions', '[]'::jsonb, 'case_id', :case_id::text, 'channel', 'phone_call', 'summary', 'Rang the practice about registration', 'direction', 'outbound', 'need_domain', 'health_gp', 'occurred_at', now(), 'recorded_at', now(), 'recorded_by', 'vcc-bench', 'duration_minutes', 5, 'recorded_by_agency', :vccagency::text, 'counterpart_agency_id', :partner::text), '/api/v1/cases/' || :case_id::text || '/interventions/' || :iv_id, DEFAULT, now());
COMMIT;
