/* async_internal.h - the async bus's private structures, shared by
 * async.c (the object, handle, shutdown), async_pool.c (worker threads),
 * async_done.c (completion queue and its file descriptor), async_job.c
 * (one handle: messages, fan-out, FIFO of emits, free list), async_call.c
 * (one handler call: retries, emits, deferred completion), async_batch.c
 * and async_outbox.c.
 *
 * Locks.  abus->lock guards the task queue, the completion queue and the
 * counters of the object; abus->free_lock the free list of jobs.  A job in
 * progress is owned by one thread at a time, its runner (a worker), which
 * touches it without a lock: the handlers of one message run on the runner
 * one after another, or, when they wait, concurrently on other workers,
 * and then the last call to end hands the job back to a runner (the count
 * job->running, changed atomically).  Handlers and user callbacks run
 * without any lock. */
#ifndef MSGBUS_ASYNC_INTERNAL_H
#define MSGBUS_ASYNC_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <msgbus/async.h>
#include "bus_internal.h"

typedef struct async_job async_job;
typedef struct async_call async_call;

/* Atomics of the GNU C dialect (GCC, Clang): what TSan understands. */
#define ATOMIC_LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define ATOMIC_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define ATOMIC_ADD(p, v) __atomic_add_fetch((p), (v), __ATOMIC_ACQ_REL)
#define ATOMIC_SUB(p, v) __atomic_sub_fetch((p), (v), __ATOMIC_ACQ_REL)

/* Something for a worker: a handler call, or a job to advance. */
typedef struct async_task async_task;
struct async_task {
    async_task *next;
    bool is_job;
};

/* The message a job is handling.  data is the job's own buffer, or a
 * batch's copy (borrowed storage); either way the job clears its contents. */
typedef struct async_msg {
    const msgbus_type *type;
    void *data;
    uint64_t id, causation;
    size_t seq;
} async_msg;

/* ---- async_done.c: callbacks waiting for msgbus_async_dispatch ------- */

/* Something finished whose callback must run on the caller's thread.
 * deliver runs the user's callback and releases the object. */
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
    async_task task;                    /* first: queued for another worker */
    async_job *job;
    const handler_entry *handler;
    msgbus_token token;
    int status;                         /* what the handler call returned */
    /* Deferred calls only, under abus->lock: the handler has returned, and
     * msgbus_complete was called with completion. */
    bool deferred, returned, completed;
    int completion;
    msg_queue emits;                    /* accepted emits, in emit order */
    size_t n_emits;
    msgbus_ctx ctx;                     /* last, its error text at the end */
};

/* Runs the handler (through the middleware, with retries); returns its
 * status.  Lock not held. */
int async_call_run(async_call *call);
/* The thread that ran call is done with it: settles its status, unless a
 * token is outstanding.  Returns true when that ended the last call of the
 * job's message: the caller then owns the job.  Lock not held. */
bool async_call_end(async_call *call, int status);
/* Prepares a call of the job's current message (its storage is kept). */
void async_call_prepare(async_call *call, async_job *job, const handler_entry *h);
/* Frees the call's storage (not the call itself). */
void async_call_free(async_call *call);
/* Drops the call's emits (a failed call emits nothing). */
void async_call_drop_emits(async_call *call);

/* ---- async_pool.c: a worker's own storage ----------------------------- */

/* What running a job needs besides the job: the calls of its current
 * message and the FIFO of emitted messages.  A job borrows one from the
 * worker that starts running it and gives it back to the worker that
 * finishes it, so when one worker runs a whole handle, the common case,
 * this storage stays in that worker's cache from handle to handle. */
typedef struct async_scratch async_scratch;
struct async_scratch {
    async_scratch *next;
    async_call *calls;
    size_t cap_calls;
    msg_queue fifo;
    bool fresh;                         /* made for the job that has it */
};

typedef struct async_worker {
    msgbus_async *abus;
    async_scratch *spare;               /* only this worker's thread touches it */
    size_t n_spare;
} async_worker;

/* A scratch from w's spares, or a new one; NULL when out of memory. */
async_scratch *async_scratch_take(async_worker *w);
/* Gives an emptied scratch to w's spares (w NULL: frees it); a fresh one
 * of a handle that ran out of memory is freed, so that a failed call keeps
 * nothing it made (msgbus_alloc(3)). */
void async_scratch_give(async_worker *w, async_scratch *s, int status);

/* ---- async_job.c: one handle ----------------------------------------- */

struct async_job {
    async_done done;                    /* first: a handle's callback */
    async_task task;                    /* queued: advance the job */
    msgbus_async *abus;
    async_job *next_free;
    async_msg current;                  /* the message being handled */
    unsigned char *buf;                 /* current's own storage, reused */
    size_t buf_cap;
    bool resume;                        /* task: collect current's calls first */
    unsigned ticks;                     /* handler calls run by the runner */
    async_scratch *s;                   /* while running: s->calls[0..n_calls), s->fifo */
    size_t n_calls;
    size_t running;                     /* atomic: calls not over, + 1 while starting */
    uint64_t correlation;
    size_t emits;                       /* atomic: emits accepted (emit limit) */
    int abort_code;                     /* atomic: stop after the current message */
    size_t next_seq;
    int status;
    msgbus_results results;             /* storage reused job after job */
    /* Called when the job is over, first ending (NULL, or lock not held
     * but for a cancel at the start: it may touch only what the job owns),
     * then finished (lock held; the default pushes done). */
    void (*ending)(async_job *job);
    void (*finished)(async_job *job);
    void *owner;                        /* batch or relay */
    size_t index;                       /* position in a batch */
    msgbus_async_done_fn on_done;
    void *userdata;
    /* Last, what most handles do not touch (a success clears nothing of
     * err), so the fields above share as few cache lines as they can: a
     * job comes back cold from the free list. */
    msgbus_ctx shared;                  /* key/value pairs of this handle */
    msgbus_error err;
};

/* A job from the free list (or a new one) with finished and deliver set
 * for a single handle; NULL when out of memory.  Lock not held. */
async_job *async_job_get(msgbus_async *abus);
/* Returns a job to the free list (takes free_lock, not lock). */
void async_job_put(async_job *job);
/* Frees the free list (at the end). */
void async_job_free_all(msgbus_async *abus);
/* Room for a message of type in the job's buffer; 0 or MSGBUS_ENOMEM. */
int async_job_reserve(async_job *job, const msgbus_type *type);
/* Makes the job handle a copy of msg (0 or MSGBUS_ENOMEM). */
int async_job_copy(async_job *job, const msgbus_msg *msg);
/* Queues the job to start (lock held); ids and seq are assigned here. */
void async_job_start(async_job *job);
/* Advances the job on a worker (lock not held): runs its messages until
 * one waits for calls on other workers or a token, or the handle is over;
 * returns the job when it is over (finished must then run, lock held). */
async_job *async_job_run(async_job *job, async_worker *w);
/* Runs a call queued for another worker (lock not held); when its end was
 * the last of its message, this thread takes the job on: like
 * async_job_run. */
async_job *async_job_run_call(async_call *call, async_worker *w);
/* A call's end handed the job to a thread that is not a worker (lock held):
 * queue it for a worker to collect. */
void async_job_resume(async_job *job);

/* ---- async_pool.c: worker threads ------------------------------------ */

int async_pool_start(msgbus_async *abus, unsigned workers, msgbus_error *err);
/* Lets the workers finish their queue, then joins them (lock not held). */
void async_pool_stop(msgbus_async *abus);
/* Queues a task (lock held). */
void async_pool_push(msgbus_async *abus, async_task *task);
bool async_pool_is_worker(const msgbus_async *abus);

/* ---- async_outbox.c ---------------------------------------------------- */

/* Waits for the relay thread, if one ran (lock not held). */
void async_outbox_join(msgbus_async *abus);

/* ---- async.c: the object --------------------------------------------- */

struct async_relay;

/* Fields are grouped by who writes them, each group on its own cache
 * lines: the caller and every worker take lock for each message, so what
 * it guards sits right after it, and what is written without it (the free
 * list, the id counter) sits apart, where those writes do not take the
 * lock's line from the other threads; what workers only read (cancelling)
 * sits with what never changes. */
#define ASYNC_LINE 64

struct msgbus_async {
    /* Under lock: the task queue, the completion queue, the counters. */
    pthread_mutex_t lock;
    async_task *task_head, *task_tail;
    unsigned idle;                      /* workers waiting on work */
    bool stopping;                      /* workers exit when the queue is empty */
    bool accepting;                     /* false after shutdown began */
    bool dispatching;
    bool shut;                          /* shutdown completed */
    size_t pending;                     /* accepted, callback not yet run */
    done_queue done;
    char pad_lock[ASYNC_LINE];
    pthread_mutex_t free_lock;          /* free_jobs */
    async_job *free_jobs;               /* under free_lock */
    size_t n_free;
    char pad_free[ASYNC_LINE];
    uint64_t next_id;                   /* atomic */
    char pad_atomic[ASYNC_LINE];
    /* Set up once, or rarely used. */
    msgbus_bus *bus;
    bool cancelling;                    /* atomic: read by workers without lock */
    pthread_mutex_t pairs_lock;         /* the handles' key/value pairs */
    pthread_cond_t work;                /* workers: a task was queued, or stop */
    pthread_cond_t ready;               /* waiters: a callback is waiting */
    pthread_cond_t relay_cond;          /* a relay: its job finished */
    pthread_t *threads;
    async_worker *workers;
    unsigned n_threads;
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

static inline uint64_t async_next_id(msgbus_async *abus)
{
    return __atomic_fetch_add(&abus->next_id, 1, __ATOMIC_RELAXED);
}

static inline bool async_cancelling(const msgbus_async *abus)
{
    return __atomic_load_n(&abus->cancelling, __ATOMIC_ACQUIRE);
}

#endif /* MSGBUS_ASYNC_INTERNAL_H */
