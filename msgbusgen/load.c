/* load.c - reads the main schema and, depth first, every file it imports.
 *
 * Each file is loaded once, identified by its real path; an import that
 * leads back to a file still being loaded is a cycle. */
#define _XOPEN_SOURCE 700   /* realpath, open_memstream */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "names.h"

typedef struct loader {
    const load_options *opts;
    diag_sink *sink;
    program *prog;
    char **real_paths;          /* parallel to prog->schemas */
    size_t *open_import;        /* parallel: import being followed, or SIZE_MAX when done */
    size_t *stack;              /* schemas being loaded, outermost first */
    size_t depth;
    int status;                 /* 2 once a file could not be read */
} loader;

/* Reads a whole file into a NUL-terminated buffer; returns 0 or an errno. */
static int read_file(const char *path, char **text, size_t *len)
{
    FILE *in = fopen(path, "rb");
    size_t size = 0, cap = 4096, n;
    char *buf;
    int err;

    if (!in)
        return errno;
    buf = xmalloc(cap);
    while ((n = fread(buf + size, 1, cap - size - 1, in)) > 0) {
        size += n;
        if (cap - size - 1 == 0) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
    }
    err = ferror(in) ? (errno ? errno : EIO) : 0;
    fclose(in);
    if (err) {
        free(buf);
        return err;
    }
    buf[size] = '\0';
    *text = buf;
    *len = size;
    return 0;
}

/* "dir/" + name; "dir" gets the slash it lacks, "" leaves name alone. */
static char *join_path(const char *dir, size_t dir_len, const char *name)
{
    bool slash = dir_len > 0 && dir[dir_len - 1] != '/';
    size_t name_len = strlen(name);
    char *path = xmalloc(dir_len + (slash ? 1 : 0) + name_len + 1);

    memcpy(path, dir, dir_len);
    if (slash)
        path[dir_len] = '/';
    memcpy(path + dir_len + (slash ? 1 : 0), name, name_len + 1);
    return path;
}

/* The directory part of path, with its trailing slash ("" for none). */
static size_t dir_length(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? (size_t)(slash - path) + 1 : 0;
}

static char *prefix_option(const char *prefix)
{
    size_t len = strlen(prefix);
    char *p;

    /* --prefix shop gives shop_Name, like the package shop would */

    if (len == 0 || prefix[len - 1] == '_')
        return xstrdup(prefix);
    p = xmalloc(len + 2);
    memcpy(p, prefix, len);
    p[len] = '_';
    p[len + 1] = '\0';
    return p;
}

static size_t find_loaded(const loader *L, const char *real)
{
    size_t i;

    for (i = 0; i < L->prog->n_schemas; i++) {
        if (strcmp(L->real_paths[i], real) == 0)
            return i;
    }
    return SIZE_MAX;
}

static size_t load_file(loader *L, const char *path, char *real, const char *given, size_t given_len);

/* Reports the import that closes a cycle, then where each file in the
 * cycle imports the next. */
static void report_cycle(loader *L, const import *imp, size_t target)
{
    program *prog = L->prog;
    char *chain = NULL;
    size_t chain_len = 0, first = 0, k;
    FILE *out = open_memstream(&chain, &chain_len);

    while (L->stack[first] != target)
        first++;
    if (out) {
        for (k = first; k < L->depth; k++)
            fprintf(out, "'%s' -> ", prog->files[prog->schemas[L->stack[k]]->file].path);
        fprintf(out, "'%s'", prog->files[prog->schemas[target]->file].path);
        fclose(out);
    }
    diag_report(L->sink, DIAG_ERROR, imp->span, "import cycle: %s", chain ? chain : "");
    free(chain);
    for (k = first; k + 1 < L->depth; k++) {
        const schema *s = prog->schemas[L->stack[k]];
        const import *step = &s->imports[L->open_import[L->stack[k]]];
        diag_report(L->sink, DIAG_NOTE, step->span, "'%s' imports '%s' here",
                    prog->files[s->file].path, step->path);
    }
}

/* Finds an import relative to the importing file, then in each -I dir;
 * returns the path to open (the real path goes to *real), or NULL. */
static char *find_import(const loader *L, const char *importer, const char *name, char **real)
{
    size_t i, n_dirs = L->opts ? L->opts->n_include_dirs : 0;

    for (i = 0; i <= n_dirs; i++) {
        char *candidate;
        if (name[0] == '/')
            candidate = xstrdup(name);
        else if (i == 0)
            candidate = join_path(importer, dir_length(importer), name);
        else
            candidate = join_path(L->opts->include_dirs[i - 1],
                                  strlen(L->opts->include_dirs[i - 1]), name);
        *real = realpath(candidate, NULL);
        if (*real)
            return candidate;
        free(candidate);
        if (name[0] == '/')
            break;
    }
    return NULL;
}

static void load_imports(loader *L, size_t index)
{
    size_t i;

    for (i = 0; i < L->prog->schemas[index]->n_imports; i++) {
        schema *s = L->prog->schemas[index];
        import *imp = &s->imports[i];
        const char *importer = L->prog->files[s->file].path;
        char *real = NULL;
        char *path = find_import(L, importer, imp->path, &real);
        size_t target;

        if (!path) {
            diag_report(L->sink, DIAG_ERROR, imp->span, "cannot find imported file '%s'",
                        imp->path);
            continue;
        }
        L->open_import[index] = i;
        target = find_loaded(L, real);
        if (target != SIZE_MAX) {
            free(real);
            if (L->open_import[target] != SIZE_MAX || target == index)
                report_cycle(L, imp, target);
            else
                imp->resolved = L->prog->schemas[target];
        } else {
            target = load_file(L, path, real, NULL, 0);
            if (target == SIZE_MAX) {
                diag_report(L->sink, DIAG_ERROR, imp->span, "cannot open '%s': %s", path,
                            strerror(errno));
                L->status = 2;
            } else {
                imp->resolved = L->prog->schemas[target];
            }
        }
        free(path);
    }
    L->open_import[index] = SIZE_MAX;
}

/* Reads and parses path (or, when given is not NULL, the given_len bytes
 * there, named path), then its imports.  Takes ownership of real.
 * Returns the schema's index, or SIZE_MAX with errno set. */
static size_t load_file(loader *L, const char *path, char *real, const char *given,
                        size_t given_len)
{
    program *prog = L->prog;
    source_file *f;
    char *text = NULL;
    size_t len = 0, index;
    int err = 0;

    if (given) {
        /* A copy with the NUL the lexer and diagnostics rely on. */
        text = xmalloc(given_len + 1);
        memcpy(text, given, given_len);
        text[given_len] = '\0';
        len = given_len;
    } else {
        err = read_file(path, &text, &len);
    }
    if (err) {
        free(real);
        errno = err;
        return SIZE_MAX;
    }
    f = AST_PUSH(prog->files, prog->n_files);
    f->path = xstrdup(path);
    f->text = text;
    f->len = len;

    index = prog->n_schemas;
    prog->schemas = xrealloc(prog->schemas, (index + 1) * sizeof *prog->schemas);
    L->real_paths = xrealloc(L->real_paths, (index + 1) * sizeof *L->real_paths);
    L->open_import = xrealloc(L->open_import, (index + 1) * sizeof *L->open_import);
    L->stack = xrealloc(L->stack, (L->depth + 1) * sizeof *L->stack);
    prog->schemas[index] = parse_schema(prog, (uint32_t)(prog->n_files - 1), L->sink);
    prog->n_schemas++;
    L->real_paths[index] = real;
    L->open_import[index] = 0;
    L->stack[L->depth++] = index;

    load_imports(L, index);

    L->depth--;
    return index;
}

int load_program(const char *path, const load_options *opts, diag_sink *sink, program *prog)
{
    return load_program_text(path, NULL, 0, opts, sink, prog);
}

int load_program_text(const char *path, const char *text, size_t len, const load_options *opts,
                      diag_sink *sink, program *prog)
{
    loader L;
    int errors_before = sink->n_errors;
    char *real;
    size_t i;

    memset(prog, 0, sizeof *prog);
    memset(&L, 0, sizeof L);
    L.opts = opts;
    L.sink = sink;
    L.prog = prog;
    if (!sink->prog)
        sink->prog = prog;

    real = realpath(path, NULL);
    if (!real && text)
        real = xstrdup(path);   /* a buffer need not exist as a file */
    if (!real || load_file(&L, path, real, text, len) == SIZE_MAX) {
        diag_plain(sink, DIAG_ERROR, "cannot open '%s': %s", path, strerror(errno));
        L.status = 2;
    }

    for (i = 0; i < prog->n_schemas; i++) {
        schema *s = prog->schemas[i];
        if (i == 0 && opts && opts->prefix)
            s->prefix = prefix_option(opts->prefix);
        else
            s->prefix = names_prefix_for_package(s->package);
        free(L.real_paths[i]);
    }
    free(L.real_paths);
    free(L.open_import);
    free(L.stack);

    if (L.status)
        return L.status;
    return sink->n_errors > errors_before ? 1 : 0;
}
