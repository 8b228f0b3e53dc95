/* alloc.c - the allocator hook: one place that every allocation of the
 * library and its backends goes through, so that a program can count,
 * bound or fail allocations.  See msgbus_alloc(3). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <msgbus/alloc.h>

static msgbus_malloc_fn do_malloc = malloc;
static msgbus_realloc_fn do_realloc = realloc;
static msgbus_free_fn do_free = free;

void msgbus_set_alloc_funcs(msgbus_malloc_fn malloc_fn, msgbus_realloc_fn realloc_fn,
                            msgbus_free_fn free_fn)
{
    do_malloc = malloc_fn ? malloc_fn : malloc;
    do_realloc = realloc_fn ? realloc_fn : realloc;
    do_free = free_fn ? free_fn : free;
}

void msgbus_get_alloc_funcs(msgbus_malloc_fn *malloc_fn, msgbus_realloc_fn *realloc_fn,
                            msgbus_free_fn *free_fn)
{
    if (malloc_fn)
        *malloc_fn = do_malloc;
    if (realloc_fn)
        *realloc_fn = do_realloc;
    if (free_fn)
        *free_fn = do_free;
}

void *msgbus_malloc(size_t size)
{
    return do_malloc(size);
}

void *msgbus_calloc(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    void *p = do_malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *msgbus_realloc(void *ptr, size_t size)
{
    return do_realloc(ptr, size);
}

void msgbus_free(void *ptr)
{
    if (ptr)
        do_free(ptr);
}

char *msgbus_strndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    size_t len = strnlen(s, n);
    char *copy = do_malloc(len + 1);
    if (copy) {
        memcpy(copy, s, len);
        copy[len] = '\0';
    }
    return copy;
}

char *msgbus_strdup(const char *s)
{
    return s ? msgbus_strndup(s, SIZE_MAX) : NULL;
}
