#!/bin/sh
# make.sh - plain GNU make with pkg-config: examples/make builds the orders
# example against the installed msgbus and it prints examples/orders/
# expected.out; a second build does nothing; touching a schema rebuilds
# exactly what depends on it (msgbusgen's --depfile and --depfile-object).
set -u
: "${srcdir:?}" "${MSGBUS_LIBDIR:?}" "${MSGBUS_PKGCONFIG_DIR:?}"
. "$srcdir/tests/install/rebuilds.sh"
work=$(mktemp -d) || exit 99
trap 'rm -rf "$work"' EXIT
copy_examples "$srcdir" "$work" || exit 99
# Only the installed msgbus, found through its .pc files (under DESTDIR
# when there is one: pkg-config puts the sysroot before each path).
PKG_CONFIG_PATH=$MSGBUS_PKGCONFIG_DIR; export PKG_CONFIG_PATH
# (pkgconf ignores the sysroot when DESTDIR, equal to it, is set too.)
[ -n "${DESTDIR:-}" ] && { PKG_CONFIG_SYSROOT_DIR=$DESTDIR; export PKG_CONFIG_SYSROOT_DIR; }
unset DESTDIR
unset MAKEFLAGS MFLAGS MAKELEVEL
mkdir "$work/build" && cd "$work/build" || exit 99
build() { make -f "$work/examples/make/Makefile" >>"$work/build.log" 2>&1; }
if ! make -j4 -f "$work/examples/make/Makefile" >"$work/build.log" 2>&1; then
    cat "$work/build.log"; echo "FAIL: make: the first build"; exit 1
fi
LD_LIBRARY_PATH=$MSGBUS_LIBDIR ./orders >actual.out &&
    diff -u "$work/examples/orders/expected.out" actual.out ||
    { echo "FAIL: make: orders does not print expected.out"; exit 1; }
echo "ok: make: orders built and prints expected.out"
check_builds make "$work/build"
[ "$failures" -eq 0 ] || { cat "$work/build.log"; exit 1; }
