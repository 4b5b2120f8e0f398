-- The service instance that wrote a record, and the hash of its before/after values (kept
-- beside it, redactable, outside the chain).
ALTER TABLE audit_records ADD COLUMN source text;
ALTER TABLE audit_records ADD COLUMN details_hash bytea;

CREATE TABLE audit_details (
    audit_id    uuid PRIMARY KEY,
    case_id     uuid,
    before      jsonb,
    after       jsonb,
    redacted_at timestamptz
);
CREATE INDEX audit_details_case_idx ON audit_details (case_id) WHERE case_id IS NOT NULL;

-- Records waiting to be chained: every insert lands here, in the writer's transaction, so no
-- record can be missed; the chainer takes them out as it chains them.
CREATE TABLE audit_pending (audit_id uuid PRIMARY KEY);

CREATE FUNCTION audit_records_enqueue() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_pending (audit_id) VALUES (NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER audit_records_enqueue
    AFTER INSERT ON audit_records
    FOR EACH ROW EXECUTE FUNCTION audit_records_enqueue();

INSERT INTO audit_pending (audit_id) SELECT id FROM audit_records;

-- The hash chain, in the order records were chained: one writer (the chainer) assigns gapless
-- sequence numbers to committed records only.
CREATE TABLE audit_chain (
    seq        bigint PRIMARY KEY CHECK (seq >= 1),
    audit_id   uuid NOT NULL UNIQUE,
    prev_hash  bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash       bytea NOT NULL CHECK (length(hash) = 32),
    chained_at timestamptz NOT NULL
);

CREATE TRIGGER audit_chain_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION audit_records_append_only();

CREATE TRIGGER audit_chain_no_truncate
    BEFORE TRUNCATE ON audit_chain
    FOR EACH STATEMENT EXECUTE FUNCTION audit_records_append_only();

-- Signed checkpoints: (sequence number, head hash, time) signed with the deployment's Ed25519 key.
CREATE TABLE audit_checkpoints (
    seq        bigint PRIMARY KEY,
    head_hash  bytea NOT NULL,
    signed_at  timestamptz NOT NULL,
    public_key bytea NOT NULL,
    signature  bytea NOT NULL
);

-- Retention may redact a correction's free-text reason (and nothing else) when it says so.
CREATE OR REPLACE FUNCTION case_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('fourthp.redaction', true) = 'on'
       AND (to_jsonb(NEW) - 'correction_reason') = (to_jsonb(OLD) - 'correction_reason') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'case_events is append-only: correct an event with a correction event'
        USING ERRCODE = 'insufficient_privilege';
END
$$;
