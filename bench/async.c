/* async.c - throughput of msgbus_async_handle with 1 and 2 workers against
 * msgbus_handle on the synchronous bus, measured in the same run with the
 * same handlers: a command whose handler emits an event with two handlers.
 * First with handlers that do nothing (the bus's own overhead), then with
 * event handlers that wait SLOW_US microseconds, standing in for I/O (what
 * the async bus is for: the two handlers wait at the same time, and with
 * more workers several messages do).
 * `make bench-async`; build without sanitizers for real figures. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "async_test.msg.h"

#define MESSAGES 200000
#define SLOW_MESSAGES 2000
#define SLOW_US 200

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int on_work(msgbus_ctx *ctx, const msgbus_msg *m)
{
    at_Step s;
    at_Step_init(&s);
    s.n = ((const at_Work *)(const void *)m)->n;
    return msgbus_emit(ctx, &s.base);
}

static int on_step(msgbus_ctx *ctx, const msgbus_msg *m)
{
    (void)ctx;
    (void)m;
    return 0;
}

/* A handler waiting for a remote service. */
static int on_slow_step(msgbus_ctx *ctx, const msgbus_msg *m)
{
    struct timespec wait = { 0, SLOW_US * 1000L };
    (void)ctx;
    (void)m;
    nanosleep(&wait, NULL);
    return 0;
}

static void on_done(msgbus_async *abus, int status, const msgbus_results *results,
                    const msgbus_error *err, void *userdata)
{
    (void)abus;
    (void)results;
    (void)err;
    if (status != 0)
        ++*(int *)userdata;
}

static void report(const char *what, int messages, double seconds, double base)
{
    printf("%-24s %10.0f msg/s  %6.2fx sync\n", what, messages / seconds,
           base > 0 ? base / seconds : 1.0);
}

static double run_sync(msgbus_bus *bus, int messages)
{
    double t0 = now_s();
    at_Work w;
    int i;
    at_Work_init(&w);
    for (i = 0; i < messages; i++) {
        w.n = i;
        if (msgbus_handle(bus, &w.base, NULL, NULL) != 0)
            exit(1);
    }
    return now_s() - t0;
}

static double run_async(msgbus_bus *bus, int messages, unsigned workers)
{
    msgbus_async *abus = msgbus_async_new(bus, workers, NULL);
    int failed = 0, i;
    double t0 = now_s();
    at_Work w;
    if (abus == NULL)
        exit(1);
    at_Work_init(&w);
    for (i = 0; i < messages; i++) {
        w.n = i;
        if (msgbus_async_handle(abus, &w.base, on_done, &failed) != 0)
            exit(1);
        if (i % 1024 == 0)
            msgbus_async_dispatch(abus);    /* as an event loop would */
    }
    msgbus_async_shutdown(abus, MSGBUS_ASYNC_DRAIN);
    t0 = now_s() - t0;
    msgbus_async_free(abus);
    if (failed)
        exit(1);
    return t0;
}

/* Both buses with the same handlers, the event's two handlers being
 * step_fn. */
static int compare(int messages, msgbus_handler_fn step_fn, const unsigned *workers,
                   size_t n_workers)
{
    msgbus_handler steps[2] = { { "a", step_fn }, { "b", step_fn } };
    msgbus_bus *bus = msgbus_bus_new(NULL);
    double base;
    size_t i;
    if (bus == NULL ||
        msgbus_set_command_handler(bus, &at_Work_type, "work", on_work, NULL) != 0 ||
        msgbus_set_event_handlers(bus, &at_Step_type, steps, 2, NULL) != 0)
        return 1;
    base = run_sync(bus, messages);
    report("sync msgbus_handle", messages, base, base);
    for (i = 0; i < n_workers; i++) {
        char what[32];
        snprintf(what, sizeof what, "async, %u worker%s", workers[i], workers[i] > 1 ? "s" : "");
        report(what, messages, run_async(bus, messages, workers[i]), base);
    }
    msgbus_bus_free(bus);
    return 0;
}

int main(void)
{
    static const unsigned fast[] = { 1, 2 }, slow[] = { 1, 2, 4, 8 };
    printf("%d messages, each: 1 command handler, 1 emit, 2 event handlers\n", MESSAGES);
    if (compare(MESSAGES, on_step, fast, 2) != 0)
        return 1;
    printf("%d messages, the same, each event handler waiting %d us (I/O)\n", SLOW_MESSAGES,
           SLOW_US);
    return compare(SLOW_MESSAGES, on_slow_step, slow, 4);
}
