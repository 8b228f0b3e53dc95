/* nats_internal.h - shared by the files of libmsgbus-nats. */
#ifndef MSGBUS_NATS_INTERNAL_H
#define MSGBUS_NATS_INTERNAL_H

#include <msgbus/nats.h>
#include <msgbus/value.h>

/* True if the status (and JetStream error code, or 0) says the server or
 * the connection is unavailable (lost, closed, timed out, cluster without
 * a leader), as opposed to a refusal of the request. */
bool nats_transport_failure(natsStatus s, jsErrCode jerr);

/* Reports a NATS status (and a JetStream error code, or 0) as
 * MSGBUS_EUNAVAILABLE for a transport failure, else MSGBUS_EIO. */
int nats_fail(natsStatus s, jsErrCode jerr, const char *what, msgbus_error *err);

/* Sets the servers of o from urls: one URL or several separated by commas. */
natsStatus nats_set_servers(natsOptions *o, const char *urls);

/* A malloc'd copy of s, or NULL for NULL or when out of memory. */

/* The CloudEvent of row (type and payload set, source not NULL), appended
 * to b, so a publisher can reuse one buffer for every row.  Appends the CloudEvent of row to b.  0, MSGBUS_ENOMEM, or MSGBUS_EINVAL
 * when id, type or source is not UTF-8. */
int nats_cloudevent_put(msgbus_buf *b, const msgbus_outbox_row *row, const char *source);

#endif /* MSGBUS_NATS_INTERNAL_H */
