/* outbox_serve_store.c - the console's connections to the outbox: a small
 * pool, one connection per request at a time (neither an sqlite3 nor a
 * PGconn may be shared by threads), reopened after the database failed;
 * and the health that the overview shows, sampled every few seconds so
 * that rates and an unreachable database show without anyone asking. */
#define _POSIX_C_SOURCE 200809L
#include "outbox_serve_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SAMPLE_EVERY_MS 5000
#define ACQUIRE_WAIT_S 10
#define RATE_WINDOW_MS 60000

/* PostgreSQL, when built: open, lost, closed. */
#if HAVE_PQ
static int open_pg_conn(const serve_options *o, serve_conn *c, msgbus_error *err)
{
    c->pg = PQconnectdb(o->conninfo);
    if (PQstatus(c->pg) != CONNECTION_OK) {
        char text[400];
        snprintf(text, sizeof text, "%s", PQerrorMessage(c->pg));
        text[strcspn(text, "\n")] = '\0';
        msgbus_error_set(err, MSGBUS_EIO, NULL, "PostgreSQL: %s", text);
        PQfinish(c->pg);
        c->pg = NULL;
        return MSGBUS_EIO;
    }
    if (msgbus_pg_outbox_new(c->pg, o->table, MSGBUS_PG_NO_CREATE, &c->repo, err) < 0) {
        PQfinish(c->pg);
        c->pg = NULL;
        return MSGBUS_EIO;
    }
    return 0;
}

static bool pg_lost(const serve_conn *c)
{
    return c->pg && PQstatus(c->pg) != CONNECTION_OK;
}

static void close_pg_conn(serve_conn *c)
{
    if (c->pg)
        PQfinish(c->pg);
    c->pg = NULL;
}
#else
static int open_pg_conn(const serve_options *o, serve_conn *c, msgbus_error *err)
{
    (void)o, (void)c;
    return msgbus_error_set(err, MSGBUS_EIO, NULL, "built without PostgreSQL (configure --with-pq)");
}

static bool pg_lost(const serve_conn *c) { (void)c; return false; }
static void close_pg_conn(serve_conn *c) { (void)c; }
#endif

static int open_conn(serve_store *s, serve_conn *c, msgbus_error *err)
{
    const serve_options *o = s->opt;
    if (!o->db)
        return open_pg_conn(o, c, err);
    /* Never create a database: a typo must not look like an empty outbox. */
    if (access(o->db, F_OK) != 0)
        return msgbus_error_set(err, MSGBUS_EIO, NULL, "%s: %s", o->db, strerror(errno));
    if (sqlite3_open_v2(o->db, &c->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        msgbus_error_set(err, MSGBUS_EIO, NULL, "%s: %s", o->db, sqlite3_errmsg(c->db));
        sqlite3_close(c->db);
        c->db = NULL;
        return MSGBUS_EIO;
    }
    /* As the CLI: a page waits for a busy database, not forever. */
    sqlite3_busy_timeout(c->db, 5000);
    if (msgbus_sqlite_outbox_new(c->db, o->table, MSGBUS_SQLITE_NO_CREATE, &c->repo, err) < 0) {
        sqlite3_close(c->db);
        c->db = NULL;
        return MSGBUS_EIO;
    }
    return 0;
}

static void close_conn(serve_conn *c)
{
    msgbus_outbox_repo_free(c->repo);
    c->repo = NULL;
    if (c->db)
        sqlite3_close(c->db);
    c->db = NULL;
    close_pg_conn(c);
}

serve_conn *serve_store_acquire(serve_store *s, msgbus_error *err)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ACQUIRE_WAIT_S;
    serve_conn *c = NULL;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        for (size_t i = 0; i < SERVE_POOL_SIZE && !c; i++)
            if (!s->conns[i].busy)
                c = &s->conns[i];
        if (c || pthread_cond_timedwait(&s->freed, &s->lock, &until) == ETIMEDOUT)
            break;
    }
    if (c)
        c->busy = true;
    pthread_mutex_unlock(&s->lock);
    if (!c) {
        msgbus_error_set(err, MSGBUS_EIO, NULL, "%s: every connection stayed busy for %d s",
                         s->name, ACQUIRE_WAIT_S);
        return NULL;
    }
    if (c->repo && pg_lost(c))
        close_conn(c);
    if (!c->repo && open_conn(s, c, err) < 0) {
        serve_store_release(s, c, true);
        return NULL;
    }
    return c;
}

void serve_store_release(serve_store *s, serve_conn *c, bool broken)
{
    /* Reopen after a failure: a PostgreSQL restart leaves a dead
     * connection, an SQLite error is cheap to recover from anew. */
    if (broken)
        close_conn(c);
    pthread_mutex_lock(&s->lock);
    c->busy = false;
    pthread_cond_signal(&s->freed);
    pthread_mutex_unlock(&s->lock);
}

/* Failures per minute: the growth of the sum of attempts (one per failed
 * attempt) over the samples of the last minute.  A retry or a purge
 * lowers the sum; such a step counts as no failure. */
static double failure_rate(serve_store *s, int64_t now, long long attempts)
{
    size_t keep = 0;
    for (size_t i = 0; i < s->n_samples; i++)
        if (now - s->samples[i].at <= RATE_WINDOW_MS)
            s->samples[keep++] = s->samples[i];
    if (keep == SERVE_SAMPLES) {
        memmove(s->samples, s->samples + 1, (SERVE_SAMPLES - 1) * sizeof s->samples[0]);
        keep--;
    }
    s->samples[keep].at = now;
    s->samples[keep].attempts = attempts;
    s->n_samples = keep + 1;
    long long grew = 0;
    for (size_t i = 1; i < s->n_samples; i++)
        if (s->samples[i].attempts > s->samples[i - 1].attempts)
            grew += s->samples[i].attempts - s->samples[i - 1].attempts;
    int64_t span = now - s->samples[0].at;
    return span < 1000 ? -1.0 : (double)grew * 60000.0 / (double)span;
}

static void refresh(serve_store *s)
{
    pthread_mutex_lock(&s->refresh_lock);
    pthread_mutex_lock(&s->health_lock);
    unsigned long changes = s->changes;
    pthread_mutex_unlock(&s->health_lock);
    serve_health h;
    memset(&h, 0, sizeof h);
    h.sampled_at = serve_now();
    h.processed_per_minute = h.failures_per_minute = -1.0;
    msgbus_error err;
    serve_metrics m;
    int rc = -1;
    serve_conn *c = serve_store_acquire(s, &err);
    if (c) {
        rc = msgbus_outbox_counts_get(c->repo, &h.counts, &err);
        if (rc == 0)
            rc = serve_sql_metrics(c, s->opt->table, h.sampled_at, &m, &err);
        serve_store_release(s, c, rc < 0);
    }
    pthread_mutex_lock(&s->health_lock);
    if (rc == 0) {
        h.ok = true;
        h.processed_per_minute = (double)m.processed_last_minute;
        h.failures_per_minute = failure_rate(s, h.sampled_at, m.attempts);
    } else {
        snprintf(h.error, sizeof h.error, "%s", err.text);
        /* Keep the last counts known, marked as not current. */
        h.counts = s->health.counts;
    }
    /* A change made while sampling may be missing: sample again next time. */
    if (s->changes != changes)
        h.sampled_at = 0;
    s->health = h;
    pthread_mutex_unlock(&s->health_lock);
    pthread_mutex_unlock(&s->refresh_lock);
}

void serve_store_invalidate(serve_store *s)
{
    pthread_mutex_lock(&s->health_lock);
    s->health.sampled_at = 0;
    s->changes++;
    pthread_mutex_unlock(&s->health_lock);
}

void serve_store_health(serve_store *s, int64_t max_age_ms, serve_health *out)
{
    pthread_mutex_lock(&s->health_lock);
    bool stale = serve_now() - s->health.sampled_at > max_age_ms;
    pthread_mutex_unlock(&s->health_lock);
    if (stale)
        refresh(s);
    pthread_mutex_lock(&s->health_lock);
    *out = s->health;
    pthread_mutex_unlock(&s->health_lock);
}

static void *sampler_main(void *arg)
{
    serve_store *s = arg;
    pthread_mutex_lock(&s->health_lock);
    while (!s->stopping) {
        pthread_mutex_unlock(&s->health_lock);
        serve_health h;
        serve_store_health(s, SAMPLE_EVERY_MS / 2, &h);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += SAMPLE_EVERY_MS / 1000;
        pthread_mutex_lock(&s->health_lock);
        if (!s->stopping)
            pthread_cond_timedwait(&s->stop, &s->health_lock, &until);
    }
    pthread_mutex_unlock(&s->health_lock);
    return NULL;
}

int serve_store_open(serve_store *s, const serve_options *opt, char *msg, size_t size)
{
    memset(s, 0, sizeof *s);
    s->opt = opt;
    snprintf(s->name, sizeof s->name, "%s", opt->db ? opt->db : "PostgreSQL");
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->freed, NULL);
    pthread_mutex_init(&s->health_lock, NULL);
    pthread_mutex_init(&s->refresh_lock, NULL);
    pthread_cond_init(&s->stop, NULL);
    msgbus_error err;
    serve_conn *c = serve_store_acquire(s, &err);
    if (!c) {
        snprintf(msg, size, "%s", err.text);
        return -1;
    }
    serve_store_release(s, c, false);
    refresh(s);
    if (pthread_create(&s->sampler, NULL, sampler_main, s) != 0) {
        snprintf(msg, size, "cannot start a thread");
        return -1;
    }
    s->sampler_started = true;
    return 0;
}

void serve_store_close(serve_store *s)
{
    if (s->sampler_started) {
        pthread_mutex_lock(&s->health_lock);
        s->stopping = true;
        pthread_cond_signal(&s->stop);
        pthread_mutex_unlock(&s->health_lock);
        pthread_join(s->sampler, NULL);
    }
    for (size_t i = 0; i < SERVE_POOL_SIZE; i++)
        close_conn(&s->conns[i]);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->freed);
    pthread_mutex_destroy(&s->health_lock);
    pthread_mutex_destroy(&s->refresh_lock);
    pthread_cond_destroy(&s->stop);
}
