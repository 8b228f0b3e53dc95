/* text.c - the text forms of timestamps and UUIDs, for callers: the same
 * functions the JSON codec uses. */
#include <msgbus/value.h>
#include "scalars.h"

int msgbus_timestamp_to_text(const msgbus_timestamp *ts, char out[MSGBUS_TIMESTAMP_TEXT_SIZE])
{
    int n = ts && out ? mb_timestamp_format(ts, out) : -1;
    return n < 0 ? MSGBUS_EINVAL : n;
}

msgbus_timestamp msgbus_timestamp_from_ms(int64_t ms)
{
    msgbus_timestamp ts = { ms / 1000, (int32_t)(ms % 1000) * 1000000 };
    if (ts.nanos < 0) {         /* C division truncates toward zero */
        ts.seconds--;
        ts.nanos += 1000000000;
    }
    return ts;
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
