-- The date of each case's earliest effective event, kept on the case so that logging an
-- intervention checks its back-dating window without reading and replaying every event. Kept by
-- the service in the transaction of every event (derive::sync); filled here for the cases there
-- are: the effective events are the facts and the corrections' replacements that no later
-- correction supersedes (a withdrawal has no date).
ALTER TABLE cases ADD COLUMN first_event_on date;

UPDATE cases c SET first_event_on = f.first_on
FROM (
    SELECT e.case_id, min(e.event_date) AS first_on
    FROM case_events e
    WHERE e.event_date IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM case_events s WHERE s.case_id = e.case_id AND s.supersedes = e.id)
    GROUP BY e.case_id
) f
WHERE f.case_id = c.id;
