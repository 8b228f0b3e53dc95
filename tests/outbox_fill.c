/* outbox_fill.c - makes an outbox for the msgbus-outbox tests, through the
 * library (so the table is the library's):
 *     outbox_fill FILE [TABLE]            SQLite
 *     outbox_fill --pg CONNINFO [TABLE]   PostgreSQL
 * registers three ot.Ship commands with ids row-1 .. row-3 (orders 1..3,
 * meta {"source":"outbox_fill"}) and, with a fourth argument "more",
 * also ot.Shipped events shipped-4 and shipped-5. */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <msgbus/msgbus.h>
#include <msgbus/sqlite.h>
#if HAVE_PQ
#include <msgbus/pg.h>
#endif
#define OT_DEFINE_MODULE
#include "outbox_test_module.h"

int ot_ship(msgbus_ctx *ctx, const ot_Ship *msg)
{
    (void)ctx; (void)msg;
    return 0;
}

static int fill(msgbus_outbox_repo *repo, bool more)
{
    msgbus_error err;
    json_t *meta = json_pack("{s:s}", "source", "outbox_fill");
    int rc = 0;
    for (int i = 1; i <= 5 && rc == 0; i++) {
        char id[MSGBUS_OUTBOX_ID_SIZE];
        if (i <= 3) {
            ot_Ship m;
            msgbus_value_init(&ot_Ship_type, &m);
            m.order_id = i;
            m.label = (char *)"parcel";
            snprintf(id, sizeof id, "row-%d", i);
            rc = msgbus_outbox_register(repo, &m.base, id, meta, &err);
        } else if (more) {
            ot_Shipped e;
            msgbus_value_init(&ot_Shipped_type, &e);
            e.order_id = i;
            snprintf(id, sizeof id, "shipped-%d", i);
            rc = msgbus_outbox_register(repo, &e.base, id, NULL, &err);
        }
    }
    json_decref(meta);
    if (rc != 0)
        fprintf(stderr, "%s\n", err.text);
    return rc;
}

/* --pg: the PostgreSQL repository, its connection in *conn (to finish). */
#if HAVE_PQ
static int open_pg(const char *conninfo, const char *table, void **conn,
                   msgbus_outbox_repo **repo, msgbus_error *err)
{
    PGconn *pg = PQconnectdb(conninfo);
    *conn = pg;
    if (PQstatus(pg) != CONNECTION_OK)
        return msgbus_error_set(err, MSGBUS_EIO, NULL, "%s", PQerrorMessage(pg));
    return msgbus_pg_outbox_new(pg, table, 0, repo, err);
}

static void close_pg(void *conn)
{
    PQfinish(conn);
}
#else
static int open_pg(const char *conninfo, const char *table, void **conn,
                   msgbus_outbox_repo **repo, msgbus_error *err)
{
    (void)conninfo, (void)table, (void)conn, (void)repo;
    return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "built without PostgreSQL");
}

static void close_pg(void *conn)
{
    (void)conn;
}
#endif

int main(int argc, char **argv)
{
    msgbus_error err;
    bool pg = argc > 2 && strcmp(argv[1], "--pg") == 0;
    int arg = pg ? 2 : 1;
    if (argc <= arg)
        return 2;
    const char *table = argc > arg + 1 && strcmp(argv[arg + 1], "-") != 0 ? argv[arg + 1] : NULL;
    bool more = argc > arg + 2 && strcmp(argv[arg + 2], "more") == 0;
    sqlite3 *db = NULL;
    void *conn = NULL;
    msgbus_outbox_repo *repo = NULL;
    int rc;
    if (pg) {
        rc = open_pg(argv[arg], table, &conn, &repo, &err);
    } else {
        if (sqlite3_open(argv[arg], &db) != SQLITE_OK)
            return 2;
        rc = msgbus_sqlite_outbox_new(db, table, 0, &repo, &err);
    }
    if (rc != 0)
        fprintf(stderr, "%s\n", err.text);
    else
        rc = fill(repo, more);
    msgbus_outbox_repo_free(repo);
    sqlite3_close(db);
    close_pg(conn);
    return rc == 0 ? 0 : 1;
}
