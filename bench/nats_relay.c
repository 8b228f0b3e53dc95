/* nats_relay.c - the SQLite -> NATS JetStream relay against raw
 * js_PublishAsync of the same CloudEvents with the acks awaited every
 * batch, measured side by side in one run (server from MSGBUS_TEST_NATS;
 * `make bench-nats` starts one).  Build without --enable-sanitizers for
 * real figures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <msgbus/nats.h>
#include <msgbus/sqlite.h>
#define OT_DEFINE_MODULE
#include "../tests/outbox_test_module.h"

int ot_ship(msgbus_ctx *ctx, const ot_Ship *msg)
{
    (void)ctx;
    (void)msg;
    return 0;
}

enum { ROWS = 20000, BATCH = 200, ROUNDS = 5 };

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, by_value);
    return v[n / 2];
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *text)
{
    fprintf(stderr, "nats_relay: %s: %s\n", what, text);
    exit(1);
}

/* A fresh stream for one measurement. */
static void new_stream(natsConnection *nc, const char *name, const char *subject)
{
    jsCtx *js = NULL;
    natsConnection_JetStream(&js, nc, NULL);
    js_DeleteStream(js, name, NULL, NULL);
    jsCtx_Destroy(js);
    const char *subjects[1] = { subject };
    msgbus_error err;
    if (msgbus_nats_stream_ensure(nc, name, subjects, 1, 0, &err) < 0)
        die("stream", err.text);
}

static sqlite3 *filled_outbox(msgbus_outbox_repo **repo)
{
    sqlite3 *db = NULL;
    msgbus_error err;
    sqlite3_open(":memory:", &db);
    if (msgbus_sqlite_outbox_new(db, NULL, 0, repo, &err) < 0)
        die("outbox", err.text);
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    for (int i = 0; i < ROWS; i++) {
        ot_Ship m;
        msgbus_value_init(&ot_Ship_type, &m);
        m.order_id = i;
        m.label = (char *)"bench";
        if (msgbus_outbox_register(*repo, &m.base, NULL, NULL, &err) < 0)
            die("register", err.text);
    }
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    return db;
}

static double relay_rate(natsConnection *nc)
{
    new_stream(nc, "BENCH", "bench.>");
    msgbus_outbox_repo *repo = NULL;
    sqlite3 *db = filled_outbox(&repo);
    msgbus_nats_publisher_options po;
    msgbus_nats_publisher_options_init(&po);
    po.subject_prefix = "bench";
    po.max_in_flight = 256;
    msgbus_nats_publisher *pub = NULL;
    msgbus_error err;
    if (msgbus_nats_publisher_new(nc, repo, &po, &pub, &err) < 0)
        die("publisher", err.text);
    msgbus_outbox_options o;
    msgbus_outbox_options_init(&o);
    o.batch_size = BATCH;
    msgbus_outbox_stats st;
    size_t done = 0;
    double t0 = now_s();
    do {
        if (msgbus_nats_relay(NULL, pub, &o, &st, &err) < 0)
            die("relay", err.text);
        done += st.processed;
    } while (st.claimed > 0);
    double rate = done / (now_s() - t0);
    if (done != ROWS)
        die("relay", "not every row was published");
    msgbus_nats_publisher_free(pub);
    msgbus_outbox_repo_free(repo);
    sqlite3_close(db);
    return rate;
}

/* The raw loop: the same rows read from the same table (timed, as a relay
 * must read them too), the same events, js_PublishAsync,
 * js_PublishAsyncComplete every batch; no marks, no leases. */
static double raw_rate(natsConnection *nc)
{
    new_stream(nc, "BENCH", "bench.>");
    msgbus_outbox_repo *repo = NULL;
    sqlite3 *db = filled_outbox(&repo);
    msgbus_outbox_row *rows = NULL;
    size_t n = 0;
    msgbus_error err;
    jsCtx *js = NULL;
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = 256;
    natsConnection_JetStream(&js, nc, &jo);
    double t0 = now_s();
    if (msgbus_outbox_list(repo, MSGBUS_OUTBOX_PENDING, ROWS, &rows, &n, &err) < 0)
        die("list", err.text);
    for (size_t i = 0; i < n; i++) {
        char *ev = msgbus_nats_cloudevent(&rows[i], "msgbus");
        jsPubOptions opts;
        jsPubOptions_Init(&opts);
        opts.MsgId = rows[i].id;
        if (js_PublishAsync(js, "bench.ot.Ship", ev, (int)strlen(ev), &opts) != NATS_OK)
            die("publish", nats_GetLastError(NULL));
        free(ev);
        if ((i + 1) % BATCH == 0 || i + 1 == n)
            js_PublishAsyncComplete(js, NULL);
    }
    double rate = n / (now_s() - t0);
    jsCtx_Destroy(js);
    msgbus_outbox_rows_free(rows, n);
    msgbus_outbox_repo_free(repo);
    sqlite3_close(db);
    return rate;
}

int main(void)
{
    const char *url = getenv("MSGBUS_TEST_NATS");
    natsConnection *nc = NULL;
    if (natsConnection_ConnectTo(&nc, url ? url : NATS_DEFAULT_URL) != NATS_OK)
        die("connect", nats_GetLastError(NULL));
    double libs[ROUNDS], raws[ROUNDS];
    /* Alternate, so both see the same server and the same machine load. */
    for (int r = 0; r < ROUNDS; r++) {
        libs[r] = relay_rate(nc);
        raws[r] = raw_rate(nc);
    }
    double lib = median(libs, ROUNDS), raw = median(raws, ROUNDS);
    printf("sqlite -> nats, %d rows, batches of %d, window 256 (median of %d):\n", ROWS, BATCH,
           ROUNDS);
    printf("  msgbus_nats_relay (marks after PubAck)  %9.0f rows/s\n", lib);
    printf("  raw js_PublishAsync, acks every batch   %9.0f rows/s\n", raw);
    printf("  ratio                                   %9.2fx\n", lib / raw);
    natsConnection_Destroy(nc);
    nats_Close();
    return 0;
}
