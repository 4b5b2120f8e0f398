#!/usr/bin/env bash
# Moving a caseload in (issue 26): a spreadsheet of ROWS cases (default 10,000), with two NRM
# events and one call each in their own files, read and checked (the dry run) and loaded in one
# transaction through the API's writers, by the release build's `fourthp import cases`:
#
#   DATABASE_URL=postgres://postgres@127.0.0.1/import_bench bench/import.sh [ROWS]
#
# The database should hold no cases (it is given the agencies the files name). The second run
# of the same files is measured too: every row is skipped by its old reference.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to the benchmark database}"
ROWS=${1:-10000}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
if [ -z "${FOURTHP_BIN:-}" ]; then cargo build -q --release -p fourthp-api --bin fourthp; fi
BIN=${FOURTHP_BIN:-target/release/fourthp}
"$BIN" migrate > /dev/null

echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
echo "PostgreSQL: $(psql -X -At "$DATABASE_URL" -c 'SHOW server_version')"
psql -X -q "$DATABASE_URL" <<'SQL'
INSERT INTO agencies (id, name, kind, active, version, created_at, updated_at)
SELECT gen_random_uuid(), n, k, true, 1, now(), now()
FROM (VALUES ('Benchshire Victim Care', 'victim_care_contract_provider'), ('Benchshire Police', 'police'), ('Benchshire GP Practice', 'health_gp')) v(n, k)
ON CONFLICT DO NOTHING;
SQL

python3 - "$DIR" "$ROWS" <<'PY'
import csv, random, sys, datetime
out, rows = sys.argv[1], int(sys.argv[2])
rng = random.Random(26)
nat = ["RO", "AL", "VN", "GB", "PL", "NG", "ER", "SD", "IN", "CN"]
kinds = ["Labour", "Sexual", "Criminal", "Domestic servitude", "Labour, Sexual"]
start = datetime.date(2024, 1, 1)
with open(f"{out}/cases.csv", "w", newline="") as c, open(f"{out}/events.csv", "w", newline="") as e, open(f"{out}/calls.csv", "w", newline="") as i:
    cw, ew, iw = csv.writer(c), csv.writer(e), csv.writer(i)
    cw.writerow(["Case Ref", "Client name", "Year of birth", "Sex", "Nationality", "Type of exploitation", "LA", "NRM consent", "Consent to share", "Interpreter"])
    ew.writerow(["Case Ref", "Event", "Date", "Decision", "First responder"])
    iw.writerow(["Case Ref", "Date", "Method", "Agency", "Need", "Notes", "Minutes"])
    for n in range(rows):
        ref = f"BS-{n:06d}"
        cw.writerow([ref, f"C{n}", rng.randint(1960, 2004), rng.choice(["M", "F"]), rng.choice(nat), rng.choice(kinds),
                     "Benchshire", "Yes", rng.choice(["Confidential", "Share", "Anonymous"]), rng.choice(["Y", "N"])])
        day = start + datetime.timedelta(days=rng.randint(0, 600))
        ew.writerow([ref, "Support started", day.strftime("%d/%m/%Y"), "", ""])
        ew.writerow([ref, "NRM referral", (day + datetime.timedelta(days=1)).strftime("%d/%m/%Y"), "", "Benchshire Police"])
        iw.writerow([ref, (day + datetime.timedelta(days=2)).strftime("%d/%m/%Y") + " 10:30", "Phone", "Benchshire GP Practice", "GP",
                     "Asked the practice to register them", 10])
PY
echo "files: $(wc -l < "$DIR/cases.csv") lines of cases ($(du -k "$DIR/cases.csv" | cut -f1) KiB), $(wc -l < "$DIR/events.csv") of events, $(wc -l < "$DIR/calls.csv") of calls"
echo
echo "== first run: dry run and load"
/usr/bin/time -f "elapsed %e s, peak memory %M KiB" "$BIN" import cases "$DIR/cases.csv" --events "$DIR/events.csv" --interventions "$DIR/calls.csv" \
  --agency "Benchshire Victim Care" --lead coordinator-1 --load
echo
echo "== second run of the same files: every row skipped"
/usr/bin/time -f "elapsed %e s, peak memory %M KiB" "$BIN" import cases "$DIR/cases.csv" --events "$DIR/events.csv" --interventions "$DIR/calls.csv" \
  --agency "Benchshire Victim Care" --lead coordinator-1 --load
echo
psql -X -At "$DATABASE_URL" -c "SELECT (SELECT count(*) FROM cases) || ' cases, ' || (SELECT count(*) FROM case_events) || ' events, ' || (SELECT count(*) FROM deadlines) || ' deadlines, ' || (SELECT count(*) FROM interventions) || ' interventions, ' || (SELECT count(*) FROM audit_records) || ' audit records'"
