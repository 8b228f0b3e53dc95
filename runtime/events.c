/* events.c - the event hook of a bus, and events as JSON or one line of
 * text.  See msgbus_events(3). */
#define _POSIX_C_SOURCE 200809L
#include "obs_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <msgbus/outbox.h>
#include <msgbus/value.h>

struct bus_obs *obs_of(msgbus_bus *bus)
{
    if (!bus->obs) {
        struct bus_obs *obs = msgbus_calloc(1, sizeof *obs);
        if (!obs)
            return NULL;
        pthread_mutex_init(&obs->lock, NULL);
        bus->obs = obs;
    }
    return bus->obs;
}

void obs_free(struct bus_obs *obs)
{
    if (!obs)
        return;
    metrics_free(obs);
    pthread_mutex_destroy(&obs->lock);
    msgbus_free(obs);
}

int msgbus_set_event_hook(msgbus_bus *bus, msgbus_event_fn fn, void *userdata)
{
    if (!bus)
        return MSGBUS_EINVAL;
    if (!fn && !bus->obs)
        return 0;
    struct bus_obs *obs = obs_of(bus);
    if (!obs)
        return MSGBUS_ENOMEM;
    obs->event_fn = fn;
    obs->event_userdata = userdata;
    return 0;
}

int msgbus_event_hook_set(const msgbus_bus *bus)
{
    return bus && bus->obs && bus->obs->event_fn;
}

void msgbus_emit_event(msgbus_bus *bus, const msgbus_event *event)
{
    if (!event || !msgbus_event_hook_set(bus))
        return;
    if (event->time_ms) {
        bus->obs->event_fn(event, bus->obs->event_userdata);
        return;
    }
    msgbus_event stamped = *event;
    stamped.time_ms = msgbus_outbox_now();
    bus->obs->event_fn(&stamped, bus->obs->event_userdata);
}

const char *msgbus_event_kind_name(msgbus_event_kind kind)
{
    switch (kind) {
    case MSGBUS_EVENT_HANDLER_FAILED: return "handler.failed";
    case MSGBUS_EVENT_RETRY_SCHEDULED: return "retry.scheduled";
    case MSGBUS_EVENT_DEAD_LETTERED: return "dead.lettered";
    case MSGBUS_EVENT_LEASE_RECLAIMED: return "lease.reclaimed";
    case MSGBUS_EVENT_BATCH_DONE: return "batch.done";
    case MSGBUS_EVENT_PUBLISH_ACKED: return "publish.acked";
    case MSGBUS_EVENT_PUBLISH_FAILED: return "publish.failed";
    case MSGBUS_EVENT_CONSUMER_ACK: return "consumer.ack";
    case MSGBUS_EVENT_CONSUMER_NAK: return "consumer.nak";
    case MSGBUS_EVENT_CONSUMER_TERM: return "consumer.term";
    case MSGBUS_EVENT_INBOX_DUPLICATE: return "inbox.duplicate";
    case MSGBUS_EVENT_CONNECTION_LOST: return "connection.lost";
    case MSGBUS_EVENT_CONNECTION_RESTORED: return "connection.restored";
    }
    return "unknown";
}

/* "2024-05-01T12:00:00.250Z" for ms since the epoch. */
static void time_text(int64_t ms, char out[MSGBUS_TIMESTAMP_TEXT_SIZE])
{
    msgbus_timestamp ts = msgbus_timestamp_from_ms(ms);
    if (msgbus_timestamp_to_text(&ts, out) < 0)
        snprintf(out, MSGBUS_TIMESTAMP_TEXT_SIZE, "%" PRId64 "ms", ms);
}

/* The fields that are set, in one order for both forms. */
typedef struct field {
    const char *name;
    const char *text;           /* a string field, or NULL */
    int64_t num;                /* a number field when text is NULL */
} field;

static size_t fields_of(const msgbus_event *e, field *f)
{
    size_t n = 0;
#define TEXT(name_) if (e->name_) f[n++] = (field){ #name_, e->name_, 0 }
#define NUM(name_) if (e->name_) f[n++] = (field){ #name_, NULL, (int64_t)e->name_ }
    TEXT(source);
    TEXT(message_id);
    TEXT(type);
    TEXT(handler);
    TEXT(row_id);
    TEXT(correlation_id);
    NUM(attempt);
    NUM(delay_ms);
    NUM(code);
    TEXT(error);
    TEXT(endpoint);
    NUM(duration_ms);
#undef TEXT
#undef NUM
    return n;
}

static bool has_counts(const msgbus_event *e)
{
    const msgbus_event_counts *c = &e->counts;
    return e->kind == MSGBUS_EVENT_BATCH_DONE || e->kind == MSGBUS_EVENT_LEASE_RECLAIMED ||
           c->claimed || c->processed || c->failed || c->dead_lettered || c->reclaimed;
}

json_t *msgbus_event_to_json(const msgbus_event *e)
{
    if (!e)
        return NULL;
    char when[MSGBUS_TIMESTAMP_TEXT_SIZE];
    time_text(e->time_ms, when);
    json_t *o = json_pack("{s:s, s:s}", "event", msgbus_event_kind_name(e->kind), "time", when);
    field f[16];
    size_t n = fields_of(e, f);
    for (size_t i = 0; o && i < n; i++) {
        json_t *v = f[i].text ? json_string(f[i].text) : json_integer(f[i].num);
        /* Text that is not UTF-8 (a database's message) is kept, escaped. */
        if (!v && f[i].text)
            v = json_stringn_nocheck(f[i].text, strlen(f[i].text));
        if (!v || json_object_set_new(o, f[i].name, v) < 0) {
            json_decref(o);
            return NULL;
        }
    }
    if (o && has_counts(e)) {
        const msgbus_event_counts *c = &e->counts;
        json_t *counts = json_pack("{s:I, s:I, s:I, s:I, s:I}", "claimed", (json_int_t)c->claimed,
                                   "processed", (json_int_t)c->processed, "failed",
                                   (json_int_t)c->failed, "dead_lettered",
                                   (json_int_t)c->dead_lettered, "reclaimed",
                                   (json_int_t)c->reclaimed);
        if (!counts || json_object_set_new(o, "counts", counts) < 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* Appends text to out[*len..size), counting what does not fit. */
static void put(char *out, size_t size, size_t *len, const char *text, size_t n)
{
    if (*len < size) {
        size_t room = size - *len - 1;
        memcpy(out + *len, text, n < room ? n : room);
    }
    *len += n;
}

/* A value as is, or quoted with \" \\ \n \t \r \xNN escapes when it is
 * empty or holds a space, a quote, '=', a backslash or a control character. */
static void put_value(char *out, size_t size, size_t *len, const char *v)
{
    bool plain = *v != '\0';
    for (const unsigned char *p = (const unsigned char *)v; *p && plain; p++)
        plain = *p > ' ' && *p != '"' && *p != '=' && *p != '\\' && *p != 0x7f;
    if (plain) {
        put(out, size, len, v, strlen(v));
        return;
    }
    put(out, size, len, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        char esc[5];
        const char *s = esc;
        size_t n = 2;
        switch (*p) {
        case '"': s = "\\\""; break;
        case '\\': s = "\\\\"; break;
        case '\n': s = "\\n"; break;
        case '\t': s = "\\t"; break;
        case '\r': s = "\\r"; break;
        default:
            if (*p < ' ' || *p == 0x7f)
                n = (size_t)snprintf(esc, sizeof esc, "\\x%02x", *p);
            else {
                esc[0] = (char)*p;
                n = 1;
            }
        }
        put(out, size, len, s, n);
    }
    put(out, size, len, "\"", 1);
}

int msgbus_event_format(const msgbus_event *e, char *out, size_t size)
{
    if (!e || (!out && size > 0))
        return MSGBUS_EINVAL;
    char when[MSGBUS_TIMESTAMP_TEXT_SIZE], num[32];
    size_t len = 0;
    time_text(e->time_ms, when);
    put(out, size, &len, when, strlen(when));
    put(out, size, &len, " ", 1);
    const char *kind = msgbus_event_kind_name(e->kind);
    put(out, size, &len, kind, strlen(kind));
    field f[16];
    size_t n = fields_of(e, f);
    for (size_t i = 0; i < n; i++) {
        put(out, size, &len, " ", 1);
        put(out, size, &len, f[i].name, strlen(f[i].name));
        put(out, size, &len, "=", 1);
        if (f[i].text) {
            put_value(out, size, &len, f[i].text);
        } else {
            int k = snprintf(num, sizeof num, "%" PRId64, f[i].num);
            put(out, size, &len, num, (size_t)k);
        }
    }
    if (has_counts(e)) {
        const msgbus_event_counts *c = &e->counts;
        int k = snprintf(num, sizeof num, " claimed=%zu", c->claimed);
        put(out, size, &len, num, (size_t)k);
        k = snprintf(num, sizeof num, " processed=%zu", c->processed);
        put(out, size, &len, num, (size_t)k);
        k = snprintf(num, sizeof num, " failed=%zu", c->failed);
        put(out, size, &len, num, (size_t)k);
        k = snprintf(num, sizeof num, " dead_lettered=%zu", c->dead_lettered);
        put(out, size, &len, num, (size_t)k);
        k = snprintf(num, sizeof num, " reclaimed=%zu", c->reclaimed);
        put(out, size, &len, num, (size_t)k);
    }
    if (size > 0)
        out[len < size ? len : size - 1] = '\0';
    return len > INT32_MAX ? INT32_MAX : (int)len;
}
