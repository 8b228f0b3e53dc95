/* middleware.c - before/after hooks around each handler call, with timing
 * and retry.  A failed call's emitted messages are dropped, so a retried
 * call does not emit twice. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <time.h>
#include "bus_internal.h"
#include "clock.h"

int msgbus_use(msgbus_bus *bus, msgbus_before_fn before, msgbus_after_fn after,
               void *userdata)
{
    middleware *mw;
    if (bus == NULL || (before == NULL && after == NULL))
        return MSGBUS_EINVAL;
    if (bus->busy)
        return MSGBUS_ESTATE;
    mw = msgbus_realloc(bus->mw, (bus->n_mw + 1) * sizeof *mw);
    if (mw == NULL)
        return MSGBUS_ENOMEM;
    mw[bus->n_mw].before = before;
    mw[bus->n_mw].after = after;
    mw[bus->n_mw].userdata = userdata;
    bus->mw = mw;
    bus->n_mw++;
    return 0;
}

/* One attempt: befores in order, the handler, afters in reverse. */
int middleware_attempt(msgbus_bus *bus, msgbus_ctx *ctx, const handler_entry *h,
                       const msgbus_msg *msg, bool *retry)
{
    size_t ran, i;
    int status = 0;
    uint64_t start = clock_mono_ns(), elapsed;
    for (ran = 0; ran < bus->n_mw && status == 0; ran++)
        if (bus->mw[ran].before)
            status = bus->mw[ran].before(ctx, msg, bus->mw[ran].userdata);
    if (status == 0)
        status = bus_invoke(ctx, h, msg);
    elapsed = clock_mono_ns() - start;
    for (i = ran; i-- > 0;) {
        if (bus->mw[i].after) {
            int r = bus->mw[i].after(ctx, msg, status, elapsed, bus->mw[i].userdata);
            if (r == MSGBUS_RETRY)
                *retry = true;
            else
                status = r;
        }
    }
    return status;
}

int middleware_call(msgbus_bus *bus, msgbus_ctx *ctx, const handler_entry *h,
                    const msgbus_msg *msg)
{
    size_t mark = queue_mark(&bus->queue), emits = bus->emits, seq = bus->next_seq;
    int status;
    ctx->attempt = 0;
    for (;;) {
        bool retry = false;
        ctx->attempt++;
        bus_begin_call(ctx);
        status = middleware_attempt(bus, ctx, h, msg, &retry);
        if (status > 0)
            status = MSGBUS_EHANDLER;   /* e.g. MSGBUS_PENDING: not on a sync bus */
        if (status == 0)
            return 0;
        bus_rollback(bus, mark, emits, seq);
        if (!retry || bus->abort_code)
            return status;
    }
}
