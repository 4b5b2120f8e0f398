-- Finding a case by the start of its reference ("2026-0001"): a prefix LIKE needs an index in
-- the pattern operator class unless the database's collation is C.
CREATE INDEX cases_reference_prefix ON cases (reference text_pattern_ops);
