/* async_pool.c - the worker threads: they take tasks (a job to advance, or
 * one handler call of a message whose handlers run concurrently) from one
 * FIFO and run them without the lock.  A worker whose job is over runs the
 * job's finished hook and takes its next task in one lock section. */
#include <stddef.h>
#include <stdlib.h>
#include "async_internal.h"

void async_pool_push(msgbus_async *abus, async_task *task)
{
    task->next = NULL;
    if (abus->task_tail)
        abus->task_tail->next = task;
    else
        ATOMIC_STORE(&abus->task_head, task);   /* spinning workers read it */
    abus->task_tail = task;
    /* A busy worker looks at the queue before it sleeps: only a sleeping
     * one needs waking. */
    if (abus->idle > 0)
        pthread_cond_signal(&abus->work);
}

static async_task *pop(msgbus_async *abus)
{
    async_task *task = abus->task_head;
    ATOMIC_STORE(&abus->task_head, task->next);
    if (task->next == NULL)
        abus->task_tail = NULL;
    return task;
}

/* Spares a worker keeps beyond those its jobs hold. */
#define MAX_SPARE 64

async_scratch *async_scratch_take(async_worker *w)
{
    async_scratch *s = w->spare;
    if (s == NULL) {
        s = msgbus_calloc(1, sizeof *s);
        if (s)
            s->fresh = true;
        return s;
    }
    w->spare = s->next;
    w->n_spare--;
    return s;
}

void async_scratch_give(async_worker *w, async_scratch *s, int status)
{
    size_t i;
    if (s == NULL)
        return;
    if (s->fresh && status == MSGBUS_ENOMEM)
        w = NULL;
    s->fresh = false;
    if (w && w->n_spare < MAX_SPARE) {
        s->next = w->spare;
        w->spare = s;
        w->n_spare++;
        return;
    }
    for (i = 0; i < s->cap_calls; i++)
        async_call_free(&s->calls[i]);
    msgbus_free(s->calls);
    queue_free(&s->fifo);
    msgbus_free(s);
}

static async_job *run(async_task *task, async_worker *w)
{
    if (task->is_job)
        return async_job_run((async_job *)(void *)((char *)task - offsetof(async_job, task)),
                             w);
    return async_job_run_call((async_call *)(void *)task, w);  /* task is its first member */
}

/* Before it sleeps, a worker that ran out of tasks looks at the queue for
 * a moment without the lock: a caller feeding the bus one message at a
 * time is likely to queue the next one meanwhile, and waking a sleeping
 * thread costs more than the wait. */
#define SPINS 200
static bool task_soon(msgbus_async *abus)
{
    int i;
    for (i = 0; i < SPINS; i++) {
        if (ATOMIC_LOAD(&abus->task_head) != NULL)
            return true;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
    return false;
}

static void *worker(void *arg)
{
    async_worker *w = arg;
    msgbus_async *abus = w->abus;
    async_job *over = NULL;
    pthread_mutex_lock(&abus->lock);
    for (;;) {
        async_task *task;
        if (over) {
            over->finished(over);
            over = NULL;
        }
        if (abus->task_head == NULL && !abus->stopping) {
            pthread_mutex_unlock(&abus->lock);
            task_soon(abus);
            pthread_mutex_lock(&abus->lock);
        }
        while (abus->task_head == NULL && !abus->stopping) {
            abus->idle++;
            pthread_cond_wait(&abus->work, &abus->lock);
            abus->idle--;
        }
        if (abus->task_head == NULL)
            break;
        task = pop(abus);
        pthread_mutex_unlock(&abus->lock);
        over = run(task, w);
        pthread_mutex_lock(&abus->lock);
    }
    pthread_mutex_unlock(&abus->lock);
    return NULL;
}

int async_pool_start(msgbus_async *abus, unsigned workers, msgbus_error *err)
{
    unsigned i;
    abus->threads = msgbus_calloc(workers, sizeof *abus->threads);
    abus->workers = msgbus_calloc(workers, sizeof *abus->workers);
    if (abus->threads == NULL || abus->workers == NULL)
        return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "out of memory");
    for (i = 0; i < workers; i++)
        abus->workers[i].abus = abus;
    for (; abus->n_threads < workers; abus->n_threads++)
        if (pthread_create(&abus->threads[abus->n_threads], NULL, worker,
                           &abus->workers[abus->n_threads]) != 0)
            return msgbus_error_set(err, MSGBUS_EIO, NULL, "cannot start worker thread %u",
                                    abus->n_threads + 1);
    return 0;
}

void async_pool_stop(msgbus_async *abus)
{
    unsigned i, n = abus->n_threads;
    pthread_mutex_lock(&abus->lock);
    abus->stopping = true;
    pthread_cond_broadcast(&abus->work);
    pthread_mutex_unlock(&abus->lock);
    for (i = 0; i < abus->n_threads; i++)
        pthread_join(abus->threads[i], NULL);
    abus->n_threads = 0;
    msgbus_free(abus->threads);
    abus->threads = NULL;
    for (i = 0; abus->workers && i < n; i++)
        while (abus->workers[i].spare) {
            async_scratch *s = abus->workers[i].spare;
            abus->workers[i].spare = s->next;
            async_scratch_give(NULL, s, 0);     /* NULL: freed */
        }
    msgbus_free(abus->workers);
    abus->workers = NULL;
}

bool async_pool_is_worker(const msgbus_async *abus)
{
    unsigned i;
    pthread_t self = pthread_self();
    for (i = 0; i < abus->n_threads; i++)
        if (pthread_equal(abus->threads[i], self))
            return true;
    return false;
}
