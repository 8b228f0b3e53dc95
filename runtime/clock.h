/* clock.h - the monotonic clock the runtime and its backends time things
 * with (call durations, batch durations, waits).  Inline, as it sits on
 * the per-call path; the file including it defines _POSIX_C_SOURCE. */
#ifndef MSGBUS_CLOCK_H
#define MSGBUS_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int64_t clock_mono_ms(void)
{
    return clock_mono_ns() / 1000000;
}

#endif /* MSGBUS_CLOCK_H */
