/* results.c - one entry per handler call, storage reused across calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bus_internal.h"

msgbus_results *msgbus_results_new(void)
{
    return calloc(1, sizeof(msgbus_results));
}

void msgbus_results_free(msgbus_results *r)
{
    if (r == NULL)
        return;
    msgbus_results_reset(r);
    free(r->items);
    free(r);
}

void msgbus_results_reset(msgbus_results *r)
{
    size_t i;
    if (r == NULL)
        return;
    /* Most handles record neither: the entries need not be read again. */
    for (i = 0; r->owns && i < r->n; i++) {
        json_decref(r->items[i].pub.value);
        free(r->items[i].owned_error);
    }
    r->n = 0;
    r->owns = false;
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
    size_t cap = r->cap ? r->cap * 2 : 8;
    result_entry *items = realloc(r->items, cap * sizeof *items);
    if (items == NULL)
        return MSGBUS_ENOMEM;
    r->items = items;
    r->cap = cap;
    return 0;
}

void results_keep_error(result_entry *e, const char *error)
{
    size_t len = strlen(error);
    if (len >= MSGBUS_ERROR_TEXT_LENGTH)
        len = MSGBUS_ERROR_TEXT_LENGTH - 1;     /* as msgbus_error keeps it */
    e->owned_error = malloc(len + 1);
    if (e->owned_error == NULL) {
        e->pub.error = "out of memory keeping the error text";
        return;
    }
    memcpy(e->owned_error, error, len);
    e->owned_error[len] = '\0';
    e->pub.error = e->owned_error;
}

int results_take(msgbus_results *dst, msgbus_results *src, size_t from, size_t n)
{
    while (dst->n + n > dst->cap)
        if (results_grow(dst) != 0)
            return MSGBUS_ENOMEM;
    memcpy(dst->items + dst->n, src->items + from, n * sizeof *dst->items);
    dst->n += n;
    dst->owns = dst->owns || src->owns;
    /* The entries moved: src must not free their values and texts. */
    memset(src->items + from, 0, n * sizeof *src->items);
    return 0;
}
