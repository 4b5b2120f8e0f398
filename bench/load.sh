#!/usr/bin/env bash
# The load benchmark (issue 7): the service against the physical limit, on a demo network.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1/bench100k bench/load.sh [SECONDS]
#
# Load the data first:  fourthp demo-data --cases 100000 --seed 42 --from 2016  (a benchmark
# database only: this adds rows). For each operation it runs, in this order and on this machine:
#   1. pgbench with exactly the SQL the service runs for it (bench/pgbench/*.sql), with as many
#      clients as the service has pooled connections, at saturation;
#   2. the service at saturation (closed loop, as many clients);
#   3. the service open loop at half the saturation rate, for the p99 target;
# then a mixed open-loop run (coordinators logging, partners polling status, a commissioner
# pulling the report now and then); then the same with a second instance of the service on the
# same database, requests sent to the two in turn. It prints service ÷ pgbench for each
# operation, logging against its durable work alone (bench/pgbench/intervention-minimal.sql, run
# right before and after the service's logging run), and two instances against one.
# Reports on a replica under the same mix: bench/replica.sh, then bench/reports-on-replica.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to the benchmark database}"
SECONDS_EACH=${1:-20}
POOL=${FOURTHP_DB_POOL_SIZE:-16}
export FOURTHP_DB_POOL_SIZE=$POOL

# shellcheck source=bench/service.sh
source bench/service.sh
YEAR=$(( $(date +%Y) - 1 ))

echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
echo "PostgreSQL: $(psql -X -At "$DATABASE_URL" -c 'SHOW server_version'); $(psql -X -At "$DATABASE_URL" -c "SELECT string_agg(name || '=' || current_setting(name), ' ' ORDER BY name) FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'fsync', 'synchronous_commit', 'wal_sync_method', 'max_connections', 'jit')")"
echo "data: $(psql -X -At "$DATABASE_URL" -c "SELECT (SELECT count(*) FROM cases) || ' cases (' || $NCASES || ' open with a GP practice on the team, used here), ' || (SELECT count(*) FROM interventions) || ' interventions'")"
echo "service: release build, pool $POOL, $(nproc) workers, log level warn; clients and service share the machine"
echo

pgbench_tps() { # $1: script, $2: seconds
    pgbench -n -M prepared -c "$POOL" -j 2 -T "$2" -D ncases="$NCASES" -D vccagency="$VCC" -f "bench/pgbench/$1.sql" "$DATABASE_URL" 2>&1 \
        | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
URLS="http://127.0.0.1:$PORT" PIDS="$SERVER"   # the instances loadgen sends to, and their pids
loadgen() {
    target/release/loadgen --url "$URLS" --secret-file "$SECRET_FILE" --cases-file "$CASES" \
        --coordinator-agency "$VCC" --report-period "$YEAR-01-01:$YEAR-12-31" --service-pid "$PIDS" "$@"
}
rate_of() { sed -n 's/.* done *\([0-9]*\)\/s.*/\1/p' | head -1; }

declare -A PG SVC
for op in log status; do
    script=$([ "$op" = log ] && echo intervention || echo status)
    echo "== $op"
    PG[$op]=$(pgbench_tps "$script" "$SECONDS_EACH")
    echo "pgbench, the same SQL, $POOL clients: ${PG[$op]} transactions/s"
    if [ "$op" = log ]; then
        # The durable work of logging alone (bench/pgbench/intervention-minimal.sql: the
        # intervention, its audit record and the stored response in one transaction), run right
        # before and right after the service's own run: the tables grow and autovacuum comes and
        # goes, so a reference taken minutes apart is not the same run's.
        MIN_BEFORE=$(pgbench_tps intervention-minimal "$SECONDS_EACH")
        echo "pgbench, the durable work alone, $POOL clients, before: $MIN_BEFORE transactions/s"
    fi
    out=$(loadgen --mix "$op=1" --concurrency "$POOL" --seconds "$SECONDS_EACH"); echo "$out"
    SVC[$op]=$(rate_of <<<"$out")
    if [ "$op" = log ]; then
        MIN_AFTER=$(pgbench_tps intervention-minimal "$SECONDS_EACH")
        echo "pgbench, the durable work alone, $POOL clients, after: $MIN_AFTER transactions/s"
        MINIMAL=$(awk -v a="$MIN_BEFORE" -v b="$MIN_AFTER" 'BEGIN {printf "%.0f", (a + b) / 2}')
    fi
    half=$(( SVC[$op] / 2 ))
    echo "-- open loop at half the saturation rate, $half/s"
    loadgen --mix "$op=1" --rate "$half" --seconds "$SECONDS_EACH"
    echo
done
echo "== mixed, open loop: 30% logging, 70% status polls, a report about every 20 s"
MIXED_RATE=$(( (SVC[log] * 3 / 10 + SVC[status] * 7 / 10) / 2 ))
loadgen --mix "log=30,status=70,report=$(awk -v r="$MIXED_RATE" 'BEGIN {printf "%.4f", 100 / (r * 20)}')" --rate "$MIXED_RATE" --seconds "$(( SECONDS_EACH * 2 ))"
echo
echo "== two instances on the one database, requests to them in turn (as a round-robin proxy sends them), pool $POOL each"
start_instance
URLS="$URLS,http://127.0.0.1:$PORT2" PIDS="$PIDS,${SERVERS// /}"
declare -A TWO
for op in log status; do
    out=$(loadgen --mix "$op=1" --concurrency "$POOL" --seconds "$SECONDS_EACH"); echo "$out"
    TWO[$op]=$(rate_of <<<"$out")
done
echo "-- mixed, open loop, the same rate and mix as above, across both"
loadgen --mix "log=30,status=70,report=$(awk -v r="$MIXED_RATE" 'BEGIN {printf "%.4f", 100 / (r * 20)}')" --rate "$MIXED_RATE" --seconds "$(( SECONDS_EACH * 2 ))"
echo
for op in log status; do
    awk -v s="${SVC[$op]}" -v p="${PG[$op]}" -v op="$op" 'BEGIN {printf "%-7s service %6.0f/s, pgbench %6.0f/s: service / pgbench = %.2f\n", op, s, p, s / p}'
done
for op in log status; do
    awk -v s="${SVC[$op]}" -v t="${TWO[$op]}" -v op="$op" 'BEGIN {printf "%-7s one instance %6.0f/s, two instances %6.0f/s (%.2f times)\n", op, s, t, t / s}'
done
awk -v s="${SVC[log]}" -v m="$MINIMAL" 'BEGIN {printf "log     service %6.0f/s, the durable work alone %6.0f/s (mean of before and after): service / durable work = %.2f (target 0.5)\n", s, m, s / m}'
