/* async.c - throughput of the async bus against msgbus_handle on the
 * synchronous bus, measured in the same run with the same handlers: a
 * command whose handler emits an event with two handlers.
 * - Handlers that do nothing (the bus's own overhead): msgbus_async_handle
 *   with 1 and 2 workers, msgbus_async_handle_move, and
 *   msgbus_async_batch_handle of BATCH messages with BATCH_CONCURRENCY in
 *   flight; ROUNDS interleaved rounds, medians.  The caller keeps its
 *   backlog under WINDOW messages, as an event loop would.
 * - The allocations a handle makes in steady state, counted by wrapping
 *   malloc (glibc, no sanitizer).
 * - Event handlers that wait SLOW_US microseconds, standing in for I/O
 *   (what the async bus is for: the two handlers wait at the same time,
 *   and with more workers several messages do).
 * `make bench-async`; build without sanitizers for real figures.
 * BENCH_ASYNC_ONLY=fast, alloc or slow runs one part; =batch runs only the
 * batch rounds (for a profiler). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include "async_test.msg.h"

#define MESSAGES 200000
#define BATCH 100000
#define BATCH_CONCURRENCY 64
#define WINDOW 8192
#define ROUNDS 5
#define ALLOC_WARMUP 200000
#define ALLOC_MESSAGES 100000
#define SLOW_MESSAGES 2000
#define SLOW_US 200
#define SLOW_ROUNDS 3

/* ---- allocation counter ---------------------------------------------- */

#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define COUNTS_ALLOCATIONS 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);
static unsigned long allocations;

static void counted(void)
{
    __atomic_add_fetch(&allocations, 1, __ATOMIC_RELAXED);
}

void *malloc(size_t n) { counted(); return __libc_malloc(n); }
void *calloc(size_t n, size_t size) { counted(); return __libc_calloc(n, size); }
void *realloc(void *p, size_t n) { counted(); return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
int posix_memalign(void **out, size_t align, size_t n)
{
    counted();
    *out = __libc_memalign(align, n);
    return *out ? 0 : 12;       /* ENOMEM */
}
void *aligned_alloc(size_t align, size_t n) { counted(); return __libc_memalign(align, n); }
static unsigned long allocations_now(void)
{
    return __atomic_load_n(&allocations, __ATOMIC_RELAXED);
}
#endif

/* ---- handlers --------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of every thread of the process: on a loaded machine the
 * throughput follows the load, the CPU a message costs much less. */
static double cpu_s(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 +
           (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec / 1e6;
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
    (void)err;
    if (status != 0 || msgbus_results_count(results) != 3)
        ++*(int *)userdata;
}

static void on_batch(msgbus_async *abus, int status, const msgbus_outcome *outcomes,
                     size_t n, const msgbus_results *results, const msgbus_error *err,
                     void *userdata)
{
    (void)abus;
    (void)outcomes;
    (void)err;
    if (status != 0 || n != BATCH || msgbus_results_count(results) != 3 * (size_t)BATCH)
        *(int *)userdata = 1;
    else
        *(int *)userdata = -1;          /* arrived, and right */
}

static msgbus_bus *new_bus(msgbus_handler_fn step_fn)
{
    msgbus_handler steps[2] = { { "a", step_fn }, { "b", step_fn } };
    msgbus_bus *bus = msgbus_bus_new(NULL);
    if (bus == NULL ||
        msgbus_set_command_handler(bus, &at_Work_type, "work", on_work, NULL) != 0 ||
        msgbus_set_event_handlers(bus, &at_Step_type, steps, 2, NULL) != 0)
        exit(1);
    return bus;
}

static msgbus_async *new_async(msgbus_bus *bus, unsigned workers)
{
    msgbus_async *abus = msgbus_async_new(bus, workers, NULL);
    if (abus == NULL)
        exit(1);
    return abus;
}

/* ---- the runs ---------------------------------------------------------- */

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

/* Handles messages on abus, copied or moved; returns the seconds. */
static double feed(msgbus_async *abus, int messages, bool move, int *failed)
{
    double t0 = now_s();
    at_Work w;
    int i;
    at_Work_init(&w);
    for (i = 0; i < messages; i++) {
        int rc;
        w.n = i;
        rc = move ? msgbus_async_handle_move(abus, &w.base, on_done, failed)
                  : msgbus_async_handle(abus, &w.base, on_done, failed);
        if (rc != 0)
            exit(1);
        if (i % 1024 == 0) {
            msgbus_async_dispatch(abus);        /* as an event loop would */
            while (msgbus_async_pending(abus) > WINDOW)
                msgbus_async_wait(abus, -1);
        }
    }
    while (msgbus_async_pending(abus) > 0)
        msgbus_async_wait(abus, -1);
    return now_s() - t0;
}

static double run_async(msgbus_bus *bus, int messages, unsigned workers, bool move)
{
    msgbus_async *abus = new_async(bus, workers);
    int failed = 0;
    double seconds = feed(abus, messages, move, &failed);
    msgbus_async_free(abus);
    if (failed)
        exit(1);
    return seconds;
}

static double run_batch(msgbus_bus *bus, unsigned workers, const msgbus_msg *const *msgs)
{
    msgbus_async *abus = new_async(bus, workers);
    int state = 0;
    double t0 = now_s();
    if (msgbus_async_batch_handle(abus, msgs, BATCH, BATCH_CONCURRENCY, on_batch, &state) != 0)
        exit(1);
    while (state == 0)
        msgbus_async_wait(abus, -1);
    t0 = now_s() - t0;
    msgbus_async_free(abus);
    if (state != -1)
        exit(1);
    return t0;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

enum { SYNC, ASYNC1, ASYNC2, MOVE2, BATCH2, N_RUNS };

/* One run of kind k: fills the seconds and CPU seconds per message. */
static void run_one(msgbus_bus *bus, int k, const msgbus_msg *const *msgs, double *wall,
                    double *cpu)
{
    double c0 = cpu_s(), t;
    int n = k == BATCH2 ? BATCH : MESSAGES;
    switch (k) {
    case SYNC: t = run_sync(bus, MESSAGES); break;
    case ASYNC1: t = run_async(bus, MESSAGES, 1, false); break;
    case ASYNC2: t = run_async(bus, MESSAGES, 2, false); break;
    case MOVE2: t = run_async(bus, MESSAGES, 2, true); break;
    default: t = run_batch(bus, 2, msgs); break;
    }
    *wall = t / n;
    *cpu = (cpu_s() - c0) / n;
}

static void fast(bool batch_only)
{
    static const char *names[N_RUNS] = {
        "sync msgbus_handle", "async, 1 worker", "async, 2 workers",
        "async_handle_move, 2 workers", "async_batch_handle, 2 workers"
    };
    double t[N_RUNS][ROUNDS], c[N_RUNS][ROUNDS], base, cbase;
    msgbus_bus *bus = new_bus(on_step);
    at_Work *works = calloc(BATCH, sizeof *works);
    const msgbus_msg **msgs = calloc(BATCH, sizeof *msgs);
    int r, k;
    if (works == NULL || msgs == NULL)
        exit(1);
    for (k = 0; k < BATCH; k++) {
        at_Work_init(&works[k]);
        works[k].n = k;
        msgs[k] = &works[k].base;
    }
    printf("Handlers that do nothing: each message 1 command handler, 1 emit, 2 event\n"
           "handlers; %d messages (batch: %d, %d in flight); median of %d interleaved "
           "rounds;\nCPU: of all threads, per message\n", MESSAGES, BATCH, BATCH_CONCURRENCY,
           ROUNDS);
    for (r = 0; r < ROUNDS; r++)
        for (k = 0; k < N_RUNS; k++)
            if (!batch_only || k == SYNC || k == BATCH2)
                run_one(bus, k, msgs, &t[k][r], &c[k][r]);
    base = median(t[SYNC], ROUNDS);
    cbase = median(c[SYNC], ROUNDS);
    for (k = 0; k < N_RUNS; k++) {
        double per, cpu;
        if (batch_only && k != SYNC && k != BATCH2)
            continue;
        per = median(t[k], ROUNDS);
        cpu = median(c[k], ROUNDS);
        printf("%-31s %9.0f msg/s %7.3fx sync   CPU %7.3f us %7.1fx sync\n", names[k],
               1 / per, base / per, cpu * 1e6, cpu / cbase);
    }
    free(msgs);
    free(works);
    msgbus_bus_free(bus);
}

static void steady_allocations(void)
{
#ifdef COUNTS_ALLOCATIONS
    msgbus_bus *bus = new_bus(on_step);
    msgbus_async *abus = new_async(bus, 2);
    unsigned long before, made;
    int failed = 0;
    feed(abus, ALLOC_WARMUP, false, &failed);
    before = allocations_now();
    feed(abus, ALLOC_MESSAGES, false, &failed);
    made = allocations_now() - before;
    printf("steady state: %lu allocations in %d msgbus_async_handle (%.4f a handle)\n",
           made, ALLOC_MESSAGES, (double)made / ALLOC_MESSAGES);
    msgbus_async_free(abus);
    msgbus_bus_free(bus);
    if (failed)
        exit(1);
#else
    printf("steady state allocations: not counted (needs glibc, no sanitizer)\n");
#endif
}

static void slow(void)
{
    static const unsigned workers[] = { 1, 2, 4, 8 };
    enum { N = sizeof workers / sizeof *workers };
    double t[N + 1][SLOW_ROUNDS], base;
    msgbus_bus *bus = new_bus(on_slow_step);
    int r, k;
    printf("%d messages, the same, each event handler waiting %d us (I/O); median of %d\n",
           SLOW_MESSAGES, SLOW_US, SLOW_ROUNDS);
    for (r = 0; r < SLOW_ROUNDS; r++) {
        t[0][r] = run_sync(bus, SLOW_MESSAGES);
        for (k = 0; k < N; k++)
            t[k + 1][r] = run_async(bus, SLOW_MESSAGES, workers[k], false);
    }
    base = median(t[0], SLOW_ROUNDS);
    printf("%-36s %10.0f msg/s\n", "sync msgbus_handle", SLOW_MESSAGES / base);
    for (k = 0; k < N; k++) {
        double s = median(t[k + 1], SLOW_ROUNDS);
        char what[40];
        snprintf(what, sizeof what, "async, %u worker%s", workers[k], workers[k] > 1 ? "s" : "");
        printf("%-36s %10.0f msg/s  %7.3fx sync\n", what, SLOW_MESSAGES / s, base / s);
    }
    msgbus_bus_free(bus);
}

int main(void)
{
    const char *only = getenv("BENCH_ASYNC_ONLY");
    if (only == NULL || strcmp(only, "fast") == 0)
        fast(false);
    if (only != NULL && strcmp(only, "batch") == 0)
        fast(true);
    if (only == NULL || strcmp(only, "alloc") == 0)
        steady_allocations();
    if (only == NULL || strcmp(only, "slow") == 0)
        slow();
    return 0;
}
