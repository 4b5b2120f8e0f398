-- The audit trail: one record for every change (and, later, every read of identifiable data).
-- Shaped after FHIR AuditEvent / IHE ATNA. No personal data: only ids, roles and field names.
CREATE TABLE audit_records (
    id              uuid PRIMARY KEY,
    recorded_at     timestamptz NOT NULL,
    action          text NOT NULL CHECK (action IN ('C', 'R', 'U', 'D', 'E')),
    outcome         text NOT NULL CHECK (outcome IN ('success', 'denied', 'failed')),
    agent_sub       text NOT NULL,
    agent_role      text NOT NULL CHECK (agent_role IN ('coordinator', 'partner', 'commissioner', 'auditor', 'admin', 'system')),
    agent_agency_id uuid,
    entity_type     text NOT NULL,
    entity_id       uuid,
    case_id         uuid,
    changed_fields  text[] NOT NULL DEFAULT '{}',
    request_id      text NOT NULL,
    client_address  text,
    purpose         text
);

CREATE INDEX audit_records_case_idx ON audit_records (case_id, recorded_at) WHERE case_id IS NOT NULL;
CREATE INDEX audit_records_entity_idx ON audit_records (entity_type, entity_id);
CREATE INDEX audit_records_recorded_at_idx ON audit_records (recorded_at);

-- Append-only: nobody, the service included, may change or remove a record.
CREATE FUNCTION audit_records_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_records is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_records_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_records
    FOR EACH ROW EXECUTE FUNCTION audit_records_append_only();

CREATE TRIGGER audit_records_no_truncate
    BEFORE TRUNCATE ON audit_records
    FOR EACH STATEMENT EXECUTE FUNCTION audit_records_append_only();

REVOKE UPDATE, DELETE, TRUNCATE ON audit_records FROM PUBLIC;
