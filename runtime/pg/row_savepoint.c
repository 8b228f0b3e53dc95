/* row_savepoint.c - the savepoint that makes a relayed row's handler writes
 * roll back alone when it fails, without a round trip per row.
 *
 * A row's SAVEPOINT is sent without waiting for its result, and that
 * pending result tells whether the connection was used meanwhile: libpq's
 * synchronous functions (PQexec...) first discard a pending result, so if
 * it is still pending when the next row begins, nothing ran on the
 * connection since the savepoint, the previous rows wrote nothing, and the
 * savepoint serves the next row as well.  Only rows whose handlers write
 * (or follow a statement of the repository) send a new one, and none
 * waits for it.  See msgbus_pg(3). */
#include "pg_internal.h"

int pg_row_sp_settle(pg_repo *r, bool wait, msgbus_error *err)
{
    PGresult *res;
    int rc = 0;
    if (!r->sp_in_flight)
        return 0;
    if (!PQconsumeInput(r->conn)) {
        r->sp_in_flight = false;
        return pg_fail(r->conn, NULL, r->table, "beginning a row", err);
    }
    if (!wait && PQisBusy(r->conn))
        return 0;                       /* still ours: nobody used the connection */
    r->sp_in_flight = false;
    while ((res = PQgetResult(r->conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0)
            rc = pg_fail(r->conn, res, r->table, "beginning a row", err);
        PQclear(res);
    }
    if (rc < 0)
        r->sp_exists = false;
    return rc;
}

int pg_row_sp_begin(pg_repo *r, msgbus_error *err)
{
    bool untouched;
    int rc = pg_row_sp_settle(r, false, err);
    if (rc < 0)
        return rc;
    untouched = r->sp_in_flight;
    if (untouched)
        return 0;                       /* the savepoint still marks this point */
    rc = PQsendQuery(r->conn, r->sp_exists ? "RELEASE SAVEPOINT msgbus_outbox_row;"
                                             " SAVEPOINT msgbus_outbox_row"
                                           : "SAVEPOINT msgbus_outbox_row");
    if (!rc)
        return pg_fail(r->conn, NULL, r->table, "beginning a row", err);
    r->sp_in_flight = true;
    r->sp_exists = true;
    return 0;
}

int pg_row_sp_rollback(pg_repo *r, msgbus_error *err)
{
    int rc = pg_row_sp_settle(r, true, err);
    if (rc < 0 || !r->sp_exists)
        return rc;
    r->sp_exists = false;
    return pg_exec(r->conn, r->table,
                   "ROLLBACK TO SAVEPOINT msgbus_outbox_row; RELEASE SAVEPOINT msgbus_outbox_row",
                   "rolling back a row", err);
}
