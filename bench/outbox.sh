#!/usr/bin/env bash
# The partners' inbox at national scale (issue 24), on the 100,000-case demo network:
#
#   DATABASE_URL=postgres://postgres@127.0.0.1/bench100k bench/outbox.sh [SECONDS]
#
# 1. The daily email for every agency's mailbox: each agency is given a mailbox, today's digests
#    are built and queued (`fourthp digest --now`) and handed to a real SMTP server (aiosmtpd on a
#    loopback port); the time of each half and the rate.
# 2. Logging's rate with the outbox against the same run without it: coordinators log calls
#    that each agree a follow-up owed by the case's GP practice (loadgen --with-action yes), at
#    saturation; without an endpoint nothing is written to the outbox, with one per practice
#    (pointing at a local receiver) each call writes a notification in its transaction and the
#    service's deliverer sends them while the load runs. Alternated A B A B, SECONDS each.
# A benchmark database only: this adds rows (actions, interventions, outbox, links).
# ROUNDS (default 4) alternations (A B, B A, ...) of the second part; PARTS=2 runs the second part only; FOURTHP_DELIVERY=off starts the service without its
# deliverer (what writing to the outbox costs, apart from sending).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to the benchmark database}"
SECONDS_EACH=${1:-20}
export FOURTHP_DB_POOL_SIZE=${FOURTHP_DB_POOL_SIZE:-16}
scripts/ensure-peers
cargo build -q --release -p fourthp-tests --bin webhook-sink

# shellcheck source=bench/service.sh
source bench/service.sh

echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
echo "PostgreSQL: $(psql -X -At "$DATABASE_URL" -c 'SHOW server_version')"
echo "data: $(psql -X -At "$DATABASE_URL" -c "SELECT (SELECT count(*) FROM cases) || ' cases, ' || (SELECT count(*) FROM agencies) || ' agencies, ' || (SELECT count(*) FROM actions WHERE status = 'open') || ' open actions'")"
echo

if [ "${PARTS:-12}" != 2 ]; then
echo "== 1. the daily email, every agency's mailbox"
SMTP_PORT=$(free_port)
MAILDIR=$(mktemp -d)
python3 tests/peers/smtp_sink.py "$SMTP_PORT" "$MAILDIR" < <(sleep 100000) > "$MAILDIR.log" &
SMTP=$!
for _ in $(seq 1 100); do grep -q ready "$MAILDIR.log" 2>/dev/null && break; sleep 0.1; done
psql -X -q "$DATABASE_URL" <<'SQL'
DELETE FROM inbox_links; DELETE FROM outbox; DELETE FROM webhook_endpoints;
UPDATE agencies SET notify_email = 'mailbox-' || substr(md5(id::text), 1, 8) || '@bench.example', notify_digest = 'daily';
SQL
echo "mailboxes: $(psql -X -At "$DATABASE_URL" -c "SELECT count(*) FROM agencies WHERE notify_email IS NOT NULL AND active")"
began=$(date +%s%N)
FOURTHP_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT" FOURTHP_MAIL_FROM="FourthP <fourthp@bench.example>" FOURTHP_DELIVERY=off \
    "$BIN" digest --now
ended=$(date +%s%N)
kill "$SMTP" 2>/dev/null || true
received=$(find "$MAILDIR" -name '*.eml' | wc -l)
bytes=$(du -sb "$MAILDIR" | cut -f1)
echo "received by the SMTP server: $received messages, $bytes bytes; $(psql -X -At "$DATABASE_URL" -c 'SELECT count(*) FROM inbox_links') links minted"
awk -v ms=$(( (ended - began) / 1000000 )) -v n="$received" 'BEGIN {printf "wall time %d ms, %.1f digests/s\n", ms, n * 1000 / ms}'
rm -rf "$MAILDIR" "$MAILDIR.log"
echo
fi

echo "== 2. logging with and without the outbox ($SECONDS_EACH s each, $FOURTHP_DB_POOL_SIZE clients)"
# An outbox left pending by an earlier run (FOURTHP_DELIVERY=off, or endpoints since deleted)
# would have the deliverer spend this run on it: start from an empty one.
psql -X -q "$DATABASE_URL" -c "DELETE FROM outbox" -c "VACUUM outbox"
SINK_PORT=$(free_port)
target/release/webhook-sink "$SINK_PORT" > /tmp/webhook-sink.out &
SINK=$!
trap 'kill $SERVER $SERVERS $SINK 2>/dev/null; wait $SERVER $SERVERS 2>/dev/null || true; rm -f "$SECRET_FILE" "$CASES" "$CASES".*' EXIT
loadgen() {
    target/release/loadgen --url "http://127.0.0.1:$PORT" --secret-file "$SECRET_FILE" --cases-file "$CASES" \
        --coordinator-agency "$VCC" --mix log=1 --concurrency "$FOURTHP_DB_POOL_SIZE" --seconds "$SECONDS_EACH" --with-action yes
}
rate_of() { sed -n 's/.* done *\([0-9]*\)\/s.*/\1/p' | head -1; }
lsn() { psql -X -At "$DATABASE_URL" -c "SELECT pg_current_wal_lsn()"; }
# WAL written during a run, in bytes per logged call (the deliverer's included): what each
# commit's flush must carry.
wal_per_call() { psql -X -At "$DATABASE_URL" -c "SELECT round(pg_wal_lsn_diff(pg_current_wal_lsn(), '$1') / ($2 * $SECONDS_EACH))"; }
measured() {
    local from rate
    # Each run starts just after a checkpoint: the first change to each page after one writes
    # the whole page to the WAL, and a run that happened to begin just before one would carry
    # thousands more of those than the run it is compared with.
    psql -X -q "$DATABASE_URL" -c "CHECKPOINT"
    from=$(lsn)
    rate=$(loadgen | rate_of)
    echo "$rate $(wal_per_call "$from" "$rate")"
    if [ -n "${WALSTATS:-}" ]; then
        # What the run's WAL is made of, by record type, per logged call (pg_walinspect).
        psql -X -q "$DATABASE_URL" -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS pg_walinspect" >&2
        # Only WAL already flushed can be read.
        local to
        to=$(psql -X -At "$DATABASE_URL" -c "SELECT pg_current_wal_flush_lsn()")
        psql -X "$DATABASE_URL" -c "SELECT \"resource_manager/record_type\" AS record, round(count::numeric / ($rate * $SECONDS_EACH), 2) AS a_call,
            round(record_size::numeric / ($rate * $SECONDS_EACH)) AS bytes, round(fpi_size::numeric / ($rate * $SECONDS_EACH)) AS page_images
            FROM pg_get_wal_stats('$from', '$to', true) ORDER BY record_size + fpi_size DESC LIMIT 14" >&2
        # ... and by the relation a record changes first (a table or one of its indexes).
        psql -X "$DATABASE_URL" -c "SELECT coalesce(c.relname, r.rel) AS relation, round(count(*)::numeric / ($rate * $SECONDS_EACH), 2) AS a_call,
            round(sum(r.record_length - r.fpi_length)::numeric / ($rate * $SECONDS_EACH)) AS bytes, round(sum(r.fpi_length)::numeric / ($rate * $SECONDS_EACH)) AS page_images
            FROM (SELECT substring(block_ref FROM 'rel [0-9]+/[0-9]+/([0-9]+)') AS rel, record_length, fpi_length
                  FROM pg_get_wal_records_info('$from', '$to')) r
            LEFT JOIN pg_class c ON c.relfilenode::text = r.rel
            GROUP BY 1 ORDER BY sum(r.record_length) DESC LIMIT 24" >&2
    fi
}
without=() with=()
without_run() {
    psql -X -q "$DATABASE_URL" -c "DELETE FROM webhook_endpoints"
    measured
}
with_run() {
    psql -X -q "$DATABASE_URL" -c "DELETE FROM webhook_endpoints" -c "INSERT INTO webhook_endpoints (id, agency_id, url, events, secret, created_by, created_at, updated_at)
        SELECT gen_random_uuid(), partner, 'http://127.0.0.1:$SINK_PORT/hook', ARRAY['action.created'], 'whsec_YmVuY2gtc2VjcmV0LWJlbmNoLXNlY3JldA==', 'bench', now(), now()
        FROM (SELECT DISTINCT partner FROM bench_cases) p"
    measured
}
# A B, then B A, and so on: the tables grow with every run, so the order alternates too.
for round in $(seq 1 "${ROUNDS:-4}"); do
    before=$(psql -X -At "$DATABASE_URL" -c "SELECT count(*) FROM outbox")
    if [ $(( round % 2 )) = 1 ]; then a=$(without_run); b=$(with_run); else b=$(with_run); a=$(without_run); fi
    read -r a wal_a <<< "$a"; read -r b wal_b <<< "$b"
    without+=("$a"); with+=("$b")
    sleep 3
    written=$(( $(psql -X -At "$DATABASE_URL" -c "SELECT count(*) FROM outbox") - before ))
    pending=$(psql -X -At "$DATABASE_URL" -c "SELECT count(*) FROM outbox WHERE status = 'pending'")
    echo "round $round: without the outbox $a/s ($wal_a WAL bytes a call); with it $b/s ($wal_b WAL bytes a call; $written notifications written, $pending still pending 3 s after)"
done
kill "$SINK"; wait "$SINK" 2>/dev/null || true
cat /tmp/webhook-sink.out
awk -v a="${without[*]}" -v b="${with[*]}" 'BEGIN {
    n = split(a, x, " "); split(b, y, " "); sa = 0; sb = 0; line = ""
    for (i = 1; i <= n; i++) { sa += x[i]; sb += y[i]; line = line sprintf("%s%.2f", (i > 1 ? ", " : ""), y[i] / x[i]) }
    printf "with ÷ without, by round: %s; over all rounds %.2f (%d/s against %d/s)\n", line, sb / sa, sb / n, sa / n }'
