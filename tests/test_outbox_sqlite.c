/* test_outbox_sqlite.c - the SQLite repository: the repository contract,
 * plus what only a database shows: registering inside the caller's
 * transaction, atomic handler effects, table names and the schema. */
#include "outbox_contract.h"
#include "outbox_test_module.h"

#include <stdlib.h>
#include <string.h>
#include <msgbus/sqlite.h>

static sqlite3 *db;

msgbus_outbox_repo *test_repo_new(void)
{
    msgbus_outbox_repo *repo = NULL;
    msgbus_error err;
    ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    int rc = msgbus_sqlite_outbox_new(db, NULL, 0, &repo, &err);
    ck_assert_msg(rc == 0, "%s", err.text);
    return repo;
}

void test_repo_free(msgbus_outbox_repo *repo)
{
    msgbus_outbox_repo_free(repo);
    ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
    db = NULL;
}

/* The contract file defines ot_ship; here a second bus is not needed. */

static long long count(const char *sql)
{
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    long long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void exec(const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "");
}

static void register_ship(msgbus_outbox_repo *repo, int64_t order)
{
    ot_Ship m;
    msgbus_value_init(&ot_Ship_type, &m);
    m.order_id = order;
    m.label = (char *)"x";
    msgbus_error err;
    int rc = msgbus_outbox_register(repo, &m.base, NULL, NULL, &err);
    ck_assert_msg(rc == 0, "%s", err.text);
}

START_TEST(register_commits_and_rolls_back_with_the_callers_data)
{
    msgbus_outbox_repo *repo = test_repo_new();
    exec("CREATE TABLE orders (id INTEGER PRIMARY KEY)");
    exec("BEGIN");
    exec("INSERT INTO orders VALUES (1)");
    register_ship(repo, 1);
    exec("COMMIT");
    exec("BEGIN");
    exec("INSERT INTO orders VALUES (2)");
    register_ship(repo, 2);
    ck_assert_int_eq(count("SELECT count(*) FROM msgbus_outbox"), 2);
    exec("ROLLBACK");
    ck_assert_int_eq(count("SELECT count(*) FROM orders"), 1);
    ck_assert_int_eq(count("SELECT count(*) FROM msgbus_outbox"), 1);
    ck_assert_int_eq(count("SELECT count(*) FROM msgbus_outbox WHERE payload LIKE '%\"order_id\":1%'"), 1);
    /* register opened no transaction of its own. */
    ck_assert(sqlite3_get_autocommit(db));
    test_repo_free(repo);
}
END_TEST

START_TEST(table_name_is_validated)
{
    msgbus_outbox_repo *repo = test_repo_new();
    msgbus_outbox_repo *other = NULL;
    msgbus_error err;
    const char *bad[] = { "", "1abc", "a b", "x\"; DROP TABLE orders; --", "t-1", "é",
                          "a123456789012345678901234567890123456789012345678" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_int_eq(msgbus_sqlite_outbox_new(db, bad[i], 0, &other, &err), MSGBUS_EINVAL);
        ck_assert_ptr_null(other);
        ck_assert_ptr_nonnull(strstr(err.text, "invalid table name"));
    }
    ck_assert_int_eq(msgbus_sqlite_outbox_new(db, "Shop_Outbox_2", 0, &other, &err), 0);
    register_ship(other, 5);
    ck_assert_int_eq(count("SELECT count(*) FROM Shop_Outbox_2"), 1);
    ck_assert_int_eq(count("SELECT count(*) FROM msgbus_outbox"), 0);
    msgbus_outbox_repo_free(other);
    /* A tool must not create a table that is not there. */
    ck_assert_int_eq(msgbus_sqlite_outbox_new(db, "absent", MSGBUS_SQLITE_NO_CREATE, &other, &err),
                     MSGBUS_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.text, "absent"));
    ck_assert_int_eq(count("SELECT count(*) FROM sqlite_master WHERE name = 'absent'"), 0);
    /* A table of the wrong shape is refused with SQLite's reason. */
    exec("CREATE TABLE wrong (id TEXT)");
    ck_assert_int_eq(msgbus_sqlite_outbox_new(db, "wrong", MSGBUS_SQLITE_NO_CREATE, &other, &err),
                     MSGBUS_EIO);
    ck_assert_msg(strstr(err.text, "wrong") && strstr(err.text, "column"), "%s", err.text);
    test_repo_free(repo);
}
END_TEST

START_TEST(schema_has_the_columns_and_a_partial_pending_index)
{
    msgbus_outbox_repo *repo = test_repo_new();
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT group_concat(name, ',') FROM pragma_table_info('msgbus_outbox')",
                                        -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 0),
                     "id,kind,type,payload,meta,created_at,available_at,attempts,last_error,"
                     "locked_by,locked_until,processed_at,dead_at");
    sqlite3_finalize(st);
    ck_assert_int_eq(count("SELECT count(*) FROM sqlite_master WHERE type = 'index'"
                           " AND name = 'msgbus_outbox_pending'"
                           " AND sql LIKE '%WHERE processed_at IS NULL AND dead_at IS NULL'"), 1);
    /* The claim query walks that index. */
    ck_assert_int_eq(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT id FROM msgbus_outbox"
                                        " WHERE processed_at IS NULL AND dead_at IS NULL"
                                        " AND available_at <= 5 ORDER BY available_at, id LIMIT 10",
                                        -1, &st, NULL), SQLITE_OK);
    bool uses_index = false;
    while (sqlite3_step(st) == SQLITE_ROW)
        uses_index |= strstr((const char *)sqlite3_column_text(st, 3), "msgbus_outbox_pending") != NULL;
    sqlite3_finalize(st);
    ck_assert(uses_index);
    /* Creating again is harmless. */
    msgbus_outbox_repo *again = NULL;
    ck_assert_int_eq(msgbus_sqlite_outbox_new(db, NULL, 0, &again, NULL), 0);
    msgbus_outbox_repo_free(again);
    test_repo_free(repo);
}
END_TEST

/* A handler writing to the same database: its row must vanish when the
 * row fails (atomic) and stay when processing is not atomic. */
static int record_then_maybe_fail(msgbus_bus *bus, const msgbus_outbox_row *row, void *ud,
                                  msgbus_error *err)
{
    (void)bus; (void)ud;
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "INSERT INTO effects VALUES (?1)", -1, &st, NULL);
    sqlite3_bind_text(st, 1, row->id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return msgbus_error_set(err, MSGBUS_EIO, NULL, "%s", sqlite3_errmsg(db));
    if (strstr(row->payload, "\"order_id\":2"))
        return msgbus_error_set(err, MSGBUS_EHANDLER, NULL, "order 2 fails");
    return 0;
}

static void run_effects(bool atomic, long long want_effects)
{
    msgbus_outbox_repo *repo = test_repo_new();
    exec("CREATE TABLE effects (id TEXT)");
    for (int i = 1; i <= 3; i++)
        register_ship(repo, i);
    msgbus_outbox_options o;
    msgbus_outbox_options_init(&o);
    o.now = msgbus_outbox_now() + 10;
    o.atomic = atomic;
    msgbus_outbox_handler h = { "record", record_then_maybe_fail, NULL };
    ck_assert_int_eq(msgbus_set_outbox_handlers(&o, &h, 1, NULL), 0);
    msgbus_outbox_stats stats;
    msgbus_error err;
    int rc = msgbus_process_outbox(NULL, repo, &o, &stats, &err);
    ck_assert_msg(rc == 0, "%s", err.text);
    ck_assert_uint_eq(stats.processed, 2);
    ck_assert_uint_eq(stats.failed, 1);
    ck_assert(sqlite3_get_autocommit(db));
    ck_assert_int_eq(count("SELECT count(*) FROM effects"), want_effects);
    ck_assert_int_eq(count("SELECT count(*) FROM effects e JOIN msgbus_outbox o ON o.id = e.id"
                           " WHERE o.processed_at IS NULL"), want_effects - 2);
    ck_assert_int_eq(count("SELECT count(*) FROM msgbus_outbox WHERE attempts = 1"
                           " AND last_error = 'record: order 2 fails'"), 1);
    test_repo_free(repo);
}

START_TEST(atomic_processing_rolls_back_a_failed_rows_effects)
{
    run_effects(true, 2);
}
END_TEST

START_TEST(non_atomic_processing_keeps_them)
{
    run_effects(false, 3);
}
END_TEST

START_TEST(processing_inside_the_callers_transaction_uses_savepoints)
{
    msgbus_outbox_repo *repo = test_repo_new();
    register_ship(repo, 1);
    msgbus_outbox_options o;
    msgbus_outbox_options_init(&o);
    o.now = msgbus_outbox_now() + 10;
    exec("BEGIN");
    ck_assert_int_eq(msgbus_process_outbox(NULL, repo, &o, NULL, NULL), 0);
    ck_assert(!sqlite3_get_autocommit(db));
    ck_assert_int_eq(count("SELECT count(*) FROM msgbus_outbox WHERE processed_at IS NOT NULL"), 1);
    exec("ROLLBACK");
    ck_assert_int_eq(count("SELECT count(*) FROM msgbus_outbox WHERE processed_at IS NOT NULL"), 0);
    test_repo_free(repo);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("outbox_sqlite");
    TCase *tc = tcase_create("sqlite");
    tcase_add_test(tc, register_commits_and_rolls_back_with_the_callers_data);
    tcase_add_test(tc, table_name_is_validated);
    tcase_add_test(tc, schema_has_the_columns_and_a_partial_pending_index);
    tcase_add_test(tc, atomic_processing_rolls_back_a_failed_rows_effects);
    tcase_add_test(tc, non_atomic_processing_keeps_them);
    tcase_add_test(tc, processing_inside_the_callers_transaction_uses_savepoints);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, outbox_contract_tcase());
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
