#!/usr/bin/env bash
# What recording reads costs: a status read (one read record) at saturation, and a list of 200
# cases (200 read records, one per case shown), against the demo network.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1/bench100k bench/read-log.sh [SECONDS]
#
# Prints the status-read rate (loadgen, 16 clients), the list's latency over 300 sequential
# requests and at 4 at once, and what writing one list's 200 read records costs the database
# (the buffered writer's batch insert, timed in psql, rolled back).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to the benchmark database}"
SECONDS_EACH=${1:-20}
# shellcheck source=bench/service.sh
source bench/service.sh
TOKEN=$("$BIN" token --role coordinator --agency "$VCC" --sub bench-coordinator | tail -n 1)

echo "== status reads, 16 clients, ${SECONDS_EACH} s (one read record each)"
target/release/loadgen --url "http://127.0.0.1:$PORT" --secret-file "$SECRET_FILE" --cases-file "$CASES" \
    --coordinator-agency "$VCC" --mix status=1 --concurrency 16 --seconds "$SECONDS_EACH" --service-pid "$SERVER"

stats() { sort -n | awk '{a[NR]=$1*1000} END {printf "p50 %.1f ms, p90 %.1f ms, p99 %.1f ms (n=%d)", a[int(NR*0.5)+1], a[int(NR*0.9)+1], a[int(NR*0.99)+1], NR}'; }
URL="http://127.0.0.1:$PORT/api/v1/cases?limit=200"
echo "== GET /api/v1/cases?limit=200 (200 read records each), 300 in turn"
before=$(psql -X -At "$DATABASE_URL" -c "SELECT count(*) FROM audit_records WHERE purpose = 'case_list'")
for _ in $(seq 1 300); do curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" "$URL"; done | stats; echo
echo "== the same, 4 at once, 100 each"
start=$(date +%s.%N)
pids=()
for c in 1 2 3 4; do
    (for _ in $(seq 1 100); do curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" "$URL"; done > "$CASES.$c") &
    pids+=($!)
done
wait "${pids[@]}"
end=$(date +%s.%N)
cat "$CASES".* | stats; rm -f "$CASES".*
awk -v s="$start" -v e="$end" 'BEGIN {printf ", %.0f lists/s\n", 400 / (e - s)}'
sleep 1
after=$(psql -X -At "$DATABASE_URL" -c "SELECT count(*) FROM audit_records WHERE purpose = 'case_list'")
echo "read records written for the lists: $((after - before)) (expected $((700 * 200)))"
echo "== one list's 200 read records written as the buffered writer does (one INSERT, chained by trigger), 5 times"
psql -X "$DATABASE_URL" <<'SQL' | grep -E '^Time' | awk '{print $2}' | sort -n | awk '{a[NR]=$1} END {printf "median %.2f ms (min %.2f, max %.2f)\n", a[int(NR/2)+1], a[1], a[NR]}'
\timing on
BEGIN;
INSERT INTO audit_records (id, recorded_at, action, outcome, agent_sub, agent_role, entity_type, entity_id, case_id, request_id, purpose, source)
  SELECT gen_random_uuid(), now(), 'R', 'success', 'bench', 'coordinator', 'case', c.id, c.id, 'bench', 'case_list', 'bench' FROM cases c LIMIT 200;
INSERT INTO audit_records (id, recorded_at, action, outcome, agent_sub, agent_role, entity_type, entity_id, case_id, request_id, purpose, source)
  SELECT gen_random_uuid(), now(), 'R', 'success', 'bench', 'coordinator', 'case', c.id, c.id, 'bench', 'case_list', 'bench' FROM cases c LIMIT 200;
INSERT INTO audit_records (id, recorded_at, action, outcome, agent_sub, agent_role, entity_type, entity_id, case_id, request_id, purpose, source)
  SELECT gen_random_uuid(), now(), 'R', 'success', 'bench', 'coordinator', 'case', c.id, c.id, 'bench', 'case_list', 'bench' FROM cases c LIMIT 200;
INSERT INTO audit_records (id, recorded_at, action, outcome, agent_sub, agent_role, entity_type, entity_id, case_id, request_id, purpose, source)
  SELECT gen_random_uuid(), now(), 'R', 'success', 'bench', 'coordinator', 'case', c.id, c.id, 'bench', 'case_list', 'bench' FROM cases c LIMIT 200;
INSERT INTO audit_records (id, recorded_at, action, outcome, agent_sub, agent_role, entity_type, entity_id, case_id, request_id, purpose, source)
  SELECT gen_random_uuid(), now(), 'R', 'success', 'bench', 'coordinator', 'case', c.id, c.id, 'bench', 'case_list', 'bench' FROM cases c LIMIT 200;
ROLLBACK;
SQL
