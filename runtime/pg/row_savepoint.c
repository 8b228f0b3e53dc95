/* row_savepoint.c - the savepoint that makes a relayed row's handler writes
 * roll back alone when it fails, without a round trip per row.
 *
 * A statement is kept in flight across each row's handlers, its result not
 * read: libpq's synchronous functions (PQexec...) first discard a pending
 * result, so if it is still there when the next row begins, nothing ran on
 * the connection meanwhile, the row wrote nothing, and the savepoint set
 * before it serves the next row too.  That statement is the SAVEPOINT
 * itself when a new one is needed (after a row that wrote, or a statement
 * of the repository), else an empty query, which costs the server next to
 * nothing.  None is waited for, nor read while it can stay: a row begins
 * without looking at the socket, so as long as no row uses the connection
 * one statement in flight watches them all, and rows cost no system call
 * and no message to the server.  See msgbus_pg(3). */
#include "pg_internal.h"

/* Reads the pending result (with wait, once it is in); without wait, only
 * if someone else took input in since: else nobody used the connection,
 * and it stays pending.  A result already taken by someone else means the
 * connection was used. */
static int settle(pg_repo *r, bool wait, msgbus_error *err)
{
    PGresult *res;
    int rc = 0;
    if (!r->sp_in_flight)
        return 0;
    /* libpq reads the socket only when asked to: busy means nobody did. */
    if (!wait && PQisBusy(r->conn))
        return 0;                       /* still ours: nobody used the connection */
    r->sp_in_flight = false;
    res = PQgetResult(r->conn);
    if (res == NULL)
        r->sp_fresh = false;            /* a PQexec took it: the connection was used */
    for (; res != NULL; res = PQgetResult(r->conn)) {
        ExecStatusType st = PQresultStatus(res);
        if (st != PGRES_COMMAND_OK && st != PGRES_EMPTY_QUERY && rc == 0)
            rc = pg_fail(r->conn, res, r->table, "beginning a row", err);
        PQclear(res);
    }
    if (rc < 0)
        r->sp_exists = r->sp_fresh = false;
    return rc;
}

int pg_row_sp_quiet(pg_repo *r, msgbus_error *err)
{
    int rc = settle(r, true, err);
    r->sp_fresh = false;                /* the caller is about to use the connection */
    return rc;
}

int pg_row_sp_begin(pg_repo *r, msgbus_error *err)
{
    const char *sql;
    int rc = settle(r, false, err);
    if (rc < 0)
        return rc;
    if (r->sp_in_flight)
        return 0;                       /* untouched: the savepoint marks this point */
    if (r->sp_fresh)
        sql = "";                       /* still right: only watch the connection */
    else if (r->sp_exists)
        sql = "RELEASE SAVEPOINT msgbus_outbox_row; SAVEPOINT msgbus_outbox_row";
    else
        sql = "SAVEPOINT msgbus_outbox_row";
    if (!PQsendQuery(r->conn, sql))
        return pg_fail(r->conn, NULL, r->table, "beginning a row", err);
    r->sp_in_flight = true;
    r->sp_exists = r->sp_fresh = true;
    return 0;
}

int pg_row_sp_rollback(pg_repo *r, msgbus_error *err)
{
    int rc = pg_row_sp_quiet(r, err);
    if (rc < 0 || !r->sp_exists)
        return rc;
    r->sp_exists = false;
    return pg_exec(r->conn, r->table,
                   "ROLLBACK TO SAVEPOINT msgbus_outbox_row; RELEASE SAVEPOINT msgbus_outbox_row",
                   "rolling back a row", err);
}
