/* json_write.c - the one JSON writer behind msgbus_value_encode (text into
 * a msgbus_buf) and msgbus_value_to_json (a Jansson tree): a walk over the
 * descriptors that emits tokens, each written in the form the writer was
 * made for.  Keys come in schema order; absent optionals are left out.
 *
 * json_int_t is signed, so in a tree a uint64 above INT64_MAX becomes a
 * string of decimal digits, which msgbus_value_from_json accepts back. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "copy.h"
#include "scalars.h"

typedef struct writer {
    msgbus_buf *b;          /* the text form; NULL for the tree form */
    msgbus_error *err;
    json_t *root;           /* tree form: the result */
    json_t *cur;            /* tree form: the object or array being filled */
    const char *key;        /* tree form: the key of the next member of cur */
} writer;

/* Makes room for n more bytes plus the final NUL. */
static inline int reserve(writer *w, size_t n)
{
    msgbus_buf *b = w->b;
    if (b->cap - b->len > n)
        return 0;
    return msgbus_buf_reserve(b, n);
}

static inline int put(writer *w, const char *s, size_t n)
{
    if (reserve(w, n) < 0)
        return mb_fail(w->err, MSGBUS_ENOMEM, NULL, "out of memory");
    memcpy(w->b->data + w->b->len, s, n);
    w->b->len += n;
    return 0;
}

static inline int put_char(writer *w, char c)
{
    if (reserve(w, 1) < 0)
        return mb_fail(w->err, MSGBUS_ENOMEM, NULL, "out of memory");
    w->b->data[w->b->len++] = c;
    return 0;
}

/* Copies the bytes JSON strings hold as they are from s[i..n) to d + *len
 * and returns where they stop.  d has room for n - i more bytes and 2:
 * words are stored whole, the bytes after a stop are written again. */
static inline size_t copy_plain(const unsigned char *s, size_t i, size_t n, char *d,
                                size_t *len)
{
    size_t o = *len;
#ifdef MB_JSON_WORDS
    while (n - i >= 8) {
        uint64_t w;
        memcpy(&w, s + i, sizeof w);
        memcpy(d + o, &w, sizeof w);
        uint64_t flagged = mb_json_flags8(w);
        if (flagged) {
            size_t k = (size_t)(__builtin_ctzll(flagged) >> 3);
            *len = o + k;
            return i + k;
        }
        i += 8;
        o += 8;
    }
#endif
    while (i < n && mb_json_plain(s[i]))
        d[o++] = (char)s[i++];
    *len = o;
    return i;
}

/* A JSON string: escapes '"', '\\' and control characters; other UTF-8 is
 * copied as is after checking that it is well-formed.  Scans and copies in
 * one pass.  Returns 0, MSGBUS_ENOMEM, or MSGBUS_EINVAL with *bad at the
 * offending byte. */
static int write_string(msgbus_buf *b, const char *s, size_t *bad)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), i = 0;
    /* Room for the common case, no escapes: each escape makes its own. */
    if (b->cap - b->len <= n + 2 && msgbus_buf_reserve(b, n + 2) < 0)
        return MSGBUS_ENOMEM;
    char *d = b->data;
    size_t len = b->len;
    d[len++] = '"';
    /* From here on d has room for n - i more bytes, the quote and the NUL. */
    for (;;) {
        i = copy_plain(u, i, n, d, &len);
        if (i >= n)
            break;
        unsigned char c = u[i];
        if (c >= 0x80) {
            size_t end = mb_utf8_run_end(u, i, n);
            if (end - i <= 8 && n - i >= 8)
                memcpy(d + len, u + i, 8);  /* a word: the bytes after are written again */
            else
                mb_copy(d + len, u + i, end - i);
            len += end - i;
            i = end;
            if (i < n && u[i] >= 0x80) {
                *bad = i;
                b->len = len;
                d[len] = '\0';
                return MSGBUS_EINVAL;
            }
            continue;
        }
        /* one byte becomes up to six */
        if (b->cap - len <= (n - i) + 7) {
            b->len = len;
            if (msgbus_buf_reserve(b, (n - i) + 7) < 0) {
                d[len] = '\0';
                return MSGBUS_ENOMEM;
            }
            d = b->data;
        }
        char *esc = d + len;
        size_t esc_len = 2;
        esc[0] = '\\';
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            esc_len = 6;
            break;
        }
        len += esc_len;
        i++;
    }
    d[len++] = '"';
    d[len] = '\0';
    b->len = len;
    return 0;
}

static int put_string(writer *w, const char *s, const mb_frame *at)
{
    size_t bad = 0;
    int rc = write_string(w->b, s, &bad);
    if (rc == MSGBUS_ENOMEM)
        return mb_fail(w->err, rc, NULL, "out of memory");
    if (rc < 0)
        return mb_fail(w->err, rc, at, "invalid UTF-8 at byte %zu", bad);
    return 0;
}

static int put_record(writer *w, const msgbus_type *type, const void *m, const mb_frame *at);

/* ------------------------------------------------------------ tree form */

/* Adds v (a new reference, NULL when Jansson refused it) to the container
 * being filled, or makes it the root. */
static int tree_add(writer *w, json_t *v, const mb_frame *at)
{
    if (!v)
        return mb_fail(w->err, MSGBUS_ENOMEM, at, "out of memory");
    int rc = 0;
    if (!w->cur)
        w->root = v;
    else if (json_is_object(w->cur))
        rc = json_object_set_new(w->cur, w->key, v);
    else
        rc = json_array_append_new(w->cur, v);
    return rc < 0 ? mb_fail(w->err, MSGBUS_ENOMEM, at, "out of memory") : 0;
}

static int tree_string(writer *w, const char *s, size_t n, const mb_frame *at)
{
    if (!mb_utf8_valid(s, n))
        return mb_fail(w->err, MSGBUS_EINVAL, at, "invalid UTF-8");
    return tree_add(w, json_stringn(s, n), at);
}

/* ------------------------------------------------------- both forms */

/* Opens an object or an array; *saved restores the tree form's place. */
static int open_container(writer *w, bool object, json_t **saved, const mb_frame *at)
{
    if (w->b)
        return put_char(w, object ? '{' : '[');
    json_t *c = object ? json_object() : json_array();
    int rc = tree_add(w, c, at);
    if (rc < 0)
        return rc;
    *saved = w->cur;
    w->cur = c;
    return 0;
}

static int close_container(writer *w, bool object, json_t *saved)
{
    if (w->b)
        return put_char(w, object ? '}' : ']');
    w->cur = saved;
    return 0;
}

/* The key of a record member (a schema identifier: nothing to escape). */
static int put_field_key(writer *w, bool first, const char *name)
{
    if (!w->b) {
        w->key = name;
        return 0;
    }
    size_t n = strlen(name);
    if (reserve(w, n + 4) < 0)
        return mb_fail(w->err, MSGBUS_ENOMEM, NULL, "out of memory");
    char *o = w->b->data + w->b->len;
    if (!first)
        *o++ = ',';
    *o++ = '"';
    memcpy(o, name, n);
    o[n] = '"';
    o[n + 1] = ':';
    w->b->len = (size_t)(o + n + 2 - w->b->data);
    return 0;
}

/* The key of a map entry (any text). */
static int put_map_key(writer *w, bool first, const char *key, const mb_frame *at)
{
    if (!w->b) {
        if (!mb_utf8_valid(key, strlen(key)))
            return mb_fail(w->err, MSGBUS_EINVAL, at, "invalid UTF-8");
        w->key = key;
        return 0;
    }
    int rc = first ? 0 : put_char(w, ',');
    if (rc == 0)
        rc = put_string(w, key, at);
    return rc < 0 ? rc : put_char(w, ':');
}

/* One value of f's scalar type at p in the tree form. */
static int tree_value(writer *w, const msgbus_field *f, const void *p, const char *null_means,
                      const mb_frame *at)
{
    char text[40];          /* >= MB_NUMBER_TEXT, MB_TIMESTAMP_TEXT, MB_UUID_TEXT */
    json_t *v;
    int n;
    switch (f->scalar) {
    case MSGBUS_BOOL:
        v = json_boolean(*(const bool *)p);
        break;
    case MSGBUS_INT8: case MSGBUS_INT16: case MSGBUS_INT32: case MSGBUS_INT64:
        v = json_integer((json_int_t)mb_int_load(f->scalar, p));
        break;
    case MSGBUS_UINT8: case MSGBUS_UINT16: case MSGBUS_UINT32: case MSGBUS_UINT64: {
        uint64_t u = mb_uint_load(f->scalar, p);
        if (u <= INT64_MAX) {
            v = json_integer((json_int_t)u);
            break;
        }
        n = mb_format_uint(u, text);
        return tree_string(w, text, (size_t)n, at);
    }
    case MSGBUS_FLOAT: case MSGBUS_DOUBLE: {
        double d = f->scalar == MSGBUS_FLOAT ? (double)*(const float *)p : *(const double *)p;
        if (!isfinite(d))
            return mb_fail(w->err, MSGBUS_EINVAL, at, "NaN and infinities cannot be JSON");
        v = json_real(d);
        break;
    }
    case MSGBUS_STRING: {
        const char *s = mb_load_ptr(p);
        s = s ? s : null_means;
        return tree_string(w, s, strlen(s), at);
    }
    case MSGBUS_BYTES: {
        const msgbus_bytes *b = p;
        size_t len = mb_base64_length(b->len);
        char *t = msgbus_malloc(len + 1);
        if (!t)
            return mb_fail(w->err, MSGBUS_ENOMEM, at, "out of memory");
        if (b->len)
            mb_base64_encode(b->data, b->len, t);
        v = json_stringn(t, len);
        msgbus_free(t);
        break;
    }
    case MSGBUS_TIMESTAMP:
        n = mb_timestamp_format(p, text);
        if (n < 0)
            return mb_fail(w->err, MSGBUS_EINVAL, at,
                           "timestamp outside years 0001..9999 or nanos out of range");
        v = json_stringn(text, (size_t)n);
        break;
    case MSGBUS_UUID:
        mb_uuid_format(p, text);
        v = json_string(text);
        break;
    case MSGBUS_ENUM: {
        int e = *(const int *)p;
        const char *name = mb_enum_name(f->enumeration, e);
        if (!name)
            return mb_fail(w->err, MSGBUS_EINVAL, at, "%d is not a member of enum %s", e,
                           f->enumeration->name);
        v = json_string(name);
        break;
    }
    case MSGBUS_RECORD:
        return put_record(w, f->record, p, at);
    default:
        return mb_fail(w->err, MSGBUS_EINVAL, at, "unknown scalar type %d", (int)f->scalar);
    }
    return tree_add(w, v, at);
}



static int put_container(writer *w, const msgbus_field *f, const void *m, const mb_frame *at);

/* One value of f's scalar type at p; a NULL string is written as null_means. */
static int put_value(writer *w, const msgbus_field *f, const void *p, const char *null_means,
                     const mb_frame *at)
{
    if (mb_nested(f))
        return put_container(w, f->element, p, at);
    if (!w->b)
        return tree_value(w, f, p, null_means, at);
    char text[MB_NUMBER_TEXT];
    int n;
    switch (f->scalar) {
    case MSGBUS_BOOL:
        return *(const bool *)p ? put(w, "true", 4) : put(w, "false", 5);
    case MSGBUS_INT8: case MSGBUS_INT16: case MSGBUS_INT32: case MSGBUS_INT64:
        n = mb_format_int(mb_int_load(f->scalar, p), text);
        return put(w, text, (size_t)n);
    case MSGBUS_UINT8: case MSGBUS_UINT16: case MSGBUS_UINT32: case MSGBUS_UINT64:
        n = mb_format_uint(mb_uint_load(f->scalar, p), text);
        return put(w, text, (size_t)n);
    case MSGBUS_FLOAT:
    case MSGBUS_DOUBLE:
        n = f->scalar == MSGBUS_FLOAT ? mb_format_float(*(const float *)p, text)
                                      : mb_format_double(*(const double *)p, text);
        if (n < 0)
            return mb_fail(w->err, MSGBUS_EINVAL, at, "NaN and infinities cannot be JSON");
        return put(w, text, (size_t)n);
    case MSGBUS_STRING: {
        const char *s = mb_load_ptr(p);
        return put_string(w, s ? s : null_means, at);
    }
    case MSGBUS_BYTES: {
        const msgbus_bytes *b = p;
        size_t len = mb_base64_length(b->len);
        if (reserve(w, len + 2) < 0)
            return mb_fail(w->err, MSGBUS_ENOMEM, NULL, "out of memory");
        char *o = w->b->data + w->b->len;
        *o++ = '"';
        if (b->len)
            mb_base64_encode(b->data, b->len, o);
        o[len] = '"';
        w->b->len += len + 2;
        return 0;
    }
    case MSGBUS_TIMESTAMP: {
        char stamp[MB_TIMESTAMP_TEXT + 2];
        n = mb_timestamp_format(p, stamp + 1);
        if (n < 0)
            return mb_fail(w->err, MSGBUS_EINVAL, at,
                           "timestamp outside years 0001..9999 or nanos out of range");
        stamp[0] = '"';
        stamp[n + 1] = '"';
        return put(w, stamp, (size_t)n + 2);
    }
    case MSGBUS_UUID: {
        char uuid[MB_UUID_TEXT + 2];
        mb_uuid_format(p, uuid + 1);
        uuid[0] = '"';
        uuid[MB_UUID_TEXT] = '"';
        return put(w, uuid, MB_UUID_TEXT + 1);
    }
    case MSGBUS_ENUM: {
        int v = *(const int *)p;
        const char *name = mb_enum_name(f->enumeration, v);
        if (!name)
            return mb_fail(w->err, MSGBUS_EINVAL, at, "%d is not a member of enum %s", v,
                           f->enumeration->name);
        return put_string(w, name, at);
    }
    case MSGBUS_RECORD:
        return put_record(w, f->record, p, at);
    }
    return mb_fail(w->err, MSGBUS_EINVAL, at, "unknown scalar type %d", (int)f->scalar);
}

static int put_container(writer *w, const msgbus_field *f, const void *m, const mb_frame *at)
{
    size_t n = *(const size_t *)mb_cslot(m, f->count_offset);
    const char *items = mb_load_ptr(mb_cslot(m, f->offset));
    bool is_map = f->container == MSGBUS_MAP;
    json_t *saved = NULL;
    int rc = open_container(w, is_map, &saved, at);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *item = items + i * f->elem_size;
        mb_frame frame = { at, MB_FRAME_INDEX, NULL, 0, i };
        if (is_map) {
            const char *key = mb_load_ptr(item);
            key = key ? key : "";
            frame.kind = MB_FRAME_KEY;
            frame.name = key;
            frame.len = strlen(key);
            rc = put_map_key(w, i == 0, key, &frame);
            item += f->value_offset;
        } else if (i > 0 && w->b) {
            rc = put_char(w, ',');
        }
        if (rc == 0)
            rc = put_value(w, f, item, "", &frame);
    }
    return rc < 0 ? rc : close_container(w, is_map, saved);
}

static int put_field(writer *w, const msgbus_field *f, const void *m, const mb_frame *at)
{
    const void *slot = mb_cslot(m, f->offset);
    if (f->container != MSGBUS_SINGLE)
        return put_container(w, f, m, at);
    if (mb_is_record_ptr(f))
        return put_record(w, f->record, mb_load_ptr(slot), at);
    return put_value(w, f, slot, mb_string_default(f), at);
}

/* Whether an optional field is absent (and so left out). */
static bool is_absent(const msgbus_field *f, const void *m)
{
    if (mb_has_flag(f))
        return !*(const bool *)mb_cslot(m, f->has_offset);
    if (f->optional && f->container == MSGBUS_SINGLE)
        return mb_load_ptr(mb_cslot(m, f->offset)) == NULL;
    return false;
}

static int put_record(writer *w, const msgbus_type *type, const void *m, const mb_frame *at)
{
    json_t *saved = NULL;
    int rc = open_container(w, true, &saved, at);
    bool first = true;
    for (size_t i = 0; rc == 0 && i < type->n_fields; i++) {
        const msgbus_field *f = &type->fields[i];
        if (is_absent(f, m))
            continue;
        mb_frame frame = { at, MB_FRAME_FIELD, f->name, 0, 0 };
        rc = put_field_key(w, first, f->name);
        first = false;
        if (rc == 0)
            rc = put_field(w, f, m, &frame);
    }
    return rc < 0 ? rc : close_container(w, true, saved);
}

json_t *msgbus_value_to_json(const msgbus_type *type, const void *m)
{
    if (!type || !m)
        return NULL;
    writer w = { NULL, NULL, NULL, NULL, NULL };
    if (put_record(&w, type, m, NULL) < 0) {
        json_decref(w.root);
        return NULL;
    }
    return w.root;
}

int msgbus_value_encode_buf(const msgbus_type *type, const void *m, msgbus_buf *b,
                            msgbus_error *err)
{
    if (!type || !m || !b)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "NULL argument");
    writer w = { b, err, NULL, NULL, NULL };
    size_t start = b->len;
    int rc = put_record(&w, type, m, NULL);
    if (rc == 0 && reserve(&w, 0) < 0)
        rc = mb_fail(err, MSGBUS_ENOMEM, NULL, "out of memory");
    if (rc < 0)
        b->len = start;
    if (b->data)
        b->data[b->len] = '\0';
    return rc;
}

int msgbus_value_encode_err(const msgbus_type *type, const void *m, char **buf, size_t *len,
                            msgbus_error *err)
{
    if (!type || !m || !buf)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "NULL argument");
    char storage[MSGBUS_BUF_STORAGE];
    msgbus_buf b;
    msgbus_buf_init_storage(&b, storage, sizeof storage);
    int rc = msgbus_value_encode_buf(type, m, &b, err);
    if (rc < 0)
        return msgbus_buf_take(&b, rc, buf, len);
    if ((rc = msgbus_buf_take(&b, 0, buf, len)) < 0)
        return mb_fail(err, rc, NULL, "out of memory");
    return 0;
}

int msgbus_value_encode(const msgbus_type *type, const void *m, char **buf, size_t *len)
{
    return msgbus_value_encode_err(type, m, buf, len, NULL);
}

/* ------------------------------------------- steps for generated encoders */

int msgbus_json_put_string(msgbus_buf *b, const char *s)
{
    size_t bad;
    return write_string(b, s ? s : "", &bad);
}

int msgbus_json_put_int(msgbus_buf *b, int64_t v)
{
    if (b->cap - b->len <= MB_NUMBER_TEXT && msgbus_buf_reserve(b, MB_NUMBER_TEXT) < 0)
        return MSGBUS_ENOMEM;
    b->len += (size_t)mb_format_int(v, b->data + b->len);
    return 0;
}

int msgbus_json_put_uint(msgbus_buf *b, uint64_t v)
{
    if (b->cap - b->len <= MB_NUMBER_TEXT && msgbus_buf_reserve(b, MB_NUMBER_TEXT) < 0)
        return MSGBUS_ENOMEM;
    b->len += (size_t)mb_format_uint(v, b->data + b->len);
    return 0;
}

int msgbus_json_put_double(msgbus_buf *b, double v)
{
    if (b->cap - b->len <= MB_NUMBER_TEXT && msgbus_buf_reserve(b, MB_NUMBER_TEXT) < 0)
        return MSGBUS_ENOMEM;
    int n = mb_format_double(v, b->data + b->len);
    if (n < 0)
        return MSGBUS_EINVAL;
    b->len += (size_t)n;
    return 0;
}

int msgbus_json_put_float(msgbus_buf *b, float v)
{
    if (b->cap - b->len <= MB_NUMBER_TEXT && msgbus_buf_reserve(b, MB_NUMBER_TEXT) < 0)
        return MSGBUS_ENOMEM;
    int n = mb_format_float(v, b->data + b->len);
    if (n < 0)
        return MSGBUS_EINVAL;
    b->len += (size_t)n;
    return 0;
}

int msgbus_json_put_value(msgbus_buf *b, const msgbus_field *f, const void *p)
{
    if (!b || !f || !p)
        return MSGBUS_EINVAL;
    writer w = { b, NULL, NULL, NULL, NULL };
    int rc = put_value(&w, f, p, "", NULL);
    if (rc == 0 && b->data)
        b->data[b->len] = '\0';    /* the writer keeps room for it */
    return rc;
}
