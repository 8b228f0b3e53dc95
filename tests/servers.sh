# servers.sh - sourced by the test wrappers: start a private PostgreSQL
# cluster and a JetStream nats-server on 127.0.0.1 in a temporary
# directory, and stop both on exit, also when a test fails (and before
# them whatever the test left running).
#   pg_start    sets MSGBUS_TEST_PG (a libpq conninfo)
#   nats_start  sets MSGBUS_TEST_NATS (nats://127.0.0.1:PORT)
#   servers_cleanup  runs from the EXIT trap set here
# For the fault tests (each server keeps its port and data across a restart):
#   PG_DURABLE=yes before pg_start: fsync and synchronous_commit on, so an
#                immediate stop loses no acknowledged commit (the default
#                trades that for speed)
#   pg_crash     pg_ctl stop -m immediate        pg_restart
#   pg_stall S   SIGSTOP every server process for S seconds, then SIGCONT
#   nats_kill    SIGKILL nats-server             nats_restart
#   nats_stall S
#   nats_cluster_start  three JetStream nodes n1..n3 forming a cluster; sets
#                MSGBUS_TEST_NATS_CLUSTER (their URLs, comma-separated);
#                nats_node_kill I, nats_node_start I, nats_node_pid I,
#                nats_node_monitor I (its monitoring URL: /jsz, /varz)
# MSGBUS_TEST_NATS_SERVER names the nats-server binary for every server
# started here, single or clustered (default: nats-server from PATH).
# Every wait is bounded.

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
servers_dir=$(mktemp -d /tmp/msgbus-servers.XXXXXX)
chmod 755 "$servers_dir"
NATS_SERVER=${MSGBUS_TEST_NATS_SERVER:-nats-server}
pg_pid=
nats_pid=
nats_port=
pg_port=
cluster_pids=

# The test's own processes still running: every descendant of this shell
# outside the servers' process trees (relays, producers and consumers a
# failure left behind, which would otherwise outlive the test and talk to
# whatever server takes their port next).
test_processes() {
    awk -v top=$$ -v servers=" $cluster_pids $nats_pid $pg_pid " '
        { parent[$1] = $4 }
        END {
            mine[top] = 1
            do {
                added = 0
                for (p in parent)
                    if (!(p in mine) && (parent[p] in mine) && index(servers, " " p " ") == 0) {
                        mine[p] = 1; added = 1
                    }
            } while (added)
            for (p in mine) if (p != top) print p
        }' /proc/[0-9]*/stat 2>/dev/null
}

servers_cleanup() {
    left=$(test_processes)
    for p in $left; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
    for p in $left; do wait_gone "$p"; done
    for p in $cluster_pids; do
        kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; wait_gone "$p"
    done
    if [ -n "$nats_pid" ]; then
        kill -CONT "$nats_pid" 2>/dev/null
        kill "$nats_pid" 2>/dev/null
        wait_gone "$nats_pid"
    fi
    if [ -n "$pg_pid" ]; then
        # SIGINT to the postmaster itself (runuser does not pass it on):
        # fast shutdown.
        postmaster=$(head -n 1 "$servers_dir/pg/postmaster.pid" 2>/dev/null)
        pg_signal_all CONT
        kill -CONT "$pg_pid" 2>/dev/null
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
    pg_port=$(free_port)
    pg_launch || return 1
    MSGBUS_TEST_PG="host=127.0.0.1 port=$pg_port user=msgbus dbname=postgres"
    export MSGBUS_TEST_PG
}

# Starts the postmaster on $pg_port and waits until it accepts connections
# (after a crash, once recovery is done).
pg_launch() {
    if [ "${PG_DURABLE:-no}" = yes ]; then
        speed="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
    else
        speed="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    # A plain command in the background, so that pg_pid is runuser's own
    # pid (a function would put a subshell between) and can be continued.
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$PG_BIN/postgres" -D "$pgdata" -h 127.0.0.1 -p "$pg_port" \
            -k "$pgdata" $speed -c max_connections=50 >>"$servers_dir/pg.log" 2>&1 &
    else
        "$PG_BIN/postgres" -D "$pgdata" -h 127.0.0.1 -p "$pg_port" \
            -k "$pgdata" $speed -c max_connections=50 >>"$servers_dir/pg.log" 2>&1 &
    fi
    pg_pid=$!
    i=0
    until "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$pg_port" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -ge 300 ] || ! kill -0 "$pg_pid" 2>/dev/null; then
            echo "PostgreSQL did not start:" >&2; tail -n 20 "$servers_dir/pg.log" >&2; return 1
        fi
        sleep 0.1
    done
}

# Sends SIG to the postmaster and every server process under it.
pg_signal_all() {
    pm=$(head -n 1 "$servers_dir/pg/postmaster.pid" 2>/dev/null)
    [ -n "$pm" ] || return 0
    kill -"$1" $(ps -o pid= --ppid "$pm" 2>/dev/null) "$pm" 2>/dev/null
    return 0
}

pg_crash() {
    as_pg "$PG_BIN/pg_ctl" stop -D "$pgdata" -m immediate -t 10 >/dev/null 2>&1
    kill -CONT "$pg_pid" 2>/dev/null     # a runuser stopped by an earlier stall
    wait_gone "$pg_pid"
}

pg_restart() {
    pg_launch
}

pg_stall() {
    pg_signal_all STOP
    sleep "$1"
    pg_signal_all CONT
    # runuser stops itself when it sees its child stopped, maybe after the
    # SIGCONT above: wake it until it runs, or it never reaps the postmaster.
    i=0
    while [ $i -lt 30 ]; do
        kill -CONT "$pg_pid" 2>/dev/null
        sleep 0.1
        case $(ps -o stat= -p "$pg_pid" 2>/dev/null) in T*) ;; *) break ;; esac
        i=$((i + 1))
    done
    return 0
}

nats_start() {
    nats_port=$(free_port)
    nats_launch || return 1
    MSGBUS_TEST_NATS="nats://127.0.0.1:$nats_port"
    export MSGBUS_TEST_NATS
}

nats_launch() {
    mkdir -p "$servers_dir/nats"
    : >"$servers_dir/nats.log"
    "$NATS_SERVER" -js -a 127.0.0.1 -p "$nats_port" -sd "$servers_dir/nats" \
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
}

nats_kill() {
    kill -9 "$nats_pid" 2>/dev/null
    wait "$nats_pid" 2>/dev/null
    return 0
}

nats_restart() {
    nats_launch
}

nats_stall() {
    kill -STOP "$nats_pid"
    sleep "$1"
    kill -CONT "$nats_pid"
}

# ---- a three-node JetStream cluster ---------------------------------------

nats_cluster_start() {
    urls= routes=
    for n in 1 2 3; do
        eval "cport$n=\$(free_port) rport$n=\$(free_port) mport$n=\$(free_port)"
    done
    for n in 1 2 3; do
        eval "routes=\"\${routes:+\$routes, }nats-route://127.0.0.1:\$rport$n\""
        eval "urls=\"\${urls:+\$urls,}nats://127.0.0.1:\$cport$n\""
    done
    for n in 1 2 3; do
        mkdir -p "$servers_dir/n$n"
        eval "cp=\$cport$n rp=\$rport$n mp=\$mport$n"
        cat >"$servers_dir/n$n.conf" <<EOF
server_name: n$n
listen: 127.0.0.1:$cp
http: 127.0.0.1:$mp
jetstream { store_dir: "$servers_dir/n$n" }
cluster { name: msgbus; listen: 127.0.0.1:$rp; routes: [ $routes ] }
EOF
    done
    for n in 1 2 3; do nats_node_start $n || return 1; done
    MSGBUS_TEST_NATS_CLUSTER=$urls
    export MSGBUS_TEST_NATS_CLUSTER
}

nats_node_start() {
    # The log is appended to: a restart keeps the evidence of the last run.
    touch "$servers_dir/n$1.log"
    seen=$(wc -l <"$servers_dir/n$1.log")
    "$NATS_SERVER" -c "$servers_dir/n$1.conf" >>"$servers_dir/n$1.log" 2>&1 &
    eval "node_pid$1=$!"
    cluster_pids="$cluster_pids $!"
    i=0
    until tail -n +$((seen + 1)) "$servers_dir/n$1.log" 2>/dev/null | grep -q "Server is ready"; do
        i=$((i + 1))
        if [ $i -ge 150 ]; then
            echo "nats-server n$1 did not start:" >&2; cat "$servers_dir/n$1.log" >&2; return 1
        fi
        sleep 0.1
    done
}

# The node's monitoring endpoint (/jsz, /varz...).
nats_node_monitor() {
    eval "echo http://127.0.0.1:\$mport$1"
}

nats_node_pid() {
    eval "echo \$node_pid$1"
}

nats_node_kill() {
    p=$(nats_node_pid "$1")
    kill -9 "$p" 2>/dev/null
    wait "$p" 2>/dev/null
    return 0
}
