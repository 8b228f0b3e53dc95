/* compat.c - the compatibility check between two versions of a schema.
 *
 * Messages are matched by full name (by name alone after a package
 * rename, which is reported once), then compared field by field through
 * records, lists and maps, so every change is reported with its path from
 * the message ("shop.orders.ProcessOrder.lines[].sku") and once per path.
 * The rules are the table of msgbusgen(1), COMPATIBILITY CHECK; presence follows
 * one rule: a field that writers of one side may leave out (optional or
 * defaulted) must not be required by the readers of the other side. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "names.h"

typedef struct pair {
    const decl *old_decl, *new_decl;
} pair;

typedef struct compat {
    const program *old_prog, *new_prog;
    diag_sink *old_sink, *new_sink;
    int mode;
    int errors;
    pair *stack;                /* records being compared, against cycles */
    size_t depth, cap;
} compat;

static const char *direction_text(int breaks)
{
    switch (breaks) {
    case COMPAT_BACKWARD: return "breaks backward compatibility";
    case COMPAT_FORWARD:  return "breaks forward compatibility";
    default:              return "breaks both backward and forward compatibility";
    }
}

static char *vformat(const char *fmt, va_list ap)
{
    va_list copy;
    int n;
    char *text;

    va_copy(copy, ap);
    n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    text = xmalloc(n > 0 ? (size_t)n + 1 : 1);
    vsnprintf(text, n > 0 ? (size_t)n + 1 : 1, fmt, ap);
    return text;
}

static char *format(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static char *format(const char *fmt, ...)
{
    va_list ap;
    char *text;

    va_start(ap, fmt);
    text = vformat(fmt, ap);
    va_end(ap);
    return text;
}

/* One breaking change, if it breaks a direction the mode checks: the error
 * at `at` (in the new program, or the old one when at_old), the note at
 * `other` in the other program. */
static void report(compat *C, int breaks, int at_old, span at, span other, const char *note,
                   const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 7, 8)))
#endif
    ;

static void report(compat *C, int breaks, int at_old, span at, span other, const char *note,
                   const char *fmt, ...)
{
    va_list ap;
    char *text;

    if (!(breaks & C->mode))
        return;
    va_start(ap, fmt);
    text = vformat(fmt, ap);
    va_end(ap);
    diag_report(at_old ? C->old_sink : C->new_sink, DIAG_ERROR, at, "%s (%s)", text,
                direction_text(breaks));
    diag_report(at_old ? C->new_sink : C->old_sink, DIAG_NOTE, other, "%s", note);
    C->errors++;
    free(text);
}

/* ---- presence ------------------------------------------------------------ */

/* Writers may leave the field out: it is optional, or has a default. */
static int may_be_absent(const field *f)
{
    return f->type.optional || f->default_value != NULL;
}

static void compare_presence(compat *C, const char *path, const field *o, const field *n)
{
    if (o->type.optional && !n->type.optional && !n->default_value)
        report(C, COMPAT_BACKWARD, 0, n->name_span, o->name_span, "the old field is here",
               "%s: field made required ('?' removed, no default)", path);
    else if (!o->type.optional && o->default_value && !may_be_absent(n))
        report(C, COMPAT_BACKWARD, 0, n->name_span, o->default_value->span,
               "the old default is here", "%s: default removed", path);
    else if (!may_be_absent(o) && n->type.optional)
        report(C, COMPAT_FORWARD, 0, n->name_span, o->name_span, "the old field is here",
               "%s: field made optional", path);
    else if (!may_be_absent(o) && n->default_value)
        report(C, COMPAT_FORWARD, 0, n->default_value->span, o->name_span,
               "the old field is here", "%s: default added to a required field", path);
}

/* ---- types --------------------------------------------------------------- */

static int is_integer(builtin_type bt)
{
    return bt >= BT_INT8 && bt <= BT_UINT64;
}

/* Does every value of a fit in b?  Integers by range, float in double. */
static int fits_in(builtin_type a, builtin_type b)
{
    uint64_t a_neg, a_pos, b_neg, b_pos;

    if (a == b)
        return 1;
    if (a == BT_FLOAT && b == BT_DOUBLE)
        return 1;
    if (!is_integer(a) || !is_integer(b))
        return 0;
    ast_integer_range(a, &a_neg, &a_pos);
    ast_integer_range(b, &b_neg, &b_pos);
    return a_neg <= b_neg && a_pos <= b_pos;
}

static type_form level_form(const type_ref *t, size_t j)
{
    return j == 0 ? t->form : t->inner[j - 1].form;
}

/* Lists and maps around the element: 0 for a single value. */
static size_t levels(const type_ref *t)
{
    return t->form == TF_SINGLE ? 0 : t->n_inner + 1;
}

/* "int32", "list<Address>", "map<string, list<Color>>" (element names short). */
static char *type_text(const type_ref *t)
{
    const char *elem = t->builtin != BT_NONE ? ast_builtin_name(t->builtin)
                                            : (t->resolved ? t->resolved->name : t->name);
    size_t n = levels(t), j;
    char *text = xmalloc(strlen(elem) + n * sizeof "map<string, >" + 1);

    text[0] = '\0';
    for (j = 0; j < n; j++)
        strcat(text, level_form(t, j) == TF_MAP ? "map<string, " : "list<");
    strcat(text, elem);
    for (j = 0; j < n; j++)
        strcat(text, ">");
    return text;
}

/* The same lists and maps, in the same order, around the elements: a
 * change of nesting changes the JSON shape of every value. */
static int same_shape(const type_ref *a, const type_ref *b)
{
    size_t j;

    if (levels(a) != levels(b))
        return 0;
    for (j = 0; j < levels(a); j++)
        if (level_form(a, j) != level_form(b, j))
            return 0;
    return 1;
}

static void compare_struct(compat *C, const char *path, const decl *o, const decl *n);

static void compare_enum(compat *C, const char *path, const decl *o, const decl *n)
{
    size_t i, k;
    char *old_name = names_full_name(o->schema, o->name);

    for (i = 0; i < n->n_values; i++) {
        const enum_value *v = &n->values[i];
        const enum_value *renamed = NULL;
        int known = 0;
        for (k = 0; k < o->n_values; k++)
            known = known || strcmp(o->values[k].name, v->name) == 0;
        if (known)
            continue;
        /* A value whose number an old, now missing, name had: a rename. */
        for (k = 0; k < o->n_values && !renamed; k++) {
            size_t m;
            int still = 0;
            if (o->values[k].value != v->value)
                continue;
            for (m = 0; m < n->n_values; m++)
                still = still || strcmp(n->values[m].name, o->values[k].name) == 0;
            if (!still)
                renamed = &o->values[k];
        }
        if (renamed)
            report(C, COMPAT_FULL, 0, v->name_span, renamed->name_span, "the old value is here",
                   "%s: value '%s' of enum '%s' renamed to '%s'", path, renamed->name, old_name,
                   v->name);
        else
            report(C, COMPAT_FORWARD, 0, v->name_span, o->name_span,
                   "the old enum is here", "%s: value '%s' added to enum '%s'", path, v->name,
                   old_name);
    }
    for (k = 0; k < o->n_values; k++) {
        const enum_value *v = &o->values[k];
        int kept = 0, renamed = 0;
        for (i = 0; i < n->n_values; i++) {
            kept = kept || strcmp(n->values[i].name, v->name) == 0;
            if (n->values[i].value == v->value) {
                size_t m;
                int was_known = 0;
                for (m = 0; m < o->n_values; m++)
                    was_known = was_known || strcmp(o->values[m].name, n->values[i].name) == 0;
                renamed = renamed || !was_known;
            }
        }
        if (!kept && !renamed)
            report(C, COMPAT_BACKWARD, 1, v->name_span, n->name_span, "the new enum is here",
                   "%s: value '%s' removed from enum '%s'", path, v->name, old_name);
    }
    free(old_name);
}

/* The element types of two fields (or the single types). */
static void compare_elements(compat *C, const char *path, const field *o, const field *n)
{
    const type_ref *ot = &o->type, *nt = &n->type;
    char *a, *b;
    int breaks = 0;
    const char *verb = "changed";

    if (ot->builtin != BT_NONE || nt->builtin != BT_NONE) {
        if (ot->builtin == nt->builtin)
            return;
        if (ot->builtin != BT_NONE && nt->builtin != BT_NONE && fits_in(ot->builtin, nt->builtin)) {
            breaks = COMPAT_FORWARD;
            verb = "widened";
        } else if (ot->builtin != BT_NONE && nt->builtin != BT_NONE &&
                   fits_in(nt->builtin, ot->builtin)) {
            breaks = COMPAT_BACKWARD;
            verb = "narrowed";
        } else {
            breaks = COMPAT_FULL;
        }
    } else if (ot->resolved == NULL || nt->resolved == NULL) {
        return;
    } else if (ot->resolved->kind != nt->resolved->kind) {
        breaks = COMPAT_FULL;
    } else if (ot->resolved->kind == DECL_ENUM) {
        compare_enum(C, path, ot->resolved, nt->resolved);
        return;
    } else {
        compare_struct(C, path, ot->resolved, nt->resolved);
        return;
    }
    a = type_text(ot);
    b = type_text(nt);
    report(C, breaks, 0, nt->span, ot->span, "the old type is here",
           "%s: type %s from '%s' to '%s'", path, verb, a, b);
    free(a);
    free(b);
}

static void compare_field(compat *C, const char *path, const field *o, const field *n)
{
    char *elem_path;

    compare_presence(C, path, o, n);
    if (!same_shape(&o->type, &n->type)) {
        char *a = type_text(&o->type), *b = type_text(&n->type);
        report(C, COMPAT_FULL, 0, n->type.span, o->type.span, "the old type is here",
               "%s: type changed from '%s' to '%s'", path, a, b);
        free(a);
        free(b);
        return;
    }
    elem_path = xstrdup(path);
    for (size_t j = 0; j < levels(&o->type); j++) {
        char *longer = format("%s%s", elem_path, level_form(&o->type, j) == TF_LIST ? "[]" : "{}");
        free(elem_path);
        elem_path = longer;
    }
    compare_elements(C, elem_path, o, n);
    free(elem_path);
}

static const field *find_field(const decl *d, const char *name)
{
    size_t i;

    for (i = 0; i < d->n_fields; i++)
        if (strcmp(d->fields[i].name, name) == 0)
            return &d->fields[i];
    return NULL;
}

static void compare_struct(compat *C, const char *path, const decl *o, const decl *n)
{
    size_t i;

    for (i = 0; i < C->depth; i++)
        if (C->stack[i].old_decl == o && C->stack[i].new_decl == n)
            return;     /* a record that contains itself: compared already */
    if (C->depth == C->cap) {
        C->cap = C->cap ? 2 * C->cap : 8;
        C->stack = xrealloc(C->stack, C->cap * sizeof *C->stack);
    }
    C->stack[C->depth].old_decl = o;
    C->stack[C->depth].new_decl = n;
    C->depth++;

    for (i = 0; i < n->n_fields; i++) {
        const field *nf = &n->fields[i], *of = find_field(o, nf->name);
        char *field_path = format("%s.%s", path, nf->name);
        if (of)
            compare_field(C, field_path, of, nf);
        else if (!may_be_absent(nf))
            report(C, COMPAT_BACKWARD, 0, nf->name_span, o->name_span,
                   "the old declaration is here", "%s: required field added", field_path);
        free(field_path);
    }
    for (i = 0; i < o->n_fields; i++) {
        const field *of = &o->fields[i];
        char *field_path;
        if (find_field(n, of->name) || may_be_absent(of))
            continue;
        field_path = format("%s.%s", path, of->name);
        report(C, COMPAT_FORWARD, 1, of->name_span, n->name_span, "the new declaration is here",
               "%s: required field removed", field_path);
        free(field_path);
    }
    C->depth--;
}

/* ---- messages and routes ----------------------------------------------- */

static int is_command_or_event(const decl *d)
{
    return (d->kind == DECL_COMMAND || d->kind == DECL_EVENT) && d->name;
}

/* The message named like m in s (by name: the packages were compared). */
static const decl *find_message(const schema *s, const char *name)
{
    size_t i;

    for (i = 0; i < s->n_decls; i++)
        if (is_command_or_event(s->decls[i]) && strcmp(s->decls[i]->name, name) == 0)
            return s->decls[i];
    return NULL;
}

static const decl *find_route(const schema *s, const decl *message)
{
    size_t i;

    for (i = 0; i < s->n_decls; i++)
        if (s->decls[i]->kind == DECL_OUTBOX && s->decls[i]->route_type.resolved == message)
            return s->decls[i];
    return NULL;
}

/* Where a note about a whole file goes: its package, or its start. */
static span file_place(const schema *s)
{
    span where = s->package_span;

    if (!s->package) {
        where.file = s->file;
        where.start = where.end = 0;
    }
    return where;
}

static void compare_routes(compat *C, const char *path, const schema *os, const schema *ns,
                           const decl *o, const decl *n)
{
    const decl *old_route = find_route(os, o), *new_route = find_route(ns, n);

    if (old_route == NULL || old_route->subject == NULL)
        return;
    if (new_route == NULL)
        report(C, COMPAT_FULL, 1, old_route->span, n->name_span, "the new declaration is here",
               "%s: outbox route to \"%s\" removed; its subscribers stop receiving it", path,
               old_route->subject);
    else if (new_route->subject && strcmp(old_route->subject, new_route->subject) != 0)
        report(C, COMPAT_FULL, 0, new_route->subject_span, old_route->subject_span,
               "the old route is here",
               "%s: outbox route changed from \"%s\" to \"%s\"; subscribers of the old subject stop receiving it",
               path, old_route->subject, new_route->subject);
}

int compat_check(const program *old_prog, const program *new_prog, int mode,
                 diag_sink *old_sink, diag_sink *new_sink)
{
    compat C;
    const schema *os = old_prog->schemas[0], *ns = new_prog->schemas[0];
    const char *old_package = os->package ? os->package : "";
    const char *new_package = ns->package ? ns->package : "";
    size_t i;

    memset(&C, 0, sizeof C);
    C.old_prog = old_prog;
    C.new_prog = new_prog;
    C.old_sink = old_sink;
    C.new_sink = new_sink;
    C.mode = mode;

    if (strcmp(old_package, new_package) != 0)
        report(&C, COMPAT_FULL, 0, file_place(ns), file_place(os), "the old package is here",
               "package renamed from '%s' to '%s': every full name changes", old_package,
               new_package);

    for (i = 0; i < os->n_decls; i++) {
        const decl *o = os->decls[i], *n;
        char *path;
        if (!is_command_or_event(o))
            continue;
        path = names_full_name(os, o->name);
        n = find_message(ns, o->name);
        if (n == NULL)
            report(&C, COMPAT_BACKWARD, 1, o->name_span, file_place(ns), "the new file is here",
                   "%s: %s removed or renamed; its full name identifies it on the wire and in outbox rows",
                   path, ast_decl_kind_name(o->kind));
        else {
            compare_struct(&C, path, o, n);
            compare_routes(&C, path, os, ns, o, n);
        }
        free(path);
    }
    free(C.stack);
    return C.errors;
}
