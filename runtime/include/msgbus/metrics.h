/* msgbus/metrics.h - per-handler counters of a bus: calls, failures,
 * retries and a latency histogram with fixed buckets, read as a snapshot
 * or as the Prometheus text format.  See msgbus_metrics(3). */
#ifndef MSGBUS_METRICS_H
#define MSGBUS_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <msgbus/types.h>
#include <msgbus/bus.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The latency buckets' upper bounds, in microseconds: 50, 100, 250, 500,
 * 1000, 2500, 5000, 10000, 25000, 100000, 1000000, 10000000; calls slower
 * than the last fall in one more bucket (+Inf). */
#define MSGBUS_METRICS_BUCKETS 12

/* The counters of one handler of one type. */
typedef struct msgbus_handler_metrics {
    const char *handler;        /* the handler's name (borrowed from the bus) */
    const char *type;           /* the full type name it handled (borrowed) */
    uint64_t calls;             /* every call, retries included */
    uint64_t failures;          /* calls that returned an error */
    uint64_t retries;           /* calls that were a retry (attempt > 1, msgbus_use(3)) */
    /* Calls by duration: latency[i] counts those up to bound i (and above
     * bound i - 1); latency[MSGBUS_METRICS_BUCKETS] those above the last. */
    uint64_t latency[MSGBUS_METRICS_BUCKETS + 1];
    uint64_t latency_sum_us;    /* total time in the handler */
} msgbus_handler_metrics;

/* The bucket bounds in microseconds (MSGBUS_METRICS_BUCKETS of them). */
const int64_t *msgbus_metrics_bounds_us(void);

/* Starts (on non-zero) or stops keeping metrics on bus; off by default,
 * since timing each call costs two clock reads.  Stopping keeps what was
 * counted.  Returns 0, MSGBUS_EINVAL (no bus) or MSGBUS_ENOMEM. */
int msgbus_bus_enable_metrics(msgbus_bus *bus, int on);

/* A snapshot: *out (free with msgbus_free) gets one entry per handler
 * and type that was called, in first-call order; *n how many.  Safe while
 * an async bus runs handlers.  Returns 0, MSGBUS_EINVAL or MSGBUS_ENOMEM. */
int msgbus_bus_metrics(msgbus_bus *bus, msgbus_handler_metrics **out, size_t *n);

/* The snapshot in the Prometheus text exposition format, as a new string
 * (free with msgbus_free): the counters msgbus_handler_calls_total,
 * msgbus_handler_failures_total, msgbus_handler_retries_total and the
 * histogram msgbus_handler_duration_seconds, labelled handler and type.
 * Returns 0, MSGBUS_EINVAL or MSGBUS_ENOMEM. */
int msgbus_bus_metrics_prometheus(msgbus_bus *bus, char **text);

#ifdef __cplusplus
}
#endif

#endif /* MSGBUS_METRICS_H */
