-- Disclosure control by the cell key method (docs/disclosure-control.md): every case gets a
-- fixed random record key in [0, 2^32), stored once and never shown. Existing cases get theirs
-- now (a volatile default is evaluated for each row).
ALTER TABLE cases ADD COLUMN record_key bigint NOT NULL DEFAULT floor(random() * 4294967296)::bigint
    CHECK (record_key >= 0 AND record_key < 4294967296);
