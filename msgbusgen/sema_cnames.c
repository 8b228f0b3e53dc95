/* sema_cnames.c - the C identifiers generated code will define, so that
 * two schema names that become one C name (or a reserved one) are an
 * error in the schema rather than in the C compiler.  The names follow
 * names.c and what emit_*.c writes. */
#include <stdint.h>
#include <stdlib.h>

#include "names.h"
#include "sema_internal.h"

static c_symbol *find_symbol(const sema *S, const char *name)
{
    size_t at = (size_t)(uintptr_t)hash_get(&S->symbol_index, name);

    return at ? &S->symbols[at - 1] : NULL;
}

/* Appends a symbol already entered in symbol_index (or not to be). */
static void push_symbol(sema *S, const c_symbol *sym)
{
    /* Room doubles at each power of two: linear time for many symbols. */
    if ((S->n_symbols & (S->n_symbols - 1)) == 0)
        S->symbols = xrealloc(S->symbols, (S->n_symbols ? 2 * S->n_symbols : 1) * sizeof *S->symbols);
    S->symbols[S->n_symbols++] = *sym;
}

static void add_symbol(sema *S, const c_symbol *sym)
{
    push_symbol(S, sym);
    hash_put(&S->symbol_index, sym->name, (void *)(uintptr_t)S->n_symbols);
}

/* Claims a C identifier for the generated code.  Takes ownership of name,
 * owner and what.  Reports a name that is reserved or already taken and
 * returns false then. */
bool sema_claim(sema *S, char *name, char *owner, char *what, span where)
{
    c_symbol sym;
    const c_symbol *taken;
    bool ok = false;

    if (strstr(name, "__") != NULL)
        diag_report(S->sink, DIAG_ERROR, where,
                    "the C name '%s' of %s contains '__', which C++ reserves", name, what);
    else if (strncmp(name, "msgbus_", 7) == 0 || strncmp(name, "MSGBUS_", 7) == 0)
        diag_report(S->sink, DIAG_ERROR, where,
                    "the C name '%s' of %s is reserved for the msgbus runtime", name, what);
    else {
        /* One probe both finds a holder and takes the name when free. */
        size_t mine = S->n_symbols + 1;
        size_t at = (size_t)(uintptr_t)hash_put(&S->symbol_index, name, (void *)(uintptr_t)mine);
        if (at == mine) {
            ok = true;
        } else {
            taken = &S->symbols[at - 1];
            diag_report(S->sink, DIAG_ERROR, where,
                        "the C name '%s' of %s is also the C name of %s", name, what, taken->what);
            if (taken->has_place)
                diag_report(S->sink, DIAG_NOTE, taken->where, "%s is declared here", taken->owner);
        }
    }
    if (!ok) {
        free(name);
        free(owner);
        free(what);
        return false;
    }
    sym.name = name;
    sym.owner = owner;
    sym.what = what;
    sym.where = where;
    sym.has_place = true;
    sym.is_module = false;
    push_symbol(S, &sym);
    return true;
}

/* Every schema defines its module and the module's tables.  They are
 * claimed first, so a type called "module" or "types" is the one reported;
 * two files of one package are not reported here. */
void sema_claim_modules(sema *S)
{
    static const char *const tables[] = {
        "module", "types", "enums", "handlers", "routes", "imports"
    };
    size_t i, k;

    for (i = 0; i < S->prog->n_schemas; i++) {
        const schema *s = S->prog->schemas[i];
        char *prefix = names_module_prefix(S->prog, s);
        for (k = 0; k < sizeof tables / sizeof tables[0]; k++) {
            c_symbol sym;
            char *name = sema_format("%s%s", prefix, tables[k]);
            if (find_symbol(S, name)) {
                free(name);
                continue;
            }
            sym.name = name;
            sym.owner = s->package ? sema_format("package '%s'", s->package)
                                   : sema_format("'%s'", S->prog->files[s->file].path);
            sym.what = k == 0 ? sema_format("the module of %s", sym.owner)
                              : sema_format("the %s table of %s", tables[k], sym.owner);
            sym.where = s->package_span;
            sym.has_place = s->package != NULL;
            sym.is_module = true;
            add_symbol(S, &sym);
        }
        free(prefix);
    }
}

/* What the emitter defines for each kind of declaration, after its C name. */
typedef struct generated_name {
    const char *suffix;
    const char *role;
} generated_name;

static const generated_name struct_names[] = {
    {"_type", "the descriptor"}, {"_fields", "the field table"},
    {"_init", "the init function"}, {"_clear", "the clear function"},
    {"_copy", "the copy function"}, {"_equal", "the equal function"},
    {"_to_json", "the to_json function"}, {"_from_json", "the from_json function"},
    {"_encode", "the encode function"}, {"_decode", "the decode function"}
};
static const generated_name enum_names[] = {
    {"_type", "the descriptor"}, {"_values", "the value table"},
    {"_name", "the name function"}, {"_is_int", "the size check"}
};
static const generated_name handler_names[] = {
    {"_dispatch", "the dispatch function"}, {"_emits", "the emits table"}
};

/* Claims the C names of a declaration; stops at the first collision, so
 * two names that collide are reported once, not once per function. */
/* The types of the lists and maps nested in field f (msgbusgen(1), GENERATED
 * NAMES): the element of <base>_<field> is <base>_<field>_item, its element
 * <base>_<field>_item_item, and a map level's entries <level>_entry. */
static bool claim_inner_types(sema *S, const decl *d, const field *f, const char *base)
{
    char *level = sema_format("%s_%s", base, f->name);
    bool ok = true;
    size_t j;

    for (j = 0; ok && j < f->type.n_inner; j++) {
        char *next = sema_format("%s_item", level);
        free(level);
        level = next;
        ok = sema_claim(S, xstrdup(level), sema_format("field '%s.%s'", d->name, f->name),
                        sema_format("an inner %s type of field '%s.%s'",
                                    f->type.inner[j].form == TF_MAP ? "map" : "list",
                                    d->name, f->name), f->name_span);
        if (ok)
            ok = sema_claim(S, sema_format("%s_field", level),
                            sema_format("field '%s.%s'", d->name, f->name),
                            sema_format("an inner descriptor of field '%s.%s'", d->name, f->name),
                            f->name_span);
        if (ok && f->type.inner[j].form == TF_MAP)
            ok = sema_claim(S, sema_format("%s_entry", level),
                            sema_format("field '%s.%s'", d->name, f->name),
                            sema_format("an inner entry type of field '%s.%s'", d->name, f->name),
                            f->name_span);
    }
    free(level);
    return ok;
}

void sema_claim_decl_names(sema *S, const decl *d)
{
    char *base = names_c_name(d->schema, d->name);
    char *l = sema_label(S->prog->schemas[0], d);     /* as the main file sees it */
    const generated_name *extra = NULL;
    size_t n_extra = 0, i;
    bool ok;

    if (is_struct(d)) {
        extra = struct_names;
        n_extra = sizeof struct_names / sizeof struct_names[0];
    } else if (d->kind == DECL_ENUM) {
        extra = enum_names;
        n_extra = sizeof enum_names / sizeof enum_names[0];
    } else if (d->kind == DECL_HANDLER) {
        extra = handler_names;
        n_extra = sizeof handler_names / sizeof handler_names[0];
    }
    ok = sema_claim(S, xstrdup(base), xstrdup(l), xstrdup(l), d->name_span);
    for (i = 0; ok && i < n_extra; i++)
        ok = sema_claim(S, sema_format("%s%s", base, extra[i].suffix), xstrdup(l),
                   sema_format("%s of %s", extra[i].role, l), d->name_span);
    /* Per field: the static default and the map entry struct. */
    for (i = 0; ok && i < d->n_fields; i++) {
        const field *f = &d->fields[i];
        size_t j;
        bool repeated = false;
        for (j = 0; j < i; j++)
            repeated = repeated || strcmp(d->fields[j].name, f->name) == 0;
        if (repeated || names_is_reserved(f->name))
            continue;   /* reported as a field */
        if (f->default_value && f->type.form == TF_SINGLE)
            ok = sema_claim(S, sema_format("%s_%s_default", base, f->name),
                       sema_format("field '%s.%s'", d->name, f->name),
                       sema_format("the default of field '%s.%s'", d->name, f->name), f->name_span);
        if (ok && f->type.form == TF_MAP)
            ok = sema_claim(S, sema_format("%s_%s_entry", base, f->name),
                       sema_format("field '%s.%s'", d->name, f->name),
                       sema_format("the entry type of map field '%s.%s'", d->name, f->name), f->name_span);
        ok = ok && claim_inner_types(S, d, f, base);
    }
    free(l);
    free(base);
}

void sema_free_symbols(sema *S)
{
    size_t i;
    for (i = 0; i < S->n_symbols; i++) {
        free(S->symbols[i].name);
        free(S->symbols[i].owner);
        free(S->symbols[i].what);
    }
    free(S->symbols);
    hash_free(&S->symbol_index);
}
