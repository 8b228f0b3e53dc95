#!/bin/sh
# meson.sh - Meson with pkg-config: examples/meson (dependency('msgbus') and
# a generator with depfile:) builds the orders example against the
# installed msgbus, which prints examples/orders/expected.out; a second
# build does nothing; touching a schema rebuilds exactly what depends on it.
set -u
: "${srcdir:?}" "${MSGBUS_LIBDIR:?}" "${MSGBUS_PKGCONFIG_DIR:?}"
command -v meson >/dev/null && command -v ninja >/dev/null ||
    { echo "SKIP: meson or ninja not installed"; exit 77; }
. "$srcdir/tests/install/rebuilds.sh"
work=$(mktemp -d) || exit 99
trap 'rm -rf "$work"' EXIT
copy_examples "$srcdir" "$work" || exit 99
PKG_CONFIG_PATH=$MSGBUS_PKGCONFIG_DIR; export PKG_CONFIG_PATH
# (pkgconf ignores the sysroot when DESTDIR, equal to it, is set too.)
[ -n "${DESTDIR:-}" ] && { PKG_CONFIG_SYSROOT_DIR=$DESTDIR; export PKG_CONFIG_SYSROOT_DIR; }
unset DESTDIR
unset MAKEFLAGS MFLAGS MAKELEVEL
build_dir=$work/build
if ! meson setup "$build_dir" "$work/examples/meson" >"$work/build.log" 2>&1; then
    cat "$work/build.log"; echo "FAIL: meson setup"; exit 1
fi
build() { meson compile -C "$build_dir" >>"$work/build.log" 2>&1; }
build || { cat "$work/build.log"; echo "FAIL: meson: the first build"; exit 1; }
LD_LIBRARY_PATH=$MSGBUS_LIBDIR "$build_dir/orders" >"$work/actual.out" &&
    diff -u "$work/examples/orders/expected.out" "$work/actual.out" ||
    { echo "FAIL: meson: orders does not print expected.out"; exit 1; }
echo "ok: meson: orders built and prints expected.out"
check_builds meson "$build_dir"
[ "$failures" -eq 0 ] || { cat "$work/build.log"; exit 1; }
