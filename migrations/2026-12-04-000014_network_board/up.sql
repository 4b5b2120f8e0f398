-- The network's own work (issue 25): the challenge board, the meetings, and network actions on
-- the same obligations ledger as casework (an action belongs to a case or a challenge, never
-- neither and never both).

CREATE SEQUENCE challenge_number_seq;

CREATE TABLE challenges (
    id               uuid PRIMARY KEY,
    number           bigint NOT NULL UNIQUE DEFAULT nextval('challenge_number_seq'),
    title            text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description      text NOT NULL CHECK (char_length(description) BETWEEN 1 AND 4000),
    urgency          text NOT NULL CHECK (urgency IN ('routine', 'soon', 'urgent')),
    sectors          text[] NOT NULL DEFAULT '{}',
    agencies         uuid[] NOT NULL DEFAULT '{}',
    status           text NOT NULL CHECK (status IN ('raised', 'accepted', 'declined', 'being_worked', 'resolved', 'escalated')),
    note             text CHECK (note IS NULL OR char_length(note) BETWEEN 1 AND 2000),
    raised_by        text NOT NULL,
    raised_by_agency uuid REFERENCES agencies (id),
    raised_at        timestamptz NOT NULL,
    resolved_on      date,
    escalated_on     date,
    version          integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    updated_at       timestamptz NOT NULL,
    CHECK ((status = 'resolved') = (resolved_on IS NOT NULL)),
    CHECK (status <> 'escalated' OR escalated_on IS NOT NULL)
);
CREATE INDEX challenges_raised_idx ON challenges (raised_at, id);

-- Cases a challenge is linked to: only coordinators see these.
CREATE TABLE challenge_cases (
    challenge_id uuid NOT NULL REFERENCES challenges (id),
    case_id      uuid NOT NULL REFERENCES cases (id),
    linked_by    text NOT NULL,
    linked_at    timestamptz NOT NULL,
    PRIMARY KEY (challenge_id, case_id)
);
CREATE INDEX challenge_cases_case_idx ON challenge_cases (case_id);

CREATE TABLE meetings (
    id            uuid PRIMARY KEY,
    title         text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL CHECK (ends_at > starts_at),
    place         text NOT NULL CHECK (char_length(place) BETWEEN 1 AND 500),
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL,
    version       integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    updated_at    timestamptz NOT NULL
);
CREATE INDEX meetings_starts_idx ON meetings (starts_at, id);

-- Every decision on a challenge, in order, and where it was taken (a meeting, or none).
CREATE TABLE challenge_decisions (
    id                uuid PRIMARY KEY,
    challenge_id      uuid NOT NULL REFERENCES challenges (id),
    from_status       text,
    to_status         text NOT NULL,
    note              text,
    decided_by        text NOT NULL,
    decided_by_agency uuid,
    decided_at        timestamptz NOT NULL,
    meeting_id        uuid REFERENCES meetings (id)
);
CREATE INDEX challenge_decisions_challenge_idx ON challenge_decisions (challenge_id, decided_at);
CREATE INDEX challenge_decisions_meeting_idx ON challenge_decisions (meeting_id) WHERE meeting_id IS NOT NULL;

-- What else was decided at a meeting, against an agenda item (a challenge, the figures, any other
-- business): the minutes are made from these, the challenges' decisions and the actions given out.
CREATE TABLE meeting_notes (
    id           uuid PRIMARY KEY,
    meeting_id   uuid NOT NULL REFERENCES meetings (id),
    challenge_id uuid REFERENCES challenges (id),
    note         text NOT NULL CHECK (char_length(note) BETWEEN 1 AND 2000),
    recorded_by  text NOT NULL,
    recorded_at  timestamptz NOT NULL
);
CREATE INDEX meeting_notes_meeting_idx ON meeting_notes (meeting_id, recorded_at);

ALTER TABLE actions ALTER COLUMN case_id DROP NOT NULL;
ALTER TABLE actions ADD COLUMN challenge_id uuid REFERENCES challenges (id);
ALTER TABLE actions ADD COLUMN meeting_id uuid REFERENCES meetings (id);
ALTER TABLE actions ADD CONSTRAINT actions_case_or_challenge CHECK (num_nonnulls(case_id, challenge_id) = 1);
CREATE INDEX actions_challenge_idx ON actions (challenge_id) WHERE challenge_id IS NOT NULL;
CREATE INDEX actions_meeting_idx ON actions (meeting_id) WHERE meeting_id IS NOT NULL;

-- The warning before a challenge is saved compares its words with the names cases are known by.
CREATE INDEX cases_known_as_lower_idx ON cases (lower(known_as));
