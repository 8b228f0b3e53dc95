/* schema_json.h - the JSON Schema of schema types, as the decoder reads
 * them (msgbusgen(1), JSON SCHEMA).  Shared by the JSON Schema document
 * (definitions under "#/$defs/") and the AsyncAPI document (under
 * "#/components/schemas/"). */
#ifndef MSGBUSGEN_SCHEMA_JSON_H
#define MSGBUSGEN_SCHEMA_JSON_H

#include "ast.h"
#include "json_out.h"

/* Regular expressions the documents share (ECMA-262 syntax). */
extern const char sj_no_nul_pattern[];

/* Writes the schema of a record, command, event or enum, whose references
 * to other types are ref_prefix + full name. */
void sj_decl(json_out *j, const char *ref_prefix, const decl *d);

/* Writes {"$ref": ref_prefix + full name of d}. */
void sj_ref(json_out *j, const char *ref_prefix, const decl *d);

/* Calls fn for every record, command, event and enum of the program: the
 * main file's first, each file's in source order. */
void sj_each_type(const program *prog, void (*fn)(const decl *d, void *arg), void *arg);

#endif /* MSGBUSGEN_SCHEMA_JSON_H */
