/* test_outbox_crash.c - crash safety of the SQLite outbox (issue 4, item 6).
 *
 * A relay child drains 10,000 rows from an SQLite file; its handler records
 * each row id in a table `seen` of the same database.  The parent SIGKILLs
 * it at random moments, at least 50 times, restarting it each time, and
 * after each kill notes which rows the dead relay held under its lease and
 * had not marked processed: the rows in flight.  At the end every row must
 * be processed and seen, none lost, and any id seen twice must have been in
 * flight at a kill.  With atomic processing (the default: the handler's
 * insert commits with the mark, and the claim with them) a kill undoes the
 * whole batch, leases included, so no id may be seen twice at all. */
#define _DEFAULT_SOURCE     /* usleep, mkdtemp */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <msgbus/msgbus.h>
#include <msgbus/sqlite.h>

#define ROWS 10000
#define KILLS 50

static char dir[64];
static char path[128];

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "");
}

static long long count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    long long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static const msgbus_type event_type = { "crash.Tick", MSGBUS_KIND_EVENT, sizeof(msgbus_msg), 0,
                                         NULL, 0, NULL };

static void fill(void)
{
    sqlite3 *db;
    msgbus_outbox_repo *repo;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    exec_ok(db, "PRAGMA journal_mode = WAL");
    exec_ok(db, "CREATE TABLE seen (id TEXT NOT NULL);"
                "CREATE INDEX seen_id ON seen (id);"
                "CREATE TABLE inflight (id TEXT PRIMARY KEY)");
    ck_assert_int_eq(msgbus_sqlite_outbox_new(db, NULL, 0, &repo, NULL), 0);
    msgbus_msg m = { &event_type };
    for (int i = 0; i < ROWS; i++) {
        if (i % 500 == 0)
            exec_ok(db, "BEGIN");
        ck_assert_int_eq(msgbus_outbox_register(repo, &m, NULL, NULL, NULL), 0);
        if (i % 500 == 499)
            exec_ok(db, "COMMIT");
    }
    msgbus_outbox_repo_free(repo);
    sqlite3_close(db);
}

/* ---- the relay child ---------------------------------------------------- */

typedef struct relay {
    sqlite3 *db;
    sqlite3_stmt *record;
    int ready_fd;               /* written once, when the first row is handled */
} relay;

static int record_seen(msgbus_bus *bus, const msgbus_outbox_row *row, void *ud,
                       msgbus_error *err)
{
    relay *r = ud;
    (void)bus;
    sqlite3_bind_text(r->record, 1, row->id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(r->record);
    sqlite3_reset(r->record);
    /* Some work per row, so the relay drains at most about 10,000 rows a
     * second whatever the build: an optimized relay would otherwise empty
     * the outbox in fewer than KILLS runs. */
    usleep(100);
    if (r->ready_fd >= 0) {
        ssize_t w = write(r->ready_fd, "r", 1);
        (void)w;
        close(r->ready_fd);
        r->ready_fd = -1;
    }
    if (rc != SQLITE_DONE)
        return msgbus_error_set(err, MSGBUS_EIO, NULL, "%s", sqlite3_errmsg(r->db));
    return 0;
}

/* Drains the outbox; exits 0 when nothing is pending, 1 on an error. */
static void run_relay(int n, bool atomic, int ready_fd)
{
    relay r = { NULL, NULL, ready_fd };
    msgbus_outbox_repo *repo = NULL;
    char worker[32];
    if (sqlite3_open(path, &r.db) != SQLITE_OK)
        _exit(1);
    sqlite3_busy_timeout(r.db, 5000);
    sqlite3_exec(r.db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
    if (sqlite3_prepare_v2(r.db, "INSERT INTO seen VALUES (?1)", -1, &r.record, NULL) != SQLITE_OK ||
        msgbus_sqlite_outbox_new(r.db, NULL, MSGBUS_SQLITE_NO_CREATE, &repo, NULL) != 0)
        _exit(1);
    snprintf(worker, sizeof worker, "relay-%d", n);
    msgbus_outbox_options o;
    msgbus_outbox_options_init(&o);
    o.worker = worker;
    o.batch_size = 10;
    o.lease_ms = 40;
    o.atomic = atomic;
    msgbus_outbox_handler h = { "record", record_seen, &r };
    msgbus_set_outbox_handlers(&o, &h, 1, NULL);
    for (;;) {
        msgbus_outbox_stats st;
        msgbus_outbox_counts c;
        msgbus_error err;
        if (msgbus_process_outbox(NULL, repo, &o, &st, &err) != 0) {
            fprintf(stderr, "relay-%d: %s\n", n, err.text);
            _exit(1);
        }
        if (st.claimed == 0) {
            if (msgbus_outbox_counts_get(repo, &c, NULL) != 0)
                _exit(1);
            if (c.pending == 0)
                break;
            usleep(2000);   /* rows still leased by a dead relay */
        }
    }
    msgbus_outbox_repo_free(repo);
    sqlite3_finalize(r.record);
    sqlite3_close(r.db);
    _exit(0);
}

/* ---- the parent ---------------------------------------------------------- */

static void note_in_flight(sqlite3 *db, int n)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT OR IGNORE INTO inflight SELECT id FROM msgbus_outbox"
             " WHERE locked_by = 'relay-%d' AND processed_at IS NULL", n);
    exec_ok(db, sql);
}

static void crash_many_times(bool atomic)
{
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    srand(seed);
    snprintf(dir, sizeof dir, "/tmp/msgbus-crash-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/outbox.db", dir);
    fill();

    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    int kills = 0, runs = 0;
    long long drained = 0;      /* rows processed by relays that were killed */
    for (bool done = false; !done; runs++) {
        int ready[2];
        ck_assert_int_eq(pipe(ready), 0);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            signal(SIGPIPE, SIG_IGN);   /* the parent may not listen any more */
            close(ready[0]);
            run_relay(runs, atomic, ready[1]);
        }
        close(ready[1]);
        int status;
        if (kills < KILLS) {
            /* Wait until it handles a row, then kill it a random moment later. */
            char c;
            ssize_t got = read(ready[0], &c, 1);
            if (got == 1)
                usleep((useconds_t)(rand() % 8000));
            kill(pid, SIGKILL);
        }
        close(ready[0]);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        if (WIFSIGNALED(status)) {
            ck_assert_int_eq(WTERMSIG(status), SIGKILL);
            kills++;
            note_in_flight(db, runs);
            drained = count(db, "SELECT count(*) FROM msgbus_outbox WHERE processed_at IS NOT NULL");
        } else {
            ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                          "relay failed (seed %u)", seed);
            done = true;
        }
    }
    ck_assert_msg(kills >= KILLS, "only %d kills before the outbox was drained (seed %u)", kills, seed);
    /* The killed relays made progress: the kills hit a relay at work. */
    ck_assert_int_gt(drained, 0);
    ck_assert_int_lt(drained, ROWS);

    /* Nothing lost: every row processed, and seen. */
    ck_assert_int_eq(count(db, "SELECT count(*) FROM msgbus_outbox"), ROWS);
    ck_assert_int_eq(count(db, "SELECT count(*) FROM msgbus_outbox WHERE processed_at IS NOT NULL"), ROWS);
    ck_assert_int_eq(count(db, "SELECT count(*) FROM msgbus_outbox o"
                               " WHERE NOT EXISTS (SELECT 1 FROM seen s WHERE s.id = o.id)"), 0);
    ck_assert_int_eq(count(db, "SELECT count(*) FROM seen s"
                               " WHERE NOT EXISTS (SELECT 1 FROM msgbus_outbox o WHERE o.id = s.id)"), 0);
    /* Without atomic processing, the kills did catch rows in flight. */
    long long in_flight = count(db, "SELECT count(*) FROM inflight");
    if (!atomic)
        ck_assert_int_gt(in_flight, 0);
    /* Duplicates only from rows in flight. */
    long long dups = count(db, "SELECT count(*) FROM (SELECT id FROM seen GROUP BY id HAVING count(*) > 1)");
    ck_assert_int_eq(count(db, "SELECT count(*) FROM (SELECT id FROM seen GROUP BY id HAVING count(*) > 1)"
                               " WHERE id NOT IN (SELECT id FROM inflight)"), 0);
    if (atomic)
        ck_assert_msg(dups == 0, "%lld ids seen twice despite atomic processing (seed %u)", dups, seed);
    fprintf(stderr, "%s: %d kills, %lld rows drained by killed relays, %lld in flight at kills,"
            " %lld seen twice\n", atomic ? "atomic" : "non-atomic", kills, drained, in_flight, dups);
    sqlite3_close(db);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(atomic_relay_survives_sigkill)
{
    crash_many_times(true);
}
END_TEST

START_TEST(non_atomic_relay_repeats_only_rows_in_flight)
{
    crash_many_times(false);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("outbox_crash");
    TCase *tc = tcase_create("sigkill");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, atomic_relay_survives_sigkill);
    tcase_add_test(tc, non_atomic_relay_repeats_only_rows_in_flight);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
