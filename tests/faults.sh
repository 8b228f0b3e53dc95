# faults.sh - sourced by the fault tests after servers.sh: the orders ->
# relay -> JetStream -> billing flow of examples/two-services, run in
# follow mode (until SIGTERM) while the test breaks the servers.
#   flow_place DB FIRST COUNT     orders (SQLite file or PostgreSQL conninfo)
#   flow_feed DB FIRST COUNT      the same in the background, in 40 commits
#                                 0.1 s apart, so a fault lands mid-relay;
#                                 flow_feed_wait waits for it
#   flow_start DB URLS            relay and billing, in the background
#   flow_wait_billed SECS         until billing shows every order once
#   flow_stop                     SIGTERM both; fails unless both exit 0
#   flow_report                   the exactly-once report (exit status)
#   flow_published                rows published so far (processed)
#   check WHAT COMMAND...         prints ok/FAIL, counts failures
# Every wait is bounded.
#   short                         true under make check (FAULT_SHORT=yes)
services=./examples/two-services/services
tool=./tools/msgbus-outbox
failed=0
flow_db=
billing_db=$servers_dir/billing.db
relay_pid=
billing_pid=

short() { [ "${FAULT_SHORT:-no}" = yes ]; }

# They need the two services and the stream helper (all three backends).
for prog in "$services" "$tool" ./tests/fault_stream; do
    [ -x "$prog" ] || { echo "SKIP: $prog is not built (needs SQLite, PostgreSQL and NATS)"; exit 77; }
done

check() {
    what=$1; shift
    if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; failed=$((failed + 1)); fi
}

now_ms() { date +%s%3N; }

# A random integer in [0, $1).
rand() { echo $(( $(od -An -N2 -tu2 /dev/urandom) % $1 )); }

flow_place() {
    "$services" place "$1" "$2" "$3" >/dev/null || { echo "FAIL: placing orders"; exit 1; }
}

flow_feed() {
    chunk=$(( ($3 + 39) / 40 ))
    (
        i=$2 last=$(($2 + $3 - 1))
        while [ $i -le $last ]; do
            n=$chunk
            [ $((i + n - 1)) -gt $last ] && n=$((last - i + 1))
            "$services" place "$1" $i $n >/dev/null 2>>"$servers_dir/feed.err" || exit 1
            i=$((i + n))
            sleep 0.1
        done
    ) &
    feed_pid=$!
}

flow_feed_wait() {
    wait $feed_pid || { echo "FAIL: placing orders"; tail -3 "$servers_dir/feed.err"; failed=$((failed + 1)); }
}

flow_start() {
    flow_db=$1
    "$services" relay "$1" "$2" 0 >>"$servers_dir/relay.log" 2>&1 &
    relay_pid=$!
    "$services" billing "$billing_db" "$2" 0 >>"$servers_dir/billing.log" 2>&1 &
    billing_pid=$!
}

flow_report() {
    "$services" report "$flow_db" "$billing_db" >"$servers_dir/report" 2>&1
}

flow_published() {
    case $flow_db in
        *=*) db="--pg" ;;
        *) db="--db" ;;
    esac
    "$tool" $db "$flow_db" stats 2>/dev/null | awk '$1 == "processed" { print $2 }'
}

flow_wait_billed() {
    n=0
    until flow_report; do
        n=$((n + 1))
        [ $n -ge $(($1 * 2)) ] && { cat "$servers_dir/report"; return 1; }
        sleep 0.5
    done
}

flow_stop() {
    kill -TERM $relay_pid $billing_pid 2>/dev/null
    wait $relay_pid; r1=$?
    wait $billing_pid; r2=$?
    [ $r1 -eq 0 ] && [ $r2 -eq 0 ] || { echo "relay exit $r1, billing exit $r2"; tail -5 "$servers_dir/relay.log" "$servers_dir/billing.log"; return 1; }
}

# Waits until the relay has published at least $1 rows (at most 60 s).
flow_wait_published() {
    n=0
    while [ "$(flow_published)" -lt "$1" ] 2>/dev/null && [ $n -lt 600 ]; do
        sleep 0.1; n=$((n + 1))
    done
}

# No row failed or was dead-lettered: an outage costs no attempt.
flow_no_attempts_lost() {
    case $flow_db in *=*) db="--pg" ;; *) db="--db" ;; esac
    out=$("$tool" $db "$flow_db" stats)
    echo "$out" | grep -q "^failed *0$" && echo "$out" | grep -q "^dead *0$"
}
