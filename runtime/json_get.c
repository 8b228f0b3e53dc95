/* json_get.c - the reading steps of generated decoders (msgbus/json_get.h):
 * thin doors into json_decode.c and json_read.c, so a generated X_decode
 * and msgbus_value_decode share every rule, error text and position. */
#include <string.h>

#include "copy.h"
#include "json_decode.h"
#include "scalars.h"

int msgbus_json_get_message(const msgbus_type *type, msgbus_json_read_fn *read,
                            const char *text, size_t len, void *m, msgbus_error *err)
{
    if (!read) {
        msgbus_error_clear(err);
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "NULL argument");
    }
    return mb_decode_text(type, read, text, len, m, err);
}

int msgbus_json_get_object(msgbus_json_in *in, const msgbus_json_path *at)
{
    mb_kind kind = mb_next_kind(in);
    if (kind != MB_KIND_OBJECT)
        return mb_decode_type_error(in, kind, "object", at);
    return mb_open(in, at);
}

int msgbus_json_get_array(msgbus_json_in *in, const msgbus_json_path *at)
{
    mb_kind kind = mb_next_kind(in);
    if (kind != MB_KIND_ARRAY)
        return mb_decode_type_error(in, kind, "array", at);
    return mb_open(in, at);
}

int msgbus_json_get_key(msgbus_json_in *in, bool *first, const char **key, size_t *len,
                        const msgbus_json_path *at)
{
    char *k = NULL;
    bool nul;       /* a key holding "\u0000" matches no field name anyway */
    int rc = mb_object_next_compact(in, first, &k, len);
    if (rc >= 0) {
        *key = k;
        return rc;
    }
    rc = mb_object_next(in, first, &k, len, &nul, at);
    *key = k;
    return rc;
}

int msgbus_json_get_skip(msgbus_json_in *in, const char *key, size_t len,
                         const msgbus_json_path *at)
{
    mb_frame frame = { at, MB_FRAME_KEY, key, len, 0 };
    return mb_skip_value(in, &frame);
}

int msgbus_json_get_duplicate(msgbus_json_in *in, const msgbus_json_path *at)
{
    return mb_reader_fail(in, MSGBUS_ETYPE, in->pos, at, "duplicate key");
}

int msgbus_json_get_missing(msgbus_json_in *in, const msgbus_field *f, void *m,
                            const msgbus_json_path *at)
{
    return mb_decode_missing(in, f, m, in->pos, at);
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* The common cases of msgbus_json_get_value in place, for compact text: a
 * boolean, an integer that fits its field, a double of plain digits that
 * reads without overflow.  Each succeeds only where mb_decode_value would
 * store the same value and stop at the same byte; anything else (spaces
 * first, other types, errors) returns false, having moved nothing, and
 * the decoder decides. */
static bool get_value_compact(msgbus_json_in *in, const msgbus_field *f, void *p)
{
    const unsigned char *u = (const unsigned char *)in->text;
    size_t i = in->pos, n = in->len;
    if (mb_is_tree(in) || i >= n || mb_nested(f))
        return false;
    switch (f->scalar) {
    case MSGBUS_BOOL:
        if (n - i >= 4 && memcmp(u + i, "true", 4) == 0) {
            *(bool *)p = true;
            in->pos = i + 4;
            return true;
        }
        if (n - i >= 5 && memcmp(u + i, "false", 5) == 0) {
            *(bool *)p = false;
            in->pos = i + 5;
            return true;
        }
        return false;
    case MSGBUS_INT8: case MSGBUS_INT16: case MSGBUS_INT32: case MSGBUS_INT64:
    case MSGBUS_UINT8: case MSGBUS_UINT16: case MSGBUS_UINT32: case MSGBUS_UINT64: {
        bool negative = u[i] == '-';
        size_t start = i += negative;
        uint64_t magnitude = 0;
        if (i < n && u[i] == '0')
            i++;
        else
            for (; i < n && is_digit(u[i]) && i - start < 19; i++)
                magnitude = magnitude * 10 + (unsigned)(u[i] - '0');
        /* no digit, a leading zero, 20 digits, a fraction or an exponent */
        if (i == start || i >= n || is_digit(u[i]) || u[i] == '.' || u[i] == 'e' ||
            u[i] == 'E' || !mb_int_fits(f->scalar, negative, magnitude))
            return false;
        mb_int_store(f->scalar, p, negative, magnitude);
        in->pos = i;
        return true;
    }
    case MSGBUS_DOUBLE: {
        size_t start = i;
        i += u[i] == '-';
        if (i < n && u[i] == '0')
            i++;
        else if (i < n && is_digit(u[i]))
            while (i < n && is_digit(u[i]))
                i++;
        else
            return false;
        if (i < n && u[i] == '.') {
            size_t point = ++i;
            while (i < n && is_digit(u[i]))
                i++;
            if (i == point)
                return false;
        }
        if (i >= n || is_digit(u[i]) || u[i] == 'e' || u[i] == 'E')
            return false;
        double d;
        if (mb_parse_double(in->text + start, i - start, &d) != 0)
            return false;
        *(double *)p = d;
        in->pos = i;
        return true;
    }
    default:
        return false;
    }
}

int msgbus_json_get_value(msgbus_json_in *in, const msgbus_field *f, void *p,
                          const msgbus_json_path *at)
{
    if (get_value_compact(in, f, p))
        return 0;
    return mb_decode_value(in, f, p, at);
}

int msgbus_json_get_field(msgbus_json_in *in, const msgbus_field *f, void *m,
                          const msgbus_json_path *at)
{
    return mb_decode_field(in, f, m, at);
}

int msgbus_json_get_item(msgbus_json_in *in, const msgbus_field *f, void *m, bool *first,
                         size_t *cap, void **item, const msgbus_json_path *at)
{
    int rc = mb_array_next_compact(in, first);
    if (rc < 0)
        rc = mb_array_next(in, first, at);
    if (rc != 1)
        return rc;
    rc = mb_decode_item(in, f, m, cap, item, at);
    return rc < 0 ? rc : 1;
}

int msgbus_json_get_string(msgbus_json_in *in, const msgbus_field *f, char **p,
                           const msgbus_json_path *at)
{
    /* The common case in place: a string without escapes or non-ASCII
     * bytes, copied straight out of the text.  Anything else, and any
     * error, is the decoder's (mb_decode_value). */
    if (!mb_is_tree(in)) {
        const unsigned char *u = (const unsigned char *)in->text;
        size_t quote = in->pos;
        if (quote < in->len && u[quote] != '"') {
            mb_skip_space(in);
            quote = in->pos;
        }
        if (quote < in->len && u[quote] == '"') {
            size_t start = quote + 1, end = mb_json_plain_end(u, start, in->len);
            if (end < in->len && u[end] == '"') {
                char *copy = msgbus_malloc(end - start + 1);
                if (!copy)
                    return mb_reader_fail(in, MSGBUS_ENOMEM, start, at, "out of memory");
                mb_copy(copy, u + start, end - start);
                copy[end - start] = '\0';
                *p = copy;
                in->pos = end + 1;
                return 0;
            }
        }
    }
    return mb_decode_value(in, f, p, at);
}
