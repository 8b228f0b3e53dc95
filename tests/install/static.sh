#!/bin/sh
# static.sh - the installed static libraries: every global symbol starts
# with msgbus_ (tests/static-symbols.test on the installed libdir), and a
# program that defines every internal name of the library's sources
# (queue_push, bus_log, mb_fail... as nm finds them in the build tree's
# objects) links statically against all of them and runs.
set -u
: "${srcdir:?}" "${MSGBUS_LIBDIR:?}" "${MSGBUS_INCLUDEDIR:?}"
archives=$(ls "$MSGBUS_LIBDIR"/libmsgbus*.a 2>/dev/null)
if [ -z "$archives" ]; then
    echo "SKIP: no static library installed (configure --disable-static)"; exit 77
fi
$SHELL "$srcdir/tests/static-symbols.test" "$MSGBUS_LIBDIR" || exit 1

work=$(mktemp -d) || exit 99
trap 'rm -rf "$work"' EXIT
# The internal names, from the objects the archives were made of.
find runtime -name '*.o' | xargs nm -g --defined-only 2>/dev/null |
    awk 'NF == 3 { print $3 }' | grep -v '^msgbus_' | sort -u >"$work/internal"
count=$(wc -l <"$work/internal")
[ "$count" -gt 0 ] || { echo "FAIL: no internal names found under runtime/"; exit 1; }
{
    echo '#include <stdio.h>'
    echo '#include <msgbus/msgbus.h>'
    sed 's/.*/void &(void); void &(void) {}/' "$work/internal"
    echo 'int main(void)'
    echo '{'
    echo '    msgbus_bus *bus = msgbus_bus_new(NULL);'
    echo '    if (!bus) return 1;'
    echo '    msgbus_bus_free(bus);'
    echo '    puts(msgbus_strerror(MSGBUS_EINVAL));'
    echo '    return 0;'
    echo '}'
} >"$work/user.c"
# The backends first: each needs libmsgbus after it.
static_libs=$(ls "$MSGBUS_LIBDIR"/libmsgbus-*.a 2>/dev/null; echo "$MSGBUS_LIBDIR/libmsgbus.a")
deps=$(pkg-config --libs jansson sqlite3 libpq libnats 2>/dev/null || pkg-config --libs jansson)
# shellcheck disable=SC2086
if ! ${CC:-cc} -I"$MSGBUS_INCLUDEDIR" $(pkg-config --cflags jansson) -o "$work/user" \
        "$work/user.c" -Wl,--whole-archive $static_libs -Wl,--no-whole-archive \
        $deps -lpthread 2>"$work/link.err"; then
    cat "$work/link.err"
    echo "FAIL: a program defining the $count internal names does not link statically"
    exit 1
fi
"$work/user" >/dev/null || { echo "FAIL: the statically linked program fails"; exit 1; }
echo "ok: a program defining $count internal names (queue_push...) links all" \
    "$(echo "$static_libs" | wc -l) static libraries and runs"
