/* dispatch.c - `make bench`: cost of msgbus_handle() against calling the
 * same two handler functions directly, and heap allocations per handle().
 *
 * Allocations are counted by interposing malloc and friends (glibc's
 * __libc_* entry points), so build without sanitizers for real figures. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "dispatch.msg.h"

#if defined(__SANITIZE_ADDRESS__)
#define COUNTS_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNTS_ALLOCATIONS 0
#endif
#endif
#ifndef COUNTS_ALLOCATIONS
#define COUNTS_ALLOCATIONS 1
#endif

static unsigned long allocations;

#if COUNTS_ALLOCATIONS
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
void *malloc(size_t size);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);

void *malloc(size_t size)
{
    allocations++;
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    allocations++;
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    allocations++;
    return __libc_realloc(p, size);
}
#endif

static volatile int64_t work_sum, done_sum;

/* The baseline must call the two functions, not have them inlined into its
 * loop: the bus cannot inline them either. */
#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

NOINLINE int bench_on_done(msgbus_ctx *ctx, const bench_Done *msg)
{
    (void)ctx;
    done_sum += msg->n;
    return 0;
}

/* With a ctx it emits through the bus; the baseline (ctx NULL) calls the
 * next handler itself, as a program without a bus would. */
NOINLINE int bench_do_work(msgbus_ctx *ctx, const bench_Work *msg)
{
    bench_Done done;
    bench_Done_init(&done);
    done.n = msg->n + 1;
    work_sum += msg->n;
    if (ctx == NULL)
        return bench_on_done(NULL, &done);
    return bench_do_work_emit_Done(ctx, &done);
}


/* CPU time of this thread: time spent preempted by other processes on a
 * busy machine does not count. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#define RUNS 31
#define ITERATIONS 100000

int main(void)
{
    double bus_ns[RUNS], direct_ns[RUNS], bus_median, direct_median;
    unsigned long before, counted = 0;
    msgbus_bus *bus = msgbus_bus_new(NULL);
    msgbus_results *results = msgbus_results_new();
    bench_Work work;
    int run, i;

    if (bus == NULL || results == NULL || msgbus_bus_install(bus, &bench_module, NULL) != 0) {
        fprintf(stderr, "dispatch: cannot set up the bus\n");
        return 1;
    }
    if (COUNTS_ALLOCATIONS && allocations == 0) {
        /* msgbus_bus_new allocated: the interposer must have seen it. */
        fprintf(stderr, "dispatch: the allocation counter does not work\n");
        return 1;
    }
    bench_Work_init(&work);
    work.n = 1;
    /* Warm up: the bus grows its queue and results storage once. */
    for (i = 0; i < 1000; i++)
        if (msgbus_handle(bus, &work.base, results, NULL) != 0)
            return 1;

    for (run = 0; run < RUNS; run++) {
        double start = now();
        before = allocations;
        for (i = 0; i < ITERATIONS; i++)
            msgbus_handle(bus, &work.base, results, NULL);
        bus_ns[run] = (now() - start) / ITERATIONS;
        counted += allocations - before;

        start = now();
        for (i = 0; i < ITERATIONS; i++)
            bench_do_work(NULL, &work);
        direct_ns[run] = (now() - start) / ITERATIONS;
    }
    qsort(bus_ns, RUNS, sizeof bus_ns[0], by_value);
    qsort(direct_ns, RUNS, sizeof direct_ns[0], by_value);
    bus_median = bus_ns[RUNS / 2];
    direct_median = direct_ns[RUNS / 2];
    printf("dispatch: handle() %.1f ns/op, direct %.1f ns/op, ratio %.1fx, ",
           bus_median, direct_median, bus_median / direct_median);
    if (COUNTS_ALLOCATIONS)
        printf("allocations/handle %g\n", (double)counted / ((double)RUNS * ITERATIONS));
    else
        printf("allocations/handle not counted (sanitizer build)\n");
    printf("dispatch: median of %d runs of %d handle() calls; results entries %zu\n", RUNS,
           ITERATIONS, msgbus_results_count(results));
    msgbus_results_free(results);
    msgbus_bus_free(bus);
    return 0;
}
