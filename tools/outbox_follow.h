/* outbox_follow.h - the relay loop of `msgbus-outbox relay --follow`. */
#ifndef OUTBOX_FOLLOW_H
#define OUTBOX_FOLLOW_H

#include <msgbus/msgbus.h>
#include "outbox_nats.h"

typedef struct outbox_follow_config {
    msgbus_bus *bus;                    /* carries the event hook (borrowed) */
    msgbus_outbox_repo *repo;           /* SQLite or PostgreSQL (borrowed) */
    const char *where;                  /* the database, as messages name it */
    const outbox_nats_settings *nats;   /* url NULL: the options' handlers */
    const msgbus_outbox_options *options;
    int64_t poll_ms;                    /* idle wait: NOTIFY wakes sooner */
    int64_t reconnect_max_ms;           /* cap of the reconnect backoff */
} outbox_follow_config;

/* Relays until SIGTERM or SIGINT; returns the exit status: 0 after a
 * signal, 1 on an error that is not a transport failure. */
int outbox_follow(const outbox_follow_config *cfg);

#endif /* OUTBOX_FOLLOW_H */
