#!/bin/sh
# Runs the whole test suite: a build with AddressSanitizer and
# UndefinedBehaviorSanitizer and `make check` there, the threaded tests again
# under ThreadSanitizer, then `make distcheck`.
set -eu
cd "$(dirname "$0")/.."
autoreconf -fi
rm -rf _build-test
mkdir _build-test
cd _build-test
../configure --enable-sanitizers
make -j"$(nproc)"
status=0
make -j"$(nproc)" check || status=$?
# One plain closing line for whoever reads the log.
pass=$(sed -n 's/^# PASS: *//p' test-suite.log)
fail=$(sed -n 's/^# FAIL: *//p' test-suite.log)
error=$(sed -n 's/^# ERROR: *//p' test-suite.log)
if [ "$status" -ne 0 ]; then
    cat test-suite.log
    echo "check: ${pass:-0} passed, $(( ${fail:-0} + ${error:-0} )) failed"
    exit "$status"
fi
cd ..
# The async bus and everything that runs handlers on threads, under TSan.
rm -rf _build-tsan
mkdir _build-tsan
cd _build-tsan
../configure --enable-sanitizers=thread
make -j"$(nproc)"
make -j"$(nproc)" check TESTS="tests/test_async tests/test_async_stress tests/test_bus tests/test_metrics tests/test_trace" ||
    { cat tests/test_async*.log tests/test_bus.log; exit 1; }
cd ../_build-test
make -j"$(nproc)" distcheck
echo "check: ${pass:-0} passed, $(( ${fail:-0} + ${error:-0} )) failed"
