/* test_outbox.c - the outbox core: the repository contract on the memory
 * repository, UUIDv7 ids, backoff and options. */
#include "outbox_contract.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

msgbus_outbox_repo *test_repo_new(void)
{
    return msgbus_outbox_memory_new();
}

void test_repo_free(msgbus_outbox_repo *repo)
{
    msgbus_outbox_repo_free(repo);
}

START_TEST(ids_are_uuid7_and_increase)
{
    msgbus_outbox_repo *repo = msgbus_outbox_memory_new();
    static const msgbus_type t = { "x.E", MSGBUS_KIND_EVENT, sizeof(msgbus_msg), 0, NULL, 0, NULL };
    msgbus_msg m = { &t };
    char prev[MSGBUS_OUTBOX_ID_SIZE] = "";
    /* Many ids within the same milliseconds must still be ordered. */
    for (int i = 0; i < 5000; i++) {
        char id[MSGBUS_OUTBOX_ID_SIZE] = "";
        ck_assert_int_eq(msgbus_outbox_register(repo, &m, id, NULL, NULL), 0);
        ck_assert_uint_eq(strlen(id), 36);
        ck_assert_int_eq(id[8], '-');
        ck_assert_int_eq(id[14], '7');
        ck_assert_ptr_nonnull(strchr("89ab", id[19]));
        ck_assert_msg(strcmp(prev, id) < 0, "%s then %s", prev, id);
        strcpy(prev, id);
    }
    /* The first 48 bits are the time in milliseconds. */
    unsigned long long ms = strtoull((char[]){ prev[0], prev[1], prev[2], prev[3], prev[4], prev[5],
                                              prev[6], prev[7], prev[9], prev[10], prev[11], prev[12], 0 },
                                     NULL, 16);
    long long now = (long long)msgbus_outbox_now();
    ck_assert_int_le((long long)ms, now + 5);
    ck_assert_int_ge((long long)ms, now - 60000);
    msgbus_outbox_repo_free(repo);
}
END_TEST

START_TEST(backoff_doubles_caps_and_jitters)
{
    msgbus_outbox_options o;
    msgbus_outbox_options_init(&o);
    o.backoff_base_ms = 1000;
    o.backoff_max_ms = 10000;
    ck_assert_int_eq(msgbus_outbox_backoff(&o, 1, 0), 500);
    ck_assert_int_eq(msgbus_outbox_backoff(&o, 1, 500), 1000);
    ck_assert_int_eq(msgbus_outbox_backoff(&o, 2, 1000), 2000);
    ck_assert_int_eq(msgbus_outbox_backoff(&o, 3, 2000), 4000);
    ck_assert_int_eq(msgbus_outbox_backoff(&o, 4, 0), 4000);
    ck_assert_int_eq(msgbus_outbox_backoff(&o, 5, 5000), 10000);   /* capped */
    ck_assert_int_eq(msgbus_outbox_backoff(&o, 500, 5000), 10000);
    /* Jitter spreads over [d/2, d]. */
    int64_t lo = INT64_MAX, hi = 0;
    for (uint64_t r = 0; r < 4000; r += 7) {
        int64_t d = msgbus_outbox_backoff(&o, 2, r * 2654435761u);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    ck_assert_int_ge(lo, 1000);
    ck_assert_int_le(lo, 1100);
    ck_assert_int_le(hi, 2000);
    ck_assert_int_ge(hi, 1900);
}
END_TEST

START_TEST(options_defaults_and_validation)
{
    msgbus_outbox_options o;
    msgbus_outbox_options_init(&o);
    ck_assert_uint_eq(o.batch_size, 100);
    ck_assert_int_eq(o.max_attempts, 5);
    ck_assert(o.atomic);
    ck_assert_int_eq(msgbus_set_outbox_handlers(&o, NULL, 1, NULL), MSGBUS_EINVAL);
    ck_assert_int_eq(msgbus_set_outbox_handlers(&o, NULL, 0, NULL), 0);
    msgbus_outbox_repo *repo = msgbus_outbox_memory_new();
    o.batch_size = 0;
    msgbus_error err;
    ck_assert_int_eq(msgbus_process_outbox(NULL, repo, &o, NULL, &err), MSGBUS_EINVAL);
    ck_assert_int_eq(msgbus_process_outbox(NULL, NULL, NULL, NULL, &err), MSGBUS_EINVAL);
    /* Records cannot be registered. */
    static const msgbus_type rec = { "x.R", MSGBUS_KIND_RECORD, sizeof(msgbus_msg), 0, NULL, 0, NULL };
    msgbus_msg m = { &rec };
    ck_assert_int_eq(msgbus_outbox_register(repo, &m, NULL, NULL, &err), MSGBUS_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.text, "x.R"));
    msgbus_outbox_repo_free(repo);
}
END_TEST

/* A repository written before the filters and ages: its operations end at
 * free.  It counts 3 pending rows and leaves everything else alone. */
static int old_counts(void *self, int64_t now, msgbus_outbox_counts *out, msgbus_error *err)
{
    (void)self; (void)now; (void)err;
    out->pending = 3;
    return 0;
}

static void old_free(void *self)
{
    free(self);
}

START_TEST(a_repository_without_the_new_operations_says_so)
{
    static const msgbus_outbox_repo_ops old = { .counts = old_counts, .free = old_free };
    size_t old_size = offsetof(msgbus_outbox_repo_ops, free) + sizeof old.free;
    msgbus_outbox_repo *repo = msgbus_outbox_repo_new_sized(&old, old_size, malloc(1));
    ck_assert_ptr_nonnull(repo);
    msgbus_outbox_row *rows;
    size_t n;
    msgbus_error err;
    ck_assert_int_eq(msgbus_outbox_list_filtered(repo, NULL, &rows, &n, &err), MSGBUS_ENOTSUP);
    ck_assert_ptr_nonnull(strstr(err.text, "no filters"));
    ck_assert_int_eq(msgbus_outbox_retry_filtered(repo, NULL, true, &n, &err), MSGBUS_ENOTSUP);
    msgbus_outbox_filter f;
    msgbus_outbox_filter_init(&f);
    f.state = MSGBUS_OUTBOX_DEAD;
    ck_assert_int_eq(msgbus_outbox_purge_filtered(repo, &f, false, &n, &err), MSGBUS_ENOTSUP);
    ck_assert_str_eq(msgbus_strerror(MSGBUS_ENOTSUP), "operation not supported");

    /* Its ages are unknown (-1), not "no such row" (0). */
    msgbus_outbox_counts c;
    ck_assert_int_eq(msgbus_outbox_counts_get(repo, &c, &err), 0);
    ck_assert_uint_eq(c.pending, 3);
    ck_assert_int_eq(c.oldest_pending_age_ms, -1);
    ck_assert_int_eq(c.oldest_due_age_ms, -1);

    /* A program built before the ages existed passes a shorter struct:
     * nothing past it is written. */
    struct { size_t counts[5]; int64_t guard; } shorter;
    shorter.guard = 12345;
    size_t short_size = offsetof(msgbus_outbox_counts, processed) + sizeof(size_t);
    ck_assert_int_eq(msgbus_outbox_counts_get_sized(repo, (msgbus_outbox_counts *)(void *)&shorter,
                                                    short_size, &err), 0);
    ck_assert_uint_eq(shorter.counts[0], 3);
    ck_assert_int_eq(shorter.guard, 12345);
    ck_assert_int_eq(msgbus_outbox_counts_get_sized(repo, &c, 2, &err), MSGBUS_EINVAL);
    msgbus_outbox_repo_free(repo);

    /* Operations that stop before free are refused (and self is freed). */
    ck_assert_ptr_null(msgbus_outbox_repo_new_sized(&old, 8, malloc(1)));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("outbox");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, ids_are_uuid7_and_increase);
    tcase_add_test(tc, backoff_doubles_caps_and_jitters);
    tcase_add_test(tc, options_defaults_and_validation);
    tcase_add_test(tc, a_repository_without_the_new_operations_says_so);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, outbox_contract_tcase());
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
