#!/bin/sh
# Configures and builds msgbus in _build/ (extra arguments go to configure).
set -eu
cd "$(dirname "$0")/.."
[ -x configure ] || autoreconf -fi
mkdir -p _build
cd _build
[ -f Makefile ] || ../configure "$@"
make -j"$(nproc)"
