-- The national network coordinators' forum: the networks whose signed bundles it accepts (by
-- their Ed25519 public key), and the bundles it imported, one per network and period.
CREATE TABLE forum_networks (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    public_key bytea NOT NULL CHECK (length(public_key) = 32),
    registered_by text NOT NULL,
    registered_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX forum_networks_name_idx ON forum_networks (lower(name));
CREATE UNIQUE INDEX forum_networks_key_idx ON forum_networks (public_key);

CREATE TABLE forum_bundles (
    id uuid PRIMARY KEY,
    network_id uuid NOT NULL REFERENCES forum_networks (id),
    period_from date NOT NULL,
    period_to date NOT NULL CHECK (period_to >= period_from),
    -- The bundle's signed content exactly as verified, and its signature.
    content jsonb NOT NULL,
    signature bytea NOT NULL CHECK (length(signature) = 64),
    imported_by text NOT NULL,
    imported_at timestamptz NOT NULL
);
-- The side-by-side page reads one period across networks; a repeat is looked for per network.
CREATE INDEX forum_bundles_period_idx ON forum_bundles (period_from, period_to);
CREATE INDEX forum_bundles_network_idx ON forum_bundles (network_id, period_from);
