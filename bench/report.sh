#!/usr/bin/env bash
# The outcome report at size: the service's GET /api/v1/reports/outcomes against the very SQL it
# runs (the scope, persistence/sql/outcome_report_scope.sql, before each of the two halves
# outcome_report_people.sql and outcome_report_activity.sql), executed directly by psql with the
# same settings, on the same database: one half after the other in one session, and both at once
# in two sessions (as the service runs them).
#
#   DATABASE_URL=postgres://postgres@127.0.0.1/bench100k bench/report.sh [FROM] [TO] [RUNS]
#
# Load the data first:  fourthp demo-data --cases 100000 --seed 42 --from 2016
# Prints the median and spread of warm runs of each, their ratios, and writes the query plans to
# bench/report-plan.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to the benchmark database}"
FROM=${1:-2025-01-01}
TO=${2:-2025-12-31}
RUNS=${3:-15}
AS_AT=$TO
TODAY=$(TZ=Europe/London date +%F)
[[ "$AS_AT" > "$TODAY" ]] && AS_AT=$TODAY

cargo build -q --release -p fourthp-api
BIN=target/release/fourthp
export FOURTHP_JWT_HS256_SECRET=${FOURTHP_JWT_HS256_SECRET:-bench-secret-bench-secret-bench-secret-0123}
export FOURTHP_LOG=warn
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
FOURTHP_BIND=127.0.0.1:$PORT "$BIN" serve &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
TOKEN=$("$BIN" token --role commissioner --sub bench-commissioner)
URL="http://127.0.0.1:$PORT/api/v1/reports/outcomes?from=$FROM&to=$TO"

stats() { # median, min and max of the numbers on stdin (ms)
    sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "median %.1f ms (min %.1f, max %.1f, n=%d)", m, a[1], a[NR], NR}'
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }

service_runs() { # $1: format
    curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "$URL&format=$1"   # warm-up
    for _ in $(seq 1 "$RUNS"); do
        curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" "$URL&format=$1" | awk '{print $1*1000}'
    done
}

# The service's settings (report_settings in persistence/src/reports.rs, with its parallel workers
# from FOURTHP_REPORT_PARALLEL_WORKERS); and, as the service sends each statement unnamed and so
# has it planned with the values, custom plans.
SETTINGS="SET jit = off; SET work_mem = '64MB'; SET max_parallel_workers_per_gather = ${FOURTHP_REPORT_PARALLEL_WORKERS:-0}; SET plan_cache_mode = force_custom_plan;"
EXEC="EXECUTE report('$FROM', '$TO', '$AS_AT', NULL, NULL, NULL, NULL);"
prepare() { # $1: half
    echo "$SETTINGS"
    echo "PREPARE report(date, date, date, text, text, text, text) AS"
    cat persistence/sql/outcome_report_scope.sql "persistence/sql/outcome_report_$1.sql"
    echo ";"
}
times() { # $1: half, $2: runs; server-side times of each warm execution (ms)
    { prepare "$1"; echo "$EXEC"; echo "\\timing on"; for _ in $(seq 1 "$2"); do echo "$EXEC"; done; } \
        | psql -X -q -o /dev/null "$DATABASE_URL" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
}
psql_serial() { # one half, then the other; the sum of each pair
    local a b
    a=$(mktemp); b=$(mktemp)
    times people "$RUNS" >"$a"; times activity "$RUNS" >"$b"
    paste "$a" "$b" | awk '{print $1 + $2}'
    rm -f "$a" "$b"
}
psql_parallel() { # both halves at once in two sessions; each run's slower half (the wall time)
    local a b
    a=$(mktemp); b=$(mktemp)
    times people "$RUNS" >"$a" & times activity "$RUNS" >"$b"; wait
    paste "$a" "$b" | awk '{print ($1 > $2) ? $1 : $2}'
    rm -f "$a" "$b"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(psql -X -At "$DATABASE_URL" -c 'SELECT version()' | cut -d, -f1)"
echo "settings: $(psql -X -At "$DATABASE_URL" -c "SELECT string_agg(name || '=' || setting, ' ') FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'max_parallel_workers_per_gather', 'fsync', 'synchronous_commit', 'jit')")"
echo "data: $(psql -X -At "$DATABASE_URL" -c "SELECT (SELECT count(*) FROM cases) || ' cases, ' || (SELECT count(*) FROM interventions) || ' interventions, ' || (SELECT count(*) FROM case_events) || ' events, ' || (SELECT count(*) FROM deadlines) || ' deadlines, ' || (SELECT count(*) FROM needs) || ' needs, ' || (SELECT count(*) FROM actions) || ' actions'")"
echo "period: $FROM to $TO (as at $AS_AT), $RUNS warm runs each"
SERIAL=$(psql_serial)
PARALLEL=$(psql_parallel)
JSON=$(service_runs json)
CSV=$(service_runs csv)
HTML=$(service_runs html)
echo "psql, halves in turn:        $(stats <<<"$SERIAL")"
echo "psql, halves at once:        $(stats <<<"$PARALLEL")"
echo "service, JSON:               $(stats <<<"$JSON")"
echo "service, CSV:                $(stats <<<"$CSV")"
echo "service, HTML with charts:   $(stats <<<"$HTML")"
awk -v s="$(median <<<"$JSON")" -v p="$(median <<<"$SERIAL")" -v q="$(median <<<"$PARALLEL")" \
    'BEGIN {printf "service (JSON) / psql:       %.2f of the halves in turn, %.2f of the halves at once\n", s/p, s/q}'
for half in people activity; do
    echo "== $half"
    { prepare "$half"; echo "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $EXEC"; } | psql -X -q "$DATABASE_URL"
done > bench/report-plan.txt
echo "plans: bench/report-plan.txt ($(grep -o 'Execution Time: .*' bench/report-plan.txt | paste -sd, -))"
