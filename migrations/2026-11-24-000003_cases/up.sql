-- Case references are YEAR-NNNNNN; the serial comes from a sequence: unique, gaps tolerated.
CREATE SEQUENCE case_reference_seq MINVALUE 1 MAXVALUE 999999 NO CYCLE;

CREATE TABLE cases (
    id                   uuid PRIMARY KEY,
    reference            text NOT NULL UNIQUE CHECK (reference ~ '^[0-9]{4}-[0-9]{6}$'),
    known_as             text NOT NULL CHECK (char_length(known_as) BETWEEN 1 AND 100),
    birth_year           integer CHECK (birth_year BETWEEN 1900 AND 9999),
    date_of_birth        date,
    presumed_child       boolean NOT NULL,
    gender               text NOT NULL CHECK (gender IN ('female', 'male', 'transgender', 'other', 'unknown')),
    nationalities        text[] NOT NULL CHECK (array_position(nationalities, NULL) IS NULL),
    languages            text[] NOT NULL CHECK (array_position(languages, NULL) IS NULL),
    interpreter_needed   boolean NOT NULL,
    exploitation_types   text[] NOT NULL CHECK (
                             cardinality(exploitation_types) >= 1
                             AND exploitation_types <@ ARRAY['labour', 'sexual', 'criminal', 'domestic_servitude',
                                                             'organ_harvesting', 'other', 'unknown']::text[]),
    county_lines         boolean NOT NULL,
    jurisdiction         text NOT NULL CHECK (jurisdiction IN ('england_wales', 'scotland', 'northern_ireland')),
    local_authority      text NOT NULL CHECK (char_length(local_authority) BETWEEN 1 AND 100),
    nrm_consent          text NOT NULL CHECK (nrm_consent IN ('given', 'declined', 'not_required_child')),
    data_sharing         text NOT NULL CHECK (data_sharing IN ('share', 'confidential', 'anonymous')),
    consent_recorded_on  date NOT NULL,
    consent_recorded_by  text NOT NULL,
    lead_coordinator     text NOT NULL,
    -- Derived from case events by the domain's lifecycle rules; stored so lists can filter on it.
    stage                text NOT NULL DEFAULT 'intake' CHECK (stage IN (
                             'intake', 'nrm_referred', 'dtn_only', 'recovery_period', 'awaiting_cg',
                             'move_on', 'exit_support', 'closed')),
    version              integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_by           text NOT NULL,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    -- A full date of birth only with consent to share; it always agrees with birth_year.
    CHECK (date_of_birth IS NULL OR data_sharing = 'share'),
    CHECK (date_of_birth IS NULL OR birth_year = extract(year FROM date_of_birth)),
    CHECK (NOT county_lines OR 'criminal' = ANY (exploitation_types))
);

-- Lists are newest first (UUIDv7 ids are time-ordered) and filter by these.
CREATE INDEX cases_stage_idx ON cases (stage, id DESC);
CREATE INDEX cases_jurisdiction_idx ON cases (jurisdiction, id DESC);
CREATE INDEX cases_lead_idx ON cases (lead_coordinator, id DESC);
CREATE INDEX cases_exploitation_idx ON cases USING gin (exploitation_types);

-- The agencies on a case. Partners' access follows this table.
CREATE TABLE case_team (
    case_id   uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    agency_id uuid NOT NULL REFERENCES agencies (id),
    role      text CHECK (char_length(role) BETWEEN 1 AND 100),
    added_at  timestamptz NOT NULL,
    PRIMARY KEY (case_id, agency_id)
);

CREATE INDEX case_team_agency_idx ON case_team (agency_id, case_id DESC);
