/* compile.c - msgbusgen_compile and msgbusgen_compat (msgbusgen.h): load,
 * check, and write each kind of output through a temporary file. */
#define _XOPEN_SOURCE 700   /* mkstemp, fchmod, umask, fdopen */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ast.h"
#include "compat.h"
#include "diag.h"
#include "emit.h"
#include "load.h"
#include "msgbusgen.h"
#include "sema.h"

static char *path_in(const char *dir, const char *name)
{
    size_t dir_len, name_len = strlen(name);
    bool slash;
    char *path;

    if (!dir)
        return xstrdup(name);
    dir_len = strlen(dir);
    slash = dir_len > 0 && dir[dir_len - 1] != '/';
    path = xmalloc(dir_len + 1 + name_len + 1);
    memcpy(path, dir, dir_len);
    if (slash)
        path[dir_len++] = '/';
    memcpy(path + dir_len, name, name_len + 1);
    return path;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

typedef struct output {
    diag_sink *sink;            /* for errors writing the files */
    const program *prog;
    const schema *s;
    const char *header_name;    /* as the .c includes it */
    const char *api_version;
    char **targets;             /* every file written, for the depfile */
    size_t n_targets;
} output;

typedef int (*writer_fn)(FILE *out, const output *o);

static int write_header(FILE *out, const output *o)
{
    return emit_header(out, o->prog, o->s);
}

static int write_source(FILE *out, const output *o)
{
    return emit_source(out, o->prog, o->s, o->header_name);
}

static int write_dot(FILE *out, const output *o)
{
    return emit_dot(out, o->prog, o->s);
}

static int write_jsonschema(FILE *out, const output *o)
{
    return emit_jsonschema(out, o->prog, o->s);
}

static int write_asyncapi(FILE *out, const output *o)
{
    return emit_asyncapi(out, o->prog, o->s, o->api_version);
}

/* The files of each kind, named after the input: "orders.msg" + suffix. */
static const struct output_file {
    unsigned kind;
    const char *suffix;
    writer_fn write;
} output_files[] = {
    { MSGBUSGEN_EMIT_C, ".h", write_header },
    { MSGBUSGEN_EMIT_C, ".c", write_source },
    { MSGBUSGEN_EMIT_JSONSCHEMA, ".schema.json", write_jsonschema },
    { MSGBUSGEN_EMIT_ASYNCAPI, ".asyncapi.json", write_asyncapi },
    { MSGBUSGEN_EMIT_DOT, ".dot", write_dot },
};

/* Make syntax: spaces and '#' escaped with '\\', '$' doubled. */
static void put_make_word(FILE *out, const char *word)
{
    for (; *word; word++) {
        if (*word == ' ' || *word == '#')
            fputc('\\', out);
        else if (*word == '$')
            fputc('$', out);
        fputc(*word, out);
    }
}

/* "out.h out.c: main.msg imported.msg...", then an empty rule for each
 * import (like gcc -MP), so make copes when an import is deleted. */
static int write_depfile(FILE *out, const output *o)
{
    size_t i;

    for (i = 0; i < o->n_targets; i++) {
        if (i > 0)
            fputc(' ', out);
        put_make_word(out, o->targets[i]);
    }
    fputc(':', out);
    for (i = 0; i < o->prog->n_files; i++) {
        fputs(i == 0 ? " " : " \\\n ", out);
        put_make_word(out, o->prog->files[i].path);
    }
    fputc('\n', out);
    for (i = 1; i < o->prog->n_files; i++) {
        fputc('\n', out);
        put_make_word(out, o->prog->files[i].path);
        fputs(":\n", out);
    }
    return ferror(out) ? -1 : 0;
}

/* Writes path through a temporary file in the same directory, renamed
 * into place only when complete, so a failed run never leaves a half
 * written file that make would take as up to date. */
static int write_file(const char *path, writer_fn write, const output *o)
{
    const char *base = base_name(path);
    size_t dir_len = (size_t)(base - path);
    char *tmp = xmalloc(strlen(path) + sizeof ".tmp.XXXXXX" + 1);
    mode_t mask;
    FILE *out;
    int fd, rc;

    sprintf(tmp, "%.*s.%s.tmp.XXXXXX", (int)dir_len, path, base);
    fd = mkstemp(tmp);
    if (fd < 0) {
        diag_plain(o->sink, DIAG_ERROR, "cannot create '%s': %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    out = fdopen(fd, "w");
    if (!out) {
        close(fd);
        rc = -1;
    } else {
        errno = 0;
        rc = write(out, o);
        if (ferror(out))
            rc = -1;
        if (fclose(out) != 0)
            rc = -1;
    }
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc != 0) {
        diag_plain(o->sink, DIAG_ERROR, "cannot write '%s': %s", path,
                   errno ? strerror(errno) : "write error");
        unlink(tmp);
    }
    free(tmp);
    return rc;
}

static int generate(const char *input, const msgbusgen_options *opt, const program *prog,
                    diag_sink *sink)
{
    const char *name = base_name(input);
    unsigned kinds = opt->emit ? opt->emit : MSGBUSGEN_EMIT_C;
    char *header_name = xmalloc(strlen(name) + 3);
    output o;
    size_t i, k;
    int rc = 0;

    sprintf(header_name, "%s.h", name);
    memset(&o, 0, sizeof o);
    o.sink = sink;
    o.prog = prog;
    o.s = prog->schemas[0];
    o.header_name = header_name;
    o.api_version = opt->api_version;
    o.targets = xcalloc(sizeof output_files / sizeof output_files[0], sizeof *o.targets);

    for (k = 0; k < sizeof output_files / sizeof output_files[0] && rc == 0; k++) {
        const struct output_file *of = &output_files[k];
        char *file;
        if (!(kinds & of->kind))
            continue;
        file = xmalloc(strlen(name) + strlen(of->suffix) + 1);
        sprintf(file, "%s%s", name, of->suffix);
        o.targets[o.n_targets] = path_in(opt->out_dir, file);
        free(file);
        rc = write_file(o.targets[o.n_targets], of->write, &o);
        o.n_targets++;
    }
    if (rc == 0 && opt->depfile)
        rc = write_file(opt->depfile, write_depfile, &o);

    for (i = 0; i < o.n_targets; i++)
        free(o.targets[i]);
    free(o.targets);
    free(header_name);
    return rc == 0 ? MSGBUSGEN_OK : MSGBUSGEN_EUSAGE;
}

void msgbusgen_options_init(msgbusgen_options *opts)
{
    memset(opts, 0, sizeof *opts);
}

int msgbusgen_warning_option(const char *option, const char **suggest)
{
    diag_sink scratch;

    memset(&scratch, 0, sizeof scratch);
    return diag_warning_option(&scratch, option, suggest);
}

/* A sink for opts: its callback (or stderr) and its warning options.
 * Returns -1 after reporting an unknown warning option. */
static int start_sink(diag_sink *sink, program *prog, const msgbusgen_options *opts)
{
    size_t k;

    memset(sink, 0, sizeof *sink);
    sink->out = stderr;
    sink->fn = opts->diag;
    sink->fn_ctx = opts->diag_ctx;
    sink->prog = prog;
    for (k = 0; k < opts->n_warning_options; k++) {
        const char *suggest;
        if (diag_warning_option(sink, opts->warning_options[k], &suggest) != 0) {
            const char *option = opts->warning_options[k];
            if (suggest)
                diag_plain(sink, DIAG_ERROR, "unknown warning option '%s'; did you mean '%s%s'?",
                           option, strstr(option, "error=") ? "-Werror=" :
                           strncmp(option, "-Wno-", 5) == 0 ? "-Wno-" : "-W", suggest);
            else
                diag_plain(sink, DIAG_ERROR, "unknown warning option '%s'", option);
            return -1;
        }
    }
    return 0;
}

static void start_load(load_options *lopt, const msgbusgen_options *opts)
{
    lopt->include_dirs = opts->include_dirs;
    lopt->n_include_dirs = opts->n_include_dirs;
    lopt->prefix = opts->prefix;
}

int msgbusgen_compile(const char *path, const char *text, size_t len,
                      const msgbusgen_options *opts)
{
    msgbusgen_options defaults;
    load_options lopt;
    diag_sink sink;
    program prog;
    int status;

    if (!opts) {
        msgbusgen_options_init(&defaults);
        opts = &defaults;
    }
    memset(&prog, 0, sizeof prog);
    if (start_sink(&sink, &prog, opts) != 0)
        return MSGBUSGEN_EUSAGE;
    start_load(&lopt, opts);
    status = text ? load_program_text(path, text, len, &lopt, &sink, &prog)
                  : load_program(path, &lopt, &sink, &prog);
    /* After syntax errors the tree is incomplete: checking it would only
     * add errors that follow from the first ones. */
    if (status == 0 && (sema_check(&prog, &sink) > 0 || sink.n_errors > 0))
        status = MSGBUSGEN_ESCHEMA;
    if (status == 0 && !opts->check_only)
        status = generate(path, opts, &prog, &sink);
    ast_program_free(&prog);
    return status;
}

/* Loads and checks one version for msgbusgen_compat, its warnings left
 * out: they are about the flow, not about compatibility. */
static int load_checked(const char *path, const msgbusgen_options *opts, diag_sink *sink,
                        program *prog)
{
    load_options lopt;

    memset(prog, 0, sizeof *prog);
    if (start_sink(sink, prog, opts) != 0)
        return MSGBUSGEN_EUSAGE;
    diag_warnings_off(sink);
    start_load(&lopt, opts);
    if (load_program(path, &lopt, sink, prog) != 0 || sema_check(prog, sink) > 0 ||
        sink->n_errors > 0)
        return MSGBUSGEN_EUSAGE;
    return MSGBUSGEN_OK;
}

int msgbusgen_compat(const char *old_path, const char *new_path, const msgbusgen_options *opts)
{
    msgbusgen_options defaults;
    program old_prog, new_prog;
    diag_sink old_sink, new_sink;
    int status;

    if (!opts) {
        msgbusgen_options_init(&defaults);
        opts = &defaults;
    }
    memset(&new_prog, 0, sizeof new_prog);
    status = load_checked(old_path, opts, &old_sink, &old_prog);
    if (status == MSGBUSGEN_OK)
        status = load_checked(new_path, opts, &new_sink, &new_prog);
    /* From here on every diagnostic is about compatibility. */
    old_sink.muted = new_sink.muted = false;
    if (status == MSGBUSGEN_OK &&
        compat_check(&old_prog, &new_prog, opts->compat_mode ? opts->compat_mode : COMPAT_FULL,
                     &old_sink, &new_sink) > 0)
        status = MSGBUSGEN_ESCHEMA;
    ast_program_free(&old_prog);
    ast_program_free(&new_prog);
    return status;
}
