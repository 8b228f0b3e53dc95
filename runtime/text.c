/* text.c - the text forms of timestamps and UUIDs, for callers: the same
 * functions the JSON codec uses. */
#include <msgbus/value.h>
#include "scalars.h"

int msgbus_timestamp_to_text(const msgbus_timestamp *ts, char out[MSGBUS_TIMESTAMP_TEXT_SIZE])
{
    int n = ts && out ? mb_timestamp_format(ts, out) : -1;
    return n < 0 ? MSGBUS_EINVAL : n;
}

int msgbus_timestamp_from_text(const char *text, size_t len, msgbus_timestamp *out)
{
    return text && out && mb_timestamp_parse(text, len, out) == 0 ? 0 : MSGBUS_EINVAL;
}

void msgbus_uuid_to_text(const msgbus_uuid *u, char out[MSGBUS_UUID_TEXT_SIZE])
{
    mb_uuid_format(u, out);
}

int msgbus_uuid_from_text(const char *text, size_t len, msgbus_uuid *out)
{
    return text && out && mb_uuid_parse(text, len, out) == 0 ? 0 : MSGBUS_EINVAL;
}
