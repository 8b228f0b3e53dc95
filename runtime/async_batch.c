/* async_batch.c - msgbus_async_batch_handle: one job per message with at
 * most max_concurrency in flight; one callback with the outcomes in input
 * order once every message is over. */
#include <stdlib.h>
#include <string.h>
#include "async_internal.h"

typedef struct async_batch {
    async_done done;                    /* first: the batch's callback */
    msgbus_async *abus;
    async_job **jobs;                   /* jobs[i]: message i until it is over */
    msgbus_outcome *outcomes;
    msgbus_results **results;           /* results[i]: what message i gave */
    size_t n, max, next, running, over;
    bool starting;                      /* start_next is looping */
    msgbus_async_batch_fn on_done;
    void *userdata;
} async_batch;

static void batch_free(async_batch *b)
{
    size_t i;
    for (i = 0; i < b->n; i++) {
        async_job_free(b->jobs[i]);
        msgbus_results_free(b->results[i]);
    }
    msgbus_free(b->jobs);
    msgbus_free(b->results);
    msgbus_free(b->outcomes);
    msgbus_free(b);
}

/* Moves the entries of src to the end of dst (values are stolen). */
static int results_move(msgbus_results *dst, msgbus_results *src)
{
    size_t i;
    for (i = 0; src && i < src->n; i++) {
        const msgbus_result *r = &src->items[i].pub;
        int rc = results_add(dst, r->type, r->seq, r->message_id, r->handler, r->status,
                             r->value, r->error);
        src->items[i].pub.value = NULL;
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void deliver(msgbus_async *abus, async_done *done)
{
    async_batch *b = (async_batch *)(void *)done;
    msgbus_results *all = msgbus_results_new();
    msgbus_error err;
    size_t i;
    int status = 0;
    msgbus_error_clear(&err);
    for (i = 0; i < b->n; i++) {
        msgbus_outcome *o = &b->outcomes[i];
        o->first_result = msgbus_results_count(all);
        if (all == NULL || results_move(all, b->results[i]) != 0)
            o->status = msgbus_error_set(&o->error, MSGBUS_ENOMEM, NULL,
                                         "out of memory gathering results");
        o->n_results = msgbus_results_count(all) - o->first_result;
        if (o->status != 0 && status == 0)
            status = msgbus_error_set(&err, o->status, NULL, "message %zu: %s", i,
                                      o->error.text);
    }
    if (b->on_done)
        b->on_done(abus, status, b->outcomes, b->n, all, &err, b->userdata);
    msgbus_results_free(all);
    batch_free(b);
}

static void start_next(async_batch *b);

/* A member's job is over (lock held): keep its outcome, start the next. */
static void member_over(async_job *job)
{
    async_batch *b = job->owner;
    msgbus_outcome *o = &b->outcomes[job->index];
    o->status = job->status;
    o->error = job->err;
    b->results[job->index] = job->results;
    job->results = NULL;
    b->jobs[job->index] = NULL;
    async_job_free(job);
    b->running--;
    b->over++;
    start_next(b);
}

static void start_next(async_batch *b)
{
    /* A job may be over before async_job_start returns (no handler, a
     * cancel): member_over then lands here again, and the loop already
     * running goes on, so the stack stays flat. */
    if (b->starting)
        return;
    b->starting = true;
    while (b->next < b->n && b->running < b->max) {
        async_job *job = b->jobs[b->next++];
        b->running++;
        async_job_start(job);
    }
    b->starting = false;
    if (b->over == b->n) {
        async_done_push(b->abus, &b->done);
    }
}

int msgbus_async_batch_handle(msgbus_async *abus, const msgbus_msg *const *msgs, size_t n,
                              size_t max_concurrency, msgbus_async_batch_fn on_done,
                              void *userdata)
{
    async_batch *b;
    size_t i, room = n ? n : 1;
    int rc;
    if (abus == NULL || max_concurrency == 0 || (n > 0 && msgs == NULL))
        return MSGBUS_EINVAL;
    for (i = 0; i < n; i++)
        if (msgs[i] == NULL || msgs[i]->type == NULL ||
            msgs[i]->type->kind == MSGBUS_KIND_RECORD)
            return MSGBUS_EINVAL;
    b = msgbus_calloc(1, sizeof *b);
    if (b == NULL)
        return MSGBUS_ENOMEM;
    b->abus = abus;
    b->n = n;
    b->max = max_concurrency;
    b->on_done = on_done;
    b->userdata = userdata;
    b->done.deliver = deliver;
    b->jobs = msgbus_calloc(room, sizeof *b->jobs);
    b->outcomes = msgbus_calloc(room, sizeof *b->outcomes);
    b->results = msgbus_calloc(room, sizeof *b->results);
    if (b->jobs == NULL || b->outcomes == NULL || b->results == NULL) {
        b->n = 0;
        batch_free(b);
        return MSGBUS_ENOMEM;
    }
    for (i = 0; i < n; i++) {
        b->jobs[i] = async_job_new(abus, msgs[i], NULL);
        if (b->jobs[i] == NULL) {
            batch_free(b);
            return MSGBUS_ENOMEM;
        }
        b->jobs[i]->owner = b;
        b->jobs[i]->index = i;
        b->jobs[i]->finished = member_over;
    }
    pthread_mutex_lock(&abus->lock);
    rc = async_accept(abus);
    if (rc == 0)
        start_next(b);
    pthread_mutex_unlock(&abus->lock);
    if (rc != 0)
        batch_free(b);
    return rc;
}
