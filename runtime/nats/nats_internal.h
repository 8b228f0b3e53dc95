/* nats_internal.h - shared by the files of libmsgbus-nats. */
#ifndef MSGBUS_NATS_INTERNAL_H
#define MSGBUS_NATS_INTERNAL_H

#include <msgbus/nats.h>
#include <msgbus/value.h>

/* Reports a NATS status (and a JetStream error code, or 0) as MSGBUS_EIO. */
int nats_fail(natsStatus s, jsErrCode jerr, const char *what, msgbus_error *err);

/* A malloc'd copy of s, or NULL for NULL or when out of memory. */

/* The CloudEvent of row (type and payload set, source not NULL): a size
 * big enough for it, and writing it into buf of that size (returns its
 * length), so a publisher can reuse one buffer for every row. */
size_t nats_cloudevent_size(const msgbus_outbox_row *row, const char *source);
size_t nats_cloudevent_write(const msgbus_outbox_row *row, const char *source, char *buf);

#endif /* MSGBUS_NATS_INTERNAL_H */
