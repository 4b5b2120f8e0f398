-- Subject access requests (UK GDPR art. 15): when the person's request was received, the day
-- the answer is due (one calendar month, moved to a working day), and when it was answered.
-- The copy itself is put together from the record when asked for, never stored.
CREATE TABLE subject_access_requests (
    id uuid PRIMARY KEY,
    case_id uuid NOT NULL REFERENCES cases (id),
    received_on date NOT NULL,
    due_on date NOT NULL CHECK (due_on > received_on),
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL,
    answered_on date CHECK (answered_on IS NULL OR answered_on >= received_on),
    answered_by text,
    CHECK ((answered_on IS NULL) = (answered_by IS NULL))
);
CREATE INDEX subject_access_requests_case_idx ON subject_access_requests (case_id, received_on);
-- The coordinators' board lists the open ones, soonest due first.
CREATE INDEX subject_access_requests_open_idx ON subject_access_requests (due_on) WHERE answered_on IS NULL;
