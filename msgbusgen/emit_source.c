/* emit_source.c - writes <schema>.msg.c: enum and message descriptors built
 * with offsetof, the functions as wrappers over msgbus_value_*, the handler
 * trampolines and the module with its static dispatch table (msgbusgen(1), GENERATED NAMES). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "emit_util.h"
#include "emit_codec.h"
#include "emit_decoder.h"
#include "names.h"

/* Prefix of the module's own tables: "shop_orders_", or "orders_" for a
 * schema without prefix ("orders_module" minus "module"). */
static const char *table_prefix(emitter *e)
{
    const char *module = em_module_name(e, e->s);

    return em_fmt(e, "%.*s", (int)(strlen(module) - strlen("module")), module);
}

static void emit_enum(emitter *e, const decl *d)
{
    const char *name = em_c_name(e, d);
    size_t i, j;

    em_printf(e, "\n/* ---- enum %s ---- */\n\n", em_full_name(e, d));
    if (d->n_values) {
        em_printf(e, "static const msgbus_enum_value %s_values[] = {\n", name);
        for (i = 0; i < d->n_values; i++) {
            em_printf(e, "    {");
            em_string(e, d->values[i].name);
            em_printf(e, ", %s}%s\n", em_enum_value(e, d->values[i].value),
                      i + 1 < d->n_values ? "," : "");
        }
        em_printf(e, "};\n\n");
    }
    em_printf(e, "const msgbus_enum_type %s_type = {\n    ", name);
    em_string(e, em_full_name(e, d));
    em_printf(e, ", %zu, %s\n};\n\n", d->n_values,
              d->n_values ? em_fmt(e, "%s_values", name) : "NULL");

    em_printf(e, "const char *%s_name(%s v)\n{\n    switch (v) {\n", name, name);
    for (i = 0; i < d->n_values; i++) {
        /* A value given twice gets its first name; C forbids duplicate cases. */
        for (j = 0; j < i; j++)
            if (d->values[j].value == d->values[i].value)
                break;
        if (j < i)
            continue;
        em_printf(e, "    case %s: return ",
                  em_keep(e, names_enum_constant(d->schema, d, d->values[i].name)));
        em_string(e, d->values[i].name);
        em_printf(e, ";\n");
    }
    em_printf(e, "    default: break;\n    }\n    return NULL;\n}\n");
}

static const char *scalar_constant(const type_ref *t)
{
    switch (t->builtin) {
    case BT_BOOL: return "MSGBUS_BOOL";
    case BT_INT8: return "MSGBUS_INT8";
    case BT_INT16: return "MSGBUS_INT16";
    case BT_INT32: return "MSGBUS_INT32";
    case BT_INT64: return "MSGBUS_INT64";
    case BT_UINT8: return "MSGBUS_UINT8";
    case BT_UINT16: return "MSGBUS_UINT16";
    case BT_UINT32: return "MSGBUS_UINT32";
    case BT_UINT64: return "MSGBUS_UINT64";
    case BT_FLOAT: return "MSGBUS_FLOAT";
    case BT_DOUBLE: return "MSGBUS_DOUBLE";
    case BT_STRING: return "MSGBUS_STRING";
    case BT_BYTES: return "MSGBUS_BYTES";
    case BT_TIMESTAMP: return "MSGBUS_TIMESTAMP";
    case BT_UUID: return "MSGBUS_UUID";
    case BT_NONE: break;
    }
    return t->resolved && t->resolved->kind == DECL_ENUM ? "MSGBUS_ENUM" : "MSGBUS_RECORD";
}

/* Shortest text that reads back as the same value, always with a '.' or an
 * exponent so that it is a floating constant. */
static const char *real_text(emitter *e, double value, int is_float)
{
    char text[64];
    int precision;

    for (precision = 1; precision <= 17; precision++) {
        snprintf(text, sizeof text, "%.*g", precision, value);
        if (is_float ? strtof(text, NULL) == (float)value : strtod(text, NULL) == value)
            break;
    }
    if (!strpbrk(text, ".e"))
        strcat(text, ".0");
    return em_fmt(e, "%s%s", text, is_float ? "f" : "");
}

/* A signed integer default; the most negative value of a type cannot be
 * written as a negated literal. */
static const char *signed_text(emitter *e, const literal *lit, int bits)
{
    uint64_t min_magnitude = (uint64_t)1 << (bits - 1);

    if (!lit->negative || lit->magnitude == 0)
        return em_fmt(e, bits == 64 ? "INT64_C(%" PRIu64 ")" : "%" PRIu64, lit->magnitude);
    if (lit->magnitude == min_magnitude)
        return em_fmt(e, "INT%d_MIN", bits);
    return em_fmt(e, bits == 64 ? "-INT64_C(%" PRIu64 ")" : "-%" PRIu64, lit->magnitude);
}

/* The literal's value as the C initializer of the field's element type, or
 * NULL for a type that has no defaults (sema rejects those). */
static const char *default_text(emitter *e, const type_ref *t, const literal *lit)
{
    double real;

    if (lit->kind == LIT_INT)
        real = lit->negative ? -(double)lit->magnitude : (double)lit->magnitude;
    else
        real = (lit->negative && !signbit(lit->real)) ? -lit->real : lit->real;

    switch (t->builtin) {
    case BT_BOOL: return lit->truth ? "true" : "false";
    case BT_INT8: return signed_text(e, lit, 8);
    case BT_INT16: return signed_text(e, lit, 16);
    case BT_INT32: return signed_text(e, lit, 32);
    case BT_INT64: return signed_text(e, lit, 64);
    case BT_UINT8:
    case BT_UINT16:
    case BT_UINT32: return em_fmt(e, "%" PRIu64 "u", lit->magnitude);
    case BT_UINT64: return em_fmt(e, "UINT64_C(%" PRIu64 ")", lit->magnitude);
    case BT_FLOAT: return real_text(e, real, 1);
    case BT_DOUBLE: return real_text(e, real, 0);
    case BT_STRING: return "";      /* the text itself, see emit_default */
    case BT_NONE:
        if (t->resolved && t->resolved->kind == DECL_ENUM && lit->kind == LIT_IDENT)
            return em_keep(e, names_enum_constant(t->resolved->schema, t->resolved, lit->text));
        return NULL;
    case BT_BYTES:
    case BT_TIMESTAMP:
    case BT_UUID: break;
    }
    return NULL;
}

/* "static const double N_total_default = 0.0;"; returns the variable's
 * name, or NULL when f has no default. */
static const char *emit_default(emitter *e, const char *owner, const field *f)
{
    const char *name = em_fmt(e, "%s_%s_default", owner, f->name);
    const char *value;

    if (!f->default_value || f->type.form != TF_SINGLE)
        return NULL;
    value = default_text(e, &f->type, f->default_value);
    if (!value)
        return NULL;
    if (f->type.builtin == BT_STRING) {
        em_printf(e, "static const char %s[] = ", name);
        em_string(e, f->default_value->text);
        em_printf(e, ";\n");
    } else if (f->type.builtin == BT_NONE) {
        em_printf(e, "static const int %s = %s;\n", name, value);   /* enums are ints */
    } else {
        em_printf(e, "static const %s %s = %s;\n", em_elem_ctype(e, &f->type), name, value);
    }
    return name;
}

static const char *const container_constants[] = {"MSGBUS_SINGLE", "MSGBUS_LIST", "MSGBUS_MAP"};

/* The members every level of a list or map states: its array's element
 * size, a map's value offset, the innermost element's type and the next
 * level's descriptor. */
static void emit_level_members(emitter *e, const decl *d, const field *f, size_t j,
                               const char *in)
{
    const type_ref *t = &f->type;
    const char *array = em_level_array_ctype(e, d, f, j);

    em_printf(e, "%s.elem_size = sizeof(%s),\n", in, array);
    if (em_level_form(t, j) == TF_MAP)
        em_printf(e, "%s.value_offset = offsetof(%s, value),\n", in, array);
    if (t->resolved && t->resolved->kind == DECL_RECORD)
        em_printf(e, "%s.record = &%s_type,\n", in, em_c_name(e, t->resolved));
    if (t->resolved && t->resolved->kind == DECL_ENUM)
        em_printf(e, "%s.enumeration = &%s_type,\n", in, em_c_name(e, t->resolved));
    if (j < t->n_inner)
        em_printf(e, "%s.element = &%s_field,\n", in, em_level_name(e, d, f, j + 1));
}

/* The descriptors of the lists and maps nested in f, innermost first, so
 * that each can point to the next (msgbus_field.element). */
static void emit_nested_fields(emitter *e, const decl *d, const field *f)
{
    const type_ref *t = &f->type;
    size_t j;

    for (j = t->n_inner; j > 0; j--) {
        const char *level = em_level_name(e, d, f, j);
        int map = em_level_form(t, j) == TF_MAP;

        em_printf(e, "static const msgbus_field %s_field = {\n    .name = ", level);
        em_string(e, f->name);
        em_printf(e, ",\n    .scalar = %s,\n", scalar_constant(t));
        em_printf(e, "    .container = %s,\n", container_constants[em_level_form(t, j)]);
        em_printf(e, "    .storage = MSGBUS_STORAGE_PLAIN,\n");
        em_printf(e, "    .offset = offsetof(%s, %s),\n", level, map ? "entries" : "items");
        em_printf(e, "    .count_offset = offsetof(%s, n),\n", level);
        emit_level_members(e, d, f, j, "    ");
        em_printf(e, "};\n");
    }
}

static void emit_field(emitter *e, const decl *d, const char *owner, const field *f,
                       const char *default_name)
{
    const type_ref *t = &f->type;
    static const char *const storages[] = {
        [STORAGE_PLAIN] = "MSGBUS_STORAGE_PLAIN",
        [STORAGE_HAS_FLAG] = "MSGBUS_STORAGE_HAS_FLAG",
        [STORAGE_POINTER] = "MSGBUS_STORAGE_POINTER",
    };

    em_printf(e, "    {\n        .name = ");
    em_string(e, f->name);
    em_printf(e, ",\n        .scalar = %s,\n", scalar_constant(t));
    em_printf(e, "        .container = %s,\n", container_constants[t->form]);
    if (t->optional)
        em_printf(e, "        .optional = true,\n");
    em_printf(e, "        .storage = %s,\n", storages[f->storage]);
    em_printf(e, "        .offset = offsetof(%s, %s),\n", owner, f->name);
    if (f->storage == STORAGE_HAS_FLAG)
        em_printf(e, "        .has_offset = offsetof(%s, has_%s),\n", owner, f->name);
    if (t->form != TF_SINGLE) {
        em_printf(e, "        .count_offset = offsetof(%s, n_%s),\n", owner, f->name);
        emit_level_members(e, d, f, 0, "        ");
    } else {
        em_printf(e, "        .elem_size = sizeof(%s),\n", em_elem_ctype(e, t));
        if (t->resolved && t->resolved->kind == DECL_RECORD)
            em_printf(e, "        .record = &%s_type,\n", em_c_name(e, t->resolved));
        if (t->resolved && t->resolved->kind == DECL_ENUM)
            em_printf(e, "        .enumeration = &%s_type,\n", em_c_name(e, t->resolved));
    }
    if (default_name)
        em_printf(e, "        .default_value = %s%s,\n",
                  t->builtin == BT_STRING ? "" : "&", default_name);
    em_printf(e, "    },\n");
}

static const char *kind_constant(decl_kind kind)
{
    switch (kind) {
    case DECL_COMMAND: return "MSGBUS_KIND_COMMAND";
    case DECL_EVENT: return "MSGBUS_KIND_EVENT";
    default: return "MSGBUS_KIND_RECORD";
    }
}

static void emit_wrappers(emitter *e, const char *n)
{
    em_printf(e, "\nvoid %s_init(%s *m)\n{\n", n, n);
    em_printf(e, "    msgbus_value_init(&%s_type, m);\n}\n", n);
    em_printf(e, "\nvoid %s_clear(%s *m)\n{\n", n, n);
    em_printf(e, "    msgbus_value_clear(&%s_type, m);\n}\n", n);
    em_printf(e, "\nint %s_copy(%s *dst, const %s *src)\n{\n", n, n, n);
    em_printf(e, "    return msgbus_value_copy(&%s_type, dst, src);\n}\n", n);
    em_printf(e, "\nbool %s_equal(const %s *a, const %s *b)\n{\n", n, n, n);
    em_printf(e, "    return msgbus_value_equal(&%s_type, a, b);\n}\n", n);
    em_printf(e, "\njson_t *%s_to_json(const %s *m)\n{\n", n, n);
    em_printf(e, "    return msgbus_value_to_json(&%s_type, m);\n}\n", n);
    em_printf(e, "\nint %s_from_json(const json_t *json, %s *m, msgbus_error *err)\n{\n", n, n);
    em_printf(e, "    return msgbus_value_from_json(&%s_type, json, m, err);\n}\n", n);
}

static void emit_message(emitter *e, const decl *d)
{
    const char *name = em_c_name(e, d);
    const char **defaults = xcalloc(d->n_fields ? d->n_fields : 1, sizeof *defaults);
    size_t i;
    int any = 0;

    em_printf(e, "\n/* ---- %s %s ---- */\n\n", ast_decl_kind_name(d->kind),
              em_full_name(e, d));
    for (i = 0; i < d->n_fields; i++) {
        defaults[i] = emit_default(e, name, &d->fields[i]);
        any |= defaults[i] != NULL;
    }
    if (any)
        em_printf(e, "\n");
    for (i = 0; i < d->n_fields; i++)
        emit_nested_fields(e, d, &d->fields[i]);
    if (d->n_fields) {
        em_printf(e, "static const msgbus_field %s_fields[] = {\n", name);
        for (i = 0; i < d->n_fields; i++)
            emit_field(e, d, name, &d->fields[i], defaults[i]);
        em_printf(e, "};\n\n");
    }
    em_printf(e, "const msgbus_type %s_type = {\n    ", name);
    em_string(e, em_full_name(e, d));
    em_printf(e, ", %s, sizeof(%s),\n    %zu, %s, %" PRIu32 ", &%s\n};\n",
              kind_constant(d->kind), name, d->n_fields,
              d->n_fields ? em_fmt(e, "%s_fields", name) : "NULL", d->index,
              em_module_name(e, e->s));
    emit_wrappers(e, name);
    emit_codec_encoders(e, d);
    emit_decoder(e, d);
    free(defaults);
}

static void emit_handler(emitter *e, const decl *h)
{
    const char *name = em_c_name(e, h);
    size_t i;

    em_printf(e, "\nstatic int %s_dispatch(msgbus_ctx *ctx, const msgbus_msg *msg)\n{\n", name);
    em_printf(e, "    return %s(ctx, (const %s *)msg);\n}\n", name,
              em_c_name(e, h->input.resolved));
    if (h->n_emits == 0)
        return;
    em_printf(e, "\nstatic const msgbus_type *const %s_emits[] = {\n", name);
    for (i = 0; i < h->n_emits; i++)
        em_printf(e, "    &%s_type%s\n", em_c_name(e, h->emits[i].resolved),
                  i + 1 < h->n_emits ? "," : "");
    em_printf(e, "};\n");
}

static size_t count_kind(const schema *s, int (*match)(const decl *))
{
    size_t i, n = 0;

    for (i = 0; i < s->n_decls; i++)
        n += match(s->decls[i]) != 0;
    return n;
}

static int is_enum(const decl *d) { return d->kind == DECL_ENUM; }
static int is_handler(const decl *d) { return d->kind == DECL_HANDLER; }
static int is_route(const decl *d) { return d->kind == DECL_OUTBOX; }

static void emit_handler_table(emitter *e, const char *table, size_t n)
{
    size_t i, done = 0;

    if (n == 0)
        return;
    em_printf(e, "\n/* The dispatch table, in schema order. */\n");
    em_printf(e, "static const msgbus_handler_desc %shandlers[] = {\n", table);
    for (i = 0; i < e->s->n_decls; i++) {
        const decl *h = e->s->decls[i];
        const char *name;

        if (h->kind != DECL_HANDLER)
            continue;
        name = em_c_name(e, h);
        em_printf(e, "    {");
        em_string(e, em_full_name(e, h));
        em_printf(e, ", &%s_type,\n        %s_dispatch, %zu, %s}%s\n",
                  em_c_name(e, h->input.resolved), name, h->n_emits,
                  h->n_emits ? em_fmt(e, "%s_emits", name) : "NULL",
                  ++done < n ? "," : "");
    }
    em_printf(e, "};\n");
}

static void emit_route_table(emitter *e, const char *table, size_t n)
{
    size_t i, done = 0;

    if (n == 0)
        return;
    em_printf(e, "\n/* outbox routes: broker subjects. */\n");
    em_printf(e, "static const msgbus_route %sroutes[] = {\n", table);
    for (i = 0; i < e->s->n_decls; i++) {
        const decl *r = e->s->decls[i];

        if (r->kind != DECL_OUTBOX)
            continue;
        em_printf(e, "    {&%s_type, ", em_c_name(e, r->route_type.resolved));
        em_string(e, r->subject);
        em_printf(e, "}%s\n", ++done < n ? "," : "");
    }
    em_printf(e, "};\n");
}

/* Declarations matching one kind, ordered by decl.index (sema sorts types
 * by full name, which lets the runtime find them by binary search). */
static void emit_index_table(emitter *e, const char *ctype, const char *table, size_t n,
                             int (*match)(const decl *))
{
    const decl **by_index;
    size_t i, k;

    if (n == 0)
        return;
    by_index = xcalloc(n, sizeof *by_index);
    for (i = 0; i < e->s->n_decls; i++)
        if (match(e->s->decls[i]) && e->s->decls[i]->index < n && !by_index[e->s->decls[i]->index])
            by_index[e->s->decls[i]->index] = e->s->decls[i];
    em_printf(e, "\nstatic const %s *const %s[] = {\n", ctype, table);
    for (k = 0; k < n; k++)
        em_printf(e, "    &%s_type%s\n", by_index[k] ? em_c_name(e, by_index[k]) : "MISSING_INDEX",
                  k + 1 < n ? "," : "");
    em_printf(e, "};\n");
    free(by_index);
}

static void emit_imports(emitter *e, const char *table)
{
    size_t i;

    if (e->s->n_imports == 0)
        return;
    em_printf(e, "\nstatic const msgbus_module *const %simports[] = {\n", table);
    for (i = 0; i < e->s->n_imports; i++)
        em_printf(e, "    &%s%s\n", em_module_name(e, e->s->imports[i].resolved),
                  i + 1 < e->s->n_imports ? "," : "");
    em_printf(e, "};\n");
}

/* ".n_types = 4,\n.types = shop_orders_types," or a count of 0 and NULL. */
static void module_member(emitter *e, const char *member, size_t n, const char *table)
{
    em_printf(e, "    .n_%s = %zu,\n    .%s = %s%s,\n", member, n, member,
              n ? table : "NULL", n ? member : "");
}

static void emit_module(emitter *e)
{
    const char *table = table_prefix(e);
    size_t n_types = count_kind(e->s, em_is_message);
    size_t n_enums = count_kind(e->s, is_enum);
    size_t n_handlers = count_kind(e->s, is_handler);
    size_t n_routes = count_kind(e->s, is_route);

    em_printf(e, "\n/* ---- the module ---- */\n");
    emit_handler_table(e, table, n_handlers);
    emit_route_table(e, table, n_routes);
    emit_index_table(e, "msgbus_type", em_fmt(e, "%stypes", table), n_types, em_is_message);
    emit_index_table(e, "msgbus_enum_type", em_fmt(e, "%senums", table), n_enums, is_enum);
    emit_imports(e, table);

    em_printf(e, "\nconst msgbus_module %s = {\n", em_module_name(e, e->s));
    em_printf(e, "    .runtime_version = MSGBUS_VERSION_NUMBER,\n    .package = ");
    em_string(e, e->s->package ? e->s->package : "");
    em_printf(e, ",\n    .source = ");
    em_string(e, em_file_base(e, e->s));
    em_printf(e, ",\n");
    module_member(e, "types", n_types, table);
    module_member(e, "enums", n_enums, table);
    module_member(e, "handlers", n_handlers, table);
    module_member(e, "routes", n_routes, table);
    module_member(e, "imports", e->s->n_imports, table);
    em_printf(e, "};\n");
}

int emit_source(FILE *out, const program *prog, const schema *s, const char *header_name)
{
    emitter e;
    size_t i;

    em_start(&e, out, prog, s);
    em_printf(&e, "/* Generated by msgbusgen from %s. DO NOT EDIT. */\n", em_file_base(&e, s));
    em_printf(&e, "#include ");
    em_string(&e, header_name);
    em_printf(&e, "\n\n#include <stddef.h>\n#include <stdint.h>\n#include <string.h>\n");
    em_printf(&e, "#include <msgbus/json_get.h>\n");
    emit_decoder_prototypes(&e);
    for (i = 0; i < s->n_decls; i++)
        if (s->decls[i]->kind == DECL_ENUM)
            emit_enum(&e, s->decls[i]);
    for (i = 0; i < s->n_decls; i++)
        if (em_is_message(s->decls[i]))
            emit_message(&e, s->decls[i]);
    if (count_kind(s, is_handler))
        em_printf(&e, "\n/* ---- handlers: trampolines to the functions you write ---- */\n");
    for (i = 0; i < s->n_decls; i++)
        if (s->decls[i]->kind == DECL_HANDLER)
            emit_handler(&e, s->decls[i]);
    emit_module(&e);
    return em_finish(&e);
}
