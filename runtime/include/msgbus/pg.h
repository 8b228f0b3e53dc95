/* msgbus/pg.h - the PostgreSQL outbox repository and inbox
 * (libmsgbus-pg).
 *
 * The repository writes through the caller's own PGconn and never opens a
 * transaction around msgbus_outbox_register: a row registered between the
 * caller's BEGIN and COMMIT commits or rolls back with the caller's data.
 * Rows are claimed with FOR UPDATE SKIP LOCKED under a lease, so several
 * relay processes can drain one table.  An insert trigger NOTIFYs the
 * table's channel, so a relay that LISTENs wakes at once.  See
 * msgbus_pg(3). */
#ifndef MSGBUS_PG_H
#define MSGBUS_PG_H

#include <libpq-fe.h>
#include <msgbus/outbox.h>
#include <msgbus/inbox.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Tables used when the name given is NULL. */
#define MSGBUS_PG_DEFAULT_TABLE "msgbus_outbox"
#define MSGBUS_PG_DEFAULT_INBOX "msgbus_inbox"

/* Longest table name accepted: see msgbus_outbox_table_name_valid. */
#define MSGBUS_PG_TABLE_MAX MSGBUS_OUTBOX_TABLE_MAX

/* Flags of msgbus_pg_outbox_new. */
enum {
    /* Do not create the table: MSGBUS_ENOTFOUND if it is missing. */
    MSGBUS_PG_NO_CREATE = 1
};

/* Makes *out a repository over conn (borrowed: free the repository before
 * PQfinish) and table (NULL for the default).  Creates the table, its
 * indexes and its NOTIFY trigger when missing (under an advisory lock, so
 * processes starting together do not race), unless flags has
 * MSGBUS_PG_NO_CREATE.  Returns 0, MSGBUS_EINVAL (bad table name or no
 * connection), MSGBUS_ENOTFOUND, MSGBUS_EIO (the server's message in err)
 * or MSGBUS_ENOMEM. */
int msgbus_pg_outbox_new(PGconn *conn, const char *table, unsigned flags,
                         msgbus_outbox_repo **out, msgbus_error *err);

/* Pipelined registration: between begin and end, msgbus_outbox_register
 * on repo only queues its INSERT (libpq pipeline mode), and end sends them
 * and reads every result: one round trip for a whole batch instead of one
 * per row.  Open the caller's transaction (BEGIN) before begin, commit it
 * after end.  end returns the first row's error, if any (the caller's
 * transaction is then aborted: roll it back).  Other repository calls
 * between begin and end fail with MSGBUS_ESTATE.  Both return 0,
 * MSGBUS_EINVAL (not a PostgreSQL repository; for end also a duplicate id),
 * MSGBUS_ESTATE (begin: a pipeline is open; end: none is) or MSGBUS_EIO. */
int msgbus_pg_outbox_pipeline_begin(msgbus_outbox_repo *repo, msgbus_error *err);
int msgbus_pg_outbox_pipeline_end(msgbus_outbox_repo *repo, msgbus_error *err);

/* LISTENs on the table's channel, which the insert trigger notifies when
 * new rows commit.  The connection must not be in a transaction.  Returns
 * 0, MSGBUS_EINVAL (not a PostgreSQL repository) or MSGBUS_EIO. */
int msgbus_pg_outbox_listen(msgbus_outbox_repo *repo, msgbus_error *err);

/* Waits up to timeout_ms for a notification on the repository's
 * connection (after msgbus_pg_outbox_listen) and consumes all that came.
 * Returns 1 if one came, 0 on timeout (poll anyway: it is the fallback),
 * MSGBUS_EINVAL (not a PostgreSQL repository) or MSGBUS_EIO when the
 * connection is broken. */
int msgbus_pg_outbox_wait(msgbus_outbox_repo *repo, int timeout_ms, msgbus_error *err);

/* The connection of a repository made by msgbus_pg_outbox_new (borrowed),
 * or NULL for any other repository.  No result is pending on it: a relay's
 * handler that uses libpq's asynchronous functions takes it from here (see
 * msgbus_pg(3)). */
PGconn *msgbus_pg_outbox_conn(const msgbus_outbox_repo *repo);

/* Makes *out an inbox over conn (borrowed) and table (NULL for the
 * default), creating the table when missing.  begin opens a transaction,
 * or a savepoint when the caller has one open.  Free with
 * msgbus_inbox_free.  Returns 0, MSGBUS_EINVAL, MSGBUS_EIO or
 * MSGBUS_ENOMEM. */
int msgbus_pg_inbox_new(PGconn *conn, const char *table, msgbus_inbox *out,
                        msgbus_error *err);

#ifdef __cplusplus
}
#endif

#endif /* MSGBUS_PG_H */
