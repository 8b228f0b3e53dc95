/* sema_internal.h - what the files of the semantic pass share: its state,
 * small helpers, name lookup (sema_lookup.c) and the table of generated C
 * names (sema_cnames.c).  Not used outside sema*.c. */
#ifndef MSGBUSGEN_SEMA_INTERNAL_H
#define MSGBUSGEN_SEMA_INTERNAL_H

#include <string.h>

#include "ast.h"
#include "diag.h"
#include "hash.h"

/* What sema knows about one declaration, indexed by its ordinal. */
typedef struct decl_info {
    decl *previous;             /* earlier declaration of the same name in the package */
    size_t n_handlers;          /* messages: handlers that take it, in program order */
    decl **handlers;
    bool *emit_in_cycle;        /* handlers: emits already named in a reported cycle */
    bool in_record_cycle;       /* records: already named in a reported cycle */
    bool referenced;            /* records, enums: some other declaration's field names it */
} decl_info;

/* A C identifier the generated code will define, and who owns it. */
typedef struct c_symbol {
    char *name;
    char *owner;                /* "record 'Foo'" */
    char *what;                 /* "the descriptor of record 'Foo'" */
    span where;
    bool has_place;             /* where is meaningful */
    bool is_module;
} c_symbol;

typedef struct sema {
    program *prog;
    diag_sink *sink;
    size_t n_decls;
    decl **decls;               /* every declaration, in program order */
    decl_info *info;
    c_symbol *symbols;          /* every C name claimed so far */
    size_t n_symbols;
    hash_table symbol_index;    /* name -> index in symbols + 1 */
    hash_table *types_by_name;  /* per file (schema.file): name -> first type */
    hash_table first_route;     /* message -> its first outbox route */
    /* Cycle searches (emits, records): the graph's components, computed
     * once, and scratch arrays of n_decls entries shared by every search. */
    size_t *component;
    unsigned char *on_cycle;
    uint32_t *seen;             /* == stamp: visited in the current search */
    uint32_t stamp;
    size_t *queue, *parent, *via_emit;
    const decl **via_handler;
} sema;

/* ---- helpers (sema_util.c) ---- */

/* printf into a new string. */
char *sema_format(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* The source text of a span, for quoting what the user wrote. */
char *sema_span_text(const sema *S, span where);
/* "record 'Money'", with the full name when seen from another package
 * (always full when here is NULL). */
char *sema_label(const schema *here, const decl *d);
/* Name of d as seen from here: plain in its own package, else full. */
char *sema_shown_name(const schema *here, const decl *d);
/* note: "<label> is declared here" at d's name. */
void sema_note_declared(sema *S, const schema *here, const decl *d);

static inline const char *package_of(const schema *s)
{
    return s->package ? s->package : "";
}

static inline bool same_package(const schema *a, const schema *b)
{
    return strcmp(package_of(a), package_of(b)) == 0;
}

static inline bool is_message(const decl *d)
{
    return d->kind == DECL_COMMAND || d->kind == DECL_EVENT;
}

static inline bool is_struct(const decl *d)
{
    return d->kind == DECL_RECORD || is_message(d);
}

/* Declarations that other declarations can name. */
static inline bool is_type(const decl *d)
{
    return d->kind != DECL_HANDLER && d->kind != DECL_OUTBOX && d->name != NULL;
}

static inline decl_info *info_of(sema *S, const decl *d)
{
    return &S->info[d->index];
}

/* Declarations a field can have as its type. */
static inline bool fits_field_type(const decl *d)
{
    return d->kind == DECL_ENUM || d->kind == DECL_RECORD;
}

/* ---- name lookup (sema_lookup.c) ---- */

typedef enum lookup_status {
    LOOKUP_FOUND,
    LOOKUP_UNKNOWN_NAME,
    LOOKUP_UNKNOWN_PACKAGE,
    LOOKUP_NOT_IMPORTED,
    LOOKUP_AMBIGUOUS
} lookup_status;

typedef struct lookup {
    lookup_status status;
    decl *found;
    decl *other;                /* LOOKUP_AMBIGUOUS: a second candidate */
    const schema *elsewhere;    /* LOOKUP_NOT_IMPORTED: a loaded schema of that package */
} lookup;

/* Builds the index find_type uses: every type of every schema by name. */
void sema_index_types(sema *S);
void sema_free_type_index(sema *S);

/* Looks up a name as written in `from`, silently. */
lookup sema_look_up(const sema *S, const schema *from, const char *written);
/* Looks up again, reporting why a name does not resolve ("did you mean").
 * want_message: the place takes a command or event, else a field type.
 * Returns what the name names (of any kind), or NULL after a diagnostic. */
decl *sema_check_reference(sema *S, const schema *from, const char *written, span where,
                      bool want_message);

/* ---- generated C names (sema_cnames.c) ---- */

/* Claims a C identifier; takes ownership of the strings.  Reports a
 * reserved or already claimed name and returns false then. */
bool sema_claim(sema *S, char *name, char *owner, char *what, span where);
/* The module symbol and tables of every schema. */
void sema_claim_modules(sema *S);
/* A declaration's C name and the names generated from it. */
void sema_claim_decl_names(sema *S, const decl *d);
void sema_free_symbols(sema *S);

#endif /* MSGBUSGEN_SEMA_INTERNAL_H */
