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
        abus->task_head = task;
    abus->task_tail = task;
    /* A busy worker looks at the queue before it sleeps: only a sleeping
     * one needs waking. */
    if (abus->idle > 0)
        pthread_cond_signal(&abus->work);
}

static async_task *pop(msgbus_async *abus)
{
    async_task *task = abus->task_head;
    abus->task_head = task->next;
    if (abus->task_head == NULL)
        abus->task_tail = NULL;
    return task;
}

static async_job *run(async_task *task)
{
    if (task->is_job)
        return async_job_run((async_job *)(void *)((char *)task - offsetof(async_job, task)));
    return async_job_run_call((async_call *)(void *)task);   /* task is its first member */
}

static void *worker(void *arg)
{
    msgbus_async *abus = arg;
    async_job *over = NULL;
    pthread_mutex_lock(&abus->lock);
    for (;;) {
        async_task *task;
        if (over) {
            over->finished(over);
            over = NULL;
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
        over = run(task);
        pthread_mutex_lock(&abus->lock);
    }
    pthread_mutex_unlock(&abus->lock);
    return NULL;
}

int async_pool_start(msgbus_async *abus, unsigned workers, msgbus_error *err)
{
    abus->threads = calloc(workers, sizeof *abus->threads);
    if (abus->threads == NULL)
        return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "out of memory");
    for (; abus->n_threads < workers; abus->n_threads++)
        if (pthread_create(&abus->threads[abus->n_threads], NULL, worker, abus) != 0)
            return msgbus_error_set(err, MSGBUS_EIO, NULL, "cannot start worker thread %u",
                                    abus->n_threads + 1);
    return 0;
}

void async_pool_stop(msgbus_async *abus)
{
    unsigned i;
    pthread_mutex_lock(&abus->lock);
    abus->stopping = true;
    pthread_cond_broadcast(&abus->work);
    pthread_mutex_unlock(&abus->lock);
    for (i = 0; i < abus->n_threads; i++)
        pthread_join(abus->threads[i], NULL);
    abus->n_threads = 0;
    free(abus->threads);
    abus->threads = NULL;
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
