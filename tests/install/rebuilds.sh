# rebuilds.sh - sourced by the installcheck tests of the build-system
# examples: a second build must do nothing, and touching a schema must
# rebuild exactly what depends on it.  The caller defines build (runs one
# build in the current directory, quietly) and sets work (a copy of the
# examples and schemas, so the touched schemas are not the source tree's).

# What was written since the stamp: generated headers and objects, each as
# "orders.msg.h" or "main" (object names differ from one tool to another:
# main.o, main.c.o, orders.p/main.c.o).
written_since() { # stamp dir
    find "$2" -type f -newer "$1" \( -name '*.msg.h' -o -name '*.o' \) | sed \
        -e 's|.*/||' -e 's/\.o$//' -e 's/\.c$//' -e 's/^meson-generated_//' -e 's/^\.\..*_//' |
        sort | tr '\n' ' ' | sed 's/ $//'
}

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# check_builds TOOL DIR: the second build does nothing; touching common.msg
# (imported by orders.msg) rebuilds both schemas and every object;
# touching orders.msg leaves common.msg's outputs alone.
check_builds() {
    tool=$1 dir=$2
    stamp=$work/stamp
    touch "$stamp"; sleep 1
    build || { fail "$tool: second build"; return; }
    got=$(written_since "$stamp" "$dir")
    [ -z "$got" ] && echo "ok: $tool: the second build does nothing" ||
        fail "$tool: the second build rewrote: $got"

    touch "$stamp"; sleep 1; touch "$work/schemas/common.msg"
    build || { fail "$tool: build after touching common.msg"; return; }
    got=$(written_since "$stamp" "$dir")
    want="common.msg common.msg.h handlers main orders.msg orders.msg.h"
    [ "$got" = "$want" ] && echo "ok: $tool: touching common.msg rebuilds $want" ||
        fail "$tool: touching common.msg rebuilt \"$got\", not \"$want\""

    touch "$stamp"; sleep 1; touch "$work/schemas/orders.msg"
    build || { fail "$tool: build after touching orders.msg"; return; }
    got=$(written_since "$stamp" "$dir")
    want="handlers main orders.msg orders.msg.h"
    [ "$got" = "$want" ] && echo "ok: $tool: touching orders.msg rebuilds $want" ||
        fail "$tool: touching orders.msg rebuilt \"$got\", not \"$want\""

    touch "$stamp"; sleep 1
    build || { fail "$tool: last build"; return; }
    got=$(written_since "$stamp" "$dir")
    [ -z "$got" ] && echo "ok: $tool: then nothing again" ||
        fail "$tool: a build after the rebuilds rewrote: $got"
}

# A copy of what the examples need, with their relative layout.
copy_examples() { # srcdir work
    mkdir -p "$2/examples" &&
    cp -R "$1/schemas" "$2/" &&
    for d in orders cmake make meson; do
        cp -R "$1/examples/$d" "$2/examples/"
    done && chmod -R u+w "$2"
}
