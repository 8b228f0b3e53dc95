/* nats_internal.h - shared by the files of libmsgbus-nats. */
#ifndef MSGBUS_NATS_INTERNAL_H
#define MSGBUS_NATS_INTERNAL_H

#include <msgbus/nats.h>
#include <msgbus/value.h>

/* Reports a NATS status (and a JetStream error code, or 0) as MSGBUS_EIO. */
int nats_fail(natsStatus s, jsErrCode jerr, const char *what, msgbus_error *err);

/* A malloc'd copy of s, or NULL for NULL or when out of memory. */
char *nats_strdup(const char *s);

#endif /* MSGBUS_NATS_INTERNAL_H */
