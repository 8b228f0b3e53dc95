/* inbox_pg.c - the inbox over the caller's PGconn: one transaction (or a
 * savepoint in the caller's) per message, and an INSERT ... ON CONFLICT DO
 * NOTHING that tells a new message from a duplicate. */
#include "pg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pg_inbox {
    PGconn *conn;
    char table[MSGBUS_PG_TABLE_MAX + 1];
    char insert[MSGBUS_PG_TABLE_MAX + 160];
    bool own;                   /* begin opened a transaction (not a savepoint) */
} pg_inbox;

static int inbox_begin(void *self, msgbus_error *err)
{
    pg_inbox *in = self;
    in->own = PQtransactionStatus(in->conn) == PQTRANS_IDLE;
    return pg_exec(in->conn, in->table, in->own ? "BEGIN" : "SAVEPOINT msgbus_inbox",
                   "beginning a message", err);
}

static int inbox_record(void *self, const char *consumer, const char *message_id,
                        msgbus_error *err)
{
    pg_inbox *in = self;
    const char *params[2] = { consumer, message_id };
    PGresult *res = PQexecParams(in->conn, in->insert, 2, NULL, params, NULL, NULL, 0);
    int rc = PQresultStatus(res) == PGRES_COMMAND_OK
           ? strcmp(PQcmdTuples(res), "1") == 0
           : pg_fail(in->conn, res, in->table, "recording a message", err);
    PQclear(res);
    return rc;
}

static int inbox_end(void *self, bool commit, msgbus_error *err)
{
    pg_inbox *in = self;
    const char *sql = in->own ? (commit ? "COMMIT" : "ROLLBACK")
                    : commit ? "RELEASE SAVEPOINT msgbus_inbox"
                             : "ROLLBACK TO SAVEPOINT msgbus_inbox; RELEASE SAVEPOINT msgbus_inbox";
    return pg_exec(in->conn, in->table, sql, "ending a message", err);
}

static void inbox_free(void *self)
{
    msgbus_free(self);
}

static const msgbus_inbox_ops pg_inbox_ops = {
    .begin = inbox_begin,
    .record = inbox_record,
    .end = inbox_end,
    .free = inbox_free,
};

int msgbus_pg_inbox_new(PGconn *conn, const char *table, msgbus_inbox *out, msgbus_error *err)
{
    if (!out || !conn || PQstatus(conn) != CONNECTION_OK)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "pg inbox: no open connection");
    out->ops = NULL;
    out->self = NULL;
    if (!table)
        table = MSGBUS_PG_DEFAULT_INBOX;
    if (!msgbus_outbox_table_name_valid(table))
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "pg inbox: invalid table name \"%.60s\"",
                                table);
    int rc = pg_schema_ensure(conn, table, false, 0, err);
    if (rc < 0)
        return rc;
    pg_inbox *in = msgbus_calloc(1, sizeof *in);
    if (!in)
        return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "pg inbox: out of memory");
    in->conn = conn;
    strcpy(in->table, table);
    snprintf(in->insert, sizeof in->insert,
             "INSERT INTO \"%s\" (consumer, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
             table);
    out->ops = &pg_inbox_ops;
    out->self = in;
    return 0;
}
