/* cloudevent.c - a row as a CloudEvents 1.0 structured JSON event, and the
 * subject it goes to.  The payload is already JSON text written by the
 * library's encoder, so it is embedded as is rather than parsed again. */
#include "nats_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* RFC 3339 in UTC, by the library's one formatter (a time it cannot
 * represent is left out: the attribute is optional). */
static bool rfc3339(int64_t ms, char out[MSGBUS_TIMESTAMP_TEXT_SIZE])
{
    msgbus_timestamp ts = msgbus_timestamp_from_ms(ms);
    return msgbus_timestamp_to_text(&ts, out) > 0;
}

size_t nats_cloudevent_size(const msgbus_outbox_row *row, const char *source)
{
    return 200 + 6 * (strlen(row->id) + strlen(source) + strlen(row->type) +
                      (row->meta ? strlen(row->meta) : 0)) +
           strlen(row->payload);
}

bool msgbus_nats_extension_name_valid(const char *name)
{
    static const char *const reserved[] = {
        "specversion", "id", "source", "type", "datacontenttype", "dataschema", "subject",
        "time", "data",
    };
    size_t n = 0;
    for (; name[n]; n++)
        if (!((name[n] >= 'a' && name[n] <= 'z') || (name[n] >= '0' && name[n] <= '9')))
            return false;
    if (n == 0 || n > 20)
        return false;
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(name, reserved[i]) == 0)
            return false;
    return true;
}

/* The row's meta as extension attributes: each key that is a valid
 * attribute name, with a string, integer or boolean value; other entries
 * (objects, arrays, reals, null) stay in the row only.  msgbus_nats(3). */
static void put_extensions(char *buf, size_t *n, const char *meta)
{
    json_t *m = meta ? json_loads(meta, 0, NULL) : NULL;
    const char *key;
    json_t *value;
    char num[32];
    json_object_foreach(m, key, value) {
        if (!msgbus_nats_extension_name_valid(key))
            continue;
        if (json_is_string(value)) {
            put_raw(buf, n, ",");
            put_string(buf, n, key);
            put_raw(buf, n, ":");
            put_string(buf, n, json_string_value(value));
        } else if (json_is_integer(value) || json_is_boolean(value)) {
            put_raw(buf, n, ",");
            put_string(buf, n, key);
            if (json_is_integer(value))
                snprintf(num, sizeof num, ":%" JSON_INTEGER_FORMAT, json_integer_value(value));
            else
                snprintf(num, sizeof num, ":%s", json_is_true(value) ? "true" : "false");
            put_raw(buf, n, num);
        }
    }
    json_decref(m);
}

size_t nats_cloudevent_write(const msgbus_outbox_row *row, const char *source, char *buf)
{
    char when[MSGBUS_TIMESTAMP_TEXT_SIZE];
    bool has_time = rfc3339(row->created_at, when);
    size_t n = 0;
    put_raw(buf, &n, "{\"specversion\":\"1.0\",\"id\":");
    put_string(buf, &n, row->id);
    put_raw(buf, &n, ",\"source\":");
    put_string(buf, &n, source);
    put_raw(buf, &n, ",\"type\":");
    put_string(buf, &n, row->type);
    if (has_time) {
        put_raw(buf, &n, ",\"time\":\"");
        put_raw(buf, &n, when);
        put_raw(buf, &n, "\"");
    }
    put_extensions(buf, &n, row->meta);
    put_raw(buf, &n, ",\"datacontenttype\":\"application/json\",\"data\":");
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
