/* async_call.c - one handler call on the async bus: run on a worker
 * (through the middleware, with retries), the messages it emits kept in
 * the call's own queue, and late completion through a token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "async_internal.h"

static int list_emit(msgbus_ctx *ctx, msgbus_msg *msg);
static const ctx_ops async_ops = { list_emit };

void async_call_drop_emits(async_call *call)
{
    if (call->n_emits == 0)
        return;
    queue_truncate(&call->emits, 0);
    /* Their room goes back to the handle's emit limit. */
    ATOMIC_SUB(&call->job->emits, call->n_emits);
    call->n_emits = 0;
}

void async_call_prepare(async_call *call, async_job *job, const handler_entry *h)
{
    msgbus_ctx *ctx = &call->ctx;
    call->task.is_job = false;
    call->job = job;
    call->handler = h;
    call->token.call = call;
    call->status = 0;
    call->deferred = call->returned = call->completed = false;
    call->completion = 0;
    ctx->bus = job->abus->bus;
    ctx->ops = &async_ops;
    ctx->msg = job->current.data;
    ctx->handler = h;
    ctx->id = job->current.id;
    ctx->correlation = job->correlation;
    ctx->causation = job->current.causation;
    ctx->seq = job->current.seq;
    ctx->owner = call;
    ctx->shared = &job->shared;
    ctx->shared_lock = &job->abus->pairs_lock;
}

void async_call_free(async_call *call)
{
    queue_free(&call->emits);
    call->n_emits = 0;
    ctx_free(&call->ctx);
}

int async_call_run(async_call *call)
{
    msgbus_bus *bus = call->job->abus->bus;
    msgbus_ctx *ctx = &call->ctx;
    int status;
    ctx->attempt = 0;
    for (;;) {
        bool retry = false;
        ctx->attempt++;
        bus_begin_call(ctx);
        status = bus->n_mw ? middleware_attempt(bus, ctx, call->handler, ctx->msg, &retry)
                           : bus_invoke(ctx, call->handler, ctx->msg);
        if (status == 0 || status == MSGBUS_PENDING)
            return status;
        if (status > 0)
            status = MSGBUS_EHANDLER;
        /* A deferred call's token belongs to someone else now: no retry.
         * deferred was set by this thread, in the handler. */
        if (!retry || call->deferred || ATOMIC_LOAD(&call->job->abort_code))
            return status;
        async_call_drop_emits(call);    /* a retried call does not emit twice */
    }
}

/* The final status of a call whose handler returned and, if deferred,
 * was completed; a failed call's emits are dropped.  Then the call is
 * over: true when it was the last one of its message. */
static bool settle(async_call *call)
{
    if (call->deferred && (call->status == 0 || call->status == MSGBUS_PENDING))
        call->status = call->completion > 0 ? MSGBUS_EHANDLER : call->completion;
    if (call->status == 0 && call->ctx.refused)
        call->status = call->ctx.refused;   /* an emit refused after the return */
    if (call->status != 0)
        async_call_drop_emits(call);
    return ATOMIC_SUB(&call->job->running, 1) == 0;
}

bool async_call_end(async_call *call, int status)
{
    msgbus_async *abus = call->job->abus;
    bool completed;
    if (status == MSGBUS_PENDING && !call->deferred) {
        snprintf(call->ctx.error, sizeof call->ctx.error,
                 "handler %s returned MSGBUS_PENDING without msgbus_ctx_defer",
                 call->handler->name);
        status = MSGBUS_EHANDLER;
    }
    call->status = status;
    if (!call->deferred)
        return settle(call);            /* nobody else knows the call */
    pthread_mutex_lock(&abus->lock);
    call->returned = true;
    completed = call->completed;
    pthread_mutex_unlock(&abus->lock);
    /* Not completed yet: msgbus_complete settles it. */
    return completed && settle(call);
}

static int list_emit(msgbus_ctx *ctx, msgbus_msg *msg)
{
    async_call *call = ctx->owner;
    async_job *job = call->job;
    size_t limit = job->abus->bus->emit_limit;
    int rc = policy_check_emit(ctx, msg);
    if (rc != 0)
        return rc;
    if (ATOMIC_ADD(&job->emits, 1) > limit) {
        ATOMIC_SUB(&job->emits, 1);
        ATOMIC_STORE(&job->abort_code, MSGBUS_ELIMIT);
        return policy_emit_limit(ctx, msg, limit);
    }
    /* Ids and sequence numbers are given when the job takes the emits. */
    if (queue_push(&call->emits, msg, 0, 0, 0, true) != 0) {
        ATOMIC_SUB(&job->emits, 1);
        snprintf(ctx->error, sizeof ctx->error, "out of memory queueing %s", msg->type->name);
        return bus_refuse_emit(ctx, msg, MSGBUS_ENOMEM);
    }
    call->n_emits++;
    msgbus_value_init(msg->type, msg);  /* the contents moved to the bus */
    return 0;
}

msgbus_token *msgbus_ctx_defer(msgbus_ctx *ctx)
{
    async_call *call = ctx && ctx->ops == &async_ops ? ctx->owner : NULL;
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
    /* Returned already: this thread ends the call, and if it was the last
     * one, a worker takes the job on. */
    if (call->returned && settle(call))
        async_job_resume(call->job);
    pthread_mutex_unlock(&abus->lock);
    return 0;
}
