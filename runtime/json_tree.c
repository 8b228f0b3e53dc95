/* json_tree.c - msgbus_value_to_json: the same JSON mapping as the text
 * encoder, as a Jansson tree (msgbus_value_from_json is the text decoder's
 * rules over a tree reader, in json_decode.c).
 *
 * json_int_t is signed, so a uint64 above INT64_MAX becomes a string of
 * decimal digits, which from_json accepts back for uint64 fields. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "scalars.h"

/* ---------------------------------------------------------------- to_json */

static json_t *record_to_json(const msgbus_type *type, const void *m);

static json_t *string_n(const char *s, size_t n)
{
    return n ? json_stringn(s, n) : json_string("");
}

static json_t *value_to_json(const msgbus_field *f, const void *p, const char *null_means)
{
    switch (f->scalar) {
    case MSGBUS_BOOL:
        return json_boolean(*(const bool *)p);
    case MSGBUS_INT8: case MSGBUS_INT16: case MSGBUS_INT32: case MSGBUS_INT64:
        return json_integer((json_int_t)mb_int_load(f->scalar, p));
    case MSGBUS_UINT8: case MSGBUS_UINT16: case MSGBUS_UINT32: case MSGBUS_UINT64: {
        uint64_t v = mb_uint_load(f->scalar, p);
        if (v <= INT64_MAX)
            return json_integer((json_int_t)v);
        char text[MB_NUMBER_TEXT];
        int n = mb_format_uint(v, text);
        return json_stringn(text, (size_t)n);
    }
    case MSGBUS_FLOAT:
        return json_real((double)*(const float *)p);     /* NULL for NaN, inf */
    case MSGBUS_DOUBLE:
        return json_real(*(const double *)p);
    case MSGBUS_STRING: {
        const char *s = mb_load_ptr(p);
        return json_string(s ? s : null_means);          /* NULL if not UTF-8 */
    }
    case MSGBUS_BYTES: {
        const msgbus_bytes *b = p;
        size_t n = mb_base64_length(b->len);
        char *text = malloc(n + 1);
        if (!text)
            return NULL;
        if (b->len)
            mb_base64_encode(b->data, b->len, text);
        json_t *j = string_n(text, n);
        free(text);
        return j;
    }
    case MSGBUS_TIMESTAMP: {
        char text[MB_TIMESTAMP_TEXT];
        int n = mb_timestamp_format(p, text);
        return n < 0 ? NULL : json_stringn(text, (size_t)n);
    }
    case MSGBUS_UUID: {
        char text[MB_UUID_TEXT];
        mb_uuid_format(p, text);
        return json_string(text);
    }
    case MSGBUS_ENUM: {
        const char *name = mb_enum_name(f->enumeration, *(const int *)p);
        return name ? json_string(name) : NULL;
    }
    case MSGBUS_RECORD:
        return record_to_json(f->record, p);
    }
    return NULL;
}

static json_t *container_to_json(const msgbus_field *f, const void *m)
{
    size_t n = *(const size_t *)mb_cslot(m, f->count_offset);
    const char *items = mb_load_ptr(mb_cslot(m, f->offset));
    bool is_map = f->container == MSGBUS_MAP;
    json_t *out = is_map ? json_object() : json_array();
    for (size_t i = 0; out && i < n; i++) {
        const char *item = items + i * f->elem_size;
        json_t *v = value_to_json(f, item + (is_map ? f->value_offset : 0), "");
        int rc;
        if (is_map) {
            const char *key = mb_load_ptr(item);
            rc = json_object_set_new(out, key ? key : "", v);
        } else {
            rc = json_array_append_new(out, v);
        }
        if (rc < 0) {
            json_decref(out);
            out = NULL;
        }
    }
    return out;
}

static json_t *record_to_json(const msgbus_type *type, const void *m)
{
    json_t *obj = json_object();
    for (size_t i = 0; obj && i < type->n_fields; i++) {
        const msgbus_field *f = &type->fields[i];
        const void *slot = mb_cslot(m, f->offset);
        json_t *v;
        if (f->container != MSGBUS_SINGLE) {
            v = container_to_json(f, m);
        } else if (mb_has_flag(f)) {
            if (!*(const bool *)mb_cslot(m, f->has_offset))
                continue;
            v = value_to_json(f, slot, "");
        } else if (f->optional) {
            const void *ptr = mb_load_ptr(slot);
            if (!ptr)
                continue;
            v = f->scalar == MSGBUS_RECORD ? record_to_json(f->record, ptr)
                                           : value_to_json(f, slot, "");
        } else {
            v = value_to_json(f, slot, mb_string_default(f));
        }
        if (json_object_set_new(obj, f->name, v) < 0) {
            json_decref(obj);
            obj = NULL;
        }
    }
    return obj;
}

json_t *msgbus_value_to_json(const msgbus_type *type, const void *m)
{
    if (!type || !m)
        return NULL;
    return record_to_json(type, m);
}
