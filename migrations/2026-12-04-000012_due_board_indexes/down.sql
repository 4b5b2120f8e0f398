DROP INDEX cases_stage_idx;
CREATE INDEX cases_stage_idx ON cases (stage, id DESC);

DROP INDEX deadlines_board_idx;
