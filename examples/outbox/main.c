/* main.c - the transactional outbox end to end on SQLite.
 *
 *  1. Places orders: each order row and its ProcessOrder outbox row are
 *     written in ONE transaction, so both exist or neither does.
 *  2. Runs msgbus_process_outbox with the ready-made dispatch handler,
 *     which decodes each row and handles it on the bus.
 *  3. Prints what happened: per batch, and the final state of the outbox.
 *
 * Usage: outbox-demo [DATABASE]   (default outbox-demo.db, recreated) */
#define _POSIX_C_SOURCE 200809L  /* nanosleep */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <msgbus/msgbus.h>
#include <msgbus/sqlite.h>
#include "orders.msg.h"

#define PROGRAM "outbox-demo"

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

static int exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "outbox-demo: %s: %s\n", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Stores an order and the command to process it, atomically.  When
 * crash_before_commit is set, the program "fails" after both writes and
 * rolls back: neither the order nor its message remains. */
static int place_order(sqlite3 *db, msgbus_outbox_repo *repo, int64_t id, const char *customer,
                       size_t n_items, bool crash_before_commit)
{
    static char *items[] = { "book", "lamp" };
    if (exec(db, "BEGIN") < 0)
        return -1;
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "INSERT INTO orders (id, customer) VALUES (?1, ?2)", -1, &st, NULL);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, customer, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);

    shop_orders_ProcessOrder cmd;
    shop_orders_ProcessOrder_init(&cmd);
    cmd.order_id = id;
    cmd.customer = (char *)customer;
    cmd.n_items = n_items;
    cmd.items = items;
    msgbus_error err;
    json_t *meta = json_pack("{s:s}", "placed_by", "outbox-demo");
    if (rc == 0 && msgbus_outbox_register(repo, &cmd.base, NULL, meta, &err) < 0) {
        fprintf(stderr, "outbox-demo: %s\n", err.text);
        rc = -1;
    }
    json_decref(meta);
    if (rc < 0 || crash_before_commit) {
        exec(db, "ROLLBACK");
        printf("  order %lld for %s: rolled back, neither order nor message stored\n",
               (long long)id, customer);
        return rc;
    }
    printf("  order %lld for %s, %zu item(s): order row and outbox row committed together\n",
           (long long)id, customer, n_items);
    return exec(db, "COMMIT");
}

static long long scalar(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    long long n = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "outbox-demo.db";
    sqlite3 *db;
    msgbus_outbox_repo *repo = NULL;
    msgbus_bus *bus = NULL;
    msgbus_error err;
    int status = 1;
    unlink(path);
    if (sqlite3_open(path, &db) != SQLITE_OK) {
        fprintf(stderr, "outbox-demo: %s: %s\n", path, sqlite3_errmsg(db));
        return 1;
    }
    if (exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                 "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL);"
                 "CREATE TABLE notifications (order_id INTEGER, text TEXT)") < 0)
        goto out;
    if (msgbus_sqlite_outbox_new(db, NULL, 0, &repo, &err) < 0) {
        fprintf(stderr, "outbox-demo: %s\n", err.text);
        goto out;
    }

    printf("1. placing orders in %s\n", path);
    if (place_order(db, repo, 1, "alice", 2, false) < 0 ||
        place_order(db, repo, 2, "bob", 0, false) < 0 ||
        place_order(db, repo, 3, "carol", 1, true) != 0 ||
        place_order(db, repo, 4, "nobody", 1, false) < 0 ||
        place_order(db, repo, 5, "dave", 2, false) < 0)
        goto out;
    printf("  orders table: %lld rows, outbox: %lld rows\n", scalar(db, "SELECT count(*) FROM orders"),
           scalar(db, "SELECT count(*) FROM msgbus_outbox"));

    printf("2. msgbus_process_outbox with the dispatch handler\n");
    bus = msgbus_bus_new(db);
    if (!bus || msgbus_bus_install(bus, &shop_orders_module, &err) < 0)
        goto out;
    msgbus_set_event_hook(bus, print_event, NULL);
    static const msgbus_outbox_handler handlers[] = { MSGBUS_OUTBOX_DISPATCH_HANDLER };
    msgbus_outbox_options opts;
    msgbus_outbox_options_init(&opts);
    opts.worker = "outbox-demo";
    opts.max_attempts = 3;
    opts.backoff_base_ms = 1;       /* short, so the demo shows retries at once */
    opts.backoff_max_ms = 2;
    msgbus_set_outbox_handlers(&opts, handlers, 1, NULL);
    for (int batch = 1;;) {
        msgbus_outbox_stats st;
        if (msgbus_process_outbox(bus, repo, &opts, &st, &err) < 0) {
            fprintf(stderr, "outbox-demo: %s\n", err.text);
            goto out;
        }
        msgbus_outbox_counts c;
        if (msgbus_outbox_counts_get(repo, &c, &err) < 0)
            goto out;
        if (st.claimed > 0)
            printf("  batch %d: claimed %zu, processed %zu, failed %zu, dead-lettered %zu\n",
                   batch++, st.claimed, st.processed, st.failed, st.dead_lettered);
        if (c.pending == 0)
            break;
        nanosleep(&(struct timespec){ 0, 3000000 }, NULL);  /* let the backoff pass */
    }

    printf("3. what happened\n");
    msgbus_outbox_counts c;
    if (msgbus_outbox_counts_get(repo, &c, &err) < 0)
        goto out;
    printf("  outbox: %zu processed, %zu dead-lettered, %zu pending\n", c.processed, c.dead,
           c.pending);
    printf("  notifications written (in the same transactions): %lld\n",
           scalar(db, "SELECT count(*) FROM notifications"));
    msgbus_outbox_row *dead;
    size_t n;
    if (msgbus_outbox_list(repo, MSGBUS_OUTBOX_DEAD, 10, &dead, &n, &err) < 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        printf("  dead letter: %s after %d attempts: %s\n", dead[i].type, dead[i].attempts,
               dead[i].last_error);
    msgbus_outbox_rows_free(dead, n);
    printf("  inspect it: msgbus-outbox --db %s stats\n", path);
    status = 0;
out:
    msgbus_bus_free(bus);
    msgbus_outbox_repo_free(repo);
    sqlite3_close(db);
    return status;
}
