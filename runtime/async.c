/* async.c - the async bus object: creation, handle, dispatch of the
 * completion callbacks on the caller's thread, shutdown. */
#define _GNU_SOURCE                     /* PTHREAD_MUTEX_ADAPTIVE_NP */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "async_internal.h"

msgbus_bus *msgbus_async_bus(const msgbus_async *abus) { return abus ? abus->bus : NULL; }
int msgbus_async_fd(const msgbus_async *abus) { return abus ? abus->done.fds[0] : -1; }

/* A lock held for a few instructions at a time, by the caller and every
 * worker: a waiter spins a little before it sleeps in the kernel. */
static void init_short_lock(pthread_mutex_t *lock)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
#ifdef PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
    pthread_mutex_init(lock, &attr);
    pthread_mutexattr_destroy(&attr);
}

msgbus_async *msgbus_async_new(msgbus_bus *bus, unsigned workers, msgbus_error *err)
{
    msgbus_async *abus;
    pthread_condattr_t attr;
    if (bus == NULL || workers == 0) {
        msgbus_error_set(err, MSGBUS_EINVAL, NULL, "msgbus_async_new: %s",
                         bus ? "at least one worker is needed" : "NULL bus");
        return NULL;
    }
    abus = msgbus_calloc(1, sizeof *abus);
    if (abus == NULL) {
        msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "out of memory");
        return NULL;
    }
    abus->bus = bus;
    abus->accepting = true;
    abus->next_id = 1;
    if (done_queue_init(&abus->done) != 0) {
        msgbus_free(abus);
        msgbus_error_set(err, MSGBUS_EIO, NULL, "cannot create the completion descriptor");
        return NULL;
    }
    init_short_lock(&abus->lock);
    pthread_mutex_init(&abus->pairs_lock, NULL);
    init_short_lock(&abus->free_lock);
    pthread_cond_init(&abus->work, NULL);
    pthread_cond_init(&abus->relay_cond, NULL);
    /* msgbus_async_wait measures its timeout on the monotonic clock. */
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&abus->ready, &attr);
    pthread_condattr_destroy(&attr);
    if (async_pool_start(abus, workers, err) != 0) {
        abus->shut = true;              /* nothing was accepted */
        msgbus_async_free(abus);
        return NULL;
    }
    return abus;
}

/* The lock is held; refuses new work from callers after shutdown. */
int async_accept(msgbus_async *abus)
{
    if (!abus->accepting)
        return MSGBUS_ESTATE;
    abus->pending++;
    return 0;
}

void async_done_push(msgbus_async *abus, async_done *done)
{
    /* Waiters wait only for an empty queue: one wake-up per batch. */
    if (done_queue_push(&abus->done, done))
        pthread_cond_broadcast(&abus->ready);
}

/* Queues a job that holds its message already (lock not held). */
static int start(msgbus_async *abus, async_job *job, msgbus_async_done_fn on_done,
                 void *userdata)
{
    int rc;
    job->on_done = on_done;
    job->userdata = userdata;
    pthread_mutex_lock(&abus->lock);
    rc = async_accept(abus);
    if (rc == 0)
        async_job_start(job);
    pthread_mutex_unlock(&abus->lock);
    return rc;
}

static bool is_message(const msgbus_msg *msg)
{
    return msg != NULL && msg->type != NULL && msg->type->kind != MSGBUS_KIND_RECORD;
}

int msgbus_async_handle(msgbus_async *abus, const msgbus_msg *msg,
                        msgbus_async_done_fn on_done, void *userdata)
{
    async_job *job;
    int rc;
    if (abus == NULL || !is_message(msg))
        return MSGBUS_EINVAL;
    job = async_job_get(abus);
    if (job == NULL)
        return MSGBUS_ENOMEM;
    if (async_job_copy(job, msg) != 0) {
        async_job_put(job);
        return MSGBUS_ENOMEM;
    }
    rc = start(abus, job, on_done, userdata);
    if (rc != 0)
        async_job_put(job);
    return rc;
}

int msgbus_async_handle_move(msgbus_async *abus, msgbus_msg *msg,
                             msgbus_async_done_fn on_done, void *userdata)
{
    const msgbus_type *type;
    async_job *job;
    int rc;
    if (abus == NULL || !is_message(msg))
        return MSGBUS_EINVAL;
    type = msg->type;
    job = async_job_get(abus);
    if (job == NULL)
        return MSGBUS_ENOMEM;
    if (async_job_reserve(job, type) != 0) {
        async_job_put(job);
        return MSGBUS_ENOMEM;
    }
    memcpy(job->buf, msg, type->size);
    job->current.type = type;
    job->current.data = job->buf;
    rc = start(abus, job, on_done, userdata);
    if (rc != 0) {
        job->current.data = NULL;       /* the contents stay the caller's */
        async_job_put(job);
        return rc;
    }
    msgbus_value_init(type, msg);       /* they moved to the bus */
    return 0;
}

int msgbus_async_dispatch(msgbus_async *abus)
{
    async_done *all, *next;
    int count = 0;
    if (abus == NULL)
        return MSGBUS_EINVAL;
    if (async_pool_is_worker(abus))
        return MSGBUS_ESTATE;
    pthread_mutex_lock(&abus->lock);
    if (abus->dispatching) {            /* from a callback, or a second thread */
        pthread_mutex_unlock(&abus->lock);
        return MSGBUS_ESTATE;
    }
    all = done_queue_take(&abus->done);
    abus->dispatching = all != NULL;
    pthread_mutex_unlock(&abus->lock);
    for (; all; all = next, count++) {
        next = all->next;
        all->deliver(abus, all);
    }
    if (count == 0)
        return 0;
    pthread_mutex_lock(&abus->lock);
    abus->pending -= (size_t)count;
    abus->dispatching = false;
    pthread_mutex_unlock(&abus->lock);
    return count;
}

int msgbus_async_wait(msgbus_async *abus, int timeout_ms)
{
    struct timespec until;
    int rc = 0;
    if (abus == NULL)
        return MSGBUS_EINVAL;
    if (async_pool_is_worker(abus))
        return MSGBUS_ESTATE;
    clock_gettime(CLOCK_MONOTONIC, &until);
    if (timeout_ms > 0) {
        until.tv_sec += timeout_ms / 1000;
        until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&abus->lock);
    while (abus->done.head == NULL && timeout_ms != 0 && rc != ETIMEDOUT) {
        if (timeout_ms < 0)
            pthread_cond_wait(&abus->ready, &abus->lock);
        else
            rc = pthread_cond_timedwait(&abus->ready, &abus->lock, &until);
    }
    pthread_mutex_unlock(&abus->lock);
    return msgbus_async_dispatch(abus);
}

size_t msgbus_async_pending(msgbus_async *abus)
{
    size_t n;
    if (abus == NULL)
        return 0;
    pthread_mutex_lock(&abus->lock);
    n = abus->pending;
    pthread_mutex_unlock(&abus->lock);
    return n;
}

int msgbus_async_shutdown(msgbus_async *abus, msgbus_async_shutdown_mode mode)
{
    size_t pending;
    if (abus == NULL)
        return MSGBUS_EINVAL;
    if (async_pool_is_worker(abus))
        return MSGBUS_ESTATE;
    pthread_mutex_lock(&abus->lock);
    if (abus->dispatching) {
        pthread_mutex_unlock(&abus->lock);
        return MSGBUS_ESTATE;
    }
    if (abus->shut) {
        pthread_mutex_unlock(&abus->lock);
        return 0;
    }
    abus->accepting = false;
    if (mode == MSGBUS_ASYNC_CANCEL)
        ATOMIC_STORE(&abus->cancelling, true);
    pending = abus->pending;
    pthread_mutex_unlock(&abus->lock);
    /* Every accepted piece of work ends with a callback: run them all. */
    while (pending > 0) {
        msgbus_async_wait(abus, -1);
        pending = msgbus_async_pending(abus);
    }
    async_outbox_join(abus);
    async_pool_stop(abus);
    pthread_mutex_lock(&abus->lock);
    abus->shut = true;
    pthread_mutex_unlock(&abus->lock);
    return 0;
}

void msgbus_async_free(msgbus_async *abus)
{
    if (abus == NULL)
        return;
    if (!abus->shut)
        msgbus_async_shutdown(abus, MSGBUS_ASYNC_DRAIN);
    else if (abus->threads)
        async_pool_stop(abus);          /* msgbus_async_new failed half-way */
    done_queue_destroy(&abus->done);
    pthread_cond_destroy(&abus->ready);
    pthread_cond_destroy(&abus->relay_cond);
    pthread_cond_destroy(&abus->work);
    async_job_free_all(abus);
    pthread_mutex_destroy(&abus->free_lock);
    pthread_mutex_destroy(&abus->pairs_lock);
    pthread_mutex_destroy(&abus->lock);
    msgbus_free(abus);
}
