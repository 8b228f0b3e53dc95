#!/bin/sh
# Installs the Debian 12 packages that building and testing msgbus need.
# Runs apt-get directly as root, through sudo otherwise.  Test-only tools
# from npm (the AsyncAPI parser, ajv, puppeteer-core) go into .deps/npm
# beside the source tree, never into the library; so does the soak's
# nats-server 2.10.27 (.deps/nats-server-2.10.27).
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
# The soak's nats-server: Debian 13's 2.10.27, a static binary that runs on
# Debian 12, unpacked into .deps (Debian 12's 2.9.10 loses acknowledged
# messages in the soak: README, "When servers fail").
# The archive drops the file once Debian 13 moves to a newer build; the
# snapshot archive keeps it for good, by its SHA-1.  Either way the SHA-256
# is checked.
nats_deb=nats-server_2.10.27-1+b2_amd64.deb
nats_sha256=6d913ac987b78734c08537c2adeb1526cf735f216173a9170d94b185fcfe6f8a
nats_sha1=5081d95d9e6b89a81405760203ba0d666d501890
if [ ! -x .deps/nats-server-2.10.27/usr/sbin/nats-server ]; then
    mkdir -p .deps
    curl -fsSL --retry 3 -o ".deps/$nats_deb" \
        "http://deb.debian.org/debian/pool/main/n/nats-server/$nats_deb" ||
        curl -fsSL --retry 3 -o ".deps/$nats_deb" \
            "https://snapshot.debian.org/file/$nats_sha1"
    echo "$nats_sha256  .deps/$nats_deb" | sha256sum -c --quiet
    rm -rf .deps/nats-server-2.10.27.tmp
    dpkg -x ".deps/$nats_deb" .deps/nats-server-2.10.27.tmp
    rm -rf .deps/nats-server-2.10.27
    mv .deps/nats-server-2.10.27.tmp .deps/nats-server-2.10.27
    rm -f ".deps/$nats_deb"
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
