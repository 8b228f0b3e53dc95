/* outbox_pg.c - the outbox repository over the caller's PGconn.  Every
 * statement is prepared once; all values are parameters.  register never
 * opens a transaction of its own.
 *
 * Inside a relay's batch (a transaction) the claim takes row locks with
 * FOR UPDATE SKIP LOCKED, so concurrent relays skip each other's rows and
 * a relay that dies releases its rows when its connection drops.  Outside
 * one (opts.atomic false) the lease is committed before any handler runs
 * and guards the rows until it expires.
 *
 * Round trips dominate the cost here, so a batch's BEGIN goes in one
 * round trip with its first statement, the processed marks are collected
 * and written by one UPDATE sent together with the COMMIT, and a row's
 * SAVEPOINT is sent without waiting, and kept for the next rows while they
 * do not use the connection (row_savepoint.c).  Rows get no savepoint when
 * the handlers do not write (handlers_write).  Every other statement first
 * reads what the rows' statement left pending. */
#include "pg_internal.h"
#include "../outbox_filter_sql.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLUMNS "id, kind, type, payload, meta, created_at, available_at, attempts," \
                " last_error, locked_by, locked_until, processed_at, dead_at"
#define PENDING "processed_at IS NULL AND dead_at IS NULL"
#define READY_AT_1 PENDING " AND available_at <= $1 AND (locked_until IS NULL OR locked_until <= $1)"
#define READY PENDING " AND available_at <= $3 AND (locked_until IS NULL OR locked_until <= $3)"

/* {T} stands for the quoted table name. */
static const char *const stmt_sql[PG_STMT_COUNT] = {
    [PG_INSERT] = "INSERT INTO {T} (id, kind, type, payload, meta, created_at, available_at,"
                  " attempts) VALUES ($1, $2, $3, $4, $5, $6, $7, 0)",
    [PG_CLAIM] = "UPDATE {T} SET locked_by = $1, locked_until = $2 WHERE id IN"
                 " (SELECT id FROM {T} WHERE " READY
                 " ORDER BY available_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)"
                 " RETURNING " COLUMNS,
    /* The same inside a batch's transaction: row locks instead of a lease
     * (see pg_claim); the rows show the lease all the same. */
    [PG_CLAIM_LOCKED] = "SELECT id, kind, type, payload, meta, created_at, available_at,"
                        " attempts, last_error, $1::text, $2::bigint, processed_at, dead_at"
                        " FROM {T} WHERE " READY
                        " ORDER BY available_at, id LIMIT $4 FOR UPDATE SKIP LOCKED",
    [PG_PROCESSED] = "UPDATE {T} SET processed_at = $2, locked_by = NULL, locked_until = NULL"
                     " WHERE id = $1",
    [PG_PROCESSED_MANY] = "UPDATE {T} SET processed_at = $2, locked_by = NULL,"
                          " locked_until = NULL WHERE id = ANY ($1::text[])",
    [PG_FAILED] = "UPDATE {T} SET attempts = attempts + 1, last_error = $2, available_at = $3,"
                  " locked_by = NULL, locked_until = NULL WHERE id = $1",
    [PG_DEAD] = "UPDATE {T} SET attempts = attempts + 1, last_error = $2, dead_at = $3,"
                " locked_by = NULL, locked_until = NULL WHERE id = $1",
    /* SKIP LOCKED: never wait for a row another relay is working on. */
    [PG_RECLAIM] = "UPDATE {T} SET locked_by = NULL, locked_until = NULL WHERE id IN"
                   " (SELECT id FROM {T} WHERE locked_until IS NOT NULL AND locked_until <= $1"
                   " AND " PENDING " FOR UPDATE SKIP LOCKED)",
    [PG_COUNTS] = "SELECT count(*) FILTER (WHERE " PENDING "),"
                  " count(*) FILTER (WHERE " PENDING " AND locked_until > $1),"
                  " count(*) FILTER (WHERE " PENDING " AND attempts > 0),"
                  " count(*) FILTER (WHERE dead_at IS NOT NULL),"
                  " count(*) FILTER (WHERE processed_at IS NOT NULL),"
                  /* the ages: 0 without such a row (greatest skips NULL) */
                  " greatest(0, $1 - min(created_at) FILTER (WHERE " PENDING ")),"
                  " greatest(0, $1 - min(available_at) FILTER (WHERE " READY_AT_1 "))"
                  " FROM {T}",
    [PG_LIST_PENDING] = "SELECT " COLUMNS " FROM {T} WHERE " PENDING
                        " ORDER BY created_at, id LIMIT $1",
    [PG_LIST_FAILED] = "SELECT " COLUMNS " FROM {T} WHERE " PENDING " AND attempts > 0"
                       " ORDER BY created_at, id LIMIT $1",
    [PG_LIST_DEAD] = "SELECT " COLUMNS " FROM {T} WHERE dead_at IS NOT NULL"
                     " ORDER BY dead_at, id LIMIT $1",
    [PG_LIST_PROCESSED] = "SELECT " COLUMNS " FROM {T} WHERE processed_at IS NOT NULL"
                          " ORDER BY processed_at, id LIMIT $1",
    [PG_GET] = "SELECT " COLUMNS " FROM {T} WHERE id = $1",
    [PG_RETRY_ONE] = "UPDATE {T} SET attempts = 0, available_at = $2, dead_at = NULL,"
                     " locked_by = NULL, locked_until = NULL"
                     " WHERE id = $1 AND processed_at IS NULL",
    [PG_RETRY_DEAD] = "UPDATE {T} SET attempts = 0, available_at = $1, dead_at = NULL,"
                      " locked_by = NULL, locked_until = NULL WHERE dead_at IS NOT NULL",
    [PG_RELEASE] = "UPDATE {T} SET locked_by = NULL, locked_until = NULL WHERE id = $1 AND "
                   PENDING,
    [PG_PURGE] = "DELETE FROM {T} WHERE id IN (SELECT id FROM {T} WHERE processed_at IS NOT NULL"
                 " AND processed_at < $1 ORDER BY processed_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
};

PGconn *msgbus_pg_outbox_conn(const msgbus_outbox_repo *repo)
{
    pg_repo *r = pg_repo_of(repo);
    if (r == NULL)
        return NULL;
    /* The caller may use libpq's asynchronous functions: the connection
     * must not have a result pending (an error here shows again in the
     * caller's first statement, the transaction being aborted). */
    pg_row_sp_quiet(r, NULL);
    return r->conn;
}

static int busy(pg_repo *r, msgbus_error *err)
{
    return msgbus_error_set(err, MSGBUS_ESTATE, NULL,
                            "table %s: a pipeline is open: end it first", r->table);
}

/* Runs a prepared statement; *res gets its result when wanted and it
 * succeeded (the caller PQclears it). */
static int run(pg_repo *r, enum pg_stmt s, int n, const char *const *params, const char *what,
               PGresult **out, msgbus_error *err)
{
    if (r->pipeline)
        return busy(r, err);
    int rc = pg_row_sp_quiet(r, err);
    if (rc < 0)
        return rc;
    if (r->begin_due) {
        const char *begin = r->begin_due;
        r->begin_due = NULL;
        return pg_run_pipelined(r, begin, s, n, params, NULL, what, out, err);
    }
    PGresult *res = PQexecPrepared(r->conn, r->names[s], n, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        rc = pg_fail(r->conn, res, r->table, what, err);
        PQclear(res);
        return rc;
    }
    if (out)
        *out = res;
    else
        PQclear(res);
    return 0;
}

static size_t affected(PGresult *res)
{
    return (size_t)strtoull(PQcmdTuples(res), NULL, 10);
}

static int pg_insert(void *self, const msgbus_outbox_row *row, msgbus_error *err)
{
    pg_repo *r = self;
    char created[24], available[24];
    snprintf(created, sizeof created, "%" PRId64, row->created_at);
    snprintf(available, sizeof available, "%" PRId64, row->available_at);
    const char *params[7] = {
        row->id, row->kind == MSGBUS_KIND_COMMAND ? "COMMAND" : "EVENT", row->type,
        row->payload, row->meta, created, available,
    };
    if (!r->pipeline)
        return run(r, PG_INSERT, 7, params, "inserting a row", NULL, err);
    if (!PQsendQueryPrepared(r->conn, r->names[PG_INSERT], 7, params, NULL, NULL, 0))
        return pg_fail(r->conn, NULL, r->table, "queueing a row", err);
    r->queued++;
    return pg_pipeline_step(r, err);
}

static char *field_text(PGresult *res, int i, int col, bool *oom)
{
    if (PQgetisnull(res, i, col))
        return NULL;
    size_t n = (size_t)PQgetlength(res, i, col);
    char *p = msgbus_malloc(n + 1);
    if (!p) {
        *oom = true;
        return NULL;
    }
    memcpy(p, PQgetvalue(res, i, col), n + 1);
    return p;
}

static int64_t field_int(PGresult *res, int i, int col)
{
    return PQgetisnull(res, i, col) ? 0 : strtoll(PQgetvalue(res, i, col), NULL, 10);
}

/* Reads row i of res (columns in COLUMNS order). */
static int read_row(PGresult *res, int i, msgbus_outbox_row *row)
{
    bool oom = false;
    memset(row, 0, sizeof *row);
    snprintf(row->id, sizeof row->id, "%s", PQgetvalue(res, i, 0));
    const char *kind = PQgetvalue(res, i, 1);
    row->kind = strcmp(kind, "COMMAND") == 0 ? MSGBUS_KIND_COMMAND
              : strcmp(kind, "EVENT") == 0 ? MSGBUS_KIND_EVENT : MSGBUS_KIND_RECORD;
    row->type = field_text(res, i, 2, &oom);
    row->payload = field_text(res, i, 3, &oom);
    row->meta = field_text(res, i, 4, &oom);
    row->created_at = field_int(res, i, 5);
    row->available_at = field_int(res, i, 6);
    row->attempts = (int)field_int(res, i, 7);
    row->last_error = field_text(res, i, 8, &oom);
    row->locked_by = field_text(res, i, 9, &oom);
    row->locked_until = field_int(res, i, 10);
    row->processed_at = field_int(res, i, 11);
    row->dead_at = field_int(res, i, 12);
    if (oom) {
        msgbus_outbox_row_clear(row);
        return MSGBUS_ENOMEM;
    }
    return 0;
}

/* The rows of res (cleared here) as a new array. */
static int rows_of(pg_repo *r, PGresult *res, const char *what, msgbus_outbox_row **rows,
                   size_t *n, msgbus_error *err)
{
    int rc = 0;
    size_t count = (size_t)PQntuples(res);
    msgbus_outbox_row *out = count ? msgbus_calloc(count, sizeof *out) : NULL;
    size_t done = 0;
    if (count && !out)
        rc = MSGBUS_ENOMEM;
    for (; done < count && rc == 0; done++)
        if ((rc = read_row(res, (int)done, &out[done])) < 0)
            break;
    PQclear(res);
    if (rc < 0) {
        msgbus_outbox_rows_free(out, done);
        return msgbus_error_set(err, rc, NULL, "table %s: %s: out of memory", r->table, what);
    }
    *rows = out;
    *n = count;
    return 0;
}

/* Runs a statement that returns rows and collects them into a new array. */
static int collect(pg_repo *r, enum pg_stmt s, int n_params, const char *const *params,
                   const char *what, msgbus_outbox_row **rows, size_t *n, msgbus_error *err)
{
    PGresult *res = NULL;
    int rc = run(r, s, n_params, params, what, &res, err);
    return rc < 0 ? rc : rows_of(r, res, what, rows, n, err);
}

static int by_availability(const void *a, const void *b)
{
    const msgbus_outbox_row *x = a, *y = b;
    if (x->available_at != y->available_at)
        return x->available_at < y->available_at ? -1 : 1;
    return strcmp(x->id, y->id);
}

static int pg_claim(void *self, int64_t now, const char *worker, int64_t until, size_t max,
                    msgbus_outbox_row **rows, size_t *n, msgbus_error *err)
{
    pg_repo *r = self;
    char until_s[24], now_s[24], max_s[24];
    snprintf(until_s, sizeof until_s, "%" PRId64, until);
    snprintf(now_s, sizeof now_s, "%" PRId64, now);
    snprintf(max_s, sizeof max_s, "%zu", max > (size_t)INT32_MAX ? (size_t)INT32_MAX : max);
    const char *params[4] = { worker, until_s, now_s, max_s };
    /* Inside a batch's transaction the row locks FOR UPDATE takes keep
     * every other relay away until it ends, as the lease would: a lease
     * written there would be seen by no other session, and gone with a
     * crash, and every row's mark, failure or release clears it before
     * the commit.  So the rows are only locked, one write a row fewer. */
    bool in_batch = r->depth > 0;
    int rc = collect(r, in_batch ? PG_CLAIM_LOCKED : PG_CLAIM, 4, params, "claiming rows", rows,
                     n, err);
    /* RETURNING gives no order, and ORDER BY follows the collation, not
     * the byte order of ids; hand rows out oldest first, as everywhere. */
    if (rc == 0 && *n > 1)
        qsort(*rows, *n, sizeof **rows, by_availability);
    return rc;
}

/* The batch's collected processed marks as a text[] literal (malloc'd),
 * or NULL when out of memory.  Ids are printable ASCII without spaces;
 * quotes and backslashes are escaped. */
static char *marks_array(const pg_repo *r)
{
    size_t size = 3;
    for (size_t i = 0; i < r->n_marks; i++)
        size += 2 * strlen(r->marks[i]) + 3;
    char *array = msgbus_malloc(size), *p = array;
    if (!array)
        return NULL;
    *p++ = '{';
    for (size_t i = 0; i < r->n_marks; i++) {
        if (i)
            *p++ = ',';
        *p++ = '"';
        for (const char *c = r->marks[i]; *c; c++) {
            if (*c == '"' || *c == '\\')
                *p++ = '\\';
            *p++ = *c;
        }
        *p++ = '"';
    }
    *p++ = '}';
    *p = '\0';
    return array;
}

/* Ends the batch's transaction or savepoint with the SQL `end`, writing
 * the collected processed marks in the same round trip.  The rows'
 * savepoint (row_sp) is released first, so the marks are written by the
 * batch itself: rows written in a subtransaction cost every other relay
 * that meets them a lookup of the subtransaction's parent. */
static int flush_marks_and_end(pg_repo *r, const char *end, bool row_sp, msgbus_error *err)
{
    int rc = pg_row_sp_quiet(r, err);
    if (rc < 0)
        return rc;
    if (r->n_marks == 0)
        return pg_exec(r->conn, r->table, end, "ending a batch", err);
    char *array = marks_array(r);
    if (!array)
        return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "table %s: out of memory", r->table);
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, r->marks_at);
    const char *params[2] = { array, at };
    rc = pg_run_pipelined(r, row_sp ? "RELEASE SAVEPOINT msgbus_outbox_row" : NULL,
                          PG_PROCESSED_MANY, 2, params, end, "marking rows processed", NULL, err);
    msgbus_free(array);
    r->n_marks = 0;
    return rc;
}

static int pg_mark_processed(void *self, const char *id, int64_t now, msgbus_error *err)
{
    pg_repo *r = self;
    if (r->depth == 0) {
        char at[24];
        snprintf(at, sizeof at, "%" PRId64, now);
        const char *params[2] = { id, at };
        return run(r, PG_PROCESSED, 2, params, "marking a row processed", NULL, err);
    }
    if (r->n_marks == r->cap_marks) {
        size_t cap = r->cap_marks ? 2 * r->cap_marks : 128;
        void *grown = msgbus_realloc(r->marks, cap * sizeof *r->marks);
        if (!grown)
            return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "table %s: out of memory", r->table);
        r->marks = grown;
        r->cap_marks = cap;
    }
    snprintf(r->marks[r->n_marks++], MSGBUS_OUTBOX_ID_SIZE, "%s", id);
    r->marks_at = now;
    r->row_marked = r->row_open;
    return 0;
}

static int fail_row(pg_repo *r, enum pg_stmt s, const char *id, const char *error, int64_t t,
                    msgbus_error *err)
{
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, t);
    const char *params[3] = { id, error, at };
    return run(r, s, 3, params, "recording a failure", NULL, err);
}

static int pg_mark_failed(void *self, const char *id, const char *error, int64_t available_at,
                          msgbus_error *err)
{
    return fail_row(self, PG_FAILED, id, error, available_at, err);
}

static int pg_dead_letter(void *self, const char *id, const char *error, int64_t now,
                          msgbus_error *err)
{
    return fail_row(self, PG_DEAD, id, error, now, err);
}

static int pg_release(void *self, const char *id, msgbus_error *err)
{
    const char *params[1] = { id };
    return run(self, PG_RELEASE, 1, params, "releasing a row", NULL, err);
}

static int pg_reclaim(void *self, int64_t now, size_t *n, msgbus_error *err)
{
    pg_repo *r = self;
    char now_s[24];
    snprintf(now_s, sizeof now_s, "%" PRId64, now);
    const char *params[1] = { now_s };
    PGresult *res = NULL;
    *n = 0;
    int rc = run(r, PG_RECLAIM, 1, params, "reclaiming leases", &res, err);
    if (rc == 0) {
        *n = affected(res);
        PQclear(res);
    }
    return rc;
}

static int pg_counts(void *self, int64_t now, msgbus_outbox_counts *out, msgbus_error *err)
{
    pg_repo *r = self;
    char now_s[24];
    snprintf(now_s, sizeof now_s, "%" PRId64, now);
    const char *params[1] = { now_s };
    PGresult *res = NULL;
    int rc = run(r, PG_COUNTS, 1, params, "counting rows", &res, err);
    if (rc < 0)
        return rc;
    out->pending = (size_t)field_int(res, 0, 0);
    out->in_flight = (size_t)field_int(res, 0, 1);
    out->failed = (size_t)field_int(res, 0, 2);
    out->dead = (size_t)field_int(res, 0, 3);
    out->processed = (size_t)field_int(res, 0, 4);
    out->oldest_pending_age_ms = field_int(res, 0, 5);
    out->oldest_due_age_ms = field_int(res, 0, 6);
    PQclear(res);
    return 0;
}

static int pg_list(void *self, msgbus_outbox_state state, size_t limit,
                   msgbus_outbox_row **rows, size_t *n, msgbus_error *err)
{
    pg_repo *r = self;
    static const enum pg_stmt which[] = {
        [MSGBUS_OUTBOX_PENDING] = PG_LIST_PENDING, [MSGBUS_OUTBOX_FAILED] = PG_LIST_FAILED,
        [MSGBUS_OUTBOX_DEAD] = PG_LIST_DEAD, [MSGBUS_OUTBOX_PROCESSED] = PG_LIST_PROCESSED,
    };
    if ((unsigned)state > MSGBUS_OUTBOX_PROCESSED)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "outbox list: unknown state %d", (int)state);
    char limit_s[24];
    snprintf(limit_s, sizeof limit_s, "%zu", limit > (size_t)INT64_MAX ? (size_t)INT64_MAX : limit);
    const char *params[1] = { limit_s };
    return collect(r, which[state], 1, params, "listing rows", rows, n, err);
}

static int pg_get(void *self, const char *id, msgbus_outbox_row *row, msgbus_error *err)
{
    pg_repo *r = self;
    const char *params[1] = { id };
    msgbus_outbox_row *rows = NULL;
    size_t n = 0;
    int rc = collect(r, PG_GET, 1, params, "reading a row", &rows, &n, err);
    if (rc < 0)
        return rc;
    if (n == 0)
        return msgbus_error_set(err, MSGBUS_ENOTFOUND, NULL, "table %s: no row with id %s",
                                r->table, id);
    *row = rows[0];
    msgbus_free(rows);
    return 0;
}

static int pg_retry(void *self, const char *id, int64_t now, size_t *n, msgbus_error *err)
{
    pg_repo *r = self;
    char now_s[24];
    snprintf(now_s, sizeof now_s, "%" PRId64, now);
    const char *one[2] = { id, now_s }, *dead[1] = { now_s };
    PGresult *res = NULL;
    *n = 0;
    int rc = id ? run(r, PG_RETRY_ONE, 2, one, "retrying rows", &res, err)
                : run(r, PG_RETRY_DEAD, 1, dead, "retrying rows", &res, err);
    if (rc == 0) {
        *n = affected(res);
        PQclear(res);
    }
    return rc;
}

static int pg_purge(void *self, int64_t before, size_t limit, size_t *n, msgbus_error *err)
{
    pg_repo *r = self;
    char before_s[24], limit_s[24];
    snprintf(before_s, sizeof before_s, "%" PRId64, before);
    snprintf(limit_s, sizeof limit_s, "%zu", limit > (size_t)INT64_MAX ? (size_t)INT64_MAX : limit);
    const char *params[2] = { before_s, limit_s };
    PGresult *res = NULL;
    *n = 0;
    int rc = run(r, PG_PURGE, 2, params, "purging rows", &res, err);
    if (rc == 0) {
        *n = affected(res);
        PQclear(res);
    }
    return rc;
}

/* A batch is a transaction of its own when the caller has none open, a
 * savepoint inside theirs otherwise.  Either is sent with the batch's
 * first statement. */
static int pg_begin_batch(void *self, msgbus_error *err)
{
    pg_repo *r = self;
    if (r->pipeline)
        return busy(r, err);
    if (r->begin_due)
        return msgbus_error_set(err, MSGBUS_ESTATE, NULL, "table %s: a batch is beginning",
                                r->table);
    bool own = PQtransactionStatus(r->conn) == PQTRANS_IDLE;
    r->begin_due = own ? "BEGIN" : "SAVEPOINT msgbus_outbox_batch";
    if (++r->depth && own)
        r->outer = r->depth;
    r->n_marks = 0;
    return 0;
}

/* Sends the batch's BEGIN or SAVEPOINT if no statement took it along. */
static int begin_if_due(pg_repo *r, msgbus_error *err)
{
    const char *begin = r->begin_due;
    r->begin_due = NULL;
    return begin ? pg_exec(r->conn, r->table, begin, "beginning a batch", err) : 0;
}

static int pg_end_batch(void *self, bool commit, msgbus_error *err)
{
    pg_repo *r = self;
    bool own = r->outer == r->depth;
    bool begun = r->begin_due == NULL;
    if (own)
        r->outer = 0;
    r->depth--;
    r->row_open = false;
    r->begin_due = NULL;
    /* Whatever happens below, a SAVEPOINT's result is read first, and
     * ending the batch releases the rows' savepoint. */
    int settled = pg_row_sp_quiet(r, commit ? err : NULL);
    bool row_sp = r->sp_exists;
    r->sp_exists = false;
    if (settled < 0)
        commit = false;
    if (!begun) {               /* nothing was sent: nothing to end */
        r->n_marks = 0;
        return 0;
    }
    if (own) {
        int rc = settled < 0 ? settled : commit ? flush_marks_and_end(r, "COMMIT", row_sp, err) : 0;
        r->n_marks = 0;
        /* After a failure the transaction may still be open (aborted). */
        if ((!commit || rc < 0) && PQtransactionStatus(r->conn) != PQTRANS_IDLE) {
            int end = pg_exec(r->conn, r->table, "ROLLBACK", "ending a batch",
                              rc == 0 ? err : NULL);
            if (rc == 0)
                rc = end;
        }
        return rc;
    }
    int rc = settled < 0 ? settled
           : commit ? flush_marks_and_end(r, "RELEASE SAVEPOINT msgbus_outbox_batch", row_sp,
                                   err) : 0;
    r->n_marks = 0;
    if (!commit || rc < 0) {
        int end = pg_exec(r->conn, r->table,
                          "ROLLBACK TO SAVEPOINT msgbus_outbox_batch;"
                          " RELEASE SAVEPOINT msgbus_outbox_batch",
                          "ending a batch", rc == 0 ? err : NULL);
        if (rc == 0)
            rc = end;
    }
    return rc;
}

static int pg_begin_row(void *self, msgbus_error *err)
{
    pg_repo *r = self;
    int rc = begin_if_due(r, err);
    if (rc == 0)
        rc = pg_row_sp_begin(r, err);
    r->row_open = rc == 0;
    r->row_marked = false;
    return rc;
}

static int pg_end_row(void *self, bool commit, msgbus_error *err)
{
    pg_repo *r = self;
    r->row_open = false;
    if (commit)
        return 0;               /* the savepoint may serve the next row */
    if (r->row_marked)
        r->n_marks--;
    r->row_marked = false;
    return pg_row_sp_rollback(r, err);
}

/* Runs "head FROM t WHERE ... ORDER BY ... LIMIT ... OFFSET ...tail" for
 * the filter with its parameters.  Filtered statements are for operators,
 * not the relay's hot path: not prepared. */
static int exec_filtered(pg_repo *r, const char *head, const char *tail, const filter_sql *q,
                         const char *what, PGresult **out, msgbus_error *err)
{
    if (r->pipeline)
        return busy(r, err);
    int rc = begin_if_due(r, err);
    if (rc < 0)
        return rc;
    char sql[1400], nums[FILTER_SQL_MAX_PARAMS][24];
    const char *values[FILTER_SQL_MAX_PARAMS];
    snprintf(sql, sizeof sql, "%s FROM \"%s\" WHERE %s%s", head, r->table, q->where, tail);
    for (int i = 0; i < q->n; i++) {
        snprintf(nums[i], sizeof nums[i], "%" PRId64, q->params[i].num);
        values[i] = q->params[i].text ? q->params[i].text : nums[i];
    }
    PGresult *res = PQexecParams(r->conn, sql, q->n, NULL, values, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        rc = pg_fail(r->conn, res, r->table, what, err);
        PQclear(res);
        return rc;
    }
    *out = res;
    return 0;
}

static int pg_list_filtered(void *self, const msgbus_outbox_filter *f, int64_t now,
                            msgbus_outbox_row **rows, size_t *n, msgbus_error *err)
{
    pg_repo *r = self;
    filter_sql q;
    PGresult *res;
    filter_sql_build(&q, '$', f, false, now);
    filter_sql_window(&q, '$', f);
    int rc = exec_filtered(r, "SELECT " COLUMNS, "", &q, "listing rows", &res, err);
    return rc < 0 ? rc : rows_of(r, res, "listing rows", rows, n, err);
}

/* Counts the rows of q (a dry run), or runs `change` on them; rows other
 * transactions hold (a relay's batch) are skipped, never waited for. */
static int change_filtered(pg_repo *r, const filter_sql *q, const char *change, bool dry_run,
                           const char *what, size_t *n, msgbus_error *err)
{
    char head[512];
    PGresult *res;
    if (dry_run)
        snprintf(head, sizeof head, "SELECT count(*) FROM (SELECT id");
    else
        snprintf(head, sizeof head, "%s WHERE id IN (SELECT id", change);
    *n = 0;
    int rc = exec_filtered(r, head, dry_run ? ") AS matching" : " FOR UPDATE SKIP LOCKED)", q,
                           what, &res, err);
    if (rc < 0)
        return rc;
    *n = dry_run ? (size_t)field_int(res, 0, 0) : affected(res);
    PQclear(res);
    return 0;
}

/* Retry (retry true) or purge the rows of a filter, or count them. */
static int retry_or_purge(pg_repo *r, const msgbus_outbox_filter *f, int64_t now, bool retry,
                          bool dry_run, size_t *n, msgbus_error *err)
{
    filter_sql q;
    char change[256];
    filter_sql_change(&q, change, sizeof change, '$', f, retry, now, r->table);
    return change_filtered(r, &q, change, dry_run, retry ? "retrying rows" : "purging rows", n,
                           err);
}

static int pg_retry_filtered(void *self, const msgbus_outbox_filter *f, int64_t now,
                             bool dry_run, size_t *n, msgbus_error *err)
{
    return retry_or_purge(self, f, now, true, dry_run, n, err);
}

static int pg_purge_filtered(void *self, const msgbus_outbox_filter *f, int64_t now,
                             bool dry_run, size_t *n, msgbus_error *err)
{
    return retry_or_purge(self, f, now, false, dry_run, n, err);
}

static void pg_free(void *self)
{
    pg_repo *r = self;
    if (!r)
        return;
    pg_row_sp_quiet(r, NULL);
    /* Prepared statements live as long as the session: drop ours when the
     * connection can still take commands. */
    if (!r->pipeline && PQstatus(r->conn) == CONNECTION_OK &&
        PQtransactionStatus(r->conn) == PQTRANS_IDLE)
        for (int i = 0; i < PG_STMT_COUNT; i++) {
            char sql[128];
            snprintf(sql, sizeof sql, "DEALLOCATE \"%s\"", r->names[i]);
            PQclear(PQexec(r->conn, sql));
        }
    msgbus_free(r->marks);
    msgbus_free(r);
}

static const msgbus_outbox_repo_ops pg_ops = {
    .insert = pg_insert,
    .claim = pg_claim,
    .mark_processed = pg_mark_processed,
    .mark_failed = pg_mark_failed,
    .dead_letter = pg_dead_letter,
    .reclaim = pg_reclaim,
    .counts = pg_counts,
    .list = pg_list,
    .get = pg_get,
    .retry = pg_retry,
    .purge = pg_purge,
    .begin_batch = pg_begin_batch,
    .end_batch = pg_end_batch,
    .begin_row = pg_begin_row,
    .end_row = pg_end_row,
    .free = pg_free,
    .list_filtered = pg_list_filtered,
    .retry_filtered = pg_retry_filtered,
    .purge_filtered = pg_purge_filtered,
    .release = pg_release,
};

/* Copies sql into out, replacing each {T} by the quoted table name. */
static void with_table(char *out, size_t size, const char *sql, const char *quoted)
{
    size_t n = 0, q = strlen(quoted);
    for (const char *p = sql; *p && n + q + 1 < size; p++) {
        if (strncmp(p, "{T}", 3) == 0) {
            memcpy(out + n, quoted, q);
            n += q;
            p += 2;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
}

int pg_prepare_all(pg_repo *r, msgbus_error *err)
{
    char quoted[MSGBUS_PG_TABLE_MAX + 3];
    snprintf(quoted, sizeof quoted, "\"%s\"", r->table);
    for (int i = 0; i < PG_STMT_COUNT; i++) {
        char sql[1024];
        /* The object's address makes the names unique on the connection. */
        snprintf(r->names[i], sizeof r->names[i], "msgbus_%s_%p_%d", r->table, (void *)r, i);
        with_table(sql, sizeof sql, stmt_sql[i], quoted);
        PGresult *res = PQprepare(r->conn, r->names[i], sql, 0, NULL);
        int rc = PQresultStatus(res) == PGRES_COMMAND_OK
               ? 0 : pg_fail(r->conn, res, r->table, "preparing statements", err);
        PQclear(res);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int msgbus_pg_outbox_new(PGconn *conn, const char *table, unsigned flags,
                         msgbus_outbox_repo **out, msgbus_error *err)
{
    if (!out || !conn || PQstatus(conn) != CONNECTION_OK)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "pg outbox: no open connection");
    *out = NULL;
    if (!table)
        table = MSGBUS_PG_DEFAULT_TABLE;
    if (!msgbus_outbox_table_name_valid(table))
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL,
                                "pg outbox: invalid table name \"%.60s\": use letters, digits"
                                " and '_', not starting with a digit, at most %d characters",
                                table, MSGBUS_PG_TABLE_MAX);
    pg_repo *r = msgbus_calloc(1, sizeof *r);
    if (!r)
        return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "pg outbox: out of memory");
    r->magic = PG_REPO_MAGIC;
    r->conn = conn;
    strcpy(r->table, table);
    int rc = pg_schema_ensure(conn, table, true, flags, err);
    if (rc == 0)
        rc = pg_prepare_all(r, err);
    if (rc < 0) {
        pg_free(r);
        return rc;
    }
    *out = msgbus_outbox_repo_new(&pg_ops, r);
    if (!*out)
        return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "pg outbox: out of memory");
    return 0;
}
