/* async_internal.h - the async bus's private structures, shared by
 * async.c (the object, shutdown), async_pool.c (worker threads),
 * async_done.c (completion queue and its file descriptor), async_job.c
 * (one handle: messages, fan-out, FIFO of emits), async_call.c (one
 * handler call: retries, emits, deferred completion), async_batch.c and
 * async_outbox.c.
 *
 * One mutex, abus->lock, guards all of the state below unless a comment
 * says otherwise; handlers and user callbacks run without it. */
#ifndef MSGBUS_ASYNC_INTERNAL_H
#define MSGBUS_ASYNC_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <msgbus/async.h>
#include "bus_internal.h"

typedef struct async_job async_job;
typedef struct async_call async_call;

/* A message owned by the async bus: a malloc'd copy of type->size bytes. */
typedef struct async_msg {
    const msgbus_type *type;
    void *data;
    uint64_t id, causation;
    size_t seq;
} async_msg;

void async_msg_free(async_msg *m);

/* ---- async_done.c: callbacks waiting for msgbus_async_dispatch ------- */

/* Something finished whose callback must run on the caller's thread.
 * deliver runs the user's callback and frees the object. */
typedef struct async_done async_done;
struct async_done {
    async_done *next;
    void (*deliver)(msgbus_async *abus, async_done *done);
};

typedef struct done_queue {
    async_done *head, *tail;
    int fds[2];                 /* eventfd: fds[0] == fds[1]; else a pipe */
    bool signalled;             /* fds[0] is readable */
} done_queue;

int done_queue_init(done_queue *q);
void done_queue_destroy(done_queue *q);
/* Appends done and makes the descriptor readable (lock held); returns
 * true when the queue was empty. */
bool done_queue_push(done_queue *q, async_done *done);
/* Takes every entry and drains the descriptor (lock held). */
async_done *done_queue_take(done_queue *q);

/* ---- async_call.c: one handler call --------------------------------- */

struct msgbus_token {
    async_call *call;
};

struct async_call {
    async_job *job;
    const handler_entry *handler;
    msgbus_ctx ctx;                     /* ctx.async points back here */
    msgbus_token token;
    async_call *next_task;              /* worker pool queue */
    int status;                         /* what the handler call returned */
    int completion;                     /* given to msgbus_complete */
    bool returned, deferred, completed;
    async_msg *emits;                   /* accepted emits, in emit order */
    size_t n_emits, cap_emits;
};

/* Runs the handler (through the middleware, with retries) on a worker. */
int async_call_run(async_call *call);
/* The worker is done with call: finish it unless a token is outstanding
 * (lock held). */
void async_call_returned(async_call *call, int status);
/* Empties the call for its next use; keeps its emit storage. */
void async_call_reset(async_call *call);
/* Frees the call's emits and context (not the call itself). */
void async_call_clear(async_call *call);
/* async_job.c: one call of the job's current message is over (lock held). */
void async_job_call_done(async_job *job);

/* ---- async_job.c: one handle ----------------------------------------- */

struct async_job {
    async_done done;                    /* first: a handle's callback */
    msgbus_async *abus;
    async_msg current;                  /* the message being handled */
    async_msg *fifo;                    /* waiting emits: fifo[head..n) */
    size_t head, n, cap;
    async_call *calls;                  /* handlers of current, in order */
    size_t n_calls, cap_calls, running; /* calls[] is reused message after message */
    uint64_t correlation;
    size_t emits;                       /* emits accepted (emit limit) */
    size_t next_seq;
    int abort_code;                     /* stop after the current message */
    int status;
    msgbus_error err;
    msgbus_results *results;
    msgbus_ctx shared;                  /* key/value pairs of this handle */
    /* Called (lock held) when the job is over; the default pushes done. */
    void (*finished)(async_job *job);
    void *owner;                        /* batch or relay */
    size_t index;                       /* position in a batch */
    msgbus_async_done_fn on_done;
    void *userdata;
};

/* A job for a copy of msg (id and seq assigned on start), or NULL when
 * out of memory (err filled). */
async_job *async_job_new(msgbus_async *abus, const msgbus_msg *msg, msgbus_error *err);
void async_job_free(async_job *job);
/* Starts handling (lock held). */
void async_job_start(async_job *job);

/* ---- async_pool.c: worker threads ------------------------------------ */

int async_pool_start(msgbus_async *abus, unsigned workers, msgbus_error *err);
/* Lets the workers finish their queue, then joins them (lock not held). */
void async_pool_stop(msgbus_async *abus);
/* Queues a call (lock held). */
void async_pool_push(msgbus_async *abus, async_call *call);
/* Starts a call (lock held): on the worker that is finishing a call, if it
 * has not taken one yet, the call runs next on that worker without going
 * through the queue; anywhere else it is queued. */
void async_pool_start_call(msgbus_async *abus, async_call *call);
bool async_pool_is_worker(const msgbus_async *abus);

/* ---- async_outbox.c ---------------------------------------------------- */

/* Waits for the relay thread, if one ran (lock not held). */
void async_outbox_join(msgbus_async *abus);

/* ---- async.c: the object --------------------------------------------- */

struct async_relay;

struct msgbus_async {
    msgbus_bus *bus;
    pthread_mutex_t lock;
    pthread_mutex_t pairs_lock;         /* the handles' key/value pairs */
    pthread_cond_t work;                /* workers: a call was queued, or stop */
    pthread_cond_t ready;               /* waiters: a callback is waiting */
    pthread_cond_t relay_cond;          /* a relay: its job finished */
    pthread_t *threads;
    unsigned n_threads;
    async_call *task_head, *task_tail;
    unsigned idle;                      /* workers waiting on work */
    /* While a worker finishes a call (lock held throughout), where it takes
     * the next call to run itself; NULL on any other thread. */
    async_call **run_next;
    bool stopping;                      /* workers exit when the queue is empty */
    bool accepting;                     /* false after shutdown began */
    bool cancelling;
    bool shut;                          /* shutdown completed */
    done_queue done;
    size_t pending;                     /* accepted, callback not yet run */
    bool dispatching;
    uint64_t next_id;
    struct async_relay *relay;          /* the current relay, or NULL */
    bool relay_joinable;                /* relay_thread ran and is not joined */
    pthread_t relay_thread;
};

/* Counts new work from a caller as pending, or MSGBUS_ESTATE after
 * shutdown began (lock held). */
int async_accept(msgbus_async *abus);
/* Queues a finished piece of work for msgbus_async_dispatch and wakes
 * msgbus_async_wait (lock held). */
void async_done_push(msgbus_async *abus, async_done *done);

#endif /* MSGBUS_ASYNC_INTERNAL_H */
