#!/bin/sh
# Builds msgbus and runs the demo: msgbusgen compiles schemas/orders.msg,
# examples/orders handles a few orders on the bus, then examples/outbox
# stores orders and their messages in SQLite and processes the outbox.
# One line per step; the configure and build output goes to _build/demo.log,
# shown only when a step fails.
set -u
cd "$(dirname "$0")/.."
mkdir -p _build
log=$PWD/_build/demo.log
: >"$log"

# step DESCRIPTION COMMAND...: runs the command into the log.
step() {
    what=$1; shift
    printf '%s... ' "$what"
    if "$@" >>"$log" 2>&1; then
        echo ok
    else
        echo "FAILED (the log, $log, follows)"
        cat "$log"
        exit 1
    fi
}

step "configuring and building msgbus in _build/" scripts/build.sh "$@"
echo
echo "== examples/orders: the bus handles two orders"
make -s --no-print-directory -C _build demo-orders || exit 1
echo
echo "== examples/outbox: orders and their messages in one SQLite transaction"
make -s --no-print-directory -C _build demo-outbox || exit 1
