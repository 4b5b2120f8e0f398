DROP TABLE oidc_sign_ins;
DROP INDEX users_oidc_subject_idx;
ALTER TABLE users
    DROP CONSTRAINT users_subject_needs_issuer,
    DROP CONSTRAINT users_provider_accounts_have_no_password,
    DROP COLUMN oidc_subject,
    DROP COLUMN oidc_issuer;
DROP TABLE agency_identity_providers;
