# console_lib.sh - sourced by the console tests: start `msgbus-outbox
# serve` on a free loopback port (port 0: the kernel's choice, read back
# from its first line), make requests with curl, read JSON with python3.
# Every wait is bounded.
#   console_skip_unless_built   exits 77 when serve was not built
#   console_start ARGS...       sets console_url, console_pid
#   console_stop
#   req METHOD PATH [CURL ARGS]  sets code; the body is in $work/body
#   session                     a session cookie in $work/jar, its token in csrf
#   jget EXPR                   prints EXPR (Python, on d) of the last body
#   check NAME COMMAND...       counts a failure when COMMAND fails

tool=${OUTBOX_TOOL:-./tools/msgbus-outbox}
plant=${CONSOLE_PLANT:-./tests/console_plant}
failed=0
console_pid=
console_url=

check() {
    name=$1; shift
    if "$@"; then echo "ok: $name"; else echo "FAIL: $name"; failed=$((failed + 1)); fi
}

console_skip_unless_built() {
    [ -x "$tool" ] || { echo "SKIP: msgbus-outbox is not built (see configure's summary)"; exit 77; }
    if "$tool" serve --help 2>&1 | grep -q "built without the web console"; then
        echo "SKIP: msgbus-outbox was built without libmicrohttpd (configure --with-microhttpd)"
        exit 77
    fi
    command -v curl >/dev/null || { echo "SKIP: no curl"; exit 77; }
}

console_start() {
    : >"$work/console.out"
    "$tool" serve "$@" --listen 127.0.0.1:0 >"$work/console.out" 2>"$work/console.err" &
    console_pid=$!
    i=0
    while ! grep -q "console on http://" "$work/console.out" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -ge 100 ] || ! kill -0 "$console_pid" 2>/dev/null; then
            echo "the console did not start:"; cat "$work/console.err"
            console_pid=
            return 1
        fi
        sleep 0.1
    done
    console_url=$(sed -n 's|.*console on \(http://[^/]*\)/.*|\1|p' "$work/console.out")
}

# Stops the console with SIGTERM; it must exit 0 (a sanitizer's report
# or a crash on the way out is a failure).
console_stop() {
    [ -n "$console_pid" ] || return 0
    kill "$console_pid" 2>/dev/null
    i=0
    while kill -0 "$console_pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    kill -9 "$console_pid" 2>/dev/null
    wait "$console_pid"
    status=$?
    console_pid=
    if [ "$status" -ne 0 ]; then
        echo "FAIL: the console exited with status $status:"; cat "$work/console.err"
        failed=$((failed + 1))
    fi
}

req() {
    method=$1; path=$2; shift 2
    code=$(curl -s -m 20 -o "$work/body" -D "$work/headers" -w '%{http_code}' -X "$method" \
        "$@" "$console_url$path")
}

session() {
    curl -s -m 20 -c "$work/jar" -o "$work/session" "$console_url/api/session"
    csrf=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf_token"])' \
        "$work/session")
}

# A POST as the console's own page makes it: session cookie and CSRF token.
post() {
    path=$1; shift
    req POST "$path" -b "$work/jar" -H "X-CSRF-Token: $csrf" "$@"
}

jget() {
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=eval(sys.argv[2]); print(json.dumps(r) if not isinstance(r,str) else r)' \
        "$work/body" "$1" 2>/dev/null
}

# check NAME EXPR VALUE: jget EXPR prints VALUE.
is() {
    got=$(jget "$2")
    if [ "$got" = "$3" ]; then echo "ok: $1"; else
        echo "FAIL: $1: $2 is '$got', not '$3' (HTTP $code)"; failed=$((failed + 1)); fi
}

code_is() {
    if [ "$code" = "$2" ]; then echo "ok: $1"; else
        echo "FAIL: $1: HTTP $code, not $2: $(head -c 300 "$work/body")"; failed=$((failed + 1)); fi
}

# Exits 77 unless Debian's Chromium, node and puppeteer-core are there.
browser_skip_unless_installed() {
    chromium=${CHROMIUM:-/usr/bin/chromium}
    [ -x "$chromium" ] || { echo "SKIP: no Chromium at $chromium (Debian package chromium)"; exit 77; }
    command -v node >/dev/null || { echo "SKIP: no node"; exit 77; }
    node -e 'require("puppeteer-core")' 2>/dev/null ||
        { echo "SKIP: no puppeteer-core in NODE_PATH=${NODE_PATH:-} (scripts/deps.sh puts it in .deps/npm)"; exit 77; }
}

# browse MODE [ARGS]: runs tests/console_browser.js, screenshots in tests/.
browse() {
    mode=$1; shift
    CHROMIUM=$chromium node "${srcdir:-.}/tests/console_browser.js" "$mode" "$console_url" \
        "$(pwd)/tests" "$@" || failed=$((failed + 1))
}
