/* schema.c - errors and the tables of libmsgbus-pg.  The
 * table name is the only text put into SQL; it is checked to be an
 * identifier, so nothing can be injected through it. */
#include "pg_internal.h"

#include <stdio.h>
#include <string.h>

int pg_fail(PGconn *conn, const PGresult *res, const char *table, const char *what,
            msgbus_error *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *text = res && *PQresultErrorMessage(res) ? PQresultErrorMessage(res)
                                                         : PQerrorMessage(conn);
    char clean[MSGBUS_ERROR_TEXT_LENGTH];
    /* libpq ends its messages with a newline. */
    snprintf(clean, sizeof clean, "%s", text && *text ? text : "connection lost");
    size_t n = strlen(clean);
    while (n > 0 && (clean[n - 1] == '\n' || clean[n - 1] == ' '))
        clean[--n] = '\0';
    /* Class 08: connection exception; 57P01..57P03: the server shuts down,
     * crashed or is starting.  None is the statement's fault. */
    bool lost = PQstatus(conn) != CONNECTION_OK ||
                (state && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0));
    int code = lost ? MSGBUS_EUNAVAILABLE
             : state && strncmp(state, "23", 2) == 0 ? MSGBUS_EINVAL : MSGBUS_EIO;
    return msgbus_error_set(err, code, NULL, "table %s: %s: %s", table, what, clean);
}

int pg_exec(PGconn *conn, const char *table, const char *sql, const char *what,
            msgbus_error *err)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0
           : pg_fail(conn, res, table, what, err);
    PQclear(res);
    return rc;
}

/* The boolean a catalog query answers: 1 true, 0 false, or an error. */
static int catalog_says(PGconn *conn, const char *table, const char *sql, int n,
                        const char *const *params, msgbus_error *err)
{
    PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    int rc = PQresultStatus(res) == PGRES_TUPLES_OK
           ? strcmp(PQgetvalue(res, 0, 0), "t") == 0
           : pg_fail(conn, res, table, "looking for the table", err);
    PQclear(res);
    return rc;
}

static int table_exists(PGconn *conn, const char *table, msgbus_error *err)
{
    const char *params[1] = { table };
    return catalog_says(conn, table, "SELECT to_regclass(quote_ident($1)) IS NOT NULL", 1, params,
                        err);
}

/* The notify trigger's body, as outbox_ddl creates it and PostgreSQL
 * stores it (pg_proc.prosrc). */
#define NOTIFY_BODY "BEGIN PERFORM pg_notify('%s', ''); RETURN NULL; END"

/* 1 when the outbox table, its four indexes and its notify trigger (with
 * today's body) are all there, 0 when something is missing, or an error.
 * It reads the catalogs only: no lock on the table. */
static int outbox_complete(PGconn *conn, const char *table, msgbus_error *err)
{
    char body[MSGBUS_PG_TABLE_MAX + sizeof NOTIFY_BODY];
    snprintf(body, sizeof body, NOTIFY_BODY, table);
    const char *params[2] = { table, body };
    return catalog_says(
        conn, table,
        "SELECT to_regclass(quote_ident($1)) IS NOT NULL"
        " AND to_regclass(quote_ident($1 || '_pending')) IS NOT NULL"
        " AND to_regclass(quote_ident($1 || '_leased')) IS NOT NULL"
        " AND to_regclass(quote_ident($1 || '_processed')) IS NOT NULL"
        " AND to_regclass(quote_ident($1 || '_dead')) IS NOT NULL"
        " AND EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid"
        " WHERE t.tgrelid = to_regclass(quote_ident($1)) AND t.tgname = $1 || '_notify'"
        " AND p.prosrc = $2)",
        2, params, err);
}

static void outbox_ddl(char *sql, size_t size, const char *t)
{
    /* The partial index on pending rows keeps claiming fast however many
     * processed rows the table holds.  The statement trigger NOTIFYs once
     * per INSERT statement; PostgreSQL delivers it at commit and folds
     * repeats within a transaction. */
    snprintf(sql, size,
             "CREATE TABLE IF NOT EXISTS \"%s\" ("
             " id text PRIMARY KEY,"
             " kind text NOT NULL CHECK (kind IN ('COMMAND', 'EVENT')),"
             " type text NOT NULL,"
             " payload text NOT NULL,"
             " meta text,"
             " created_at bigint NOT NULL,"
             " available_at bigint NOT NULL,"
             " attempts integer NOT NULL DEFAULT 0,"
             " last_error text,"
             " locked_by text,"
             " locked_until bigint,"
             " processed_at bigint,"
             " dead_at bigint);"
             "CREATE INDEX IF NOT EXISTS \"%s_pending\" ON \"%s\" (available_at, id)"
             " WHERE processed_at IS NULL AND dead_at IS NULL;"
             /* Reclaiming runs every batch: it must not scan the backlog. */
             "CREATE INDEX IF NOT EXISTS \"%s_leased\" ON \"%s\" (locked_until)"
             " WHERE locked_until IS NOT NULL AND processed_at IS NULL AND dead_at IS NULL;"
             "CREATE INDEX IF NOT EXISTS \"%s_processed\" ON \"%s\" (processed_at)"
             " WHERE processed_at IS NOT NULL;"
             "CREATE INDEX IF NOT EXISTS \"%s_dead\" ON \"%s\" (dead_at)"
             " WHERE dead_at IS NOT NULL;"
             "CREATE OR REPLACE FUNCTION \"%s_notify\"() RETURNS trigger LANGUAGE plpgsql AS"
             " $f$" NOTIFY_BODY "$f$;"
             "CREATE OR REPLACE TRIGGER \"%s_notify\" AFTER INSERT ON \"%s\""
             " FOR EACH STATEMENT EXECUTE FUNCTION \"%s_notify\"();",
             t, t, t, t, t, t, t, t, t, t, t, t, t, t);
}

static void inbox_ddl(char *sql, size_t size, const char *t)
{
    snprintf(sql, size,
             "CREATE TABLE IF NOT EXISTS \"%s\" ("
             " consumer text NOT NULL,"
             " message_id text NOT NULL,"
             " received_at timestamptz NOT NULL DEFAULT now(),"
             " PRIMARY KEY (consumer, message_id));",
             t);
}

int pg_schema_ensure(PGconn *conn, const char *table, bool outbox, unsigned flags,
                     msgbus_error *err)
{
    if (flags & MSGBUS_PG_NO_CREATE) {
        int found = table_exists(conn, table, err);
        if (found == 0)
            return msgbus_error_set(err, MSGBUS_ENOTFOUND, NULL, "no table %s in database %s",
                                    table, PQdb(conn) ? PQdb(conn) : "?");
        return found < 0 ? found : 0;
    }
    /* Creating takes locks on the table that wait for every transaction
     * writing it and hold up the ones that follow (producers included):
     * a relay starting or reconnecting against a busy outbox must not.
     * So the catalogs are read first, and DDL runs only when something is
     * missing. */
    int complete = outbox ? outbox_complete(conn, table, err) : table_exists(conn, table, err);
    if (complete != 0)
        return complete < 0 ? complete : 0;
    char ddl[4096], sql[4200];
    if (outbox)
        outbox_ddl(ddl, sizeof ddl, table);
    else
        inbox_ddl(ddl, sizeof ddl, table);
    /* CREATE ... IF NOT EXISTS still races between sessions: serialise it
     * with a transaction-scoped advisory lock named after the table. */
    bool own = PQtransactionStatus(conn) == PQTRANS_IDLE;
    snprintf(sql, sizeof sql, "%sSELECT pg_advisory_xact_lock(hashtext('msgbus:%s'));%s%s",
             own ? "BEGIN;" : "", table, ddl, own ? "COMMIT;" : "");
    int rc = pg_exec(conn, table, sql, "creating the table", err);
    if (rc < 0 && own && PQtransactionStatus(conn) != PQTRANS_IDLE)
        pg_exec(conn, table, "ROLLBACK", "rolling back", NULL);
    return rc;
}
