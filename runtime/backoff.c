/* backoff.c - delay before retrying a failed outbox row: exponential,
 * capped, with "equal jitter" so relays that failed together spread out but
 * never retry sooner than half the nominal delay. */
#include <msgbus/outbox.h>

int64_t msgbus_outbox_backoff(const msgbus_outbox_options *opts, int attempts,
                              uint64_t random)
{
    int64_t base = opts->backoff_base_ms > 0 ? opts->backoff_base_ms : 0;
    int64_t cap = opts->backoff_max_ms > 0 ? opts->backoff_max_ms : 0;
    int64_t d = base;
    for (int i = 1; i < attempts && d < cap; i++)
        d = d > INT64_MAX / 2 ? INT64_MAX : d * 2;
    if (d > cap)
        d = cap;
    int64_t half = d / 2;
    return d - half + (half > 0 ? (int64_t)(random % (uint64_t)(half + 1)) : 0);
}
