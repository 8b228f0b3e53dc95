#!/bin/sh
# console_load.sh - the console under load (`make bench-console`): 200
# concurrent API requests at a time against a 100,000-row SQLite outbox,
# 10 rounds after a warm-up.  Prints p50/p99/max latency, failures, and
# the server's resident memory after each round; fails if a request
# failed or memory grew by more than a quarter from the first round.
set -u
tool=${OUTBOX_TOOL:-./tools/msgbus-outbox}
plant=${CONSOLE_PLANT:-./tests/console_plant}
rows=${CONSOLE_LOAD_ROWS:-100000}
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
echo "planting $rows rows..."
"$plant" --db "$work/load.db" --bulk "$rows" || exit 1
# Spread the bulk rows over the states: 90% processed, 5% dead, 3% failed.
sqlite3 "$work/load.db" "
  UPDATE msgbus_outbox SET processed_at = created_at + 50
   WHERE id LIKE 'bulk-%' AND CAST(substr(id, 6) AS INTEGER) % 100 < 90;
  UPDATE msgbus_outbox SET attempts = 5, dead_at = created_at + 90,
         last_error = 'handler failed: timeout ' || (CAST(substr(id, 6) AS INTEGER) % 7)
   WHERE id LIKE 'bulk-%' AND CAST(substr(id, 6) AS INTEGER) % 100 BETWEEN 90 AND 94;
  UPDATE msgbus_outbox SET attempts = 2, available_at = created_at + 3600000,
         last_error = 'connection refused'
   WHERE id LIKE 'bulk-%' AND CAST(substr(id, 6) AS INTEGER) % 100 BETWEEN 95 AND 97;" || exit 1
"$tool" serve --db "$work/load.db" --listen 127.0.0.1:0 >"$work/out" 2>"$work/err" &
pid=$!
i=0
until grep -q "console on" "$work/out" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 100 ] && kill -0 "$pid" 2>/dev/null || { cat "$work/err"; exit 1; }
    sleep 0.1
done
url=$(sed -n 's|.*console on \(http://[^/]*\)/.*|\1|p' "$work/out")
node "${srcdir:-.}/bench/console_load.js" "$url" "$pid"
