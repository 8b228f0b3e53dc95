/* main.c - the msgbusgen command line: load, check, write the C files.
 *
 * Exit status: 0 success (warnings allowed), 1 errors in the schema,
 * 2 usage or I/O errors. */
#define _XOPEN_SOURCE 700   /* mkstemp, fchmod, umask, fdopen */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ast.h"
#include "diag.h"
#include "emit.h"
#include "compat.h"
#include "load.h"
#include "sema.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

enum { EXIT_SCHEMA = 1, EXIT_USAGE = 2 };

typedef struct options {
    const char *input;          /* with --compat: the new schema */
    const char *compat_old;     /* --compat: the old schema, or NULL */
    bool compat;
    int compat_mode;            /* COMPAT_*, default full */
    const char *out_dir;        /* NULL: the current directory */
    const char **include_dirs;
    size_t n_include_dirs;
    const char *prefix;
    const char *depfile;
    bool check_only;
    const char **warning_options;   /* -W..., in order: the last one wins */
    size_t n_warning_options;
    unsigned emit;              /* EMIT_* bits; 0 until --emit: C */
    const char *api_version;    /* --api-version, for asyncapi */
} options;

/* What --emit can ask for; each kind writes its own files. */
enum { EMIT_C = 1u, EMIT_JSONSCHEMA = 2u, EMIT_ASYNCAPI = 4u, EMIT_DOT = 8u };

static const struct emit_kind {
    const char *name;
    unsigned bit;
} emit_kinds[] = {
    { "c", EMIT_C },
    { "jsonschema", EMIT_JSONSCHEMA },
    { "asyncapi", EMIT_ASYNCAPI },
    { "dot", EMIT_DOT },
};

static const char usage_text[] =
    "Usage: msgbusgen [OPTION]... FILE.msg\n"
    "   or: msgbusgen --compat [--compat-mode=MODE] [-I DIR]... OLD.msg NEW.msg\n"
    "Compile a msgbus schema into C: writes FILE.msg.h and FILE.msg.c.\n"
    "\n"
    "  -o DIR            write the output files into DIR (default: .)\n"
    "  --emit KIND[,KIND...]\n"
    "                    what to write (repeatable; default: c):\n"
    "                      c           FILE.msg.h and FILE.msg.c\n"
    "                      jsonschema  FILE.msg.schema.json, JSON Schema 2020-12\n"
    "                      asyncapi    FILE.msg.asyncapi.json, AsyncAPI 3.0.0\n"
    "                      dot         FILE.msg.dot, the message flow for Graphviz\n"
    "  --api-version V   info.version of the AsyncAPI document (default: 1.0.0)\n"
    "  -I DIR            search DIR for imported schemas (repeatable; after\n"
    "                    the importing file's own directory)\n"
    "  --prefix PREFIX   C prefix for the main schema's names instead of the\n"
    "                    one derived from its package; a missing trailing '_'\n"
    "                    is added (shop -> shop_), \"\" means no prefix\n"
    "  --depfile FILE    also write make dependencies of the outputs to FILE\n"
    "  --check           only report diagnostics; write nothing\n"
    "  --compat          check that NEW.msg can replace OLD.msg: each breaking\n"
    "                    change is an error (exit status 1)\n"
    "  --compat-mode=MODE  backward (NEW reads what OLD wrote), forward (OLD\n"
    "                    reads what NEW writes) or full (both; the default)\n"
    "  -Wall             turn on every warning\n"
    "  -WNAME, -Wno-NAME turn warning NAME on or off: unhandled-command and\n"
    "                    emit-cycle (on by default), unhandled-event and\n"
    "                    unused-type (off by default)\n"
    "  -Werror           treat warnings as errors\n"
    "  -Werror=NAME      turn warning NAME on, as an error (-Wno-error=NAME: not)\n"
    "  --version         print the version and exit\n"
    "  --help            print this help and exit\n"
    "\n"
    "Exit status: 0 success, 1 errors in the schema, 2 usage or I/O errors.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fputs("msgbusgen: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'msgbusgen --help' for more information.\n", stderr);
    return EXIT_USAGE;
}

static bool is_c_identifier_prefix(const char *s)
{
    size_t i;

    for (i = 0; s[i]; i++) {
        char c = s[i];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!letter && !(i > 0 && c >= '0' && c <= '9'))
            return false;
    }
    return true;
}

/* The value of an option given as "-o DIR", "-oDIR", "--prefix X" or
 * "--prefix=X"; NULL when argv[i] is not that option. */
static const char *option_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
    size_t len = strlen(name);
    const char *arg = argv[*i];

    if (strncmp(arg, name, len) != 0)
        return NULL;
    if (arg[len] == '\0') {
        if (*i + 1 >= argc) {
            *missing = true;
            return NULL;
        }
        return argv[++*i];
    }
    if (name[1] == '-' && arg[len] == '=')
        return arg + len + 1;
    if (name[1] != '-')
        return arg + len;
    return NULL;
}

/* Adds the kinds of a comma-separated --emit list to *bits. */
static int parse_emit(const char *list, unsigned *bits)
{
    const char *p = list;

    for (;;) {
        size_t len = strcspn(p, ","), k;
        for (k = 0; k < sizeof emit_kinds / sizeof emit_kinds[0]; k++)
            if (strlen(emit_kinds[k].name) == len && strncmp(emit_kinds[k].name, p, len) == 0)
                break;
        if (k == sizeof emit_kinds / sizeof emit_kinds[0]) {
            fprintf(stderr, "msgbusgen: unknown --emit kind '%.*s' (kinds: c, jsonschema, asyncapi, dot)\n"
                            "Try 'msgbusgen --help' for more information.\n", (int)len, p);
            return -1;
        }
        *bits |= emit_kinds[k].bit;
        if (p[len] == '\0')
            return 0;
        p += len + 1;
    }
}

/* Returns -1 to go on, or the exit status (0 after --help or --version). */
static int parse_args(int argc, char **argv, options *o)
{
    static const char *const valued[] = { "-o", "-I", "--prefix", "--depfile", "--emit",
                                            "--api-version", "--compat-mode" };
    bool only_files = false;
    int i;

    for (i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = NULL;
        bool missing = false;
        size_t k;

        if (only_files || arg[0] != '-' || arg[1] == '\0') {
            if (o->input && (o->compat_old || !o->compat))
                return usage_error("more than one input file ('%s')", arg);
            if (o->input)
                o->compat_old = o->input;
            o->input = arg;
            continue;
        }
        if (strcmp(arg, "--compat") == 0) {
            o->compat = true;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_files = true;
            continue;
        }
        if (strcmp(arg, "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(arg, "--version") == 0) {
            puts("msgbusgen " PACKAGE_VERSION);
            return 0;
        }
        if (strcmp(arg, "--check") == 0) {
            o->check_only = true;
            continue;
        }
        if (strncmp(arg, "-W", 2) == 0) {
            diag_sink scratch;
            const char *suggest;
            memset(&scratch, 0, sizeof scratch);
            if (diag_warning_option(&scratch, arg, &suggest) != 0) {
                if (suggest)
                    fprintf(stderr, "msgbusgen: unknown warning option '%s'; did you mean '%s%s'?\n"
                                    "Try 'msgbusgen --help' for more information.\n",
                            arg, strstr(arg, "error=") ? "-Werror=" : strncmp(arg, "-Wno-", 5) == 0 ? "-Wno-" : "-W",
                            suggest);
                else
                    usage_error("unknown warning option '%s'", arg);
                return EXIT_USAGE;
            }
            o->warning_options = xrealloc(o->warning_options,
                                          (o->n_warning_options + 1) * sizeof *o->warning_options);
            o->warning_options[o->n_warning_options++] = arg;
            continue;
        }
        for (k = 0; k < sizeof valued / sizeof valued[0]; k++) {
            value = option_value(argc, argv, &i, valued[k], &missing);
            if (value || missing)
                break;
        }
        if (missing)
            return usage_error("option '%s' needs an argument", arg);
        if (!value)
            return usage_error("unknown option '%s'", arg);
        switch (k) {
        case 0:
            o->out_dir = value;
            break;
        case 1:
            o->include_dirs = xrealloc(o->include_dirs,
                                       (o->n_include_dirs + 1) * sizeof *o->include_dirs);
            o->include_dirs[o->n_include_dirs++] = value;
            break;
        case 2:
            if (!is_c_identifier_prefix(value))
                return usage_error("--prefix '%s' is not a C identifier", value);
            o->prefix = value;
            break;
        case 3:
            o->depfile = value;
            break;
        case 4:
            if (parse_emit(value, &o->emit) != 0)
                return EXIT_USAGE;
            break;
        case 5:
            if (value[0] == '\0')
                return usage_error("%s", "--api-version cannot be empty");
            o->api_version = value;
            break;
        default:
            if (strcmp(value, "backward") == 0)
                o->compat_mode = COMPAT_BACKWARD;
            else if (strcmp(value, "forward") == 0)
                o->compat_mode = COMPAT_FORWARD;
            else if (strcmp(value, "full") == 0)
                o->compat_mode = COMPAT_FULL;
            else
                return usage_error("--compat-mode '%s' is not backward, forward or full", value);
            break;
        }
    }
    if (o->compat && !o->compat_old)
        return usage_error("%s", "--compat needs two files: OLD.msg NEW.msg");
    if (!o->compat && o->compat_mode)
        return usage_error("%s", "--compat-mode without --compat");
    if (!o->input)
        return usage_error("%s", "no input file");
    return -1;
}

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
    { EMIT_C, ".h", write_header },
    { EMIT_C, ".c", write_source },
    { EMIT_JSONSCHEMA, ".schema.json", write_jsonschema },
    { EMIT_ASYNCAPI, ".asyncapi.json", write_asyncapi },
    { EMIT_DOT, ".dot", write_dot },
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
        fprintf(stderr, "msgbusgen: error: cannot create '%s': %s\n", path, strerror(errno));
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
        fprintf(stderr, "msgbusgen: error: cannot write '%s': %s\n", path,
                errno ? strerror(errno) : "write error");
        unlink(tmp);
    }
    free(tmp);
    return rc;
}

static int generate(const options *opt, const program *prog)
{
    const char *name = base_name(opt->input);
    unsigned kinds = opt->emit ? opt->emit : EMIT_C;
    char *header_name = xmalloc(strlen(name) + 3);
    output o;
    size_t i, k;
    int rc = 0;

    sprintf(header_name, "%s.h", name);
    memset(&o, 0, sizeof o);
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
    return rc == 0 ? 0 : EXIT_USAGE;
}

/* Loads and checks one version for --compat, its warnings left out:
 * they are about the flow, not about compatibility.  Returns 0 or 2. */
static int load_checked(const char *path, const load_options *lopt, diag_sink *sink,
                        program *prog)
{
    memset(sink, 0, sizeof *sink);
    sink->out = stderr;
    sink->prog = prog;
    diag_warnings_off(sink);
    if (load_program(path, lopt, sink, prog) != 0 || sema_check(prog, sink) > 0 ||
        sink->n_errors > 0)
        return EXIT_USAGE;
    return 0;
}

/* msgbusgen --compat OLD NEW: 0 compatible, 1 breaking, 2 usage or
 * schema errors in either file. */
static int run_compat(const options *opt, const load_options *lopt)
{
    program old_prog, new_prog;
    diag_sink old_sink, new_sink;
    int status = load_checked(opt->compat_old, lopt, &old_sink, &old_prog);

    if (status == 0)
        status = load_checked(opt->input, lopt, &new_sink, &new_prog);
    else
        memset(&new_prog, 0, sizeof new_prog);
    /* From here on every diagnostic is about compatibility. */
    old_sink.muted = new_sink.muted = false;
    if (status == 0 &&
        compat_check(&old_prog, &new_prog, opt->compat_mode ? opt->compat_mode : COMPAT_FULL,
                     &old_sink, &new_sink) > 0)
        status = EXIT_SCHEMA;
    ast_program_free(&old_prog);
    ast_program_free(&new_prog);
    return status;
}

int main(int argc, char **argv)
{
    options opt;
    load_options lopt;
    diag_sink sink;
    program prog;
    int status;

    memset(&opt, 0, sizeof opt);
    status = parse_args(argc, argv, &opt);
    if (status >= 0) {
        free(opt.include_dirs);
        free(opt.warning_options);
        return status;
    }

    memset(&sink, 0, sizeof sink);
    sink.out = stderr;
    sink.prog = &prog;
    for (size_t k = 0; k < opt.n_warning_options; k++) {
        const char *suggest;
        diag_warning_option(&sink, opt.warning_options[k], &suggest);
    }
    lopt.include_dirs = opt.include_dirs;
    lopt.n_include_dirs = opt.n_include_dirs;
    lopt.prefix = opt.prefix;

    if (opt.compat) {
        status = run_compat(&opt, &lopt);
        free(opt.include_dirs);
        free(opt.warning_options);
        return status;
    }
    status = load_program(opt.input, &lopt, &sink, &prog);
    /* After syntax errors the tree is incomplete: checking it would only
     * add errors that follow from the first ones. */
    if (status == 0 && (sema_check(&prog, &sink) > 0 || sink.n_errors > 0))
        status = EXIT_SCHEMA;
    if (status == 0 && !opt.check_only)
        status = generate(&opt, &prog);

    ast_program_free(&prog);
    free(opt.include_dirs);
    free(opt.warning_options);
    return status;
}
