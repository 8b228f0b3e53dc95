/* sema.h - resolves names and checks a loaded program (msgbus-schema(5), CHECKS). */
#ifndef MSGBUSGEN_SEMA_H
#define MSGBUSGEN_SEMA_H

#include "ast.h"
#include "diag.h"

/* Resolves every name in every schema (type_ref.resolved, name_ref.resolved),
 * fills implicit enum values and decl.index, and reports every check as a
 * diagnostic.  Returns the number of errors (warnings count under -Werror). */
int sema_check(program *prog, diag_sink *sink);

#endif /* MSGBUSGEN_SEMA_H */
