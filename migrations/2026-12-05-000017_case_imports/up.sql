-- A partnership's spreadsheet caseload moving in. An import holds the files uploaded (their
-- SHA-256 kept for the trail; the content dropped once loaded, it holds personal data), the
-- column mapping the administrator confirmed, and what the load created. Each case it created
-- keeps its old reference, so that a second run skips what is already in.
CREATE TABLE case_imports (
    id uuid PRIMARY KEY,
    uploaded_by text NOT NULL,
    uploaded_at timestamptz NOT NULL,
    -- The agency whose coordinators lead the imported cases (it joins each case's team).
    agency_id uuid NOT NULL REFERENCES agencies (id),
    lead_coordinator text NOT NULL CHECK (length(lead_coordinator) BETWEEN 1 AND 200),
    mapping jsonb,
    loaded_at timestamptz,
    created integer CHECK (created >= 0),
    skipped integer CHECK (skipped >= 0)
);

CREATE TABLE case_import_files (
    import_id uuid NOT NULL REFERENCES case_imports (id) ON DELETE CASCADE,
    seq integer NOT NULL CHECK (seq BETWEEN 1 AND 3),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    sha256 bytea NOT NULL CHECK (length(sha256) = 32),
    size integer NOT NULL CHECK (size >= 0),
    -- NULL once the import is loaded.
    content bytea,
    PRIMARY KEY (import_id, seq)
);

-- The old reference each imported case was known by (case-insensitive): an alias it can be
-- found by, and what keeps a second run from duplicating it.
CREATE TABLE case_aliases (
    alias text NOT NULL CHECK (length(alias) BETWEEN 1 AND 100),
    case_id uuid NOT NULL REFERENCES cases (id),
    import_id uuid NOT NULL REFERENCES case_imports (id)
);
CREATE UNIQUE INDEX case_aliases_alias_idx ON case_aliases (lower(alias));
CREATE INDEX case_aliases_case_idx ON case_aliases (case_id);
