/* json_tree.c - msgbus_value_to_json / msgbus_value_from_json: the same
 * JSON mapping as the text codec, on Jansson trees.
 *
 * json_int_t is signed, so a uint64 above INT64_MAX becomes a string of
 * decimal digits, and from_json accepts such a string for uint64 fields.
 * from_json applies the checks of msgbus_value_decode that still make sense
 * on a tree (a tree cannot hold malformed text or duplicate keys). */
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
        char *text = msgbus_malloc(n + 1);
        if (!text)
            return NULL;
        if (b->len)
            mb_base64_encode(b->data, b->len, text);
        json_t *j = string_n(text, n);
        msgbus_free(text);
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

/* -------------------------------------------------------------- from_json */

static const char *json_kind(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE: case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

static int record_from_json(const msgbus_type *type, const json_t *j, void *m,
                            const mb_frame *at, int depth, msgbus_error *err);

static int expect(const json_t *j, json_type t, const char *name, const mb_frame *at,
                  msgbus_error *err)
{
    if (json_typeof(j) == t)
        return 0;
    return mb_fail(err, MSGBUS_ETYPE, at, "expected %s, got %s", name, json_kind(j));
}

/* A string value, refusing embedded NULs and invalid UTF-8. */
static int get_text(const json_t *j, const char *expected, const char **s, size_t *n,
                    const mb_frame *at, msgbus_error *err)
{
    int rc = expect(j, JSON_STRING, expected, at, err);
    if (rc < 0)
        return rc;
    *s = json_string_value(j);
    *n = json_string_length(j);
    if (strlen(*s) != *n)
        return mb_fail(err, MSGBUS_ETYPE, at,
                       "string contains \\u0000, which C strings cannot hold");
    if (!mb_utf8_valid(*s, *n))
        return mb_fail(err, MSGBUS_ETYPE, at, "invalid UTF-8 in string");
    return 0;
}

/* A uint64 written as decimal digits (how to_json writes large ones). */
static int digits_value(const char *s, size_t n, uint64_t *v)
{
    if (n == 0 || n > 20 || (s[0] == '0' && n > 1))
        return -1;
    uint64_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (acc > (UINT64_MAX - d) / 10)
            return -2;
        acc = acc * 10 + d;
    }
    *v = acc;
    return 0;
}

static int integer_from_json(const msgbus_field *f, const json_t *j, void *p,
                             const mb_frame *at, msgbus_error *err)
{
    bool negative = false;
    uint64_t magnitude;
    if (json_is_integer(j)) {
        json_int_t v = json_integer_value(j);
        negative = v < 0;
        magnitude = negative ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
    } else if (json_is_string(j) && f->scalar == MSGBUS_UINT64) {
        const char *s = json_string_value(j);
        int rc = digits_value(s, json_string_length(j), &magnitude);
        if (rc == -2)
            return mb_fail(err, MSGBUS_ERANGE, at, "%.40s is out of range for uint64", s);
        if (rc < 0)
            return mb_fail(err, MSGBUS_ETYPE, at, "expected integer, got string");
    } else {
        return mb_fail(err, MSGBUS_ETYPE, at, "expected integer, got %s", json_kind(j));
    }
    if (!mb_int_fits(f->scalar, negative, magnitude))
        return mb_fail(err, MSGBUS_ERANGE, at, "%s%llu is out of range for %s",
                       negative ? "-" : "", (unsigned long long)magnitude,
                       mb_scalar_name(f->scalar));
    mb_int_store(f->scalar, p, negative, magnitude);
    return 0;
}

static int value_from_json(const msgbus_field *f, const json_t *j, void *p, const mb_frame *at,
                           int depth, msgbus_error *err)
{
    const char *s;
    size_t n;
    int rc;
    switch (f->scalar) {
    case MSGBUS_BOOL:
        if (!json_is_boolean(j))
            return mb_fail(err, MSGBUS_ETYPE, at, "expected boolean, got %s", json_kind(j));
        *(bool *)p = json_is_true(j);
        return 0;
    case MSGBUS_FLOAT: case MSGBUS_DOUBLE: {
        if (!json_is_number(j))
            return mb_fail(err, MSGBUS_ETYPE, at, "expected number, got %s", json_kind(j));
        double d = json_number_value(j);
        if (f->scalar == MSGBUS_DOUBLE) {
            *(double *)p = d;
            return 0;
        }
        if (fabs(d) >= 0x1.ffffffp127)
            return mb_fail(err, MSGBUS_ERANGE, at, "%g is out of range for float", d);
        *(float *)p = fabs(d) > FLT_MAX ? (d < 0 ? -FLT_MAX : FLT_MAX) : (float)d;
        return 0;
    }
    case MSGBUS_STRING: {
        if ((rc = get_text(j, "string", &s, &n, at, err)) < 0)
            return rc;
        char *copy = msgbus_strndup(s, n);
        if (!copy)
            return mb_fail(err, MSGBUS_ENOMEM, at, "out of memory");
        mb_store_ptr(p, copy);
        return 0;
    }
    case MSGBUS_BYTES:
        if ((rc = get_text(j, "string", &s, &n, at, err)) < 0)
            return rc;
        rc = mb_base64_decode(s, n, p);
        if (rc == MSGBUS_ENOMEM)
            return mb_fail(err, rc, at, "out of memory");
        if (rc < 0)
            return mb_fail(err, MSGBUS_ETYPE, at, "invalid base64 \"%.40s\"", s);
        return 0;
    case MSGBUS_TIMESTAMP:
        if ((rc = get_text(j, "timestamp string", &s, &n, at, err)) < 0)
            return rc;
        if (mb_timestamp_parse(s, n, p) < 0)
            return mb_fail(err, MSGBUS_ETYPE, at, "invalid RFC 3339 timestamp \"%.40s\"", s);
        return 0;
    case MSGBUS_UUID:
        if ((rc = get_text(j, "uuid string", &s, &n, at, err)) < 0)
            return rc;
        if (mb_uuid_parse(s, n, p) < 0)
            return mb_fail(err, MSGBUS_ETYPE, at, "invalid uuid \"%.40s\"", s);
        return 0;
    case MSGBUS_ENUM:
        if ((rc = get_text(j, "enum name string", &s, &n, at, err)) < 0)
            return rc;
        if (mb_enum_value(f->enumeration, s, n, p) < 0)
            return mb_fail(err, MSGBUS_ETYPE, at, "\"%.40s\" is not a member of %s", s,
                           f->enumeration->name);
        return 0;
    case MSGBUS_RECORD:
        return record_from_json(f->record, j, p, at, depth, err);
    default:
        return integer_from_json(f, j, p, at, err);
    }
}

static int list_from_json(const msgbus_field *f, const json_t *j, void *m, const mb_frame *at,
                          int depth, msgbus_error *err)
{
    int rc = expect(j, JSON_ARRAY, "array", at, err);
    if (rc < 0)
        return rc;
    size_t n = json_array_size(j);
    if (n == 0)
        return 0;
    char *items = msgbus_calloc(n, f->elem_size);
    if (!items)
        return mb_fail(err, MSGBUS_ENOMEM, at, "out of memory");
    mb_store_ptr(mb_slot(m, f->offset), items);
    size_t *count = mb_slot(m, f->count_offset);
    for (size_t i = 0; i < n; i++) {
        mb_frame frame = { at, MB_FRAME_INDEX, NULL, 0, i };
        char *item = items + i * f->elem_size;
        mb_value_zero(f, item);
        (*count)++;
        if ((rc = value_from_json(f, json_array_get(j, i), item, &frame, depth + 1, err)) < 0)
            return rc;
    }
    return 0;
}

static int map_from_json(const msgbus_field *f, const json_t *j, void *m, const mb_frame *at,
                         int depth, msgbus_error *err)
{
    int rc = expect(j, JSON_OBJECT, "object", at, err);
    if (rc < 0)
        return rc;
    size_t n = json_object_size(j);
    if (n == 0)
        return 0;
    char *entries = msgbus_calloc(n, f->elem_size);
    if (!entries)
        return mb_fail(err, MSGBUS_ENOMEM, at, "out of memory");
    mb_store_ptr(mb_slot(m, f->offset), entries);
    size_t *count = mb_slot(m, f->count_offset);
    for (void *it = json_object_iter((json_t *)j); it;
         it = json_object_iter_next((json_t *)j, it)) {
        const char *key = json_object_iter_key(it);
#if JANSSON_VERSION_HEX >= 0x020e00
        size_t key_len = json_object_iter_key_len(it);
#else
        size_t key_len = strlen(key);
#endif
        mb_frame frame = { at, MB_FRAME_KEY, key, key_len, 0 };
        if (strlen(key) != key_len)
            return mb_fail(err, MSGBUS_ETYPE, &frame,
                           "key contains \\u0000, which C strings cannot hold");
        char *entry = entries + *count * f->elem_size;
        char *owned = msgbus_strndup(key, key_len);
        if (!owned)
            return mb_fail(err, MSGBUS_ENOMEM, &frame, "out of memory");
        mb_store_ptr(entry, owned);
        mb_value_zero(f, entry + f->value_offset);
        (*count)++;
        rc = value_from_json(f, json_object_iter_value(it), entry + f->value_offset, &frame,
                             depth + 1, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int field_from_json(const msgbus_field *f, const json_t *v, void *m, const mb_frame *at,
                           int depth, msgbus_error *err)
{
    if (f->container == MSGBUS_LIST)
        return list_from_json(f, v, m, at, depth, err);
    if (f->container == MSGBUS_MAP)
        return map_from_json(f, v, m, at, depth, err);
    void *slot = mb_slot(m, f->offset);
    if (mb_is_record_ptr(f)) {
        int rc = expect(v, JSON_OBJECT, "object", at, err);
        if (rc < 0)
            return rc;
        void *rec = msgbus_malloc(f->record->size);
        if (!rec)
            return mb_fail(err, MSGBUS_ENOMEM, at, "out of memory");
        msgbus_value_init(f->record, rec);
        mb_store_ptr(slot, rec);
        return record_from_json(f->record, v, rec, at, depth, err);
    }
    int rc = value_from_json(f, v, slot, at, depth, err);
    if (rc == 0 && mb_has_flag(f))
        *(bool *)mb_slot(m, f->has_offset) = true;
    return rc;
}

static int record_from_json(const msgbus_type *type, const json_t *j, void *m,
                            const mb_frame *at, int depth, msgbus_error *err)
{
    int rc = expect(j, JSON_OBJECT, "object", at, err);
    if (rc < 0)
        return rc;
    if (depth >= MSGBUS_MAX_DEPTH)
        return mb_fail(err, MSGBUS_ELIMIT, at, "nesting deeper than %d objects and arrays",
                       MSGBUS_MAX_DEPTH);
    for (size_t i = 0; i < type->n_fields; i++) {
        const msgbus_field *f = &type->fields[i];
        mb_frame frame = { at, MB_FRAME_FIELD, f->name, 0, 0 };
        const json_t *v = json_object_get(j, f->name);
        if (v && json_is_null(v) && f->optional)
            continue;
        if (!v) {
            if (f->optional)
                continue;
            if (!f->default_value)
                return mb_fail(err, MSGBUS_ETYPE, &frame, "missing required field");
            if (f->scalar == MSGBUS_STRING && f->container == MSGBUS_SINGLE) {
                const char *text = f->default_value;
                char *copy = msgbus_strndup(text, strlen(text));
                if (!copy)
                    return mb_fail(err, MSGBUS_ENOMEM, &frame, "out of memory");
                mb_store_ptr(mb_slot(m, f->offset), copy);
            }
            continue;
        }
        if ((rc = field_from_json(f, v, m, &frame, depth + 1, err)) < 0)
            return rc;
    }
    return 0;
}

int msgbus_value_from_json(const msgbus_type *type, const json_t *json, void *m,
                           msgbus_error *err)
{
    msgbus_error_clear(err);
    if (!type || !m || !json)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "NULL argument");
    msgbus_value_init(type, m);
    int rc = record_from_json(type, json, m, NULL, 0, err);
    if (rc < 0)
        msgbus_value_clear(type, m);
    return rc;
}
