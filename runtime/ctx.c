/* ctx.c - what a handler sees of its call: ids, user data, the key/value
 * context shared by one handle call, its result and error text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bus_internal.h"

void *msgbus_ctx_userdata(const msgbus_ctx *ctx) { return ctx->bus->userdata; }
msgbus_bus *msgbus_ctx_bus(const msgbus_ctx *ctx) { return ctx->bus; }
const msgbus_msg *msgbus_ctx_message(const msgbus_ctx *ctx) { return ctx->msg; }
uint64_t msgbus_ctx_message_id(const msgbus_ctx *ctx) { return ctx->id; }
uint64_t msgbus_ctx_correlation_id(const msgbus_ctx *ctx) { return ctx->correlation; }
uint64_t msgbus_ctx_causation_id(const msgbus_ctx *ctx) { return ctx->causation; }
size_t msgbus_ctx_sequence(const msgbus_ctx *ctx) { return ctx->seq; }
unsigned msgbus_ctx_attempt(const msgbus_ctx *ctx) { return ctx->attempt; }

const char *msgbus_ctx_handler_name(const msgbus_ctx *ctx)
{
    return ctx->handler ? ctx->handler->name : "";
}

static ctx_pair *find_pair(const msgbus_ctx *ctx, const char *key)
{
    size_t i;
    for (i = 0; i < ctx->n_pairs; i++)
        if (strcmp(ctx->pairs[i].key, key) == 0)
            return &ctx->pairs[i];
    return NULL;
}

static int set_pair(msgbus_ctx *ctx, const char *key, void *value, void (*free_fn)(void *))
{
    ctx_pair *p = find_pair(ctx, key);
    if (p) {
        if (p->free_fn && p->value)
            p->free_fn(p->value);
    } else {
        size_t len = strlen(key);
        if (ctx->n_pairs == ctx->cap_pairs) {
            size_t cap = ctx->cap_pairs ? ctx->cap_pairs * 2 : 4;
            ctx_pair *pairs = msgbus_realloc(ctx->pairs, cap * sizeof *pairs);
            if (pairs == NULL)
                goto nomem;
            ctx->pairs = pairs;
            ctx->cap_pairs = cap;
        }
        p = &ctx->pairs[ctx->n_pairs];
        p->key = msgbus_malloc(len + 1);
        if (p->key == NULL)
            goto nomem;
        memcpy(p->key, key, len + 1);
        ctx->n_pairs++;
    }
    p->value = value;
    p->free_fn = free_fn;
    return 0;
nomem:
    if (free_fn && value)
        free_fn(value);
    return MSGBUS_ENOMEM;
}

/* On the async bus the handlers of one handle run concurrently: their
 * pairs live in one shared context, behind a lock. */
int msgbus_ctx_set(msgbus_ctx *ctx, const char *key, void *value, void (*free_fn)(void *))
{
    int rc;
    if (ctx == NULL || key == NULL) {
        if (free_fn && value)
            free_fn(value);
        return MSGBUS_EINVAL;
    }
    if (ctx->shared == NULL)
        return set_pair(ctx, key, value, free_fn);
    pthread_mutex_lock(ctx->shared_lock);
    rc = set_pair(ctx->shared, key, value, free_fn);
    pthread_mutex_unlock(ctx->shared_lock);
    return rc;
}

void *msgbus_ctx_get(const msgbus_ctx *ctx, const char *key)
{
    ctx_pair *p;
    void *value;
    if (ctx == NULL || key == NULL)
        return NULL;
    if (ctx->shared == NULL) {
        p = find_pair(ctx, key);
        return p ? p->value : NULL;
    }
    pthread_mutex_lock(ctx->shared_lock);
    p = find_pair(ctx->shared, key);
    value = p ? p->value : NULL;
    pthread_mutex_unlock(ctx->shared_lock);
    return value;
}

void ctx_clear_pairs(msgbus_ctx *ctx)
{
    size_t i;
    for (i = 0; i < ctx->n_pairs; i++) {
        if (ctx->pairs[i].free_fn && ctx->pairs[i].value)
            ctx->pairs[i].free_fn(ctx->pairs[i].value);
        msgbus_free(ctx->pairs[i].key);
    }
    ctx->n_pairs = 0;
}

void ctx_free(msgbus_ctx *ctx)
{
    ctx_clear_pairs(ctx);
    msgbus_free(ctx->pairs);
    ctx->pairs = NULL;
    ctx->cap_pairs = 0;
    json_decref(ctx->result);
    ctx->result = NULL;
}

void msgbus_ctx_set_result(msgbus_ctx *ctx, json_t *value)
{
    if (ctx == NULL) {
        json_decref(value);
        return;
    }
    json_decref(ctx->result);
    ctx->result = value;
}

int msgbus_ctx_failv(msgbus_ctx *ctx, int code, const char *fmt, va_list ap)
{
    if (ctx && fmt)
        vsnprintf(ctx->error, sizeof ctx->error, fmt, ap);
    return code;
}

int msgbus_ctx_fail(msgbus_ctx *ctx, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    code = msgbus_ctx_failv(ctx, code, fmt, ap);
    va_end(ap);
    return code;
}
