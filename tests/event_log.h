/* event_log.h - an event hook for tests: keeps the events a bus reports,
 * with copies of their strings, so a test can assert their sequence. */
#ifndef EVENT_LOG_H
#define EVENT_LOG_H

#include <stdio.h>
#include <string.h>
#include <msgbus/events.h>

typedef struct logged_event {
    msgbus_event ev;            /* strings point into the copies below */
    char source[32], message_id[80], type[64], handler[64], error[256], row_id[80];
} logged_event;

typedef struct event_log {
    logged_event items[64];
    size_t n;
    size_t dropped;
} event_log;

static inline void event_log_hook(const msgbus_event *ev, void *userdata)
{
    event_log *log = userdata;
    if (log->n == sizeof log->items / sizeof log->items[0]) {
        log->dropped++;
        return;
    }
    logged_event *l = &log->items[log->n++];
    memset(l, 0, sizeof *l);
    l->ev = *ev;
#define KEEP(f) \
    if (ev->f) { snprintf(l->f, sizeof l->f, "%s", ev->f); l->ev.f = l->f; }
    KEEP(source) KEEP(message_id) KEEP(type) KEEP(handler) KEEP(error) KEEP(row_id)
#undef KEEP
    l->ev.endpoint = NULL;
    l->ev.correlation_id = NULL;
}

/* The kinds' names, space-separated: "handler.failed retry.scheduled". */
static inline const char *event_log_kinds(const event_log *log, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < log->n && len < size; i++)
        len += (size_t)snprintf(out + len, size - len, "%s%s", i ? " " : "",
                                msgbus_event_kind_name(log->items[i].ev.kind));
    return out;
}

#endif /* EVENT_LOG_H */
