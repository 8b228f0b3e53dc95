/* async_job.c - one msgbus_async_handle: the message, then breadth first
 * what its handlers emit.  The handlers of the current message run
 * concurrently on the workers; when the last one is over, their results
 * and emits are taken in handler order, so the FIFO and the results come
 * out as the synchronous bus gives them.  All of it runs with the lock
 * held, on whichever thread finished the last call. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "async_internal.h"

static void push_done(async_job *job)
{
    async_done_push(job->abus, &job->done);
}

static void deliver(msgbus_async *abus, async_done *done)
{
    async_job *job = (async_job *)(void *)done;
    if (job->on_done)
        job->on_done(abus, job->status, job->results, &job->err, job->userdata);
    async_job_free(job);
}

async_job *async_job_new(msgbus_async *abus, const msgbus_msg *msg, msgbus_error *err)
{
    async_job *job = msgbus_calloc(1, sizeof *job);
    if (job == NULL)
        goto nomem;
    job->abus = abus;
    job->finished = push_done;
    job->done.deliver = deliver;
    job->current.type = msg->type;
    job->results = msgbus_results_new();
    job->current.data = msgbus_malloc(msg->type->size);
    /* Initialized at once: a job freed on failure clears it. */
    if (job->current.data)
        msgbus_value_init(msg->type, job->current.data);
    if (job->results == NULL || job->current.data == NULL)
        goto nomem;
    if (msgbus_value_copy(msg->type, job->current.data, msg) != 0)
        goto nomem;
    return job;
nomem:
    async_job_free(job);
    msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "out of memory copying a message");
    return NULL;
}

static void clear_fifo(async_job *job)
{
    for (; job->head < job->n; job->head++)
        async_msg_free(&job->fifo[job->head]);
    job->head = job->n = 0;
}

/* Frees the storage only the handling needs: on the worker that allocated
 * most of it, which keeps its allocator's caches warm. */
static void free_work_storage(async_job *job)
{
    size_t i;
    clear_fifo(job);
    msgbus_free(job->fifo);
    job->fifo = NULL;
    job->cap = 0;
    for (i = 0; i < job->cap_calls; i++)
        async_call_clear(&job->calls[i]);
    msgbus_free(job->calls);
    job->calls = NULL;
    job->cap_calls = 0;
}

void async_job_free(async_job *job)
{
    if (job == NULL)
        return;
    async_msg_free(&job->current);
    free_work_storage(job);
    msgbus_results_free(job->results);
    ctx_free(&job->shared);
    msgbus_free(job);
}

/* Records the error that stops the handle (the first one counts). */
static void fail(async_job *job, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void fail(async_job *job, int code, const char *fmt, ...)
{
    va_list ap;
    if (job->status != 0)
        return;
    va_start(ap, fmt);
    job->status = msgbus_error_setv(&job->err, code, NULL, fmt, ap);
    va_end(ap);
}

static void finish(async_job *job)
{
    async_msg_free(&job->current);
    if (job->n > job->head)             /* only a cancel leaves these */
        fail(job, MSGBUS_ECANCELED, "canceled by shutdown: %zu emitted messages not handled",
             job->n - job->head);
    free_work_storage(job);
    ctx_clear_pairs(&job->shared);
    job->finished(job);
}

enum { STARTED, NEXT, STOPPED };

/* Hands the current message's handlers to the workers. */
static int run_current(async_job *job)
{
    msgbus_async *abus = job->abus;
    const async_msg *m = &job->current;
    const handler_slot *slot = handler_table_find(&abus->bus->handlers, m->type);
    size_t i, n = slot ? slot->n : 0;
    if (n == 0) {
        if (m->type->kind == MSGBUS_KIND_EVENT) {
            bus_log(abus->bus, MSGBUS_LOG_INFO, "event %s has no handlers", m->type->name);
            return NEXT;
        }
        bus_log(abus->bus, MSGBUS_LOG_ERROR, "no handler for command %s", m->type->name);
        fail(job, MSGBUS_ENOHANDLER, "no handler for command %s", m->type->name);
        return STOPPED;
    }
    if (n > job->cap_calls) {
        size_t cap = n < 2 ? 2 : n;    /* a command, then an event's two */
        async_call *calls = msgbus_realloc(job->calls, cap * sizeof *calls);
        if (calls == NULL) {
            fail(job, MSGBUS_ENOMEM, "out of memory");
            return STOPPED;
        }
        /* No call is out (tokens point into calls[]), so it may move.
         * New calls start empty; reused ones were reset by collect(). */
        memset(calls + job->cap_calls, 0, (cap - job->cap_calls) * sizeof *calls);
        job->calls = calls;
        job->cap_calls = cap;
    }
    job->n_calls = job->running = n;
    for (i = 0; i < n; i++) {
        async_call *call = &job->calls[i];
        call->job = job;
        call->handler = &slot->items[i];
        call->token.call = call;
        call->ctx.bus = abus->bus;
        call->ctx.msg = m->data;
        call->ctx.handler = call->handler;
        call->ctx.id = m->id;
        call->ctx.correlation = job->correlation;
        call->ctx.causation = m->causation;
        call->ctx.seq = m->seq;
        call->ctx.async = call;
        call->ctx.shared = &job->shared;
        call->ctx.shared_lock = &abus->pairs_lock;
    }
    /* The others first: the last one may run on this very worker. */
    for (i = 0; i + 1 < n; i++)
        async_pool_push(abus, &job->calls[i]);
    async_pool_start_call(abus, &job->calls[n - 1]);
    return STARTED;
}

/* Appends the emits of a successful call to the FIFO, with their ids. */
static int take_emits(async_job *job, async_call *call)
{
    size_t i;
    if (job->n + call->n_emits > job->cap) {
        size_t cap = job->cap ? job->cap : 16;
        async_msg *fifo;
        while (job->n + call->n_emits > cap)
            cap *= 2;
        fifo = msgbus_realloc(job->fifo, cap * sizeof *fifo);
        if (fifo == NULL)
            return MSGBUS_ENOMEM;
        job->fifo = fifo;
        job->cap = cap;
    }
    for (i = 0; i < call->n_emits; i++) {
        async_msg *m = &job->fifo[job->n++];
        *m = call->emits[i];
        m->id = job->abus->next_id++;
        m->causation = job->current.id;
        m->seq = job->next_seq++;
    }
    call->n_emits = 0;
    return 0;
}

static const char *kind_name(const msgbus_type *type)
{
    return type->kind == MSGBUS_KIND_COMMAND ? "command" : "event";
}

/* The current message's calls are all over: results and emits in handler
 * order.  Returns NEXT or STOPPED. */
static int collect(async_job *job)
{
    const async_msg *m = &job->current;
    msgbus_bus *bus = job->abus->bus;
    size_t i;
    int next = NEXT;
    for (i = 0; i < job->n_calls; i++) {
        async_call *call = &job->calls[i];
        const char *name = call->handler->name;
        int status = call->status;
        const char *text = status == 0 ? ""
                         : call->ctx.error[0] ? call->ctx.error : msgbus_strerror(status);
        int rc = results_add(job->results, m->type, m->seq, m->id, name, status,
                             call->ctx.result, text);
        call->ctx.result = NULL;
        if (rc == 0 && status == 0)
            rc = take_emits(job, call);
        if (rc != 0) {
            fail(job, rc, "out of memory recording results");
            next = STOPPED;
        }
        if (status == 0)
            continue;
        bus_log(bus, MSGBUS_LOG_ERROR, "%s handler %s failed on %s: %s", kind_name(m->type),
                name, m->type->name, text);
        if (m->type->kind == MSGBUS_KIND_COMMAND || job->abort_code ||
            status == MSGBUS_ECANCELED) {
            fail(job, status, "%s handler %s failed on %s: %s", kind_name(m->type), name,
                 m->type->name, text);
            next = STOPPED;
        }
    }
    for (i = 0; i < job->n_calls; i++)
        async_call_reset(&job->calls[i]);
    job->n_calls = 0;
    return next;
}

/* Runs messages from the FIFO until one has handlers to wait for, or the
 * handle is over. */
static void advance(async_job *job, int state)
{
    while (state == NEXT) {
        async_msg_free(&job->current);
        if (job->head == job->n)
            break;
        if (job->abus->cancelling)
            break;                      /* finish() reports what is left */
        job->current = job->fifo[job->head++];
        if (job->head == job->n)
            job->head = job->n = 0;
        state = run_current(job);
    }
    if (state != STARTED)
        finish(job);
}

void async_job_start(async_job *job)
{
    msgbus_async *abus = job->abus;
    job->current.id = job->correlation = abus->next_id++;
    job->current.causation = 0;
    job->current.seq = 0;
    job->next_seq = 1;
    if (abus->cancelling) {
        fail(job, MSGBUS_ECANCELED, "canceled by shutdown before it started");
        finish(job);
        return;
    }
    advance(job, run_current(job));
}

void async_job_call_done(async_job *job)
{
    if (--job->running > 0)
        return;
    advance(job, collect(job));
}
