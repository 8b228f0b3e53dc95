/* async_pool.c - the worker threads: they take handler calls from one FIFO
 * and run them without the lock. */
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
    pthread_cond_signal(&abus->work);
}

static async_call *pop(msgbus_async *abus)
{
    async_call *call = abus->task_head;
    abus->task_head = call->next_task;
    if (abus->task_head == NULL)
        abus->task_tail = NULL;
    return call;
}

static void *worker(void *arg)
{
    msgbus_async *abus = arg;
    pthread_mutex_lock(&abus->lock);
    for (;;) {
        async_call *call;
        int status;
        while (abus->task_head == NULL && !abus->stopping)
            pthread_cond_wait(&abus->work, &abus->lock);
        if (abus->task_head == NULL)
            break;
        call = pop(abus);
        if (abus->cancelling) {
            /* Shutdown by cancel: a call that has not started never will. */
            async_call_returned(call, MSGBUS_ECANCELED);
            continue;
        }
        pthread_mutex_unlock(&abus->lock);
        status = async_call_run(call);
        pthread_mutex_lock(&abus->lock);
        async_call_returned(call, status);
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
