#!/bin/sh
# Installs the Debian 12 packages that building and testing msgbus need.
# Runs apt-get directly as root, through sudo otherwise.  Test-only tools
# from npm (the AsyncAPI parser, ajv, puppeteer-core) go into .deps/npm
# beside the source tree, never into the library.
set -eu
cd "$(dirname "$0")/.."
packages="
  build-essential autoconf automake libtool pkg-config
  flex bison libjansson-dev check
  clang g++ valgrind mandoc cmake ninja-build meson python3
  libsqlite3-dev sqlite3 libuv1-dev
  postgresql libpq-dev nats-server libnats-dev
  libmicrohttpd-dev curl chromium chromium-driver
  libprotobuf-c-dev protobuf-c-compiler
  graphviz prometheus python3-jsonschema vim-nox
  nodejs npm
"
missing=""
for p in $packages; do
    # nodejs may come from another repository with npm bundled.
    if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" -eq 0 ]; then run=""; else run="sudo"; fi
    $run apt-get update
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $run apt-get install -y --no-install-recommends $missing
fi
# Test-only npm tools, pinned, in a local folder.
npm_packages="@asyncapi/parser@3.6.3 ajv@8.20.0 ajv-formats@3.0.1 puppeteer-core@25.16.0"
want=$(echo "$npm_packages" | tr ' ' '\n' | sort | tr '\n' ' ')
if [ "$(cat .deps/npm/.installed 2>/dev/null)" != "$want" ]; then
    mkdir -p .deps/npm
    # shellcheck disable=SC2086
    PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix .deps/npm --no-audit --no-fund \
        --loglevel=error $npm_packages
    echo "$want" > .deps/npm/.installed
fi
