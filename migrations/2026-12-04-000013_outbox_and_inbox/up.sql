-- Partners act from their inbox: a transactional outbox for notifications (email, webhooks),
-- agencies' contact mailboxes, people's digest preference, webhook endpoints, single-use links
-- that close an action or answer an ask-back without signing in, "what happened?" asks, and
-- calendar feeds.

-- The mailbox an agency's digest goes to, whether or not its people have accounts.
ALTER TABLE agencies ADD COLUMN notify_email text CHECK (length(notify_email) BETWEEN 3 AND 254);
-- How often that mailbox gets the digest ('off' after it unsubscribes).
ALTER TABLE agencies ADD COLUMN notify_digest text NOT NULL DEFAULT 'daily' CHECK (notify_digest IN ('daily', 'weekly', 'off'));

-- How often a person gets the digest ('off': never).
ALTER TABLE users ADD COLUMN digest text NOT NULL DEFAULT 'daily' CHECK (digest IN ('daily', 'weekly', 'off'));

-- Where an agency's own case system hears about changes. The secret signs each delivery
-- (Standard Webhooks); it is shown once when the endpoint is made.
CREATE TABLE webhook_endpoints (
    id uuid PRIMARY KEY,
    agency_id uuid NOT NULL REFERENCES agencies (id),
    url text NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
    events text[] NOT NULL CHECK (cardinality(events) > 0 AND array_position(events, NULL) IS NULL),
    secret text NOT NULL,
    active boolean NOT NULL DEFAULT true,
    -- Why it was turned off, when it was (failing for 3 days, or by an administrator).
    disabled_reason text,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX webhook_endpoints_agency_idx ON webhook_endpoints (agency_id) WHERE active;

-- One message to send: written in the transaction of the change it tells of, sent by whichever
-- instance claims it first (FOR UPDATE SKIP LOCKED), at least once. `id` is the message's
-- stable id (the webhook-id header, the email's Message-ID) so a receiver can drop a repeat.
-- No foreign keys: agencies and endpoints are never deleted (only turned off), and a key's
-- check would share-lock the agency's endpoint row from every concurrent change that writes a
-- notice (multixacts: logging lost a tenth of its rate to them).
CREATE TABLE outbox (
    id uuid PRIMARY KEY,
    channel text NOT NULL CHECK (channel IN ('email', 'webhook')),
    topic text NOT NULL,
    agency_id uuid,
    endpoint_id uuid,
    recipient text,
    -- Time-triggered notices (due, overdue, a digest) are written once: this names the once
    -- (unique where present: outbox_dedupe_key).
    dedupe text,
    payload jsonb NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_status integer,
    last_error text,
    latency_ms integer,
    created_at timestamptz NOT NULL,
    sent_at timestamptz,
    CHECK ((channel = 'email') = (recipient IS NOT NULL)),
    CHECK ((channel = 'webhook') = (endpoint_id IS NOT NULL))
);
CREATE UNIQUE INDEX outbox_dedupe_key ON outbox (dedupe) WHERE dedupe IS NOT NULL;
CREATE INDEX outbox_pending_idx ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_endpoint_idx ON outbox (endpoint_id, created_at DESC) WHERE endpoint_id IS NOT NULL;

-- "What happened?": a coordinator who logged a conversation asks the counterpart agency to
-- report back on `ask_on`; the answer lands on the case's timeline as that agency's follow-up.
CREATE TABLE asks (
    id uuid PRIMARY KEY,
    case_id uuid NOT NULL REFERENCES cases (id),
    intervention_id uuid NOT NULL REFERENCES interventions (id),
    agency_id uuid NOT NULL REFERENCES agencies (id),
    ask_on date NOT NULL,
    asked_by text NOT NULL,
    asked_by_agency uuid REFERENCES agencies (id),
    created_at timestamptz NOT NULL,
    answer_status text CHECK (answer_status IN ('done', 'in_progress', 'could_not_help')),
    answer_text text CHECK (length(answer_text) <= 2000),
    answered_by text,
    answered_at timestamptz,
    CHECK ((answer_status IS NULL) = (answered_at IS NULL))
);
CREATE INDEX asks_case_idx ON asks (case_id);
CREATE INDEX asks_open_idx ON asks (agency_id, ask_on) WHERE answered_at IS NULL;

-- A link in an email that acts without signing in: only the SHA-256 of its 256-bit token is
-- kept. Bound to one action (or ask), one agency and one recipient; a POST uses it once.
CREATE TABLE inbox_links (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    action_id uuid REFERENCES actions (id),
    ask_id uuid REFERENCES asks (id),
    agency_id uuid NOT NULL REFERENCES agencies (id),
    recipient text NOT NULL,
    user_id uuid REFERENCES users (id),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    created_at timestamptz NOT NULL,
    CHECK ((action_id IS NULL) <> (ask_id IS NULL))
);
CREATE INDEX inbox_links_expiry_idx ON inbox_links (expires_at);

-- A person's secret calendar URL (RFC 5545 feed); only its token's SHA-256 is kept.
CREATE TABLE calendar_feeds (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE UNIQUE INDEX calendar_feeds_live_idx ON calendar_feeds (user_id) WHERE revoked_at IS NULL;
