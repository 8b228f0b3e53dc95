#!/bin/sh
# Runs the whole test suite, as CI does (.ci/run):
#  1. ASan and UBSan: a build in _build-test/ with every backend required
#     (--with-X=yes: a missing library fails configure instead of skipping
#     its tests silently), built first with make -j32 on purpose (the
#     libraries, tools and test programs), to catch missing dependencies in
#     the makefile, then make check;
#  2. TSan: the threaded tests again in _build-tsan/;
#  3. make check-faults: the fault tests at full size and the soak, then
#     the soak again in a plain build in _build-plain/ (resident sizes);
#  4. make distcheck: the release tarball built, checked, installed,
#     installcheck-ed (plain make, CMake, Meson against the install) and
#     installed again under DESTDIR.
# Every suite runs even when an earlier one failed.  The last line adds up
# all of them: "check: N passed, M failed".
set -u
cd "$(dirname "$0")/.."
top=$PWD
# The soak's nats-server 2.10.27 (scripts/deps.sh) is required too: a path,
# so that distcheck's configure finds it outside its tarball's tree.
# One line: distcheck passes it on inside a make recipe.
backends="--with-sqlite=yes --with-pq=yes --with-nats=yes --with-libuv=yes --with-microhttpd=yes"
backends="$backends --with-soak-nats-server=$top/.deps/nats-server-2.10.27/usr/sbin/nats-server"
jobs=$(nproc)
passed=0
failed=0

# tally SUITE LOG: adds the "# PASS:" (and FAIL, ERROR, XPASS) lines of the
# automake summaries in LOG, and installcheck's own line, to the totals.
tally() {
    p=$(sed -n 's/^# PASS: *\([0-9]*\).*/\1/p' "$2" | awk '{ s += $1 } END { print s + 0 }')
    f=$(sed -n 's/^# \(FAIL\|ERROR\|XPASS\): *\([0-9]*\).*/\2/p' "$2" | awk '{ s += $1 } END { print s + 0 }')
    s=$(sed -n 's/^# SKIP: *\([0-9]*\).*/\1/p' "$2" | awk '{ s += $1 } END { print s + 0 }')
    line=$(grep '^installcheck: [0-9]* checks' "$2" | tail -1)
    if [ -n "$line" ]; then
        n=$(echo "$line" | sed 's/^installcheck: \([0-9]*\) checks, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/')
        set -- "$1" "$2" $n
        p=$((p + $3 - $4 - $5)); f=$((f + $4)); s=$((s + $5))
    fi
    echo "$1: $p passed, $f failed, $s skipped"
    passed=$((passed + p))
    failed=$((failed + f))
    # A suite that ran nothing did not pass (a broken recipe can end 0).
    if [ $((p + f)) -eq 0 ]; then
        echo "$1: no test ran; the end of $2:"; tail -20 "$2"; failed=$((failed + 1))
    fi
}

# broken SUITE WHAT LOG: a suite that could not run counts as one failure.
broken() {
    echo "$1: $2 failed; the end of $3:"
    tail -40 "$3"
    failed=$((failed + 1))
}

autoreconf -fi >/dev/null || { echo "autoreconf failed"; echo "check: 0 passed, 1 failed"; exit 1; }

# 1. ASan and UBSan.
rm -rf _build-test && mkdir _build-test && cd _build-test
if ! ../configure --enable-sanitizers $backends >configure.log 2>&1; then
    broken ASan configure configure.log
elif ! { make -j32 && make -j32 check TESTS=; } >build.log 2>&1; then
    broken ASan "the make -j32 build (with the test programs)" build.log
else
    make -j"$jobs" check >check.log 2>&1 || cat test-suite.log
    tally ASan test-suite.log
fi
cd "$top"

# 2. The async bus and everything that runs handlers on threads, under TSan.
rm -rf _build-tsan && mkdir _build-tsan && cd _build-tsan
if ! ../configure --enable-sanitizers=thread $backends >configure.log 2>&1; then
    broken TSan configure configure.log
elif ! make -j"$jobs" >build.log 2>&1; then
    broken TSan build build.log
else
    make -j"$jobs" check TESTS="tests/test_async tests/test_async_stress tests/test_async_batch_stress tests/test_bus tests/test_metrics tests/test_trace" \
        >check.log 2>&1 || cat test-suite.log
    tally TSan test-suite.log
fi
cd "$top"

# 3. The fault tests at full size (servers crash, stall, lose their
# leader) and the 3-minute soak on nats-server 2.10.27, in the ASan build:
# about 14 minutes, mostly waiting on the servers.
cd _build-test
if [ -f Makefile ]; then
    make check-faults >faults.log 2>&1 || cat tests/fault-*.log
    tally faults faults.log
else
    echo "faults: not run (no configured build)"; failed=$((failed + 1))
fi
cd "$top"

# 3b. The soak again in a plain build, where it also asserts that every
# long-running process's resident size stays flat (under ASan it is
# ASan's allocator that grows): about 6 minutes.
rm -rf _build-plain && mkdir _build-plain && cd _build-plain
if ! ../configure $backends >configure.log 2>&1; then
    broken soak configure configure.log
elif ! make -j"$jobs" >build.log 2>&1; then
    broken soak build build.log
else
    make check-soak >soak.log 2>&1 || cat tests/fault-soak.log
    tally soak soak.log
fi
cd "$top"

# 4. distcheck, from the ASan build's makefiles (the tarball is built plain).
cd _build-test
if [ -f Makefile ]; then
    status=0
    make -j"$jobs" distcheck DISTCHECK_CONFIGURE_FLAGS="$backends" >distcheck.log 2>&1 || status=$?
    before=$failed
    tally distcheck distcheck.log
    if [ "$status" -ne 0 ]; then
        grep -v '^\(PASS\|SKIP\|ok\|  CC\|  CCLD\|  GEN\|  HIDE\)' distcheck.log | tail -60
        # A failure outside the test suites (dist, install, distclean...).
        [ "$failed" -gt "$before" ] || { echo "distcheck: failed outside the suites"; failed=$((failed + 1)); }
    fi
else
    echo "distcheck: not run (no configured build)"; failed=$((failed + 1))
fi
cd "$top"

echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
