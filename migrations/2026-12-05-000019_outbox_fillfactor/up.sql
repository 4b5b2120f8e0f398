-- Each outbox message is written once and updated once when it is sent. With room left on its
-- page, the sent version lands beside the pending one, and PostgreSQL then logs only the bytes
-- that changed (status, attempts, receiver's status, latency, time sent: about 60 bytes)
-- instead of the whole row with its payload: 1,009 → 357 bytes of WAL a delivery, measured
-- (BENCHMARKS.md, 2026-12-05). Half of each new page is kept for that; pages written before
-- this keep their fill.
ALTER TABLE outbox SET (fillfactor = 50);
