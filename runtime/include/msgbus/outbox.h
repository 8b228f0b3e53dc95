/* msgbus/outbox.h - the transactional outbox.
 *
 * A message is registered through a repository that writes to the caller's
 * own database connection, so it commits or rolls back with the caller's
 * business data.  A relay later claims pending rows under a lease, runs the
 * outbox handlers and marks each row processed, retries it with backoff or
 * dead-letters it.  See msgbus_outbox(3) and msgbus-outbox(1). */
#ifndef MSGBUS_OUTBOX_H
#define MSGBUS_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <msgbus/types.h>
#include <msgbus/bus.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Room for a row id and its NUL: a UUIDv7 takes 36 characters; a caller's
 * own id may take up to MSGBUS_OUTBOX_ID_SIZE - 1 printable ASCII ones. */
#define MSGBUS_OUTBOX_ID_SIZE 65

/* One outbox row.  Times are milliseconds since 1970-01-01 UTC; 0 stands
 * for SQL NULL ("never").  Strings are malloc'd and owned by the row
 * (msgbus_outbox_row_clear frees them); NULL stands for SQL NULL. */
typedef struct msgbus_outbox_row {
    char id[MSGBUS_OUTBOX_ID_SIZE];
    msgbus_kind kind;           /* MSGBUS_KIND_COMMAND or MSGBUS_KIND_EVENT */
    char *type;                 /* full type name: "shop.orders.ProcessOrder" */
    char *payload;              /* the message as JSON text */
    char *meta;                 /* a JSON object as text, or NULL */
    int64_t created_at;
    int64_t available_at;       /* not claimed before this time */
    int attempts;               /* failed attempts so far */
    char *last_error;           /* text of the last failure, or NULL */
    char *locked_by;            /* worker holding the lease, or NULL */
    int64_t locked_until;       /* lease end */
    int64_t processed_at;
    int64_t dead_at;
} msgbus_outbox_row;

/* Frees what *row owns and zeroes it.  NULL is a no-op. */
void msgbus_outbox_row_clear(msgbus_outbox_row *row);

/* Clears rows[0..n) and frees the array (as returned by a repository). */
void msgbus_outbox_rows_free(msgbus_outbox_row *rows, size_t n);

/* Which rows msgbus_outbox_list returns. */
typedef enum msgbus_outbox_state {
    MSGBUS_OUTBOX_PENDING = 0,  /* neither processed nor dead */
    MSGBUS_OUTBOX_FAILED = 1,   /* pending with at least one failed attempt */
    MSGBUS_OUTBOX_DEAD = 2,     /* dead-lettered */
    MSGBUS_OUTBOX_PROCESSED = 3,
    MSGBUS_OUTBOX_ANY = 4       /* every row (filters only) */
} msgbus_outbox_state;

/* Row counts of a repository.  The two ages are milliseconds from now back
 * to the creation of the oldest pending row, and to the time since when
 * the oldest due row (pending, available, not leased) has been waiting to
 * be claimed (its available_at); 0 when there is no such row, -1 when the
 * repository cannot tell (one written before they existed). */
typedef struct msgbus_outbox_counts {
    size_t pending;             /* neither processed nor dead (includes the next two) */
    size_t in_flight;           /* pending and under an unexpired lease */
    size_t failed;              /* pending with attempts > 0 */
    size_t dead;
    size_t processed;
    int64_t oldest_pending_age_ms;
    int64_t oldest_due_age_ms;
} msgbus_outbox_counts;

/* Which rows the *_filtered functions act on: every condition that is set
 * must hold.  msgbus_outbox_filter_init sets "any row, no condition". */
typedef struct msgbus_outbox_filter {
    msgbus_outbox_state state;  /* MSGBUS_OUTBOX_ANY, or one state */
    const char *id;             /* this row id only, or NULL */
    const char *type;           /* this full type name only, or NULL */
    const char *error_contains; /* last_error contains this text (case matters), or NULL */
    int64_t created_before;     /* created_at < this (ms since the epoch), or 0 */
    size_t limit;               /* at most this many rows, or 0 for no limit */
    size_t offset;              /* skip this many matching rows first */
    int64_t ended_before;       /* processed_at or dead_at < this, or 0 */
} msgbus_outbox_filter;

/* Sets *filter to match every row: MSGBUS_OUTBOX_ANY, no condition, no
 * limit, offset 0. */
void msgbus_outbox_filter_init(msgbus_outbox_filter *filter);

/* ---- repositories ------------------------------------------------------ */

/* The operations of a repository.  self is the implementation's object.
 * Every operation returns 0 or a negative MSGBUS_E* code and fills err.
 * Rows handed out (claim, list) are a malloc'd array of malloc'd rows that
 * the caller frees with msgbus_outbox_rows_free.  The transaction hooks may
 * be NULL (no transactions, as in the memory repository). */
typedef struct msgbus_outbox_repo_ops {
    /* Stores a new row (all its fields are set). */
    int (*insert)(void *self, const msgbus_outbox_row *row, msgbus_error *err);
    /* Leases up to max rows that are pending, available at now and not
     * under an unexpired lease: locked_by = worker, locked_until = until,
     * oldest first.  Inside begin_batch a repository whose transaction
     * already excludes other relays may skip writing the lease. */
    int (*claim)(void *self, int64_t now, const char *worker, int64_t until, size_t max,
                 msgbus_outbox_row **rows, size_t *n, msgbus_error *err);
    /* The row is done: processed_at = now, lease released. */
    int (*mark_processed)(void *self, const char *id, int64_t now, msgbus_error *err);
    /* A failed attempt: attempts + 1, last_error, available_at, lease released. */
    int (*mark_failed)(void *self, const char *id, const char *error, int64_t available_at,
                       msgbus_error *err);
    /* The last failed attempt: attempts + 1, last_error, dead_at = now. */
    int (*dead_letter)(void *self, const char *id, const char *error, int64_t now,
                       msgbus_error *err);
    /* Releases leases that ended at or before now; *n gets how many. */
    int (*reclaim)(void *self, int64_t now, size_t *n, msgbus_error *err);
    int (*counts)(void *self, int64_t now, msgbus_outbox_counts *out, msgbus_error *err);
    /* Up to limit rows in that state, oldest first. */
    int (*list)(void *self, msgbus_outbox_state state, size_t limit, msgbus_outbox_row **rows,
                size_t *n, msgbus_error *err);
    /* Fills *row; MSGBUS_ENOTFOUND if there is no such row. */
    int (*get)(void *self, const char *id, msgbus_outbox_row *row, msgbus_error *err);
    /* Makes a row that is not processed (id) or every dead row (id NULL)
     * pending again: attempts 0, available now, lease and dead_at cleared.
     * *n gets how many rows changed. */
    int (*retry)(void *self, const char *id, int64_t now, size_t *n, msgbus_error *err);
    /* Deletes up to limit rows processed before `before`; *n gets how many. */
    int (*purge)(void *self, int64_t before, size_t limit, size_t *n, msgbus_error *err);
    /* A unit of work around a batch, and a nested one around each row, so
     * that what a handler writes through the same connection commits or
     * rolls back with the row's mark.  end_* commit when commit is true. */
    int (*begin_batch)(void *self, msgbus_error *err);
    int (*end_batch)(void *self, bool commit, msgbus_error *err);
    int (*begin_row)(void *self, msgbus_error *err);
    int (*end_row)(void *self, bool commit, msgbus_error *err);
    /* Frees self. */
    void (*free)(void *self);

    /* ---- added in 0.2; NULL in older repositories (see
     * msgbus_outbox_repo_new): the calls that need them then return
     * MSGBUS_ENOTSUP.  Rows match as msgbus_outbox_filter says, in the
     * order created_at, id; filter->limit 0 means no limit. */
    /* The matching rows. */
    int (*list_filtered)(void *self, const msgbus_outbox_filter *filter, int64_t now,
                         msgbus_outbox_row **rows, size_t *n, msgbus_error *err);
    /* Makes the matching rows that are neither processed nor under an
     * unexpired lease pending again, as retry does; with dry_run only
     * counts them.  *n gets how many. */
    int (*retry_filtered)(void *self, const msgbus_outbox_filter *filter, int64_t now,
                          bool dry_run, size_t *n, msgbus_error *err);
    /* Deletes the matching rows (the caller has checked that the filter
     * names processed or dead rows); with dry_run only counts them. */
    int (*purge_filtered)(void *self, const msgbus_outbox_filter *filter, int64_t now,
                          bool dry_run, size_t *n, msgbus_error *err);
} msgbus_outbox_repo_ops;

typedef struct msgbus_outbox_repo msgbus_outbox_repo;

/* Wraps an implementation: ops is borrowed (usually static), self is owned
 * from then on (ops->free is called on it by msgbus_outbox_repo_free, also
 * when this fails).  Returns NULL when out of memory.
 *
 * The macro passes sizeof *ops, so the library knows which operations the
 * caller's msgbus_outbox_repo_ops has: a program built against an older
 * header (the plain function) has none of those added since, and they
 * count as NULL.  ops_size must cover the operations up to free;
 * otherwise NULL is returned too. */
msgbus_outbox_repo *msgbus_outbox_repo_new_sized(const msgbus_outbox_repo_ops *ops,
                                                 size_t ops_size, void *self);
msgbus_outbox_repo *msgbus_outbox_repo_new(const msgbus_outbox_repo_ops *ops, void *self);
#define msgbus_outbox_repo_new(ops, self) \
    msgbus_outbox_repo_new_sized((ops), sizeof *(ops), (self))

/* Frees the repository and its implementation.  NULL is a no-op. */
void msgbus_outbox_repo_free(msgbus_outbox_repo *repo);

/* The implementation object given to msgbus_outbox_repo_new (borrowed). */
void *msgbus_outbox_repo_self(const msgbus_outbox_repo *repo);

/* A repository in memory, for tests and simple programs.  NULL when out of
 * memory. */
msgbus_outbox_repo *msgbus_outbox_memory_new(void);

/* ---- registering ------------------------------------------------------- */

/* Longest outbox or inbox table name accepted by the SQL repositories. */
#define MSGBUS_OUTBOX_TABLE_MAX 48

/* True if name can be a table name of an SQL repository: a letter or '_'
 * followed by letters, digits or '_', at most MSGBUS_OUTBOX_TABLE_MAX
 * bytes.  Only such a name is put into SQL text, so none can carry SQL. */
int msgbus_outbox_table_name_valid(const char *name);

/* Stores msg (borrowed; a command or an event) as a new pending row: its
 * kind, full type name, JSON payload and meta (a JSON object, borrowed, or
 * NULL).  id may be NULL (a new UUIDv7 is used), point to an empty string
 * of MSGBUS_OUTBOX_ID_SIZE bytes (a new UUIDv7 is used and written there),
 * or hold the caller's own id (printable ASCII, no spaces, used as is).
 * The row is written through the repository's connection, inside whatever
 * transaction the caller has open there.  Returns 0, MSGBUS_EINVAL,
 * MSGBUS_ENOMEM or MSGBUS_EIO (the database's message in err). */
int msgbus_outbox_register(msgbus_outbox_repo *repo, const msgbus_msg *msg, char *id,
                           const json_t *meta, msgbus_error *err);

/* ---- processing -------------------------------------------------------- */

/* An outbox handler: called with the claimed row (borrowed).  Returns 0 or
 * a negative code and fills err, whose text becomes the row's last_error. */
typedef int (*msgbus_outbox_handler_fn)(msgbus_bus *bus, const msgbus_outbox_row *row,
                                        void *userdata, msgbus_error *err);

typedef struct msgbus_outbox_handler {
    const char *name;               /* for error texts */
    msgbus_outbox_handler_fn fn;
    void *userdata;                 /* borrowed, handed to fn */
} msgbus_outbox_handler;

/* The ready-made handler: decodes the row by type name through the modules
 * installed on bus (msgbus_bus_find_type) and handles it with msgbus_handle.
 * userdata is unused.  Returns 0, MSGBUS_EINVAL (no bus or row),
 * MSGBUS_ENOTFOUND (unknown type), MSGBUS_ENOMEM, or what
 * msgbus_value_decode (a bad payload) or msgbus_handle returned. */
int msgbus_outbox_dispatch(msgbus_bus *bus, const msgbus_outbox_row *row, void *userdata,
                           msgbus_error *err);

#define MSGBUS_OUTBOX_DISPATCH_HANDLER { "msgbus.dispatch", msgbus_outbox_dispatch, NULL }

/* Options of msgbus_process_outbox; msgbus_outbox_options_init sets the
 * defaults shown. */
typedef struct msgbus_outbox_options {
    size_t batch_size;              /* rows claimed per call: 100 */
    const char *worker;             /* lease owner: "msgbus" (borrowed) */
    int64_t lease_ms;               /* lease length: 30000 */
    int max_attempts;               /* failed attempts before dead letter: 5 */
    int64_t backoff_base_ms;        /* delay after the first failure: 1000 */
    int64_t backoff_max_ms;         /* cap of the delay: 300000 */
    /* Unit of work per row (default true): a handler's writes through the
     * repository's connection commit together with the row's mark, and
     * the marks of a batch commit at once.  false: every write stands
     * alone, so a crash may repeat a row whose effects were already made. */
    bool atomic;
    int64_t now;                    /* 0: the clock; otherwise this time (tests) */
    const msgbus_outbox_handler *handlers;  /* borrowed; see below */
    size_t n_handlers;
    /* With atomic: the handlers may write through the repository's
     * connection (default true), so each row gets a savepoint of its own
     * and a failing row's writes are undone.  false promises they never do
     * (they publish, call out or write elsewhere): rows then share the
     * batch's unit of work, which saves PostgreSQL a round trip per row.
     * Breaking the promise commits a failing row's writes. */
    bool handlers_write;
} msgbus_outbox_options;

void msgbus_outbox_options_init(msgbus_outbox_options *opts);

/* Sets the outbox handlers, run in order for each row: handlers is
 * borrowed and must outlive opts' use.  n may be 0 (rows are then marked
 * processed without any handler).  Returns 0, or MSGBUS_EINVAL (no opts, a
 * handler without fn). */
int msgbus_set_outbox_handlers(msgbus_outbox_options *opts,
                               const msgbus_outbox_handler *handlers, size_t n,
                               msgbus_error *err);

/* What one msgbus_process_outbox call did. */
typedef struct msgbus_outbox_stats {
    size_t reclaimed;               /* expired leases released */
    size_t claimed;
    size_t processed;
    size_t failed;                  /* failed and scheduled again */
    size_t dead_lettered;
} msgbus_outbox_stats;

/* Claims one batch and runs the handlers on each row in order, stopping a
 * row's chain at its first failure.  A row is marked processed only when
 * every handler succeeded; a failure records the error, increments
 * attempts and sets available_at = now + backoff (exponential, capped, with
 * jitter); the max_attempts-th failure dead-letters the row.  One failing
 * row never holds up the others.  opts NULL means the defaults; stats may
 * be NULL.  Returns 0 (even when handlers failed: see stats), MSGBUS_EINVAL
 * (no repository, invalid options) or the repository's error: MSGBUS_EIO,
 * MSGBUS_ENOMEM, MSGBUS_ESTATE (PostgreSQL, a pipeline open) or
 * MSGBUS_ENOTFOUND (a claimed row deleted meanwhile). */
int msgbus_process_outbox(msgbus_bus *bus, msgbus_outbox_repo *repo,
                          const msgbus_outbox_options *opts, msgbus_outbox_stats *stats,
                          msgbus_error *err);

/* The backoff before the next attempt after `attempts` failed ones (>= 1):
 * base * 2^(attempts-1), capped at max, then scaled into [d/2, d] by
 * random (any 64 bits).  Exposed for tests and for custom relays. */
int64_t msgbus_outbox_backoff(const msgbus_outbox_options *opts, int attempts,
                              uint64_t random);

/* ---- inspection and maintenance ----------------------------------------
 * These return the repository's errors: MSGBUS_EIO with the database's
 * message, and MSGBUS_ESTATE for a PostgreSQL repository with a pipeline
 * open (msgbus_pg_outbox_pipeline_begin). */

/* Fills *out with the row counts and ages of the repository.  Returns 0,
 * MSGBUS_EINVAL (no repository), MSGBUS_EIO or MSGBUS_ESTATE.  The macro
 * msgbus_outbox_counts_get passes sizeof *out, so a program built before
 * the ages existed gets only the counts it knows. */
int msgbus_outbox_counts_get_sized(msgbus_outbox_repo *repo, msgbus_outbox_counts *out,
                                   size_t out_size, msgbus_error *err);
/* Fills *out.  Returns 0, MSGBUS_EINVAL (no repository), MSGBUS_EIO or
 * MSGBUS_ESTATE. */
int msgbus_outbox_counts_get(msgbus_outbox_repo *repo, msgbus_outbox_counts *out,
                             msgbus_error *err);
#define msgbus_outbox_counts_get(repo, out, err) \
    msgbus_outbox_counts_get_sized((repo), (out), sizeof *(out), (err))

/* *rows (malloc'd, free with msgbus_outbox_rows_free) gets up to limit rows
 * in that state, oldest first; *n how many.  Returns 0, MSGBUS_EINVAL (no
 * repository, unknown state), MSGBUS_ENOMEM, MSGBUS_EIO or MSGBUS_ESTATE. */
int msgbus_outbox_list(msgbus_outbox_repo *repo, msgbus_outbox_state state, size_t limit,
                       msgbus_outbox_row **rows, size_t *n, msgbus_error *err);

/* Fills *row (clear it with msgbus_outbox_row_clear).  Returns 0,
 * MSGBUS_EINVAL (no repository or id), MSGBUS_ENOTFOUND (no such row),
 * MSGBUS_ENOMEM, MSGBUS_EIO or MSGBUS_ESTATE. */
int msgbus_outbox_get(msgbus_outbox_repo *repo, const char *id, msgbus_outbox_row *row,
                      msgbus_error *err);

/* Makes row id (not processed) pending again, or every dead row when id is
 * NULL; *n (may be NULL) gets how many.  Returns 0, MSGBUS_EINVAL (no
 * repository), MSGBUS_ENOTFOUND if id names no unprocessed row, MSGBUS_EIO
 * or MSGBUS_ESTATE. */
int msgbus_outbox_retry(msgbus_outbox_repo *repo, const char *id, size_t *n,
                        msgbus_error *err);

/* Deletes at most limit rows processed before `before` (ms since the
 * epoch), so one call holds locks briefly; call again until *n is 0.
 * Returns 0, MSGBUS_EINVAL (no repository, limit 0), MSGBUS_EIO or
 * MSGBUS_ESTATE. */
int msgbus_outbox_purge(msgbus_outbox_repo *repo, int64_t before, size_t limit, size_t *n,
                        msgbus_error *err);

/* *rows (malloc'd, free with msgbus_outbox_rows_free) gets the rows that
 * match filter (NULL: every row), oldest created first, after skipping
 * filter->offset of them, at most filter->limit; *n how many.  Returns 0,
 * MSGBUS_EINVAL (no repository, an unknown state), MSGBUS_ENOTSUP (a
 * repository without filters), MSGBUS_ENOMEM, MSGBUS_EIO or
 * MSGBUS_ESTATE. */
int msgbus_outbox_list_filtered(msgbus_outbox_repo *repo, const msgbus_outbox_filter *filter,
                                msgbus_outbox_row **rows, size_t *n, msgbus_error *err);

/* Makes the rows that match filter pending again (attempts 0, available
 * now, dead_at and lease cleared), skipping processed rows and rows under
 * an unexpired lease (a relay is working on them).  With dry_run nothing
 * changes and *n gets how many rows would.  *n (may be NULL) gets how many.
 * Returns 0, MSGBUS_EINVAL (no repository, an unknown state, filter->state
 * MSGBUS_OUTBOX_PROCESSED), MSGBUS_ENOTSUP, MSGBUS_ENOMEM, MSGBUS_EIO or
 * MSGBUS_ESTATE. */
int msgbus_outbox_retry_filtered(msgbus_outbox_repo *repo, const msgbus_outbox_filter *filter,
                                 bool dry_run, size_t *n, msgbus_error *err);

/* Deletes the rows that match filter, whose state must be
 * MSGBUS_OUTBOX_PROCESSED or MSGBUS_OUTBOX_DEAD (else MSGBUS_EINVAL: a
 * pending row is never purged).  Use filter->ended_before for "processed
 * (or dead-lettered) before", and filter->limit to delete in batches that
 * hold locks briefly.  With dry_run nothing changes and *n gets how many
 * rows would go.  *n (may be NULL) gets how many.  Returns 0,
 * MSGBUS_EINVAL (no repository, another state), MSGBUS_ENOTSUP,
 * MSGBUS_ENOMEM, MSGBUS_EIO or MSGBUS_ESTATE. */
int msgbus_outbox_purge_filtered(msgbus_outbox_repo *repo, const msgbus_outbox_filter *filter,
                                 bool dry_run, size_t *n, msgbus_error *err);

/* Milliseconds since 1970-01-01 UTC by the real-time clock. */
int64_t msgbus_outbox_now(void);

#ifdef __cplusplus
}
#endif

#endif /* MSGBUS_OUTBOX_H */
