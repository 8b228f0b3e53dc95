/* obs_internal.h - what a bus keeps for observability: the event hook,
 * the per-handler metrics and the hooks bus.c calls around each handler
 * call.  Allocated on first use, so a bus that uses none of it pays one
 * NULL test per handler call. */
#ifndef MSGBUS_OBS_INTERNAL_H
#define MSGBUS_OBS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <msgbus/events.h>
#include "bus_internal.h"

typedef struct handler_metrics handler_metrics;   /* metrics.c */

struct bus_obs {
    msgbus_event_fn event_fn;
    void *event_userdata;
    /* metrics.c: per-handler counters, behind a lock (async workers). */
    bool metrics_on;
    pthread_mutex_t lock;
    handler_metrics *metrics;
    size_t n_metrics, cap_metrics;
    size_t last_metric;         /* the entry found last: tried first */
};

/* bus->obs, created if missing; NULL when out of memory. */
struct bus_obs *obs_of(msgbus_bus *bus);
void obs_free(struct bus_obs *obs);

/* Around one handler call (bus_invoke).  obs_call_end reports a failure
 * to the hook and counts the call in the metrics. */
typedef struct obs_call {
    int64_t started_ns;         /* 0: not timed */
} obs_call;

void obs_call_begin_slow(msgbus_ctx *ctx, obs_call *call);
void obs_call_end_slow(msgbus_ctx *ctx, const handler_entry *h, int status,
                       const obs_call *call);

/* Inline: on the dispatch path; the work is out of line. */
static inline void obs_call_begin(msgbus_ctx *ctx, obs_call *call)
{
    call->started_ns = 0;
    if (ctx->bus->obs)
        obs_call_begin_slow(ctx, call);
}

static inline void obs_call_end(msgbus_ctx *ctx, const handler_entry *h, int status,
                                const obs_call *call)
{
    if (ctx->bus->obs)
        obs_call_end_slow(ctx, h, status, call);
}

/* metrics.c */
void metrics_record(struct bus_obs *obs, const handler_entry *h, const msgbus_type *type,
                    int status, bool retry, int64_t elapsed_ns);
void metrics_free(struct bus_obs *obs);

#endif /* MSGBUS_OBS_INTERNAL_H */
