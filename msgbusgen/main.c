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
#include "load.h"
#include "sema.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

enum { EXIT_SCHEMA = 1, EXIT_USAGE = 2 };

typedef struct options {
    const char *input;
    const char *out_dir;        /* NULL: the current directory */
    const char **include_dirs;
    size_t n_include_dirs;
    const char *prefix;
    const char *depfile;
    const char *depfile_object; /* --depfile-object: the .o of the .c */
    bool check_only;
    bool werror;
} options;

static const char usage_text[] =
    "Usage: msgbusgen [OPTION]... FILE.msg\n"
    "Compile a msgbus schema into C: writes FILE.msg.h and FILE.msg.c.\n"
    "\n"
    "  -o DIR            write the output files into DIR (default: .)\n"
    "  -I DIR            search DIR for imported schemas (repeatable; after\n"
    "                    the importing file's own directory)\n"
    "  --prefix PREFIX   C prefix for the main schema's names instead of the\n"
    "                    one derived from its package; a missing trailing '_'\n"
    "                    is added (shop -> shop_), \"\" means no prefix\n"
    "  --depfile FILE    also write make dependencies of the outputs to FILE\n"
    "  --depfile-object OBJ  with --depfile, also record that OBJ, compiled\n"
    "                    from the output .c, needs the generated headers of\n"
    "                    the schema and of its imports (for plain make)\n"
    "  --check           only report diagnostics; write nothing\n"
    "  -Werror           treat warnings as errors\n"
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

/* Returns -1 to go on, or the exit status (0 after --help or --version). */
static int parse_args(int argc, char **argv, options *o)
{
    static const char *const valued[] = { "-o", "-I", "--prefix", "--depfile",
                                          "--depfile-object" };
    bool only_files = false;
    int i;

    for (i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = NULL;
        bool missing = false;
        size_t k;

        if (only_files || arg[0] != '-' || arg[1] == '\0') {
            if (o->input)
                return usage_error("more than one input file ('%s')", arg);
            o->input = arg;
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
        if (strcmp(arg, "-Werror") == 0) {
            o->werror = true;
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
        default:
            o->depfile_object = value;
            break;
        }
    }
    if (!o->input)
        return usage_error("%s", "no input file");
    if (o->depfile_object && !o->depfile)
        return usage_error("%s", "--depfile-object needs --depfile");
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
    const char *const *targets; /* for the depfile */
    const char *out_dir;        /* -o, or NULL */
    const char *object;         /* --depfile-object, or NULL */
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

/* Make syntax: spaces and '#' escaped with '\', '$' doubled. */
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

/* "out.h out.c: main.msg imported.msg...": the outputs (the header first:
 * Ninja checks that a depfile names the first output of its rule first)
 * depend on every schema read; then an empty rule for each import (like
 * gcc -MP), so make copes when an import is deleted. */
static void write_output_rule(FILE *out, const output *o)
{
    size_t i;

    put_make_word(out, o->targets[0]);
    fputc(' ', out);
    put_make_word(out, o->targets[1]);
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
}

/* Appends to *list (n entries) the generated headers that the header of s,
 * at dir/ (NULL: none), includes, and theirs: each import's X.msg.h, found
 * beside the including header as #include "X.msg.h" finds it first. */
static void collect_import_headers(const schema *s, const char *dir, char ***list, size_t *n)
{
    size_t i, j, dir_len = dir ? strlen(dir) : 0;

    for (i = 0; i < s->n_imports; i++) {
        const import *imp = &s->imports[i];
        char *path = xmalloc(dir_len + 1 + strlen(imp->path) + 3);
        const char *slash;
        char *sub;

        sprintf(path, "%.*s%s%s.h", (int)dir_len, dir ? dir : "", dir_len ? "/" : "", imp->path);
        for (j = 0; j < *n && strcmp((*list)[j], path) != 0; j++)
            ;
        if (j < *n) {
            free(path);
            continue;
        }
        *list = xrealloc(*list, (*n + 1) * sizeof **list);
        (*list)[(*n)++] = path;
        slash = strrchr(path, '/');
        sub = slash ? xmalloc((size_t)(slash - path) + 1) : NULL;
        if (sub)
            sprintf(sub, "%.*s", (int)(slash - path), path);
        if (imp->resolved)
            collect_import_headers(imp->resolved, sub, list, n);
        free(sub);
    }
}

/* With --depfile-object: "main.msg.o: out/main.msg.h out/imported.msg.h...",
 * what the object compiled from the generated .c includes, so plain make
 * rebuilds it when an import changes (orders.msg.o needs common.msg.h).
 * Kept out of the plain depfile: Ninja rejects a depfile naming a file
 * that is not an output of its rule. */
static void write_object_rule(FILE *out, const output *o)
{
    char **headers = NULL;
    size_t i, n = 0;

    collect_import_headers(o->s, o->out_dir, &headers, &n);
    fputc('\n', out);
    put_make_word(out, o->object);
    fputs(": ", out);
    put_make_word(out, o->targets[0]);
    for (i = 0; i < n; i++) {
        fputs(" \\\n ", out);
        put_make_word(out, headers[i]);
    }
    fputc('\n', out);
    for (i = 0; i < n; i++) {
        fputc('\n', out);
        put_make_word(out, headers[i]);
        fputs(":\n", out);
        free(headers[i]);
    }
    free(headers);
}

static int write_depfile(FILE *out, const output *o)
{
    write_output_rule(out, o);
    if (o->object)
        write_object_rule(out, o);
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
    char *header_name = xmalloc(strlen(name) + 3);
    char *source_name = xmalloc(strlen(name) + 3);
    char *paths[2];
    output o;
    int rc;

    sprintf(header_name, "%s.h", name);
    sprintf(source_name, "%s.c", name);
    paths[0] = path_in(opt->out_dir, header_name);
    paths[1] = path_in(opt->out_dir, source_name);
    o.prog = prog;
    o.s = prog->schemas[0];
    o.header_name = header_name;
    o.targets = (const char *const *)paths;
    o.out_dir = opt->out_dir;
    o.object = opt->depfile_object;

    rc = write_file(paths[0], write_header, &o);
    if (rc == 0)
        rc = write_file(paths[1], write_source, &o);
    if (rc == 0 && opt->depfile)
        rc = write_file(opt->depfile, write_depfile, &o);

    free(paths[0]);
    free(paths[1]);
    free(header_name);
    free(source_name);
    return rc == 0 ? 0 : EXIT_USAGE;
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
        return status;
    }

    memset(&sink, 0, sizeof sink);
    sink.out = stderr;
    sink.prog = &prog;
    sink.werror = opt.werror;
    lopt.include_dirs = opt.include_dirs;
    lopt.n_include_dirs = opt.n_include_dirs;
    lopt.prefix = opt.prefix;

    status = load_program(opt.input, &lopt, &sink, &prog);
    /* After syntax errors the tree is incomplete: checking it would only
     * add errors that follow from the first ones. */
    if (status == 0 && (sema_check(&prog, &sink) > 0 || sink.n_errors > 0))
        status = EXIT_SCHEMA;
    if (status == 0 && !opt.check_only)
        status = generate(&opt, &prog);

    ast_program_free(&prog);
    free(opt.include_dirs);
    return status;
}
