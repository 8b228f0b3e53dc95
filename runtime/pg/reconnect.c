/* reconnect.c - a PostgreSQL repository after its connection was lost:
 * reset the connection, prepare the statements again and LISTEN again, so
 * a long-running relay keeps its repository object.  See msgbus_pg(3). */
#include "pg_internal.h"

int msgbus_pg_outbox_reconnect(msgbus_outbox_repo *repo, msgbus_error *err)
{
    pg_repo *r = pg_repo_of(repo);
    if (!r)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "pg outbox: not a PostgreSQL repository");
    if (r->pipeline || r->depth > 0)
        return msgbus_error_set(err, MSGBUS_ESTATE, NULL,
                                "table %s: cannot reconnect inside a batch or a pipeline", r->table);
    PQreset(r->conn);
    if (PQstatus(r->conn) != CONNECTION_OK)
        return pg_fail(r->conn, NULL, r->table, "reconnecting", err);
    /* The old session's transaction, savepoints and results are gone. */
    r->begin_due = NULL;
    r->row_open = r->row_marked = false;
    r->sp_exists = r->sp_fresh = r->sp_in_flight = false;
    r->n_marks = 0;
    r->queued = 0;
    r->outer = 0;
    int rc = pg_prepare_all(r, err);
    if (rc == 0 && r->listening)
        rc = msgbus_pg_outbox_listen(repo, err);
    return rc;
}
