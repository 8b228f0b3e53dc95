/* test_pg_relays.c - several relay processes draining one PostgreSQL
 * outbox table (server started by tests/pg.test, MSGBUS_TEST_PG):
 *  - 4 relays drain 100,000 rows: none lost, none processed twice;
 *  - a lease that expires lets a second relay take the row: it is then
 *    processed twice, and only that row;
 *  - a relay killed with SIGKILL in the middle of a batch loses nothing. */
#include <check.h>
#define OT_DEFINE_MODULE
#include "outbox_test_module.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <msgbus/pg.h>

int ot_ship(msgbus_ctx *ctx, const ot_Ship *msg)
{
    (void)ctx;
    (void)msg;
    return 0;
}

static PGconn *connect_db(void)
{
    const char *info = getenv("MSGBUS_TEST_PG");
    ck_assert_msg(info != NULL, "MSGBUS_TEST_PG is not set: run tests/pg.test");
    PGconn *c = PQconnectdb(info);
    ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    return c;
}

static void exec(PGconn *c, const char *sql)
{
    PGresult *res = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(res);
    ck_assert_msg(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", sql,
                  PQresultErrorMessage(res));
    PQclear(res);
}

static long long count(PGconn *c, const char *sql)
{
    PGresult *res = PQexec(c, sql);
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s", PQresultErrorMessage(res));
    long long n = atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    return n;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Registers n rows in one transaction, pipelined; labels "slow" for the
 * rows listed in slow (may be NULL). */
static void fill(msgbus_outbox_repo *repo, PGconn *c, int n, int slow)
{
    msgbus_error err;
    exec(c, "BEGIN");
    ck_assert_int_eq(msgbus_pg_outbox_pipeline_begin(repo, &err), 0);
    for (int i = 0; i < n; i++) {
        ot_Ship m;
        msgbus_value_init(&ot_Ship_type, &m);
        m.order_id = i;
        m.label = (char *)(i == slow ? "slow" : "x");
        ck_assert_int_eq(msgbus_outbox_register(repo, &m.base, NULL, NULL, &err), 0);
    }
    int rc = msgbus_pg_outbox_pipeline_end(repo, &err);
    ck_assert_msg(rc == 0, "%s", err.text);
    exec(c, "COMMIT");
}

/* What a relay's handler does: append the row id to the relay's log,
 * sleeping first for a "slow" row. */
typedef struct relay_log {
    FILE *out;
    int slow_ms;
    int stall_ms;               /* > 0: sleep this long after the first row */
    int rows;
} relay_log;

static int log_row(msgbus_bus *bus, const msgbus_outbox_row *row, void *ud, msgbus_error *err)
{
    (void)bus;
    (void)err;
    relay_log *log = ud;
    if (log->slow_ms && strstr(row->payload, "\"slow\""))
        usleep((useconds_t)log->slow_ms * 1000);
    fprintf(log->out, "%s\n", row->id);
    fflush(log->out);
    if (log->stall_ms && ++log->rows == 1)
        usleep((useconds_t)log->stall_ms * 1000);
    return 0;
}

/* A relay process: drains the table until it is empty (or limit seconds
 * passed), logging every row it processed to path.  Exit status 0 on
 * success. */
static void relay_main(const char *path, bool atomic, int64_t lease_ms, int slow_ms,
                       int stall_ms, double limit)
{
    PGconn *c = connect_db();
    msgbus_outbox_repo *repo = NULL;
    msgbus_error err;
    if (msgbus_pg_outbox_new(c, NULL, 0, &repo, &err) < 0 ||
        msgbus_pg_outbox_listen(repo, &err) < 0)
        _exit(2);
    relay_log log = { fopen(path, "w"), slow_ms, stall_ms, 0 };
    if (!log.out)
        _exit(3);
    msgbus_outbox_handler h = { "log", log_row, &log };
    msgbus_outbox_options o;
    msgbus_outbox_options_init(&o);
    o.atomic = atomic;
    o.lease_ms = lease_ms;
    o.batch_size = 200;
    o.worker = path;
    msgbus_set_outbox_handlers(&o, &h, 1, NULL);
    int status = 0;
    for (double end = now_s() + limit; now_s() < end;) {
        msgbus_outbox_stats st;
        if (msgbus_process_outbox(NULL, repo, &o, &st, &err) < 0) {
            fprintf(stderr, "relay %s: %s\n", path, err.text);
            status = 4;
            break;
        }
        if (st.claimed > 0)
            continue;
        msgbus_outbox_counts counts;
        if (msgbus_outbox_counts_get(repo, &counts, &err) < 0) {
            status = 5;
            break;
        }
        if (counts.pending == 0)
            break;
        msgbus_pg_outbox_wait(repo, 50, &err);  /* in flight elsewhere: poll again soon */
    }
    fclose(log.out);
    msgbus_outbox_repo_free(repo);
    PQfinish(c);
    _exit(status);
}

static pid_t start_relay(const char *path, bool atomic, int64_t lease_ms, int slow_ms,
                         int stall_ms, double limit)
{
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        relay_main(path, atomic, lease_ms, slow_ms, stall_ms, limit);
    return pid;
}

static int wait_ok(pid_t pid)
{
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Reads the ids of a log into ids[*n...]. */
static void read_log(const char *path, char (*ids)[MSGBUS_OUTBOX_ID_SIZE], size_t cap, size_t *n,
                     size_t *from_this)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[128];
    size_t before = *n;
    while (fgets(line, sizeof line, f)) {
        ck_assert_uint_lt(*n, cap);
        line[strcspn(line, "\n")] = '\0';
        snprintf(ids[(*n)++], MSGBUS_OUTBOX_ID_SIZE, "%.64s", line);
    }
    fclose(f);
    *from_this = *n - before;
}

static int by_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Sorts ids and returns how many distinct ones there are. */
static size_t distinct(char (*ids)[MSGBUS_OUTBOX_ID_SIZE], size_t n)
{
    qsort(ids, n, sizeof *ids, by_id);
    size_t d = n ? 1 : 0;
    for (size_t i = 1; i < n; i++)
        d += strcmp(ids[i - 1], ids[i]) != 0;
    return d;
}

static char workdir[64];

static void log_path(char *out, size_t size, int i)
{
    snprintf(out, size, "%s/relay-%d.log", workdir, i);
}

static void setup(void)
{
    snprintf(workdir, sizeof workdir, "/tmp/msgbus-relays.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(workdir));
}

static void teardown(void)
{
    for (int i = 0; i < 8; i++) {
        char p[128];
        log_path(p, sizeof p, i);
        unlink(p);
    }
    rmdir(workdir);
}

enum { ROWS = 100000, RELAYS = 4 };

START_TEST(four_relays_drain_100000_rows_once_each)
{
    PGconn *c = connect_db();
    exec(c, "DROP TABLE IF EXISTS msgbus_outbox");
    msgbus_outbox_repo *repo = NULL;
    msgbus_error err;
    ck_assert_int_eq(msgbus_pg_outbox_new(c, NULL, 0, &repo, &err), 0);
    fill(repo, c, ROWS, -1);
    pid_t pids[RELAYS];
    char path[128];
    /* Leases of 60 s: none expires, so none may be processed twice. */
    for (int i = 0; i < RELAYS; i++) {
        log_path(path, sizeof path, i);
        pids[i] = start_relay(path, false, 60000, 0, 0, 150);
    }
    for (int i = 0; i < RELAYS; i++)
        ck_assert_int_eq(wait_ok(pids[i]), 0);
    char (*ids)[MSGBUS_OUTBOX_ID_SIZE] = malloc((size_t)ROWS * 2 * sizeof *ids);
    ck_assert_ptr_nonnull(ids);
    size_t n = 0;
    for (int i = 0; i < RELAYS; i++) {
        size_t mine;
        log_path(path, sizeof path, i);
        read_log(path, ids, (size_t)ROWS * 2, &n, &mine);
        ck_assert_msg(mine > 0, "relay %d processed no row", i);
    }
    ck_assert_uint_eq(n, ROWS);
    ck_assert_uint_eq(distinct(ids, n), ROWS);
    free(ids);
    ck_assert_int_eq(count(c, "SELECT count(*) FROM msgbus_outbox WHERE processed_at IS NOT NULL"
                              " AND locked_by IS NULL"), ROWS);
    msgbus_outbox_repo_free(repo);
    PQfinish(c);
}
END_TEST

START_TEST(an_expired_lease_lets_another_relay_process_the_row_again)
{
    PGconn *c = connect_db();
    exec(c, "DROP TABLE IF EXISTS msgbus_outbox");
    msgbus_outbox_repo *repo = NULL;
    msgbus_error err;
    ck_assert_int_eq(msgbus_pg_outbox_new(c, NULL, 0, &repo, &err), 0);
    fill(repo, c, 5, 0);    /* row of order 0 is slow */
    char first[128], second[128];
    log_path(first, sizeof first, 0);
    log_path(second, sizeof second, 1);
    /* Relay A: lease 300 ms, but the slow row takes 1.5 s. */
    pid_t a = start_relay(first, false, 300, 1500, 0, 20);
    /* Relay B starts once A's lease has expired. */
    usleep(800 * 1000);
    ck_assert_int_eq(count(c, "SELECT count(*) FROM msgbus_outbox WHERE locked_by IS NOT NULL"), 5);
    pid_t b = start_relay(second, false, 30000, 0, 0, 20);
    ck_assert_int_eq(wait_ok(b), 0);
    ck_assert_int_eq(wait_ok(a), 0);
    char (*ids)[MSGBUS_OUTBOX_ID_SIZE] = calloc(32, sizeof *ids);
    size_t n = 0, from_a, from_b;
    read_log(first, ids, 32, &n, &from_a);
    read_log(second, ids, 32, &n, &from_b);
    /* A processed the slow row and then the other four (its whole batch);
     * B found all five leases expired and processed them too: what
     * expired was processed twice, and every row is processed. */
    ck_assert_uint_eq(from_a, 5);
    ck_assert_uint_eq(from_b, 5);
    ck_assert_uint_eq(distinct(ids, n), 5);
    free(ids);
    ck_assert_int_eq(count(c, "SELECT count(*) FROM msgbus_outbox WHERE processed_at IS NOT NULL"), 5);

    /* With a lease long enough, a second relay takes nothing twice. */
    exec(c, "TRUNCATE msgbus_outbox");
    fill(repo, c, 5, 0);
    a = start_relay(first, false, 30000, 1500, 0, 20);
    usleep(800 * 1000);
    b = start_relay(second, false, 30000, 0, 0, 20);
    ck_assert_int_eq(wait_ok(b), 0);
    ck_assert_int_eq(wait_ok(a), 0);
    ids = calloc(32, sizeof *ids);
    n = 0;
    read_log(first, ids, 32, &n, &from_a);
    read_log(second, ids, 32, &n, &from_b);
    ck_assert_uint_eq(from_a, 5);
    ck_assert_uint_eq(from_b, 0);
    free(ids);
    msgbus_outbox_repo_free(repo);
    PQfinish(c);
}
END_TEST

START_TEST(a_relay_killed_mid_batch_loses_nothing)
{
    PGconn *c = connect_db();
    exec(c, "DROP TABLE IF EXISTS msgbus_outbox");
    msgbus_outbox_repo *repo = NULL;
    msgbus_error err;
    ck_assert_int_eq(msgbus_pg_outbox_new(c, NULL, 0, &repo, &err), 0);
    fill(repo, c, 50, -1);
    char first[128], second[128];
    log_path(first, sizeof first, 0);
    log_path(second, sizeof second, 1);
    /* Atomic relay: its claim and marks are one transaction; it stalls
     * after its first row and is killed there. */
    pid_t a = start_relay(first, true, 60000, 0, 10000, 20);
    for (int i = 0; i < 100; i++) {
        FILE *f = fopen(first, "r");
        int got = f && fgetc(f) != EOF;
        if (f)
            fclose(f);
        if (got)
            break;
        usleep(50 * 1000);
    }
    kill(a, SIGKILL);
    ck_assert_int_eq(wait_ok(a), 128 + SIGKILL);
    /* Nothing of its batch stayed: no lease, no mark. */
    ck_assert_int_eq(count(c, "SELECT count(*) FROM msgbus_outbox WHERE processed_at IS NULL"
                              " AND locked_by IS NULL"), 50);
    pid_t b = start_relay(second, true, 60000, 0, 0, 20);
    ck_assert_int_eq(wait_ok(b), 0);
    ck_assert_int_eq(count(c, "SELECT count(*) FROM msgbus_outbox WHERE processed_at IS NOT NULL"), 50);
    msgbus_outbox_repo_free(repo);
    PQfinish(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pg_relays");
    TCase *tc = tcase_create("relays");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, four_relays_drain_100000_rows_once_each);
    tcase_add_test(tc, an_expired_lease_lets_another_relay_process_the_row_again);
    tcase_add_test(tc, a_relay_killed_mid_batch_loses_nothing);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
