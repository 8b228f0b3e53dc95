/* outbox_nats.h - relay --nats URL: the NATS side of msgbus-outbox relay,
 * which configure may leave out (then each function says so). */
#ifndef OUTBOX_NATS_H
#define OUTBOX_NATS_H

#include <stdint.h>
#include <msgbus/msgbus.h>

/* The relay's --nats options. */
typedef struct outbox_nats_settings {
    const char *url;                /* NULL: no --nats */
    const char *source;             /* --source: the CloudEvents source */
    const char *subject_prefix;     /* --prefix, or NULL: the default */
    int64_t ack_timeout_ms;         /* --ack-timeout, or 0: the default */
} outbox_nats_settings;

typedef struct outbox_nats outbox_nats;

/* Connects to s->url and makes a publisher of repo's rows.  follow: libnats
 * reconnects (capped at reconnect_max_ms), also when no server answers at
 * start; otherwise one attempt.  Returns the exit status: 0 (*out set), 1
 * after printing why (where names the database), 2 when built without
 * NATS. */
int outbox_nats_open(const outbox_nats_settings *s, msgbus_outbox_repo *repo, const char *where,
                     bool follow, int64_t reconnect_max_ms, outbox_nats **out);
/* Whether the connection is up (a follower waits while it is not). */
bool outbox_nats_connected(const outbox_nats *n);
/* msgbus_nats_relay: one batch of due rows published. */
int outbox_nats_relay(msgbus_bus *bus, outbox_nats *n, const msgbus_outbox_options *o,
                      msgbus_outbox_stats *st, msgbus_error *err);
void outbox_nats_close(outbox_nats *n);

#endif /* OUTBOX_NATS_H */
