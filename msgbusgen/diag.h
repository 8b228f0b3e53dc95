/* diag.h - GCC-style diagnostics with source line and caret, to a sink. */
#ifndef MSGBUSGEN_DIAG_H
#define MSGBUSGEN_DIAG_H

#include <stdio.h>
#include "ast.h"

typedef enum diag_level {
    DIAG_ERROR,
    DIAG_WARNING,
    DIAG_NOTE
} diag_level;

typedef struct diag_sink {
    FILE *out;                  /* where diagnostics go (stderr in main) */
    const program *prog;        /* for file names and source lines */
    bool werror;                /* -Werror: warnings count as errors */
    bool no_warnings;           /* leave warnings (and their notes) out */
    bool muted;                 /* the last error or warning was left out */
    int n_errors;
    int n_warnings;
} diag_sink;

/* Prints "file:line:col: error: text", the source line and a caret line
 * (^~~~ under the span).  A DIAG_NOTE directly after an error or warning is
 * printed as its related place.  With werror a warning is printed as
 * "error: ... [-Werror]" and counted as an error. */
void diag_report(diag_sink *sink, diag_level level, span where, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* For errors that have no place in a source (a file that cannot be opened
 * from the command line): "msgbusgen: error: text". */
void diag_plain(diag_sink *sink, diag_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* 1-based line and column (in bytes) of a byte offset in a file. */
void diag_line_col(const source_file *f, uint32_t offset, int *line, int *col);

/* The candidate closest to name by edit distance, if close enough to
 * suggest ("did you mean 'X'?"), else NULL. */
const char *diag_suggest(const char *name, const char *const *candidates, size_t n);

#endif /* MSGBUSGEN_DIAG_H */
