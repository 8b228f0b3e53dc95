/* pg_internal.h - shared by the files of libmsgbus-pg. */
#ifndef MSGBUS_PG_INTERNAL_H
#define MSGBUS_PG_INTERNAL_H

#include <stdbool.h>
#include <msgbus/pg.h>
#include <msgbus/value.h>

/* Marks a pg_repo, so msgbus_pg_* can tell one from another repository. */
#define PG_REPO_MAGIC 0x6d627067u   /* "mbpg" */

/* Prepared statements of the repository. */
enum pg_stmt {
    PG_INSERT, PG_CLAIM, PG_CLAIM_LOCKED, PG_PROCESSED, PG_PROCESSED_MANY, PG_FAILED, PG_DEAD, PG_RECLAIM,
    PG_COUNTS, PG_LIST_PENDING, PG_LIST_FAILED, PG_LIST_DEAD, PG_LIST_PROCESSED, PG_GET,
    PG_RETRY_ONE, PG_RETRY_DEAD, PG_PURGE, PG_RELEASE,
    PG_STMT_COUNT
};

typedef struct pg_repo {
    unsigned magic;
    PGconn *conn;
    char table[MSGBUS_PG_TABLE_MAX + 1];
    char names[PG_STMT_COUNT][96];  /* prepared statement names, unique per repo */
    bool pipeline;              /* between pipeline_begin and pipeline_end */
    size_t queued;              /* inserts sent since the last sync */
    int depth;                  /* batches open */
    int outer;                  /* depth of the batch that began the transaction, or 0 */
    const char *begin_due;      /* BEGIN or the batch's SAVEPOINT, sent with the next statement */
    bool row_open;              /* a row's savepoint is open */
    bool sp_exists;             /* the rows' savepoint is set in the transaction */
    bool sp_fresh;              /* ... and nothing ran on the connection since */
    bool sp_in_flight;          /* a statement of row_savepoint.c awaits reading */
    bool row_marked;            /* the open row was marked processed */
    char (*marks)[MSGBUS_OUTBOX_ID_SIZE];   /* processed rows of the batch, marked at its end */
    size_t n_marks, cap_marks;
    int64_t marks_at;           /* processed_at of those rows */
    bool listening;             /* LISTENs on the table's channel (again after a reconnect) */
} pg_repo;

/* Reports the connection's last error (or res's, if not NULL) as
 * MSGBUS_EIO, MSGBUS_EINVAL for an integrity violation (SQLSTATE class
 * 23, such as a duplicate id), or MSGBUS_EUNAVAILABLE when the connection
 * is lost or the server is shutting down or starting (the statement did
 * not fail because of its data), naming the table and what was done. */
int pg_fail(PGconn *conn, const PGresult *res, const char *table, const char *what,
            msgbus_error *err);

/* Runs sql (no parameters, no rows wanted); 0 or pg_fail's code. */
int pg_exec(PGconn *conn, const char *table, const char *sql, const char *what,
            msgbus_error *err);

/* Creates table (an outbox when outbox is true, else an inbox) with its
 * indexes, and for an outbox the NOTIFY trigger, if missing; with
 * MSGBUS_PG_NO_CREATE only checks that it exists. */
int pg_schema_ensure(PGconn *conn, const char *table, bool outbox, unsigned flags,
                     msgbus_error *err);

/* Within a pipeline: reads results back once enough inserts are queued. */
int pg_pipeline_step(pg_repo *r, msgbus_error *err);

/* Runs the text statement before (or NULL), prepared statement s and the
 * text statement after (or NULL) in one round trip.  A failure skips the
 * statements after it; the first error is returned.  *out (may be NULL)
 * gets s's result on success: the caller PQclears it. */
int pg_run_pipelined(pg_repo *r, const char *before, enum pg_stmt s, int n,
                     const char *const *params, const char *after, const char *what,
                     PGresult **out, msgbus_error *err);

/* Prepares the repository's statements on its connection. */
int pg_prepare_all(pg_repo *r, msgbus_error *err);

/* ---- row_savepoint.c: a savepoint per row without a round trip each -- */

/* Before any other statement on the connection: reads what a row's
 * statement left pending (waiting for it); 0 or the error it reported. */
int pg_row_sp_quiet(pg_repo *r, msgbus_error *err);
/* Makes sure the rows' savepoint marks this point: keeps it when nothing
 * ran on the connection since it was sent, else sends a new one. */
int pg_row_sp_begin(pg_repo *r, msgbus_error *err);
/* Rolls the connection back to the rows' savepoint and releases it. */
int pg_row_sp_rollback(pg_repo *r, msgbus_error *err);

/* The pg_repo behind repo, or NULL if repo is not a PostgreSQL one.
 * Inline here, so that pipeline.c and outbox_pg.c need not call each
 * other for it. */
static inline pg_repo *pg_repo_of(const msgbus_outbox_repo *repo)
{
    pg_repo *r = msgbus_outbox_repo_self(repo);
    return r && r->magic == PG_REPO_MAGIC ? r : NULL;
}

#endif /* MSGBUS_PG_INTERNAL_H */
