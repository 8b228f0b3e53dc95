/* obs_call.c - what bus_invoke does around each handler call for
 * observability: the call's timing and counts for the metrics, and a
 * handler.failed event.  A bus without an event hook or metrics pays one
 * NULL test. */
#define _POSIX_C_SOURCE 200809L
#include "obs_internal.h"
#include "clock.h"

#include <time.h>

void obs_call_begin_slow(msgbus_ctx *ctx, obs_call *call)
{
    struct bus_obs *obs = ctx->bus->obs;
    call->started_ns = obs && obs->metrics_on ? clock_mono_ns() : 0;
}

void obs_call_end_slow(msgbus_ctx *ctx, const handler_entry *h, int status,
                       const obs_call *call)
{
    struct bus_obs *obs = ctx->bus->obs;
    const msgbus_type *type = ctx->msg ? ctx->msg->type : NULL;
    if (obs->metrics_on)
        metrics_record(obs, h, type, status, ctx->attempt > 1,
                       call->started_ns ? clock_mono_ns() - call->started_ns : 0);
    if (status >= 0 || !obs->event_fn)
        return;
    msgbus_event ev = { 0 };
    ev.kind = MSGBUS_EVENT_HANDLER_FAILED;
    ev.source = "bus";
    ev.message_id = msgbus_ctx_message_uuid(ctx);
    ev.correlation_id = msgbus_ctx_correlation_uuid(ctx);
    ev.type = type ? type->name : NULL;
    ev.handler = h->name;
    ev.attempt = (int)ctx->attempt;
    ev.code = status;
    ev.error = ctx->error[0] ? ctx->error : msgbus_strerror(status);
    msgbus_emit_event(ctx->bus, &ev);
}
