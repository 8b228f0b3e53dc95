/* pipeline.c - registering many rows in one round trip (libpq pipeline
 * mode), a relay's statements sent together, and LISTEN/NOTIFY wake-ups
 * for relays. */
#include "pg_internal.h"
#include "../clock.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <time.h>

/* Results are read back every this many queued inserts, so neither side's
 * socket buffer can fill up and stall the other. */
#define PIPELINE_CHUNK 512

static int not_pg(msgbus_error *err)
{
    return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "not a PostgreSQL outbox repository");
}

/* Sends a sync and reads every result up to it; returns the first error.
 * The result of the query numbered keep (0 for the first since the last
 * sync; -1 for none) goes to *kept when it succeeded. */
static int sync_and_drain(pg_repo *r, const char *what, int keep, PGresult **kept,
                          msgbus_error *err)
{
    int rc = 0, query = 0;
    if (!PQpipelineSync(r->conn))
        return pg_fail(r->conn, NULL, r->table, what, err);
    for (;;) {
        PGresult *res = PQgetResult(r->conn);
        if (!res) {
            /* Between the results of two queries. */
            if (PQstatus(r->conn) != CONNECTION_OK) {
                if (rc == 0)
                    rc = pg_fail(r->conn, NULL, r->table, what, err);
                break;
            }
            query++;
            continue;
        }
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            break;
        }
        if (st == PGRES_FATAL_ERROR && rc == 0)
            rc = pg_fail(r->conn, res, r->table, what, err);
        if (query == keep && kept && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)) {
            PQclear(*kept);
            *kept = res;
        } else {
            PQclear(res);
        }
    }
    r->queued = 0;
    return rc;
}

int pg_run_pipelined(pg_repo *r, const char *before, enum pg_stmt s, int n,
                     const char *const *params, const char *after, const char *what,
                     PGresult **out, msgbus_error *err)
{
    PGconn *c = r->conn;
    if (!PQenterPipelineMode(c))
        return pg_fail(c, NULL, r->table, what, err);
    /* A failed send means a broken connection: the drain reports it. */
    if (before)
        PQsendQueryParams(c, before, 0, NULL, NULL, NULL, NULL, 0);
    PQsendQueryPrepared(c, r->names[s], n, params, NULL, NULL, 0);
    if (after)
        PQsendQueryParams(c, after, 0, NULL, NULL, NULL, NULL, 0);
    PGresult *kept = NULL;
    int rc = sync_and_drain(r, what, before ? 1 : 0, &kept, err);
    if (!PQexitPipelineMode(c) && rc == 0)
        rc = pg_fail(c, NULL, r->table, what, err);
    if (rc == 0 && !kept)
        rc = pg_fail(c, NULL, r->table, what, err);
    if (rc == 0 && out)
        *out = kept;
    else
        PQclear(kept);
    return rc;
}

int msgbus_pg_outbox_pipeline_begin(msgbus_outbox_repo *repo, msgbus_error *err)
{
    pg_repo *r = pg_repo_of(repo);
    if (!r)
        return not_pg(err);
    if (r->pipeline)
        return msgbus_error_set(err, MSGBUS_ESTATE, NULL, "table %s: pipeline already open", r->table);
    int rc = pg_row_sp_quiet(r, err);
    if (rc < 0)
        return rc;
    if (!PQenterPipelineMode(r->conn))
        return pg_fail(r->conn, NULL, r->table, "entering pipeline mode", err);
    r->pipeline = true;
    r->queued = 0;
    return 0;
}

int pg_pipeline_step(pg_repo *r, msgbus_error *err)
{
    return r->queued >= PIPELINE_CHUNK ? sync_and_drain(r, "registering rows", -1, NULL, err) : 0;
}

int msgbus_pg_outbox_pipeline_end(msgbus_outbox_repo *repo, msgbus_error *err)
{
    pg_repo *r = pg_repo_of(repo);
    if (!r)
        return not_pg(err);
    if (!r->pipeline)
        return msgbus_error_set(err, MSGBUS_ESTATE, NULL, "table %s: no pipeline open", r->table);
    int rc = sync_and_drain(r, "registering rows", -1, NULL, err);
    if (!PQexitPipelineMode(r->conn) && rc == 0)
        rc = pg_fail(r->conn, NULL, r->table, "leaving pipeline mode", err);
    r->pipeline = false;
    return rc;
}

int msgbus_pg_outbox_listen(msgbus_outbox_repo *repo, msgbus_error *err)
{
    pg_repo *r = pg_repo_of(repo);
    if (!r)
        return not_pg(err);
    char sql[MSGBUS_PG_TABLE_MAX + 16];
    snprintf(sql, sizeof sql, "LISTEN \"%s\"", r->table);
    int rc = pg_exec(r->conn, r->table, sql, "listening", err);
    if (rc == 0)
        r->listening = true;
    return rc;
}

/* Consumes input and every notification queued; true if there was one. */
static int take_notifies(pg_repo *r, msgbus_error *err)
{
    if (!PQconsumeInput(r->conn))
        return pg_fail(r->conn, NULL, r->table, "waiting for notifications", err);
    int got = 0;
    PGnotify *n;
    while ((n = PQnotifies(r->conn)) != NULL) {
        got = 1;
        PQfreemem(n);
    }
    return got;
}

int msgbus_pg_outbox_wait(msgbus_outbox_repo *repo, int timeout_ms, msgbus_error *err)
{
    pg_repo *r = pg_repo_of(repo);
    if (!r)
        return not_pg(err);
    int got = take_notifies(r, err);
    int64_t end = clock_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    while (got == 0) {
        int64_t left = end - clock_mono_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = { .fd = PQsocket(r->conn), .events = POLLIN };
        if (p.fd < 0)
            return pg_fail(r->conn, NULL, r->table, "waiting for notifications", err);
        int n = poll(&p, 1, (int)left);
        if (n < 0 && errno == EINTR)
            return 0;   /* a signal: let the caller look at why */
        if (n < 0)
            return msgbus_error_set(err, MSGBUS_EIO, NULL, "table %s: poll failed", r->table);
        if (n > 0)
            got = take_notifies(r, err);
    }
    return got;
}
