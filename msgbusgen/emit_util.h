/* emit_util.h - printing helpers shared by the C emitters: an output context
 * that owns the temporary names it hands out, C spelling of schema types,
 * escaped string literals and doc comments. */
#ifndef MSGBUSGEN_EMIT_UTIL_H
#define MSGBUSGEN_EMIT_UTIL_H

#include <stdio.h>
#include "ast.h"

/* State of one emit_header or emit_source run. */
typedef struct emitter {
    FILE *out;
    const program *prog;
    const schema *s;            /* the schema being emitted */
    char **owned;               /* strings handed out by em_keep, freed by em_finish */
    size_t n_owned;
} emitter;

void em_start(emitter *e, FILE *out, const program *prog, const schema *s);
/* Frees the kept strings; returns 0, or -1 if any write failed. */
int em_finish(emitter *e);

/* Takes ownership of a malloc'd string until em_finish and returns it, so
 * names can be used inline in em_printf arguments. */
const char *em_keep(emitter *e, char *owned);

void em_printf(emitter *e, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Like sprintf into a string kept until em_finish. */
const char *em_fmt(emitter *e, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The C name of a declaration, with its own schema's prefix. */
const char *em_c_name(emitter *e, const decl *d);
/* Full schema name: "shop.orders.ProcessOrder". */
const char *em_full_name(emitter *e, const decl *d);
/* The schema's C prefix: "shop_orders_", or "". */
const char *em_prefix(emitter *e, const schema *s);
/* Name of a schema's msgbus_module: "shop_orders_module". */
const char *em_module_name(emitter *e, const schema *s);
/* Base name of the schema's file: "orders.msg". */
const char *em_file_base(emitter *e, const schema *s);

/* C type of one element of t (ignores list/map/optional): "int64_t",
 * "char *", "shop_common_Money". */
const char *em_elem_ctype(emitter *e, const type_ref *t);
/* The type as the schema spells it: "list<string>", "common.Money?",
 * "list<map<string, int64>>". */
const char *em_schema_type(emitter *e, const type_ref *t);
/* Name of the map entry struct of field f of message d. */
const char *em_entry_name(emitter *e, const decl *d, const field *f);

/* Lists and maps nested in a field (msgbus-schema(5), NESTED LISTS AND
 * MAPS): level 0 is the field itself, level j (1..n_inner) the struct
 * <Owner>_<field> + "_item" x j holding { size_t n; T *items; } for a list
 * or { size_t n; E *entries; } for a map, E being <level>_entry. */
type_form em_level_form(const type_ref *t, size_t j);
/* "shop_Feature_coords" for j = 0, "shop_Feature_coords_item" for 1 ... */
const char *em_level_name(emitter *e, const decl *d, const field *f, size_t j);
/* The C type of one value held at level j: the next level's struct, or the
 * element's type at the innermost level. */
const char *em_level_value_ctype(emitter *e, const decl *d, const field *f, size_t j);
/* The C type of the array at level j: the value type for a list, the entry
 * struct for a map. */
const char *em_level_array_ctype(emitter *e, const decl *d, const field *f, size_t j);

/* Writes text as a C string literal, quotes included. */
void em_string(emitter *e, const char *text);
/* Writes a doc comment block indented by indent spaces; nothing if doc is NULL. */
void em_doc(emitter *e, const char *doc, int indent);

/* An enum member's value as C text; INT32_MIN has no literal. */
const char *em_enum_value(emitter *e, int64_t value);

/* Messages are records, commands and events: the declarations with fields. */
int em_is_message(const decl *d);

#endif /* MSGBUSGEN_EMIT_UTIL_H */
