/* outbox_follow.c - `msgbus-outbox relay --follow`: a relay that runs until
 * SIGTERM or SIGINT.  It is woken by LISTEN/NOTIFY on PostgreSQL or polls,
 * and lives through outages: a transport failure (MSGBUS_EUNAVAILABLE)
 * releases the batch's rows with their attempts, and the relay waits with
 * capped exponential backoff and jitter, reconnects (PostgreSQL through
 * msgbus_pg_outbox_reconnect, NATS through libnats's own reconnection)
 * and resumes.  Connections lost and restored, and the relay's failures,
 * are structured events (msgbus_events(3)) on the caller's bus, whose
 * hook prints them as the relay's other events; the loop's own steps
 * (started, waiting, stopping) go through follow_report.  See
 * msgbus-outbox(1). */
#define _POSIX_C_SOURCE 200809L
#include "outbox_tool.h"
#include "outbox_follow.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <msgbus/events.h>

static volatile sig_atomic_t stop_signal;

/* What the loop asks of a PostgreSQL repository: woken by NOTIFY, and
 * reconnected after an outage.  Without PostgreSQL the repository is
 * SQLite: nothing to listen to or reconnect. */
#if HAVE_PQ
static bool is_pg(const msgbus_outbox_repo *repo)
{
    return msgbus_pg_outbox_conn(repo) != NULL;
}

static bool pg_lost(const msgbus_outbox_repo *repo)
{
    return PQstatus(msgbus_pg_outbox_conn(repo)) != CONNECTION_OK;
}

static int pg_listen(msgbus_outbox_repo *repo, msgbus_error *err)
{
    return msgbus_pg_outbox_listen(repo, err);
}

static int pg_reconnect(msgbus_outbox_repo *repo, msgbus_error *err)
{
    return msgbus_pg_outbox_reconnect(repo, err);
}

static void pg_wait(msgbus_outbox_repo *repo, int64_t ms, msgbus_error *err)
{
    msgbus_pg_outbox_wait(repo, (int)ms, err);
}
#else
static bool is_pg(const msgbus_outbox_repo *repo) { (void)repo; return false; }
static bool pg_lost(const msgbus_outbox_repo *repo) { (void)repo; return false; }
static int pg_listen(msgbus_outbox_repo *repo, msgbus_error *err) { (void)repo, (void)err; return 0; }
static int pg_reconnect(msgbus_outbox_repo *repo, msgbus_error *err) { (void)repo, (void)err; return 0; }
static void pg_wait(msgbus_outbox_repo *repo, int64_t ms, msgbus_error *err) { (void)repo, (void)ms, (void)err; }
#endif

static void on_stop(int sig)
{
    stop_signal = sig;
}

/* One line per event on stderr: what the relay does and why. */
static void follow_report(const char *kind, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    fprintf(stderr, "msgbus-outbox: relay: %s: %s\n", kind, text);
    fflush(stderr);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reports a connection lost or restored through the bus's hook. */
static void connection_event(msgbus_bus *bus, msgbus_event_kind kind, const char *endpoint,
                             const char *error, int attempt, int64_t down_ms)
{
    msgbus_event ev = { 0 };
    ev.kind = kind;
    ev.source = "msgbus-outbox.relay";
    ev.endpoint = endpoint;
    ev.error = error;
    ev.code = error ? MSGBUS_EUNAVAILABLE : 0;
    ev.attempt = attempt;
    ev.duration_ms = down_ms;
    msgbus_emit_event(bus, &ev);
}

/* Sleeps ms unless a signal comes first. */
static void nap(int64_t ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);   /* EINTR: the loop looks at stop_signal */
}

static int64_t reconnect_delay(int attempt, int64_t max_ms)
{
    msgbus_outbox_options o;
    msgbus_outbox_options_init(&o);
    o.backoff_base_ms = 100;
    o.backoff_max_ms = max_ms;
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
        r = (uint64_t)attempt * 0x9e3779b97f4a7c15u;
    return msgbus_outbox_backoff(&o, attempt, r);
}

int outbox_follow(const outbox_follow_config *cfg)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;    /* no SA_RESTART: waits end at the signal */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    msgbus_error err;
    msgbus_bus *bus = cfg->bus;
    outbox_nats *nats = NULL;
    bool pg = is_pg(cfg->repo);
    int status = 0;
    const char *nats_url = cfg->nats->url;
    if (nats_url) {
        int opened = outbox_nats_open(cfg->nats, cfg->repo, cfg->where, true,
                                      cfg->reconnect_max_ms, &nats);
        if (opened != 0)
            return opened;
    }
    bool down = false;
    int attempt = 0;
    int64_t down_since = 0;
    const char *down_at = NULL;     /* the endpoint that went away */
    if (pg && pg_listen(cfg->repo, &err) < 0) {
        /* The loop reconnects. */
        connection_event(bus, MSGBUS_EVENT_CONNECTION_LOST, cfg->where, err.text, 0, 0);
        down = true;
        down_since = mono_ms();
        down_at = cfg->where;
    }
    size_t processed = 0, failed = 0, released = 0;
    follow_report("started", "%s", cfg->where);
    while (!stop_signal) {
        msgbus_outbox_stats st;
        memset(&st, 0, sizeof st);
        int rc;
        if (nats && !outbox_nats_connected(nats))
            rc = msgbus_error_set(&err, MSGBUS_EUNAVAILABLE, NULL, "nats: not connected to %s",
                                  nats_url);
        else
            rc = nats ? outbox_nats_relay(bus, nats, cfg->options, &st, &err)
                     : msgbus_process_outbox(bus, cfg->repo, cfg->options, &st, &err);
        processed += st.processed;
        failed += st.failed + st.dead_lettered;
        /* Rows neither done nor failed were given back (a transport failure). */
        size_t settled = st.processed + st.failed + st.dead_lettered;
        size_t given_back = st.claimed > settled ? st.claimed - settled : 0;
        released += given_back;
        if (rc == MSGBUS_EUNAVAILABLE) {
            if (!down) {
                down_at = pg && pg_lost(cfg->repo) ? cfg->where : nats_url ? nats_url : cfg->where;
                connection_event(bus, MSGBUS_EVENT_CONNECTION_LOST, down_at, err.text, 0, 0);
                follow_report("rows given back", "%zu, attempts kept", given_back);
                down_since = mono_ms();
            }
            down = true;
            int64_t delay = reconnect_delay(++attempt, cfg->reconnect_max_ms);
            follow_report("waiting", "%lld ms before attempt %d", (long long)delay, attempt);
            nap(delay);
            if (pg && pg_lost(cfg->repo) && !stop_signal) {
                if (pg_reconnect(cfg->repo, &err) < 0)
                    follow_report("reconnect failed", "%s", err.text);
            }
            continue;
        }
        if (rc < 0) {
            follow_report("error", "%s", err.text);
            status = 1;
            break;
        }
        if (down)
            connection_event(bus, MSGBUS_EVENT_CONNECTION_RESTORED, down_at, NULL, attempt,
                             mono_ms() - down_since);
        down = false;
        attempt = 0;
        if (st.claimed == cfg->options->batch_size)
            continue;           /* more is waiting */
        if (pg) {
            /* A lost connection shows in the next relay step. */
            pg_wait(cfg->repo, cfg->poll_ms, &err);
        } else {
            nap(cfg->poll_ms);
        }
    }
    if (stop_signal)
        follow_report("stopping", "signal %d; %zu processed, %zu failed, %zu released",
                      (int)stop_signal, processed, failed, released);
    outbox_nats_close(nats);
    return status;
}
