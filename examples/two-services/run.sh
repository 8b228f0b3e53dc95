#!/bin/sh
# examples/two-services/run.sh - the whole flow on loopback:
#   orders service (outbox in SQLite, or PostgreSQL with --pg) -> relay ->
#   NATS JetStream -> billing service (consumer + inbox) -> billing's outbox.
# Starts nats-server (and with --pg a private PostgreSQL cluster) in a
# temporary directory and stops them at the end.
#   run.sh [--pg] [ORDERS]      (from the build directory: make demo-two-services)
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$here/../..}
services=${SERVICES:-./examples/two-services/services}
. "$top_srcdir/tests/servers.sh"
use_pg=no
if [ "${1:-}" = "--pg" ]; then use_pg=yes; shift; fi
orders=${1:-1000}
nats_start || exit 1
work=$servers_dir/data
mkdir -p "$work"
if [ $use_pg = yes ]; then
    pg_start || exit 1
    orders_db=$MSGBUS_TEST_PG
else
    orders_db=$work/orders.db
fi
billing_db=$work/billing.db
echo "== NATS at $MSGBUS_TEST_NATS; orders database: $orders_db"
echo "== orders: placing $orders orders (each with its OrderPlaced, one transaction)"
"$services" place "$orders_db" 1 "$orders" || exit 1
echo "== relay and billing run side by side until idle"
"$services" relay "$orders_db" "$MSGBUS_TEST_NATS" 60 &
relay=$!
"$services" billing "$billing_db" "$MSGBUS_TEST_NATS" 60 &
billing=$!
wait $relay; wait $billing
echo "== report"
"$services" report "$orders_db" "$billing_db"
