-- Signing in with the organisation's own identity provider (OpenID Connect). An agency's
-- provider: its issuer, and FourthP's client there. An account signs in through it once linked
-- to the provider's subject (issuer + sub): the first time by the provider's verified email,
-- from then on by the subject alone. Such an account has no FourthP password or second factor:
-- the provider's are its own.
CREATE TABLE agency_identity_providers (
    agency_id uuid PRIMARY KEY REFERENCES agencies (id),
    issuer text NOT NULL CHECK (length(issuer) BETWEEN 8 AND 500),
    client_id text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 200),
    client_secret text NOT NULL CHECK (length(client_secret) BETWEEN 1 AND 500),
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL
);

ALTER TABLE users
    ADD COLUMN oidc_issuer text CHECK (length(oidc_issuer) <= 500),
    ADD COLUMN oidc_subject text CHECK (length(oidc_subject) <= 255),
    ADD CONSTRAINT users_provider_accounts_have_no_password
        CHECK (oidc_issuer IS NULL OR (password_hash IS NULL AND totp_secret IS NULL)),
    ADD CONSTRAINT users_subject_needs_issuer CHECK ((oidc_issuer IS NULL) = (oidc_subject IS NULL));
CREATE UNIQUE INDEX users_oidc_subject_idx ON users (oidc_issuer, oidc_subject) WHERE oidc_subject IS NOT NULL;

-- A sign-in on its way through the provider: its state (hashed), nonce and PKCE verifier,
-- taken once when the provider sends the person back, within ten minutes.
CREATE TABLE oidc_sign_ins (
    state_hash bytea PRIMARY KEY CHECK (length(state_hash) = 32),
    agency_id uuid NOT NULL REFERENCES agencies (id),
    nonce text NOT NULL CHECK (length(nonce) BETWEEN 32 AND 100),
    code_verifier text NOT NULL CHECK (length(code_verifier) BETWEEN 43 AND 128),
    created_at timestamptz NOT NULL
);
CREATE INDEX oidc_sign_ins_created_idx ON oidc_sign_ins (created_at);
