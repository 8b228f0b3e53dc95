/* async_job.c - one msgbus_async_handle: the message, then breadth first
 * what its handlers emit, driven by one worker at a time (the runner).
 *
 * The runner runs the handlers of a message itself, one after another,
 * when handing them to other workers would cost more than it gains: they
 * are cheap (their mean duration, measured, is under HANDOFF_NS) or there
 * is one worker.  Otherwise the others go to the task queue and run
 * concurrently; the last call to end makes its thread the runner.  Either
 * way, results and emits are then taken in handler order, so the FIFO and
 * the results come out as the synchronous bus gives them.  Jobs are kept
 * on a free list with their storage, and the calls and FIFO of a running
 * job are the worker's (async_scratch, async_pool.c), so a handle in steady
 * state allocates nothing. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "async_internal.h"
#include "clock.h"

/* About what a hand-off to another worker costs (queue, wake-up). */
#define HANDOFF_NS 20000u
/* Jobs kept for reuse beyond those in flight. */
#define MAX_FREE_JOBS 16384

enum { NEXT, STOPPED, WAITING };

static void push_done(async_job *job)
{
    async_done_push(job->abus, &job->done);
}

static void deliver(msgbus_async *abus, async_done *done)
{
    async_job *job = (async_job *)(void *)done;
    if (job->on_done)
        job->on_done(abus, job->status, &job->results, &job->err, job->userdata);
    async_job_put(job);
}

static void job_free(async_job *job)
{
    msgbus_free(job->buf);
    async_scratch_give(NULL, job->s, 0);
    msgbus_results_reset(&job->results);
    msgbus_free(job->results.items);
    msgbus_free(job->results.texts);
    ctx_free(&job->shared);
    msgbus_free(job);
}

async_job *async_job_get(msgbus_async *abus)
{
    async_job *job;
    pthread_mutex_lock(&abus->free_lock);
    job = abus->free_jobs;
    if (job) {
        abus->free_jobs = job->next_free;
        abus->n_free--;
    }
    pthread_mutex_unlock(&abus->free_lock);
    if (job)
        return job;
    job = msgbus_calloc(1, sizeof *job);
    if (job == NULL)
        return NULL;
    job->abus = abus;
    job->task.is_job = true;
    job->done.deliver = deliver;
    job->finished = push_done;
    return job;
}

void async_job_put(async_job *job)
{
    msgbus_async *abus = job->abus;
    if (job->current.data) {            /* never started */
        msgbus_value_clear(job->current.type, job->current.data);
        job->current.data = NULL;
    }
    msgbus_results_reset(&job->results);
    if (job->status != 0)
        msgbus_error_clear(&job->err);  /* clean whenever status is 0 */
    job->status = 0;
    job->emits = 0;
    job->abort_code = 0;
    job->ending = NULL;
    job->finished = push_done;
    job->owner = NULL;
    job->on_done = NULL;
    job->userdata = NULL;
    pthread_mutex_lock(&abus->free_lock);
    if (abus->n_free < MAX_FREE_JOBS) {
        job->next_free = abus->free_jobs;
        abus->free_jobs = job;
        abus->n_free++;
        job = NULL;
    }
    pthread_mutex_unlock(&abus->free_lock);
    if (job)
        job_free(job);
}

void async_job_free_all(msgbus_async *abus)
{
    while (abus->free_jobs) {
        async_job *job = abus->free_jobs;
        abus->free_jobs = job->next_free;
        job_free(job);
    }
    abus->n_free = 0;
}

int async_job_reserve(async_job *job, const msgbus_type *type)
{
    unsigned char *p;
    if (type->size <= job->buf_cap)
        return 0;
    p = msgbus_realloc(job->buf, type->size);
    if (p == NULL)
        return MSGBUS_ENOMEM;
    job->buf = p;
    job->buf_cap = type->size;
    return 0;
}

int async_job_copy(async_job *job, const msgbus_msg *msg)
{
    const msgbus_type *type = msg->type;
    if (async_job_reserve(job, type) != 0)
        return MSGBUS_ENOMEM;
    msgbus_value_init(type, job->buf);
    if (msgbus_value_copy(type, job->buf, msg) != 0) {
        msgbus_value_clear(type, job->buf);
        return MSGBUS_ENOMEM;
    }
    job->current.type = type;
    job->current.data = job->buf;
    return 0;
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

static void clear_current(async_job *job)
{
    if (job->current.data)
        msgbus_value_clear(job->current.type, job->current.data);
    job->current.data = NULL;
}

static size_t fifo_count(const msg_queue *q)
{
    size_t n = 0, at;
    for (at = q->head; at < q->tail; n++)
        at += ((const queue_entry *)(const void *)(q->buf + at))->size;
    return n;
}

/* The handle is over: returns the job for its finished hook; its scratch
 * goes to w. */
static async_job *finish(async_job *job, async_worker *w)
{
    clear_current(job);
    if (job->s && !queue_empty(&job->s->fifo)) {    /* a stop or a cancel leaves these */
        fail(job, MSGBUS_ECANCELED, "canceled by shutdown: %zu emitted messages not handled",
             fifo_count(&job->s->fifo));
        queue_truncate(&job->s->fifo, 0);
    }
    if (job->s)
        async_scratch_give(w, job->s, job->status);
    job->s = NULL;
    if (job->shared.n_pairs)
        ctx_clear_pairs(&job->shared);
    if (job->ending)
        job->ending(job);
    return job;
}

void async_job_start(async_job *job)
{
    msgbus_async *abus = job->abus;
    job->current.id = job->correlation = async_next_id(abus);
    job->current.causation = 0;
    job->current.seq = 0;
    job->next_seq = 1;
    job->resume = false;
    if (async_cancelling(abus)) {
        fail(job, MSGBUS_ECANCELED, "canceled by shutdown before it started");
        finish(job, NULL)->finished(job);
        return;
    }
    async_pool_push(abus, &job->task);
}

void async_job_resume(async_job *job)
{
    job->resume = true;
    async_pool_push(job->abus, &job->task);
}

/* The next message from the FIFO into current; false when there is none
 * to handle. */
static bool next_message(async_job *job)
{
    queue_entry *e = queue_front(&job->s->fifo);
    if (e == NULL || async_cancelling(job->abus))
        return false;                   /* finish() reports what is left */
    if (async_job_reserve(job, e->type) != 0) {
        fail(job, MSGBUS_ENOMEM, "out of memory");
        return false;
    }
    /* Moved out, so the FIFO may grow under it. */
    memcpy(job->buf, queue_entry_msg(e), e->type->size);
    job->current.type = e->type;
    job->current.data = job->buf;
    job->current.id = e->id;
    job->current.causation = e->causation;
    job->current.seq = e->seq;
    queue_pop(&job->s->fifo);
    return true;
}

/* Appends the emits of a successful call to the FIFO, with their ids. */
static int take_emits(async_job *job, async_call *call)
{
    queue_entry *e;
    while ((e = queue_front(&call->emits)) != NULL) {
        if (queue_push(&job->s->fifo, queue_entry_msg(e), async_next_id(job->abus),
                       job->current.id, job->next_seq, true) != 0)
            return MSGBUS_ENOMEM;
        job->next_seq++;
        queue_pop(&call->emits);
    }
    call->n_emits = 0;
    return 0;
}

/* The current message's calls are all over: results and emits in handler
 * order.  Returns NEXT or STOPPED. */
static int collect(async_job *job)
{
    size_t i;
    int next = NEXT;
    for (i = 0; i < job->n_calls; i++) {
        async_call *call = &job->s->calls[i];
        bool aborting = ATOMIC_LOAD(&job->abort_code) != 0 || call->status == MSGBUS_ECANCELED;
        int rc = policy_call_over(&call->ctx, call->status, aborting, &job->results,
                                  job->status ? NULL : &job->err);
        if (rc == 0 && call->status == 0 && take_emits(job, call) != 0)
            rc = msgbus_error_set(job->status ? NULL : &job->err, MSGBUS_ENOMEM, NULL,
                                  "out of memory recording results");
        if (rc != 0) {
            if (job->status == 0)
                job->status = rc;
            next = STOPPED;
        }
        async_call_drop_emits(call);    /* of a failed call, or not taken */
    }
    job->n_calls = 0;
    return next;
}

static bool runs_inline(const msgbus_async *abus, const handler_entry *items, size_t n)
{
    size_t i;
    if (n == 1 || abus->n_threads == 1)
        return true;
    for (i = 0; i < n; i++) {
        unsigned cost = __atomic_load_n(&items[i].cost_ns, __ATOMIC_RELAXED);
        if (cost == 0 || cost > HANDOFF_NS)
            return false;
    }
    return true;
}

static int grow_calls(async_scratch *s, size_t n)
{
    size_t cap = n < 2 ? 2 : n;         /* a command, then an event's two */
    async_call *calls;
    if (n <= s->cap_calls)
        return 0;
    /* No call is out (tokens point into calls[]), so it may move. */
    calls = msgbus_realloc(s->calls, cap * sizeof *calls);
    if (calls == NULL)
        return MSGBUS_ENOMEM;
    memset(calls + s->cap_calls, 0, (cap - s->cap_calls) * sizeof *calls);
    s->calls = calls;
    s->cap_calls = cap;
    return 0;
}

/* Runs one call here; true when its end was the last of its message (see
 * async_call_end).  Keeps a running mean of its handler's cost: every call
 * of a handler that is slow or not known yet, one call in SAMPLE of a
 * cheap one (the clock and the shared write cost more than such a call). */
#define SAMPLE 32
static bool run_here(async_call *call, unsigned tick)
{
    unsigned *cost = (unsigned *)(void *)&call->handler->cost_ns;
    unsigned old = __atomic_load_n(cost, __ATOMIC_RELAXED), mean;
    uint64_t start, took;
    int status;
    if (old != 0 && old <= HANDOFF_NS && tick % SAMPLE != 0)
        return async_call_end(call, async_call_run(call));
    start = clock_mono_ns();
    status = async_call_run(call);
    took = clock_mono_ns() - start;
    if (took > 1000000000u)
        took = 1000000000u;
    mean = old == 0 ? (unsigned)took + 1 : old - old / 8 + (unsigned)(took / 8);
    if (mean != old)
        __atomic_store_n(cost, mean, __ATOMIC_RELAXED);
    return async_call_end(call, status);
}

/* Runs the current message's handlers; NEXT, STOPPED or WAITING (calls
 * are out: the last one to end takes the job on). */
static int run_current(async_job *job)
{
    msgbus_async *abus = job->abus;
    const msgbus_type *type = job->current.type;
    const handler_slot *slot = handler_table_find(&abus->bus->handlers, type);
    size_t i, n = slot ? slot->n : 0;
    if (n == 0) {
        int rc = policy_no_handler(abus->bus, type, job->status ? NULL : &job->err);
        if (rc == 0)
            return NEXT;
        if (job->status == 0)
            job->status = rc;
        return STOPPED;
    }
    if (grow_calls(job->s, n) != 0) {
        fail(job, MSGBUS_ENOMEM, "out of memory");
        return STOPPED;
    }
    for (i = 0; i < n; i++)
        async_call_prepare(&job->s->calls[i], job, &slot->items[i]);
    job->n_calls = n;
    ATOMIC_STORE(&job->running, n + 1);
    if (runs_inline(abus, slot->items, n)) {
        /* The runner holds one count of running: no call ends the job. */
        for (i = 0; i < n; i++)
            run_here(&job->s->calls[i], job->ticks++);
    } else {
        pthread_mutex_lock(&abus->lock);
        for (i = 1; i < n; i++)
            async_pool_push(abus, &job->s->calls[i].task);
        pthread_mutex_unlock(&abus->lock);
        run_here(&job->s->calls[0], job->ticks++);
    }
    if (ATOMIC_SUB(&job->running, 1) != 0)
        return WAITING;
    return collect(job);
}

async_job *async_job_run(async_job *job, async_worker *w)
{
    int state = NEXT;
    if (job->s == NULL && (job->s = async_scratch_take(w)) == NULL) {
        fail(job, MSGBUS_ENOMEM, "out of memory");
        return finish(job, w);
    }
    if (job->resume) {
        job->resume = false;
        state = collect(job);
    } else if (async_cancelling(job->abus)) {
        fail(job, MSGBUS_ECANCELED, "canceled by shutdown before it started");
        return finish(job, w);
    } else {
        state = run_current(job);
    }
    for (;;) {
        if (state == WAITING)
            return NULL;
        if (state == STOPPED)
            return finish(job, w);
        clear_current(job);
        if (!next_message(job))
            return finish(job, w);
        state = run_current(job);
    }
}

async_job *async_job_run_call(async_call *call, async_worker *w)
{
    bool last = async_cancelling(call->job->abus)
              ? async_call_end(call, MSGBUS_ECANCELED)  /* never started */
              : run_here(call, 0);
    if (!last)
        return NULL;
    call->job->resume = true;
    return async_job_run(call->job, w);
}
