/* outbox_sqlite.c - the outbox repository over the caller's sqlite3
 * connection.  Every statement is prepared once; all values are bound
 * parameters.  register never opens a transaction of its own. */
#include "sqlite_internal.h"
#include "../outbox_filter_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLUMNS "id, kind, type, payload, meta, created_at, available_at, attempts," \
                " last_error, locked_by, locked_until, processed_at, dead_at"
#define PENDING "processed_at IS NULL AND dead_at IS NULL"

enum stmt_id {
    ST_INSERT, ST_CLAIM, ST_SELECT_READY, ST_PROCESSED, ST_FAILED, ST_DEAD, ST_RECLAIM, ST_COUNTS,
    ST_LIST_PENDING, ST_LIST_FAILED, ST_LIST_DEAD, ST_LIST_PROCESSED, ST_GET,
    ST_RETRY_ONE, ST_RETRY_DEAD, ST_PURGE,
    ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_SAVE_BATCH, ST_RELEASE_BATCH, ST_UNDO_BATCH,
    ST_SAVE_ROW, ST_RELEASE_ROW, ST_UNDO_ROW,
    ST_COUNT
};

/* %s is the quoted table name. */
static const char *const stmt_sql[ST_COUNT] = {
    [ST_INSERT] = "INSERT INTO %s (id, kind, type, payload, meta, created_at, available_at, attempts)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)",
    [ST_CLAIM] = "UPDATE %s SET locked_by = ?1, locked_until = ?2 WHERE id IN"
                 " (SELECT id FROM %s WHERE " PENDING " AND available_at <= ?3"
                 " AND (locked_until IS NULL OR locked_until <= ?3)"
                 " ORDER BY available_at, id LIMIT ?4) RETURNING " COLUMNS,
    [ST_SELECT_READY] = "SELECT " COLUMNS " FROM %s WHERE " PENDING " AND available_at <= ?3"
                        " AND (locked_until IS NULL OR locked_until <= ?3)"
                        " ORDER BY available_at, id LIMIT ?4",
    [ST_PROCESSED] = "UPDATE %s SET processed_at = ?2, locked_by = NULL, locked_until = NULL"
                     " WHERE id = ?1",
    [ST_FAILED] = "UPDATE %s SET attempts = attempts + 1, last_error = ?2, available_at = ?3,"
                  " locked_by = NULL, locked_until = NULL WHERE id = ?1",
    [ST_DEAD] = "UPDATE %s SET attempts = attempts + 1, last_error = ?2, dead_at = ?3,"
                " locked_by = NULL, locked_until = NULL WHERE id = ?1",
    [ST_RECLAIM] = "UPDATE %s SET locked_by = NULL, locked_until = NULL"
                   " WHERE locked_until IS NOT NULL AND locked_until <= ?1 AND " PENDING,
    [ST_COUNTS] = "SELECT coalesce(sum(" PENDING "), 0),"
                  " coalesce(sum(" PENDING " AND locked_until > ?1), 0),"
                  " coalesce(sum(" PENDING " AND attempts > 0), 0),"
                  " coalesce(sum(dead_at IS NOT NULL), 0),"
                  " coalesce(sum(processed_at IS NOT NULL), 0),"
                  /* the ages: NULL (0) without such a row */
                  " max(0, ?1 - min(CASE WHEN " PENDING " THEN created_at END)),"
                  " max(0, ?1 - min(CASE WHEN " PENDING " AND available_at <= ?1"
                  " AND (locked_until IS NULL OR locked_until <= ?1) THEN available_at END))"
                  " FROM %s",
    [ST_LIST_PENDING] = "SELECT " COLUMNS " FROM %s WHERE " PENDING
                        " ORDER BY created_at, id LIMIT ?1",
    [ST_LIST_FAILED] = "SELECT " COLUMNS " FROM %s WHERE " PENDING " AND attempts > 0"
                       " ORDER BY created_at, id LIMIT ?1",
    [ST_LIST_DEAD] = "SELECT " COLUMNS " FROM %s WHERE dead_at IS NOT NULL"
                     " ORDER BY dead_at, id LIMIT ?1",
    [ST_LIST_PROCESSED] = "SELECT " COLUMNS " FROM %s WHERE processed_at IS NOT NULL"
                          " ORDER BY processed_at, id LIMIT ?1",
    [ST_GET] = "SELECT " COLUMNS " FROM %s WHERE id = ?1",
    [ST_RETRY_ONE] = "UPDATE %s SET attempts = 0, available_at = ?2, dead_at = NULL,"
                     " locked_by = NULL, locked_until = NULL"
                     " WHERE id = ?1 AND processed_at IS NULL",
    [ST_RETRY_DEAD] = "UPDATE %s SET attempts = 0, available_at = ?2, dead_at = NULL,"
                      " locked_by = NULL, locked_until = NULL"
                      " WHERE dead_at IS NOT NULL AND ?1 IS NULL",
    [ST_PURGE] = "DELETE FROM %s WHERE id IN (SELECT id FROM %s WHERE processed_at IS NOT NULL"
                 " AND processed_at < ?1 ORDER BY processed_at LIMIT ?2)",
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVE_BATCH] = "SAVEPOINT msgbus_outbox_batch",
    [ST_RELEASE_BATCH] = "RELEASE msgbus_outbox_batch",
    [ST_UNDO_BATCH] = "ROLLBACK TO msgbus_outbox_batch",
    [ST_SAVE_ROW] = "SAVEPOINT msgbus_outbox_row",
    [ST_RELEASE_ROW] = "RELEASE msgbus_outbox_row",
    [ST_UNDO_ROW] = "ROLLBACK TO msgbus_outbox_row",
};

typedef struct sqlite_repo {
    sqlite3 *db;
    char table[MSGBUS_SQLITE_TABLE_MAX + 1];
    sqlite3_stmt *st[ST_COUNT];
    int depth;                  /* batches open (a relay may run inside a handler) */
    int outer;                  /* depth of the batch that began the transaction, or 0 */
} sqlite_repo;

/* Runs a statement without results (and resets it). */
static int run(sqlite_repo *r, sqlite3_stmt *st, const char *what, msgbus_error *err)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        int code = sqlite_fail(r->db, r->table, what, err);
        sqlite3_reset(st);
        return code;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return 0;
}

static int sq_insert(void *self, const msgbus_outbox_row *row, msgbus_error *err)
{
    sqlite_repo *r = self;
    sqlite3_stmt *st = r->st[ST_INSERT];
    sqlite3_bind_text(st, 1, row->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, row->kind == MSGBUS_KIND_COMMAND ? "COMMAND" : "EVENT", -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(st, 3, row->type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, row->payload, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, row->meta, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, row->created_at);
    sqlite3_bind_int64(st, 7, row->available_at);
    return run(r, st, "inserting a row", err);
}

static char *column_text(sqlite3_stmt *st, int i, bool *oom)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    if (!t)
        return NULL;
    size_t n = (size_t)sqlite3_column_bytes(st, i);
    char *p = msgbus_malloc(n + 1);
    if (!p) {
        *oom = true;
        return NULL;
    }
    memcpy(p, t, n + 1);
    return p;
}

/* Reads the row the statement is on (columns in COLUMNS order). */
static int read_row(sqlite3_stmt *st, msgbus_outbox_row *row)
{
    bool oom = false;
    memset(row, 0, sizeof *row);
    const unsigned char *id = sqlite3_column_text(st, 0);
    snprintf(row->id, sizeof row->id, "%s", id ? (const char *)id : "");
    const unsigned char *kind = sqlite3_column_text(st, 1);
    row->kind = kind && strcmp((const char *)kind, "COMMAND") == 0 ? MSGBUS_KIND_COMMAND
              : kind && strcmp((const char *)kind, "EVENT") == 0 ? MSGBUS_KIND_EVENT
              : MSGBUS_KIND_RECORD;
    row->type = column_text(st, 2, &oom);
    row->payload = column_text(st, 3, &oom);
    row->meta = column_text(st, 4, &oom);
    row->created_at = sqlite3_column_int64(st, 5);
    row->available_at = sqlite3_column_int64(st, 6);
    row->attempts = sqlite3_column_int(st, 7);
    row->last_error = column_text(st, 8, &oom);
    row->locked_by = column_text(st, 9, &oom);
    row->locked_until = sqlite3_column_int64(st, 10);
    row->processed_at = sqlite3_column_int64(st, 11);
    row->dead_at = sqlite3_column_int64(st, 12);
    if (oom) {
        msgbus_outbox_row_clear(row);
        return MSGBUS_ENOMEM;
    }
    return 0;
}

/* Steps st to the end, collecting its rows into a new array. */
static int collect(sqlite_repo *r, sqlite3_stmt *st, const char *what, msgbus_outbox_row **rows,
                   size_t *n, msgbus_error *err)
{
    msgbus_outbox_row *out = NULL;
    size_t count = 0, cap = 0;
    int rc, status = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && status == 0) {
        if (count == cap) {
            size_t ncap = cap ? 2 * cap : 16;
            msgbus_outbox_row *grown = msgbus_realloc(out, ncap * sizeof *grown);
            if (!grown) {
                status = MSGBUS_ENOMEM;
                break;
            }
            out = grown;
            cap = ncap;
        }
        if ((status = read_row(st, &out[count])) == 0)
            count++;
    }
    if (status == 0 && rc != SQLITE_DONE)
        status = sqlite_fail(r->db, r->table, what, err);
    else if (status == MSGBUS_ENOMEM)
        msgbus_error_set(err, status, NULL, "outbox table %s: %s: out of memory", r->table, what);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (status < 0) {
        msgbus_outbox_rows_free(out, count);
        return status;
    }
    *rows = out;
    *n = count;
    return 0;
}

static int by_availability(const void *a, const void *b)
{
    const msgbus_outbox_row *x = a, *y = b;
    if (x->available_at != y->available_at)
        return x->available_at < y->available_at ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* Inside a batch's transaction the rows are claimed by reading them: the
 * transaction holds SQLite's write lock until it ends, no other connection
 * can claim them meanwhile, and a lease written there would be invisible to
 * all others and undone by a crash.  Outside one, the lease is written and
 * committed before any handler runs. */
static int sq_claim(void *self, int64_t now, const char *worker, int64_t until, size_t max,
                    msgbus_outbox_row **rows, size_t *n, msgbus_error *err)
{
    sqlite_repo *r = self;
    bool in_batch = r->depth > 0;
    sqlite3_stmt *st = r->st[in_batch ? ST_SELECT_READY : ST_CLAIM];
    if (!in_batch) {
        sqlite3_bind_text(st, 1, worker, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, until);
    }
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, max > INT64_MAX ? INT64_MAX : (sqlite3_int64)max);
    int rc = collect(r, st, "claiming rows", rows, n, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < *n && in_batch; i++) {
        msgbus_outbox_row *row = &(*rows)[i];
        size_t len = strlen(worker) + 1;
        msgbus_free(row->locked_by);
        if (!(row->locked_by = msgbus_malloc(len))) {
            msgbus_outbox_rows_free(*rows, *n);
            *rows = NULL;
            *n = 0;
            return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "outbox table %s: out of memory", r->table);
        }
        memcpy(row->locked_by, worker, len);
        row->locked_until = until;
    }
    /* RETURNING gives no order; hand rows out oldest first. */
    if (!in_batch && *n > 1)
        qsort(*rows, *n, sizeof **rows, by_availability);
    return 0;
}

static int sq_mark_processed(void *self, const char *id, int64_t now, msgbus_error *err)
{
    sqlite_repo *r = self;
    sqlite3_stmt *st = r->st[ST_PROCESSED];
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    return run(r, st, "marking a row processed", err);
}

static int fail_row(sqlite_repo *r, int which, const char *id, const char *error, int64_t t,
                    msgbus_error *err)
{
    sqlite3_stmt *st = r->st[which];
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, error, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, t);
    return run(r, st, "recording a failure", err);
}

static int sq_mark_failed(void *self, const char *id, const char *error, int64_t available_at,
                          msgbus_error *err)
{
    return fail_row(self, ST_FAILED, id, error, available_at, err);
}

static int sq_dead_letter(void *self, const char *id, const char *error, int64_t now,
                          msgbus_error *err)
{
    return fail_row(self, ST_DEAD, id, error, now, err);
}

static int sq_reclaim(void *self, int64_t now, size_t *n, msgbus_error *err)
{
    sqlite_repo *r = self;
    sqlite3_stmt *st = r->st[ST_RECLAIM];
    sqlite3_bind_int64(st, 1, now);
    int rc = run(r, st, "reclaiming leases", err);
    *n = rc == 0 ? (size_t)sqlite3_changes(r->db) : 0;
    return rc;
}

static int sq_counts(void *self, int64_t now, msgbus_outbox_counts *out, msgbus_error *err)
{
    sqlite_repo *r = self;
    sqlite3_stmt *st = r->st[ST_COUNTS];
    sqlite3_bind_int64(st, 1, now);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->pending = (size_t)sqlite3_column_int64(st, 0);
        out->in_flight = (size_t)sqlite3_column_int64(st, 1);
        out->failed = (size_t)sqlite3_column_int64(st, 2);
        out->dead = (size_t)sqlite3_column_int64(st, 3);
        out->processed = (size_t)sqlite3_column_int64(st, 4);
        out->oldest_pending_age_ms = sqlite3_column_int64(st, 5);
        out->oldest_due_age_ms = sqlite3_column_int64(st, 6);
        sqlite3_reset(st);
        return 0;
    }
    rc = sqlite_fail(r->db, r->table, "counting rows", err);
    sqlite3_reset(st);
    return rc;
}

static int sq_list(void *self, msgbus_outbox_state state, size_t limit,
                   msgbus_outbox_row **rows, size_t *n, msgbus_error *err)
{
    sqlite_repo *r = self;
    static const int which[] = {
        [MSGBUS_OUTBOX_PENDING] = ST_LIST_PENDING, [MSGBUS_OUTBOX_FAILED] = ST_LIST_FAILED,
        [MSGBUS_OUTBOX_DEAD] = ST_LIST_DEAD, [MSGBUS_OUTBOX_PROCESSED] = ST_LIST_PROCESSED,
    };
    if ((unsigned)state > MSGBUS_OUTBOX_PROCESSED)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "outbox list: unknown state %d", (int)state);
    sqlite3_stmt *st = r->st[which[state]];
    sqlite3_bind_int64(st, 1, limit > INT64_MAX ? INT64_MAX : (sqlite3_int64)limit);
    return collect(r, st, "listing rows", rows, n, err);
}

static int sq_get(void *self, const char *id, msgbus_outbox_row *row, msgbus_error *err)
{
    sqlite_repo *r = self;
    sqlite3_stmt *st = r->st[ST_GET];
    msgbus_outbox_row *rows = NULL;
    size_t n = 0;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = collect(r, st, "reading a row", &rows, &n, err);
    if (rc < 0)
        return rc;
    if (n == 0) {
        msgbus_free(rows);
        return msgbus_error_set(err, MSGBUS_ENOTFOUND, NULL, "outbox table %s: no row with id %s",
                                r->table, id);
    }
    *row = rows[0];
    msgbus_free(rows);
    return 0;
}

static int sq_retry(void *self, const char *id, int64_t now, size_t *n, msgbus_error *err)
{
    sqlite_repo *r = self;
    sqlite3_stmt *st = r->st[id ? ST_RETRY_ONE : ST_RETRY_DEAD];
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    int rc = run(r, st, "retrying rows", err);
    *n = rc == 0 ? (size_t)sqlite3_changes(r->db) : 0;
    return rc;
}

static int sq_purge(void *self, int64_t before, size_t limit, size_t *n, msgbus_error *err)
{
    sqlite_repo *r = self;
    sqlite3_stmt *st = r->st[ST_PURGE];
    sqlite3_bind_int64(st, 1, before);
    sqlite3_bind_int64(st, 2, limit > INT64_MAX ? INT64_MAX : (sqlite3_int64)limit);
    int rc = run(r, st, "purging rows", err);
    *n = rc == 0 ? (size_t)sqlite3_changes(r->db) : 0;
    return rc;
}

/* Prepares "head FROM t WHERE ... ORDER BY ... LIMIT ... OFFSET ...tail"
 * for the filter, with its parameters bound.  Filtered statements are for
 * operators, not the relay's hot path: prepared on each call. */
static int prepare_filtered(sqlite_repo *r, const char *head, const char *tail,
                            const filter_sql *q, sqlite3_stmt **st, msgbus_error *err)
{
    char sql[1400];
    snprintf(sql, sizeof sql, "%s FROM \"%s\" WHERE %s%s", head, r->table, q->where, tail);
    if (sqlite3_prepare_v2(r->db, sql, -1, st, NULL) != SQLITE_OK)
        return sqlite_fail(r->db, r->table, "preparing a filtered statement", err);
    for (int i = 0; i < q->n; i++) {
        if (q->params[i].text)
            sqlite3_bind_text(*st, i + 1, q->params[i].text, -1, SQLITE_STATIC);
        else
            sqlite3_bind_int64(*st, i + 1, q->params[i].num);
    }
    return 0;
}

static int sq_list_filtered(void *self, const msgbus_outbox_filter *f, int64_t now,
                            msgbus_outbox_row **rows, size_t *n, msgbus_error *err)
{
    sqlite_repo *r = self;
    filter_sql q;
    sqlite3_stmt *st;
    filter_sql_build(&q, '?', f, false, now);
    filter_sql_window(&q, '?', f);
    int rc = prepare_filtered(r, "SELECT " COLUMNS, "", &q, &st, err);
    if (rc == 0)
        rc = collect(r, st, "listing rows", rows, n, err);
    sqlite3_finalize(st);
    return rc;
}

/* Counts the rows of q (a dry run), or runs `change` on them. */
static int change_filtered(sqlite_repo *r, const filter_sql *q, const char *change,
                           bool dry_run, const char *what, size_t *n, msgbus_error *err)
{
    char head[512];
    sqlite3_stmt *st;
    if (dry_run)
        snprintf(head, sizeof head, "SELECT count(*) FROM (SELECT id");
    else
        snprintf(head, sizeof head, "%s WHERE id IN (SELECT id", change);
    int rc = prepare_filtered(r, head, ")", q, &st, err);
    *n = 0;
    if (rc == 0) {
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW && dry_run)
            *n = (size_t)sqlite3_column_int64(st, 0);
        else if (step == SQLITE_DONE && !dry_run)
            *n = (size_t)sqlite3_changes(r->db);
        else
            rc = sqlite_fail(r->db, r->table, what, err);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Retry (retry true) or purge the rows of a filter, or count them. */
static int retry_or_purge(sqlite_repo *r, const msgbus_outbox_filter *f, int64_t now, bool retry,
                          bool dry_run, size_t *n, msgbus_error *err)
{
    filter_sql q;
    char change[256];
    filter_sql_change(&q, change, sizeof change, '?', f, retry, now, r->table);
    return change_filtered(r, &q, change, dry_run, retry ? "retrying rows" : "purging rows", n,
                           err);
}

static int sq_retry_filtered(void *self, const msgbus_outbox_filter *f, int64_t now,
                             bool dry_run, size_t *n, msgbus_error *err)
{
    return retry_or_purge(self, f, now, true, dry_run, n, err);
}

static int sq_purge_filtered(void *self, const msgbus_outbox_filter *f, int64_t now,
                             bool dry_run, size_t *n, msgbus_error *err)
{
    return retry_or_purge(self, f, now, false, dry_run, n, err);
}

static int sq_begin_batch(void *self, msgbus_error *err)
{
    sqlite_repo *r = self;
    bool own = sqlite3_get_autocommit(r->db) != 0;
    int rc = run(r, r->st[own ? ST_BEGIN : ST_SAVE_BATCH], "beginning a batch", err);
    if (rc == 0 && ++r->depth && own)
        r->outer = r->depth;
    return rc;
}

static int sq_end_batch(void *self, bool commit, msgbus_error *err)
{
    sqlite_repo *r = self;
    bool own = r->outer == r->depth;
    if (own)
        r->outer = 0;
    r->depth--;
    if (own) {
        int rc = run(r, r->st[commit ? ST_COMMIT : ST_ROLLBACK], "ending a batch", err);
        /* A failed COMMIT leaves the transaction open: end it. */
        if (rc < 0 && !sqlite3_get_autocommit(r->db))
            run(r, r->st[ST_ROLLBACK], "rolling back a batch", NULL);
        return rc;
    }
    if (!commit) {
        int rc = run(r, r->st[ST_UNDO_BATCH], "rolling back a batch", err);
        if (rc < 0)
            return rc;
    }
    return run(r, r->st[ST_RELEASE_BATCH], "ending a batch", err);
}

static int sq_begin_row(void *self, msgbus_error *err)
{
    sqlite_repo *r = self;
    return run(r, r->st[ST_SAVE_ROW], "beginning a row", err);
}

static int sq_end_row(void *self, bool commit, msgbus_error *err)
{
    sqlite_repo *r = self;
    if (!commit) {
        int rc = run(r, r->st[ST_UNDO_ROW], "rolling back a row", err);
        if (rc < 0)
            return rc;
    }
    return run(r, r->st[ST_RELEASE_ROW], "ending a row", err);
}

static void sq_free(void *self)
{
    sqlite_repo *r = self;
    if (!r)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(r->st[i]);
    msgbus_free(r);
}

static const msgbus_outbox_repo_ops sqlite_ops = {
    .insert = sq_insert,
    .claim = sq_claim,
    .mark_processed = sq_mark_processed,
    .mark_failed = sq_mark_failed,
    .dead_letter = sq_dead_letter,
    .reclaim = sq_reclaim,
    .counts = sq_counts,
    .list = sq_list,
    .get = sq_get,
    .retry = sq_retry,
    .purge = sq_purge,
    .begin_batch = sq_begin_batch,
    .end_batch = sq_end_batch,
    .begin_row = sq_begin_row,
    .end_row = sq_end_row,
    .free = sq_free,
    .list_filtered = sq_list_filtered,
    .retry_filtered = sq_retry_filtered,
    .purge_filtered = sq_purge_filtered,
};

static int prepare_all(sqlite_repo *r, msgbus_error *err)
{
    char quoted[MSGBUS_SQLITE_TABLE_MAX + 3];
    snprintf(quoted, sizeof quoted, "\"%s\"", r->table);
    for (int i = 0; i < ST_COUNT; i++) {
        char sql[1024];
        /* Statements name the table at most twice. */
        snprintf(sql, sizeof sql, stmt_sql[i], quoted, quoted);
        if (sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &r->st[i], NULL) !=
            SQLITE_OK)
            return sqlite_fail(r->db, r->table, "preparing statements", err);
    }
    return 0;
}

int msgbus_sqlite_outbox_new(sqlite3 *db, const char *table, unsigned flags,
                             msgbus_outbox_repo **out, msgbus_error *err)
{
    if (!out || !db)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "sqlite outbox: no database");
    *out = NULL;
    if (!table)
        table = MSGBUS_SQLITE_DEFAULT_TABLE;
    if (!msgbus_outbox_table_name_valid(table))
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL,
                                "sqlite outbox: invalid table name \"%.60s\": use letters, digits"
                                " and '_', not starting with a digit, at most %d characters",
                                table, MSGBUS_SQLITE_TABLE_MAX);
    sqlite_repo *r = msgbus_calloc(1, sizeof *r);
    if (!r)
        return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "sqlite outbox: out of memory");
    r->db = db;
    strcpy(r->table, table);
    int rc = sqlite_schema_ensure(db, table, flags, err);
    if (rc == 0)
        rc = prepare_all(r, err);
    if (rc < 0) {
        sq_free(r);
        return rc;
    }
    *out = msgbus_outbox_repo_new(&sqlite_ops, r);
    if (!*out)
        return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "sqlite outbox: out of memory");
    return 0;
}
