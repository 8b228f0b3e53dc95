/* json_decode.c - msgbus_value_decode and msgbus_value_from_json: JSON
 * text, or a Jansson tree, straight into the struct, driven by the
 * descriptors.  One set of rules for both forms: the reader (json_read.h)
 * hides which one it walks.
 *
 * Rules (see also value.h):
 *  - integer fields take JSON integers only: "1.0" or "1e3" is a type error,
 *    even when integral; the range is checked exactly for every width;
 *  - a missing required field (no default) is a type error; a missing
 *    required string with a default gets a copy of its default;
 *  - a key repeated among a record's fields or a map's keys is a type error;
 *    unknown keys are skipped (their value still fully validated);
 *  - when the text does not fit the schema, the whole text is still checked
 *    and a syntax error anywhere in it wins over the type error. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_decode.h"
#include "json_read.h"
#include "scalars.h"

static int decode_record(mb_reader *r, const msgbus_type *type, void *m, const mb_frame *at);

/* What a field expects, for "expected X, got Y". */
static const char *expected_name(const msgbus_field *f)
{
    switch (f->scalar) {
    case MSGBUS_BOOL: return "boolean";
    case MSGBUS_FLOAT: case MSGBUS_DOUBLE: return "number";
    case MSGBUS_STRING: case MSGBUS_BYTES: return "string";
    case MSGBUS_TIMESTAMP: return "timestamp string";
    case MSGBUS_UUID: return "uuid string";
    case MSGBUS_ENUM: return "enum name string";
    case MSGBUS_RECORD: return "object";
    default: return "integer";
    }
}

static int type_error(mb_reader *r, mb_kind got, const char *expected, const mb_frame *at)
{
    if (got == MB_KIND_INVALID)
        return mb_skip_value(r, at);        /* reports the syntax error */
    return mb_reader_fail(r, MSGBUS_ETYPE, r->pos, at, "expected %s, got %s", expected,
                          mb_kind_name(r, got));
}

/* Shows a token in a message, shortened if long. */
#define TOKEN_FMT "%.*s%s"
#define TOKEN_ARGS(s, n) (int)((n) > 40 ? 40 : (n)), (s), ((n) > 40 ? "..." : "")

static int decode_integer(mb_reader *r, const msgbus_field *f, void *p, const mb_frame *at)
{
    size_t start = r->pos;
    mb_number num;
    int rc = mb_read_number(r, &num, at);
    if (rc < 0)
        return rc;
    if (!num.integer)
        return mb_reader_fail(r, MSGBUS_ETYPE, start, at, "expected integer, got " TOKEN_FMT,
                              TOKEN_ARGS(num.text, num.len));
    uint64_t magnitude = 0;
    bool fits = true;
    size_t i = num.negative;
    /* 19 digits always fit in 64 bits: no overflow test for those */
    for (size_t short_end = num.len - i <= 19 ? num.len : i; i < short_end; i++)
        magnitude = magnitude * 10 + (unsigned)(num.text[i] - '0');
    for (; i < num.len && fits; i++) {
        unsigned d = (unsigned)(num.text[i] - '0');
        if (magnitude > (UINT64_MAX - d) / 10)
            fits = false;
        else
            magnitude = magnitude * 10 + d;
    }
    if (!fits || !mb_int_fits(f->scalar, num.negative, magnitude))
        return mb_reader_fail(r, MSGBUS_ERANGE, start, at, TOKEN_FMT " is out of range for %s",
                              TOKEN_ARGS(num.text, num.len), mb_scalar_name(f->scalar));
    mb_int_store(f->scalar, p, num.negative, magnitude);
    return 0;
}

static int decode_real(mb_reader *r, const msgbus_field *f, void *p, const mb_frame *at)
{
    size_t start = r->pos;
    mb_number num;
    int rc = mb_read_number(r, &num, at);
    if (rc < 0)
        return rc;
    double d;
    rc = mb_parse_double(num.text, num.len, &d);
    if (rc == MSGBUS_ENOMEM)
        return mb_reader_fail(r, rc, start, at, "out of memory");
    if (f->scalar == MSGBUS_FLOAT) {
        /* Values from FLT_MAX up to the midpoint towards 2^128 round to
         * FLT_MAX; beyond it they would be infinite. */
        if (rc == 0 && fabs(d) >= 0x1.ffffffp127)
            rc = -1;
        if (rc == 0)
            *(float *)p = fabs(d) > FLT_MAX ? (d < 0 ? -FLT_MAX : FLT_MAX) : (float)d;
    } else if (rc == 0) {
        *(double *)p = d;
    }
    if (rc < 0)
        return mb_reader_fail(r, MSGBUS_ERANGE, start, at, TOKEN_FMT " is out of range for %s",
                              TOKEN_ARGS(num.text, num.len), mb_scalar_name(f->scalar));
    return 0;
}

/* A string token whose text is parsed by `parse` (base64, timestamp ...). */
static int decode_text(mb_reader *r, const msgbus_field *f, void *p, const mb_frame *at)
{
    size_t start = r->pos;
    char *s;
    size_t n;
    bool nul;
    int rc = mb_read_string(r, MB_STRING_SCRATCH, &s, &n, &nul, at);
    if (rc < 0)
        return rc;
    switch (f->scalar) {
    case MSGBUS_BYTES:
        rc = nul ? -1 : mb_base64_decode(s, n, p);
        if (rc == MSGBUS_ENOMEM)
            return mb_reader_fail(r, rc, start, at, "out of memory");
        if (rc < 0)
            return mb_reader_fail(r, MSGBUS_ETYPE, start, at, "invalid base64 \"" TOKEN_FMT "\"",
                                  TOKEN_ARGS(s, n));
        return 0;
    case MSGBUS_TIMESTAMP:
        if (nul || mb_timestamp_parse(s, n, p) < 0)
            return mb_reader_fail(r, MSGBUS_ETYPE, start, at,
                                  "invalid RFC 3339 timestamp \"" TOKEN_FMT "\"", TOKEN_ARGS(s, n));
        return 0;
    case MSGBUS_UUID:
        if (nul || mb_uuid_parse(s, n, p) < 0)
            return mb_reader_fail(r, MSGBUS_ETYPE, start, at, "invalid uuid \"" TOKEN_FMT "\"",
                                  TOKEN_ARGS(s, n));
        return 0;
    default: /* MSGBUS_ENUM */
        if (nul || mb_enum_value(f->enumeration, s, n, p) < 0)
            return mb_reader_fail(r, MSGBUS_ETYPE, start, at, "\"" TOKEN_FMT "\" is not a member of %s",
                                  TOKEN_ARGS(s, n), f->enumeration->name);
        return 0;
    }
}

/* A uint64 as a string of decimal digits: how msgbus_value_to_json writes
 * one above INT64_MAX, which json_int_t cannot hold.  Both forms take it,
 * so that they agree. */
static int decode_uint64_digits(mb_reader *r, void *p, const mb_frame *at)
{
    char *s;
    size_t n;
    bool nul;
    int rc = mb_read_string(r, MB_STRING_VIEW, &s, &n, &nul, at);
    if (rc < 0)
        return rc;
    if (n == 0 || n > 20 || (s[0] == '0' && n > 1) || nul)
        return mb_reader_fail(r, MSGBUS_ETYPE, 0, at, "expected integer, got string");
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return mb_reader_fail(r, MSGBUS_ETYPE, 0, at, "expected integer, got string");
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return mb_reader_fail(r, MSGBUS_ERANGE, 0, at, TOKEN_FMT " is out of range for uint64",
                                  TOKEN_ARGS(s, n));
        v = v * 10 + d;
    }
    *(uint64_t *)p = v;
    return 0;
}

static int decode_container(mb_reader *r, const msgbus_field *f, void *m, const mb_frame *at);

/* One value of f's scalar type into p (in its zero state). */
static int decode_value(mb_reader *r, const msgbus_field *f, void *p, const mb_frame *at)
{
    if (mb_nested(f))
        return decode_container(r, f->element, p, at);
    mb_kind kind = mb_next_kind(r);
    switch (f->scalar) {
    case MSGBUS_BOOL:
        if (kind != MB_KIND_TRUE && kind != MB_KIND_FALSE)
            return type_error(r, kind, "boolean", at);
        *(bool *)p = kind == MB_KIND_TRUE;
        return mb_read_literal(r, kind, at);
    case MSGBUS_FLOAT: case MSGBUS_DOUBLE:
        if (kind != MB_KIND_NUMBER)
            return type_error(r, kind, "number", at);
        return decode_real(r, f, p, at);
    case MSGBUS_STRING: {
        if (kind != MB_KIND_STRING)
            return type_error(r, kind, "string", at);
        size_t start = r->pos, n;
        char *s;
        bool nul;
        int rc = mb_read_string(r, MB_STRING_OWN, &s, &n, &nul, at);
        if (rc < 0)
            return rc;
        if (nul) {
            msgbus_free(s);
            return mb_reader_fail(r, MSGBUS_ETYPE, start, at,
                                  "string contains \\u0000, which C strings cannot hold");
        }
        mb_store_ptr(p, s);
        return 0;
    }
    case MSGBUS_BYTES: case MSGBUS_TIMESTAMP: case MSGBUS_UUID: case MSGBUS_ENUM:
        if (kind != MB_KIND_STRING)
            return type_error(r, kind, expected_name(f), at);
        return decode_text(r, f, p, at);
    case MSGBUS_RECORD:
        return decode_record(r, f->record, p, at);
    default:
        if (kind == MB_KIND_STRING && f->scalar == MSGBUS_UINT64)
            return decode_uint64_digits(r, p, at);
        if (kind != MB_KIND_NUMBER)
            return type_error(r, kind, "integer", at);
        return decode_integer(r, f, p, at);
    }
}

/* Makes room for one more element in a list or map being decoded. */
static int grow(void *slot, size_t n, size_t *cap, size_t elem_size)
{
    if (n < *cap)
        return 0;
    size_t new_cap = *cap ? *cap * 2 : 4;
    if (new_cap > SIZE_MAX / elem_size)
        return MSGBUS_ENOMEM;
    void *items = msgbus_realloc(mb_load_ptr(slot), new_cap * elem_size);
    if (!items)
        return MSGBUS_ENOMEM;
    mb_store_ptr(slot, items);
    *cap = new_cap;
    return 0;
}

static int decode_list(mb_reader *r, const msgbus_field *f, void *m, const mb_frame *at)
{
    mb_kind kind = mb_next_kind(r);
    if (kind != MB_KIND_ARRAY)
        return type_error(r, kind, "array", at);
    int rc = mb_open(r, at);
    size_t *count = mb_slot(m, f->count_offset), cap = 0;
    bool first = true;
    /* The count grows with each element, so a failure leaves a struct that
     * msgbus_value_clear frees completely. */
    while (rc == 0 && (rc = mb_array_next(r, &first, at)) == 1) {
        mb_frame frame = { at, MB_FRAME_INDEX, NULL, 0, *count };
        void *item;
        if ((rc = mb_decode_item(r, f, m, &cap, &item, at)) < 0)
            return rc;
        rc = decode_value(r, f, item, &frame);
    }
    return rc;
}

int mb_decode_item(mb_reader *r, const msgbus_field *f, void *m, size_t *cap, void **item,
                   const mb_frame *at)
{
    void *slot = mb_slot(m, f->offset);
    size_t *count = mb_slot(m, f->count_offset);
    if (grow(slot, *count, cap, f->elem_size) < 0)
        return mb_reader_fail(r, MSGBUS_ENOMEM, r->pos, at, "out of memory");
    *item = (char *)mb_load_ptr(slot) + *count * f->elem_size;
    mb_value_zero(f, *item);
    (*count)++;
    return 0;
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A key may appear once in a map.  Small maps compare pairs; large ones
 * sort the keys, so hostile input cannot make this quadratic. */
static int check_unique_keys(mb_reader *r, const msgbus_field *f, const char *entries,
                             size_t n, const mb_frame *at)
{
    const char *dup = NULL;
    if (n <= 16) {
        for (size_t i = 0; i < n && !dup; i++)
            for (size_t k = i + 1; k < n && !dup; k++)
                if (strcmp(mb_load_ptr(entries + i * f->elem_size),
                           mb_load_ptr(entries + k * f->elem_size)) == 0)
                    dup = mb_load_ptr(entries + k * f->elem_size);
    } else {
        char **keys = msgbus_malloc(n * sizeof *keys);
        if (!keys)
            return mb_reader_fail(r, MSGBUS_ENOMEM, r->pos, at, "out of memory");
        for (size_t i = 0; i < n; i++)
            keys[i] = mb_load_ptr(entries + i * f->elem_size);
        qsort(keys, n, sizeof *keys, compare_keys);
        for (size_t i = 1; i < n && !dup; i++)
            if (strcmp(keys[i - 1], keys[i]) == 0)
                dup = keys[i];
        msgbus_free(keys);
    }
    if (!dup)
        return 0;
    mb_frame frame = { at, MB_FRAME_KEY, dup, strlen(dup), 0 };
    return mb_reader_fail(r, MSGBUS_ETYPE, r->pos, &frame, "duplicate key");
}

static int decode_map(mb_reader *r, const msgbus_field *f, void *m, const mb_frame *at)
{
    mb_kind kind = mb_next_kind(r);
    if (kind != MB_KIND_OBJECT)
        return type_error(r, kind, "object", at);
    int rc = mb_open(r, at);
    void *slot = mb_slot(m, f->offset);
    size_t *count = mb_slot(m, f->count_offset), cap = 0;
    bool first = true;
    char *key;
    size_t key_len;
    bool nul;
    while (rc == 0 && (rc = mb_object_next(r, &first, &key, &key_len, &nul, at)) == 1) {
        mb_frame frame = { at, MB_FRAME_KEY, key, key_len, 0 };
        if (nul)
            return mb_reader_fail(r, MSGBUS_ETYPE, r->pos, &frame,
                                  "key contains \\u0000, which C strings cannot hold");
        char *owned = msgbus_strndup(key, key_len);
        if (!owned || grow(slot, *count, &cap, f->elem_size) < 0) {
            msgbus_free(owned);
            return mb_reader_fail(r, MSGBUS_ENOMEM, r->pos, at, "out of memory");
        }
        char *entry = (char *)mb_load_ptr(slot) + *count * f->elem_size;
        memset(entry, 0, f->elem_size);
        mb_store_ptr(entry, owned);
        mb_value_zero(f, entry + f->value_offset);
        (*count)++;
        frame.name = owned;         /* the scratch key is reused below */
        rc = decode_value(r, f, entry + f->value_offset, &frame);
    }
    return rc == 0 ? check_unique_keys(r, f, mb_load_ptr(slot), *count, at) : rc;
}

/* A list or map (also one inside another: msgbus_field.element). */
static int decode_container(mb_reader *r, const msgbus_field *f, void *m, const mb_frame *at)
{
    return f->container == MSGBUS_MAP ? decode_map(r, f, m, at) : decode_list(r, f, m, at);
}

static int decode_field(mb_reader *r, const msgbus_field *f, void *m, const mb_frame *at)
{
    if (f->container != MSGBUS_SINGLE)
        return decode_container(r, f, m, at);
    void *slot = mb_slot(m, f->offset);
    if (!f->optional)
        return decode_value(r, f, slot, at);
    mb_kind kind = mb_next_kind(r);
    if (kind == MB_KIND_NULL)
        return mb_read_literal(r, kind, at);        /* null: absent */
    if (mb_is_record_ptr(f)) {
        if (kind != MB_KIND_OBJECT)
            return type_error(r, kind, "object", at);
        void *rec = msgbus_malloc(f->record->size);
        if (!rec)
            return mb_reader_fail(r, MSGBUS_ENOMEM, r->pos, at, "out of memory");
        msgbus_value_init(f->record, rec);
        mb_store_ptr(slot, rec);
        return decode_record(r, f->record, rec, at);
    }
    int rc = decode_value(r, f, slot, at);
    if (rc == 0 && mb_has_flag(f))
        *(bool *)mb_slot(m, f->has_offset) = true;
    return rc;
}

/* Index of the field named key[0..n), or n_fields.  Keys usually come in
 * schema order, so the search starts after the previous match. */
static size_t find_field(const msgbus_type *type, const char *key, size_t n, size_t hint)
{
    for (size_t k = 0; k < type->n_fields; k++) {
        size_t i = hint + k < type->n_fields ? hint + k : hint + k - type->n_fields;
        const char *name = type->fields[i].name;
        size_t j = 0;
        while (j < n && name[j] == key[j])
            j++;
        if (j == n && name[n] == '\0')
            return i;
    }
    return type->n_fields;
}

/* Fields absent from the object: an error unless they may be absent. */
static int finish_record(mb_reader *r, const msgbus_type *type, void *m, const bool *seen,
                         size_t end, const mb_frame *at)
{
    for (size_t i = 0; i < type->n_fields; i++) {
        const msgbus_field *f = &type->fields[i];
        int rc = seen[i] || f->optional ? 0 : mb_decode_missing(r, f, m, end, at);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int mb_decode_missing(mb_reader *r, const msgbus_field *f, void *m, size_t end,
                      const mb_frame *at)
{
    mb_frame frame = { at, MB_FRAME_FIELD, f->name, 0, 0 };
    if (!f->default_value)
        return mb_reader_fail(r, MSGBUS_ETYPE, end, &frame, "missing required field");
    if (f->scalar == MSGBUS_STRING && f->container == MSGBUS_SINGLE) {
        const char *text = f->default_value;
        char *copy = msgbus_strndup(text, strlen(text));
        if (!copy)
            return mb_reader_fail(r, MSGBUS_ENOMEM, end, &frame, "out of memory");
        mb_store_ptr(mb_slot(m, f->offset), copy);
    }
    return 0;
}

static int decode_record(mb_reader *r, const msgbus_type *type, void *m, const mb_frame *at)
{
    mb_kind kind = mb_next_kind(r);
    if (kind != MB_KIND_OBJECT)
        return type_error(r, kind, "object", at);
    bool seen_small[64], *seen = seen_small;
    if (type->n_fields > 64) {
        seen = msgbus_calloc(type->n_fields, sizeof *seen);
        if (!seen)
            return mb_reader_fail(r, MSGBUS_ENOMEM, r->pos, at, "out of memory");
    } else {
        memset(seen_small, 0, sizeof seen_small);
    }
    int rc = mb_open(r, at);
    size_t hint = 0;
    bool first = true;
    char *key;
    size_t key_len;
    bool nul;
    while (rc == 0 && (rc = mb_object_next(r, &first, &key, &key_len, &nul, at)) == 1) {
        size_t i = nul ? type->n_fields : find_field(type, key, key_len, hint);
        if (i == type->n_fields) {
            mb_frame frame = { at, MB_FRAME_KEY, key, key_len, 0 };
            rc = mb_skip_value(r, &frame);
            continue;
        }
        const msgbus_field *f = &type->fields[i];
        mb_frame frame = { at, MB_FRAME_FIELD, f->name, 0, 0 };
        if (seen[i]) {
            rc = mb_reader_fail(r, MSGBUS_ETYPE, r->pos, &frame, "duplicate key");
            break;
        }
        seen[i] = true;
        hint = i + 1;
        rc = decode_field(r, f, m, &frame);
    }
    if (rc == 0)
        rc = finish_record(r, type, m, seen, r->pos, at);
    if (seen != seen_small)
        msgbus_free(seen);
    return rc;
}

/* The descriptor walk as the read step of mb_decode_text. */
static int read_record(mb_reader *r, void *m, const mb_frame *at)
{
    return decode_record(r, r->type, m, at);
}

int msgbus_value_decode(const msgbus_type *type, const char *text, size_t len, void *m,
                        msgbus_error *err)
{
    return mb_decode_text(type, read_record, text, len, m, err);
}

int mb_decode_text(const msgbus_type *type, msgbus_json_read_fn *read, const char *text,
                   size_t len, void *m, msgbus_error *err)
{
    msgbus_error_clear(err);
    if (!type || !m || (!text && len))
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "NULL argument");
    msgbus_value_init(type, m);
    if (len > MSGBUS_MAX_INPUT)
        return msgbus_error_set(err, MSGBUS_ELIMIT, NULL,
                                "JSON text of %zu bytes exceeds the limit of %zu", len,
                                MSGBUS_MAX_INPUT);
    mb_reader r;
    mb_reader_init(&r, text ? text : "", len, err);
    r.type = type;
    int rc = read(&r, m, NULL);
    if (rc == 0 && !mb_at_end(&r))
        rc = mb_reader_fail(&r, MSGBUS_ESYNTAX, r.pos, NULL,
                            "unexpected text after the JSON value");
    mb_reader_free(&r);
    if (rc < 0) {
        msgbus_value_clear(type, m);
        /* Malformed text is reported as such even when the schema
         * mismatch came first. */
        if (rc == MSGBUS_ETYPE || rc == MSGBUS_ERANGE) {
            msgbus_error syntax;
            int vrc = mb_validate(text ? text : "", len, &syntax);
            if (vrc < 0 && vrc != MSGBUS_ENOMEM) {
                if (err)
                    *err = syntax;
                rc = vrc;
            }
        }
    }
    return rc;
}

int msgbus_value_from_json(const msgbus_type *type, const json_t *json, void *m,
                           msgbus_error *err)
{
    msgbus_error_clear(err);
    if (!type || !m || !json)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "NULL argument");
    msgbus_value_init(type, m);
    mb_tree_frame stack[MSGBUS_MAX_DEPTH + 1];
    mb_reader r;
    mb_reader_init_tree(&r, json, stack, err);
    int rc = decode_record(&r, type, m, NULL);
    if (rc < 0) {
        msgbus_value_clear(type, m);
        /* As for text: nesting too deep anywhere wins over a mismatch. */
        if (rc == MSGBUS_ETYPE || rc == MSGBUS_ERANGE) {
            msgbus_error limit;
            int vrc = mb_validate_tree(json, &limit);
            if (vrc < 0) {
                if (err)
                    *err = limit;
                rc = vrc;
            }
        }
    }
    return rc;
}

/* ------------------------------------ entries for json_get.c (X_decode) */

int mb_decode_value(mb_reader *r, const msgbus_field *f, void *p, const mb_frame *at)
{
    return decode_value(r, f, p, at);
}

int mb_decode_field(mb_reader *r, const msgbus_field *f, void *m, const mb_frame *at)
{
    return decode_field(r, f, m, at);
}

int mb_decode_type_error(mb_reader *r, mb_kind got, const char *expected, const mb_frame *at)
{
    return type_error(r, got, expected, at);
}
