/* schema_json.c - JSON Schema of the schema's types: every rule of the
 * runtime's decoder (runtime/json_decode.c) that JSON Schema can state.
 * What it cannot state is listed in msgbusgen(1), JSON SCHEMA. */
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "schema_json.h"

/* The decoder refuses U+0000 in strings and map keys: C strings cannot
 * hold it. */
const char sj_no_nul_pattern[] = "^[^\\u0000]*$";

/* Standard alphabet, padded, and the unused bits of the last group zero,
 * as the decoder wants: one text per byte string. */
static const char base64_pattern[] =
    "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$";

/* RFC 3339 as the decoder reads it: a real calendar date of years
 * 0001-9999 (29 February in leap years only), no leap second, at most nine
 * fraction digits, 'T' and 'Z' in either case, an offset up to 23:59. */
static const char timestamp_pattern[] =
    "^(?:(?!0000)[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
    "|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)-02-29)"
    "[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,9})?"
    "(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$";

/* Hex digits in either case, as the decoder reads them. */
static const char uuid_pattern[] =
    "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$";

/* Largest magnitudes that decode: a float decodes below 2^128 - 2^103 (the
 * values that round to FLT_MAX), a double up to DBL_MAX. */
#define FLOAT_LIMIT 0x1.ffffffp127
#define DOUBLE_LIMIT 1.7976931348623157e308

/* "type": "x" or, for an optional, "type": ["x", "null"]. */
static void type_key(json_out *j, const char *type, int nullable)
{
    json_key(j, "type");
    if (!nullable) {
        json_string(j, type);
        return;
    }
    json_inline_array(j);
    json_string(j, type);
    json_string(j, "null");
    json_end(j);
}

/* The canonical decimal text of 0 ..= UINT64_MAX (no sign, no leading
 * zero), generated: each alternative follows the maximum's digits down to
 * one smaller digit. */
static const char uint64_digits_pattern[] =
    "^(0|[1-9][0-9]{0,18}|1[0-7][0-9]{18}|18[0-3][0-9]{17}|184[0-3][0-9]{16}|"
    "1844[0-5][0-9]{15}|18446[0-6][0-9]{14}|184467[0-3][0-9]{13}|1844674[0-3][0-9]{12}|"
    "184467440[0-6][0-9]{10}|1844674407[0-2][0-9]{9}|18446744073[0-6][0-9]{8}|"
    "1844674407370[0-8][0-9]{6}|18446744073709[0-4][0-9]{5}|184467440737095[0-4][0-9]{4}|"
    "18446744073709550[0-9]{3}|18446744073709551[0-5][0-9]{2}|1844674407370955160[0-9]|"
    "1844674407370955161[0-4]|18446744073709551615)$";

/* The keys of a builtin type's schema, inside an open object. */
static void builtin_keys(json_out *j, builtin_type bt, int nullable)
{
    uint64_t neg, pos;

    switch (bt) {
    case BT_BOOL:
        type_key(j, "boolean", nullable);
        break;
    case BT_UINT64:
        /* Also its decimal digits as a string, as the decoder takes them
         * (msgbus_value_to_json writes those above INT64_MAX so). */
        json_key(j, "anyOf");
        json_array(j);
        json_object(j);
        json_key_string(j, "type", "integer");
        json_key(j, "minimum");
        json_int(j, 0, 0);
        json_key(j, "maximum");
        json_int(j, 0, UINT64_MAX);
        json_end(j);
        json_object(j);
        json_key_string(j, "type", "string");
        json_key_string(j, "pattern", uint64_digits_pattern);
        json_end(j);
        if (nullable) {
            json_object(j);
            json_key_string(j, "type", "null");
            json_end(j);
        }
        json_end(j);
        break;
    case BT_INT8: case BT_INT16: case BT_INT32: case BT_INT64:
    case BT_UINT8: case BT_UINT16: case BT_UINT32:
        ast_integer_range(bt, &neg, &pos);
        type_key(j, "integer", nullable);
        json_key(j, "minimum");
        json_int(j, neg != 0, neg);
        json_key(j, "maximum");
        json_int(j, 0, pos);
        break;
    case BT_FLOAT:
        type_key(j, "number", nullable);
        json_key(j, "exclusiveMinimum");
        json_double(j, -FLOAT_LIMIT);
        json_key(j, "exclusiveMaximum");
        json_double(j, FLOAT_LIMIT);
        break;
    case BT_DOUBLE:
        type_key(j, "number", nullable);
        json_key(j, "minimum");
        json_double(j, -DOUBLE_LIMIT);
        json_key(j, "maximum");
        json_double(j, DOUBLE_LIMIT);
        break;
    case BT_STRING:
        type_key(j, "string", nullable);
        json_key_string(j, "pattern", sj_no_nul_pattern);
        break;
    case BT_BYTES:
        type_key(j, "string", nullable);
        json_key_string(j, "contentEncoding", "base64");
        json_key_string(j, "pattern", base64_pattern);
        break;
    case BT_TIMESTAMP:
        type_key(j, "string", nullable);
        json_key_string(j, "format", "date-time");
        json_key_string(j, "pattern", timestamp_pattern);
        break;
    case BT_UUID:
        type_key(j, "string", nullable);
        json_key_string(j, "format", "uuid");
        json_key_string(j, "pattern", uuid_pattern);
        break;
    case BT_NONE:
        break;
    }
}

/* "#/$defs/shop.orders.Address" */
static char *ref_text(const char *ref_prefix, const decl *d)
{
    char *full = names_full_name(d->schema, d->name);
    char *ref = xmalloc(strlen(ref_prefix) + strlen(full) + 1);

    sprintf(ref, "%s%s", ref_prefix, full);
    free(full);
    return ref;
}

void sj_ref(json_out *j, const char *ref_prefix, const decl *d)
{
    char *ref = ref_text(ref_prefix, d);

    json_object(j);
    json_key_string(j, "$ref", ref);
    json_end(j);
    free(ref);
}

/* The keys of one element's schema, inside an open object: a builtin, or
 * a reference to an enum or record; null too when nullable. */
static void element_keys(json_out *j, const char *ref_prefix, const type_ref *t, int nullable)
{
    if (t->builtin != BT_NONE) {
        builtin_keys(j, t->builtin, nullable);
    } else if (!nullable) {
        char *ref = ref_text(ref_prefix, t->resolved);
        json_key_string(j, "$ref", ref);
        free(ref);
    } else {
        json_key(j, "anyOf");
        json_array(j);
        sj_ref(j, ref_prefix, t->resolved);
        json_object(j);
        json_key_string(j, "type", "null");
        json_end(j);
        json_end(j);
    }
}

static void element(json_out *j, const char *ref_prefix, const type_ref *t)
{
    json_object(j);
    element_keys(j, ref_prefix, t, 0);
    json_end(j);
}

static void default_value(json_out *j, const literal *lit)
{
    json_key(j, "default");
    switch (lit->kind) {
    case LIT_INT:    json_int(j, lit->negative, lit->magnitude); break;
    case LIT_FLOAT:  json_double(j, lit->real); break;
    case LIT_STRING: json_string(j, lit->text); break;
    case LIT_BOOL:   json_bool(j, lit->truth); break;
    case LIT_IDENT:  json_string(j, lit->text); break;
    }
}

/* The keys of list or map level j of t and of the levels inside it, inside
 * an open object: nested lists and maps are arrays and objects of arrays
 * and objects, down to the element. */
static void container_keys(json_out *j, const char *ref_prefix, const type_ref *t, size_t level)
{
    int map = (level == 0 ? t->form : t->inner[level - 1].form) == TF_MAP;

    json_key_string(j, "type", map ? "object" : "array");
    if (map) {
        json_key(j, "propertyNames");
        json_object(j);
        json_key_string(j, "pattern", sj_no_nul_pattern);
        json_end(j);
    }
    json_key(j, map ? "additionalProperties" : "items");
    if (level < t->n_inner) {
        json_object(j);
        container_keys(j, ref_prefix, t, level + 1);
        json_end(j);
    } else {
        element(j, ref_prefix, t);
    }
}

/* A field: its type's schema with the field's doc and default beside it. */
static void field_schema(json_out *j, const char *ref_prefix, const field *f)
{
    const type_ref *t = &f->type;

    json_object(j);
    if (f->doc)
        json_key_string(j, "description", f->doc);
    if (t->form != TF_SINGLE)
        container_keys(j, ref_prefix, t, 0);
    else
        element_keys(j, ref_prefix, t, t->optional);
    if (f->default_value)
        default_value(j, f->default_value);
    json_end(j);
}

static int is_required(const field *f)
{
    return !f->type.optional && f->default_value == NULL;
}

void sj_decl(json_out *j, const char *ref_prefix, const decl *d)
{
    char *full = names_full_name(d->schema, d->name);
    char *comment = xmalloc(strlen(full) + 16);
    size_t i, n_required = 0;

    sprintf(comment, "%s %s", ast_decl_kind_name(d->kind), full);
    json_object(j);
    json_key_string(j, "title", d->name);
    json_key_string(j, "$comment", comment);
    if (d->doc)
        json_key_string(j, "description", d->doc);
    if (d->kind == DECL_ENUM) {
        /* JSON carries enum members by name. */
        json_key_string(j, "type", "string");
        json_key(j, "enum");
        json_inline_array(j);
        for (i = 0; i < d->n_values; i++)
            json_string(j, d->values[i].name);
        json_end(j);
    } else {
        json_key_string(j, "type", "object");
        json_key(j, "properties");
        json_object(j);
        for (i = 0; i < d->n_fields; i++) {
            json_key(j, d->fields[i].name);
            field_schema(j, ref_prefix, &d->fields[i]);
            n_required += is_required(&d->fields[i]);
        }
        json_end(j);
        if (n_required > 0) {
            json_key(j, "required");
            json_inline_array(j);
            for (i = 0; i < d->n_fields; i++)
                if (is_required(&d->fields[i]))
                    json_string(j, d->fields[i].name);
            json_end(j);
        }
        /* Unknown keys are allowed, as the decoder skips them. */
    }
    json_end(j);
    free(comment);
    free(full);
}

void sj_each_type(const program *prog, void (*fn)(const decl *d, void *arg), void *arg)
{
    size_t i, k;

    for (i = 0; i < prog->n_schemas; i++) {
        const schema *s = prog->schemas[i];
        for (k = 0; k < s->n_decls; k++) {
            const decl *d = s->decls[k];
            if (d->name && (d->kind == DECL_ENUM || d->kind == DECL_RECORD ||
                            d->kind == DECL_COMMAND || d->kind == DECL_EVENT))
                fn(d, arg);
        }
    }
}
