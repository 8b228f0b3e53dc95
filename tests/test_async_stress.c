/* test_async_stress.c - 100,000 messages through 4 workers: every handler
 * runs exactly once and every handle gets exactly one callback. */
#include <check.h>
#include <stdlib.h>

#define MESSAGES 100000
#define WORKERS 4

#include "async_stress_handlers.h"

static unsigned char callbacks[MESSAGES];

static void on_done(msgbus_async *abus, int status, const msgbus_results *results,
                    const msgbus_error *err, void *userdata)
{
    (void)abus;
    (void)err;
    ck_assert_int_eq(status, 0);
    ck_assert_uint_eq(msgbus_results_count(results), 3);
    callbacks[(size_t)userdata]++;  /* the dispatching thread only */
}

START_TEST(every_handler_runs_exactly_once)
{
    msgbus_handler steps[2] = { { "a", on_step_a }, { "b", on_step_b } };
    msgbus_bus *bus = msgbus_bus_new(NULL);
    msgbus_async *abus;
    size_t i;
    ck_assert_ptr_nonnull(bus);
    ck_assert_int_eq(msgbus_set_command_handler(bus, &at_Work_type, "work", on_work, NULL), 0);
    ck_assert_int_eq(msgbus_set_event_handlers(bus, &at_Step_type, steps, 2, NULL), 0);
    abus = msgbus_async_new(bus, WORKERS, NULL);
    ck_assert_ptr_nonnull(abus);
    for (i = 0; i < MESSAGES; i++) {
        at_Work w;
        msgbus_value_init(&at_Work_type, &w);
        w.n = (int64_t)i;
        ck_assert_int_eq(msgbus_async_handle(abus, &w.base, on_done, (void *)i), 0);
        /* Keep the backlog bounded, as a real producer would. */
        if (i % 1000 == 999)
            while (msgbus_async_pending(abus) > 4000)
                ck_assert_int_ge(msgbus_async_wait(abus, 5000), 1);
    }
    ck_assert_int_eq(msgbus_async_shutdown(abus, MSGBUS_ASYNC_DRAIN), 0);
    for (i = 0; i < MESSAGES; i++) {
        ck_assert_msg(work_runs[i] == 1 && step_a_runs[i] == 1 && step_b_runs[i] == 1,
                      "message %zu: work %d, a %d, b %d", i, work_runs[i], step_a_runs[i],
                      step_b_runs[i]);
        ck_assert_msg(callbacks[i] == 1, "message %zu: %d callbacks", i, callbacks[i]);
    }
    msgbus_async_free(abus);
    msgbus_bus_free(bus);
}
END_TEST

int main(void)
{
    int failed;
    Suite *s = suite_create("async stress");
    TCase *tc = tcase_create("stress");
    SRunner *sr;
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, every_handler_runs_exactly_once);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
