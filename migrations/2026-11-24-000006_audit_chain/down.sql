DROP TABLE audit_checkpoints;
DROP TABLE audit_chain;
DROP TRIGGER audit_records_enqueue ON audit_records;
DROP FUNCTION audit_records_enqueue();
DROP TABLE audit_pending;
DROP TABLE audit_details;
ALTER TABLE audit_records DROP COLUMN details_hash;
ALTER TABLE audit_records DROP COLUMN source;
CREATE OR REPLACE FUNCTION case_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'case_events is append-only: correct an event with a correction event'
        USING ERRCODE = 'insufficient_privilege';
END
$$;
