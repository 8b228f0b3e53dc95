/* test_sqlite_faults.c - what the SQLite outbox does when the database
 * file misbehaves: a full disk, a database locked by another connection,
 * and a corrupted file.  Each case runs on a real database file in a
 * temporary directory.  See msgbus_outbox(3), FAILURES. */
#define OT_DEFINE_MODULE
#include "outbox_test_module.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <msgbus/sqlite.h>

int ot_ship(msgbus_ctx *ctx, const ot_Ship *msg)
{
    (void)ctx;
    (void)msg;
    return 0;
}

static char dir[] = "/tmp/msgbus-sqlite-faults.XXXXXX";
static char file[sizeof dir + 32];

static void make_file_name(void)
{
    static int n;
    snprintf(file, sizeof file, "%s/t%d.db", dir, n++);
}

static sqlite3 *open_db(void)
{
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(file, &db), SQLITE_OK);
    return db;
}

static long long count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
                  sqlite3_errmsg(db));
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    long long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "");
    sqlite3_free(msg);
}

static msgbus_outbox_repo *repo_over(sqlite3 *db)
{
    msgbus_outbox_repo *repo = NULL;
    msgbus_error err;
    int rc = msgbus_sqlite_outbox_new(db, NULL, 0, &repo, &err);
    ck_assert_msg(rc == 0, "%s", err.text);
    return repo;
}

static int register_ship(msgbus_outbox_repo *repo, int64_t order, msgbus_error *err)
{
    ot_Ship m;
    msgbus_value_init(&ot_Ship_type, &m);
    m.order_id = order;
    m.label = (char *)"a label long enough to need some room in the table's pages";
    return msgbus_outbox_register(repo, &m.base, NULL, NULL, err);
}

/* An outbox handler whose effect is a row in the same database, so the
 * effect commits or rolls back with the row's mark. */
static int record_effect(msgbus_bus *bus, const msgbus_outbox_row *row, void *userdata,
                         msgbus_error *err)
{
    (void)bus;
    sqlite3 *db = userdata;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "INSERT INTO effects (row_id) VALUES (?1)", -1, &st, NULL) !=
        SQLITE_OK)
        return msgbus_error_set(err, MSGBUS_EIO, NULL, "%s", sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, row->id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return msgbus_error_set(err, MSGBUS_EIO, NULL, "%s", sqlite3_errmsg(db));
    return 0;
}

static void setup(void)
{
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[sizeof dir + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

/* The caller's transaction holds an order and its message; when the disk
 * is full, register fails with SQLite's own words and the caller's
 * rollback leaves neither behind. */
START_TEST(full_disk_fails_register_and_the_callers_transaction_rolls_back_whole)
{
    make_file_name();
    sqlite3 *db = open_db();
    msgbus_outbox_repo *repo = repo_over(db);
    exec(db, "CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT)");
    long long pages = count(db, "PRAGMA page_count");
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", pages + 3);
    exec(db, sql);
    int rc = 0, placed = 0;
    msgbus_error err;
    msgbus_error_clear(&err);
    /* Orders go in one transaction each, with their message, until the
     * database is full: the last one must vanish whole. */
    for (int order = 1; order < 10000 && rc == 0; order++) {
        exec(db, "BEGIN");
        sqlite3_stmt *st;
        ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO orders VALUES (?1, 'x')",
                                            -1, &st, NULL), SQLITE_OK);
        sqlite3_bind_int(st, 1, order);
        int step = sqlite3_step(st);
        sqlite3_finalize(st);
        if (step != SQLITE_DONE) {
            exec(db, "ROLLBACK");
            /* The business write hit the limit first: free room for it. */
            ck_abort_msg("order %d did not fit before its message: %s", order,
                         sqlite3_errmsg(db));
        }
        rc = register_ship(repo, order, &err);
        if (rc == 0) {
            exec(db, "COMMIT");
            placed++;
        } else if (!sqlite3_get_autocommit(db)) {
            /* SQLite may have rolled back already on SQLITE_FULL. */
            exec(db, "ROLLBACK");
        }
    }
    ck_assert_int_eq(rc, MSGBUS_EIO);
    ck_assert_msg(strstr(err.text, "full") != NULL, "error text: %s", err.text);
    ck_assert_msg(strstr(err.text, file) != NULL, "error text names no file: %s", err.text);
    ck_assert_int_gt(placed, 0);
    ck_assert_int_eq(count(db, "SELECT count(*) FROM orders"), placed);
    ck_assert_int_eq(count(db, "SELECT count(*) FROM msgbus_outbox"), placed);
    ck_assert(sqlite3_get_autocommit(db));
    msgbus_outbox_repo_free(repo);
    ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
}
END_TEST

/* The relay cannot mark rows while the disk is full: process_outbox
 * returns the error, the rows stay pending with their attempts, nothing is
 * dead-lettered, and once there is room every row is processed and its
 * effect made exactly once. */
START_TEST(full_disk_keeps_rows_pending_until_space_returns)
{
    make_file_name();
    sqlite3 *db = open_db();
    msgbus_outbox_repo *repo = repo_over(db);
    exec(db, "CREATE TABLE effects (row_id TEXT NOT NULL)");
    enum { ROWS = 400 };
    msgbus_error err;
    exec(db, "BEGIN");
    for (int i = 0; i < ROWS; i++)
        ck_assert_msg(register_ship(repo, i, &err) == 0, "%s", err.text);
    exec(db, "COMMIT");
    /* No room to grow: marking rows and writing effects need new pages. */
    long long pages = count(db, "PRAGMA page_count");
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", pages);
    exec(db, sql);

    msgbus_bus *bus = msgbus_bus_new(NULL);
    ck_assert_ptr_nonnull(bus);
    msgbus_outbox_handler handler = { "effect", record_effect, db };
    msgbus_outbox_options opts;
    msgbus_outbox_options_init(&opts);
    opts.batch_size = ROWS;
    ck_assert_int_eq(msgbus_set_outbox_handlers(&opts, &handler, 1, &err), 0);
    msgbus_outbox_stats stats;
    msgbus_error_clear(&err);
    int rc = msgbus_process_outbox(bus, repo, &opts, &stats, &err);
    ck_assert_int_eq(rc, MSGBUS_EIO);
    ck_assert_msg(strstr(err.text, "full") != NULL, "error text: %s", err.text);
    ck_assert(sqlite3_get_autocommit(db));
    ck_assert_int_eq(count(db, "SELECT count(*) FROM effects"), 0);
    ck_assert_int_eq(count(db, "SELECT count(*) FROM msgbus_outbox WHERE processed_at IS NULL"
                               " AND dead_at IS NULL AND attempts = 0"), ROWS);

    /* Room again: the same rows go through, each once. */
    exec(db, "PRAGMA max_page_count = 1073741823");
    for (int round = 0; round < 10 && count(db, "SELECT count(*) FROM msgbus_outbox"
                                                " WHERE processed_at IS NULL") > 0; round++) {
        rc = msgbus_process_outbox(bus, repo, &opts, &stats, &err);
        ck_assert_msg(rc == 0, "%s", err.text);
    }
    ck_assert_int_eq(count(db, "SELECT count(*) FROM msgbus_outbox WHERE processed_at IS NOT NULL"
                               " AND attempts = 0 AND dead_at IS NULL"), ROWS);
    ck_assert_int_eq(count(db, "SELECT count(*) FROM effects"), ROWS);
    ck_assert_int_eq(count(db, "SELECT count(DISTINCT row_id) FROM effects"), ROWS);
    msgbus_bus_free(bus);
    msgbus_outbox_repo_free(repo);
    ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
}
END_TEST

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Holds the write lock of the database for a while, then lets go. */
struct holder {
    sqlite3 *db;
    int hold_ms;
};

static void *release_later(void *arg)
{
    struct holder *h = arg;
    usleep((useconds_t)h->hold_ms * 1000);
    sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL);
    return NULL;
}

/* Another connection holds the write lock: register waits for the
 * connection's busy timeout, then fails with a clear error; a lock
 * released within the timeout is simply waited for. */
START_TEST(busy_database_honours_the_busy_timeout_then_fails_clearly)
{
    make_file_name();
    sqlite3 *db = open_db();
    msgbus_outbox_repo *repo = repo_over(db);
    sqlite3 *other = open_db();
    exec(other, "BEGIN IMMEDIATE");

    sqlite3_busy_timeout(db, 300);
    msgbus_error err;
    msgbus_error_clear(&err);
    int64_t t0 = monotonic_ms();
    int rc = register_ship(repo, 1, &err);
    int64_t waited = monotonic_ms() - t0;
    ck_assert_int_eq(rc, MSGBUS_EIO);
    ck_assert_msg(strstr(err.text, "locked") != NULL, "error text: %s", err.text);
    ck_assert_msg(strstr(err.text, file) != NULL, "error text names no file: %s", err.text);
    ck_assert_msg(waited >= 250, "gave up after %lld ms, before the 300 ms busy timeout",
                  (long long)waited);
    ck_assert_int_eq(count(db, "SELECT count(*) FROM msgbus_outbox"), 0);

    /* The lock goes away after 100 ms; a 10 s timeout rides it out. */
    sqlite3_busy_timeout(db, 10000);
    struct holder h = { other, 100 };
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, release_later, &h), 0);
    rc = register_ship(repo, 2, &err);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_msg(rc == 0, "%s", err.text);
    ck_assert_int_eq(count(db, "SELECT count(*) FROM msgbus_outbox"), 1);

    ck_assert_int_eq(sqlite3_close(other), SQLITE_OK);
    msgbus_outbox_repo_free(repo);
    ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
}
END_TEST

static void write_bytes(const char *path, long offset, const void *data, size_t len)
{
    FILE *f = fopen(path, offset < 0 ? "wb" : "r+b");
    ck_assert_ptr_nonnull(f);
    if (offset > 0)
        ck_assert_int_eq(fseek(f, offset, SEEK_SET), 0);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* A file that is not a database at all: a clear error naming the file. */
START_TEST(a_file_that_is_not_a_database_gives_a_clear_error)
{
    make_file_name();
    static const char junk[] = "this is a text file, not an SQLite database, long enough to look\n";
    for (int i = 0; i < 64; i++)
        write_bytes(file, i == 0 ? -1 : (long)(i * (sizeof junk - 1)), junk, sizeof junk - 1);
    sqlite3 *db = open_db();
    msgbus_outbox_repo *repo = NULL;
    msgbus_error err;
    msgbus_error_clear(&err);
    int rc = msgbus_sqlite_outbox_new(db, NULL, 0, &repo, &err);
    ck_assert_int_eq(rc, MSGBUS_EIO);
    ck_assert_ptr_null(repo);
    ck_assert_msg(strstr(err.text, "not a database") != NULL, "error text: %s", err.text);
    ck_assert_msg(strstr(err.text, file) != NULL, "error text names no file: %s", err.text);
    ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
}
END_TEST

/* A database whose pages were overwritten: every operation returns an
 * error naming the file (SQLite's "malformed"), none crashes. */
START_TEST(a_corrupted_database_gives_clear_errors_and_no_crash)
{
    make_file_name();
    sqlite3 *db = open_db();
    msgbus_outbox_repo *repo = repo_over(db);
    msgbus_error err;
    exec(db, "BEGIN");
    for (int i = 0; i < 2000; i++)
        ck_assert_msg(register_ship(repo, i, &err) == 0, "%s", err.text);
    exec(db, "COMMIT");
    long long page_size = count(db, "PRAGMA page_size");
    long long pages = count(db, "PRAGMA page_count");
    msgbus_outbox_repo_free(repo);
    ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);

    /* Garbage over every page but the first (the header stays valid). */
    unsigned char *garbage = malloc((size_t)page_size);
    ck_assert_ptr_nonnull(garbage);
    unsigned seed = 7;
    for (long long p = 1; p < pages; p++) {
        for (long long i = 0; i < page_size; i++)
            garbage[i] = (unsigned char)(rand_r(&seed) & 0xff);
        write_bytes(file, (long)(p * page_size), garbage, (size_t)page_size);
    }
    free(garbage);

    db = open_db();
    repo = NULL;
    msgbus_error_clear(&err);
    int rc = msgbus_sqlite_outbox_new(db, NULL, MSGBUS_SQLITE_NO_CREATE, &repo, &err);
    if (rc == 0) {
        /* The schema page survived: the table's pages did not. */
        msgbus_outbox_counts counts;
        rc = msgbus_outbox_counts_get(repo, &counts, &err);
        ck_assert_int_eq(rc, MSGBUS_EIO);
        msgbus_outbox_row *rows = NULL;
        size_t n = 0;
        msgbus_error lerr;
        ck_assert_int_eq(msgbus_outbox_list(repo, MSGBUS_OUTBOX_PENDING, 10, &rows, &n, &lerr),
                         MSGBUS_EIO);
        msgbus_bus *bus = msgbus_bus_new(NULL);
        msgbus_error perr;
        ck_assert_int_lt(msgbus_process_outbox(bus, repo, NULL, NULL, &perr), 0);
        msgbus_bus_free(bus);
        msgbus_outbox_repo_free(repo);
    }
    ck_assert_int_eq(rc, MSGBUS_EIO);
    ck_assert_msg(strstr(err.text, "malformed") != NULL || strstr(err.text, "not a database"),
                  "error text: %s", err.text);
    ck_assert_msg(strstr(err.text, file) != NULL, "error text names no file: %s", err.text);
    ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sqlite faults");
    TCase *tc = tcase_create("faults");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, full_disk_fails_register_and_the_callers_transaction_rolls_back_whole);
    tcase_add_test(tc, full_disk_keeps_rows_pending_until_space_returns);
    tcase_add_test(tc, busy_database_honours_the_busy_timeout_then_fails_clearly);
    tcase_add_test(tc, a_file_that_is_not_a_database_gives_a_clear_error);
    tcase_add_test(tc, a_corrupted_database_gives_clear_errors_and_no_crash);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
