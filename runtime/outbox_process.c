/* outbox_process.c - the relay step: claim a batch under a lease, run the
 * outbox handlers on each row, then mark it processed, schedule a retry or
 * dead-letter it. */
#define _POSIX_C_SOURCE 200809L  /* clock_gettime */
#include "outbox_internal.h"
#include "clock.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <msgbus/events.h>
#include <msgbus/value.h>

void msgbus_outbox_options_init(msgbus_outbox_options *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->batch_size = 100;
    opts->worker = "msgbus";
    opts->lease_ms = 30000;
    opts->max_attempts = 5;
    opts->backoff_base_ms = 1000;
    opts->backoff_max_ms = 300000;
    opts->atomic = true;
    opts->handlers_write = true;
}

int msgbus_set_outbox_handlers(msgbus_outbox_options *opts,
                               const msgbus_outbox_handler *handlers, size_t n,
                               msgbus_error *err)
{
    if (!opts || (n > 0 && !handlers))
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "outbox handlers: no options or handlers");
    for (size_t i = 0; i < n; i++)
        if (!handlers[i].fn)
            return msgbus_error_set(err, MSGBUS_EINVAL, NULL,
                                    "outbox handlers: handler %zu (%s) has no function", i,
                                    handlers[i].name ? handlers[i].name : "unnamed");
    opts->handlers = handlers;
    opts->n_handlers = n;
    return 0;
}

static int64_t clock_of(const msgbus_outbox_options *opts)
{
    return opts->now ? opts->now : msgbus_outbox_now();
}

static uint64_t jitter_bits(const msgbus_outbox_row *row, int64_t now)
{
    uint64_t r;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) == (ssize_t)sizeof r)
        return r;
    /* No entropy yet (early boot): any spread will do. */
    r = (uint64_t)now * 0x9e3779b97f4a7c15u;
    for (const char *p = row->id; *p; p++)
        r = (r ^ (unsigned char)*p) * 0x100000001b3u;
    return r;
}

/* An event about row for bus's hook (msgbus_events(3)). */
static void row_event(msgbus_bus *bus, msgbus_event_kind kind, const msgbus_outbox_row *row,
                      const char *handler, const char *error, int code, int64_t delay_ms)
{
    if (!msgbus_event_hook_set(bus))
        return;
    json_t *meta = row->meta ? json_loads(row->meta, 0, NULL) : NULL;
    msgbus_event ev = { 0 };
    ev.kind = kind;
    ev.source = "outbox";
    ev.correlation_id = json_string_value(json_object_get(meta, "correlationid"));
    ev.message_id = row->id;
    ev.row_id = row->id;
    ev.type = row->type;
    ev.handler = handler;
    ev.attempt = row->attempts + 1;
    ev.error = error;
    ev.code = code;
    ev.delay_ms = delay_ms;
    msgbus_emit_event(bus, &ev);
    json_decref(meta);
}

/* Runs the handlers on one row, in order, up to the first failure; fills
 * why (the row's new last_error) on failure, and herr with the handler's
 * own error. */
static int run_handlers(msgbus_bus *bus, const msgbus_outbox_options *opts,
                        const msgbus_outbox_row *row, char *why, size_t why_size,
                        msgbus_error *herr)
{
    for (size_t i = 0; i < opts->n_handlers; i++) {
        const msgbus_outbox_handler *h = &opts->handlers[i];
        msgbus_error_clear(herr);
        int status = h->fn(bus, row, h->userdata, herr);
        if (status != 0) {
            const char *text = herr->text[0] ? herr->text : msgbus_strerror(status);
            snprintf(why, why_size, "%s: %s", h->name ? h->name : "handler", text);
            row_event(bus, MSGBUS_EVENT_HANDLER_FAILED, row, h->name ? h->name : "handler", text,
                      status, 0);
            return status;
        }
    }
    return 0;
}

/* Records a failed attempt of row: retry later, or dead letter. */
static int record_failure(msgbus_bus *bus, msgbus_outbox_repo *repo,
                          const msgbus_outbox_options *opts, const msgbus_outbox_row *row,
                          const char *why, msgbus_outbox_stats *stats, msgbus_error *err)
{
    int64_t now = clock_of(opts);
    int attempts = row->attempts + 1;
    int rc;
    if (attempts >= opts->max_attempts) {
        rc = repo->ops->dead_letter(repo->self, row->id, why, now, err);
        if (rc == 0) {
            stats->dead_lettered++;
            row_event(bus, MSGBUS_EVENT_DEAD_LETTERED, row, NULL, why, 0, 0);
        }
        return rc;
    }
    int64_t delay = msgbus_outbox_backoff(opts, attempts, jitter_bits(row, now));
    rc = repo->ops->mark_failed(repo->self, row->id, why, now + delay, err);
    if (rc == 0) {
        stats->failed++;
        row_event(bus, MSGBUS_EVENT_RETRY_SCHEDULED, row, NULL, why, 0, delay);
    }
    return rc;
}

/* Handles one claimed row, inside its own unit of work when atomic (the
 * caller passes false when the handlers do not write).  A handler's
 * MSGBUS_EUNAVAILABLE leaves the row untouched and is returned with its
 * text in err and *transport set, for the caller to release the rows. */
static int process_row(msgbus_bus *bus, msgbus_outbox_repo *repo,
                       const msgbus_outbox_options *opts, bool atomic,
                       const msgbus_outbox_row *row, msgbus_outbox_stats *stats,
                       bool *transport, msgbus_error *err)
{
    const msgbus_outbox_repo_ops *ops = repo->ops;
    char why[2 * MSGBUS_ERROR_TEXT_LENGTH + 64];
    msgbus_error herr;
    int rc;
    if (atomic && (rc = ops->begin_row(repo->self, err)) < 0)
        return rc;
    int status = run_handlers(bus, opts, row, why, sizeof why, &herr);
    if (status == 0) {
        rc = ops->mark_processed(repo->self, row->id, clock_of(opts), err);
        if (atomic) {
            int end = ops->end_row(repo->self, rc == 0, rc == 0 ? err : NULL);
            if (rc == 0)
                rc = end;
        }
        if (rc == 0)
            stats->processed++;
        return rc;
    }
    /* The handlers' own writes go; the failure is recorded in the batch.
     * If even undoing them fails (SQLite may have rolled the whole
     * transaction back on a full disk), the handler's error is the cause
     * worth telling. */
    if (atomic && (rc = ops->end_row(repo->self, false, err)) < 0) {
        if (err) {
            char undo[MSGBUS_ERROR_TEXT_LENGTH];
            snprintf(undo, sizeof undo, "%s", err->text);
            msgbus_error_set(err, rc, NULL, "row %s: %s (then %s)", row->id, why, undo);
        }
        return rc;
    }
    if (status == MSGBUS_EUNAVAILABLE) {
        *transport = true;
        return msgbus_error_set(err, status, NULL, "row %s: %s", row->id, why);
    }
    return record_failure(bus, repo, opts, row, why, stats, err);
}

/* An event about the relay step as a whole. */
static void step_event(msgbus_bus *bus, msgbus_event_kind kind, const msgbus_outbox_stats *st,
                       int64_t duration_ms)
{
    if (!msgbus_event_hook_set(bus))
        return;
    msgbus_event ev = { 0 };
    ev.kind = kind;
    ev.source = "outbox";
    ev.counts.claimed = st->claimed;
    ev.counts.processed = st->processed;
    ev.counts.failed = st->failed;
    ev.counts.dead_lettered = st->dead_lettered;
    ev.counts.reclaimed = st->reclaimed;
    ev.duration_ms = duration_ms;
    msgbus_emit_event(bus, &ev);
}

/* After a transport failure: gives rows back without counting an attempt
 * (a repository without release leaves them to their lease). */
static int release_rows(msgbus_outbox_repo *repo, const msgbus_outbox_row *rows, size_t n,
                        msgbus_error *err)
{
    if (!repo->ops->release)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int rc = repo->ops->release(repo->self, rows[i].id, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int msgbus_process_outbox(msgbus_bus *bus, msgbus_outbox_repo *repo,
                          const msgbus_outbox_options *opts, msgbus_outbox_stats *stats,
                          msgbus_error *err)
{
    msgbus_outbox_options defaults;
    msgbus_outbox_stats local;
    if (!opts) {
        msgbus_outbox_options_init(&defaults);
        opts = &defaults;
    }
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (!repo || !opts->worker || opts->batch_size == 0 || opts->lease_ms <= 0 ||
        opts->max_attempts < 1 || (opts->n_handlers > 0 && !opts->handlers))
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "process outbox: invalid arguments");
    const msgbus_outbox_repo_ops *ops = repo->ops;
    bool atomic = opts->atomic && ops->begin_batch && ops->end_batch && ops->begin_row &&
                  ops->end_row;
    /* Atomic: the claim is part of the batch's unit of work, so a relay
     * that dies leaves nothing behind and its rows are free at once; the
     * lease still guards them against relays that do not share the unit
     * of work (a PostgreSQL relay running handlers outside it). */
    int64_t started = clock_mono_ms();
    int rc = atomic ? ops->begin_batch(repo->self, err) : 0;
    if (rc < 0)
        return rc;
    int64_t now = clock_of(opts);
    msgbus_outbox_row *rows = NULL;
    size_t n = 0;
    rc = ops->reclaim(repo->self, now, &stats->reclaimed, err);
    if (rc == 0 && stats->reclaimed > 0)
        step_event(bus, MSGBUS_EVENT_LEASE_RECLAIMED, stats, 0);
    if (rc == 0)
        rc = ops->claim(repo->self, now, opts->worker, now + opts->lease_ms, opts->batch_size,
                        &rows, &n, err);
    stats->claimed = n;
    /* Rows need units of their own only to undo a failing row's writes. */
    bool row_units = atomic && opts->handlers_write;
    bool transport = false;
    size_t i = 0;
    for (; i < n && rc == 0; i++)
        rc = process_row(bus, repo, opts, row_units, &rows[i], stats, &transport, err);
    if (transport) {
        /* The rows done so far stay done; the others go back untouched. */
        msgbus_error rerr;
        int released = release_rows(repo, rows + i - 1, n - (i - 1), &rerr);
        int end = atomic ? ops->end_batch(repo->self, released == 0, released == 0 ? &rerr : NULL)
                         : 0;
        if (released < 0 || end < 0)
            rc = msgbus_error_set(err, released < 0 ? released : end, NULL, "%s", rerr.text);
        msgbus_outbox_rows_free(rows, n);
        step_event(bus, MSGBUS_EVENT_BATCH_DONE, stats, clock_mono_ms() - started);
        return rc;
    }
    if (atomic) {
        /* On a repository error nothing of the batch stays. */
        int end = ops->end_batch(repo->self, rc == 0, rc == 0 ? err : NULL);
        if (rc == 0)
            rc = end;
    }
    msgbus_outbox_rows_free(rows, n);
    /* An idle poll says nothing. */
    if (rc == 0 && (stats->claimed > 0 || stats->reclaimed > 0))
        step_event(bus, MSGBUS_EVENT_BATCH_DONE, stats, clock_mono_ms() - started);
    return rc;
}
