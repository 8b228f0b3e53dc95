/* json_raw.c - msgbus_json_put_raw: JSON text that is already encoded (a
 * stored payload, say) appended as one value, after the same strict check
 * the decoders make (msgbus_buf(3)), so a buffer never receives text that
 * is not JSON. */
#include <string.h>

#include "json_read.h"

int msgbus_json_put_raw(msgbus_buf *b, const char *json, size_t len, msgbus_error *err)
{
    msgbus_error_clear(err);
    if (!b || (!json && len > 0))
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "NULL argument");
    if (len > MSGBUS_MAX_INPUT)
        return msgbus_error_set(err, MSGBUS_ELIMIT, NULL,
                                "JSON text of %zu bytes exceeds the limit of %zu", len,
                                (size_t)MSGBUS_MAX_INPUT);
    int rc = mb_validate(json ? json : "", len, err);
    if (rc < 0)
        return rc;
    /* Valid JSON is a value between optional whitespace: copy the value. */
    while (len > 0 && mb_json_space(*json)) {
        json++;
        len--;
    }
    while (len > 0 && mb_json_space(json[len - 1]))
        len--;
    rc = msgbus_buf_append(b, json, len);
    if (rc < 0)
        return msgbus_error_set(err, rc, NULL, "out of memory");
    return 0;
}
