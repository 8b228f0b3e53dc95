#!/bin/sh
# Runs the whole test suite: a build with AddressSanitizer and
# UndefinedBehaviorSanitizer, `make check` there, then `make distcheck`.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
# The JSON decoder is fed every file of JSONTestSuite, kept beside the repository.
JSONTESTSUITE_DIR=${JSONTESTSUITE_DIR:-$top/../shared/data/JSONTestSuite/test_parsing}
export JSONTESTSUITE_DIR
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
make -j"$(nproc)" distcheck
echo "check: ${pass:-0} passed, $(( ${fail:-0} + ${error:-0} )) failed"
