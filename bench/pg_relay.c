/* pg_relay.c - PostgreSQL outbox figures, measured side by side in one run
 * (server from MSGBUS_TEST_PG; `make bench-pg` starts one):
 *  - registering: one round trip per row against pipelined batches;
 *  - relaying: msgbus_process_outbox with 1, 2 and 4 relay processes,
 *    with the default savepoint per row and with handlers_write false,
 *    against a raw FOR UPDATE SKIP LOCKED loop with as many processes,
 *    in interleaved rounds, medians.
 * Build without --enable-sanitizers for real figures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <msgbus/pg.h>
#define OT_DEFINE_MODULE
#include "../tests/outbox_test_module.h"

int ot_ship(msgbus_ctx *ctx, const ot_Ship *msg)
{
    (void)ctx;
    (void)msg;
    return 0;
}

enum { ROWS = 20000 };

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static PGconn *connect_db(void)
{
    const char *info = getenv("MSGBUS_TEST_PG");
    PGconn *c = PQconnectdb(info ? info : "");
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "pg_relay: %s", PQerrorMessage(c));
        exit(1);
    }
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    return c;
}

static void exec(PGconn *c, const char *sql)
{
    PGresult *res = PQexec(c, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "pg_relay: %s: %s", sql, PQresultErrorMessage(res));
        exit(1);
    }
    PQclear(res);
}

/* Registers ROWS rows in one transaction; returns the seconds taken. */
static double fill(bool pipelined)
{
    PGconn *c = connect_db();
    exec(c, "DROP TABLE IF EXISTS msgbus_outbox");
    msgbus_outbox_repo *repo = NULL;
    msgbus_error err;
    if (msgbus_pg_outbox_new(c, NULL, 0, &repo, &err) < 0) {
        fprintf(stderr, "pg_relay: %s\n", err.text);
        exit(1);
    }
    double t0 = now_s();
    exec(c, "BEGIN");
    if (pipelined)
        msgbus_pg_outbox_pipeline_begin(repo, NULL);
    for (int i = 0; i < ROWS; i++) {
        ot_Ship m;
        msgbus_value_init(&ot_Ship_type, &m);
        m.order_id = i;
        m.label = (char *)"bench";
        if (msgbus_outbox_register(repo, &m.base, NULL, NULL, &err) < 0) {
            fprintf(stderr, "pg_relay: %s\n", err.text);
            exit(1);
        }
    }
    if (pipelined && msgbus_pg_outbox_pipeline_end(repo, &err) < 0) {
        fprintf(stderr, "pg_relay: %s\n", err.text);
        exit(1);
    }
    exec(c, "COMMIT");
    double t = now_s() - t0;
    exec(c, "VACUUM ANALYZE msgbus_outbox");
    msgbus_outbox_repo_free(repo);
    PQfinish(c);
    return t;
}

static int nothing(msgbus_bus *bus, const msgbus_outbox_row *row, void *ud, msgbus_error *err)
{
    (void)bus;
    (void)row;
    (void)ud;
    (void)err;
    return 0;
}

/* The relay children's handlers_write (set before forking). */
static bool handlers_write = true;

static void relay_child(void)
{
    PGconn *c = connect_db();
    msgbus_outbox_repo *repo = NULL;
    msgbus_error err;
    if (msgbus_pg_outbox_new(c, NULL, 0, &repo, &err) < 0)
        _exit(1);
    msgbus_outbox_handler h = { "nothing", nothing, NULL };
    msgbus_outbox_options o;
    msgbus_outbox_options_init(&o);
    msgbus_set_outbox_handlers(&o, &h, 1, NULL);
    o.handlers_write = handlers_write;
    msgbus_outbox_stats st;
    do {
        if (msgbus_process_outbox(NULL, repo, &o, &st, &err) < 0)
            _exit(2);
    } while (st.claimed > 0);
    msgbus_outbox_repo_free(repo);
    PQfinish(c);
    _exit(0);
}

/* The same work without the library: claim 100 with SKIP LOCKED, mark
 * them, commit. */
static void raw_child(void)
{
    PGconn *c = connect_db();
    for (;;) {
        exec(c, "BEGIN");
        PGresult *res = PQexec(c, "UPDATE msgbus_outbox SET processed_at = 1 WHERE id IN"
                                  " (SELECT id FROM msgbus_outbox WHERE processed_at IS NULL"
                                  " AND dead_at IS NULL ORDER BY available_at, id LIMIT 100"
                                  " FOR UPDATE SKIP LOCKED) RETURNING id, payload");
        int n = PQntuples(res);
        PQclear(res);
        exec(c, "COMMIT");
        if (n == 0)
            break;
    }
    PQfinish(c);
    _exit(0);
}

/* Runs k children of the given kind on a fresh table; rows per second. */
static double drain(int k, void (*child)(void))
{
    fill(true);
    fflush(NULL);
    double t0 = now_s();
    for (int i = 0; i < k; i++)
        if (fork() == 0)
            child();
    for (int i = 0; i < k; i++) {
        int status;
        wait(&status);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "pg_relay: a relay failed\n");
            exit(1);
        }
    }
    return ROWS / (now_s() - t0);
}

enum { ROUNDS = 3 };

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v)
{
    qsort(v, ROUNDS, sizeof *v, by_value);
    return v[ROUNDS / 2];
}

int main(void)
{
    double one_by_one = fill(false), pipelined = fill(true);
    printf("pg register %d rows in one transaction:\n", ROWS);
    printf("  one round trip per row  %9.0f rows/s\n", ROWS / one_by_one);
    printf("  pipelined               %9.0f rows/s  (%.1fx)\n", ROWS / pipelined,
           one_by_one / pipelined);
    printf("pg relay %d rows, no-op handler, batches of 100, median of %d interleaved"
           " rounds:\n", ROWS, ROUNDS);
    printf("  relays   msgbus (savepoints)   msgbus (no writes)   raw SKIP LOCKED loop\n");
    double lib[3][ROUNDS], fast[3][ROUNDS], raw[3][ROUNDS];
    int ks[3] = { 1, 2, 4 };
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < 3; i++) {
            handlers_write = true;
            lib[i][r] = drain(ks[i], relay_child);
            handlers_write = false;
            fast[i][r] = drain(ks[i], relay_child);
            raw[i][r] = drain(ks[i], raw_child);
        }
    double l[3], f[3], w[3];
    for (int i = 0; i < 3; i++) {
        l[i] = median(lib[i]);
        f[i] = median(fast[i]);
        w[i] = median(raw[i]);
        printf("  %6d   %12.0f rows/s   %12.0f rows/s   %12.0f rows/s\n", ks[i], l[i], f[i],
               w[i]);
    }
    printf("  against raw, 1 relay: %.2fx savepoints, %.2fx no writes\n", l[0] / w[0],
           f[0] / w[0]);
    printf("  scaling 1 -> 2 relays: %.2fx savepoints, %.2fx no writes, %.2fx raw\n",
           l[1] / l[0], f[1] / f[0], w[1] / w[0]);
    printf("  scaling 1 -> 4 relays: %.2fx savepoints, %.2fx no writes, %.2fx raw\n",
           l[2] / l[0], f[2] / f[0], w[2] / w[0]);
    return 0;
}
