/* oom_wrap.c - linked into a copy of msgbusgen with -Wl,--wrap for the
 * allocation functions: MSGBUS_OOM_AT=N makes the Nth allocation fail, and
 * MSGBUS_OOM_COUNT=FILE writes how many allocations the run made.  Used by
 * tests/msgbusgen-oom.test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static long calls, fail_at = -1;

static void report(void)
{
    const char *file = getenv("MSGBUS_OOM_COUNT");
    FILE *f = file ? fopen(file, "w") : NULL;
    if (f) {
        fprintf(f, "%ld\n", calls);
        fclose(f);
    }
}

static int fails(void)
{
    if (fail_at < 0) {
        const char *at = getenv("MSGBUS_OOM_AT");
        fail_at = at ? atol(at) : 0;
        atexit(report);
    }
    return ++calls == fail_at;
}

void *__wrap_malloc(size_t n)
{
    return fails() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return fails() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return fails() ? NULL : __real_realloc(p, n);
}
