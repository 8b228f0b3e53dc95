/* sema.c - resolves names and checks a loaded program (msgbus-schema(5), CHECKS).
 *
 * Passes, in order:
 *  1. number every declaration (decl.index holds the ordinal while checking)
 *     and find duplicate names, silently;
 *  2. resolve every name silently, so later checks can follow references
 *     that appear further down the source;
 *  3. walk the declarations in program order and report every check there,
 *     so diagnostics come out in source order;
 *  4. give decl.index its final meaning (position in the module's tables).
 *
 * Name lookup is in sema_lookup.c, generated C names in sema_cnames.c. */
#include <float.h>
#include <stdlib.h>

#include "names.h"
#include "scc.h"
#include "sema.h"
#include "sema_internal.h"

/* ---- pass 1: numbering and duplicate names ------------------------------ */

static int compare_by_package_name(const void *a, const void *b)
{
    const decl *x = *(decl *const *)a, *y = *(decl *const *)b;
    int c = strcmp(package_of(x->schema), package_of(y->schema));
    if (c == 0)
        c = strcmp(x->name, y->name);
    if (c == 0)
        c = x->index < y->index ? -1 : x->index > y->index;
    return c;
}

static void number_declarations(sema *S)
{
    size_t i, j, n = 0;
    decl **named;
    size_t n_named = 0;

    for (i = 0; i < S->prog->n_schemas; i++)
        n += S->prog->schemas[i]->n_decls;
    S->decls = xcalloc(n ? n : 1, sizeof *S->decls);
    S->info = xcalloc(n ? n : 1, sizeof *S->info);
    for (i = 0; i < S->prog->n_schemas; i++) {
        schema *s = S->prog->schemas[i];
        for (j = 0; j < s->n_decls; j++) {
            decl *d = s->decls[j];
            if (d->schema == NULL)
                d->schema = s;
            d->index = (uint32_t)S->n_decls;
            S->decls[S->n_decls++] = d;
        }
    }

    /* Types, enums and handlers share one namespace per package (their C
     * names would collide too).  Sorting by (package, name, order) puts
     * each duplicate right after its first definition. */
    named = xcalloc(n ? n : 1, sizeof *named);
    for (i = 0; i < S->n_decls; i++)
        if (S->decls[i]->kind != DECL_OUTBOX && S->decls[i]->name != NULL)
            named[n_named++] = S->decls[i];
    qsort(named, n_named, sizeof *named, compare_by_package_name);
    for (i = 1; i < n_named; i++) {
        decl *first = named[i - 1];
        while (info_of(S, first)->previous)
            first = info_of(S, first)->previous;
        if (same_package(first->schema, named[i]->schema) &&
            strcmp(first->name, named[i]->name) == 0)
            info_of(S, named[i])->previous = first;
    }
    free(named);
}

/* ---- pass 2: resolution ----------------------------------------------- */

static void resolve_all(sema *S)
{
    size_t i, j;

    for (i = 0; i < S->n_decls; i++) {
        decl *d = S->decls[i];
        const schema *s = d->schema;
        lookup r;

        for (j = 0; j < d->n_fields; j++) {
            type_ref *t = &d->fields[j].type;
            if (t->builtin != BT_NONE || t->name == NULL)
                continue;
            r = sema_look_up(S, s, t->name);
            if (r.status == LOOKUP_FOUND && fits_field_type(r.found)) {
                t->resolved = r.found;
                if (r.found != d)
                    info_of(S, r.found)->referenced = true;
            }
        }
        if (d->kind == DECL_HANDLER) {
            if (d->input.name) {
                r = sema_look_up(S, s, d->input.name);
                if (r.status == LOOKUP_FOUND && is_message(r.found))
                    d->input.resolved = r.found;
            }
            for (j = 0; j < d->n_emits; j++) {
                r = sema_look_up(S, s, d->emits[j].name);
                if (r.status == LOOKUP_FOUND && is_message(r.found))
                    d->emits[j].resolved = r.found;
            }
            info_of(S, d)->emit_in_cycle = xcalloc(d->n_emits ? d->n_emits : 1, sizeof(bool));
            if (d->input.resolved && !info_of(S, d)->previous) {
                decl_info *in = info_of(S, d->input.resolved);
                *AST_PUSH(in->handlers, in->n_handlers) = d;
            }
        }
        if (d->kind == DECL_OUTBOX && d->route_type.name) {
            r = sema_look_up(S, s, d->route_type.name);
            if (r.status == LOOKUP_FOUND && is_message(r.found))
                d->route_type.resolved = r.found;
        }
    }
}

/* ---- checks of one declaration ------------------------------------------- */

static void report_reserved(sema *S, const char *what, const char *name, span where)
{
    if (name[0] == '_' || strstr(name, "__") != NULL)
        diag_report(S->sink, DIAG_ERROR, where,
                    "%s name '%s' is reserved in C and C++ (it begins with '_' or contains '__')",
                    what, name);
    else
        diag_report(S->sink, DIAG_ERROR, where, "%s name '%s' is a keyword in C or C++", what, name);
}

/* The name of a type, enum or handler: unique in its package, not reserved,
 * and its C names free. */
static void check_decl_name(sema *S, decl *d)
{
    decl_info *in = info_of(S, d);

    if (d->name == NULL)
        return;
    if (in->previous) {
        if (in->previous->kind == d->kind)
            diag_report(S->sink, DIAG_ERROR, d->name_span, "duplicate definition of %s '%s'",
                        ast_decl_kind_name(d->kind), d->name);
        else
            diag_report(S->sink, DIAG_ERROR, d->name_span,
                        "duplicate definition of '%s', already defined as %s %s", d->name,
                        in->previous->kind == DECL_ENUM ? "an" : "a",
                        ast_decl_kind_name(in->previous->kind));
        diag_report(S->sink, DIAG_NOTE, in->previous->name_span, "previous definition is here");
        return;
    }
    if (names_is_reserved(d->name)) {
        report_reserved(S, ast_decl_kind_name(d->kind), d->name, d->name_span);
        return;
    }
    sema_claim_decl_names(S, d);
}

static const char *literal_kind_text(literal_kind kind)
{
    switch (kind) {
    case LIT_INT:    return "an integer";
    case LIT_FLOAT:  return "a number";
    case LIT_STRING: return "a string";
    case LIT_BOOL:   return "a boolean";
    case LIT_IDENT:  return "a name";
    }
    return "a value";
}

static bool is_integer_type(builtin_type bt)
{
    return bt >= BT_INT8 && bt <= BT_UINT64;
}

static void range_text(builtin_type bt, char *buf, size_t size)
{
    uint64_t neg, pos;
    ast_integer_range(bt, &neg, &pos);
    if (neg == 0)
        snprintf(buf, size, "0 to %llu", (unsigned long long)pos);
    else
        snprintf(buf, size, "-%llu to %llu", (unsigned long long)neg, (unsigned long long)pos);
}

/* Why a field of this type cannot have a default, or NULL if it can. */
static const char *no_default_reason(const type_ref *t)
{
    if (t->form == TF_LIST)
        return "a list field cannot have a default: it is empty when absent";
    if (t->form == TF_MAP)
        return "a map field cannot have a default: it is empty when absent";
    if (t->optional)
        return "an optional field cannot have a default: absent means absent";
    switch (t->builtin) {
    case BT_BYTES:
        return "a bytes field cannot have a default: defaults are only for bool, number, string and enum fields";
    case BT_TIMESTAMP:
        return "a timestamp field cannot have a default: defaults are only for bool, number, string and enum fields";
    case BT_UUID:
        return "a uuid field cannot have a default: defaults are only for bool, number, string and enum fields";
    case BT_NONE:
        if (t->resolved && t->resolved->kind == DECL_RECORD)
            return "a record field cannot have a default: there is no literal for a record";
        return NULL;
    default:
        return NULL;
    }
}

static void wrong_default(sema *S, const field *f, const char *expected)
{
    diag_report(S->sink, DIAG_ERROR, f->default_value->span,
                "default of '%s' must be %s, not %s", f->name, expected,
                literal_kind_text(f->default_value->kind));
}

static void check_enum_default(sema *S, const field *f)
{
    const decl *e = f->type.resolved;
    const literal *lit = f->default_value;
    size_t i;
    char *expected;
    const char **names;
    const char *close;

    if (e == NULL || e->kind != DECL_ENUM)
        return;     /* unknown type: reported already */
    expected = sema_format("a member of enum '%s'", e->name);
    if (lit->kind != LIT_IDENT) {
        wrong_default(S, f, expected);
        free(expected);
        return;
    }
    free(expected);
    for (i = 0; i < e->n_values; i++)
        if (strcmp(e->values[i].name, lit->text) == 0)
            return;
    names = xcalloc(e->n_values ? e->n_values : 1, sizeof *names);
    for (i = 0; i < e->n_values; i++)
        names[i] = e->values[i].name;
    close = diag_suggest(lit->text, names, e->n_values);
    if (close)
        diag_report(S->sink, DIAG_ERROR, lit->span,
                    "'%s' is not a member of enum '%s'; did you mean '%s'?", lit->text, e->name, close);
    else
        diag_report(S->sink, DIAG_ERROR, lit->span,
                    "'%s' is not a member of enum '%s'", lit->text, e->name);
    free(names);
    sema_note_declared(S, f->type.resolved->schema, e);
}

static void check_default(sema *S, const field *f)
{
    const literal *lit = f->default_value;
    builtin_type bt = f->type.builtin;
    const char *why = no_default_reason(&f->type);
    char range[64];

    if (lit == NULL)
        return;
    if (why) {
        diag_report(S->sink, DIAG_ERROR, lit->span, "%s", why);
        return;
    }
    if (bt == BT_NONE) {
        check_enum_default(S, f);
    } else if (bt == BT_BOOL) {
        if (lit->kind != LIT_BOOL)
            wrong_default(S, f, "true or false");
    } else if (bt == BT_STRING) {
        if (lit->kind != LIT_STRING)
            wrong_default(S, f, "a string");
    } else if (is_integer_type(bt)) {
        uint64_t neg, pos;
        if (lit->kind != LIT_INT) {
            wrong_default(S, f, "an integer");
            return;
        }
        ast_integer_range(bt, &neg, &pos);
        if (lit->too_large || (lit->negative ? lit->magnitude > neg : lit->magnitude > pos)) {
            char *text = sema_span_text(S, lit->span);
            range_text(bt, range, sizeof range);
            diag_report(S->sink, DIAG_ERROR, lit->span,
                        "default %s is out of range for '%s' (%s)", text, ast_builtin_name(bt), range);
            free(text);
        }
    } else if (bt == BT_FLOAT || bt == BT_DOUBLE) {
        double magnitude;
        if (lit->kind != LIT_INT && lit->kind != LIT_FLOAT) {
            wrong_default(S, f, "a number");
            return;
        }
        magnitude = lit->kind == LIT_INT ? (double)lit->magnitude
                                         : (lit->real < 0 ? -lit->real : lit->real);
        if (!(magnitude <= (bt == BT_FLOAT ? FLT_MAX : DBL_MAX))) {
            char *text = sema_span_text(S, lit->span);
            diag_report(S->sink, DIAG_ERROR, lit->span,
                        "default %s is out of range for '%s'", text, ast_builtin_name(bt));
            free(text);
        }
    }
}

static void report_map_key(sema *S, span key_span)
{
    char *key = sema_span_text(S, key_span);
    diag_report(S->sink, DIAG_ERROR, key_span,
                "map keys must be 'string', not '%s' (JSON object keys are strings)", key);
    free(key);
}

static void check_field_type(sema *S, decl *d, field *f)
{
    type_ref *t = &f->type;
    const char *container = t->form == TF_LIST ? "list" : "map";

    if (t->builtin == BT_NONE && t->name != NULL && t->resolved == NULL) {
        decl *target = sema_check_reference(S, d->schema, t->name, t->name_span, false);
        if (target) {
            char *l = sema_label(d->schema, target);
            diag_report(S->sink, DIAG_ERROR, t->name_span,
                        "field '%s' cannot hold %s: a field's type is a record, an enum or a builtin type",
                        f->name, l);
            sema_note_declared(S, d->schema, target);
            free(l);
        }
    }
    if (t->form == TF_MAP && t->key_builtin != BT_STRING)
        report_map_key(S, t->key_span);
    for (size_t i = 0; i < t->n_inner; i++)
        if (t->inner[i].form == TF_MAP && t->inner[i].key_builtin != BT_STRING)
            report_map_key(S, t->inner[i].key_span);
    if (t->form != TF_SINGLE && t->optional)
        diag_report(S->sink, DIAG_ERROR, t->span,
                    "a %s may be empty; it cannot be optional (remove the '?')", container);
}

/* A struct member that the field's name or the generator gives the struct. */
typedef struct member {
    char *name;
    const field *owner;         /* NULL for "base" */
    bool generated;
} member;

static void add_member(sema *S, member **members, size_t *n, char *name, const field *owner,
                       bool generated)
{
    size_t i;
    member *m;

    for (i = 0; i < *n; i++) {
        const member *old = &(*members)[i];
        if (strcmp(old->name, name) != 0)
            continue;
        if (old->owner == NULL)
            diag_report(S->sink, DIAG_ERROR, owner->name_span,
                        "field '%s' collides with the member 'base' that starts every command and event",
                        owner->name);
        else if (generated && !old->generated)
            diag_report(S->sink, DIAG_ERROR, owner->name_span,
                        "the member '%s' generated for field '%s' collides with field '%s'",
                        name, owner->name, old->name);
        else if (generated)
            diag_report(S->sink, DIAG_ERROR, owner->name_span,
                        "the member '%s' generated for field '%s' collides with the one generated for field '%s'",
                        name, owner->name, old->owner->name);
        else
            diag_report(S->sink, DIAG_ERROR, owner->name_span,
                        "field '%s' collides with the member '%s' generated for field '%s'",
                        name, name, old->owner->name);
        if (old->owner)
            diag_report(S->sink, DIAG_NOTE, old->owner->name_span,
                        "field '%s' is declared here", old->owner->name);
        free(name);
        return;
    }
    m = AST_PUSH(*members, *n);
    m->name = name;
    m->owner = owner;
    m->generated = generated;
}

/* The one place that decides how a field is held: optional scalars and
 * enums get a "has_x" flag, optional records are pointers (NULL when
 * absent), optional strings are their char * (NULL when absent), as in
 * <msgbus/types.h>. */
static field_storage storage_of(const type_ref *t)
{
    if (t->form != TF_SINGLE || !t->optional || t->builtin == BT_STRING)
        return STORAGE_PLAIN;
    if (t->builtin == BT_NONE)
        return t->resolved != NULL && t->resolved->kind == DECL_RECORD ? STORAGE_POINTER
                                                                       : STORAGE_HAS_FLAG;
    return STORAGE_HAS_FLAG;
}

/* A record holds another by value through a field that is required, single
 * and of record type: the edges of record cycles. */
static const decl *held_record(const field *f)
{
    const decl *next = f->type.resolved;

    if (f->type.form != TF_SINGLE || f->type.optional || next == NULL || next->kind != DECL_RECORD)
        return NULL;
    return next;
}

/* ---- the graph of cycles: records by value, messages through handlers --- */

/* Components of the graph whose edges are record -> record held by value,
 * message -> handler taking it, handler -> message it emits, so that the
 * searches for a reportable cycle only run where one exists: linear time
 * for schemas without cycles, whatever their size. */
static void find_cycles(sema *S)
{
    size_t n = S->n_decls, i, j, *first = xcalloc(n + 1, sizeof *first), *edges;
    scc_graph g;

    for (i = 0; i < n; i++) {
        const decl *d = S->decls[i];
        if (d->kind == DECL_RECORD)
            for (j = 0; j < d->n_fields; j++)
                first[i + 1] += held_record(&d->fields[j]) != NULL;
        if (is_message(d))
            first[i + 1] += S->info[i].n_handlers;
        if (d->kind == DECL_HANDLER)
            for (j = 0; j < d->n_emits; j++)
                first[i + 1] += d->emits[j].resolved != NULL;
    }
    for (i = 0; i < n; i++)
        first[i + 1] += first[i];
    edges = xcalloc(first[n] ? first[n] : 1, sizeof *edges);
    for (i = 0; i < n; i++) {
        const decl *d = S->decls[i];
        size_t at = first[i];
        if (d->kind == DECL_RECORD)
            for (j = 0; j < d->n_fields; j++)
                if (held_record(&d->fields[j]))
                    edges[at++] = held_record(&d->fields[j])->index;
        if (is_message(d))
            for (j = 0; j < S->info[i].n_handlers; j++)
                edges[at++] = S->info[i].handlers[j]->index;
        if (d->kind == DECL_HANDLER)
            for (j = 0; j < d->n_emits; j++)
                if (d->emits[j].resolved)
                    edges[at++] = d->emits[j].resolved->index;
    }
    S->component = xcalloc(n ? n : 1, sizeof *S->component);
    S->on_cycle = xcalloc(n ? n : 1, 1);
    g.n = n;
    g.first = first;
    g.edges = edges;
    scc_compute(&g, S->component, S->on_cycle);
    free(first);
    free(edges);

    S->seen = xcalloc(n ? n : 1, sizeof *S->seen);
    S->queue = xcalloc(n ? n : 1, sizeof *S->queue);
    S->parent = xcalloc(n ? n : 1, sizeof *S->parent);
    S->via_emit = xcalloc(n ? n : 1, sizeof *S->via_emit);
    S->via_handler = xcalloc(n ? n : 1, sizeof *S->via_handler);
}

static void free_cycles(sema *S)
{
    free(S->component);
    free(S->on_cycle);
    free(S->seen);
    free(S->queue);
    free(S->parent);
    free(S->via_emit);
    free(S->via_handler);
}

/* Starts a search: every node unseen, without clearing the array. */
static void new_search(sema *S)
{
    if (++S->stamp == 0) {
        memset(S->seen, 0, S->n_decls * sizeof *S->seen);
        S->stamp = 1;
    }
}

/* Finds a chain of required record fields from `from` back to `target`. */
static bool find_record_path(sema *S, const decl *from, const decl *target,
                             const field **path, const decl **owners, size_t *depth)
{
    size_t i;

    for (i = 0; i < from->n_fields; i++) {
        const field *f = &from->fields[i];
        const decl *next = held_record(f);
        if (next == NULL || S->component[next->index] != S->component[target->index])
            continue;
        path[*depth] = f;
        owners[*depth] = from;
        (*depth)++;
        if (next == target)
            return true;
        if (S->seen[next->index] != S->stamp) {
            S->seen[next->index] = S->stamp;
            if (find_record_path(S, next, target, path, owners, depth))
                return true;
        }
        (*depth)--;
    }
    return false;
}

static void check_record_cycle(sema *S, decl *d)
{
    const field **path;
    const decl **owners;
    size_t depth = 0, i;

    if (!S->on_cycle[d->index])
        return;
    path = xcalloc(S->n_decls + 1, sizeof *path);
    owners = xcalloc(S->n_decls + 1, sizeof *owners);
    new_search(S);
    if (find_record_path(S, d, d, path, owners, &depth)) {
        size_t len = 0;
        char *chain;
        for (i = 0; i < depth; i++)
            len += strlen(owners[i]->name) + strlen(path[i]->name) + 5;
        chain = xcalloc(len + strlen(d->name) + 1, 1);
        for (i = 0; i < depth; i++) {
            strcat(chain, owners[i]->name);
            strcat(chain, ".");
            strcat(chain, path[i]->name);
            strcat(chain, " -> ");
            info_of(S, owners[i])->in_record_cycle = true;
        }
        strcat(chain, d->name);
        diag_report(S->sink, DIAG_ERROR, path[0]->type.name_span,
                    "record '%s' contains itself (%s), so no value of it could be built; "
                    "make a field in the chain optional ('?') or a list",
                    d->name, chain);
        free(chain);
    }
    free(path);
    free(owners);
}

/* Records and enums of the main file that no field of the program names:
 * an imported file's types are there for the files that import it. */
static void check_unused(sema *S, const decl *d)
{
    if (d->schema != S->prog->schemas[0] || info_of(S, d)->previous || info_of(S, d)->referenced)
        return;
    diag_warn(S->sink, W_UNUSED_TYPE, d->name_span, "%s '%s' is not used by any field",
              ast_decl_kind_name(d->kind), d->name);
}

static void check_struct(sema *S, decl *d)
{
    member *members = NULL;
    size_t n_members = 0, i, j;
    bool duplicate = info_of(S, d)->previous != NULL;

    if (is_message(d)) {
        member *m = AST_PUSH(members, n_members);
        m->name = xstrdup("base");
        m->generated = true;
    }
    for (i = 0; i < d->n_fields; i++) {
        field *f = &d->fields[i];
        bool repeated = false;
        f->storage = storage_of(&f->type);
        for (j = 0; j < i && !repeated; j++) {
            if (strcmp(d->fields[j].name, f->name) == 0) {
                diag_report(S->sink, DIAG_ERROR, f->name_span, "duplicate field '%s' in %s '%s'",
                            f->name, ast_decl_kind_name(d->kind), d->name);
                diag_report(S->sink, DIAG_NOTE, d->fields[j].name_span, "previous definition is here");
                repeated = true;
            }
        }
        if (!repeated && names_is_reserved(f->name)) {
            report_reserved(S, "field", f->name, f->name_span);
            repeated = true;
        }
        if (!repeated) {
            add_member(S, &members, &n_members, xstrdup(f->name), f, false);
            if (f->storage == STORAGE_HAS_FLAG)
                add_member(S, &members, &n_members, sema_format("has_%s", f->name), f, true);
            if (f->type.form != TF_SINGLE)
                add_member(S, &members, &n_members, sema_format("n_%s", f->name), f, true);
        }
        check_field_type(S, d, f);
        check_default(S, f);
    }
    for (i = 0; i < n_members; i++)
        free(members[i].name);
    free(members);

    if (d->kind == DECL_RECORD && !duplicate && !info_of(S, d)->in_record_cycle)
        check_record_cycle(S, d);

    /* Only the main file's messages: an imported file's messages are
     * usually handled by the files that import it. */
    if (is_message(d) && !duplicate && d->schema == S->prog->schemas[0] &&
        info_of(S, d)->n_handlers == 0) {
        if (d->kind == DECL_COMMAND)
            diag_warn(S->sink, W_UNHANDLED_COMMAND, d->name_span, "command '%s' has no handler",
                      d->name);
        else
            diag_warn(S->sink, W_UNHANDLED_EVENT, d->name_span, "event '%s' has no handler",
                      d->name);
    }
    if (d->kind == DECL_RECORD)
        check_unused(S, d);
}

static void check_enum(sema *S, decl *d)
{
    int64_t next = 0;
    bool *valid = xcalloc(d->n_values ? d->n_values : 1, sizeof *valid);
    bool claim_constants = info_of(S, d)->previous == NULL && d->name && !names_is_reserved(d->name);
    size_t i, j;

    if (d->n_values == 0)
        diag_report(S->sink, DIAG_ERROR, d->name_span, "enum '%s' has no members", d->name);
    for (i = 0; i < d->n_values; i++) {
        enum_value *v = &d->values[i];
        bool repeated = false;

        for (j = 0; j < i && !repeated; j++) {
            if (strcmp(d->values[j].name, v->name) == 0) {
                diag_report(S->sink, DIAG_ERROR, v->name_span, "duplicate member '%s' in enum '%s'",
                            v->name, d->name);
                diag_report(S->sink, DIAG_NOTE, d->values[j].name_span, "previous definition is here");
                repeated = true;
            }
        }

        if (v->explicit_value && v->value_literal) {
            const literal *lit = v->value_literal;
            bool fits = lit->kind == LIT_INT && !lit->too_large &&
                        (lit->negative ? lit->magnitude <= 2147483648u : lit->magnitude <= 2147483647u);
            if (fits) {
                v->value = lit->negative ? -(int64_t)lit->magnitude : (int64_t)lit->magnitude;
                valid[i] = true;
            } else {
                char *text = sema_span_text(S, lit->span);
                diag_report(S->sink, DIAG_ERROR, lit->span,
                            "value %s of '%s' does not fit in int32", text, v->name);
                free(text);
            }
        } else {
            v->value = next;
            valid[i] = next <= INT32_MAX;
            if (!valid[i])
                diag_report(S->sink, DIAG_ERROR, v->name_span,
                            "'%s' would have the value %lld (previous + 1), which does not fit in int32",
                            v->name, (long long)next);
        }
        next = valid[i] ? v->value + 1 : next + 1;

        for (j = 0; j < i && valid[i]; j++) {
            if (valid[j] && d->values[j].value == v->value) {
                diag_report(S->sink, DIAG_ERROR,
                            v->value_literal ? v->value_literal->span : v->name_span,
                            "'%s' has the value %lld, like '%s'; enum values must be distinct",
                            v->name, (long long)v->value, d->values[j].name);
                diag_report(S->sink, DIAG_NOTE, d->values[j].name_span,
                            "'%s' is declared here", d->values[j].name);
                break;
            }
        }

        if (claim_constants && !repeated) {
            char *enum_name = sema_shown_name(S->prog->schemas[0], d);
            char *owner = sema_format("enum member '%s.%s'", enum_name, v->name);
            free(enum_name);
            sema_claim(S, names_enum_constant(d->schema, d, v->name), owner, xstrdup(owner),
                  v->name_span);
        }
    }
    free(valid);
    check_unused(S, d);
}

/* Looks for a way back from `from` to `target` along handler edges
 * (message -> handler -> emitted message), breadth first so the cycle
 * reported is a shortest one.  Fills edge_handler/edge_emit with the path
 * (from `from` to `target`) and returns its length, or 0. */
static size_t find_emit_path(sema *S, const decl *from, const decl *target,
                             const decl **edge_handler, size_t *edge_emit)
{
    size_t *queue = S->queue, *parent = S->parent, *via_emit = S->via_emit;
    const decl **via_handler = S->via_handler;
    size_t head = 0, tail = 0, length = 0, i, j;
    size_t component = S->component[target->index];
    bool found = false;

    new_search(S);
    queue[tail++] = from->index;
    S->seen[from->index] = S->stamp;
    while (head < tail && !found) {
        size_t node = queue[head++];
        decl_info *in = &S->info[node];
        for (i = 0; i < in->n_handlers && !found; i++) {
            const decl *h = in->handlers[i];
            for (j = 0; j < h->n_emits && !found; j++) {
                const decl *m = h->emits[j].resolved;
                /* A way back stays inside the target's component. */
                if (m == NULL || S->seen[m->index] == S->stamp ||
                    S->component[m->index] != component)
                    continue;
                S->seen[m->index] = S->stamp;
                parent[m->index] = node;
                via_handler[m->index] = h;
                via_emit[m->index] = j;
                if (m == target)
                    found = true;
                else
                    queue[tail++] = m->index;
            }
        }
    }
    if (found) {
        size_t node = target->index;
        while (node != from->index) {
            length++;
            node = parent[node];
        }
        node = target->index;
        for (i = length; i-- > 0;) {
            edge_handler[i] = via_handler[node];
            edge_emit[i] = via_emit[node];
            node = parent[node];
        }
    }
    return length;
}

/* Warns once per cycle: the edge that closes it is reported, and every
 * edge on it is marked so the cycle is not reported again from another
 * of its edges. */
static void check_emit_cycle(sema *S, decl *h, size_t k)
{
    const decl *input = h->input.resolved, *emitted = h->emits[k].resolved;
    const decl **edge_handler;
    size_t *edge_emit;
    size_t length = 0, i;
    char *chain, *handlers;

    /* No cycle through this emit, or nobody wants to hear about it. */
    if (!S->on_cycle[h->index] || S->component[h->index] != S->component[emitted->index] ||
        !diag_warning_on(S->sink, W_EMIT_CYCLE))
        return;
    edge_handler = xcalloc(S->n_decls + 1, sizeof *edge_handler);
    edge_emit = xcalloc(S->n_decls + 1, sizeof *edge_emit);

    if (emitted != input)
        length = find_emit_path(S, emitted, input, edge_handler, edge_emit);
    if (emitted == input || length > 0) {
        chain = sema_shown_name(h->schema, input);
        handlers = xstrdup(h->name);
        {
            char *next = sema_shown_name(h->schema, emitted);
            char *joined = sema_format("%s -> %s", chain, next);
            free(chain);
            free(next);
            chain = joined;
        }
        info_of(S, h)->emit_in_cycle[k] = true;
        for (i = 0; i < length; i++) {
            const decl *m = edge_handler[i]->emits[edge_emit[i]].resolved;
            char *next = sema_shown_name(h->schema, m);
            char *joined = sema_format("%s -> %s", chain, next);
            char *hs = sema_format("%s, %s", handlers, edge_handler[i]->name);
            free(chain);
            free(handlers);
            free(next);
            chain = joined;
            handlers = hs;
            S->info[edge_handler[i]->index].emit_in_cycle[edge_emit[i]] = true;
        }
        diag_warn(S->sink, W_EMIT_CYCLE, h->emits[k].span,
                    "emit cycle: %s (handler%s %s); handling one message may never end",
                    chain, length > 0 ? "s" : "", handlers);
        free(chain);
        free(handlers);
    }
    free(edge_handler);
    free(edge_emit);
}

static void check_handler(sema *S, decl *h)
{
    size_t i, j;
    bool claim_emits = info_of(S, h)->previous == NULL && h->name && !names_is_reserved(h->name);

    if (h->input.resolved == NULL) {
        decl *target = sema_check_reference(S, h->schema, h->input.name, h->input.span, true);
        if (target) {
            char *l = sema_label(h->schema, target);
            diag_report(S->sink, DIAG_ERROR, h->input.span,
                        "handler '%s' takes %s; a handler takes a command or an event",
                        h->name, l);
            sema_note_declared(S, h->schema, target);
            free(l);
        }
    } else if (h->input.resolved->kind == DECL_COMMAND && info_of(S, h)->previous == NULL) {
        decl_info *in = info_of(S, h->input.resolved);
        if (in->n_handlers > 1 && in->handlers[0] != h) {
            char *name = sema_shown_name(h->schema, h->input.resolved);
            diag_report(S->sink, DIAG_ERROR, h->input.span,
                        "command '%s' already has a handler, '%s'; a command has exactly one",
                        name, in->handlers[0]->name);
            diag_report(S->sink, DIAG_NOTE, in->handlers[0]->name_span, "first handler is here");
            free(name);
        }
    }

    for (i = 0; i < h->n_emits; i++) {
        name_ref *e = &h->emits[i];
        bool repeated = false;
        for (j = 0; j < i && !repeated; j++) {
            if (strcmp(h->emits[j].name, e->name) == 0) {
                diag_report(S->sink, DIAG_ERROR, e->span, "'%s' is listed twice in emits", e->name);
                diag_report(S->sink, DIAG_NOTE, h->emits[j].span, "first listed here");
                repeated = true;
            }
        }
        if (repeated)
            continue;
        if (e->resolved == NULL) {
            decl *target = sema_check_reference(S, h->schema, e->name, e->span, true);
            if (target) {
                char *l = sema_label(h->schema, target);
                diag_report(S->sink, DIAG_ERROR, e->span,
                            "handler '%s' emits %s; only commands and events can be emitted",
                            h->name, l);
                sema_note_declared(S, h->schema, target);
                free(l);
            }
            continue;
        }
        if (claim_emits) {
            char *owner = sema_format("the emit of '%s' by handler '%s'", e->name, h->name);
            char *what = sema_format("the emit function of '%s' for '%s'", h->name, e->name);
            sema_claim(S, names_emit_function(h->schema, h, e->resolved), owner, what, e->span);
        }
        if (h->input.resolved && !info_of(S, h)->emit_in_cycle[i])
            check_emit_cycle(S, h, i);
    }
}

static void check_outbox(sema *S, decl *d)
{
    const decl *target = d->route_type.resolved;

    if (target == NULL) {
        decl *other = sema_check_reference(S, d->schema, d->route_type.name, d->route_type.span, true);
        if (other) {
            char *l = sema_label(d->schema, other);
            diag_report(S->sink, DIAG_ERROR, d->route_type.span,
                        "outbox route for %s; only commands and events go through the outbox", l);
            sema_note_declared(S, d->schema, other);
            free(l);
        }
    } else {
        const decl *o = hash_put(&S->first_route, target, d);
        if (o != d) {
            char *name = sema_shown_name(d->schema, target);
            diag_report(S->sink, DIAG_ERROR, d->route_type.span,
                        "second outbox route for '%s'; a message has at most one", name);
            diag_report(S->sink, DIAG_NOTE, o->route_type.span, "first route is here");
            free(name);
        }
    }
    if (d->subject != NULL && d->subject[0] == '\0')
        diag_report(S->sink, DIAG_ERROR, d->subject_span, "an outbox subject cannot be empty");
}

/* ---- pass 4: indices ----------------------------------------------------- */

static int compare_by_name(const void *a, const void *b)
{
    const decl *x = *(decl *const *)a, *y = *(decl *const *)b;
    int c = strcmp(x->name, y->name);
    if (c == 0)
        c = x->index < y->index ? -1 : x->index > y->index;
    return c;
}

/* Records, commands and events sorted by full name (one package per
 * schema, so by name), as in msgbus_module.types; the rest in source order. */
static void assign_indices(program *prog)
{
    size_t i, j;

    for (i = 0; i < prog->n_schemas; i++) {
        schema *s = prog->schemas[i];
        decl **types = xcalloc(s->n_decls ? s->n_decls : 1, sizeof *types);
        size_t n_types = 0;
        uint32_t n_enums = 0, n_handlers = 0, n_routes = 0;

        for (j = 0; j < s->n_decls; j++) {
            decl *d = s->decls[j];
            if (is_struct(d) && d->name)
                types[n_types++] = d;
        }
        qsort(types, n_types, sizeof *types, compare_by_name);
        for (j = 0; j < s->n_decls; j++) {
            decl *d = s->decls[j];
            if (d->kind == DECL_ENUM)
                d->index = n_enums++;
            else if (d->kind == DECL_HANDLER)
                d->index = n_handlers++;
            else if (d->kind == DECL_OUTBOX)
                d->index = n_routes++;
        }
        for (j = 0; j < n_types; j++)
            types[j]->index = (uint32_t)j;
        free(types);
    }
}

/* ---- entry point --------------------------------------------------------- */

int sema_check(program *prog, diag_sink *sink)
{
    sema S;
    size_t i;
    int errors_before = sink->n_errors;

    memset(&S, 0, sizeof S);
    S.prog = prog;
    S.sink = sink;

    number_declarations(&S);
    sema_index_types(&S);
    hash_init_addresses(&S.first_route);
    resolve_all(&S);
    find_cycles(&S);
    sema_claim_modules(&S);

    for (i = 0; i < S.n_decls; i++) {
        decl *d = S.decls[i];
        if (d->kind != DECL_OUTBOX)
            check_decl_name(&S, d);
        switch (d->kind) {
        case DECL_ENUM:    check_enum(&S, d); break;
        case DECL_RECORD:
        case DECL_COMMAND:
        case DECL_EVENT:   check_struct(&S, d); break;
        case DECL_HANDLER: check_handler(&S, d); break;
        case DECL_OUTBOX:  check_outbox(&S, d); break;
        }
    }

    assign_indices(prog);

    for (i = 0; i < S.n_decls; i++) {
        free(S.info[i].handlers);
        free(S.info[i].emit_in_cycle);
    }
    sema_free_symbols(&S);
    sema_free_type_index(&S);
    hash_free(&S.first_route);
    free_cycles(&S);
    free(S.info);
    free(S.decls);
    return sink->n_errors - errors_before;
}
