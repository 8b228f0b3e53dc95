/* connect.c - a NATS connection for a process that runs for months: it
 * reconnects forever, with capped exponential backoff and jitter, also
 * when the server is down at start, and notices a dead server within a
 * few pings.  See msgbus_nats(3). */
#include "nats_internal.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

static int64_t reconnect_delay(natsConnection *nc, int attempts, void *closure)
{
    (void)nc;
    const int64_t *max = closure;
    msgbus_outbox_options o;
    msgbus_outbox_options_init(&o);
    o.backoff_base_ms = 100;
    o.backoff_max_ms = *max;
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
        r = (uint64_t)attempts * 0x9e3779b97f4a7c15u;
    return msgbus_outbox_backoff(&o, attempts > 0 ? attempts : 1, r);
}

natsStatus nats_set_servers(natsOptions *o, const char *urls)
{
    enum { MAX_SERVERS = 16 };
    char copy[1024];
    const char *list[MAX_SERVERS];
    int n = 0;
    snprintf(copy, sizeof copy, "%s", urls);
    for (char *save = NULL, *u = strtok_r(copy, ", ", &save); u && n < MAX_SERVERS;
         u = strtok_r(NULL, ", ", &save))
        list[n++] = u;
    return n > 0 ? natsOptions_SetServers(o, list, n) : NATS_INVALID_ARG;  /* copies them */
}

int msgbus_nats_connect(const char *urls, int64_t reconnect_max_ms, natsConnection **out,
                        msgbus_error *err)
{
    /* Lives as long as the process: libnats keeps the pointer. */
    static int64_t max_ms;
    if (!urls || !out || reconnect_max_ms < 0)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "nats connect: no URL");
    *out = NULL;
    max_ms = reconnect_max_ms > 0 ? reconnect_max_ms : 5000;
    natsOptions *o = NULL;
    natsStatus s = natsOptions_Create(&o);
    if (s == NATS_OK)
        s = nats_set_servers(o, urls);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(o, -1);
    if (s == NATS_OK)
        s = natsOptions_SetCustomReconnectDelay(o, reconnect_delay, &max_ms);
    if (s == NATS_OK)
        s = natsOptions_SetRetryOnFailedConnect(o, true, NULL, NULL);
    /* A server that stops answering is given up after 3 missed pings of
     * 2 s, not the default 2 minutes each. */
    if (s == NATS_OK)
        s = natsOptions_SetPingInterval(o, 2000);
    if (s == NATS_OK)
        s = natsOptions_SetMaxPingsOut(o, 3);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(o, 2000);
    if (s == NATS_OK) {
        s = natsConnection_Connect(out, o);
        if (s == NATS_NOT_YET_CONNECTED)
            s = NATS_OK;    /* connecting in the background */
    }
    natsOptions_Destroy(o);
    if (s != NATS_OK) {
        *out = NULL;
        return nats_fail(s, 0, "connecting", err);
    }
    return 0;
}

bool msgbus_nats_connected(natsConnection *nc)
{
    return nc && natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED;
}
