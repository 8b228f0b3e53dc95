/* msgbus/nats.h - NATS JetStream for msgbus (libmsgbus-nats).
 *
 * The publisher relays outbox rows to JetStream as CloudEvents 1.0
 * (structured JSON): id = row id, source (configurable), type = the full
 * type name, time, datacontenttype and data.  The subject is the schema's
 * outbox route for the type, or the full type name ("shop.orders.Placed")
 * without one.  The header Nats-Msg-Id carries the row id, so the broker
 * drops a row published twice (after a crash) within the stream's
 * duplicate window.  Publishing is asynchronous with a bounded window, and
 * a row is marked processed only after its PubAck.
 *
 * The consumer is a durable pull consumer: it decodes each CloudEvent,
 * finds its type through the modules installed on the bus, handles it,
 * and acks; a failure naks with a growing delay, and the last allowed
 * delivery terminates the message (dead letter).  With an inbox, the
 * message id is recorded in the handler's transaction, so a redelivery has
 * no second effect.  See msgbus_nats(3). */
#ifndef MSGBUS_NATS_H
#define MSGBUS_NATS_H

#include <nats/nats.h>
#include <msgbus/outbox.h>
#include <msgbus/inbox.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- streams ------------------------------------------------------------ */

/* Creates stream name over subjects (or checks it exists), keeping
 * messages on disk, with a duplicate window of dup_window_ms (0: the
 * server's default, 2 minutes).  Returns 0, MSGBUS_EINVAL (no connection,
 * name or subjects) or MSGBUS_EIO. */
int msgbus_nats_stream_ensure(natsConnection *nc, const char *name, const char *const *subjects,
                              size_t n_subjects, int64_t dup_window_ms, msgbus_error *err);

/* ---- publishing: the relay ---------------------------------------------- */

typedef struct msgbus_nats_publisher msgbus_nats_publisher;

/* Options of msgbus_nats_publisher_new; msgbus_nats_publisher_options_init
 * sets the defaults shown. */
typedef struct msgbus_nats_publisher_options {
    const char *source;             /* CloudEvents source: "msgbus" (copied) */
    const char *subject_prefix;     /* put before every subject, or NULL (copied) */
    int64_t max_in_flight;          /* publishes awaiting their PubAck: 256 */
    int64_t ack_timeout_ms;         /* wait for the PubAcks of a batch: 5000 */
} msgbus_nats_publisher_options;

void msgbus_nats_publisher_options_init(msgbus_nats_publisher_options *opts);

/* Makes a publisher over nc (borrowed: free the publisher first) that
 * relays the rows of repo (borrowed).  opts NULL: the defaults.  Returns 0,
 * MSGBUS_EINVAL, MSGBUS_ENOMEM or MSGBUS_EIO. */
int msgbus_nats_publisher_new(natsConnection *nc, msgbus_outbox_repo *repo,
                              const msgbus_nats_publisher_options *opts,
                              msgbus_nats_publisher **out, msgbus_error *err);

void msgbus_nats_publisher_free(msgbus_nats_publisher *pub);

/* One relay step: msgbus_process_outbox over the publisher's repository
 * with the publish handler appended after opts' handlers.  Within a batch
 * (opts->atomic, the default) every row is published without waiting, up
 * to max_in_flight at once; before the batch commits, the publisher waits
 * for the PubAcks and marks processed exactly the rows that got one, while
 * a row without one fails (retry with backoff, or dead letter).  Without
 * batches each row waits for its own PubAck.  bus may be NULL (subjects
 * then default to the full type name).  stats (may be NULL) counts the
 * PubAck failures as failed rows.  Returns 0, MSGBUS_EINVAL (no publisher,
 * invalid options), MSGBUS_ELIMIT (too many handlers in opts) or the
 * repository's error, as msgbus_process_outbox: MSGBUS_EIO, MSGBUS_ENOMEM,
 * MSGBUS_ESTATE or MSGBUS_ENOTFOUND. */
int msgbus_nats_relay(msgbus_bus *bus, msgbus_nats_publisher *pub,
                      const msgbus_outbox_options *opts, msgbus_outbox_stats *stats,
                      msgbus_error *err);

/* The CloudEvent text for row (malloc'd, NUL-terminated; the caller frees
 * it) with the given source, or NULL when out of memory.  Exposed for
 * tests and custom publishers. */
char *msgbus_nats_cloudevent(const msgbus_outbox_row *row, const char *source);

/* True if name may be a CloudEvents extension attribute that carries a
 * row's meta entry: 1 to 20 lowercase letters and digits, not a context
 * attribute of the specification (id, source, type, time, data ...). */
bool msgbus_nats_extension_name_valid(const char *name);

/* The subject of row: the route of its type in bus's modules, or its full
 * type name, behind prefix (may be NULL).  Writes at most size bytes.
 * Returns 0, MSGBUS_EINVAL (no type name or buffer) or MSGBUS_ELIMIT if it
 * did not fit. */
int msgbus_nats_subject(const msgbus_bus *bus, const char *type_name, const char *prefix,
                        char *out, size_t size);

/* ---- consuming ----------------------------------------------------------- */

typedef struct msgbus_nats_consumer msgbus_nats_consumer;

/* Options of msgbus_nats_consumer_new; msgbus_nats_consumer_options_init
 * sets the defaults shown.  Strings are copied. */
typedef struct msgbus_nats_consumer_options {
    const char *stream;             /* required */
    const char *durable;            /* required: durable name, also the inbox's consumer */
    const char *subject;            /* filter subject: NULL for all of the stream's */
    int max_deliver;                /* deliveries before the message is terminated: 5 */
    int64_t ack_wait_ms;            /* redelivery when neither acked nor naked: 30000 */
    int64_t backoff_base_ms;        /* nak delay after the first failure: 1000 */
    int64_t backoff_max_ms;         /* cap of the nak delay: 60000 */
    int batch;                      /* messages fetched at once: 100 */
    msgbus_inbox *inbox;            /* borrowed, or NULL: no inbox */
} msgbus_nats_consumer_options;

void msgbus_nats_consumer_options_init(msgbus_nats_consumer_options *opts);

/* What msgbus_nats_consume did. */
typedef struct msgbus_nats_consumer_stats {
    size_t received;
    size_t handled;                 /* handled and acked */
    size_t duplicates;              /* already in the inbox: acked, not handled */
    size_t naked;                   /* failed, redelivered later */
    size_t terminated;              /* failed for the last time, or undecodable */
} msgbus_nats_consumer_stats;

/* Makes a durable pull consumer (created on the server if missing) that
 * handles messages on bus (borrowed).  Returns 0, MSGBUS_EINVAL,
 * MSGBUS_ENOMEM or MSGBUS_EIO. */
int msgbus_nats_consumer_new(natsConnection *nc, msgbus_bus *bus,
                             const msgbus_nats_consumer_options *opts,
                             msgbus_nats_consumer **out, msgbus_error *err);

void msgbus_nats_consumer_free(msgbus_nats_consumer *c);

/* Fetches up to one batch, waiting at most timeout_ms, and handles each
 * message in order.  A message that fails is naked or terminated, never
 * an error of this call; stats (may be NULL) says what happened.  Returns
 * 0, MSGBUS_EINVAL (no consumer), or MSGBUS_EIO when the server or the
 * inbox fails. */
int msgbus_nats_consume(msgbus_nats_consumer *c, int64_t timeout_ms,
                        msgbus_nats_consumer_stats *stats, msgbus_error *err);

#ifdef __cplusplus
}
#endif

#endif /* MSGBUS_NATS_H */
