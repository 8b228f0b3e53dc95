#!/bin/sh
# Installs the Debian 12 packages that building and testing msgbus need.
# Runs apt-get directly as root, through sudo otherwise.
set -eu
packages="
  build-essential autoconf automake libtool pkg-config
  flex bison libjansson-dev check
  clang g++ valgrind mandoc cmake python3
  libsqlite3-dev sqlite3 libuv1-dev
  postgresql libpq-dev nats-server libnats-dev
"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then run=""; else run="sudo"; fi
$run apt-get update
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $run apt-get install -y --no-install-recommends $missing
