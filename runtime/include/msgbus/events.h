/* msgbus/events.h - structured events: what the bus, the outbox relays, the
 * NATS publisher and consumer and the connection loops report about their
 * work, as typed records handed to one hook per bus.  The library never
 * prints them: the program decides (one line, NDJSON, a log system).
 * See msgbus_events(3). */
#ifndef MSGBUS_EVENTS_H
#define MSGBUS_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <msgbus/types.h>
#include <msgbus/bus.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What happened.  The values are stable; new kinds are added at the end. */
typedef enum msgbus_event_kind {
    MSGBUS_EVENT_HANDLER_FAILED = 1,    /* a handler returned an error */
    MSGBUS_EVENT_RETRY_SCHEDULED,       /* an outbox row waits delay_ms for its next attempt */
    MSGBUS_EVENT_DEAD_LETTERED,         /* an outbox row failed its last attempt */
    MSGBUS_EVENT_LEASE_RECLAIMED,       /* expired leases released (counts.reclaimed) */
    MSGBUS_EVENT_BATCH_DONE,            /* one relay step ended (counts, duration_ms) */
    MSGBUS_EVENT_PUBLISH_ACKED,         /* the broker stored a published row */
    MSGBUS_EVENT_PUBLISH_FAILED,        /* no PubAck for a published row */
    MSGBUS_EVENT_CONSUMER_ACK,          /* a consumed message was handled and acked */
    MSGBUS_EVENT_CONSUMER_NAK,          /* ... failed and will be redelivered after delay_ms */
    MSGBUS_EVENT_CONSUMER_TERM,         /* ... failed for good: terminated */
    MSGBUS_EVENT_INBOX_DUPLICATE,       /* ... was seen before: skipped and acked */
    MSGBUS_EVENT_CONNECTION_LOST,       /* a broker or database connection dropped */
    MSGBUS_EVENT_CONNECTION_RESTORED    /* ... and is back (duration_ms: how long it was down) */
} msgbus_event_kind;

/* Rows of a relay step (MSGBUS_EVENT_BATCH_DONE, LEASE_RECLAIMED). */
typedef struct msgbus_event_counts {
    size_t claimed, processed, failed, dead_lettered, reclaimed;
} msgbus_event_counts;

/* One event.  The library fills the fields that apply to the kind and
 * leaves the others 0 or NULL; strings are borrowed for the hook call
 * only.  New fields are added at the end (the library allocates events,
 * so a hook built against an older header keeps working). */
typedef struct msgbus_event {
    msgbus_event_kind kind;
    int64_t time_ms;            /* when, ms since 1970-01-01 UTC */
    const char *source;         /* who: "bus", "outbox", "nats.publisher", "nats.consumer", ... */
    const char *message_id;     /* the message: row id, CloudEvent id or bus message id */
    const char *type;           /* its full type name */
    const char *handler;        /* the handler concerned */
    int attempt;                /* 1 for the first attempt or delivery; 0: not applicable */
    int64_t delay_ms;           /* RETRY_SCHEDULED, CONSUMER_NAK: wait before the next attempt */
    const char *error;          /* what went wrong */
    int code;                   /* its MSGBUS_E* code, or 0 */
    const char *row_id;         /* the outbox row, when there is one */
    msgbus_event_counts counts; /* BATCH_DONE, LEASE_RECLAIMED */
    int64_t duration_ms;        /* BATCH_DONE: the step; CONNECTION_RESTORED: the outage */
    const char *endpoint;       /* CONNECTION_*: the server ("nats://127.0.0.1:4222", a database) */
    const char *correlation_id; /* the message's correlation id, when known */
} msgbus_event;

/* The hook: called once per event, in the thread that did the work (on an
 * async bus, a worker: the hook must then be thread-safe).  It must not
 * call back into the bus that reports the event. */
typedef void (*msgbus_event_fn)(const msgbus_event *event, void *userdata);

/* Sets the event hook of bus (fn NULL: none, the default).  The outbox
 * relays (msgbus_process_outbox, msgbus_nats_relay) report to the hook of
 * the bus they are given: pass a bus to see their events.  Not to be
 * called while the bus is handling.  Returns 0, MSGBUS_EINVAL (no bus) or
 * MSGBUS_ENOMEM. */
int msgbus_set_event_hook(msgbus_bus *bus, msgbus_event_fn fn, void *userdata);

/* Hands event to bus's hook, filling time_ms when it is 0.  For the layers
 * outside libmsgbus (NATS, PostgreSQL, a program's own relay loop) to
 * report through the same hook.  bus NULL or without a hook: nothing. */
void msgbus_emit_event(msgbus_bus *bus, const msgbus_event *event);

/* True when bus has a hook: lets a caller skip building an event nobody
 * receives. */
int msgbus_event_hook_set(const msgbus_bus *bus);

/* The kind's stable name: "handler.failed", "retry.scheduled",
 * "dead.lettered", "lease.reclaimed", "batch.done", "publish.acked",
 * "publish.failed", "consumer.ack", "consumer.nak", "consumer.term",
 * "inbox.duplicate", "connection.lost", "connection.restored"; "unknown"
 * for any other value. */
const char *msgbus_event_kind_name(msgbus_event_kind kind);

/* The event as a new JSON object (NULL when out of memory): "event" (the
 * kind's name), "time" (RFC 3339), then each field that is set, under its
 * name in the struct ("counts" an object).  One per line makes NDJSON. */
json_t *msgbus_event_to_json(const msgbus_event *event);

/* The event as one line of text without a newline, fields as key=value
 * with values quoted and control characters escaped when needed:
 *   2024-05-01T12:00:00.250Z retry.scheduled source=outbox row_id=... delay_ms=1000 ...
 * Writes at most size bytes with a NUL (truncating); returns the length
 * the whole line has, as snprintf does, or MSGBUS_EINVAL. */
int msgbus_event_format(const msgbus_event *event, char *out, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* MSGBUS_EVENTS_H */
