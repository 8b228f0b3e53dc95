/* async_outbox.c - msgbus_async_process_outbox: the relay step of
 * msgbus_process_outbox on a thread of its own.  Rows for the ready-made
 * msgbus_outbox_dispatch handler are handled as jobs of the async bus, so
 * their handlers run on the workers, and the relay thread waits for each
 * before the row is marked. */
#include <stdlib.h>
#include <string.h>
#include "async_internal.h"

typedef struct async_relay {
    async_done done;                    /* first: the relay's callback */
    msgbus_async *abus;
    msgbus_outbox_repo *repo;
    msgbus_outbox_options opts;
    msgbus_outbox_handler *handlers;    /* opts' handlers, dispatch replaced */
    int status;
    msgbus_outbox_stats stats;
    msgbus_error err;
    msgbus_async_outbox_fn on_done;
    void *userdata;
    /* The row being handled on the async bus. */
    bool row_over;
    int row_status;
    msgbus_error row_err;
} async_relay;

static void row_over(async_job *job)
{
    async_relay *relay = job->owner;
    relay->row_over = true;
    relay->row_status = job->status;
    relay->row_err = job->err;
    async_job_put(job);
    pthread_cond_broadcast(&relay->abus->relay_cond);
}

/* Stands in for msgbus_outbox_dispatch: decode, then handle on the async
 * bus and wait (msgbus_handle would race with the workers). */
static int dispatch_row(msgbus_bus *bus, const msgbus_outbox_row *row, void *userdata,
                        msgbus_error *err)
{
    async_relay *relay = userdata;
    msgbus_async *abus = relay->abus;
    const msgbus_type *type = msgbus_bus_find_type(bus, row->type);
    msgbus_error derr;
    async_job *job;
    int rc;
    if (type == NULL)
        return msgbus_error_set(err, MSGBUS_ENOTFOUND, NULL,
                                "row %s: type %s is not in any module installed on the bus",
                                row->id, row->type);
    job = async_job_get(abus);
    if (job == NULL || async_job_reserve(job, type) != 0) {
        if (job)
            async_job_put(job);
        return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "row %s: out of memory", row->id);
    }
    msgbus_error_clear(&derr);
    rc = msgbus_value_decode(type, row->payload, strlen(row->payload), job->buf, &derr);
    if (rc < 0) {
        async_job_put(job);
        return msgbus_error_set(err, rc, derr.path, "row %s: bad payload for %s: %s", row->id,
                                row->type, derr.text);
    }
    job->current.type = type;
    job->current.data = job->buf;
    job->owner = relay;
    job->finished = row_over;
    pthread_mutex_lock(&abus->lock);
    relay->row_over = false;
    async_job_start(job);
    while (!relay->row_over)
        pthread_cond_wait(&abus->relay_cond, &abus->lock);
    rc = relay->row_status;
    if (rc != 0 && err)
        *err = relay->row_err;
    pthread_mutex_unlock(&abus->lock);
    return rc;
}

static void *relay_main(void *arg)
{
    async_relay *relay = arg;
    msgbus_error_clear(&relay->err);
    relay->status = msgbus_process_outbox(relay->abus->bus, relay->repo, &relay->opts,
                                          &relay->stats, &relay->err);
    pthread_mutex_lock(&relay->abus->lock);
    async_done_push(relay->abus, &relay->done);
    pthread_mutex_unlock(&relay->abus->lock);
    return NULL;
}

static void deliver(msgbus_async *abus, async_done *done)
{
    async_relay *relay = (async_relay *)(void *)done;
    if (relay->on_done)
        relay->on_done(abus, relay->status, &relay->stats, &relay->err, relay->userdata);
    pthread_mutex_lock(&abus->lock);
    abus->relay = NULL;
    pthread_mutex_unlock(&abus->lock);
    msgbus_free(relay->handlers);
    msgbus_free(relay);
}

void async_outbox_join(msgbus_async *abus)
{
    if (abus->relay_joinable)
        pthread_join(abus->relay_thread, NULL);
    abus->relay_joinable = false;
}

int msgbus_async_process_outbox(msgbus_async *abus, msgbus_outbox_repo *repo,
                                const msgbus_outbox_options *opts,
                                msgbus_async_outbox_fn on_done, void *userdata)
{
    async_relay *relay;
    size_t i, n;
    int rc;
    if (abus == NULL || repo == NULL)
        return MSGBUS_EINVAL;
    relay = msgbus_calloc(1, sizeof *relay);
    if (relay == NULL)
        return MSGBUS_ENOMEM;
    relay->abus = abus;
    relay->repo = repo;
    relay->on_done = on_done;
    relay->userdata = userdata;
    relay->done.deliver = deliver;
    if (opts)
        relay->opts = *opts;
    else
        msgbus_outbox_options_init(&relay->opts);
    n = relay->opts.n_handlers;
    relay->handlers = msgbus_calloc(n ? n : 1, sizeof *relay->handlers);
    if (relay->handlers == NULL) {
        msgbus_free(relay);
        return MSGBUS_ENOMEM;
    }
    for (i = 0; i < n; i++) {
        relay->handlers[i] = relay->opts.handlers[i];
        if (relay->handlers[i].fn == msgbus_outbox_dispatch) {
            relay->handlers[i].fn = dispatch_row;
            relay->handlers[i].userdata = relay;
        }
    }
    relay->opts.handlers = relay->handlers;
    pthread_mutex_lock(&abus->lock);
    rc = abus->relay ? MSGBUS_ESTATE : async_accept(abus);
    if (rc == 0) {
        abus->relay = relay;
        pthread_mutex_unlock(&abus->lock);
        /* The previous relay delivered its callback: its thread is over. */
        async_outbox_join(abus);
        pthread_mutex_lock(&abus->lock);
        if (pthread_create(&abus->relay_thread, NULL, relay_main, relay) != 0) {
            abus->relay = NULL;
            abus->pending--;
            rc = MSGBUS_EIO;
        } else {
            abus->relay_joinable = true;
        }
    }
    pthread_mutex_unlock(&abus->lock);
    if (rc != 0) {
        msgbus_free(relay->handlers);
        msgbus_free(relay);
    }
    return rc;
}
