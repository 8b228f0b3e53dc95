/* sema_lookup.c - what a name in a schema refers to.
 *
 * Name lookup (what a schema may name):
 *  - an unqualified name is looked up in the file itself, then in the files
 *    it imports directly that declare the same package;
 *  - a qualified name "p.Name" looks in the file and its direct imports whose
 *    package is p, where p is either the full package ("shop.common") or its
 *    last component ("common").  A package that is loaded but not imported
 *    by this file is an error, as is a name found in two packages. */
#include <stdlib.h>

#include "names.h"
#include "sema_internal.h"

/* The schemas a file can see: itself first, then its direct imports. */
static size_t visible_schemas(const schema *from, const schema **out)
{
    size_t n = 0, i, k;

    out[n++] = from;
    for (i = 0; i < from->n_imports; i++) {
        const schema *s = from->imports[i].resolved;
        bool seen = false;
        if (s == NULL)
            continue;
        for (k = 0; k < n; k++)
            seen = seen || out[k] == s;
        if (!seen)
            out[n++] = s;
    }
    return n;
}

/* Does the written qualifier (len bytes) name this package: in full or by
 * its last component? */
static bool package_matches(const char *package, const char *written, size_t len)
{
    const char *last = strrchr(package, '.');
    last = last ? last + 1 : package;
    return (strlen(package) == len && strncmp(package, written, len) == 0) ||
           (strlen(last) == len && strncmp(last, written, len) == 0);
}

void sema_index_types(sema *S)
{
    size_t i, j;

    S->types_by_name = xcalloc(S->prog->n_files ? S->prog->n_files : 1,
                               sizeof *S->types_by_name);
    for (i = 0; i < S->prog->n_schemas; i++) {
        const schema *s = S->prog->schemas[i];
        hash_table *t = &S->types_by_name[s->file];
        hash_init_strings(t);
        for (j = 0; j < s->n_decls; j++)
            if (is_type(s->decls[j]))
                hash_put(t, s->decls[j]->name, s->decls[j]);   /* the first one wins */
    }
}

void sema_free_type_index(sema *S)
{
    size_t i;

    for (i = 0; S->types_by_name && i < S->prog->n_files; i++)
        hash_free(&S->types_by_name[i]);
    free(S->types_by_name);
    S->types_by_name = NULL;
}

/* The first type named `name` declared in s: one hash lookup, so that
 * resolving every name of a schema takes linear time. */
static decl *find_type(const sema *S, const schema *s, const char *name)
{
    return hash_get(&S->types_by_name[s->file], name);
}

lookup sema_look_up(const sema *S, const schema *from, const char *written)
{
    const schema **visible = xcalloc(from->n_imports + 1, sizeof *visible);
    size_t n_visible = visible_schemas(from, visible), i;
    const char *dot = strrchr(written, '.');
    size_t qualifier = dot ? (size_t)(dot - written) : 0;
    const char *name = dot ? dot + 1 : written;
    bool package_seen = false;
    lookup r;

    memset(&r, 0, sizeof r);
    for (i = 0; i < n_visible; i++) {
        const schema *s = visible[i];
        decl *d;
        if (dot ? !package_matches(package_of(s), written, qualifier) : !same_package(s, from))
            continue;
        package_seen = true;
        d = find_type(S, s, name);
        if (d == NULL)
            continue;
        if (r.found == NULL)
            r.found = d;
        else if (!same_package(r.found->schema, s) && r.other == NULL)
            r.other = d;
    }
    free(visible);

    if (r.other)
        r.status = LOOKUP_AMBIGUOUS;
    else if (r.found)
        r.status = LOOKUP_FOUND;
    else if (dot && !package_seen) {
        r.status = LOOKUP_UNKNOWN_PACKAGE;
        for (i = 0; i < S->prog->n_schemas; i++) {
            const schema *s = S->prog->schemas[i];
            if (package_matches(package_of(s), written, qualifier) && find_type(S, s, name)) {
                r.status = LOOKUP_NOT_IMPORTED;
                r.elsewhere = s;
                break;
            }
        }
    } else
        r.status = LOOKUP_UNKNOWN_NAME;
    return r;
}

/* Names a reference could have meant, spelled as the user would write them. */
static size_t candidates_for(const schema *from, const char *written, bool want_message,
                             char ***out)
{
    const schema **visible = xcalloc(from->n_imports + 1, sizeof *visible);
    size_t n_visible = visible_schemas(from, visible), i, j, n = 0;
    const char *dot = strrchr(written, '.');
    size_t qualifier = dot ? (size_t)(dot - written) : 0;
    char **names = NULL;
    int bt;

    if (!dot && !want_message)
        for (bt = BT_BOOL; bt <= BT_UUID; bt++)
            *AST_PUSH(names, n) = xstrdup(ast_builtin_name((builtin_type)bt));
    for (i = 0; i < n_visible; i++) {
        const schema *s = visible[i];
        if (dot ? !package_matches(package_of(s), written, qualifier) : !same_package(s, from))
            continue;
        for (j = 0; j < s->n_decls; j++) {
            const decl *d = s->decls[j];
            if (!is_type(d) || (want_message ? !is_message(d) : !fits_field_type(d)))
                continue;
            *AST_PUSH(names, n) = dot ? sema_format("%.*s.%s", (int)qualifier, written, d->name)
                                      : xstrdup(d->name);
        }
    }
    free(visible);
    *out = names;
    return n;
}

/* "common.Money" when an unqualified name exists in an imported package. */
static char *qualified_guess(const sema *S, const schema *from, const char *written)
{
    const schema **visible = xcalloc(from->n_imports + 1, sizeof *visible);
    size_t n_visible = visible_schemas(from, visible), i;
    char *out = NULL;

    for (i = 0; i < n_visible && out == NULL; i++) {
        const schema *s = visible[i];
        if (!same_package(s, from) && find_type(S, s, written)) {
            const char *last = strrchr(package_of(s), '.');
            out = sema_format("%s.%s", last ? last + 1 : package_of(s), written);
        }
    }
    free(visible);
    return out;
}

static void free_strings(char **names, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Reports a reference that did not resolve.  what: "type" or "message". */
static void report_lookup(sema *S, const schema *from, const char *written, span where,
                          const lookup *r, bool want_message)
{
    const char *what = want_message ? "message" : "type";
    const char *dot = strrchr(written, '.');

    switch (r->status) {
    case LOOKUP_FOUND:
        break;
    case LOOKUP_UNKNOWN_NAME: {
        char **names;
        size_t n = candidates_for(from, written, want_message, &names);
        const char *close = diag_suggest(written, (const char *const *)names, n);
        char *guess = close ? xstrdup(close) : (dot ? NULL : qualified_guess(S, from, written));
        if (guess)
            diag_report(S->sink, DIAG_ERROR, where, "unknown %s '%s'; did you mean '%s'?",
                        what, written, guess);
        else
            diag_report(S->sink, DIAG_ERROR, where, "unknown %s '%s'", what, written);
        free(guess);
        free_strings(names, n);
        break;
    }
    case LOOKUP_UNKNOWN_PACKAGE: {
        const schema **visible = xcalloc(from->n_imports + 1, sizeof *visible);
        size_t n_visible = visible_schemas(from, visible), i, n = 0;
        char **names = NULL;
        char *qualifier = xstrndup(written, (size_t)(dot - written));
        const char *close;
        for (i = 0; i < n_visible; i++) {
            const char *p = package_of(visible[i]), *last = strrchr(p, '.');
            if (*p == '\0')
                continue;
            *AST_PUSH(names, n) = xstrdup(p);
            if (last)
                *AST_PUSH(names, n) = xstrdup(last + 1);
        }
        close = diag_suggest(qualifier, (const char *const *)names, n);
        if (close)
            diag_report(S->sink, DIAG_ERROR, where,
                        "unknown package '%s' in '%s'; did you mean '%s'?", qualifier, written, close);
        else
            diag_report(S->sink, DIAG_ERROR, where,
                        "unknown package '%s' in '%s' (is its file imported?)", qualifier, written);
        free(qualifier);
        free_strings(names, n);
        free(visible);
        break;
    }
    case LOOKUP_NOT_IMPORTED:
        diag_report(S->sink, DIAG_ERROR, where,
                    "'%s' is in package '%s', which this file does not import",
                    written, package_of(r->elsewhere));
        break;
    case LOOKUP_AMBIGUOUS: {
        char *a = names_full_name(r->found->schema, r->found->name);
        char *b = names_full_name(r->other->schema, r->other->name);
        diag_report(S->sink, DIAG_ERROR, where,
                    "'%s' is ambiguous: it could be '%s' or '%s'; write the full package name",
                    written, a, b);
        sema_note_declared(S, NULL, r->found);
        sema_note_declared(S, NULL, r->other);
        free(a);
        free(b);
        break;
    }
    }
}

/* Resolves (again, now reporting) a reference that pass 2 left unresolved.
 * Returns what it names, or NULL after a diagnostic. */
decl *sema_check_reference(sema *S, const schema *from, const char *written, span where,
                             bool want_message)
{
    lookup r;

    if (written == NULL)
        return NULL;
    r = sema_look_up(S, from, written);
    if (r.status != LOOKUP_FOUND) {
        report_lookup(S, from, written, where, &r, want_message);
        return NULL;
    }
    return r.found;
}
