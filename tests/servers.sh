# servers.sh - sourced by the test wrappers: start a private PostgreSQL
# cluster and a JetStream nats-server on 127.0.0.1 in a temporary
# directory, and stop both on exit, also when a test fails.
#   pg_start    sets MSGBUS_TEST_PG (a libpq conninfo)
#   nats_start  sets MSGBUS_TEST_NATS (nats://127.0.0.1:PORT)
#   servers_cleanup  runs from the EXIT trap set here
# Every wait is bounded.

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
servers_dir=$(mktemp -d /tmp/msgbus-servers.XXXXXX)
chmod 755 "$servers_dir"
pg_pid=
nats_pid=

servers_cleanup() {
    if [ -n "$nats_pid" ]; then
        kill "$nats_pid" 2>/dev/null
        wait_gone "$nats_pid"
    fi
    if [ -n "$pg_pid" ]; then
        # SIGINT to the postmaster itself (runuser does not pass it on):
        # fast shutdown.
        postmaster=$(head -n 1 "$servers_dir/pg/postmaster.pid" 2>/dev/null)
        [ -n "$postmaster" ] && kill -INT "$postmaster" 2>/dev/null
        wait_gone "$pg_pid"
    fi
    rm -rf "$servers_dir"
}
trap 'servers_cleanup' EXIT
trap 'exit 130' INT TERM

# Waits up to 10 s for a process to end, then kills it.
wait_gone() {
    i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    if kill -0 "$1" 2>/dev/null; then kill -9 "$1" 2>/dev/null; fi
    wait "$1" 2>/dev/null
    return 0
}

# A TCP port nobody listens on now (the kernel's choice).
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Runs a command as the postgres user when we are root (initdb and
# postgres refuse to run as root).
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
    [ -x "$PG_BIN/initdb" ] || { echo "no initdb in $PG_BIN" >&2; return 1; }
    pgdata=$servers_dir/pg
    mkdir -p "$pgdata"
    [ "$(id -u)" -eq 0 ] && chown postgres "$pgdata"
    as_pg "$PG_BIN/initdb" -D "$pgdata" -U msgbus -A trust --no-sync -E UTF8 \
        >"$servers_dir/initdb.log" 2>&1 || { cat "$servers_dir/initdb.log" >&2; return 1; }
    port=$(free_port)
    as_pg "$PG_BIN/postgres" -D "$pgdata" -h 127.0.0.1 -p "$port" -k "$pgdata" \
        -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
        -c max_connections=50 >"$servers_dir/pg.log" 2>&1 &
    pg_pid=$!
    i=0
    until "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -ge 150 ] || ! kill -0 "$pg_pid" 2>/dev/null; then
            echo "PostgreSQL did not start:" >&2; cat "$servers_dir/pg.log" >&2; return 1
        fi
        sleep 0.1
    done
    MSGBUS_TEST_PG="host=127.0.0.1 port=$port user=msgbus dbname=postgres"
    export MSGBUS_TEST_PG
}

nats_start() {
    port=$(free_port)
    mkdir -p "$servers_dir/nats"
    nats-server -js -a 127.0.0.1 -p "$port" -sd "$servers_dir/nats" \
        >"$servers_dir/nats.log" 2>&1 &
    nats_pid=$!
    i=0
    until grep -q "Server is ready" "$servers_dir/nats.log" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -ge 150 ] || ! kill -0 "$nats_pid" 2>/dev/null; then
            echo "nats-server did not start:" >&2; cat "$servers_dir/nats.log" >&2; return 1
        fi
        sleep 0.1
    done
    MSGBUS_TEST_NATS="nats://127.0.0.1:$port"
    export MSGBUS_TEST_NATS
}
