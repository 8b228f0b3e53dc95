#!/bin/sh
# hide-internal-symbols.sh ARCHIVE VERSION-SCRIPT
#
# Rewrites a static library so that its only global symbols are the public
# functions its version script names, as the shared library exports them.
# The archive's objects are linked into one relocatable object (ld -r), in
# which the internal functions the files share (queue_push, mb_fail...) are
# resolved, and then every global symbol not in the list is made local
# (objcopy --keep-global-symbols).  A program linked statically may then
# define its own queue_push.  No source needs renaming, and an internal
# function added tomorrow is hidden the same way.
#
# Tools come from the environment as configure found them: LD, OBJCOPY, AR,
# RANLIB.  The archive is replaced atomically, so a link reading it at the
# same moment sees the old one or the new one, never half of either.
set -eu
archive=$1
map=$2
: "${LD:=ld}" "${OBJCOPY:=objcopy}" "${AR:=ar}" "${RANLIB:=ranlib}" "${SHELL:=/bin/sh}"

work=$(mktemp -d "${archive}.hide.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The public names: those the version script exports.
$SHELL "$(dirname "$0")/version-script-names.sh" "$map" >"$work/public"
if [ ! -s "$work/public" ]; then
    echo "$0: $map names no public symbol" >&2
    exit 1
fi

base=$(basename "$archive" .a)
$LD -r -o "$work/$base.o" --whole-archive "$archive"
$OBJCOPY --keep-global-symbols="$work/public" "$work/$base.o"
$AR cr "$work/$base.a" "$work/$base.o"
$RANLIB "$work/$base.a"
mv -f "$work/$base.a" "$archive"
