# Sourced by the load benchmarks (bench/load.sh, bench/read-log.sh): builds the release binaries,
# starts the service on DATABASE_URL on a free port, waits until it is ready (a first start may
# re-derive every case's deadlines), and writes the benchmark's open cases (bench_cases:
# case_id, partner agency) to $CASES. Sets BIN, PORT, SERVER, SECRET_FILE, CASES, NCASES, VCC;
# start_instance starts one more instance on the same database (its port in PORT2, its pid added
# to SERVERS).
cargo build -q --release -p fourthp-api -p fourthp-tests --bin fourthp --bin loadgen
BIN=target/release/fourthp
export FOURTHP_JWT_HS256_SECRET=${FOURTHP_JWT_HS256_SECRET:-bench-secret-bench-secret-bench-secret-0123}
SECRET_FILE=$(mktemp); printf '%s' "$FOURTHP_JWT_HS256_SECRET" > "$SECRET_FILE"
export FOURTHP_LOG=warn
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_ready() { for _ in $(seq 1 3000); do curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return 0; sleep 0.1; done; return 1; }
start_instance() {
    PORT2=$(free_port)
    FOURTHP_BIND=127.0.0.1:$PORT2 "$BIN" serve &
    SERVERS="$SERVERS $!"
    wait_ready "$PORT2"
}
PORT=$(free_port)
FOURTHP_BIND=127.0.0.1:$PORT "$BIN" serve &
SERVER=$!
CASES=$(mktemp)
# SERVERS: further instances a script starts (bench/load.sh's two-instance run), stopped too.
SERVERS=""
trap 'kill $SERVER $SERVERS 2>/dev/null; wait $SERVER $SERVERS 2>/dev/null || true; rm -f "$SECRET_FILE" "$CASES" "$CASES".*' EXIT
wait_ready "$PORT"
psql -X -q "$DATABASE_URL" -f bench/pgbench/setup.sql 2>/dev/null
psql -X -At "$DATABASE_URL" -c "COPY (SELECT case_id, partner FROM bench_cases ORDER BY n) TO STDOUT" > "$CASES"
NCASES=$(wc -l < "$CASES")
VCC=$(psql -X -At "$DATABASE_URL" -c "SELECT id FROM agencies WHERE name = 'Northshire Victim Care Service'")
