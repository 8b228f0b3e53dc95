#!/bin/sh
# Configures and builds msgbus in _build/ (extra arguments go to configure).
# configure runs again whenever the arguments differ from those of its last
# successful run (kept in _build/.configure-args).
set -eu
cd "$(dirname "$0")/.."
[ -x configure ] || autoreconf -fi
mkdir -p _build
cd _build
args=$(printf '%s\n' "$@")
if [ ! -f Makefile ] || [ ! -f .configure-args ] || [ "$args" != "$(cat .configure-args)" ]; then
    rm -f .configure-args
    ../configure "$@"
    printf '%s\n' "$args" >.configure-args
fi
make -j"$(nproc)"
