/* bus_internal.h - the bus's private structures, shared by bus.c, ctx.c,
 * handlers.c, queue.c, results.c, policy.c and middleware.c, and used by
 * the async bus (async_internal.h) through the context's operations. */
#ifndef MSGBUS_BUS_INTERNAL_H
#define MSGBUS_BUS_INTERNAL_H

#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <msgbus/msgbus.h>
#include "trace_internal.h"

/* ---- handlers.c: type pointer -> handlers, open addressing ------------ */

typedef struct handler_entry {
    const char *name;                   /* static name or one in owned_names */
    msgbus_handler_fn fn;
    const msgbus_handler_desc *desc;    /* static handler, or NULL: may emit anything */
    /* Async bus: a running mean of a call's duration in nanoseconds, 0
     * until the first call (atomic; see async_job.c). */
    unsigned cost_ns;
} handler_entry;

typedef struct handler_slot handler_slot;
struct handler_slot {
    const msgbus_type *type;            /* NULL: empty slot */
    size_t n, cap;
    handler_entry *items;               /* in items_block, on whole cache lines */
    void *items_block;
    /* Filled when the type is first emitted: an initialized value, copied
     * over the emitter's struct instead of re-running msgbus_value_init, and
     * whether values of the type own heap memory (else clearing is a no-op). */
    unsigned char *blank;
    bool owns_memory;
};

typedef struct handler_table {
    size_t cap;                         /* power of two, or 0 */
    size_t used;
    handler_slot *slots;
    /* Names copied for run-time handlers; kept until the bus is freed so
     * that results never point at freed text. */
    char **owned_names;
    size_t n_owned, cap_owned;
} handler_table;

void handler_table_free(handler_table *t);

static inline size_t handler_table_hash(const msgbus_type *type, size_t cap)
{
    /* Fibonacci hashing of the address; low bits are alignment zeros. */
    uint64_t h = (uint64_t)(uintptr_t)type * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> 32) & (cap - 1);
}

/* The slot of type, or NULL if it has none.  Inline: it is on the
 * dispatch path. */
static inline handler_slot *handler_table_find(const handler_table *t,
                                               const msgbus_type *type)
{
    size_t i;
    if (t->cap == 0)
        return NULL;
    for (i = handler_table_hash(type, t->cap);; i = (i + 1) & (t->cap - 1)) {
        handler_slot *s = &t->slots[i];
        if (s->type == type)
            return s;
        if (s->type == NULL)
            return NULL;
    }
}
/* The slot of type, created empty if needed; NULL when out of memory. */
handler_slot *handler_table_slot(handler_table *t, const msgbus_type *type);
int handler_slot_append(handler_slot *slot, const handler_entry *e);
/* Fills slot->blank and slot->owns_memory once; 0 or MSGBUS_ENOMEM. */
int handler_slot_prepare(handler_slot *slot);
/* Returns a copy of name owned by the table, or NULL when out of memory. */
const char *handler_table_keep_name(handler_table *t, const char *name);

/* ---- queue.c: emitted messages, FIFO, storage reused across calls ------ */

typedef struct queue_entry {
    const msgbus_type *type;
    uint64_t id;
    uint64_t causation;
    size_t seq;
    size_t size;                        /* bytes of the whole entry */
    bool owns_memory;                   /* clear the message after handling */
} queue_entry;

typedef struct msg_queue {
    unsigned char *buf;
    size_t cap, head, tail;             /* entries live in buf[head..tail) */
} msg_queue;

/* Entries are aligned for any member of a generated struct. */
#define QUEUE_ALIGN 16
#define QUEUE_HEADER ((sizeof(queue_entry) + QUEUE_ALIGN - 1) & ~(size_t)(QUEUE_ALIGN - 1))

void queue_free(msg_queue *q);
/* Moves the bytes of *msg into the queue; 0 or MSGBUS_ENOMEM. */
int queue_push(msg_queue *q, const msgbus_msg *msg, uint64_t id, uint64_t causation,
               size_t seq, bool owns_memory);
/* Clears and removes every entry pushed after mark. */
void queue_truncate(msg_queue *q, size_t mark);

/* Small enough to inline on the dispatch path. */
static inline bool queue_empty(const msg_queue *q)
{
    return q->head == q->tail;
}

/* The oldest entry, or NULL. */
static inline queue_entry *queue_front(msg_queue *q)
{
    return q->head == q->tail ? NULL : (queue_entry *)(void *)(q->buf + q->head);
}

static inline void *queue_entry_msg(queue_entry *e)
{
    return (unsigned char *)e + QUEUE_HEADER;
}

/* Removes the oldest entry without clearing its message (it was moved out). */
static inline void queue_pop(msg_queue *q)
{
    queue_entry *e = queue_front(q);
    if (e == NULL)
        return;
    q->head += e->size;
    if (q->head == q->tail)
        q->head = q->tail = 0;
}

/* Position after the newest entry, counted from the oldest one: it stays
 * valid while no entry is popped, even if the buffer moves. */
static inline size_t queue_mark(const msg_queue *q)
{
    return q->tail - q->head;
}

/* ---- results.c ------------------------------------------------------- */

/* Slim entries, what every handler call writes, and apart from them the
 * error texts, written only by failed calls: a failed entry i (status not
 * 0) has its text in texts[i], a successful one "".  Both arrays grow
 * together, so a failure allocates nothing of its own. */
typedef char result_text[MSGBUS_ERROR_TEXT_LENGTH];

struct msgbus_results {
    size_t n, cap;
    msgbus_result *items;
    result_text *texts;
    bool has_values;                    /* some entry has a value to release */
};

/* Doubles the storage; 0 or MSGBUS_ENOMEM. */
int results_grow(msgbus_results *r);
/* Room for cap entries in all; 0 or MSGBUS_ENOMEM. */
int results_reserve(msgbus_results *r, size_t cap);
/* Moves n entries of src from `from` to the end of dst (their values go
 * with them, src's stay behind as NULL); 0 or MSGBUS_ENOMEM. */
int results_take(msgbus_results *dst, msgbus_results *src, size_t from, size_t n);

/* Appends an entry; value is stolen.  0 or MSGBUS_ENOMEM.  Inline: one
 * call per handler call. */
static inline int results_add(msgbus_results *r, const msgbus_type *type, size_t seq,
                              uint64_t id, const char *handler, int status, json_t *value,
                              const char *error)
{
    msgbus_result *e;
    if (r->n == r->cap && results_grow(r) != 0) {
        json_decref(value);
        return MSGBUS_ENOMEM;
    }
    e = &r->items[r->n];
    e->type = type;
    e->seq = seq;
    e->message_id = id;
    e->handler = handler;
    e->status = status;
    e->value = value;
    e->error = "";
    if (status != 0) {                  /* failed: its text is texts[n] */
        snprintf(r->texts[r->n], sizeof r->texts[r->n], "%s", error);
        e->error = r->texts[r->n];
    }
    if (value)
        r->has_values = true;
    r->n++;
    return 0;
}

/* ---- ctx.c ----------------------------------------------------------- */

typedef struct ctx_pair {
    char *key;
    void *value;
    void (*free_fn)(void *);
} ctx_pair;

/* What differs between the buses behind a context: the synchronous bus
 * queues an emit on the bus, the async bus keeps it in the call's own list. */
typedef struct ctx_ops {
    /* msgbus_emit after its argument checks: the message's contents move to
     * the bus (0), or it is refused and freed (a negative code). */
    int (*emit)(msgbus_ctx *ctx, msgbus_msg *msg);
} ctx_ops;

struct msgbus_ctx {
    msgbus_bus *bus;
    const ctx_ops *ops;
    const msgbus_msg *msg;
    const handler_entry *handler;
    uint64_t id, correlation, causation;
    size_t seq;
    unsigned attempt;
    /* Set during one handler call. */
    json_t *result;
    int refused;                        /* code of a refused emit, or 0 */
    /* Shared by the handlers of one handle call. */
    ctx_pair *pairs;
    size_t n_pairs, cap_pairs;
    /* Whoever runs the call behind ops (the async bus's call), and the
     * context holding the pairs of its handle with their lock; NULL on the
     * synchronous bus. */
    void *owner;
    struct msgbus_ctx *shared;
    pthread_mutex_t *shared_lock;
    trace_state trace;                  /* text ids and trace context (trace.c) */
    /* Last: a call that succeeds only clears its first byte, so the fields
     * above share as few cache lines as they can. */
    char error[MSGBUS_ERROR_TEXT_LENGTH];
};

/* Empties the key/value pairs (keeps the storage). */
void ctx_clear_pairs(msgbus_ctx *ctx);
void ctx_free(msgbus_ctx *ctx);

/* ---- middleware.c ---------------------------------------------------- */

typedef struct middleware {
    msgbus_before_fn before;
    msgbus_after_fn after;
    void *userdata;
} middleware;

/* Runs one handler call through the middleware, with retries; returns its
 * status.  Only used when the bus has middleware. */
int middleware_call(msgbus_bus *bus, msgbus_ctx *ctx, const handler_entry *h,
                    const msgbus_msg *msg);
/* One attempt: befores, the handler, afters; *retry is set when an after
 * hook asks for another attempt.  Used by the async bus too. */
int middleware_attempt(msgbus_bus *bus, msgbus_ctx *ctx, const handler_entry *h,
                       const msgbus_msg *msg, bool *retry);

/* ---- bus.c ----------------------------------------------------------- */

struct msgbus_bus {
    void *userdata;
    handler_table handlers;
    const msgbus_module **modules;      /* installed, for type lookup */
    size_t n_modules, cap_modules;
    middleware *mw;
    size_t n_mw;
    msgbus_log_fn log;
    void *log_userdata;
    size_t emit_limit;
    struct bus_obs *obs;                /* events, metrics (obs_internal.h), or NULL */

    /* State of the handle call in progress. */
    bool busy;
    msg_queue queue;
    unsigned char *current;             /* the emitted message being handled */
    size_t current_cap;
    uint64_t next_id;
    size_t emits;                       /* accepted emits in this handle */
    size_t next_seq;
    int abort_code;                     /* e.g. MSGBUS_ELIMIT: stop the handle */
    msgbus_ctx ctx;
};

/* Calls one handler: runs it, then applies a refused emit. */
int bus_invoke(msgbus_ctx *ctx, const handler_entry *h, const msgbus_msg *msg);
/* Resets the per-call state of ctx before an attempt. */
static inline void bus_begin_call(msgbus_ctx *ctx)
{
    ctx->error[0] = '\0';
    ctx->refused = 0;
    if (ctx->result) {
        json_decref(ctx->result);
        ctx->result = NULL;
    }
}
/* ---- policy.c: the rules both buses apply ---------------------------- */

const char *policy_kind_name(const msgbus_type *type);
/* Refuses an emit: frees the message, logs and makes the call fail;
 * returns code. */
int bus_refuse_emit(msgbus_ctx *ctx, msgbus_msg *msg, int code);
/* What a handler may emit (no record, only declared types); 0, or the
 * emit is refused. */
int policy_check_emit(msgbus_ctx *ctx, msgbus_msg *msg);
/* Refuses an emit over the handle's limit: MSGBUS_ELIMIT. */
int policy_emit_limit(msgbus_ctx *ctx, msgbus_msg *msg, size_t limit);
/* A message without handlers: MSGBUS_ENOHANDLER for a command (err set),
 * 0 for an event; both logged. */
int policy_no_handler(msgbus_bus *bus, const msgbus_type *type, msgbus_error *err);
/* One handler call of ctx->msg is over with status: records its result
 * (taking ctx->result) when results is not NULL, logs a failure, and
 * returns non-zero (err set) when the handle stops: a failed command, or
 * any failure while aborting, or out of memory. */
int policy_call_over(msgbus_ctx *ctx, int status, bool aborting, msgbus_results *results,
                     msgbus_error *err);

/* Drops what a failed call emitted: everything queued after mark. */
void bus_rollback(msgbus_bus *bus, size_t mark, size_t emits, size_t seq);
void bus_log(msgbus_bus *bus, int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif /* MSGBUS_BUS_INTERNAL_H */
