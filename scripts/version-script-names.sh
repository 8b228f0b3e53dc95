#!/bin/sh
# version-script-names.sh MAP... - prints the names a GNU ld version script
# exports: those of its global: parts, one per line, in any layout ("a;"
# alone on a line or "a; b; c;" on one, comments anywhere).  Used by the
# build (scripts/hide-internal-symbols.sh) and by tests/exports.test.
set -eu
for map in "$@"; do
    tr '\n' ' ' <"$map" |
        sed -E -e 's#/\*([^*]|\*+[^*/])*\*+/# #g' -e 's/#[^ ]*//g' |
        sed -e 's/}/;};/g' | tr '{;' '\n\n' | sed -E -e 's/^[[:space:]]+//' -e 's/[[:space:]]+$//' |
        awk '/^global:/ { on = 1; sub(/^global:[[:space:]]*/, "") }
             /^local:/ || /^}/ { on = 0 }
             on && /^[A-Za-z_][A-Za-z0-9_]*$/ { print }'
done
