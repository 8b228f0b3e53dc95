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
/* A JSON Schema 2020-12 document of every type (emit_jsonschema.c). */
int emit_jsonschema(FILE *out, const program *prog, const schema *s);
/* An AsyncAPI 3.0.0 document; api_version NULL means "1.0.0" (emit_asyncapi.c). */
int emit_asyncapi(FILE *out, const program *prog, const schema *s, const char *api_version);

#endif /* MSGBUSGEN_EMIT_H */
