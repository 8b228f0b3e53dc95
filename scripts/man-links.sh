#!/bin/sh
# Writes a one-line link page man/NAME.3 (".so man3/PAGE.3") for every name
# in the NAME section of each section-3 page, so that `man NAME` works for
# every function a page documents, as Jansson and OpenSSL do.  Prints the
# link pages, for dist_man_MANS in Makefile.am.  Run it after adding a .Nm;
# tests/man-xref.test says which names lack a page.
set -eu
cd "$(dirname "$0")/../man"
# The names a page documents: its .Nm lines, and the macro families it
# defines as a list (.It Dv MSGBUS_...) or names in its text
# (.Dv MSGBUS_VERSION_...), so `man MSGBUS_EINVAL` works too.
names() { # page
    sed -n -e '/^\.Sh NAME/,/^\.Sh /s/^\.Nm \([A-Za-z0-9_]*\).*/\1/p' \
        -e 's/^\.It Dv \(MSGBUS_E[A-Z_]*\|MSGBUS_OK\|MSGBUS_PENDING\)$/\1/p' \
        -e 's/^\.Dv \(MSGBUS_VERSION_[A-Z_]*\).*/\1/p' "$1" | sort -u
}
for page in *.3; do
    grep -q '^\.so ' "$page" && continue
    for name in $(names "$page"); do
        [ "$name.3" = "$page" ] && continue
        link="$name.3"
        if [ -f "$link" ] && ! grep -q '^\.so ' "$link"; then
            echo "man/$link is a page of its own, not a link to $page" >&2
            exit 1
        fi
        printf '.so man3/%s\n' "$page" >"$link"
        echo "man/$link"
    done
done
