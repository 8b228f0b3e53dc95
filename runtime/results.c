/* results.c - one entry per handler call, storage reused across calls. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bus_internal.h"

msgbus_results *msgbus_results_new(void)
{
    return msgbus_calloc(1, sizeof(msgbus_results));
}

void msgbus_results_free(msgbus_results *r)
{
    if (r == NULL)
        return;
    msgbus_results_reset(r);
    msgbus_free(r->items);
    msgbus_free(r->texts);
    msgbus_free(r);
}

void msgbus_results_reset(msgbus_results *r)
{
    size_t i;
    if (r == NULL)
        return;
    /* Most handles set no value: the entries need not be read again. */
    for (i = 0; r->has_values && i < r->n; i++)
        json_decref(r->items[i].value);
    r->n = 0;
    r->has_values = false;
}

size_t msgbus_results_count(const msgbus_results *r)
{
    return r ? r->n : 0;
}

const msgbus_result *msgbus_results_get(const msgbus_results *r, size_t i)
{
    return r && i < r->n ? &r->items[i] : NULL;
}

size_t msgbus_results_failed(const msgbus_results *r)
{
    size_t i, failed = 0;
    for (i = 0; r && i < r->n; i++)
        failed += r->items[i].status != 0;
    return failed;
}

int results_grow(msgbus_results *r)
{
    return results_reserve(r, r->cap ? r->cap * 2 : 8);
}

int results_reserve(msgbus_results *r, size_t cap)
{
    size_t i;
    msgbus_result *items;
    result_text *texts;
    if (cap <= r->cap)
        return 0;
    if (cap > SIZE_MAX / sizeof *texts)
        return MSGBUS_ENOMEM;
    items = msgbus_realloc(r->items, cap * sizeof *items);
    if (items == NULL)
        return MSGBUS_ENOMEM;
    r->items = items;                   /* bigger, and cap unchanged: still right */
    /* Not realloc: that would copy every text, though only the failed
     * entries' are written (a large block's untouched pages would all be
     * read, and faulted in). */
    texts = msgbus_malloc(cap * sizeof *texts);
    if (texts == NULL)
        return MSGBUS_ENOMEM;
    for (i = 0; i < r->n; i++)
        if (items[i].status != 0) {
            memcpy(texts[i], r->texts[i], sizeof *texts);
            items[i].error = texts[i];
        }
    msgbus_free(r->texts);
    r->texts = texts;
    r->cap = cap;
    return 0;
}

int results_take(msgbus_results *dst, msgbus_results *src, size_t from, size_t n)
{
    size_t i;
    while (dst->n + n > dst->cap)
        if (results_grow(dst) != 0)
            return MSGBUS_ENOMEM;
    for (i = 0; i < n; i++) {
        msgbus_result *e = &dst->items[dst->n + i];
        *e = src->items[from + i];
        if (e->status != 0) {
            memcpy(dst->texts[dst->n + i], src->texts[from + i], sizeof *dst->texts);
            e->error = dst->texts[dst->n + i];
        }
        if (e->value)
            dst->has_values = true;
        src->items[from + i].value = NULL;     /* moved */
    }
    dst->n += n;
    return 0;
}
