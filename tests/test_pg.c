/* test_pg.c - the PostgreSQL repository on a real server (started by
 * tests/pg.test, address in MSGBUS_TEST_PG): the repository contract, plus
 * the caller's transaction, atomic effects, pipelined registration,
 * LISTEN/NOTIFY wake-ups and the inbox. */
#include "outbox_contract.h"
#include "outbox_test_module.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <msgbus/pg.h>

static PGconn *conn;

static PGconn *connect_db(void)
{
    const char *info = getenv("MSGBUS_TEST_PG");
    ck_assert_msg(info != NULL, "MSGBUS_TEST_PG is not set: run tests/pg.test");
    PGconn *c = PQconnectdb(info);
    ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    return c;
}

static void exec_on(PGconn *c, const char *sql)
{
    PGresult *res = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(res);
    ck_assert_msg(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", sql,
                  PQresultErrorMessage(res));
    PQclear(res);
}

static void exec(const char *sql)
{
    exec_on(conn, sql);
}

static long long count(const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql, PQresultErrorMessage(res));
    long long n = atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    return n;
}

msgbus_outbox_repo *test_repo_new(void)
{
    msgbus_outbox_repo *repo = NULL;
    msgbus_error err;
    conn = connect_db();
    exec("DROP TABLE IF EXISTS msgbus_outbox, effects, msgbus_inbox");
    int rc = msgbus_pg_outbox_new(conn, NULL, 0, &repo, &err);
    ck_assert_msg(rc == 0, "%s", err.text);
    return repo;
}

void test_repo_free(msgbus_outbox_repo *repo)
{
    msgbus_outbox_repo_free(repo);
    PQfinish(conn);
    conn = NULL;
}

static void register_ship(msgbus_outbox_repo *repo, int64_t order, char *id)
{
    ot_Ship m;
    msgbus_value_init(&ot_Ship_type, &m);
    m.order_id = order;
    m.label = (char *)"x";
    msgbus_error err;
    int rc = msgbus_outbox_register(repo, &m.base, id, NULL, &err);
    ck_assert_msg(rc == 0, "%s", err.text);
}

START_TEST(register_commits_and_rolls_back_with_the_callers_data)
{
    msgbus_outbox_repo *repo = test_repo_new();
    exec("CREATE TABLE orders (id int PRIMARY KEY)");
    exec("BEGIN");
    exec("INSERT INTO orders VALUES (1)");
    register_ship(repo, 1, NULL);
    exec("COMMIT");
    exec("BEGIN");
    exec("INSERT INTO orders VALUES (2)");
    register_ship(repo, 2, NULL);
    ck_assert_int_eq(count("SELECT count(*) FROM msgbus_outbox"), 2);
    exec("ROLLBACK");
    ck_assert_int_eq(count("SELECT count(*) FROM orders"), 1);
    ck_assert_int_eq(count("SELECT count(*) FROM msgbus_outbox"), 1);
    ck_assert_int_eq(count("SELECT count(*) FROM msgbus_outbox WHERE payload LIKE '%\"order_id\":1%'"), 1);
    /* register opened no transaction of its own. */
    ck_assert_int_eq(PQtransactionStatus(conn), PQTRANS_IDLE);
    exec("DROP TABLE orders");
    test_repo_free(repo);
}
END_TEST

START_TEST(table_name_is_validated_and_no_create_finds_missing_tables)
{
    conn = connect_db();
    msgbus_outbox_repo *repo = NULL;
    msgbus_error err;
    ck_assert_int_eq(msgbus_pg_outbox_new(conn, "x; DROP TABLE y", 0, &repo, &err), MSGBUS_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.text, "invalid table name"));
    ck_assert_int_eq(msgbus_pg_outbox_new(NULL, NULL, 0, &repo, &err), MSGBUS_EINVAL);
    ck_assert(!msgbus_outbox_table_name_valid("1abc"));
    ck_assert(msgbus_outbox_table_name_valid("shop_outbox_2"));
    exec("DROP TABLE IF EXISTS nowhere");
    ck_assert_int_eq(msgbus_pg_outbox_new(conn, "nowhere", MSGBUS_PG_NO_CREATE, &repo, &err),
                     MSGBUS_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.text, "no table nowhere"));
    ck_assert_ptr_null(repo);
    /* Two repositories on one connection and table do not clash. */
    msgbus_outbox_repo *a = NULL, *b = NULL;
    ck_assert_int_eq(msgbus_pg_outbox_new(conn, "two_repos", 0, &a, &err), 0);
    ck_assert_int_eq(msgbus_pg_outbox_new(conn, "two_repos", 0, &b, &err), 0);
    ck_assert_ptr_eq(msgbus_pg_outbox_conn(a), conn);
    ck_assert_ptr_null(msgbus_pg_outbox_conn(NULL));
    msgbus_outbox_repo_free(a);
    msgbus_outbox_repo_free(b);
    exec("DROP TABLE two_repos");
    PQfinish(conn);
}
END_TEST

/* A relay starting against a busy outbox: with the table complete it only
 * reads the catalogs, so a producer's open transaction does not hold it up
 * (creating would wait for it: lock_timeout turns that wait into an
 * error); what is missing or stale is created again. */
START_TEST(an_existing_table_is_opened_without_locking_it)
{
    msgbus_outbox_repo *repo = test_repo_new(), *relay = NULL;
    msgbus_error err;
    PGconn *producer = connect_db(), *starting = connect_db();
    exec_on(producer, "BEGIN");
    exec_on(producer, "INSERT INTO msgbus_outbox (id, kind, type, payload, created_at,"
                      " available_at) VALUES ('open', 'EVENT', 't', '{}', 0, 0)");
    exec_on(starting, "SET lock_timeout = '1s'");
    int rc = msgbus_pg_outbox_new(starting, NULL, 0, &relay, &err);
    ck_assert_msg(rc == 0, "%s", err.text);
    msgbus_outbox_repo_free(relay);
    relay = NULL;
    /* A missing trigger, index or function body is created: waiting for
     * the producer then, as DDL must. */
    exec_on(producer, "COMMIT");
    exec("DROP TRIGGER msgbus_outbox_notify ON msgbus_outbox");
    exec("DROP INDEX msgbus_outbox_dead");
    ck_assert_int_eq(msgbus_pg_outbox_new(starting, NULL, 0, &relay, &err), 0);
    msgbus_outbox_repo_free(relay);
    relay = NULL;
    ck_assert_int_eq(count("SELECT count(*) FROM pg_trigger WHERE tgname = 'msgbus_outbox_notify'"),
                     1);
    ck_assert_int_eq(count("SELECT count(*) FROM pg_class WHERE relname = 'msgbus_outbox_dead'"),
                     1);
    exec("CREATE OR REPLACE FUNCTION msgbus_outbox_notify() RETURNS trigger LANGUAGE plpgsql"
         " AS $f$BEGIN RETURN NULL; END$f$");
    ck_assert_int_eq(msgbus_pg_outbox_new(starting, NULL, 0, &relay, &err), 0);
    msgbus_outbox_repo_free(relay);
    ck_assert_int_eq(count("SELECT count(*) FROM pg_proc WHERE proname = 'msgbus_outbox_notify'"
                           " AND prosrc LIKE '%pg_notify(''msgbus_outbox''%'"),
                     1);
    PQfinish(starting);
    PQfinish(producer);
    test_repo_free(repo);
}
END_TEST

/* A handler that writes an effect through the repository's connection and
 * fails for order 2. */
static int record_then_maybe_fail(msgbus_bus *bus, const msgbus_outbox_row *row, void *ud,
                                  msgbus_error *err)
{
    (void)bus;
    (void)ud;
    const char *params[1] = { row->id };
    PGresult *res = PQexecParams(conn, "INSERT INTO effects VALUES ($1)", 1, NULL, params, NULL,
                                 NULL, 0);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!ok)
        return msgbus_error_set(err, MSGBUS_EIO, NULL, "cannot write the effect");
    if (strstr(row->payload, "\"order_id\":2"))
        return msgbus_error_set(err, MSGBUS_EHANDLER, NULL, "order 2 fails");
    return 0;
}

static void run_effects(bool atomic, bool handlers_write, long long want_effects)
{
    msgbus_outbox_repo *repo = test_repo_new();
    exec("CREATE TABLE effects (id text)");
    for (int i = 1; i <= 3; i++)
        register_ship(repo, i, NULL);
    msgbus_outbox_options o;
    msgbus_outbox_options_init(&o);
    o.now = msgbus_outbox_now() + 10;
    o.atomic = atomic;
    o.handlers_write = handlers_write;
    msgbus_outbox_handler h = { "record", record_then_maybe_fail, NULL };
    ck_assert_int_eq(msgbus_set_outbox_handlers(&o, &h, 1, NULL), 0);
    msgbus_outbox_stats stats;
    msgbus_error err;
    int rc = msgbus_process_outbox(NULL, repo, &o, &stats, &err);
    ck_assert_msg(rc == 0, "%s", err.text);
    ck_assert_uint_eq(stats.processed, 2);
    ck_assert_uint_eq(stats.failed, 1);
    ck_assert_int_eq(PQtransactionStatus(conn), PQTRANS_IDLE);
    ck_assert_int_eq(count("SELECT count(*) FROM effects"), want_effects);
    ck_assert_int_eq(count("SELECT count(*) FROM effects e JOIN msgbus_outbox o ON o.id = e.id"
                           " WHERE o.processed_at IS NULL"), want_effects - 2);
    ck_assert_int_eq(count("SELECT count(*) FROM msgbus_outbox WHERE processed_at IS NOT NULL"
                           " AND locked_by IS NULL"), 2);
    ck_assert_int_eq(count("SELECT count(*) FROM msgbus_outbox WHERE attempts = 1"
                           " AND last_error = 'record: order 2 fails'"), 1);
    test_repo_free(repo);
}

START_TEST(atomic_processing_rolls_back_a_failed_rows_effects)
{
    run_effects(true, true, 2);
}
END_TEST

/* handlers_write false drops the rows' savepoints: the marks and the
 * failure are still right, but a handler that breaks the promise and
 * fails keeps its write (the documented price). */
START_TEST(without_handler_writes_rows_share_the_batch)
{
    run_effects(true, false, 3);
}
END_TEST

START_TEST(non_atomic_processing_keeps_them)
{
    run_effects(false, true, 3);
}
END_TEST

/* Order n: writes an effect when n % 3 == 2, or n is 6 or 9, and
 * fails when n % 3 == 0; order 4 writes through libpq's asynchronous
 * functions, on the connection msgbus_pg_outbox_conn gives. */
static int write_some_fail_some(msgbus_bus *bus, const msgbus_outbox_row *row, void *ud,
                                msgbus_error *err)
{
    msgbus_outbox_repo *repo = ud;
    const char *params[1] = { row->id };
    const char *p = strstr(row->payload, "\"order_id\":");
    int order = p ? atoi(p + strlen("\"order_id\":")) : 0;
    bool ok = true;
    (void)bus;
    if (order == 4) {
        PGconn *c = msgbus_pg_outbox_conn(repo);
        PGresult *res;
        ok = PQsendQueryParams(c, "INSERT INTO effects VALUES ($1)", 1, NULL, params, NULL,
                               NULL, 0) == 1;
        while ((res = PQgetResult(c)) != NULL) {
            ok = ok && PQresultStatus(res) == PGRES_COMMAND_OK;
            PQclear(res);
        }
    } else if (order % 3 == 2 || order == 6 || order == 9) {
        PGresult *res = PQexecParams(conn, "INSERT INTO effects VALUES ($1)", 1, NULL, params,
                                     NULL, NULL, 0);
        ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        PQclear(res);
    }
    if (!ok)
        return msgbus_error_set(err, MSGBUS_EIO, NULL, "cannot write the effect");
    if (order % 3 == 0)
        return msgbus_error_set(err, MSGBUS_EHANDLER, NULL, "order %d fails", order);
    return 0;
}

/* The rows' savepoint is kept across rows that do not write: a failing row
 * still loses exactly its own writes, whatever the rows before it did. */
START_TEST(a_failing_row_loses_only_its_writes_among_rows_that_do_not_write)
{
    msgbus_outbox_repo *repo = test_repo_new();
    exec("CREATE TABLE effects (id text)");
    for (int i = 1; i <= 9; i++)
        register_ship(repo, i, NULL);
    msgbus_outbox_options o;
    msgbus_outbox_options_init(&o);
    o.now = msgbus_outbox_now() + 10;
    msgbus_outbox_handler h = { "some", write_some_fail_some, repo };
    ck_assert_int_eq(msgbus_set_outbox_handlers(&o, &h, 1, NULL), 0);
    msgbus_outbox_stats stats;
    msgbus_error err;
    int rc = msgbus_process_outbox(NULL, repo, &o, &stats, &err);
    ck_assert_msg(rc == 0, "%s", err.text);
    ck_assert_uint_eq(stats.processed, 6);
    ck_assert_uint_eq(stats.failed, 3);
    ck_assert_int_eq(PQtransactionStatus(conn), PQTRANS_IDLE);
    /* Orders 2, 5 and 8 wrote with PQexec, 4 asynchronously; 6 and 9 wrote
     * and failed. */
    ck_assert_int_eq(count("SELECT count(*) FROM effects"), 4);
    ck_assert_int_eq(count("SELECT count(*) FROM effects e JOIN msgbus_outbox o ON o.id = e.id"
                           " WHERE o.processed_at IS NOT NULL"), 4);
    ck_assert_int_eq(count("SELECT count(*) FROM msgbus_outbox WHERE processed_at IS NULL"
                           " AND attempts = 1 AND last_error LIKE 'some: order % fails'"), 3);
    test_repo_free(repo);
}
END_TEST

/* A batch's claim holds row locks instead of writing a lease: each handler
 * still sees the lease on its row, and a relay on another connection finds
 * no row to claim until the batch ends. */
typedef struct lease_check {
    const char *worker;
    int64_t until;
    PGconn *other;
    int rows, leased, claimable;
} lease_check;

static int check_lease(msgbus_bus *bus, const msgbus_outbox_row *row, void *ud,
                       msgbus_error *err)
{
    lease_check *lc = ud;
    (void)bus;
    (void)err;
    lc->rows++;
    if (row->locked_by && strcmp(row->locked_by, lc->worker) == 0 &&
        row->locked_until == lc->until)
        lc->leased++;
    PGresult *res = PQexec(lc->other, "SELECT count(*) FROM (SELECT id FROM msgbus_outbox"
                                      " WHERE processed_at IS NULL FOR UPDATE SKIP LOCKED) AS f");
    ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
    lc->claimable += atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

START_TEST(a_batch_locks_its_rows_and_shows_them_leased)
{
    msgbus_outbox_repo *repo = test_repo_new();
    for (int i = 1; i <= 3; i++)
        register_ship(repo, i, NULL);
    msgbus_outbox_options o;
    msgbus_outbox_options_init(&o);
    o.now = msgbus_outbox_now() + 10;
    o.worker = "relay-a";
    lease_check lc = { "relay-a", o.now + o.lease_ms, connect_db(), 0, 0, 0 };
    msgbus_outbox_handler h = { "check", check_lease, &lc };
    ck_assert_int_eq(msgbus_set_outbox_handlers(&o, &h, 1, NULL), 0);
    msgbus_outbox_stats stats;
    msgbus_error err;
    int rc = msgbus_process_outbox(NULL, repo, &o, &stats, &err);
    ck_assert_msg(rc == 0, "%s", err.text);
    ck_assert_uint_eq(stats.processed, 3);
    ck_assert_int_eq(lc.rows, 3);
    ck_assert_int_eq(lc.leased, 3);
    ck_assert_int_eq(lc.claimable, 0);
    ck_assert_int_eq(count("SELECT count(*) FROM msgbus_outbox WHERE processed_at IS NOT NULL"
                           " AND locked_by IS NULL AND locked_until IS NULL"), 3);
    PQfinish(lc.other);
    test_repo_free(repo);
}
END_TEST

START_TEST(processing_inside_the_callers_transaction_uses_savepoints)
{
    msgbus_outbox_repo *repo = test_repo_new();
    register_ship(repo, 1, NULL);
    register_ship(repo, 2, NULL);
    msgbus_outbox_options o;
    msgbus_outbox_options_init(&o);
    o.now = msgbus_outbox_now() + 10;
    exec("BEGIN");
    ck_assert_int_eq(msgbus_process_outbox(NULL, repo, &o, NULL, NULL), 0);
    ck_assert_int_eq(PQtransactionStatus(conn), PQTRANS_INTRANS);
    ck_assert_int_eq(count("SELECT count(*) FROM msgbus_outbox WHERE processed_at IS NOT NULL"), 2);
    exec("ROLLBACK");
    ck_assert_int_eq(count("SELECT count(*) FROM msgbus_outbox WHERE processed_at IS NOT NULL"), 0);
    test_repo_free(repo);
}
END_TEST

START_TEST(pipeline_registers_a_batch_in_the_callers_transaction)
{
    msgbus_outbox_repo *repo = test_repo_new();
    msgbus_error err;
    exec("BEGIN");
    ck_assert_int_eq(msgbus_pg_outbox_pipeline_begin(repo, &err), 0);
    ck_assert_int_eq(msgbus_pg_outbox_pipeline_begin(repo, &err), MSGBUS_ESTATE);
    for (int i = 0; i < 1500; i++)
        register_ship(repo, i, NULL);
    /* Other calls must wait for the pipeline's end. */
    msgbus_outbox_counts c;
    ck_assert_int_eq(msgbus_outbox_counts_get(repo, &c, &err), MSGBUS_ESTATE);
    ck_assert_int_eq(msgbus_pg_outbox_pipeline_end(repo, &err), 0);
    exec("COMMIT");
    ck_assert_int_eq(count("SELECT count(*) FROM msgbus_outbox"), 1500);
    ck_assert_int_eq(count("SELECT count(DISTINCT payload) FROM msgbus_outbox"), 1500);

    /* A duplicate id in a pipeline: end reports it, the caller rolls back,
     * nothing of the batch stays. */
    char id[MSGBUS_OUTBOX_ID_SIZE] = "dup-1";
    exec("BEGIN");
    ck_assert_int_eq(msgbus_pg_outbox_pipeline_begin(repo, &err), 0);
    register_ship(repo, 9001, NULL);
    register_ship(repo, 9002, id);
    register_ship(repo, 9003, id);
    ck_assert_int_eq(msgbus_pg_outbox_pipeline_end(repo, &err), MSGBUS_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.text, "duplicate key"));
    exec("ROLLBACK");
    ck_assert_int_eq(count("SELECT count(*) FROM msgbus_outbox"), 1500);
    ck_assert_int_eq(msgbus_pg_outbox_pipeline_end(repo, &err), MSGBUS_ESTATE);
    test_repo_free(repo);
}
END_TEST

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(notify_wakes_a_listening_relay)
{
    msgbus_outbox_repo *repo = test_repo_new();
    msgbus_error err;
    ck_assert_int_eq(msgbus_pg_outbox_listen(repo, &err), 0);
    /* Nothing registered: the wait times out. */
    int64_t t0 = mono_ms();
    ck_assert_int_eq(msgbus_pg_outbox_wait(repo, 200, &err), 0);
    ck_assert_int_ge(mono_ms() - t0, 190);
    /* A row committed by another session wakes it well before the timeout. */
    PGconn *other = connect_db();
    msgbus_outbox_repo *writer = NULL;
    ck_assert_int_eq(msgbus_pg_outbox_new(other, NULL, 0, &writer, &err), 0);
    exec_on(other, "BEGIN");
    ot_Ship m;
    msgbus_value_init(&ot_Ship_type, &m);
    m.order_id = 7;
    m.label = (char *)"wake";
    ck_assert_int_eq(msgbus_outbox_register(writer, &m.base, NULL, NULL, &err), 0);
    /* Not before the commit. */
    ck_assert_int_eq(msgbus_pg_outbox_wait(repo, 100, &err), 0);
    exec_on(other, "COMMIT");
    t0 = mono_ms();
    ck_assert_int_eq(msgbus_pg_outbox_wait(repo, 5000, &err), 1);
    ck_assert_int_lt(mono_ms() - t0, 2000);
    msgbus_outbox_repo_free(writer);
    PQfinish(other);
    test_repo_free(repo);
}
END_TEST

START_TEST(inbox_records_a_message_once_in_the_handlers_transaction)
{
    msgbus_outbox_repo *repo = test_repo_new();
    msgbus_inbox in;
    msgbus_error err;
    ck_assert_int_eq(msgbus_pg_inbox_new(conn, NULL, &in, &err), 0);
    exec("CREATE TABLE effects (id text)");
    /* First delivery: new; its effect commits with the record. */
    ck_assert_int_eq(in.ops->begin(in.self, &err), 0);
    ck_assert_int_eq(in.ops->record(in.self, "billing", "m-1", &err), 1);
    exec("INSERT INTO effects VALUES ('m-1')");
    ck_assert_int_eq(in.ops->end(in.self, true, &err), 0);
    /* Redelivered: a duplicate. */
    ck_assert_int_eq(in.ops->begin(in.self, &err), 0);
    ck_assert_int_eq(in.ops->record(in.self, "billing", "m-1", &err), 0);
    ck_assert_int_eq(in.ops->end(in.self, true, &err), 0);
    /* Another consumer has its own inbox rows. */
    ck_assert_int_eq(in.ops->begin(in.self, &err), 0);
    ck_assert_int_eq(in.ops->record(in.self, "audit", "m-1", &err), 1);
    ck_assert_int_eq(in.ops->end(in.self, true, &err), 0);
    /* A handler failure rolls back both the effect and the record, so
     * the redelivery is handled. */
    ck_assert_int_eq(in.ops->begin(in.self, &err), 0);
    ck_assert_int_eq(in.ops->record(in.self, "billing", "m-2", &err), 1);
    exec("INSERT INTO effects VALUES ('m-2')");
    ck_assert_int_eq(in.ops->end(in.self, false, &err), 0);
    ck_assert_int_eq(in.ops->begin(in.self, &err), 0);
    ck_assert_int_eq(in.ops->record(in.self, "billing", "m-2", &err), 1);
    ck_assert_int_eq(in.ops->end(in.self, true, &err), 0);
    ck_assert_int_eq(count("SELECT count(*) FROM effects"), 1);
    ck_assert_int_eq(count("SELECT count(*) FROM msgbus_inbox"), 3);
    /* Inside the caller's transaction the inbox uses a savepoint. */
    exec("BEGIN");
    ck_assert_int_eq(in.ops->begin(in.self, &err), 0);
    ck_assert_int_eq(in.ops->record(in.self, "billing", "m-3", &err), 1);
    ck_assert_int_eq(in.ops->end(in.self, true, &err), 0);
    ck_assert_int_eq(PQtransactionStatus(conn), PQTRANS_INTRANS);
    exec("ROLLBACK");
    ck_assert_int_eq(count("SELECT count(*) FROM msgbus_inbox"), 3);
    msgbus_inbox_free(&in);
    msgbus_inbox_free(&in);     /* a freed inbox is empty: no-op */
    test_repo_free(repo);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pg");
    TCase *tc = tcase_create("pg");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, register_commits_and_rolls_back_with_the_callers_data);
    tcase_add_test(tc, table_name_is_validated_and_no_create_finds_missing_tables);
    tcase_add_test(tc, an_existing_table_is_opened_without_locking_it);
    tcase_add_test(tc, atomic_processing_rolls_back_a_failed_rows_effects);
    tcase_add_test(tc, non_atomic_processing_keeps_them);
    tcase_add_test(tc, without_handler_writes_rows_share_the_batch);
    tcase_add_test(tc, a_failing_row_loses_only_its_writes_among_rows_that_do_not_write);
    tcase_add_test(tc, a_batch_locks_its_rows_and_shows_them_leased);
    tcase_add_test(tc, processing_inside_the_callers_transaction_uses_savepoints);
    tcase_add_test(tc, pipeline_registers_a_batch_in_the_callers_transaction);
    tcase_add_test(tc, notify_wakes_a_listening_relay);
    tcase_add_test(tc, inbox_records_a_message_once_in_the_handlers_transaction);
    suite_add_tcase(s, tc);
    TCase *contract = outbox_contract_tcase();
    tcase_set_timeout(contract, 60);
    suite_add_tcase(s, contract);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
