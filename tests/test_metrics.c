/* test_metrics.c - per-handler metrics of a bus: counts, retries, the
 * latency buckets, and the Prometheus text checked by promtool. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <msgbus/msgbus.h>
#include <msgbus/metrics.h>
#define OT_DEFINE_MODULE
#include "outbox_test_module.h"

static int failures_left;       /* ot_ship fails this many more calls */

int ot_ship(msgbus_ctx *ctx, const ot_Ship *msg)
{
    if (strcmp(msg->label, "slow") == 0) {
        struct timespec pause = { 0, 3 * 1000000 };     /* 3 ms: above the 2.5 ms bound */
        nanosleep(&pause, NULL);
    }
    if (failures_left > 0) {
        failures_left--;
        return msgbus_ctx_fail(ctx, MSGBUS_EHANDLER, "no \"stock\"\nat all");
    }
    return 0;
}

/* Middleware: a failed call is retried once. */
static int retry_once(msgbus_ctx *ctx, const msgbus_msg *msg, int status, uint64_t ns, void *ud)
{
    (void)msg; (void)ns; (void)ud;
    return status < 0 && msgbus_ctx_attempt(ctx) < 2 ? MSGBUS_RETRY : status;
}

static int ship(msgbus_bus *bus, const char *label)
{
    ot_Ship m;
    msgbus_value_init(&ot_Ship_type, &m);
    m.order_id = 1;
    m.label = (char *)label;
    return msgbus_handle(bus, &m.base, NULL, NULL);
}

START_TEST(counts_calls_failures_retries_and_latency)
{
    msgbus_bus *bus = msgbus_bus_new(NULL);
    ck_assert_int_eq(msgbus_bus_install(bus, &ot_module, NULL), 0);
    ck_assert_int_eq(msgbus_use(bus, NULL, retry_once, NULL), 0);
    msgbus_handler_metrics *m;
    size_t n;
    ship(bus, "x");                                   /* not counted: metrics are off */
    ck_assert_int_eq(msgbus_bus_metrics(bus, &m, &n), 0);
    ck_assert_uint_eq(n, 0);

    ck_assert_int_eq(msgbus_bus_enable_metrics(bus, 1), 0);
    ck_assert_int_eq(ship(bus, "x"), 0);              /* 1 call */
    failures_left = 1;
    ck_assert_int_eq(ship(bus, "x"), 0);              /* fails, retried: 2 calls */
    failures_left = 2;
    ck_assert_int_lt(ship(bus, "x"), 0);              /* fails twice: 2 calls */
    ck_assert_int_eq(ship(bus, "slow"), 0);
    ck_assert_int_eq(msgbus_bus_metrics(bus, &m, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(m[0].handler, "ot.ship");
    ck_assert_str_eq(m[0].type, "ot.Ship");
    ck_assert_uint_eq(m[0].calls, 6);
    ck_assert_uint_eq(m[0].failures, 3);
    ck_assert_uint_eq(m[0].retries, 2);
    uint64_t total = 0, above = 0;
    const int64_t *bounds = msgbus_metrics_bounds_us();
    ck_assert_int_eq(bounds[0], 50);
    ck_assert_int_eq(bounds[MSGBUS_METRICS_BUCKETS - 1], 10000000);
    for (size_t b = 0; b <= MSGBUS_METRICS_BUCKETS; b++) {
        total += m[0].latency[b];
        if (b >= 6)                                   /* above 2500 us */
            above += m[0].latency[b];
    }
    ck_assert_uint_eq(total, 6);
    ck_assert_uint_ge(above, 1);                      /* the slow call */
    ck_assert_uint_ge(m[0].latency_sum_us, 3000);
    msgbus_free(m);

    /* Stopping keeps what was counted. */
    ck_assert_int_eq(msgbus_bus_enable_metrics(bus, 0), 0);
    ship(bus, "x");
    ck_assert_int_eq(msgbus_bus_metrics(bus, &m, &n), 0);
    ck_assert_uint_eq(m[0].calls, 6);
    msgbus_free(m);
    ck_assert_int_eq(msgbus_bus_metrics(NULL, &m, &n), MSGBUS_EINVAL);
    ck_assert_int_eq(msgbus_bus_enable_metrics(NULL, 1), MSGBUS_EINVAL);
    msgbus_bus_free(bus);
}
END_TEST

/* A run-time handler whose name needs escaping in a label. */
static int odd_handler(msgbus_ctx *ctx, const msgbus_msg *msg)
{
    (void)ctx; (void)msg;
    return 0;
}

START_TEST(prometheus_text_passes_promtool)
{
    msgbus_bus *bus = msgbus_bus_new(NULL);
    ck_assert_int_eq(msgbus_bus_install(bus, &ot_module, NULL), 0);
    ck_assert_int_eq(msgbus_bus_enable_metrics(bus, 1), 0);
    msgbus_error err;
    const msgbus_handler odd = { "odd \"name\"\\", odd_handler };
    ck_assert_int_eq(msgbus_set_event_handlers(bus, &ot_Shipped_type, &odd, 1, &err), 0);
    failures_left = 1;
    ship(bus, "x");
    ship(bus, "x");
    ot_Shipped ev;
    msgbus_value_init(&ot_Shipped_type, &ev);
    ck_assert_int_eq(msgbus_handle(bus, &ev.base, NULL, NULL), 0);
    char *text;
    ck_assert_int_eq(msgbus_bus_metrics_prometheus(bus, &text), 0);
    ck_assert_ptr_nonnull(strstr(text, "msgbus_handler_calls_total{handler=\"ot.ship\",type=\"ot.Ship\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(text, "msgbus_handler_failures_total{handler=\"ot.ship\",type=\"ot.Ship\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(text, "handler=\"odd \\\"name\\\"\\\\\""));
    ck_assert_ptr_nonnull(strstr(text, "msgbus_handler_duration_seconds_bucket{handler=\"ot.ship\",type=\"ot.Ship\",le=\"+Inf\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(text, "msgbus_handler_duration_seconds_count{handler=\"ot.ship\",type=\"ot.Ship\"} 2\n"));
    FILE *p = popen("promtool check metrics >promtool.out 2>&1", "w");
    ck_assert_ptr_nonnull(p);
    fputs(text, p);
    int status = pclose(p);
    char why[2048] = "";
    FILE *o = fopen("promtool.out", "r");
    if (o) {
        size_t k = fread(why, 1, sizeof why - 1, o);
        why[k] = '\0';
        fclose(o);
    }
    remove("promtool.out");
    ck_assert_msg(status == 0, "promtool check metrics: %s\n%s", why, text);
    msgbus_free(text);
    msgbus_bus_free(bus);
}
END_TEST

/* On an async bus the handlers of one event run on several workers at
 * once: the counts and the event hook see every call (run under TSan by
 * scripts/test.sh). */
static int fail_odd(msgbus_ctx *ctx, const msgbus_msg *msg)
{
    const ot_Shipped *ev = (const ot_Shipped *)msg;
    return ev->order_id % 2 ? msgbus_ctx_fail(ctx, MSGBUS_EHANDLER, "odd") : 0;
}

static pthread_mutex_t hook_lock = PTHREAD_MUTEX_INITIALIZER;
static int failures_seen;

static void count_failures(const msgbus_event *ev, void *userdata)
{
    (void)userdata;
    pthread_mutex_lock(&hook_lock);
    failures_seen += ev->kind == MSGBUS_EVENT_HANDLER_FAILED;
    pthread_mutex_unlock(&hook_lock);
}

START_TEST(async_workers_are_all_counted)
{
    msgbus_bus *bus = msgbus_bus_new(NULL);
    ck_assert_int_eq(msgbus_bus_install(bus, &ot_module, NULL), 0);
    const msgbus_handler hs[] = { { "a", fail_odd }, { "b", fail_odd }, { "c", fail_odd },
                                  { "d", fail_odd } };
    ck_assert_int_eq(msgbus_set_event_handlers(bus, &ot_Shipped_type, hs, 4, NULL), 0);
    ck_assert_int_eq(msgbus_bus_enable_metrics(bus, 1), 0);
    ck_assert_int_eq(msgbus_set_event_hook(bus, count_failures, NULL), 0);
    failures_seen = 0;
    msgbus_async *abus = msgbus_async_new(bus, 3, NULL);
    ck_assert_ptr_nonnull(abus);
    for (int i = 0; i < 50; i++) {
        ot_Shipped ev;
        msgbus_value_init(&ot_Shipped_type, &ev);
        ev.order_id = i;
        ck_assert_int_eq(msgbus_async_handle(abus, &ev.base, NULL, NULL), 0);
    }
    for (int i = 0; i < 500 && msgbus_async_pending(abus) > 0; i++)
        msgbus_async_wait(abus, 100);
    ck_assert_uint_eq(msgbus_async_pending(abus), 0);
    msgbus_handler_metrics *m;
    size_t n;
    ck_assert_int_eq(msgbus_bus_metrics(bus, &m, &n), 0);
    ck_assert_uint_eq(n, 4);
    uint64_t calls = 0, failures = 0;
    for (size_t i = 0; i < n; i++) {
        calls += m[i].calls;
        failures += m[i].failures;
    }
    msgbus_free(m);
    ck_assert_uint_eq(calls, 200);
    ck_assert_uint_eq(failures, 100);
    pthread_mutex_lock(&hook_lock);
    ck_assert_int_eq(failures_seen, 100);
    pthread_mutex_unlock(&hook_lock);
    msgbus_async_free(abus);
    msgbus_bus_free(bus);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("metrics");
    tcase_add_test(tc, counts_calls_failures_retries_and_latency);
    tcase_add_test(tc, prometheus_text_passes_promtool);
    tcase_add_test(tc, async_workers_are_all_counted);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
