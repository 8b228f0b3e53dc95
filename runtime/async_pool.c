/* async_pool.c - the worker threads: they take handler calls from one FIFO
 * and run them without the lock.  A worker that finishes a call usually
 * starts the next one itself (the next message of the same handle, or one
 * handler of several), which saves a hand-off through the queue. */
#include <stdlib.h>
#include "async_internal.h"

void async_pool_push(msgbus_async *abus, async_call *call)
{
    call->next_task = NULL;
    if (abus->task_tail)
        abus->task_tail->next_task = call;
    else
        abus->task_head = call;
    abus->task_tail = call;
    /* A busy worker looks at the queue before it sleeps: only a sleeping
     * one needs waking. */
    if (abus->idle > 0)
        pthread_cond_signal(&abus->work);
}

void async_pool_start_call(msgbus_async *abus, async_call *call)
{
    if (abus->run_next && *abus->run_next == NULL)
        *abus->run_next = call;
    else
        async_pool_push(abus, call);
}

static async_call *pop(msgbus_async *abus)
{
    async_call *call = abus->task_head;
    abus->task_head = call->next_task;
    if (abus->task_head == NULL)
        abus->task_tail = NULL;
    return call;
}

/* The worker is over with call (lock held); returns the call it runs next
 * itself, or NULL. */
static async_call *finish_call(msgbus_async *abus, async_call *call, int status)
{
    async_call *next = NULL;
    abus->run_next = &next;
    async_call_returned(call, status);
    abus->run_next = NULL;
    return next;
}

static void *worker(void *arg)
{
    msgbus_async *abus = arg;
    async_call *call = NULL;
    pthread_mutex_lock(&abus->lock);
    for (;;) {
        int status;
        if (call == NULL) {
            while (abus->task_head == NULL && !abus->stopping) {
                abus->idle++;
                pthread_cond_wait(&abus->work, &abus->lock);
                abus->idle--;
            }
            if (abus->task_head == NULL)
                break;
            call = pop(abus);
        }
        if (abus->cancelling) {
            /* Shutdown by cancel: a call that has not started never will. */
            call = finish_call(abus, call, MSGBUS_ECANCELED);
            continue;
        }
        pthread_mutex_unlock(&abus->lock);
        status = async_call_run(call);
        pthread_mutex_lock(&abus->lock);
        call = finish_call(abus, call, status);
    }
    pthread_mutex_unlock(&abus->lock);
    return NULL;
}

int async_pool_start(msgbus_async *abus, unsigned workers, msgbus_error *err)
{
    abus->threads = msgbus_calloc(workers, sizeof *abus->threads);
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
    msgbus_free(abus->threads);
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
