#!/bin/sh
# Runs in place of a test whose backend configure did not build: prints the
# reason written in the .skip file and exits 77, so the test counts as
# skipped in the summary instead of vanishing from it.
echo "SKIP: $(cat "$1")"
exit 77
