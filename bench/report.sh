#!/usr/bin/env bash
# The outcome report at size: the service's GET /api/v1/reports/outcomes against the very SQL it
# runs (persistence/sql/outcome_report.sql), executed directly by psql, on the same database.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1/bench100k bench/report.sh [FROM] [TO] [RUNS]
#
# Load the data first:  fourthp demo-data --cases 100000 --seed 42 --from 2016
# Prints the median and spread of warm runs of each, their ratio, and writes the query plan to
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

psql_runs() {
    {
        echo "PREPARE report(date, date, date, text, text, text, text) AS"
        cat persistence/sql/outcome_report.sql
        echo ";"
        echo "\\timing on"
        for _ in $(seq 0 "$RUNS"); do echo "EXECUTE report('$FROM', '$TO', '$AS_AT', NULL, NULL, NULL, NULL);"; done
    } | psql -X -q -o /dev/null "$DATABASE_URL" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n "$RUNS"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(psql -X -At "$DATABASE_URL" -c 'SELECT version()' | cut -d, -f1)"
echo "settings: $(psql -X -At "$DATABASE_URL" -c "SELECT string_agg(name || '=' || setting, ' ') FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'max_parallel_workers_per_gather', 'fsync', 'synchronous_commit', 'jit')")"
echo "data: $(psql -X -At "$DATABASE_URL" -c "SELECT (SELECT count(*) FROM cases) || ' cases, ' || (SELECT count(*) FROM interventions) || ' interventions, ' || (SELECT count(*) FROM case_events) || ' events, ' || (SELECT count(*) FROM deadlines) || ' deadlines, ' || (SELECT count(*) FROM needs) || ' needs, ' || (SELECT count(*) FROM actions) || ' actions'")"
echo "period: $FROM to $TO (as at $AS_AT), $RUNS warm runs each"
PSQL=$(psql_runs)
JSON=$(service_runs json)
CSV=$(service_runs csv)
HTML=$(service_runs html)
echo "psql, the report's SQL:     $(stats <<<"$PSQL")"
echo "service, JSON:               $(stats <<<"$JSON")"
echo "service, CSV:                $(stats <<<"$CSV")"
echo "service, HTML with charts:   $(stats <<<"$HTML")"
awk -v s="$(median <<<"$JSON")" -v p="$(median <<<"$PSQL")" 'BEGIN {printf "service (JSON) / psql:       %.2f\n", s/p}'
{
    echo "PREPARE report(date, date, date, text, text, text, text) AS"
    cat persistence/sql/outcome_report.sql
    echo ";"
    echo "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE report('$FROM', '$TO', '$AS_AT', NULL, NULL, NULL, NULL);"
} | psql -X -q "$DATABASE_URL" > bench/report-plan.txt
echo "plan: bench/report-plan.txt ($(grep -o 'Execution Time: .*' bench/report-plan.txt))"
