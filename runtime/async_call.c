/* async_call.c - one handler call on the async bus: run on a worker
 * (through the middleware, with retries), the messages it emits kept in
 * the call's own list, and late completion through a token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "async_internal.h"

void async_msg_free(async_msg *m)
{
    if (m->data) {
        msgbus_value_clear(m->type, m->data);
        msgbus_free(m->data);
    }
    m->data = NULL;
}

/* Drops the call's emits from n on and gives their room back to the
 * handle's emit limit (lock held, or the only thread touching call). */
static void drop_emits(async_call *call, size_t n)
{
    size_t i;
    for (i = n; i < call->n_emits; i++)
        async_msg_free(&call->emits[i]);
    call->job->emits -= call->n_emits - n;
    call->n_emits = n;
}

void async_call_reset(async_call *call)
{
    async_msg *emits = call->emits;
    size_t i, cap = call->cap_emits;
    for (i = 0; i < call->n_emits; i++)
        async_msg_free(&call->emits[i]);
    ctx_free(&call->ctx);
    memset(call, 0, sizeof *call);
    call->emits = emits;
    call->cap_emits = cap;
}

void async_call_clear(async_call *call)
{
    size_t i;
    for (i = 0; i < call->n_emits; i++)
        async_msg_free(&call->emits[i]);
    msgbus_free(call->emits);
    call->emits = NULL;
    call->n_emits = call->cap_emits = 0;
    ctx_free(&call->ctx);
}

int async_call_run(async_call *call)
{
    msgbus_async *abus = call->job->abus;
    msgbus_bus *bus = abus->bus;
    msgbus_ctx *ctx = &call->ctx;
    int status;
    ctx->attempt = 0;
    for (;;) {
        bool retry = false, stop;
        ctx->attempt++;
        bus_begin_call(ctx);
        status = bus->n_mw ? middleware_attempt(bus, ctx, call->handler, ctx->msg, &retry)
                           : bus_invoke(ctx, call->handler, ctx->msg);
        if (status == 0 || status == MSGBUS_PENDING)
            return status;
        if (status > 0)
            status = MSGBUS_EHANDLER;
        pthread_mutex_lock(&abus->lock);
        /* A deferred call's token belongs to someone else now: no retry. */
        stop = !retry || call->deferred || call->job->abort_code;
        if (!stop)
            drop_emits(call, 0);        /* a retried call does not emit twice */
        pthread_mutex_unlock(&abus->lock);
        if (stop)
            return status;
    }
}

void async_call_returned(async_call *call, int status)
{
    if (!call->returned) {
        call->returned = true;
        call->status = status;
        if (status == MSGBUS_PENDING && !call->deferred) {
            snprintf(call->ctx.error, sizeof call->ctx.error,
                     "handler %s returned MSGBUS_PENDING without msgbus_ctx_defer",
                     call->handler->name);
            call->status = MSGBUS_EHANDLER;
        }
    }
    if (call->deferred && !call->completed)
        return;                         /* msgbus_complete finishes it */
    if (call->deferred && (call->status == 0 || call->status == MSGBUS_PENDING))
        call->status = call->completion > 0 ? MSGBUS_EHANDLER : call->completion;
    if (call->status == 0 && call->ctx.refused)
        call->status = call->ctx.refused;   /* an emit refused after the return */
    if (call->status != 0)
        drop_emits(call, 0);
    async_job_call_done(call->job);
}

int async_emit(msgbus_ctx *ctx, msgbus_msg *msg)
{
    async_call *call = ctx->async;
    async_job *job = call->job;
    msgbus_async *abus = job->abus;
    const msgbus_type *type = msg->type;
    async_msg *m;
    pthread_mutex_lock(&abus->lock);
    if (job->emits >= abus->bus->emit_limit) {
        job->abort_code = MSGBUS_ELIMIT;
        pthread_mutex_unlock(&abus->lock);
        snprintf(ctx->error, sizeof ctx->error,
                 "emit limit reached: %zu messages emitted in one handle (handler %s, %s)",
                 abus->bus->emit_limit, ctx->handler->name, type->name);
        return bus_refuse_emit(ctx, msg, MSGBUS_ELIMIT);
    }
    job->emits++;
    pthread_mutex_unlock(&abus->lock);
    if (call->n_emits == call->cap_emits) {
        size_t cap = call->cap_emits ? call->cap_emits * 2 : 4;
        async_msg *emits = msgbus_realloc(call->emits, cap * sizeof *emits);
        if (emits == NULL)
            goto nomem;
        call->emits = emits;
        call->cap_emits = cap;
    }
    m = &call->emits[call->n_emits];
    m->type = type;
    m->data = msgbus_malloc(type->size);
    if (m->data == NULL)
        goto nomem;
    memcpy(m->data, msg, type->size);   /* the contents move to the bus */
    msgbus_value_init(type, msg);
    call->n_emits++;
    return 0;
nomem:
    pthread_mutex_lock(&abus->lock);
    job->emits--;
    pthread_mutex_unlock(&abus->lock);
    snprintf(ctx->error, sizeof ctx->error, "out of memory queueing %s", type->name);
    return bus_refuse_emit(ctx, msg, MSGBUS_ENOMEM);
}

msgbus_token *msgbus_ctx_defer(msgbus_ctx *ctx)
{
    async_call *call = ctx ? ctx->async : NULL;
    msgbus_token *token = NULL;
    if (call == NULL)
        return NULL;
    pthread_mutex_lock(&call->job->abus->lock);
    if (!call->deferred && !call->returned) {
        call->deferred = true;
        token = &call->token;
    }
    pthread_mutex_unlock(&call->job->abus->lock);
    return token;
}

msgbus_ctx *msgbus_token_ctx(msgbus_token *token)
{
    return token ? &token->call->ctx : NULL;
}

int msgbus_complete(msgbus_token *token, int status)
{
    async_call *call;
    msgbus_async *abus;
    if (token == NULL)
        return MSGBUS_EINVAL;
    call = token->call;
    abus = call->job->abus;
    pthread_mutex_lock(&abus->lock);
    call->completed = true;
    call->completion = status;
    if (call->returned)
        async_call_returned(call, call->status);
    pthread_mutex_unlock(&abus->lock);
    return 0;
}
