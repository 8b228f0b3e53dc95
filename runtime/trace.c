/* trace.c - message ids, correlation and causation ids, and W3C trace
 * context for handlers and for the outbox rows they register.  See
 * msgbus_trace(3). */
#define _GNU_SOURCE
#include "bus_internal.h"
#include "trace_internal.h"
#include "uuid7.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <msgbus/outbox.h>

__thread msgbus_ctx *trace_current_ctx;
static __thread uuid7_gen ids;
static __thread uint64_t prng[2];       /* xorshift128+: span ids need only be unique */
static __thread pid_t seeded_in;        /* a forked child must not repeat its parent */

/* Seeds the thread's generators, again after a fork. */
static void seed(void)
{
    pid_t pid = getpid();
    if (seeded_in == pid)
        return;
    seeded_in = pid;
    uuid7_init(&ids);
    if (getrandom(prng, sizeof prng, 0) != (ssize_t)sizeof prng || (prng[0] | prng[1]) == 0) {
        prng[0] = (uint64_t)pid * 0x9e3779b97f4a7c15u;
        prng[1] = (uint64_t)msgbus_outbox_now() | 1;
    }
}

/* Random bytes for trace and span ids: a thread's generator, seeded once
 * from the kernel. */
static void random_fill(uint8_t *out, size_t n)
{
    seed();
    for (size_t i = 0; i < n; i += 8) {
        uint64_t s1 = prng[0], s0 = prng[1];
        prng[0] = s0;
        s1 ^= s1 << 23;
        prng[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
        uint64_t r = prng[1] + s0;
        for (size_t k = 0; k < 8 && i + k < n; k++)
            out[i + k] = (uint8_t)(r >> (8 * k));
    }
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static void to_hex(const uint8_t *p, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[p[i] >> 4];
        out[2 * i + 1] = hex[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static int from_hex(const char *s, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < 2 * n; i++) {
        char c = s[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return -1;
        if (i % 2 == 0)
            out[i / 2] = (uint8_t)(v << 4);
        else
            out[i / 2] |= (uint8_t)v;
    }
    return 0;
}

int msgbus_traceparent_parse(const char *text, uint8_t trace_id[16], uint8_t span_id[8],
                             uint8_t *flags)
{
    uint8_t version, t[16], s[8], f;
    if (!text || strlen(text) < 55 || from_hex(text, &version, 1) < 0 || version == 0xff ||
        text[2] != '-' || from_hex(text + 3, t, 16) < 0 || text[35] != '-' ||
        from_hex(text + 36, s, 8) < 0 || text[52] != '-' || from_hex(text + 53, &f, 1) < 0)
        return MSGBUS_EINVAL;
    /* Version 00 is exactly 55 characters; later ones may add "-..." */
    if ((version == 0 && text[55] != '\0') || (version != 0 && text[55] != '\0' && text[55] != '-'))
        return MSGBUS_EINVAL;
    if (all_zero(t, 16) || all_zero(s, 8))
        return MSGBUS_EINVAL;
    if (trace_id)
        memcpy(trace_id, t, 16);
    if (span_id)
        memcpy(span_id, s, 8);
    if (flags)
        *flags = f;
    return 0;
}

void msgbus_traceparent_format(const uint8_t trace_id[16], const uint8_t span_id[8],
                               uint8_t flags, char out[MSGBUS_TRACEPARENT_SIZE])
{
    memcpy(out, "00-", 3);
    to_hex(trace_id, 16, out + 3);
    out[35] = '-';
    to_hex(span_id, 8, out + 36);
    out[52] = '-';
    to_hex(&flags, 1, out + 53);
}

/* ---- the flow and the call ------------------------------------------------ */

/* The context holding the flow of ctx's handle, and whether it is shared
 * between the workers of an async bus (then its lock guards it). */
static trace_flow *flow_of(msgbus_ctx *ctx, bool *locked)
{
    *locked = ctx->shared != NULL;
    if (*locked) {
        pthread_mutex_lock(ctx->shared_lock);
        return &ctx->shared->trace.flow;
    }
    return &ctx->trace.flow;
}

static void flow_done(msgbus_ctx *ctx, bool locked)
{
    if (locked)
        pthread_mutex_unlock(ctx->shared_lock);
}

static void ensure_trace(trace_flow *f)
{
    if (f->has_trace)
        return;
    do
        random_fill(f->trace_id, 16);
    while (all_zero(f->trace_id, 16));
    memset(f->parent_span, 0, sizeof f->parent_span);
    f->flags = 0x01;            /* sampled: a new trace is worth recording */
    f->has_trace = true;
}

static void ensure_span(trace_call *c)
{
    if (c->has_span)
        return;
    do
        random_fill(c->span, 8);
    while (all_zero(c->span, 8));
    c->has_span = true;
}

/* The text id of the handle's message number k (1 is the first): the id
 * given for the first message, else the UUIDv7 base with k added to its
 * last 32 bits, so ids of one handle cost one UUID and stay unique. */
static void message_text(trace_flow *f, uint64_t k, uint64_t root, char out[MSGBUS_MESSAGE_ID_SIZE])
{
    if (k == root && f->root_id[0]) {
        memcpy(out, f->root_id, sizeof f->root_id);
        return;
    }
    if (!f->base[0]) {
        seed();
        if (uuid7_next(&ids, msgbus_outbox_now(), f->base) < 0) {
            uint8_t r[16];
            random_fill(r, 16);     /* no kernel randomness: still unique enough */
            snprintf(f->base, sizeof f->base, "%08x-%04x-7%03x-8%03x-%08x%04x",
                     (unsigned)(msgbus_outbox_now() >> 16), (unsigned)(r[0] << 8 | r[1]),
                     (unsigned)((r[2] << 8 | r[3]) & 0xfff), (unsigned)((r[4] << 8 | r[5]) & 0xfff),
                     (unsigned)(r[6] << 24 | r[7] << 16 | r[8] << 8 | r[9]),
                     (unsigned)(r[10] << 8 | r[11]));
        }
    }
    memcpy(out, f->base, 37);
    uint32_t low = 0;
    for (int i = 28; i < 36; i++) {
        char c = out[i];
        low = low << 4 | (uint32_t)(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    low += (uint32_t)(k - root);
    snprintf(out + 28, 9, "%08x", low);
}

/* ---- the accessors ---------------------------------------------------------- */

const char *msgbus_ctx_message_uuid(msgbus_ctx *ctx)
{
    bool locked;
    trace_flow *f = flow_of(ctx, &locked);
    message_text(f, ctx->id, ctx->correlation, ctx->trace.call.message);
    flow_done(ctx, locked);
    return ctx->trace.call.message;
}

const char *msgbus_ctx_correlation_uuid(msgbus_ctx *ctx)
{
    bool locked;
    trace_flow *f = flow_of(ctx, &locked);
    if (f->correlation[0])
        memcpy(ctx->trace.call.correlation, f->correlation, sizeof f->correlation);
    else
        message_text(f, ctx->correlation, ctx->correlation, ctx->trace.call.correlation);
    flow_done(ctx, locked);
    return ctx->trace.call.correlation;
}

const char *msgbus_ctx_causation_uuid(msgbus_ctx *ctx)
{
    bool locked;
    trace_flow *f = flow_of(ctx, &locked);
    if (ctx->causation)
        message_text(f, ctx->causation, ctx->correlation, ctx->trace.call.causation);
    else
        memcpy(ctx->trace.call.causation, f->root_causation, sizeof f->root_causation);
    flow_done(ctx, locked);
    return ctx->trace.call.causation;
}

/* The trace id, the call's span, the parent span and the flags. */
static void trace_of(msgbus_ctx *ctx, uint8_t trace_id[16], uint8_t span[8], uint8_t parent[8],
                     uint8_t *flags)
{
    bool locked;
    trace_flow *f = flow_of(ctx, &locked);
    ensure_trace(f);
    memcpy(trace_id, f->trace_id, 16);
    memcpy(parent, f->parent_span, 8);
    *flags = f->flags;
    flow_done(ctx, locked);
    ensure_span(&ctx->trace.call);
    memcpy(span, ctx->trace.call.span, 8);
}

void msgbus_ctx_trace_id(msgbus_ctx *ctx, char out[MSGBUS_TRACE_ID_TEXT_SIZE])
{
    uint8_t t[16], s[8], p[8], fl;
    trace_of(ctx, t, s, p, &fl);
    to_hex(t, 16, out);
}

void msgbus_ctx_span_id(msgbus_ctx *ctx, char out[MSGBUS_SPAN_ID_TEXT_SIZE])
{
    uint8_t t[16], s[8], p[8], fl;
    trace_of(ctx, t, s, p, &fl);
    to_hex(s, 8, out);
}

void msgbus_ctx_parent_span_id(msgbus_ctx *ctx, char out[MSGBUS_SPAN_ID_TEXT_SIZE])
{
    uint8_t t[16], s[8], p[8], fl;
    trace_of(ctx, t, s, p, &fl);
    to_hex(p, 8, out);
}

unsigned msgbus_ctx_trace_flags(msgbus_ctx *ctx)
{
    uint8_t t[16], s[8], p[8], fl;
    trace_of(ctx, t, s, p, &fl);
    return fl;
}

void msgbus_ctx_traceparent(msgbus_ctx *ctx, char out[MSGBUS_TRACEPARENT_SIZE])
{
    uint8_t t[16], s[8], p[8], fl;
    trace_of(ctx, t, s, p, &fl);
    msgbus_traceparent_format(t, s, fl, out);
}

const char *msgbus_ctx_tracestate(msgbus_ctx *ctx)
{
    /* Set before the handle begins and never changed by it: no lock. */
    return ctx->shared ? ctx->shared->trace.flow.tracestate : ctx->trace.flow.tracestate;
}

/* ---- from outside ------------------------------------------------------------ */

static int copy_id(char *dst, const char *src, const char *what, msgbus_error *err)
{
    size_t n = src ? strlen(src) : 0;
    if (!src) {
        dst[0] = '\0';
        return 0;
    }
    if (n == 0 || n >= MSGBUS_MESSAGE_ID_SIZE) {
        dst[0] = '\0';
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "trace: %s must be 1 to %d bytes", what,
                                MSGBUS_MESSAGE_ID_SIZE - 1);
    }
    memcpy(dst, src, n + 1);
    return 0;
}

int msgbus_bus_set_next_trace(msgbus_bus *bus, const msgbus_trace_in *in, msgbus_error *err)
{
    if (!bus || !in)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "trace: no bus");
    if (bus->busy)
        return msgbus_error_set(err, MSGBUS_ESTATE, NULL, "trace: set inside a handler");
    trace_flow *f = &bus->ctx.trace.flow;
    memset(f, 0, sizeof *f);
    f->pending = true;
    int rc = copy_id(f->root_id, in->message_id, "message_id", err);
    int rc2 = copy_id(f->correlation, in->correlation_id, "correlation_id", err);
    int rc3 = copy_id(f->root_causation, in->causation_id, "causation_id", err);
    if (rc == 0)
        rc = rc2 ? rc2 : rc3;
    if (in->traceparent) {
        if (msgbus_traceparent_parse(in->traceparent, f->trace_id, f->parent_span, &f->flags) == 0)
            f->has_trace = true;
        else if (rc == 0)
            rc = msgbus_error_set(err, MSGBUS_EINVAL, NULL,
                                  "trace: invalid traceparent \"%.60s\": a new trace starts",
                                  in->traceparent);
    }
    /* A tracestate belongs to its traceparent (W3C): without one, none. */
    if (f->has_trace && in->tracestate && strlen(in->tracestate) <= MSGBUS_TRACESTATE_MAX)
        strcpy(f->tracestate, in->tracestate);
    return rc;
}

/* ---- outbox rows --------------------------------------------------------------- */

static int set_missing(json_t *meta, const char *key, const char *value)
{
    if (!value || !*value || json_object_get(meta, key))
        return 0;
    json_t *v = json_string(value);
    return v && json_object_set_new(meta, key, v) == 0 ? 0 : MSGBUS_ENOMEM;
}

int trace_fill_meta(json_t *meta, const char *row_id)
{
    char traceparent[MSGBUS_TRACEPARENT_SIZE];
    msgbus_ctx *ctx = trace_current_ctx;
    int rc;
    if (ctx) {
        /* Registered by a handler: the row is the handler's message's child. */
        msgbus_ctx_traceparent(ctx, traceparent);
        rc = set_missing(meta, MSGBUS_META_CORRELATION_ID, msgbus_ctx_correlation_uuid(ctx));
        if (rc == 0)
            rc = set_missing(meta, MSGBUS_META_CAUSATION_ID, msgbus_ctx_message_uuid(ctx));
        if (rc == 0)
            rc = set_missing(meta, MSGBUS_META_TRACESTATE, msgbus_ctx_tracestate(ctx));
    } else {
        /* Outside any handler the row starts a flow, and a trace unless
         * the caller's meta brings one. */
        uint8_t t[16], s[8];
        random_fill(t, 16);
        random_fill(s, 8);
        t[0] |= 0x01;           /* never all zeros */
        s[0] |= 0x01;
        msgbus_traceparent_format(t, s, 0x01, traceparent);
        rc = set_missing(meta, MSGBUS_META_CORRELATION_ID, row_id);
    }
    if (rc == 0)
        rc = set_missing(meta, MSGBUS_META_TRACEPARENT, traceparent);
    return rc;
}
