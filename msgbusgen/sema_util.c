/* sema_util.c - small helpers shared by the files of the semantic pass. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "names.h"
#include "sema_internal.h"

char *sema_format(const char *fmt, ...)
{
    va_list ap;
    int n;
    char *out;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    out = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(out, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return out;
}

/* The source text of a span, for quoting what the user wrote. */
char *sema_span_text(const sema *S, span where)
{
    const source_file *f;

    if (where.file >= S->prog->n_files || where.end < where.start)
        return xstrdup("");
    f = &S->prog->files[where.file];
    if (where.end > f->len)
        return xstrdup("");
    return xstrndup(f->text + where.start, where.end - where.start);
}

/* "record 'Money'", with the full name when seen from another package. */
char *sema_label(const schema *here, const decl *d)
{
    if (here != NULL && same_package(here, d->schema))
        return sema_format("%s '%s'", ast_decl_kind_name(d->kind), d->name);
    {
        char *full = names_full_name(d->schema, d->name);
        char *out = sema_format("%s '%s'", ast_decl_kind_name(d->kind), full);
        free(full);
        return out;
    }
}

/* Name of d as seen from here: plain in its own package, else full. */
char *sema_shown_name(const schema *here, const decl *d)
{
    if (same_package(here, d->schema))
        return xstrdup(d->name);
    return names_full_name(d->schema, d->name);
}

void sema_note_declared(sema *S, const schema *here, const decl *d)
{
    char *l = sema_label(here, d);
    diag_report(S->sink, DIAG_NOTE, d->name_span, "%s is declared here", l);
    free(l);
}
