/* async_batch.c - msgbus_async_batch_handle: the messages are copied into
 * one block at once; at most max_concurrency of them are in flight, each
 * in a job from the free list; one callback with the outcomes in input
 * order once every message is over.
 *
 * The results go straight into the batch's results in input order: a
 * member that ends before those before it keeps its job (and the results
 * in it) parked until its turn, so no result is copied twice and no second
 * array of all the results is made. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "async_internal.h"

#define ALIGN 16
#define ROUND(n) (((n) + ALIGN - 1) & ~(size_t)(ALIGN - 1))

typedef struct async_batch {
    async_done done;                    /* first: the batch's callback */
    msgbus_async *abus;
    unsigned char *copies;              /* the messages, one after another */
    size_t *at;                         /* at[i]: offset of message i in copies */
    msgbus_outcome *outcomes;
    /* parked[i]: member i is over but one before it is not; its job, or
     * no_job when it never got one. */
    async_job **parked;
    msgbus_results all;                 /* of members 0..taken, in input order */
    size_t n, max, next, running, over, taken;
    bool starting;                      /* start_next is looping */
    msgbus_async_batch_fn on_done;
    void *userdata;
} async_batch;

/* Marks a member over without a job (it could not start). */
static async_job no_job;

static void *copy_of(async_batch *b, size_t i)
{
    return b->copies + b->at[i];
}

static void batch_free(async_batch *b)
{
    size_t i;
    /* Copies no job took (a failed start) still own their contents. */
    for (i = b->next; i < b->n; i++)
        msgbus_value_clear(((msgbus_msg *)copy_of(b, i))->type, copy_of(b, i));
    msgbus_results_reset(&b->all);
    msgbus_free(b->all.items);
    msgbus_free(b->all.texts);
    msgbus_free(b->copies);
    msgbus_free(b->at);
    msgbus_free(b->parked);
    msgbus_free(b->outcomes);
    msgbus_free(b);
}

static void deliver(msgbus_async *abus, async_done *done)
{
    async_batch *b = (async_batch *)(void *)done;
    msgbus_error err;
    size_t i;
    int status = 0;
    msgbus_error_clear(&err);
    for (i = 0; i < b->n && status == 0; i++)
        if (b->outcomes[i].status != 0)
            status = msgbus_error_set(&err, b->outcomes[i].status, NULL, "message %zu: %s", i,
                                      b->outcomes[i].error.text);
    if (b->on_done)
        b->on_done(abus, status, b->outcomes, b->n, &b->all, &err, b->userdata);
    batch_free(b);
}

/* Grows the batch's results for k more: to what the members taken so far
 * foretell for the whole batch once they are enough to go by, so that the
 * results are not copied over and over as they grow.  A failure here is
 * left to results_take to meet. */
static void reserve(async_batch *b, size_t k)
{
    size_t want = b->all.n + k;
    if (b->taken >= 64) {
        /* The members to come as many results as those so far, and 1/16 more. */
        double more = (double)b->all.n / (double)b->taken * (double)(b->n - b->taken) * 17 / 16;
        if (more < (double)(SIZE_MAX / 2 - want))
            want += (size_t)more;
    }
    if (want < 2 * b->all.cap)
        want = 2 * b->all.cap;
    results_reserve(&b->all, want);
}

/* Member i's results (in job, or none) join the batch's results (lock
 * held); its job goes back to the free list. */
static void take(async_batch *b, size_t i, async_job *job)
{
    msgbus_outcome *o = &b->outcomes[i];
    o->first_result = b->all.n;
    o->n_results = 0;
    if (job == &no_job)
        return;
    if (b->all.n + job->results.n > b->all.cap)
        reserve(b, job->results.n);
    if (results_take(&b->all, &job->results, 0, job->results.n) == 0)
        o->n_results = job->results.n;
    else if (o->status == 0)
        o->status = msgbus_error_set(&o->error, MSGBUS_ENOMEM, NULL,
                                     "out of memory gathering results");
    msgbus_results_reset(&job->results);    /* what a failure did not move */
    async_job_put(job);
}

/* Member i is over (lock held): its results are taken now if every member
 * before it has been, else when the last of those is. */
static void ended(async_batch *b, size_t i, async_job *job)
{
    if (i != b->taken) {
        b->parked[i] = job;
        return;
    }
    take(b, i, job);
    for (b->taken++; b->taken < b->n && b->parked[b->taken]; b->taken++)
        take(b, b->taken, b->parked[b->taken]);
}

static void start_next(async_batch *b);

/* A member's job is over, lock not held: its outcome is its own to write,
 * and the first write of a page of outcomes (a page fault, the batch's
 * main cost) happens here on the workers, not under the lock. */
static void member_ending(async_job *job)
{
    async_batch *b = job->owner;
    msgbus_outcome *o = &b->outcomes[job->index];
    o->status = job->status;
    if (job->status != 0)
        o->error = job->err;
    else
        msgbus_error_clear(&o->error);
    o->first_result = 0;                /* set by take */
    o->n_results = 0;
}

/* Then (lock held): start the next. */
static void member_over(async_job *job)
{
    async_batch *b = job->owner;
    b->running--;
    b->over++;
    ended(b, job->index, job);
    start_next(b);
}

static void start_next(async_batch *b)
{
    /* A job may be over before async_job_start returns (a cancel):
     * member_over then lands here again, and the loop already running
     * goes on, so the stack stays flat. */
    if (b->starting)
        return;
    b->starting = true;
    while (b->next < b->n && b->running < b->max) {
        size_t i = b->next;
        async_job *job = async_job_get(b->abus);
        if (job == NULL) {
            msgbus_outcome *o = &b->outcomes[i];
            o->status = msgbus_error_set(&o->error, MSGBUS_ENOMEM, NULL, "out of memory");
            msgbus_value_clear(((msgbus_msg *)copy_of(b, i))->type, copy_of(b, i));
            b->next++;
            b->over++;
            ended(b, i, &no_job);
            continue;
        }
        b->next++;
        b->running++;
        job->current.type = ((msgbus_msg *)copy_of(b, i))->type;
        job->current.data = copy_of(b, i);
        job->owner = b;
        job->index = i;
        job->ending = member_ending;
        job->finished = member_over;
        async_job_start(job);
    }
    b->starting = false;
    if (b->over == b->n)
        async_done_push(b->abus, &b->done);
}

/* Copies msgs into one block; 0 or MSGBUS_ENOMEM. */
static int copy_all(async_batch *b, const msgbus_msg *const *msgs)
{
    size_t i, total = 0;
    for (i = 0; i < b->n; i++) {
        b->at[i] = total;
        total += ROUND(msgs[i]->type->size);
    }
    b->copies = msgbus_malloc(total ? total : 1);
    if (b->copies == NULL) {
        b->n = 0;                       /* no copy to clear */
        return MSGBUS_ENOMEM;
    }
    for (i = 0; i < b->n; i++)
        msgbus_value_init(msgs[i]->type, copy_of(b, i));
    for (i = 0; i < b->n; i++)
        if (msgbus_value_copy(msgs[i]->type, copy_of(b, i), msgs[i]) != 0)
            return MSGBUS_ENOMEM;
    return 0;
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
    b->max = max_concurrency;
    b->on_done = on_done;
    b->userdata = userdata;
    b->done.deliver = deliver;
    b->at = msgbus_malloc(room * sizeof *b->at);
    /* Not cleared here: each is written once its member is over. */
    b->outcomes = msgbus_malloc(room * sizeof *b->outcomes);
    b->parked = msgbus_calloc(room, sizeof *b->parked);
    if (b->at == NULL || b->outcomes == NULL || b->parked == NULL) {
        batch_free(b);
        return MSGBUS_ENOMEM;
    }
    b->n = n;
    if (copy_all(b, msgs) != 0) {
        batch_free(b);
        return MSGBUS_ENOMEM;
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
