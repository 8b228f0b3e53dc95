/* outbox_relay.c - relay throughput: msgbus_process_outbox draining a table
 * (one no-op handler) side by side with a raw select-and-update loop over
 * the same table (select a batch of pending rows, update each one as
 * processed, one transaction per batch).  Target: >= 0.6x. */
#define _POSIX_C_SOURCE 200809L  /* clock_gettime */
#include "outbox_common.h"

#include <msgbus/msgbus.h>
#include <msgbus/sqlite.h>

#define ROWS 20000
#define BATCH 100
#define RUNS 5

static const msgbus_type tick_type = { "bench.Tick", MSGBUS_KIND_EVENT, sizeof(msgbus_msg), 0,
                                       NULL, 0, NULL };

static msgbus_outbox_repo *filled(sqlite3 *db)
{
    msgbus_outbox_repo *repo;
    if (msgbus_sqlite_outbox_new(db, NULL, 0, &repo, NULL) != 0)
        exit(1);
    msgbus_msg m = { &tick_type };
    bench_exec(db, "BEGIN");
    for (int i = 0; i < ROWS; i++)
        if (msgbus_outbox_register(repo, &m, NULL, NULL, NULL) != 0)
            exit(1);
    bench_exec(db, "COMMIT");
    return repo;
}

static long handled;

static int noop(msgbus_bus *bus, const msgbus_outbox_row *row, void *ud, msgbus_error *err)
{
    (void)bus; (void)ud; (void)err;
    handled += row->payload[0] == '{';
    return 0;
}

static double run_library(const char *path)
{
    sqlite3 *db = bench_open(path);
    msgbus_outbox_repo *repo = filled(db);
    msgbus_outbox_options o;
    msgbus_outbox_options_init(&o);
    o.batch_size = BATCH;
    msgbus_outbox_handler h = { "noop", noop, NULL };
    msgbus_set_outbox_handlers(&o, &h, 1, NULL);
    msgbus_outbox_stats st;
    msgbus_error err;
    size_t done = 0;
    double start = bench_seconds();
    do {
        if (msgbus_process_outbox(NULL, repo, &o, &st, &err) != 0) {
            fprintf(stderr, "%s\n", err.text);
            exit(1);
        }
        done += st.processed;
    } while (st.claimed > 0);
    double secs = bench_seconds() - start;
    if (done != ROWS)
        exit(1);
    msgbus_outbox_repo_free(repo);
    sqlite3_close(db);
    return ROWS / secs;
}

static double run_raw(const char *path)
{
    sqlite3 *db = bench_open(path);
    msgbus_outbox_repo_free(filled(db));
    sqlite3_stmt *sel, *upd;
    if (sqlite3_prepare_v2(db, "SELECT id, type, payload FROM msgbus_outbox"
                               " WHERE processed_at IS NULL AND dead_at IS NULL AND available_at <= ?1"
                               " ORDER BY available_at, id LIMIT ?2", -1, &sel, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "UPDATE msgbus_outbox SET processed_at = ?2 WHERE id = ?1", -1, &upd,
                           NULL) != SQLITE_OK)
        exit(1);
    size_t done = 0;
    double start = bench_seconds();
    for (int got = 1; got > 0;) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        long long now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        char ids[BATCH][40];
        got = 0;
        bench_exec(db, "BEGIN IMMEDIATE");
        sqlite3_bind_int64(sel, 1, now);
        sqlite3_bind_int(sel, 2, BATCH);
        while (sqlite3_step(sel) == SQLITE_ROW) {
            snprintf(ids[got], sizeof ids[got], "%s", (const char *)sqlite3_column_text(sel, 0));
            handled += sqlite3_column_text(sel, 2)[0] == '{';
            got++;
        }
        sqlite3_reset(sel);
        for (int i = 0; i < got; i++) {
            sqlite3_bind_text(upd, 1, ids[i], -1, SQLITE_STATIC);
            sqlite3_bind_int64(upd, 2, now);
            if (sqlite3_step(upd) != SQLITE_DONE)
                exit(1);
            sqlite3_reset(upd);
        }
        bench_exec(db, "COMMIT");
        done += (size_t)got;
    }
    double secs = bench_seconds() - start;
    if (done != ROWS)
        exit(1);
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    sqlite3_close(db);
    return ROWS / secs;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "bench-outbox-relay.db";
    double lib[RUNS], raw[RUNS];
    for (int r = 0; r < RUNS; r++) {
        raw[r] = run_raw(path);
        lib[r] = run_library(path);
    }
    double l = bench_median(lib, RUNS), w = bench_median(raw, RUNS);
    printf("outbox relay, %d rows, batches of %d, median of %d runs:\n", ROWS, BATCH, RUNS);
    printf("  raw select-and-update   %10.0f rows/s\n", w);
    printf("  msgbus_process_outbox   %10.0f rows/s\n", l);
    printf("  ratio                   %10.2fx (target >= 0.60x)\n", l / w);
    unlink(path);
    return 0;
}
