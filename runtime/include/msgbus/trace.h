/* msgbus/trace.h - trace context: message ids unique across processes
 * (UUIDv7), the correlation id (the first message's id) and the causation
 * id (the parent message's id), and W3C Trace Context (trace id, span id,
 * flags, tracestate) for the handler being called.  They follow a message
 * into outbox rows (meta), onto the wire (CloudEvents extension
 * attributes) and out of a consumer into the next handlers.  See
 * msgbus_trace(3). */
#ifndef MSGBUS_TRACE_H
#define MSGBUS_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <msgbus/types.h>
#include <msgbus/bus.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MSGBUS_TRACE_ID_TEXT_SIZE 33        /* 32 lowercase hex digits + NUL */
#define MSGBUS_SPAN_ID_TEXT_SIZE 17         /* 16 + NUL */
#define MSGBUS_TRACEPARENT_SIZE 56          /* "00-<trace>-<span>-<flags>" + NUL */
#define MSGBUS_TRACESTATE_MAX 512           /* longest tracestate kept (W3C) */
#define MSGBUS_MESSAGE_ID_SIZE 65           /* a message id and its NUL */

/* The names of the trace context in outbox rows' meta and in CloudEvents
 * extension attributes. */
#define MSGBUS_META_CORRELATION_ID "correlationid"
#define MSGBUS_META_CAUSATION_ID "causationid"
#define MSGBUS_META_TRACEPARENT "traceparent"
#define MSGBUS_META_TRACESTATE "tracestate"

/* ---- in a handler ---------------------------------------------------- */

/* The id of the message being handled, as text: the CloudEvent id of a
 * consumed message, the id given to msgbus_bus_set_next_trace, or a UUIDv7
 * made for it.  Valid during the handler call. */
const char *msgbus_ctx_message_uuid(msgbus_ctx *ctx);
/* The correlation id: the id of the first message of the whole flow
 * (across services), as text. */
const char *msgbus_ctx_correlation_uuid(msgbus_ctx *ctx);
/* The causation id: the id of the message that caused this one, or "" for
 * the first message. */
const char *msgbus_ctx_causation_uuid(msgbus_ctx *ctx);

/* The W3C trace context of this handler call: the trace id, the call's
 * own span id (a child of the span that sent the message: each handler
 * call is a span of its own) and the flags (bit 0: sampled).  out gets
 * lowercase hex and a NUL. */
void msgbus_ctx_trace_id(msgbus_ctx *ctx, char out[MSGBUS_TRACE_ID_TEXT_SIZE]);
void msgbus_ctx_span_id(msgbus_ctx *ctx, char out[MSGBUS_SPAN_ID_TEXT_SIZE]);
/* The span that sent the message (the call's parent), or zeros. */
void msgbus_ctx_parent_span_id(msgbus_ctx *ctx, char out[MSGBUS_SPAN_ID_TEXT_SIZE]);
unsigned msgbus_ctx_trace_flags(msgbus_ctx *ctx);
/* The traceparent of this call's span, to send along with an outgoing
 * request: "00-<trace id>-<span id>-<flags>". */
void msgbus_ctx_traceparent(msgbus_ctx *ctx, char out[MSGBUS_TRACEPARENT_SIZE]);
/* The tracestate that came in, or "". */
const char *msgbus_ctx_tracestate(msgbus_ctx *ctx);

/* ---- before msgbus_handle --------------------------------------------- */

/* What is known of a message that comes in from elsewhere; every field may
 * be NULL. */
typedef struct msgbus_trace_in {
    const char *traceparent;    /* W3C traceparent; NULL or invalid: a new trace */
    const char *tracestate;     /* kept as is if at most MSGBUS_TRACESTATE_MAX bytes */
    const char *message_id;     /* the message's id; NULL: a new UUIDv7 */
    const char *correlation_id; /* NULL: the message's id (it starts a flow) */
    const char *causation_id;   /* NULL: none */
} msgbus_trace_in;

/* Gives the next msgbus_handle call on bus (synchronous bus only) the
 * message's ids and trace context; that call uses and clears them.
 * Without it, msgbus_handle starts a new trace and a new flow.  Returns 0;
 * MSGBUS_EINVAL for no bus, an id that is empty or longer than
 * MSGBUS_MESSAGE_ID_SIZE - 1 bytes, or a traceparent that is not valid
 * (W3C version 00 form, no all-zero ids): the rest is still set and the
 * message starts a new trace; MSGBUS_ESTATE inside a handler. */
int msgbus_bus_set_next_trace(msgbus_bus *bus, const msgbus_trace_in *in, msgbus_error *err);

/* ---- traceparent text ------------------------------------------------- */

/* Parses a W3C traceparent ("00-" 32 hex "-" 16 hex "-" 2 hex, lowercase;
 * a later version's extra fields are ignored; all-zero ids are invalid).
 * Returns 0 or MSGBUS_EINVAL. */
int msgbus_traceparent_parse(const char *text, uint8_t trace_id[16], uint8_t span_id[8],
                             uint8_t *flags);
/* Writes version 00 of a traceparent and a NUL into out. */
void msgbus_traceparent_format(const uint8_t trace_id[16], const uint8_t span_id[8],
                               uint8_t flags, char out[MSGBUS_TRACEPARENT_SIZE]);

#ifdef __cplusplus
}
#endif

#endif /* MSGBUS_TRACE_H */
