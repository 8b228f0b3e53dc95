/* test_async_batch_stress.c - 1,000,000 messages through
 * msgbus_async_batch_handle, with 2 and with 8 workers: every handler runs
 * exactly once, every batch's callback arrives exactly once, and every
 * message's outcome holds its own three results in the synchronous bus's
 * order (the command's handler, then the event's two).
 *
 * Under a sanitizer (ASan, TSan) the run is MESSAGES_SANITIZED messages
 * instead, so that CI stays within minutes; the plain build runs them all. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif

#define MESSAGES_FULL 1000000
#define MESSAGES_SANITIZED 100000
#ifdef SANITIZED
#define MESSAGES MESSAGES_SANITIZED
#else
#define MESSAGES MESSAGES_FULL
#endif
#define PER_BATCH 50000
#define BATCHES (MESSAGES / PER_BATCH)
#define IN_FLIGHT 4                     /* batches at once */
#define CONCURRENCY 64

#include "async_stress_handlers.h"

static unsigned batch_callbacks[BATCHES];
static size_t bad_outcomes;

/* Message i's results: work on the command (seq 0), then a and b on the
 * event it emitted (seq 1, its id caused by the command's). */
static bool in_sync_order(const msgbus_results *r, const msgbus_outcome *o)
{
    const msgbus_result *w = msgbus_results_get(r, o->first_result);
    const msgbus_result *a = msgbus_results_get(r, o->first_result + 1);
    const msgbus_result *b = msgbus_results_get(r, o->first_result + 2);
    return o->status == 0 && o->n_results == 3 && w && a && b &&
           strcmp(w->handler, "work") == 0 && w->seq == 0 && w->type == &at_Work_type &&
           strcmp(a->handler, "a") == 0 && a->seq == 1 && a->type == &at_Step_type &&
           strcmp(b->handler, "b") == 0 && b->seq == 1 && a->message_id == b->message_id &&
           a->message_id != w->message_id && w->status == 0 && a->status == 0 &&
           b->status == 0;
}

static void on_batch(msgbus_async *abus, int status, const msgbus_outcome *outcomes,
                     size_t n, const msgbus_results *results, const msgbus_error *err,
                     void *userdata)
{
    size_t batch = (size_t)userdata, i;
    (void)abus;
    (void)err;
    batch_callbacks[batch]++;          /* the dispatching thread only */
    if (status != 0 || n != PER_BATCH || msgbus_results_count(results) != 3 * n) {
        bad_outcomes += n;
        return;
    }
    for (i = 0; i < n; i++)
        if (!in_sync_order(results, &outcomes[i]))
            bad_outcomes++;
}

static void run(unsigned workers)
{
    msgbus_handler steps[2] = { { "a", on_step_a }, { "b", on_step_b } };
    msgbus_bus *bus = msgbus_bus_new(NULL);
    at_Work *works = calloc(PER_BATCH, sizeof *works);
    const msgbus_msg **msgs = calloc(PER_BATCH, sizeof *msgs);
    msgbus_async *abus;
    size_t i, b;
    memset(work_runs, 0, sizeof work_runs);
    memset(step_a_runs, 0, sizeof step_a_runs);
    memset(step_b_runs, 0, sizeof step_b_runs);
    memset(batch_callbacks, 0, sizeof batch_callbacks);
    bad_outcomes = 0;
    ck_assert_ptr_nonnull(bus);
    ck_assert_ptr_nonnull(works);
    ck_assert_ptr_nonnull(msgs);
    ck_assert_int_eq(msgbus_set_command_handler(bus, &at_Work_type, "work", on_work, NULL), 0);
    ck_assert_int_eq(msgbus_set_event_handlers(bus, &at_Step_type, steps, 2, NULL), 0);
    abus = msgbus_async_new(bus, workers, NULL);
    ck_assert_ptr_nonnull(abus);
    for (i = 0; i < PER_BATCH; i++) {
        msgbus_value_init(&at_Work_type, &works[i]);
        msgs[i] = &works[i].base;
    }
    for (b = 0; b < BATCHES; b++) {
        /* The batch copies its messages: the array is reused at once. */
        for (i = 0; i < PER_BATCH; i++)
            works[i].n = (int64_t)(b * PER_BATCH + i);
        ck_assert_int_eq(msgbus_async_batch_handle(abus, msgs, PER_BATCH, CONCURRENCY,
                                                   on_batch, (void *)b), 0);
        while (msgbus_async_pending(abus) >= IN_FLIGHT)
            ck_assert_int_ge(msgbus_async_wait(abus, 60000), 1);
    }
    ck_assert_int_eq(msgbus_async_shutdown(abus, MSGBUS_ASYNC_DRAIN), 0);
    for (b = 0; b < BATCHES; b++)
        ck_assert_msg(batch_callbacks[b] == 1, "batch %zu: %u callbacks", b,
                      batch_callbacks[b]);
    ck_assert_msg(bad_outcomes == 0, "%zu outcomes not as the sync bus gives them",
                  bad_outcomes);
    for (i = 0; i < MESSAGES; i++)
        ck_assert_msg(work_runs[i] == 1 && step_a_runs[i] == 1 && step_b_runs[i] == 1,
                      "message %zu: work %d, a %d, b %d", i, work_runs[i], step_a_runs[i],
                      step_b_runs[i]);
    msgbus_async_free(abus);
    msgbus_bus_free(bus);
    free(msgs);
    free(works);
}

START_TEST(two_workers)
{
    run(2);
}
END_TEST

START_TEST(eight_workers)
{
    run(8);
}
END_TEST

int main(void)
{
    int failed;
    Suite *s = suite_create("async batch stress");
    TCase *tc = tcase_create("stress");
    SRunner *sr;
#ifdef SANITIZED
    printf("sanitizer build: %d messages a run instead of %d\n", MESSAGES, MESSAGES_FULL);
#endif
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, two_workers);
    tcase_add_test(tc, eight_workers);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
