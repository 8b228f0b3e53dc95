/* services.c - the two services of examples/two-services in one program,
 * one role per command:
 *
 *   services place  ORDERS_DB FIRST COUNT   orders: each order and its
 *                                           OrderPlaced in one transaction
 *   services relay  ORDERS_DB NATS_URL SECS relay: orders outbox -> JetStream
 *   services billing BILLING_DB NATS_URL SECS
 *                                           billing: consumer with inbox;
 *                                           invoice + InvoiceIssued in its outbox
 *   services report ORDERS_DB BILLING_DB    counts, and "exactly once" check
 *
 * ORDERS_DB is a SQLite file, or a PostgreSQL conninfo ("host=... dbname=...").
 * relay and billing stop after SECS seconds, or once idle for 2 s.
 *
 * Trace context: place takes the W3C traceparent of the request that placed
 * the orders from $TRACEPARENT (as a web front end would hand it over) and
 * stores it with each OrderPlaced; it travels as CloudEvents extension
 * attributes to billing, whose handler sees it in its context, records the
 * trace and correlation ids with the invoice, and registers InvoiceIssued
 * in the same flow and trace (msgbus_trace(3)). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <msgbus/msgbus.h>
#include <msgbus/nats.h>
#include <msgbus/pg.h>
#include <msgbus/sqlite.h>
#include <msgbus/sqlite_inbox.h>
#include "shop.msg.h"

#define STREAM "SHOP"
#define IDLE_MS 2000

static int fail(const char *what, const char *text)
{
    fprintf(stderr, "services: %s: %s\n", what, text);
    return 1;
}

#define PROGRAM "services"

/* The library prints nothing: its events come to this hook, which prints
 * each on stderr as one line, or as NDJSON when MSGBUS_EVENTS=json
 * (msgbus_events(3)). */
static void print_event(const msgbus_event *ev, void *userdata)
{
    (void)userdata;
    const char *mode = getenv("MSGBUS_EVENTS");
    if (mode && strcmp(mode, "off") == 0)
        return;
    if (mode && strcmp(mode, "json") == 0) {
        json_t *o = msgbus_event_to_json(ev);
        char *line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        if (line)
            fprintf(stderr, "%s\n", line);
        free(line);
        json_decref(o);
        return;
    }
    char line[1024];
    msgbus_event_format(ev, line, sizeof line);
    fprintf(stderr, "%s: %s\n", PROGRAM, line);
}

/* ---- the orders database: SQLite or PostgreSQL ---------------------------- */

typedef struct store {
    sqlite3 *db;
    PGconn *pg;
    msgbus_outbox_repo *outbox;
} store;

static bool is_pg(const char *spec)
{
    return strchr(spec, '=') != NULL || strncmp(spec, "postgres", 8) == 0;
}

static int exec_sql(store *s, const char *sql)
{
    if (s->pg) {
        PGresult *res = PQexec(s->pg, sql);
        int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
        if (!ok)
            fail(sql, PQresultErrorMessage(res));
        PQclear(res);
        return ok ? 0 : -1;
    }
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fail(sql, msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int store_open(store *s, const char *spec, const char *schema, msgbus_error *err)
{
    memset(s, 0, sizeof *s);
    if (is_pg(spec)) {
        s->pg = PQconnectdb(spec);
        if (PQstatus(s->pg) != CONNECTION_OK)
            return msgbus_error_set(err, MSGBUS_EIO, NULL, "%s", PQerrorMessage(s->pg));
        PQclear(PQexec(s->pg, "SET client_min_messages = warning"));
        if (exec_sql(s, schema) < 0)
            return msgbus_error_set(err, MSGBUS_EIO, NULL, "cannot create the tables");
        return msgbus_pg_outbox_new(s->pg, NULL, 0, &s->outbox, err);
    }
    if (sqlite3_open(spec, &s->db) != SQLITE_OK)
        return msgbus_error_set(err, MSGBUS_EIO, NULL, "%s", sqlite3_errmsg(s->db));
    /* Several processes share the file: wait for locks, WAL for readers. */
    sqlite3_busy_timeout(s->db, 10000);
    /* NORMAL in WAL mode: a commit survives a killed process, not a power cut. */
    if (exec_sql(s, "PRAGMA journal_mode = WAL") < 0 || exec_sql(s, "PRAGMA synchronous = NORMAL") < 0 ||
        exec_sql(s, schema) < 0)
        return msgbus_error_set(err, MSGBUS_EIO, NULL, "cannot create the tables");
    return msgbus_sqlite_outbox_new(s->db, NULL, 0, &s->outbox, err);
}

static void store_close(store *s)
{
    msgbus_outbox_repo_free(s->outbox);
    if (s->db)
        sqlite3_close(s->db);
    if (s->pg)
        PQfinish(s->pg);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- orders: place orders -------------------------------------------------- */

static int place(const char *spec, long first, long count)
{
    store s;
    msgbus_error err;
    if (store_open(&s, spec, "CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY,"
                             " customer text NOT NULL, amount bigint NOT NULL)", &err) < 0)
        return fail("orders database", err.text);
    int rc = 0;
    /* The incoming request's trace, if any: each order's event joins it. */
    const char *traceparent = getenv("TRACEPARENT");
    json_t *meta = traceparent && *traceparent ? json_pack("{s:s}", "traceparent", traceparent)
                                               : NULL;
    /* 100 orders per transaction: each order row and its event commit together. */
    for (long i = first; i < first + count && rc == 0; i += 100) {
        rc = exec_sql(&s, "BEGIN");
        for (long id = i; id < i + 100 && id < first + count && rc == 0; id++) {
            char sql[128];
            snprintf(sql, sizeof sql, "INSERT INTO orders VALUES (%ld, 'customer-%ld', %ld)", id,
                     id % 97, 1000 + id % 500);
            rc = exec_sql(&s, sql);
            shop_OrderPlaced ev;
            shop_OrderPlaced_init(&ev);
            ev.order_id = id;
            char customer[32];
            snprintf(customer, sizeof customer, "customer-%ld", id % 97);
            ev.customer = customer;
            ev.amount = 1000 + id % 500;
            if (rc == 0 && (rc = msgbus_outbox_register(s.outbox, &ev.base, NULL, meta, &err)) < 0)
                fail("register", err.text);
        }
        if (rc == 0)
            rc = exec_sql(&s, "COMMIT");
    }
    json_decref(meta);
    store_close(&s);
    return rc == 0 ? 0 : 1;
}

/* ---- the relay: orders outbox -> JetStream --------------------------------- */

static int relay(const char *spec, const char *url, int secs)
{
    store s;
    msgbus_error err;
    natsConnection *nc = NULL;
    if (store_open(&s, spec, "SELECT 1", &err) < 0)
        return fail("orders database", err.text);
    if (natsConnection_ConnectTo(&nc, url) != NATS_OK)
        return fail("nats", nats_GetLastError(NULL));
    const char *subjects[] = { "shop.>" };
    if (msgbus_nats_stream_ensure(nc, STREAM, subjects, 1, 0, &err) < 0)
        return fail("stream", err.text);
    msgbus_bus *bus = msgbus_bus_new(NULL);     /* knows the routes, reports events */
    msgbus_bus_install(bus, &shop_module, NULL);
    msgbus_set_event_hook(bus, print_event, NULL);
    msgbus_nats_publisher_options po;
    msgbus_nats_publisher_options_init(&po);
    po.source = "/shop/orders";
    msgbus_nats_publisher *pub = NULL;
    if (msgbus_nats_publisher_new(nc, s.outbox, &po, &pub, &err) < 0)
        return fail("publisher", err.text);
    if (s.pg)
        msgbus_pg_outbox_listen(s.outbox, NULL);
    msgbus_outbox_options o;
    msgbus_outbox_options_init(&o);
    o.worker = "relay";
    o.batch_size = 200;
    o.lease_ms = 10000;
    size_t total = 0;
    int rc = 0;
    int64_t end = now_ms() + (int64_t)secs * 1000, idle_since = now_ms();
    while (now_ms() < end && now_ms() - idle_since < IDLE_MS) {
        msgbus_outbox_stats st;
        if ((rc = msgbus_nats_relay(bus, pub, &o, &st, &err)) < 0) {
            fail("relay", err.text);
            break;
        }
        total += st.processed;
        if (st.claimed) {
            idle_since = now_ms();
            continue;
        }
        if (s.pg)
            msgbus_pg_outbox_wait(s.outbox, 200, NULL);     /* NOTIFY, or poll */
        else
            usleep(50 * 1000);
    }
    printf("relay: published %zu events\n", total);
    msgbus_nats_publisher_free(pub);
    msgbus_bus_free(bus);
    natsConnection_Destroy(nc);
    store_close(&s);
    return rc < 0;
}

/* ---- billing: consumer with inbox ------------------------------------------ */

/* Runs inside the inbox's transaction, on the billing connection: the
 * invoice and its InvoiceIssued commit together with the inbox row. */
int shop_bill_order(msgbus_ctx *ctx, const shop_OrderPlaced *msg)
{
    store *billing = msgbus_ctx_userdata(ctx);
    char sql[320], invoice[32], trace_id[MSGBUS_TRACE_ID_TEXT_SIZE];
    snprintf(invoice, sizeof invoice, "INV-%06lld", (long long)msg->order_id);
    /* The ids are ours (hex digits, UUIDs): safe in the SQL text. */
    msgbus_ctx_trace_id(ctx, trace_id);
    const char *correlation = msgbus_ctx_correlation_uuid(ctx);
    if (strspn(correlation, "0123456789abcdef-") != strlen(correlation))
        correlation = "?";
    snprintf(sql, sizeof sql, "INSERT INTO invoices VALUES (%lld, '%s', %lld, '%s', '%s')",
             (long long)msg->order_id, invoice, (long long)msg->amount, trace_id, correlation);
    if (exec_sql(billing, sql) < 0)
        return msgbus_ctx_fail(ctx, MSGBUS_EIO, "cannot store invoice %s", invoice);
    shop_InvoiceIssued ev;
    shop_InvoiceIssued_init(&ev);
    ev.order_id = msg->order_id;
    ev.invoice = invoice;
    ev.amount = msg->amount;
    msgbus_error err;
    /* Registered by the handler: the row carries its flow and trace. */
    if (msgbus_outbox_register(billing->outbox, &ev.base, NULL, NULL, &err) < 0)
        return msgbus_ctx_fail(ctx, err.code, "%s", err.text);
    return 0;
}

static int billing(const char *spec, const char *url, int secs)
{
    store s;
    msgbus_error err;
    natsConnection *nc = NULL;
    /* No UNIQUE on order_id: a second invoice would show, not be hidden. */
    if (store_open(&s, spec, "CREATE TABLE IF NOT EXISTS invoices (order_id bigint NOT NULL,"
                             " invoice text NOT NULL, amount bigint NOT NULL,"
                             " trace_id text NOT NULL, correlation_id text NOT NULL)", &err) < 0)
        return fail("billing database", err.text);
    if (natsConnection_ConnectTo(&nc, url) != NATS_OK)
        return fail("nats", nats_GetLastError(NULL));
    const char *subjects[] = { "shop.>" };
    if (msgbus_nats_stream_ensure(nc, STREAM, subjects, 1, 0, &err) < 0)
        return fail("stream", err.text);
    msgbus_inbox inbox;
    int rc = s.pg ? msgbus_pg_inbox_new(s.pg, NULL, &inbox, &err)
                  : msgbus_sqlite_inbox_new(s.db, NULL, &inbox, &err);
    if (rc < 0)
        return fail("inbox", err.text);
    msgbus_bus *bus = msgbus_bus_new(&s);
    msgbus_bus_install(bus, &shop_module, NULL);
    msgbus_set_event_hook(bus, print_event, NULL);
    msgbus_nats_consumer_options co;
    msgbus_nats_consumer_options_init(&co);
    co.stream = STREAM;
    co.durable = "billing";
    co.subject = "shop.>";         /* routed (shop.orders.placed) or not (shop.OrderPlaced) */
    co.inbox = &inbox;
    co.ack_wait_ms = 5000;
    co.backoff_base_ms = 200;
    msgbus_nats_consumer *c = NULL;
    if (msgbus_nats_consumer_new(nc, bus, &co, &c, &err) < 0)
        return fail("consumer", err.text);
    size_t handled = 0, duplicates = 0;
    int64_t end = now_ms() + (int64_t)secs * 1000, idle_since = now_ms();
    while (now_ms() < end && now_ms() - idle_since < IDLE_MS) {
        msgbus_nats_consumer_stats st;
        if ((rc = msgbus_nats_consume(c, 250, &st, &err)) < 0) {
            fail("consume", err.text);
            break;
        }
        handled += st.handled;
        duplicates += st.duplicates;
        if (st.received)
            idle_since = now_ms();
    }
    printf("billing: invoiced %zu orders, ignored %zu duplicates\n", handled, duplicates);
    msgbus_nats_consumer_free(c);
    msgbus_bus_free(bus);
    msgbus_inbox_free(&inbox);
    natsConnection_Destroy(nc);
    store_close(&s);
    return rc < 0;
}

/* ---- report ------------------------------------------------------------------ */

static long long one(store *s, const char *sql)
{
    long long n = -1;
    if (s->pg) {
        PGresult *res = PQexec(s->pg, sql);
        if (PQresultStatus(res) == PGRES_TUPLES_OK)
            n = atoll(PQgetvalue(res, 0, 0));
        PQclear(res);
        return n;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static int report(const char *orders_spec, const char *billing_spec)
{
    store o, b;
    msgbus_error err;
    if (store_open(&o, orders_spec, "SELECT 1", &err) < 0 ||
        store_open(&b, billing_spec, "SELECT 1", &err) < 0)
        return fail("report", err.text);
    long long orders = one(&o, "SELECT count(*) FROM orders");
    long long unsent = one(&o, "SELECT count(*) FROM msgbus_outbox WHERE processed_at IS NULL");
    long long invoices = one(&b, "SELECT count(*) FROM invoices");
    long long billed = one(&b, "SELECT count(DISTINCT order_id) FROM invoices");
    long long inbox = one(&b, "SELECT count(*) FROM msgbus_inbox");
    long long issued = one(&b, "SELECT count(*) FROM msgbus_outbox");
    printf("orders placed:             %lld\n", orders);
    printf("orders outbox not relayed: %lld\n", unsent);
    printf("invoices:                  %lld\n", invoices);
    printf("orders billed:             %lld\n", billed);
    printf("billing inbox entries:     %lld\n", inbox);
    printf("InvoiceIssued in outbox:   %lld\n", issued);
    bool once = orders > 0 && invoices == orders && billed == orders && issued == orders;
    printf("%s\n", once ? "every order billed exactly once" : "NOT every order billed exactly once");
    store_close(&o);
    store_close(&b);
    return once ? 0 : 1;
}

int main(int argc, char **argv)
{
    int rc = 2;
    if (argc == 5 && strcmp(argv[1], "place") == 0)
        rc = place(argv[2], atol(argv[3]), atol(argv[4]));
    else if (argc == 5 && strcmp(argv[1], "relay") == 0)
        rc = relay(argv[2], argv[3], atoi(argv[4]));
    else if (argc == 5 && strcmp(argv[1], "billing") == 0)
        rc = billing(argv[2], argv[3], atoi(argv[4]));
    else if (argc == 4 && strcmp(argv[1], "report") == 0)
        rc = report(argv[2], argv[3]);
    else
        fprintf(stderr, "usage: services place DB FIRST COUNT | relay DB NATS_URL SECS |"
                        " billing DB NATS_URL SECS | report ORDERS_DB BILLING_DB\n");
    nats_Close();
    return rc;
}
