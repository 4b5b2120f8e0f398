#!/usr/bin/env bash
# Interactive latency with reports in flight, reports on the primary or on a replica (issue 16):
#
#   DATABASE_URL=postgres://postgres@127.0.0.1/bench100k [REPLICA_URL=postgres://postgres@127.0.0.1:5433/bench100k] \
#     bench/reports-on-replica.sh [SECONDS] [RATE]
#
# A mixed open loop (30% coordinators logging, 70% partners polling status) at RATE requests/s
# (default 1,400: about half what the service sustains here) for SECONDS (default 60), with a
# commissioner pulling a year's report about every REPORT_EVERY seconds (default 5: one is nearly
# always in flight, the service computes one at a time; 0: no reports, the baseline). With REPLICA_URL the service reads reports there
# (FOURTHP_REPORT_DATABASE_URL; start one with bench/replica.sh), else from the primary.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to the benchmark database}"
SECONDS_RUN=${1:-60}
RATE=${2:-1400}
if [ -n "${REPLICA_URL:-}" ]; then
    export FOURTHP_REPORT_DATABASE_URL=$REPLICA_URL
fi
# shellcheck source=bench/service.sh
source bench/service.sh
YEAR=$(( $(date +%Y) - 1 ))
echo "machine: $(nproc) cores; PostgreSQL $(psql -X -At "$DATABASE_URL" -c 'SHOW server_version')"
if [ -n "${REPLICA_URL:-}" ]; then
    echo "reports on the replica ${REPLICA_URL##*@} (in recovery: $(psql -X -At "$REPLICA_URL" -c "SELECT pg_is_in_recovery()"))"
else
    echo "reports on the primary"
fi
# REPORT_EVERY=0: no reports at all, the interactive latency the others are measured against.
REPORT_EVERY=${REPORT_EVERY:-5}
WEIGHT=$(awk -v r="$RATE" -v e="$REPORT_EVERY" 'BEGIN {printf "%.4f", (e > 0 ? 100 / (r * e) : 0)}')
target/release/loadgen --url "http://127.0.0.1:$PORT" --secret-file "$SECRET_FILE" --cases-file "$CASES" \
    --coordinator-agency "$VCC" --report-period "$YEAR-01-01:$YEAR-12-31" --service-pid "$SERVER" \
    --mix "log=30,status=70,report=$WEIGHT" --rate "$RATE" --seconds "$SECONDS_RUN"
