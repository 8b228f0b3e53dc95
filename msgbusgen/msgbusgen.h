/* msgbusgen.h - the msgbus schema compiler as a library, in the manner of
 * flatcc's flatcc.h: options, a diagnostics callback, and one call per
 * compilation.  Internal to this tree (not installed): the msgbusgen
 * command, the tests and the fuzz target use it. */
#ifndef MSGBUSGEN_MSGBUSGEN_H
#define MSGBUSGEN_MSGBUSGEN_H

#include <stdbool.h>
#include <stddef.h>

/* Results, which are also msgbusgen's exit status. */
enum {
    MSGBUSGEN_OK = 0,
    MSGBUSGEN_ESCHEMA = 1,      /* errors in the schema; with compat: a breaking change */
    MSGBUSGEN_EUSAGE = 2        /* bad options, unreadable or unwritable files;
                                   with compat: also errors in either schema */
};

/* What to write (msgbusgen --emit); none means C. */
enum {
    MSGBUSGEN_EMIT_C = 1u,              /* FILE.msg.h and FILE.msg.c */
    MSGBUSGEN_EMIT_JSONSCHEMA = 2u,     /* FILE.msg.schema.json */
    MSGBUSGEN_EMIT_ASYNCAPI = 4u,       /* FILE.msg.asyncapi.json */
    MSGBUSGEN_EMIT_DOT = 8u             /* FILE.msg.dot */
};

/* The directions msgbusgen_compat checks (msgbusgen --compat-mode). */
enum {
    MSGBUSGEN_COMPAT_BACKWARD = 1,      /* code from NEW decodes what OLD wrote */
    MSGBUSGEN_COMPAT_FORWARD = 2,       /* code from OLD decodes what NEW writes */
    MSGBUSGEN_COMPAT_FULL = 3
};

/* Receives each diagnostic whole: "file:line:col: error: text\n", then the
 * source line and the caret line, each ending in '\n'.  text[len] is '\0'.
 * The text is only valid during the call. */
typedef void (*msgbusgen_diag_fn)(void *ctx, const char *text, size_t len);

typedef struct msgbusgen_options {
    const char *out_dir;                /* NULL: the current directory */
    const char *const *include_dirs;    /* -I, searched in order */
    size_t n_include_dirs;
    const char *prefix;                 /* --prefix, or NULL */
    const char *depfile;                /* --depfile, or NULL */
    unsigned emit;                      /* MSGBUSGEN_EMIT_* bits; 0: C */
    const char *api_version;            /* --api-version; NULL: "1.0.0" */
    bool check_only;                    /* --check: write nothing */
    const char *const *warning_options; /* "-Wall", "-Wno-emit-cycle"...: the last wins */
    size_t n_warning_options;
    int compat_mode;                    /* MSGBUSGEN_COMPAT_*; 0: full */
    msgbusgen_diag_fn diag;             /* NULL: diagnostics go to stderr */
    void *diag_ctx;
} msgbusgen_options;

/* All zero: C into the current directory, diagnostics to stderr. */
void msgbusgen_options_init(msgbusgen_options *opts);

/* Checks a schema and writes what opts->emit asks for.  The schema is the
 * file at path or, when text is not NULL, the len bytes at text, which
 * diagnostics call path and whose imports are searched relative to path's
 * directory (then in the include dirs).  Returns MSGBUSGEN_OK, _ESCHEMA
 * or _EUSAGE (an unknown warning option, a file that cannot be read or
 * written). */
int msgbusgen_compile(const char *path, const char *text, size_t len,
                      const msgbusgen_options *opts);

/* Checks that the schema at new_path can replace the one at old_path, in
 * the directions of opts->compat_mode (msgbusgen(1), COMPATIBILITY
 * CHECK): MSGBUSGEN_OK when compatible, _ESCHEMA after one error per
 * breaking change, _EUSAGE when either file does not load and check. */
int msgbusgen_compat(const char *old_path, const char *new_path, const msgbusgen_options *opts);

/* Whether a -W option is known: 0, or -1 with *suggest the closest
 * warning name (or NULL). */
int msgbusgen_warning_option(const char *option, const char **suggest);

#endif /* MSGBUSGEN_MSGBUSGEN_H */
