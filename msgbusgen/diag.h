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

/* Warnings that have a name (msgbusgen(1), WARNINGS), each turned on or
 * off, and into an error, by -W options as in gcc. */
typedef enum diag_warning {
    W_UNHANDLED_COMMAND,        /* on by default */
    W_EMIT_CYCLE,               /* on by default */
    W_UNHANDLED_EVENT,
    W_UNUSED_TYPE,
    W_COUNT
} diag_warning;

typedef struct diag_sink {
    FILE *out;                  /* where diagnostics go (stderr in main) */
    /* When set, each diagnostic goes whole to fn instead of out. */
    void (*fn)(void *ctx, const char *text, size_t len);
    void *fn_ctx;
    const program *prog;        /* for file names and source lines */
    bool werror;                /* -Werror: warnings count as errors */
    signed char enabled[W_COUNT];   /* 1 on, -1 off, 0 the warning's default */
    signed char error[W_COUNT];     /* 1 -Werror=NAME, -1 -Wno-error=NAME, 0 follow werror */
    bool muted;                 /* the last warning was off: drop its notes */
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

/* A named warning: printed with "[-WNAME]" when on, as an error with
 * "[-Werror=NAME]" when -Werror or -Werror=NAME says so, and not at all
 * (its notes neither) when off. */
void diag_warn(diag_sink *sink, diag_warning w, span where, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Is warning w on in this sink? */
bool diag_warning_on(const diag_sink *sink, diag_warning w);

/* "emit-cycle" for W_EMIT_CYCLE. */
const char *diag_warning_name(diag_warning w);

/* Applies one option: -Wall, -WNAME, -Wno-NAME, -Werror, -Werror=NAME,
 * -Wno-error=NAME; later options override earlier ones.  Returns 0, or -1
 * when the option is not one of these (*suggest may then name the
 * closest warning, or be NULL). */
int diag_warning_option(diag_sink *sink, const char *option, const char **suggest);

/* Turns every named warning off (msgbusgen --compat). */
void diag_warnings_off(diag_sink *sink);

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
