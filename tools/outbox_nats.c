/* outbox_nats.c - relay --nats URL: publishing the outbox's rows to NATS
 * JetStream through libmsgbus-nats; without it, a stub that says so. */
#define _POSIX_C_SOURCE 200809L
#include "outbox_tool.h"
#include "outbox_nats.h"

#if HAVE_NATS
#include <stdlib.h>
#include <msgbus/nats.h>

struct outbox_nats {
    natsConnection *nc;
    msgbus_nats_publisher *pub;
};

int outbox_nats_open(const outbox_nats_settings *s, msgbus_outbox_repo *repo, const char *where,
                     bool follow, int64_t reconnect_max_ms, outbox_nats **out)
{
    msgbus_nats_publisher_options po;
    msgbus_nats_publisher_options_init(&po);
    po.source = s->source;
    if (s->subject_prefix)
        po.subject_prefix = s->subject_prefix;
    if (s->ack_timeout_ms > 0)
        po.ack_timeout_ms = s->ack_timeout_ms;
    outbox_nats *n = calloc(1, sizeof *n);
    if (!n) {
        fprintf(stderr, "%s: out of memory\n", OUTBOX_PROG);
        return 1;
    }
    msgbus_error err;
    if (follow) {
        if (msgbus_nats_connect(s->url, reconnect_max_ms, &n->nc, &err) < 0 ||
            msgbus_nats_publisher_new(n->nc, repo, &po, &n->pub, &err) < 0) {
            fprintf(stderr, "%s: relay: error: %s\n", OUTBOX_PROG, err.text);
            outbox_nats_close(n);
            return 1;
        }
    } else {
        if (natsConnection_ConnectTo(&n->nc, s->url) != NATS_OK) {
            fprintf(stderr, "%s: %s: %s\n", OUTBOX_PROG, s->url, nats_GetLastError(NULL));
            outbox_nats_close(n);
            return 1;
        }
        if (msgbus_nats_publisher_new(n->nc, repo, &po, &n->pub, &err) < 0) {
            outbox_nats_close(n);
            fprintf(stderr, "%s: %s: ", OUTBOX_PROG, where);
            outbox_put_escaped(stderr, err.text);
            fputc('\n', stderr);
            return 1;
        }
    }
    *out = n;
    return 0;
}

bool outbox_nats_connected(const outbox_nats *n)
{
    return msgbus_nats_connected(n->nc);
}

int outbox_nats_relay(msgbus_bus *bus, outbox_nats *n, const msgbus_outbox_options *o,
                      msgbus_outbox_stats *st, msgbus_error *err)
{
    return msgbus_nats_relay(bus, n->pub, o, st, err);
}

void outbox_nats_close(outbox_nats *n)
{
    if (!n)
        return;
    msgbus_nats_publisher_free(n->pub);
    natsConnection_Destroy(n->nc);
    free(n);
}
#else
int outbox_nats_open(const outbox_nats_settings *s, msgbus_outbox_repo *repo, const char *where,
                     bool follow, int64_t reconnect_max_ms, outbox_nats **out)
{
    (void)s, (void)repo, (void)where, (void)follow, (void)reconnect_max_ms, (void)out;
    return outbox_not_built("--nats", "NATS", "--with-nats");
}

bool outbox_nats_connected(const outbox_nats *n)
{
    (void)n;
    return false;
}

int outbox_nats_relay(msgbus_bus *bus, outbox_nats *n, const msgbus_outbox_options *o,
                      msgbus_outbox_stats *st, msgbus_error *err)
{
    (void)bus, (void)n, (void)o, (void)st;
    return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "built without NATS");
}

void outbox_nats_close(outbox_nats *n)
{
    (void)n;
}
#endif
