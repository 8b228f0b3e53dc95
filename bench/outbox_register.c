/* outbox_register.c - register throughput, 100 rows per transaction, side
 * by side with a raw sqlite3 INSERT of the same row into the same table
 * (same schema and indexes, statement prepared once).  Target: >= 0.8x. */
#define _POSIX_C_SOURCE 200809L  /* clock_gettime */
#include "outbox_common.h"

#include <msgbus/msgbus.h>
#include <msgbus/sqlite.h>

#define ROWS 20000
#define PER_TX 100
#define RUNS 5

typedef struct tick { msgbus_msg base; int64_t n; char *text; } tick;
static const msgbus_field tick_fields[] = {
    { .name = "n", .scalar = MSGBUS_INT64, .offset = offsetof(tick, n) },
    { .name = "text", .scalar = MSGBUS_STRING, .offset = offsetof(tick, text) },
};
static const msgbus_type tick_type = { "bench.Tick", MSGBUS_KIND_EVENT, sizeof(tick), 2,
                                       tick_fields, 0, NULL };

static double run_library(const char *path)
{
    sqlite3 *db = bench_open(path);
    msgbus_outbox_repo *repo;
    msgbus_error err;
    if (msgbus_sqlite_outbox_new(db, NULL, 0, &repo, &err) != 0) {
        fprintf(stderr, "%s\n", err.text);
        exit(1);
    }
    tick t = { { &tick_type }, 0, (char *)"order placed" };
    double start = bench_seconds();
    for (int i = 0; i < ROWS; i++) {
        if (i % PER_TX == 0)
            bench_exec(db, "BEGIN");
        t.n = i;
        if (msgbus_outbox_register(repo, &t.base, NULL, NULL, &err) != 0) {
            fprintf(stderr, "%s\n", err.text);
            exit(1);
        }
        if (i % PER_TX == PER_TX - 1)
            bench_exec(db, "COMMIT");
    }
    double secs = bench_seconds() - start;
    msgbus_outbox_repo_free(repo);
    sqlite3_close(db);
    return ROWS / secs;
}

/* The same row written by hand: the id and payload are made the cheapest
 * way (a counter as id, snprintf for the JSON), the statement is reused. */
static double run_raw(const char *path)
{
    sqlite3 *db = bench_open(path);
    msgbus_outbox_repo *repo;
    if (msgbus_sqlite_outbox_new(db, NULL, 0, &repo, NULL) != 0)   /* same schema */
        exit(1);
    msgbus_outbox_repo_free(repo);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "INSERT INTO msgbus_outbox (id, kind, type, payload, meta,"
                               " created_at, available_at, attempts)"
                               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)", -1, &st, NULL) != SQLITE_OK)
        exit(1);
    double start = bench_seconds();
    for (int i = 0; i < ROWS; i++) {
        if (i % PER_TX == 0)
            bench_exec(db, "BEGIN");
        char id[40], payload[64];
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        long long now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        snprintf(id, sizeof id, "%012llx-7000-8000-%012x", now, i);
        snprintf(payload, sizeof payload, "{\"n\":%d,\"text\":\"order placed\"}", i);
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, "EVENT", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, "bench.Tick", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, payload, -1, SQLITE_STATIC);
        sqlite3_bind_null(st, 5);
        sqlite3_bind_int64(st, 6, now);
        sqlite3_bind_int64(st, 7, now);
        if (sqlite3_step(st) != SQLITE_DONE)
            exit(1);
        sqlite3_reset(st);
        if (i % PER_TX == PER_TX - 1)
            bench_exec(db, "COMMIT");
    }
    double secs = bench_seconds() - start;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ROWS / secs;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "bench-outbox-register.db";
    double lib[RUNS], raw[RUNS];
    for (int r = 0; r < RUNS; r++) {    /* interleaved, so drift hits both */
        raw[r] = run_raw(path);
        lib[r] = run_library(path);
    }
    double l = bench_median(lib, RUNS), w = bench_median(raw, RUNS);
    printf("outbox register, %d rows, %d per transaction, median of %d runs:\n", ROWS, PER_TX, RUNS);
    printf("  raw sqlite3 INSERT      %10.0f rows/s\n", w);
    printf("  msgbus_outbox_register  %10.0f rows/s\n", l);
    printf("  ratio                   %10.2fx (target >= 0.80x)\n", l / w);
    unlink(path);
    return 0;
}
