#!/usr/bin/env bash
# A hot standby of the benchmark's PostgreSQL server, for reports on a replica (issue 16):
#
#   bench/replica.sh [PRIMARY_PORT] [REPLICA_PORT] [DIR]      (defaults 5432 5433 /var/lib/postgresql/fourthp-bench-replica)
#
# Copies the primary with pg_basebackup -R (streaming replication; the primary's pg_hba.conf must
# allow `replication` connections from 127.0.0.1 for the postgres user) and starts it with its
# postmaster at the lowest CPU priority (SCHED_IDLE, nice 19, and its autogroup's too where the
# kernel groups by session): on the 2-core benchmark machine the replica shares the cores it would
# not share in production, and the priority stands for its own machine. Run as
# root (it acts as the postgres user) or as postgres. Stop it with:
#   pg_ctl -D DIR stop          (as postgres)
set -euo pipefail
PRIMARY_PORT=${1:-5432}
REPLICA_PORT=${2:-5433}
DIR=${3:-/var/lib/postgresql/fourthp-bench-replica}
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_postgres() { if [ "$(id -un)" = postgres ]; then "$@"; else su postgres -s /bin/bash -c "$(printf '%q ' "$@")"; fi; }
if [ ! -f "$DIR/PG_VERSION" ]; then
    as_postgres mkdir -p "$DIR"
    as_postgres chmod 700 "$DIR"
    as_postgres "$BIN/pg_basebackup" -D "$DIR" -R -X stream -c fast -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres
    # Debian keeps the configuration outside the data directory: the copy gets its own. A report
    # on the standby is never cancelled for replay (max_standby_streaming_delay -1: replay waits,
    # and the replica falls behind by at most a report's length), and the primary is not told to
    # keep old rows for it (hot_standby_feedback off): with feedback on, the primary could not
    # clean its busiest tables while a report ran, and the interactive p99 rose 5-7 times.
    as_postgres bash -c "printf 'hot_standby = on\nhot_standby_feedback = off\nmax_standby_streaming_delay = -1\nmax_connections = 100\n' > '$DIR/postgresql.conf'"
    as_postgres bash -c "printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' > '$DIR/pg_hba.conf'"
fi
# Its own machine would have its own disk too: the stand-in writes nothing it must wait for
# (fsync off: a benchmark replica's durability does not matter) and gets the disk only when
# nothing else wants it (ionice idle class, where the I/O scheduler honours it).
as_postgres nice -n 19 ionice -c 3 "$BIN/pg_ctl" -D "$DIR" -w -l "$DIR/server.log" \
    -o "-p $REPLICA_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=/tmp -c fsync=off" start
# Lower still: the postmaster and its processes (and the backends it forks later, which inherit
# it) run under SCHED_IDLE, given the CPU only when nothing else wants it and preempted at once
# when something does; nice 19 alone still took a share. With the kernel's autogroup scheduling
# on (Debian's default) CPU is also shared first between sessions, nice counting only inside one,
# and pg_ctl starts the postmaster in a session of its own: that session's autogroup gets nice 19.
PID=$(head -1 "$DIR/postmaster.pid")
for p in "$PID" $(pgrep -P "$PID"); do chrt --idle -p 0 "$p"; done
AUTOGROUP=""
if [ "$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null || echo 0)" = 1 ]; then
    echo 19 > "/proc/$PID/autogroup"
    AUTOGROUP=", its session's autogroup at nice 19"
fi
echo "replica on 127.0.0.1:$REPLICA_PORT (SCHED_IDLE, nice 19, ionice idle, fsync off$AUTOGROUP), replaying from :$PRIMARY_PORT"
