/* results.c - one entry per handler call, storage reused across calls. */
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
    msgbus_free(r);
}

void msgbus_results_reset(msgbus_results *r)
{
    size_t i;
    if (r == NULL)
        return;
    for (i = 0; i < r->n; i++)
        json_decref(r->items[i].pub.value);
    r->n = 0;
}

size_t msgbus_results_count(const msgbus_results *r)
{
    return r ? r->n : 0;
}

const msgbus_result *msgbus_results_get(const msgbus_results *r, size_t i)
{
    return r && i < r->n ? &r->items[i].pub : NULL;
}

size_t msgbus_results_failed(const msgbus_results *r)
{
    size_t i, failed = 0;
    for (i = 0; r && i < r->n; i++)
        failed += r->items[i].pub.status != 0;
    return failed;
}

int results_grow(msgbus_results *r)
{
    size_t cap = r->cap ? r->cap * 2 : 8, i;
    result_entry *items = msgbus_realloc(r->items, cap * sizeof *items);
    if (items == NULL)
        return MSGBUS_ENOMEM;
    r->items = items;
    r->cap = cap;
    /* The error pointers point into the entries, which moved. */
    for (i = 0; i < r->n; i++)
        r->items[i].pub.error = r->items[i].error;
    return 0;
}
