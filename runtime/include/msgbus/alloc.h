/* msgbus/alloc.h - the allocator every allocation of libmsgbus and its
 * backends goes through.  See msgbus_alloc(3). */
#ifndef MSGBUS_ALLOC_H
#define MSGBUS_ALLOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void *(*msgbus_malloc_fn)(size_t size);
typedef void *(*msgbus_realloc_fn)(void *ptr, size_t size);
typedef void (*msgbus_free_fn)(void *ptr);

/* Replaces the allocator (malloc, realloc and free by default).  Call it
 * before any other msgbus function, from one thread: memory allocated by one
 * allocator must be freed by the same.  A NULL argument restores that
 * function's default.  The library's own allocations use it, and so must
 * memory handed over to the library (strings of a message it takes over). */
void msgbus_set_alloc_funcs(msgbus_malloc_fn malloc_fn, msgbus_realloc_fn realloc_fn,
                            msgbus_free_fn free_fn);

/* Fills the non-NULL arguments with the functions in use. */
void msgbus_get_alloc_funcs(msgbus_malloc_fn *malloc_fn, msgbus_realloc_fn *realloc_fn,
                            msgbus_free_fn *free_fn);

/* Allocate and free through the functions in use.  msgbus_malloc(0) and
 * msgbus_calloc with a zero or overflowing size return NULL or a unique
 * pointer as the allocator does; NULL means out of memory.  msgbus_strdup
 * and msgbus_strndup return NULL for NULL or when out of memory.
 * msgbus_free(NULL) does nothing. */
void *msgbus_malloc(size_t size);
void *msgbus_calloc(size_t n, size_t size);
void *msgbus_realloc(void *ptr, size_t size);
void msgbus_free(void *ptr);
char *msgbus_strdup(const char *s);
char *msgbus_strndup(const char *s, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* MSGBUS_ALLOC_H */
