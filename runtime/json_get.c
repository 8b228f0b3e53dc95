/* json_get.c - the reading steps of generated decoders (msgbus/json_get.h):
 * thin doors into json_decode.c and json_read.c, so a generated X_decode
 * and msgbus_value_decode share every rule, error text and position. */
#include "json_decode.h"

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
    char *k;
    bool nul;       /* a key holding "\u0000" matches no field name anyway */
    int rc = mb_object_next(in, first, &k, len, &nul, at);
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

int msgbus_json_get_value(msgbus_json_in *in, const msgbus_field *f, void *p,
                          const msgbus_json_path *at)
{
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
    int rc = mb_array_next(in, first, at);
    if (rc != 1)
        return rc;
    rc = mb_decode_item(in, f, m, cap, item, at);
    return rc < 0 ? rc : 1;
}
