DROP TABLE case_team;
DROP TABLE cases;
DROP SEQUENCE case_reference_seq;
