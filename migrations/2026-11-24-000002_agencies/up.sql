CREATE TABLE agencies (
    id            uuid PRIMARY KEY,
    name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    kind          text NOT NULL CHECK (kind IN (
                      'police', 'local_authority_adult_social_care', 'local_authority_childrens_services',
                      'local_authority_housing', 'health_gp', 'health_hospital', 'health_public_health',
                      'ngo', 'red_cross', 'victim_care_contract_provider', 'immigration_home_office',
                      'glaa', 'dwp', 'legal_service', 'business', 'faith_community', 'other')),
    contact_email text CHECK (char_length(contact_email) <= 254),
    contact_phone text CHECK (char_length(contact_phone) <= 30),
    active        boolean NOT NULL DEFAULT true,
    version       integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

-- Names are unique regardless of case; the index also serves the list ordered by name.
CREATE UNIQUE INDEX agencies_name_key ON agencies (lower(name));
