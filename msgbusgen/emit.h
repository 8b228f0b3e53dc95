/* emit.h - writers of generated code.  Each reads only the checked program. */
#ifndef MSGBUSGEN_EMIT_H
#define MSGBUSGEN_EMIT_H

#include <stdio.h>
#include "ast.h"

/* header_name is how the .c includes the header ("orders.msg.h").
 * Return 0, or -1 if writing failed. */
int emit_header(FILE *out, const program *prog, const schema *s);
int emit_source(FILE *out, const program *prog, const schema *s, const char *header_name);
/* The message flow of s as a Graphviz digraph (emit_dot.c). */
int emit_dot(FILE *out, const program *prog, const schema *s);

#endif /* MSGBUSGEN_EMIT_H */
