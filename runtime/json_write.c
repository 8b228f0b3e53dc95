/* json_write.c - msgbus_value_encode: compact JSON text written straight
 * from the struct into a growable buffer, keys in schema order. */
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "scalars.h"

typedef struct writer {
    char *buf;
    size_t len, cap;
    msgbus_error *err;
} writer;

/* Makes room for n more bytes plus the final NUL. */
static int reserve(writer *w, size_t n)
{
    if (w->cap - w->len > n)
        return 0;
    size_t cap = w->cap ? w->cap : 256;
    while (cap - w->len <= n) {
        if (cap > SIZE_MAX / 2)
            return MSGBUS_ENOMEM;
        cap *= 2;
    }
    char *buf = msgbus_realloc(w->buf, cap);
    if (!buf)
        return MSGBUS_ENOMEM;
    w->buf = buf;
    w->cap = cap;
    return 0;
}

static int put(writer *w, const char *s, size_t n)
{
    if (reserve(w, n) < 0)
        return mb_fail(w->err, MSGBUS_ENOMEM, NULL, "out of memory");
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    return 0;
}

static int put_char(writer *w, char c)
{
    return put(w, &c, 1);
}

/* A JSON string: escapes '"', '\\' and control characters; other UTF-8 is
 * copied as is after checking that it is well-formed. */
static int put_string(writer *w, const char *s, const mb_frame *at)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), start = 0, i = 0;
    if (put_char(w, '"') < 0)
        return MSGBUS_ENOMEM;
    while (i < n) {
        unsigned char c = u[i];
        if (c >= 0x80) {
            size_t len = mb_utf8_sequence(u + i, n - i);
            if (len == 0)
                return mb_fail(w->err, MSGBUS_EINVAL, at, "invalid UTF-8 at byte %zu", i);
            i += len;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        if (put(w, s + start, i - start) < 0)
            return MSGBUS_ENOMEM;
        char esc[6] = { '\\', 0, '0', '0', hex[c >> 4], hex[c & 15] };
        size_t esc_len = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default: esc[1] = 'u'; esc_len = 6; break;
        }
        if (put(w, esc, esc_len) < 0)
            return MSGBUS_ENOMEM;
        start = ++i;
    }
    if (put(w, s + start, n - start) < 0 || put_char(w, '"') < 0)
        return MSGBUS_ENOMEM;
    return 0;
}

static int put_record(writer *w, const msgbus_type *type, const void *m, const mb_frame *at);

/* One value of f's scalar type at p; a NULL string is written as null_means. */
static int put_value(writer *w, const msgbus_field *f, const void *p, const char *null_means,
                     const mb_frame *at)
{
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
        w->buf[w->len++] = '"';
        if (b->len)
            mb_base64_encode(b->data, b->len, w->buf + w->len);
        w->len += len;
        w->buf[w->len++] = '"';
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
    if (put_char(w, is_map ? '{' : '[') < 0)
        return MSGBUS_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const char *item = items + i * f->elem_size;
        mb_frame frame = { at, MB_FRAME_INDEX, NULL, 0, i };
        if (i > 0 && put_char(w, ',') < 0)
            return MSGBUS_ENOMEM;
        if (is_map) {
            const char *key = mb_load_ptr(item);
            key = key ? key : "";
            frame.kind = MB_FRAME_KEY;
            frame.name = key;
            frame.len = strlen(key);
            int rc = put_string(w, key, &frame);
            if (rc < 0 || (rc = put_char(w, ':')) < 0)
                return rc;
            item += f->value_offset;
        }
        int rc = put_value(w, f, item, "", &frame);
        if (rc < 0)
            return rc;
    }
    return put_char(w, is_map ? '}' : ']');
}

static int put_field(writer *w, const msgbus_field *f, const void *m, const mb_frame *at)
{
    const void *slot = mb_cslot(m, f->offset);
    int rc = put_char(w, '"');
    if (rc == 0)
        rc = put(w, f->name, strlen(f->name));
    if (rc == 0)
        rc = put(w, "\":", 2);
    if (rc < 0)
        return rc;
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
    if (put_char(w, '{') < 0)
        return MSGBUS_ENOMEM;
    bool first = true;
    for (size_t i = 0; i < type->n_fields; i++) {
        const msgbus_field *f = &type->fields[i];
        if (is_absent(f, m))
            continue;
        if (!first && put_char(w, ',') < 0)
            return MSGBUS_ENOMEM;
        first = false;
        mb_frame frame = { at, MB_FRAME_FIELD, f->name, 0, 0 };
        int rc = put_field(w, f, m, &frame);
        if (rc < 0)
            return rc;
    }
    return put_char(w, '}');
}

int msgbus_value_encode_err(const msgbus_type *type, const void *m, char **buf, size_t *len,
                            msgbus_error *err)
{
    if (!type || !m || !buf)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "NULL argument");
    writer w = { NULL, 0, 0, err };
    int rc = put_record(&w, type, m, NULL);
    if (rc == 0 && reserve(&w, 0) < 0)
        rc = mb_fail(err, MSGBUS_ENOMEM, NULL, "out of memory");
    if (rc < 0) {
        msgbus_free(w.buf);
        *buf = NULL;
        if (len)
            *len = 0;
        return rc;
    }
    w.buf[w.len] = '\0';
    *buf = w.buf;
    if (len)
        *len = w.len;
    return 0;
}

int msgbus_value_encode(const msgbus_type *type, const void *m, char **buf, size_t *len)
{
    return msgbus_value_encode_err(type, m, buf, len, NULL);
}
