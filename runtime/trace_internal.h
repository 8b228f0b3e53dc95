/* trace_internal.h - the trace context a msgbus_ctx carries (trace.c).
 * The flow's part (ids given from outside, the trace, the UUID base of the
 * handle's messages) lives in the context of the handle: the bus's own, or
 * on the async bus the job's shared one; the span is per handler call.
 * Everything is made when first asked for, so a handle whose handlers
 * never look pays nothing. */
#ifndef MSGBUS_TRACE_INTERNAL_H
#define MSGBUS_TRACE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <msgbus/trace.h>

typedef struct trace_flow {
    bool pending;               /* set by msgbus_bus_set_next_trace for the next handle */
    char base[37];              /* UUIDv7 from which the handle's message ids derive, or "" */
    char root_id[MSGBUS_MESSAGE_ID_SIZE];       /* the first message's id if given, or "" */
    char correlation[MSGBUS_MESSAGE_ID_SIZE];   /* given, or "" */
    char root_causation[MSGBUS_MESSAGE_ID_SIZE];/* given, or "" */
    bool has_trace;
    uint8_t trace_id[16];
    uint8_t parent_span[8];     /* the sender's span, or zeros */
    uint8_t flags;
    char tracestate[MSGBUS_TRACESTATE_MAX + 1];
} trace_flow;

typedef struct trace_call {
    bool has_span;
    uint8_t span[8];
    /* Text handed out by the accessors during the call. */
    char message[MSGBUS_MESSAGE_ID_SIZE];
    char correlation[MSGBUS_MESSAGE_ID_SIZE];
    char causation[MSGBUS_MESSAGE_ID_SIZE];
} trace_call;

typedef struct trace_state {
    trace_flow flow;
    trace_call call;
} trace_state;

struct msgbus_ctx;

/* Starts a handle on the bus's context: keeps what
 * msgbus_bus_set_next_trace gave, else forgets the last handle's flow
 * (a few stores: on the dispatch path). */
static inline void trace_handle_begin(trace_flow *f)
{
    if (f->pending) {
        f->pending = false;
    } else {
        f->root_id[0] = f->correlation[0] = f->root_causation[0] = '\0';
        f->has_trace = false;
        f->tracestate[0] = '\0';
    }
    f->base[0] = '\0';
}

/* The context whose handler is running in this thread, or NULL.  Static
 * TLS (initial-exec): read and written on every handler call, where a
 * dynamic TLS lookup would cost a function call. */
extern __thread struct msgbus_ctx *trace_current_ctx
#if defined(__GNUC__)
    __attribute__((tls_model("initial-exec")))
#endif
    ;

/* Around one handler call (bus_invoke): a new span, and the current
 * context of the thread.  Returns the previous one, for trace_call_end.
 * Inline: on the dispatch path. */
static inline struct msgbus_ctx *trace_call_begin(struct msgbus_ctx *ctx, trace_call *call)
{
    struct msgbus_ctx *previous = trace_current_ctx;
    call->has_span = false;
    trace_current_ctx = ctx;
    return previous;
}

static inline void trace_call_end(struct msgbus_ctx *previous)
{
    trace_current_ctx = previous;
}

/* What an outbox row registered now should carry in its meta: fills each
 * key of meta (a JSON object) that is missing.  row_id is the row's own
 * id: outside any handler the row starts a flow and a trace. */
struct json_t;
int trace_fill_meta(struct json_t *meta, const char *row_id);

#endif /* MSGBUS_TRACE_INTERNAL_H */
