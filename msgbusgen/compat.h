/* compat.h - is a new version of a schema compatible with the old one?
 * (msgbusgen --compat, msgbusgen(1), COMPATIBILITY CHECK) */
#ifndef MSGBUSGEN_COMPAT_H
#define MSGBUSGEN_COMPAT_H

#include "ast.h"
#include "diag.h"

#include "msgbusgen.h"

/* The directions a change can break, and the modes that check them. */
enum {
    COMPAT_BACKWARD = MSGBUSGEN_COMPAT_BACKWARD,
    COMPAT_FORWARD = MSGBUSGEN_COMPAT_FORWARD,
    COMPAT_FULL = MSGBUSGEN_COMPAT_FULL
};

/* Compares two checked programs (their main files and everything those
 * use).  Each breaking change in a direction of `mode` is one error: at the
 * new declaration through new_sink (at the old one through old_sink for a
 * removal), with a note at the other.  Returns the number of errors. */
int compat_check(const program *old_prog, const program *new_prog, int mode,
                 diag_sink *old_sink, diag_sink *new_sink);

#endif /* MSGBUSGEN_COMPAT_H */
