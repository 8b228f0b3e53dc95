/* console_plant.c - plants the outbox rows that the console tests look
 * for, through the library and a real relay run (so every state, error
 * and count is one the relay made):
 *
 *   console_plant (--db FILE | --pg CONNINFO) [--hostile] [--bulk N]
 *
 * Rows (types of schemas/orders.msg):
 *   ok-1..4       ProcessOrder    processed
 *   dead-pay-1..3 ProcessOrder    dead, "payment gateway timeout ..." (2 lines)
 *   dead-mail-1,2 OrderProcessed  dead, "mailer refused: 550 mailbox full"
 *   fail-audit-1  OrderRejected   failed once, retried in an hour
 *   pend-1,2      ProcessOrder    pending
 * --hostile adds evil-1 (dead): markup in its payload, meta and error.
 * --bulk N registers N more pending rows bulk-1..N in one transaction
 * (the load check then sets their states with SQL). */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <msgbus/msgbus.h>
#include <msgbus/sqlite.h>
#if HAVE_PQ
#include <msgbus/pg.h>
#endif
#include "orders.msg.h"

/* The module's handlers: never run here (the relay below only fails or
 * passes rows), but the module refers to them. */
int shop_orders_process_order(msgbus_ctx *ctx, const shop_orders_ProcessOrder *msg)
{
    (void)ctx; (void)msg;
    return 0;
}

int shop_orders_notify_customer(msgbus_ctx *ctx, const shop_orders_OrderProcessed *msg)
{
    (void)ctx; (void)msg;
    return 0;
}

int shop_orders_audit_rejection(msgbus_ctx *ctx, const shop_orders_OrderRejected *msg)
{
    (void)ctx; (void)msg;
    return 0;
}

#define EVIL_SCRIPT "<script>window.__pwned=1</script>"
#define EVIL_IMG "\"><img src=x onerror=\"window.__pwned=1\">"

static int die(const msgbus_error *err)
{
    fprintf(stderr, "console_plant: %s\n", err->text);
    exit(1);
}

static void order(msgbus_outbox_repo *repo, const char *id, const char *customer, json_t *meta)
{
    shop_orders_ProcessOrder m;
    shop_orders_ProcessOrder_init(&m);
    char *items[] = { (char *)"SKU-1001", (char *)EVIL_IMG };
    m.order_id = atoi(strchr(id, '-') ? strrchr(id, '-') + 1 : "0");
    m.customer = (char *)customer;
    m.items = items;
    m.n_items = strncmp(id, "evil", 4) == 0 ? 2 : 1;
    m.total = 12.5;
    char own[MSGBUS_OUTBOX_ID_SIZE];
    snprintf(own, sizeof own, "%s", id);
    msgbus_error err;
    if (msgbus_outbox_register(repo, &m.base, own, meta, &err) != 0)
        die(&err);
}

static void processed_event(msgbus_outbox_repo *repo, const char *id, json_t *meta)
{
    shop_orders_OrderProcessed m;
    shop_orders_OrderProcessed_init(&m);
    m.order_id = 7;
    m.status = SHOP_ORDERS_ORDER_STATUS_COMPLETED;
    m.at.seconds = 1700000000;
    char own[MSGBUS_OUTBOX_ID_SIZE];
    snprintf(own, sizeof own, "%s", id);
    msgbus_error err;
    if (msgbus_outbox_register(repo, &m.base, own, meta, &err) != 0)
        die(&err);
}

static void rejected_event(msgbus_outbox_repo *repo, const char *id, json_t *meta)
{
    shop_orders_OrderRejected m;
    shop_orders_OrderRejected_init(&m);
    m.order_id = 9;
    m.reason = (char *)"card declined";
    char own[MSGBUS_OUTBOX_ID_SIZE];
    snprintf(own, sizeof own, "%s", id);
    msgbus_error err;
    if (msgbus_outbox_register(repo, &m.base, own, meta, &err) != 0)
        die(&err);
}

/* The relay's handler: rows whose id says so fail, with a telling error. */
static int fail_some(msgbus_bus *bus, const msgbus_outbox_row *row, void *userdata,
                     msgbus_error *err)
{
    (void)bus; (void)userdata;
    if (strncmp(row->id, "dead-pay", 8) == 0)
        return msgbus_error_set(err, MSGBUS_EIO, NULL,
                                "payment gateway timeout after 30 s\n  at charge (billing.c:42)");
    if (strncmp(row->id, "dead-mail", 9) == 0)
        return msgbus_error_set(err, MSGBUS_EIO, NULL, "mailer refused: 550 mailbox full");
    if (strncmp(row->id, "fail-", 5) == 0)
        return msgbus_error_set(err, MSGBUS_EIO, NULL, "audit store is read-only");
    if (strncmp(row->id, "evil", 4) == 0)
        return msgbus_error_set(err, MSGBUS_EIO, NULL, "%s%s\nsecond line <b>bold</b>",
                                EVIL_IMG, EVIL_SCRIPT);
    return 0;
}

static void relay(msgbus_outbox_repo *repo, int max_attempts)
{
    msgbus_outbox_options o;
    msgbus_outbox_options_init(&o);
    msgbus_outbox_handler h = { "console_plant", fail_some, NULL };
    msgbus_set_outbox_handlers(&o, &h, 1, NULL);
    o.max_attempts = max_attempts;
    o.backoff_base_ms = o.backoff_max_ms = 3600 * 1000;     /* failed rows stay failed */
    msgbus_outbox_stats st;
    msgbus_error err;
    do {
        if (msgbus_process_outbox(NULL, repo, &o, &st, &err) != 0)
            die(&err);
    } while (st.claimed > 0);
}

/* --pg: the PostgreSQL repository, its connection in *conn; and the
 * statements of --bulk. */
#if HAVE_PQ
static void open_pg(const char *conninfo, void **conn, msgbus_outbox_repo **repo)
{
    msgbus_error err;
    PGconn *pg = PQconnectdb(conninfo);
    *conn = pg;
    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "console_plant: %s", PQerrorMessage(pg));
        exit(1);
    }
    if (msgbus_pg_outbox_new(pg, NULL, 0, repo, &err) != 0)
        die(&err);
}

static int pg_exec(void *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    return ok ? 0 : -1;
}

static void close_pg(void *conn)
{
    PQfinish(conn);
}
#else
static void open_pg(const char *conninfo, void **conn, msgbus_outbox_repo **repo)
{
    (void)conninfo, (void)conn, (void)repo;
    fprintf(stderr, "console_plant: --pg: built without PostgreSQL\n");
    exit(2);
}

static int pg_exec(void *conn, const char *sql)
{
    (void)conn, (void)sql;
    return -1;
}

static void close_pg(void *conn)
{
    (void)conn;
}
#endif

static void exec_sql(sqlite3 *db, void *pg, const char *sql)
{
    if (db ? sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK : pg_exec(pg, sql) < 0) {
        fprintf(stderr, "console_plant: %s failed\n", sql);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    const char *file = NULL, *conninfo = NULL;
    int hostile = 0;
    long bulk = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            file = argv[++i];
        else if (strcmp(argv[i], "--pg") == 0 && i + 1 < argc)
            conninfo = argv[++i];
        else if (strcmp(argv[i], "--hostile") == 0)
            hostile = 1;
        else if (strcmp(argv[i], "--bulk") == 0 && i + 1 < argc)
            bulk = atol(argv[++i]);
        else {
            fprintf(stderr, "usage: console_plant (--db FILE | --pg CONNINFO) [--hostile] [--bulk N]\n");
            return 2;
        }
    }
    sqlite3 *db = NULL;
    void *pg = NULL;
    msgbus_outbox_repo *repo;
    msgbus_error err;
    if (file) {
        if (sqlite3_open(file, &db) != SQLITE_OK)
            return 1;
        if (msgbus_sqlite_outbox_new(db, NULL, 0, &repo, &err) != 0)
            die(&err);
    } else if (conninfo) {
        open_pg(conninfo, &pg, &repo);
    } else {
        return 2;
    }
    json_t *meta = json_pack("{s:s, s:s, s:s}", "source", "console_plant", "correlationid",
                             "0190aaaa-0000-7000-8000-000000000001", "traceparent",
                             "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    char id[32];
    for (int i = 1; i <= 4; i++) {
        snprintf(id, sizeof id, "ok-%d", i);
        order(repo, id, "Alice Miller", meta);
    }
    for (int i = 1; i <= 3; i++) {
        snprintf(id, sizeof id, "dead-pay-%d", i);
        order(repo, id, "Bob Stone", meta);
    }
    processed_event(repo, "dead-mail-1", meta);
    processed_event(repo, "dead-mail-2", meta);
    if (hostile) {
        json_t *evil = json_pack("{s:s, s:s, s:s}", "correlationid", EVIL_SCRIPT,
                                 EVIL_IMG, "<svg onload=window.__pwned=1>", "note", EVIL_IMG);
        order(repo, "evil-1", EVIL_SCRIPT, evil);
        json_decref(evil);
    }
    relay(repo, 1);
    rejected_event(repo, "fail-audit-1", meta);
    relay(repo, 5);
    order(repo, "pend-1", "Carol Reed", meta);
    order(repo, "pend-2", "Dan Fox", meta);
    if (bulk > 0) {
        exec_sql(db, pg, "BEGIN");
        for (long i = 1; i <= bulk; i++) {
            snprintf(id, sizeof id, "bulk-%ld", i);
            order(repo, id, "Bulk Buyer", meta);
        }
        exec_sql(db, pg, "COMMIT");
    }
    json_decref(meta);
    msgbus_outbox_repo_free(repo);
    sqlite3_close(db);
    close_pg(pg);
    return 0;
}
