#!/bin/sh
# Builds msgbus and runs the demo: schemas/orders.msg compiled by msgbusgen,
# then examples/orders handling a few orders.
set -eu
cd "$(dirname "$0")/.."
scripts/build.sh
make -C _build demo
