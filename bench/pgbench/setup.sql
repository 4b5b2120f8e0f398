-- Set-up for the pgbench side of bench/load.sh, on a benchmark database loaded by
-- `fourthp demo-data` (never on a real one): the open cases numbered 1..n, each with a GP
-- practice on its team, and a time-ordered UUID like the service's UUIDv7 ids (so that pgbench
-- inserts at the right edge of each primary key, as the service does).
DROP TABLE IF EXISTS bench_cases;
CREATE TABLE bench_cases AS
SELECT row_number() OVER (ORDER BY t.case_id) AS n, t.case_id, t.partner
FROM (SELECT DISTINCT ON (ct.case_id) ct.case_id, ct.agency_id AS partner
      FROM case_team ct JOIN agencies a ON a.id = ct.agency_id JOIN cases c ON c.id = ct.case_id
      WHERE a.kind = 'health_gp' AND c.stage <> 'closed'
      ORDER BY ct.case_id, ct.agency_id) t;
CREATE UNIQUE INDEX bench_cases_n ON bench_cases (n);
ANALYZE bench_cases;

CREATE OR REPLACE FUNCTION bench_uuid7() RETURNS uuid LANGUAGE sql VOLATILE AS $$
    SELECT (lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0')
            || '7' || substr(md5(random()::text), 1, 3) || '8' || substr(md5(random()::text), 1, 15))::uuid
$$;
