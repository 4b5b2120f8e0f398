-- Support needs: time-to-meet per domain is the core service measure.
CREATE TABLE needs (
    id            uuid PRIMARY KEY,
    case_id       uuid NOT NULL REFERENCES cases (id),
    domain        text NOT NULL CHECK (domain IN (
                      'accommodation', 'health_gp', 'mental_health', 'legal_immigration', 'legal_criminal_justice',
                      'finances_benefits', 'safety', 'interpreting', 'education_training', 'employment',
                      'social_connection', 'substance_use', 'practical')),
    identified_on date NOT NULL,
    status        text NOT NULL CHECK (status IN ('open', 'met', 'not_met', 'withdrawn')),
    met_on        date,
    version       integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CHECK ((status = 'met') = (met_on IS NOT NULL)),
    CHECK (met_on IS NULL OR met_on >= identified_on)
);
CREATE INDEX needs_case_idx ON needs (case_id, identified_on);

-- One act of coordination. The summary is free text, shown only to the recording agency and
-- coordinators.
CREATE TABLE interventions (
    id                    uuid PRIMARY KEY,
    case_id               uuid NOT NULL REFERENCES cases (id),
    channel               text NOT NULL CHECK (channel IN ('phone_call', 'email', 'meeting', 'video_call',
                                                           'text_message', 'letter', 'visit', 'other')),
    direction             text NOT NULL CHECK (direction IN ('outbound', 'inbound')),
    counterpart_agency_id uuid NOT NULL REFERENCES agencies (id),
    occurred_at           timestamptz NOT NULL,
    need_domain           text NOT NULL CHECK (need_domain IN (
                              'accommodation', 'health_gp', 'mental_health', 'legal_immigration', 'legal_criminal_justice',
                              'finances_benefits', 'safety', 'interpreting', 'education_training', 'employment',
                              'social_connection', 'substance_use', 'practical')),
    need_id               uuid REFERENCES needs (id),
    summary               text NOT NULL CHECK (char_length(summary) BETWEEN 1 AND 4000),
    duration_minutes      integer NOT NULL CHECK (duration_minutes BETWEEN 0 AND 1440),
    recorded_by           text NOT NULL,
    recorded_by_agency    uuid NOT NULL REFERENCES agencies (id),
    recorded_at           timestamptz NOT NULL
);
CREATE INDEX interventions_case_idx ON interventions (case_id, occurred_at DESC, id DESC);

-- Follow-up actions owed by an agency.
CREATE TABLE actions (
    id                uuid PRIMARY KEY,
    case_id           uuid NOT NULL REFERENCES cases (id),
    description       text NOT NULL CHECK (char_length(description) BETWEEN 1 AND 1000),
    owner_agency_id   uuid NOT NULL REFERENCES agencies (id),
    due_on            date NOT NULL,
    from_intervention uuid REFERENCES interventions (id),
    status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
    closure_note      text CHECK (char_length(closure_note) BETWEEN 1 AND 2000),
    closed_by         text,
    closed_by_agency  uuid REFERENCES agencies (id),
    closed_on         date,
    closed_at         timestamptz,
    version           integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_by        text NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    CHECK ((status = 'open') = (closed_at IS NULL)),
    CHECK ((closed_at IS NULL) = (closure_note IS NULL) AND (closed_at IS NULL) = (closed_on IS NULL) AND (closed_at IS NULL) = (closed_by IS NULL))
);
CREATE INDEX actions_case_idx ON actions (case_id, due_on);
CREATE INDEX actions_owner_idx ON actions (owner_agency_id, status, due_on);
CREATE INDEX actions_open_due_idx ON actions (due_on, id) WHERE status = 'open';

-- Outcomes, and the interventions that contributed to each.
CREATE TABLE outcomes (
    id          uuid PRIMARY KEY,
    case_id     uuid NOT NULL REFERENCES cases (id),
    outcome     text NOT NULL CHECK (outcome IN (
                    'secure_suitable_housing', 'safety_from_trafficker', 'long_term_consistent_support',
                    'compassionate_trauma_informed_services', 'purpose_self_actualisation',
                    'access_to_medical_treatment', 'access_to_education',
                    're_exploited', 'lost_contact', 'detained', 'removed')),
    achieved_on date NOT NULL,
    evidence    text CHECK (char_length(evidence) BETWEEN 1 AND 2000),
    score       smallint CHECK (score BETWEEN 0 AND 10),
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL
);
CREATE INDEX outcomes_case_idx ON outcomes (case_id, achieved_on);

CREATE TABLE outcome_interventions (
    outcome_id      uuid NOT NULL REFERENCES outcomes (id),
    intervention_id uuid NOT NULL REFERENCES interventions (id),
    PRIMARY KEY (outcome_id, intervention_id)
);

-- An action's due date is also a deadline: deadlines now come from an event or an action.
ALTER TABLE deadlines ALTER COLUMN trigger_event_id DROP NOT NULL;
ALTER TABLE deadlines ADD COLUMN action_id uuid UNIQUE REFERENCES actions (id);
ALTER TABLE deadlines ADD CONSTRAINT deadlines_one_source CHECK (num_nonnulls(trigger_event_id, action_id) = 1);

-- Idempotency keys: the first response to a creating POST, stored with the write in its
-- transaction, keyed by the caller and the key. Kept 24 hours.
CREATE TABLE idempotency_keys (
    principal         text NOT NULL,
    key               text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
    request_hash      bytea NOT NULL,
    response_status   smallint NOT NULL,
    response_body     jsonb NOT NULL,
    response_location text,
    response_etag     text,
    created_at        timestamptz NOT NULL,
    PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
