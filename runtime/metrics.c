/* metrics.c - per-handler counters of a bus: calls, failures, retries and
 * a latency histogram with fixed buckets, behind the bus's lock (handlers
 * of an async bus run on workers).  See msgbus_metrics(3). */
#include "obs_internal.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <msgbus/metrics.h>

static const int64_t bounds_us[MSGBUS_METRICS_BUCKETS] = {
    50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 100000, 1000000, 10000000,
};

struct handler_metrics {
    const char *name;           /* the handler's name: kept by the bus until it is freed */
    const msgbus_type *type;
    msgbus_handler_metrics m;
};

const int64_t *msgbus_metrics_bounds_us(void)
{
    return bounds_us;
}

/* The entry of (name, type), appended if new; NULL when out of memory.
 * A linear search: metrics are opt-in and buses have few handlers; the
 * last entry found is tried first. */
static handler_metrics *entry(struct bus_obs *obs, const char *name, const msgbus_type *type)
{
    size_t last = obs->last_metric;
    if (last < obs->n_metrics && obs->metrics[last].name == name && obs->metrics[last].type == type)
        return &obs->metrics[last];
    for (size_t i = 0; i < obs->n_metrics; i++)
        if (obs->metrics[i].name == name && obs->metrics[i].type == type)
            return &obs->metrics[obs->last_metric = i];
    if (obs->n_metrics == obs->cap_metrics) {
        size_t cap = obs->cap_metrics ? 2 * obs->cap_metrics : 8;
        handler_metrics *grown = msgbus_realloc(obs->metrics, cap * sizeof *grown);
        if (!grown)
            return NULL;
        obs->metrics = grown;
        obs->cap_metrics = cap;
    }
    handler_metrics *e = &obs->metrics[obs->n_metrics];
    memset(e, 0, sizeof *e);
    e->name = name;
    e->type = type;
    e->m.handler = name;
    e->m.type = type ? type->name : "";
    obs->last_metric = obs->n_metrics++;
    return e;
}

void metrics_record(struct bus_obs *obs, const handler_entry *h, const msgbus_type *type,
                    int status, bool retry, int64_t elapsed_ns)
{
    int64_t us = elapsed_ns / 1000;
    size_t b = 0;
    while (b < MSGBUS_METRICS_BUCKETS && us > bounds_us[b])
        b++;
    pthread_mutex_lock(&obs->lock);
    handler_metrics *e = entry(obs, h->name, type);
    if (e) {       /* out of memory: this call goes uncounted */
        e->m.calls++;
        e->m.failures += status < 0;
        e->m.retries += retry;
        e->m.latency[b]++;
        e->m.latency_sum_us += (uint64_t)us;
    }
    pthread_mutex_unlock(&obs->lock);
}

void metrics_free(struct bus_obs *obs)
{
    msgbus_free(obs->metrics);
    obs->metrics = NULL;
    obs->n_metrics = obs->cap_metrics = 0;
}

int msgbus_bus_enable_metrics(msgbus_bus *bus, int on)
{
    if (!bus)
        return MSGBUS_EINVAL;
    if (!on && !bus->obs)
        return 0;
    struct bus_obs *obs = obs_of(bus);
    if (!obs)
        return MSGBUS_ENOMEM;
    obs->metrics_on = on != 0;
    return 0;
}

int msgbus_bus_metrics(msgbus_bus *bus, msgbus_handler_metrics **out, size_t *n)
{
    if (!bus || !out || !n)
        return MSGBUS_EINVAL;
    *out = NULL;
    *n = 0;
    struct bus_obs *obs = bus->obs;
    if (!obs)
        return 0;
    pthread_mutex_lock(&obs->lock);
    size_t count = obs->n_metrics;
    msgbus_handler_metrics *copy = count ? msgbus_malloc(count * sizeof *copy) : NULL;
    for (size_t i = 0; copy && i < count; i++)
        copy[i] = obs->metrics[i].m;
    pthread_mutex_unlock(&obs->lock);
    if (count && !copy)
        return MSGBUS_ENOMEM;
    *out = copy;
    *n = count;
    return 0;
}

/* A growing string. */
typedef struct text {
    char *buf;
    size_t len, cap;
    bool oom;
} text;

static void add(text *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void add(text *t, const char *fmt, ...)
{
    va_list ap;
    for (int round = 0; round < 2 && !t->oom; round++) {
        va_start(ap, fmt);
        int n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->oom = true;
            return;
        }
        if (t->buf && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap ? t->cap : 1024;
        while (cap <= t->len + (size_t)n)
            cap *= 2;
        char *grown = msgbus_realloc(t->buf, cap);
        if (!grown) {
            t->oom = true;
            return;
        }
        t->buf = grown;
        t->cap = cap;
    }
}

/* A label value: backslash, quote and newline escaped. */
static void add_label(text *t, const char *s)
{
    for (; *s && !t->oom; s++) {
        if (*s == '\\' || *s == '"')
            add(t, "\\%c", *s);
        else if (*s == '\n')
            add(t, "\\n");
        else
            add(t, "%c", *s);
    }
}

static void add_labels(text *t, const msgbus_handler_metrics *m, const char *le)
{
    add(t, "{handler=\"");
    add_label(t, m->handler);
    add(t, "\",type=\"");
    add_label(t, m->type);
    if (le)
        add(t, "\",le=\"%s", le);
    add(t, "\"}");
}

static void add_counter(text *t, const char *name, const char *help,
                        const msgbus_handler_metrics *m, size_t n, size_t field)
{
    add(t, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
    for (size_t i = 0; i < n; i++) {
        const uint64_t *v = (const uint64_t *)((const char *)&m[i] + field);
        add(t, "%s", name);
        add_labels(t, &m[i], NULL);
        add(t, " %llu\n", (unsigned long long)*v);
    }
}

int msgbus_bus_metrics_prometheus(msgbus_bus *bus, char **out)
{
    if (!out)
        return MSGBUS_EINVAL;
    *out = NULL;
    msgbus_handler_metrics *m;
    size_t n;
    int rc = msgbus_bus_metrics(bus, &m, &n);
    if (rc < 0)
        return rc;
    text t = { NULL, 0, 0, false };
    add(&t, "%s", "");
    add_counter(&t, "msgbus_handler_calls_total", "Handler calls, retries included.", m, n,
                offsetof(msgbus_handler_metrics, calls));
    add_counter(&t, "msgbus_handler_failures_total", "Handler calls that returned an error.", m,
                n, offsetof(msgbus_handler_metrics, failures));
    add_counter(&t, "msgbus_handler_retries_total", "Handler calls that were a retry.", m, n,
                offsetof(msgbus_handler_metrics, retries));
    const char *h = "msgbus_handler_duration_seconds";
    add(&t, "# HELP %s Time spent in the handler.\n# TYPE %s histogram\n", h, h);
    for (size_t i = 0; i < n; i++) {
        uint64_t cumulative = 0;
        char le[32];
        for (size_t b = 0; b <= MSGBUS_METRICS_BUCKETS; b++) {
            cumulative += m[i].latency[b];
            if (b < MSGBUS_METRICS_BUCKETS)
                snprintf(le, sizeof le, "%g", (double)bounds_us[b] / 1e6);
            else
                snprintf(le, sizeof le, "+Inf");
            add(&t, "%s_bucket", h);
            add_labels(&t, &m[i], le);
            add(&t, " %llu\n", (unsigned long long)cumulative);
        }
        add(&t, "%s_sum", h);
        add_labels(&t, &m[i], NULL);
        add(&t, " %.6f\n%s_count", (double)m[i].latency_sum_us / 1e6, h);
        add_labels(&t, &m[i], NULL);
        add(&t, " %llu\n", (unsigned long long)cumulative);
    }
    msgbus_free(m);
    if (t.oom) {
        msgbus_free(t.buf);
        return MSGBUS_ENOMEM;
    }
    *out = t.buf;
    return 0;
}
