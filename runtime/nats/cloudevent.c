/* cloudevent.c - a row as a CloudEvents 1.0 structured JSON event, and the
 * subject it goes to.  The payload is already JSON text written by the
 * library's encoder, so it is embedded as is rather than parsed again. */
#include "nats_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Appends s as a JSON string to buf at *n (buf has room: 6 bytes per
 * input byte plus 2). */
static void put_string(char *buf, size_t *n, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    buf[(*n)++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            buf[(*n)++] = '\\';
            buf[(*n)++] = (char)*p;
        } else if (*p < 0x20) {
            memcpy(buf + *n, "\\u00", 4);
            buf[*n + 4] = hex[*p >> 4];
            buf[*n + 5] = hex[*p & 15];
            *n += 6;
        } else {
            buf[(*n)++] = (char)*p;
        }
    }
    buf[(*n)++] = '"';
}

static void put_raw(char *buf, size_t *n, const char *s)
{
    size_t len = strlen(s);
    memcpy(buf + *n, s, len);
    *n += len;
}

/* RFC 3339 in UTC with milliseconds. */
static void rfc3339(int64_t ms, char out[32])
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}

size_t nats_cloudevent_size(const msgbus_outbox_row *row, const char *source)
{
    return 200 + 6 * (strlen(row->id) + strlen(source) + strlen(row->type)) +
           strlen(row->payload);
}

size_t nats_cloudevent_write(const msgbus_outbox_row *row, const char *source, char *buf)
{
    char when[32];
    rfc3339(row->created_at, when);
    size_t n = 0;
    put_raw(buf, &n, "{\"specversion\":\"1.0\",\"id\":");
    put_string(buf, &n, row->id);
    put_raw(buf, &n, ",\"source\":");
    put_string(buf, &n, source);
    put_raw(buf, &n, ",\"type\":");
    put_string(buf, &n, row->type);
    put_raw(buf, &n, ",\"time\":\"");
    put_raw(buf, &n, when);
    put_raw(buf, &n, "\",\"datacontenttype\":\"application/json\",\"data\":");
    put_raw(buf, &n, row->payload);
    put_raw(buf, &n, "}");
    buf[n] = '\0';
    return n;
}

char *msgbus_nats_cloudevent(const msgbus_outbox_row *row, const char *source)
{
    if (!row || !row->type || !row->payload)
        return NULL;
    if (!source)
        source = "msgbus";
    char *buf = msgbus_malloc(nats_cloudevent_size(row, source));
    if (buf)
        nats_cloudevent_write(row, source, buf);
    return buf;
}

/* The route of type_name in module or the modules it imports (bounded
 * depth: imports cannot cycle, but a bound costs nothing). */
static const char *route_in(const msgbus_module *module, const char *type_name, int depth)
{
    if (!module || depth > 16)
        return NULL;
    for (size_t i = 0; i < module->n_routes; i++)
        if (module->routes[i].type && strcmp(module->routes[i].type->name, type_name) == 0)
            return module->routes[i].subject;
    for (size_t i = 0; i < module->n_imports; i++) {
        const char *s = route_in(module->imports[i], type_name, depth + 1);
        if (s)
            return s;
    }
    return NULL;
}

int msgbus_nats_subject(const msgbus_bus *bus, const char *type_name, const char *prefix,
                        char *out, size_t size)
{
    if (!type_name || !out || size == 0)
        return MSGBUS_EINVAL;
    const msgbus_type *type = bus ? msgbus_bus_find_type(bus, type_name) : NULL;
    const char *route = type ? route_in(type->module, type_name, 0) : NULL;
    int n = snprintf(out, size, "%s%s%s", prefix ? prefix : "", prefix && *prefix ? "." : "",
                     route ? route : type_name);
    return n < 0 || (size_t)n >= size ? MSGBUS_ELIMIT : 0;
}
