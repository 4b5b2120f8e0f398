#!/usr/bin/env bash
# What a session cookie costs a status read, against a bearer token (issue 14).
#
#   DATABASE_URL=postgres://postgres@127.0.0.1/bench10k bench/session.sh [SECONDS]
#
# On a demo network (`fourthp demo-data`; a benchmark database only: this adds rows), gives each
# GP practice on the benchmark's cases a partner account and a live session (made in SQL: the
# session id is `bench-session-<agency id>`, stored as its SHA-256 like any other), then runs
# partners' status polls with bearer tokens and with the cookie: three runs each at saturation, interleaved (closed
# loop), then each open loop at the same rate (half the bearer saturation) for latencies.
# The difference is the session lookup: one indexed join of sessions and users per request.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to the benchmark database}"
SECONDS_EACH=${1:-20}
POOL=${FOURTHP_DB_POOL_SIZE:-16}
export FOURTHP_DB_POOL_SIZE=$POOL
# shellcheck source=bench/service.sh
source bench/service.sh

psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" <<'SQL'
DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE email LIKE 'bench-partner-%@bench.invalid');
DELETE FROM users WHERE email LIKE 'bench-partner-%@bench.invalid';
INSERT INTO users (id, email, display_name, role, agency_id, created_at, updated_at)
SELECT bench_uuid7(), 'bench-partner-' || partner || '@bench.invalid', 'Bench partner', 'partner', partner, now(), now()
FROM (SELECT DISTINCT partner FROM bench_cases) p;
INSERT INTO sessions (id_hash, handle, user_id, csrf_hash, created_at, last_seen_at, expires_at)
SELECT sha256(convert_to('bench-session-' || agency_id, 'UTF8')), gen_random_uuid(), id, sha256('\x00'::bytea), now(), now(), now() + interval '12 hours'
FROM users WHERE email LIKE 'bench-partner-%@bench.invalid';
SQL
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); PostgreSQL $(psql -X -At "$DATABASE_URL" -c 'SHOW server_version')"
echo "data: $(psql -X -At "$DATABASE_URL" -c "SELECT (SELECT count(*) FROM cases) || ' cases, ' || $NCASES || ' used; ' || (SELECT count(*) FROM sessions WHERE ended_at IS NULL) || ' live sessions'")"
echo "service: release build, pool $POOL, log level warn; clients and service share the machine"
loadgen() {
    target/release/loadgen --url "http://127.0.0.1:$PORT" --secret-file "$SECRET_FILE" --cases-file "$CASES" \
        --coordinator-agency "$VCC" --service-pid "$SERVER" --mix status=1 "$@"
}
rate_of() { sed -n 's/.* done *\([0-9]*\)\/s.*/\1/p' | head -1; }
declare -A SAT
for auth in bearer session bearer session bearer session; do
    echo "== $auth, saturation ($POOL clients)"
    out=$(loadgen --partner-auth "$auth" --concurrency "$POOL" --seconds "$SECONDS_EACH"); echo "$out"
    SAT[$auth]=$(( ${SAT[$auth]:-0} + $(rate_of <<<"$out") ))
done
HALF=$(( SAT[bearer] / 6 ))
for auth in bearer session; do
    echo "== $auth, open loop at $HALF/s"
    loadgen --partner-auth "$auth" --rate "$HALF" --seconds "$SECONDS_EACH"
done
awk -v b="${SAT[bearer]}" -v s="${SAT[session]}" 'BEGIN {printf "saturation (mean of three runs each, interleaved): bearer %.0f/s, session %.0f/s: session / bearer = %.3f\n", b / 3, s / 3, s / b}'
