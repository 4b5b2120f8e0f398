#!/usr/bin/env bash
# The pages at national scale (issue 15): server render time and weight of each page a
# coordinator and a partner use, on a demo network.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1/bench100k bench/pages.sh [REQUESTS]
#
# Gives the demo network's victim care agency a coordinator account and a GP practice a partner
# account, each with a live session made in SQL (the id stored as its SHA-256, as sign-in stores
# it), then requests each page REQUESTS times in turn (default 40) with curl and prints the
# median, p95 and maximum time to the last byte, and the page's weight with its stylesheet.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to the benchmark database}"
N=${1:-40}
# shellcheck source=bench/service.sh
source bench/service.sh
GP=$(psql -X -At "$DATABASE_URL" -c "SELECT partner FROM bench_cases GROUP BY partner ORDER BY count(*) DESC LIMIT 1")
psql -X -q -v ON_ERROR_STOP=1 -v vcc="$VCC" -v gp="$GP" "$DATABASE_URL" <<'SQL'
DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE email LIKE 'bench-page-%@bench.invalid');
DELETE FROM users WHERE email LIKE 'bench-page-%@bench.invalid';
INSERT INTO users (id, email, display_name, role, agency_id, created_at, updated_at) VALUES
  (bench_uuid7(), 'bench-page-coordinator@bench.invalid', 'Bench Coordinator', 'coordinator', :'vcc', now(), now()),
  (bench_uuid7(), 'bench-page-partner@bench.invalid', 'Bench Partner', 'partner', :'gp', now(), now());
INSERT INTO sessions (id_hash, handle, user_id, csrf_hash, created_at, last_seen_at, expires_at)
SELECT sha256(convert_to('bench-page-' || role, 'UTF8')), gen_random_uuid(), id, sha256('\x00'::bytea), now(), now(), now() + interval '12 hours'
FROM users WHERE email LIKE 'bench-page-%@bench.invalid';
SQL
CASE_ID=$(head -1 "$CASES" | cut -f1)
GP_CASE=$(psql -X -At "$DATABASE_URL" -c "SELECT case_id FROM bench_cases WHERE partner = '$GP' ORDER BY n LIMIT 1")
CSS=$(curl -s "http://127.0.0.1:$PORT/app/assets/app.css" | wc -c)
echo "machine: $(nproc) cores; PostgreSQL $(psql -X -At "$DATABASE_URL" -c 'SHOW server_version')"
echo "data: $(psql -X -At "$DATABASE_URL" -c "SELECT (SELECT count(*) FROM cases) || ' cases, ' || (SELECT count(*) FROM deadlines) || ' deadlines, ' || (SELECT count(*) FROM interventions) || ' interventions'")"
echo "service: release build, log level warn; $N requests per page, one at a time; stylesheet $CSS bytes"
printf '%-34s %8s %8s %8s %10s %10s\n' page "p50 ms" "p95 ms" "max ms" "bytes" "with CSS"
measure() { # $1: role, $2: path
    local times=() size=0
    for _ in $(seq 1 "$N"); do
        read -r t s < <(curl -s -o /dev/null -w '%{time_total} %{size_download}\n' -b "__Host-fourthp_session=bench-page-$1" "http://127.0.0.1:$PORT$2")
        times+=("$t"); size=$s
    done
    printf '%s\n' "${times[@]}" | sort -n | awk -v n="$N" -v p="$1 $2" -v size="$size" -v css="$CSS" \
        '{a[NR]=$1*1000} END {printf "%-34s %8.1f %8.1f %8.1f %10d %10d\n", p, a[int((n+1)/2)], a[int(n*0.95+0.5)], a[n], size, size+css}'
}
measure coordinator /app/due
measure coordinator "/app/due?show=overdue&by=agency"
measure coordinator "/app/due?show=overdue&page=2"
measure coordinator "/app/due?show=week"
measure coordinator "/app/due?show=later"
measure coordinator "/app/due?mine=1"
measure coordinator /app/cases
measure coordinator "/app/cases?q=$(psql -X -At "$DATABASE_URL" -c "SELECT lower(left(known_as, 2)) FROM cases LIMIT 1" | sed 's/\./%2E/g')"
measure coordinator "/app/cases?q=$(psql -X -At "$DATABASE_URL" -c "SELECT reference FROM cases ORDER BY reference DESC LIMIT 1")"
measure coordinator "/app/cases/$CASE_ID"
measure coordinator /app/cases/new
measure coordinator "/app/cases/$CASE_ID/event"
measure coordinator "/app/cases/$CASE_ID/outcome"
measure coordinator "/app/cases/$CASE_ID/team"
measure partner /app/owed
measure partner /app/cases
measure partner "/app/cases/$GP_CASE"
