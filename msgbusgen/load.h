/* load.h - reads the main schema and, recursively, its imports. */
#ifndef MSGBUSGEN_LOAD_H
#define MSGBUSGEN_LOAD_H

#include "ast.h"
#include "diag.h"

typedef struct load_options {
    const char *const *include_dirs;    /* -I, in order */
    size_t n_include_dirs;
    const char *prefix;                 /* --prefix for the main file, or NULL */
} load_options;

/* Parses path and every file it imports (each once; an import cycle is an
 * error) into prog, schemas[0] being the main file.  An import is searched
 * relative to the importing file, then in each include dir.  Syntax errors
 * go to sink; parsing recovers at ';' and '}' so one run reports several.
 * Returns 0, 1 when there were errors in the schema, 2 when path cannot be read. */
int load_program(const char *path, const load_options *opts, diag_sink *sink, program *prog);

/* Like load_program, with the main file's text given (len bytes at text)
 * instead of read from path; path names it in diagnostics, and its
 * imports are searched relative to path's directory.  text NULL: read
 * path. */
int load_program_text(const char *path, const char *text, size_t len, const load_options *opts,
                      diag_sink *sink, program *prog);

/* Parses one buffer (used by load_program and tests).  Returns the schema or
 * NULL; errors go to sink. */
schema *parse_schema(program *prog, uint32_t file, diag_sink *sink);

#endif /* MSGBUSGEN_LOAD_H */
