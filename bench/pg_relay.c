/* pg_relay.c - PostgreSQL outbox figures, measured side by side in one run
 * (server from MSGBUS_TEST_PG; `make bench-pg` starts one):
 *  - registering: one round trip per row against pipelined batches;
 *  - relaying: msgbus_process_outbox with 1, 2 and 4 relay processes,
 *    with the default savepoint per row and with handlers_write false,
 *    against a raw FOR UPDATE SKIP LOCKED loop with as many processes,
 *    in interleaved rounds, medians;
 *  - the CPU a row costs with 1 and 2 relays: the relay processes' and their server
 *    processes' (read from /proc, the server being local), which the load
 *    of a shared machine changes much less than the rows per second.
 * Build without --enable-sanitizers for real figures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
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

/* CPU milliseconds of the server process behind c, or -1 when /proc does
 * not show it. */
static double server_cpu_ms(PGconn *c)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", PQbackendPID(c));
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* utime and stime are the 12th and 13th fields after the ")" */
    char *p = strrchr(buf, ')');
    unsigned long ticks[2];
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ticks[0],
                     &ticks[1]) != 2)
        return -1;
    return (double)(ticks[0] + ticks[1]) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

/* One slot a child: the CPU milliseconds it and its server process used
 * (shared with the parent, written before the child exits). */
enum { MAX_CHILDREN = 4 };
static double *cpu_slots;

static void report_cpu(PGconn *c, int slot)
{
    struct rusage u;
    double server = server_cpu_ms(c);
    getrusage(RUSAGE_SELF, &u);
    cpu_slots[slot] = server < 0 ? -1
                    : server + (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000.0 +
                      (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1000.0;
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

static void relay_child(int slot)
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
    report_cpu(c, slot);
    PQfinish(c);
    _exit(0);
}

/* The same work without the library: claim 100 with SKIP LOCKED, mark
 * them, commit. */
static void raw_child(int slot)
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
    report_cpu(c, slot);
    PQfinish(c);
    _exit(0);
}

/* Runs k children of the given kind on a fresh table; rows per second.
 * *cpu gets the microseconds of CPU a row cost (relays and their server
 * processes), or -1 when unknown. */
static double drain(int k, void (*child)(int), double *cpu)
{
    fill(true);
    fflush(NULL);
    double t0 = now_s();
    for (int i = 0; i < k; i++)
        if (fork() == 0)
            child(i);
    for (int i = 0; i < k; i++) {
        int status;
        wait(&status);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "pg_relay: a relay failed\n");
            exit(1);
        }
    }
    double rate = ROWS / (now_s() - t0);
    *cpu = 0;
    for (int i = 0; i < k; i++)
        *cpu = *cpu < 0 || cpu_slots[i] < 0 ? -1 : *cpu + cpu_slots[i] * 1000.0 / ROWS;
    return rate;
}

enum { ROUNDS = 7 };

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
    double lib_cpu[3][ROUNDS], fast_cpu[3][ROUNDS], raw_cpu[3][ROUNDS];
    int ks[3] = { 1, 2, MAX_CHILDREN };
    cpu_slots = mmap(NULL, MAX_CHILDREN * sizeof *cpu_slots, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (cpu_slots == MAP_FAILED) {
        perror("pg_relay: mmap");
        return 1;
    }
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < 3; i++) {
            handlers_write = true;
            lib[i][r] = drain(ks[i], relay_child, &lib_cpu[i][r]);
            handlers_write = false;
            fast[i][r] = drain(ks[i], relay_child, &fast_cpu[i][r]);
            raw[i][r] = drain(ks[i], raw_child, &raw_cpu[i][r]);
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
    /* Where 1 relay keeps a core busy, 2 relays meet the machine's ceiling:
     * the raw loop with 2 processes shows where it is. */
    printf("  against raw, 2 relays: %.2fx savepoints, %.2fx no writes\n", l[1] / w[1],
           f[1] / w[1]);
    printf("  scaling 1 -> 2 relays: %.2fx savepoints, %.2fx no writes, %.2fx raw\n",
           l[1] / l[0], f[1] / f[0], w[1] / w[0]);
    printf("  scaling 1 -> 4 relays: %.2fx savepoints, %.2fx no writes, %.2fx raw\n",
           l[2] / l[0], f[2] / f[0], w[2] / w[0]);
    /* What the relays' contention costs: the CPU a row grows from 1 relay
     * to 2 by it.  The rest of what the scaling loses on 2 cores is cores
     * left idle (rows/s times the CPU a row under 2). */
    for (int i = 0; i < 2; i++) {
        double lc = median(lib_cpu[i]), fc = median(fast_cpu[i]), wc = median(raw_cpu[i]);
        if (lc < 0 || fc < 0 || wc < 0) {
            printf("  CPU a row: not known (the server's processes are not in /proc)\n");
            break;
        }
        printf("  CPU a row, %d relay%s (relays + their server processes): %.1f us savepoints,"
               " %.1f us no writes, %.1f us raw;\n  raw against them: %.2fx savepoints,"
               " %.2fx no writes\n", ks[i], i ? "s" : "", lc, fc, wc, wc / lc, wc / fc);
    }
    return 0;
}
