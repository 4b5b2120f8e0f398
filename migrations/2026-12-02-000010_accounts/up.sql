-- Accounts: people who sign in (users, with enrolment, sessions and recovery codes), partner
-- systems (API clients), and every token FourthP issues (so that any can be revoked at once).

CREATE TABLE users (
    id               uuid PRIMARY KEY,
    email            text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
    display_name     text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 100),
    role             text NOT NULL CHECK (role IN ('coordinator', 'partner', 'commissioner', 'auditor', 'admin')),
    agency_id        uuid REFERENCES agencies (id),
    active           boolean NOT NULL DEFAULT true,
    -- Argon2id, PHC string format; NULL until the user has enrolled.
    password_hash    text CHECK (char_length(password_hash) <= 512),
    -- The TOTP secret (20 bytes); NULL until enrolled.
    totp_secret      bytea CHECK (octet_length(totp_secret) BETWEEN 16 AND 64),
    -- The last TOTP time step accepted: a code is never accepted twice.
    totp_last_step   bigint,
    enrolled_at      timestamptz,
    failed_sign_ins  integer NOT NULL DEFAULT 0 CHECK (failed_sign_ins >= 0),
    locked_until     timestamptz,
    last_sign_in_at  timestamptz,
    version          integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CHECK (role NOT IN ('coordinator', 'partner') OR agency_id IS NOT NULL),
    CHECK ((password_hash IS NULL) = (totp_secret IS NULL) AND (password_hash IS NULL) = (enrolled_at IS NULL))
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- A single-use enrolment link (stored as the SHA-256 of its token). Setting the password keeps
-- the new credentials here until the first TOTP code confirms them.
CREATE TABLE enrolments (
    token_hash            bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    user_id               uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at            timestamptz NOT NULL,
    expires_at            timestamptz NOT NULL,
    pending_password_hash text CHECK (char_length(pending_password_hash) <= 512),
    pending_totp_secret   bytea,
    pending_recovery      bytea[],
    used_at               timestamptz
);
CREATE INDEX enrolments_user_idx ON enrolments (user_id);

-- Ten single-use recovery codes per enrolment, stored as SHA-256 hashes.
CREATE TABLE recovery_codes (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL CHECK (octet_length(code_hash) = 32),
    used_at    timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- Browser sessions: the id is 256 random bits, stored only as its SHA-256.
CREATE TABLE sessions (
    id_hash         bytea PRIMARY KEY CHECK (octet_length(id_hash) = 32),
    -- A public handle for listing and ending one's sessions (never the cookie).
    handle          uuid NOT NULL UNIQUE,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_hash       bytea NOT NULL CHECK (octet_length(csrf_hash) = 32),
    created_at      timestamptz NOT NULL,
    last_seen_at    timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    ended_at        timestamptz,
    client_address  text CHECK (char_length(client_address) <= 64),
    user_agent      text CHECK (char_length(user_agent) <= 300)
);
CREATE INDEX sessions_user_idx ON sessions (user_id) WHERE ended_at IS NULL;

-- Failed sign-ins by client address, for the per-address limit (kept a day).
CREATE TABLE sign_in_failures (
    client_address  text NOT NULL CHECK (char_length(client_address) <= 64),
    at              timestamptz NOT NULL
);
CREATE INDEX sign_in_failures_idx ON sign_in_failures (client_address, at);

-- Partner systems: OAuth 2.0 clients (client credentials), each for one agency and role.
CREATE TABLE api_clients (
    id           uuid PRIMARY KEY,
    name         text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    role         text NOT NULL CHECK (role IN ('partner', 'coordinator', 'commissioner', 'auditor')),
    agency_id    uuid REFERENCES agencies (id),
    secret_hash  bytea NOT NULL CHECK (octet_length(secret_hash) = 32),
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    CHECK (role NOT IN ('coordinator', 'partner') OR agency_id IS NOT NULL)
);

-- Every token FourthP issues, by its jti: revoking one refuses it at once.
CREATE TABLE issued_tokens (
    jti          uuid PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('cli', 'client_credentials')),
    subject      text NOT NULL,
    client_id    uuid REFERENCES api_clients (id),
    issued_at    timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    revoked_by   text
);
CREATE INDEX issued_tokens_client_idx ON issued_tokens (client_id) WHERE client_id IS NOT NULL;
