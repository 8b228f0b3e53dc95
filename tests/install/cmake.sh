#!/bin/sh
# cmake.sh GENERATOR - CMake ("Unix Makefiles" or Ninja) with the installed
# msgbus-config.cmake found from msgbus_DIR alone (no pkg-config, no prefix
# path): examples/cmake builds the orders example, which prints
# examples/orders/expected.out, and one program per backend target
# (msgbus::sqlite, msgbus::pg, msgbus::nats, those installed); a second
# build does nothing; touching a schema rebuilds exactly what depends on
# it; the version file accepts 0.1 and refuses 0.2 and 1.0.
set -u
: "${srcdir:?}" "${MSGBUS_LIBDIR:?}" "${MSGBUS_CMAKE_DIR:?}"
generator=${1:?generator}
command -v cmake >/dev/null || { echo "SKIP: cmake not installed"; exit 77; }
if [ "$generator" = Ninja ] && ! command -v ninja >/dev/null; then
    echo "SKIP: ninja not installed"; exit 77
fi
. "$srcdir/tests/install/rebuilds.sh"
work=$(mktemp -d) || exit 99
trap 'rm -rf "$work"' EXIT
copy_examples "$srcdir" "$work" || exit 99
# Nothing but msgbus_DIR: pkg-config unusable, no prefix path.
PKG_CONFIG=/bin/false; export PKG_CONFIG
unset PKG_CONFIG_PATH CMAKE_PREFIX_PATH MAKEFLAGS MFLAGS MAKELEVEL
components=$(echo ${MSGBUS_BACKENDS:-} | tr ' ' ';')
build_dir=$work/build
if ! cmake -G "$generator" -S "$work/examples/cmake" -B "$build_dir" \
        -Dmsgbus_DIR="$MSGBUS_CMAKE_DIR" -DMSGBUS_COMPONENTS="$components" \
        >"$work/build.log" 2>&1; then
    cat "$work/build.log"; echo "FAIL: $generator: cmake configure"; exit 1
fi
build() { cmake --build "$build_dir" >>"$work/build.log" 2>&1; }
build || { cat "$work/build.log"; echo "FAIL: $generator: the first build"; exit 1; }
LD_LIBRARY_PATH=$MSGBUS_LIBDIR "$build_dir/orders" >"$work/actual.out" &&
    diff -u "$work/examples/orders/expected.out" "$work/actual.out" ||
    { echo "FAIL: $generator: orders does not print expected.out"; exit 1; }
echo "ok: $generator: orders built and prints expected.out"
for backend in ${MSGBUS_BACKENDS:-}; do
    if LD_LIBRARY_PATH=$MSGBUS_LIBDIR "$build_dir/uses_$backend" >/dev/null; then
        echo "ok: $generator: a program linked with msgbus::$backend runs"
    else
        fail "$generator: the program linked with msgbus::$backend"
    fi
done
check_builds "$generator" "$build_dir"

# The version file: 0.1 (and no version) accepted, 0.2 and 1.0 refused.
for want in 0.1 "" 0.2 1.0; do
    mkdir -p "$work/version-$want"
    printf 'cmake_minimum_required(VERSION 3.20)\nproject(v C)\nfind_package(msgbus %s)\nif(NOT msgbus_FOUND)\n  message(FATAL_ERROR "not found")\nendif()\n' \
        "$want" >"$work/version-$want/CMakeLists.txt"
    if cmake -G "$generator" -S "$work/version-$want" -B "$work/version-$want/build" \
            -Dmsgbus_DIR="$MSGBUS_CMAKE_DIR" >"$work/version.log" 2>&1; then found=yes; else found=no; fi
    case $want in 0.1|"") expected=yes ;; *) expected=no ;; esac
    [ "$found" = "$expected" ] &&
        echo "ok: $generator: find_package(msgbus ${want:-(any)}) found: $found" ||
        { cat "$work/version.log"; fail "$generator: find_package(msgbus $want) found: $found"; }
done
[ "$failures" -eq 0 ] || { cat "$work/build.log"; exit 1; }
