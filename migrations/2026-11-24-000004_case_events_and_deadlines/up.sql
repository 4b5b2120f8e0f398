-- The append-only timeline of facts about a case. Corrections are rows of their own that
-- supersede an earlier event (with a replacement of the same type, or none to withdraw it).
CREATE TABLE case_events (
    id                        uuid PRIMARY KEY,
    case_id                   uuid NOT NULL REFERENCES cases (id),
    seq                       bigint GENERATED ALWAYS AS IDENTITY,
    type                      text NOT NULL CHECK (type IN (
                                  'support_started', 'nrm_referral_submitted', 'duty_to_notify_submitted',
                                  'reasonable_grounds_decision', 'conclusive_grounds_decision',
                                  'reconsideration_requested', 'disqualified', 'recovery_needs_assessment_submitted',
                                  'case_closed', 'case_reopened', 'correction')),
    -- For a correction, the fields below describe its replacement (all null to withdraw).
    replacement_type          text CHECK (replacement_type <> 'correction'),
    event_date                date,
    outcome                   text CHECK (outcome IN ('positive', 'negative')),
    competent_authority       text CHECK (competent_authority IN ('sca', 'ieca', 'devolved_child_pilot')),
    ground                    text CHECK (ground IN ('public_order', 'bad_faith')),
    closure_reason            text CHECK (closure_reason IN ('moved_on', 'lost_contact', 'declined_support',
                                                             'transferred', 'returned_home', 'other')),
    first_responder_agency_id uuid REFERENCES agencies (id),
    supersedes                uuid REFERENCES case_events (id),
    correction_reason         text CHECK (char_length(correction_reason) BETWEEN 1 AND 500),
    recorded_at               timestamptz NOT NULL,
    recorded_by               text NOT NULL,
    CHECK ((type = 'correction') = (supersedes IS NOT NULL)),
    CHECK ((type = 'correction') = (correction_reason IS NOT NULL)),
    CHECK (type = 'correction' OR (event_date IS NOT NULL AND replacement_type IS NULL)),
    CHECK (type <> 'correction' OR (replacement_type IS NULL) = (event_date IS NULL))
);

CREATE INDEX case_events_case_idx ON case_events (case_id, seq);

CREATE FUNCTION case_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'case_events is append-only: correct an event with a correction event'
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER case_events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON case_events
    FOR EACH ROW EXECUTE FUNCTION case_events_append_only();

-- When a case in its recovery period moves on to awaiting its CG (a date, so no batch job).
ALTER TABLE cases ADD COLUMN stage_advances_on date;

-- Deadlines derived from the events by the rules, stored so the queue is fast. Their identity is
-- (case, rule, triggering event's root id), so a corrected trigger moves its deadline.
CREATE TABLE deadlines (
    id               uuid PRIMARY KEY,
    case_id          uuid NOT NULL REFERENCES cases (id),
    case_reference   text NOT NULL,
    rule_id          text NOT NULL,
    rule_version     text NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('deadline', 'milestone')),
    trigger_event_id uuid NOT NULL REFERENCES case_events (id),
    due_on           date NOT NULL,
    met_on           date,
    explanation      text NOT NULL,
    waived_at        timestamptz,
    waived_by        text,
    waived_reason    text CHECK (char_length(waived_reason) BETWEEN 1 AND 500),
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    UNIQUE (case_id, rule_id, trigger_event_id),
    CHECK ((waived_at IS NULL) = (waived_by IS NULL) AND (waived_at IS NULL) = (waived_reason IS NULL))
);

-- The queue: outstanding deadlines by due date then case reference.
CREATE INDEX deadlines_outstanding_idx ON deadlines (due_on, case_reference, id)
    WHERE met_on IS NULL AND waived_at IS NULL;
CREATE INDEX deadlines_due_idx ON deadlines (due_on, case_reference, id);
CREATE INDEX deadlines_case_idx ON deadlines (case_id, due_on);
